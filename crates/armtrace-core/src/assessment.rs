//! Export risk assessment: a licence application weighed against the Arms Trade Treaty
//! (Art. 6 prohibitions, Art. 7 export assessment, Art. 11 diversion) and the eight criteria of
//! EU Common Position 2008/944/CFSP.

use crate::id::Id;
use crate::vocab::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary! {
    "criterion",
    Criterion {
        Att6 => "att_6",
        Att7 => "att_7",
        Att11 => "att_11",
        Eu1 => "eu_1",
        Eu2 => "eu_2",
        Eu3 => "eu_3",
        Eu4 => "eu_4",
        Eu5 => "eu_5",
        Eu6 => "eu_6",
        Eu7 => "eu_7",
        Eu8 => "eu_8",
    }
}

impl Criterion {
    pub fn title(&self) -> &'static str {
        match self {
            Criterion::Att6 => {
                "ATT Art. 6: prohibitions (embargoes, international obligations, atrocity crimes)"
            }
            Criterion::Att7 => {
                "ATT Art. 7: serious violations of IHL or human-rights law, terrorism, organised crime, gender-based violence"
            }
            Criterion::Att11 => "ATT Art. 11: diversion",
            Criterion::Eu1 => "EU 1: international obligations and commitments, embargoes",
            Criterion::Eu2 => "EU 2: human rights and international humanitarian law",
            Criterion::Eu3 => "EU 3: internal situation (tensions, armed conflict)",
            Criterion::Eu4 => "EU 4: regional peace, security and stability",
            Criterion::Eu5 => "EU 5: security of member states and allies",
            Criterion::Eu6 => "EU 6: behaviour towards the international community, terrorism",
            Criterion::Eu7 => "EU 7: risk of diversion or re-export",
            Criterion::Eu8 => {
                "EU 8: compatibility with the recipient's technical and economic capacity"
            }
        }
    }
}

vocabulary! {
    "decision",
    LicenceDecision {
        Pending => "pending",
        Approved => "approved",
        ApprovedWithConditions => "approved_with_conditions",
        Denied => "denied",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceApplication {
    pub id: Id,
    pub exporter: String,
    /// Armtrace country code of the recipient state.
    pub recipient: String,
    pub end_user: String,
    pub items: String,
    pub quantity: Option<i64>,
    /// Category code of the items.
    pub category: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionFinding {
    pub criterion: Criterion,
    /// What was found, with references to the records behind it.
    pub finding: String,
    pub evidence: Vec<Id>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub id: Id,
    pub application: Id,
    pub findings: Vec<CriterionFinding>,
    pub decision: LicenceDecision,
    pub reasons: Option<String>,
    pub mitigations: Option<String>,
    pub decided_by: Option<String>,
    /// Set when evidence arrived after the decision.
    pub needs_reassessment: bool,
}
