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
    pub fn id_for(imposed_by: &str, target: &str, start: Option<&PartialDate>) -> Id {
        let start = start.map(|d| d.to_string()).unwrap_or_default();
        Id::for_reference("embargo", &format!("{imposed_by}|{target}|{start}"))
    }
}
