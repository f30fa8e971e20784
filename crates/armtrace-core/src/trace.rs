//! Tracing: the chain of custody of an item from manufacture to the point of diversion, and the
//! trace requests (International Tracing Instrument) sent to states and manufacturers.

use crate::actor::Party;
use crate::date::PartialDate;
use crate::id::Id;
use crate::item::Basis;
use crate::vocab::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary! {
    "grade",
    /// How strongly a link of a chain of custody is established.
    LinkGrade {
        Confirmed => "confirmed",
        Likely => "likely",
        Possible => "possible",
    }
}

vocabulary! {
    "link kind",
    LinkKind {
        Manufacture => "manufacture",
        Transfer => "transfer",
        Stockpile => "stockpile",
        Event => "event",
        Sighting => "sighting",
    }
}

vocabulary! {
    "trace request status",
    TraceRequestStatus {
        Drafted => "drafted",
        Sent => "sent",
        Acknowledged => "acknowledged",
        Answered => "answered",
        PartiallyAnswered => "partially_answered",
        Redirected => "redirected",
        Declined => "declined",
        Overdue => "overdue",
    }
}

impl TraceRequestStatus {
    /// Whether a request may move from `self` to `next`.
    pub fn can_become(self, next: TraceRequestStatus) -> bool {
        use TraceRequestStatus::*;
        match self {
            Drafted => matches!(next, Sent),
            Sent => matches!(
                next,
                Acknowledged | Answered | PartiallyAnswered | Redirected | Declined | Overdue
            ),
            Acknowledged | Overdue => {
                matches!(
                    next,
                    Answered | PartiallyAnswered | Redirected | Declined | Overdue
                ) && next != self
            }
            PartiallyAnswered => matches!(next, Answered | Overdue),
            Redirected => matches!(next, Sent),
            Answered | Declined => false,
        }
    }
}

/// One link of an item's chain of custody.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainLink {
    pub id: Id,
    pub item: Id,
    pub kind: LinkKind,
    /// The record the link rests on (a transfer, stockpile record, event).
    pub record: Option<Id>,
    pub holder: Option<Party>,
    pub date: Option<PartialDate>,
    pub basis: Basis,
    pub grade: LinkGrade,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceRequest {
    pub id: Id,
    pub investigation: Id,
    pub item: Id,
    /// The state or manufacturer asked.
    pub addressee: Party,
    pub status: TraceRequestStatus,
    pub sent: Option<PartialDate>,
    pub due: Option<PartialDate>,
    pub answer: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::TraceRequestStatus::*;

    #[test]
    fn trace_request_lifecycle() {
        for (from, to, ok) in [
            (Drafted, Sent, true),
            (Drafted, Answered, false),
            (Sent, Acknowledged, true),
            (Acknowledged, Answered, true),
            (Acknowledged, Acknowledged, false),
            (Sent, Overdue, true),
            (Overdue, Answered, true),
            (Redirected, Sent, true),
            (PartiallyAnswered, Answered, true),
            (Answered, Sent, false),
            (Declined, Answered, false),
        ] {
            assert_eq!(from.can_become(to), ok, "{from} -> {to}");
        }
    }
}
