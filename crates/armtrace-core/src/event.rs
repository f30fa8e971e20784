//! Events in a weapon's history: the capture of a depot, a seizure, a battle, a theft.

use crate::actor::Party;
use crate::date::PartialDate;
use crate::id::Id;
use crate::item::Place;
use crate::vocab::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary! {
    "event kind",
    EventKind {
        DepotCapture => "depot_capture",
        Battle => "battle",
        Seizure => "seizure",
        Theft => "theft",
        Loss => "loss",
        Defection => "defection",
        Other => "other",
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: Id,
    pub kind: EventKind,
    pub title: String,
    pub date: Option<PartialDate>,
    pub place: Option<Place>,
    /// Who lost control of the arms.
    pub from: Option<Party>,
    /// Who gained it.
    pub to: Option<Party>,
    pub description: Option<String>,
}
