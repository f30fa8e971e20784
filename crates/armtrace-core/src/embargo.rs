//! Arms embargoes: who may not be supplied, from when to when, under which decision.

use crate::date::PartialDate;
use crate::id::Id;
use crate::source::SourceRef;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Embargo {
    pub id: Id,
    /// The target as the source names it ("Iraq", "Taliban / Al-Qaida").
    pub target: String,
    /// Armtrace country code of the target state, when the target is a state.
    pub target_country: Option<String>,
    /// Who imposed it ("UN Security Council", "EU").
    pub imposed_by: String,
    pub establishing_decision: Option<String>,
    pub decision_date: Option<PartialDate>,
    pub modifying_decisions: Option<String>,
    pub start: Option<PartialDate>,
    /// `None`: in force per the source, or the end was not found (see `status`).
    pub end: Option<PartialDate>,
    pub status: String,
    pub scope: Option<String>,
    pub source: SourceRef,
}

impl Embargo {
    /// Whether the embargo was in force at some time within `when` (a year, a month or a day),
    /// as far as its source gives its start and end: no start means from its decision (or
    /// always, when that is missing too); no end means still in force.
    pub fn in_force_during(&self, when: PartialDate) -> bool {
        let started = self
            .start
            .or(self.decision_date)
            .is_none_or(|s| s.earliest() <= when.latest());
        let not_ended = self.end.is_none_or(|e| e.latest() >= when.earliest());
        started && not_ended
    }

    pub fn id_for(imposed_by: &str, target: &str, start: Option<&PartialDate>) -> Id {
        let start = start.map(|d| d.to_string()).unwrap_or_default();
        Id::for_reference("embargo", &format!("{imposed_by}|{target}|{start}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embargo(start: Option<&str>, end: Option<&str>) -> Embargo {
        let d = |s: Option<&str>| s.map(|s| s.parse().unwrap_or_else(|e| panic!("{s}: {e}")));
        Embargo {
            id: Embargo::id_for("UN", "Iraq", None),
            target: "Iraq".into(),
            target_country: Some("IRQ".into()),
            imposed_by: "UN Security Council".into(),
            establishing_decision: None,
            decision_date: None,
            modifying_decisions: None,
            start: d(start),
            end: d(end),
            status: "in force".into(),
            scope: None,
            source: SourceRef::graded("test"),
        }
    }

    #[test]
    fn in_force_during_a_period() {
        let cases = [
            (Some("1990-08-06"), None, "2014", true),
            (Some("1990-08-06"), None, "1990-08", true),
            (Some("1990-08-06"), None, "1990-07", false),
            (Some("1990-08-06"), Some("2003-05-22"), "2003", true),
            (Some("1990-08-06"), Some("2003-05-22"), "2004", false),
            (None, None, "1950", true),
        ];
        for (start, end, when, want) in cases {
            let w: PartialDate = when.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                embargo(start, end).in_force_during(w),
                want,
                "{start:?}-{end:?} in {when}"
            );
        }
    }
}
