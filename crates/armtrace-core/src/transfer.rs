//! Transfers of arms between parties, as registers, national reports, customs data, contracts and
//! trace answers record them. A transfer's size is given in one or more measures (units, SIPRI
//! TIV, money); measures of different kinds are never added together.

use crate::actor::Party;
use crate::id::Id;
use crate::quantity::{Measure, MeasureTotals, Milli, QuantityError};
use crate::vocab::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary! {
    "transfer kind",
    TransferKind {
        Order => "order",
        Licence => "licence",
        Delivery => "delivery",
        /// An export licence refused.
        Denial => "denial",
        /// What a state or manufacturer said in answer to a trace request.
        TraceAnswer => "trace_answer",
    }
}

vocabulary! {
    "source type",
    SourceType {
        /// A transfer register such as SIPRI's.
        Register => "register",
        NationalReport => "national_report",
        CustomsData => "customs_data",
        Contract => "contract",
        TraceAnswer => "trace_answer",
    }
}

vocabulary! {
    "transfer status",
    /// The condition of the weapons transferred.
    TransferStatus {
        New => "new",
        SecondHand => "second_hand",
        SecondHandModernised => "second_hand_modernised",
    }
}

/// Where a record came from: a file and line of a given release of a register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRecord {
    pub file: String,
    pub line: u64,
    /// The release (for SIPRI, the "Data generated" date) the record belongs to.
    pub release: Option<String>,
}

/// Deliveries made in one year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub year: i32,
    pub year_is_estimate: bool,
    pub number: Option<i64>,
    pub number_is_estimate: bool,
    /// SIPRI TIV delivered that year, where the source gives it.
    pub tiv: Option<Milli>,
}

/// The SIPRI trend-indicator values a register record states, in millions of TIV.
///
/// SIPRI writes "0" for a value between 0 and 0.5 million and leaves a field empty when there is no
/// value (for delivered TIV: no deliveries identified); `None` is that empty field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipriFigures {
    /// "SIPRI AT Database ID" (newer export format only).
    pub deal_id: Option<i64>,
    /// TIV of one new unit ("SIPRI TIV per unit"; "SIPRI estimate" in the newer format).
    pub tiv_per_unit: Option<Milli>,
    /// TIV of one unit after the second-hand discount ("TIV deal unit", newer format only).
    pub tiv_deal_unit: Option<Milli>,
    /// "SIPRI TIV for total order" (older format only).
    pub tiv_total_order: Option<Milli>,
    /// TIV of all deliveries: the older format's "SIPRI TIV of delivered weapons"; in the newer
    /// format the sum of the yearly "TIV delivery values".
    pub tiv_delivered: Option<Milli>,
    /// "Number delivered" of the older format, which gives no numbers per year.
    pub number_delivered: Option<i64>,
    pub number_delivered_is_estimate: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: Id,
    /// Identifies the record within its release or dataset, so that importing the same file
    /// twice adds nothing.
    pub record_key: String,
    pub kind: TransferKind,
    pub source_type: SourceType,
    pub supplier: Party,
    /// The supplier as the source wrote it.
    pub supplier_as_written: String,
    pub recipient: Party,
    pub recipient_as_written: String,
    pub designation: String,
    pub description: Option<String>,
    /// Category code, when known.
    pub category: Option<String>,
    /// The catalogue model, when identified.
    pub model: Option<Id>,
    pub order_year: Option<i32>,
    pub order_year_is_estimate: bool,
    /// `None`: the source does not know how many were ordered.
    pub number_ordered: Option<i64>,
    pub number_ordered_is_estimate: bool,
    pub deliveries: Vec<Delivery>,
    pub status: Option<TransferStatus>,
    /// Produced in the recipient country under licence.
    pub local_production: bool,
    /// Other measures the source states (money in a contract or customs declaration).
    pub values: Vec<Measure>,
    pub comments: Option<String>,
    /// What a SIPRI register states in TIV; `None` for other sources.
    pub sipri: Option<SipriFigures>,
    pub record: SourceRecord,
}

impl Transfer {
    /// Where the weapons were manufactured, as far as the transfer says: in the recipient for
    /// licensed (local) production, in the supplier for new weapons, unknown for second-hand ones.
    pub fn manufactured_in(&self) -> Option<&Party> {
        if self.local_production {
            Some(&self.recipient)
        } else if self.status == Some(TransferStatus::New) {
            Some(&self.supplier)
        } else {
            None
        }
    }

    /// How many units were delivered in all: the yearly numbers where the source gives them,
    /// else the register's total.
    pub fn number_delivered(&self) -> Option<i64> {
        let yearly: Vec<i64> = self.deliveries.iter().filter_map(|d| d.number).collect();
        if !yearly.is_empty() {
            return Some(yearly.iter().sum());
        }
        self.sipri.as_ref().and_then(|s| s.number_delivered)
    }

    /// TIV delivered in all: the yearly values where the source gives them, else the total.
    pub fn tiv_delivered(&self) -> Option<Milli> {
        let yearly: Vec<Milli> = self.deliveries.iter().filter_map(|d| d.tiv).collect();
        if !yearly.is_empty() {
            return Some(Milli(yearly.iter().map(|m| m.0).sum()));
        }
        self.sipri.as_ref().and_then(|s| s.tiv_delivered)
    }

    /// Everything the transfer states about its size, one total per kind of measure: units
    /// delivered, TIV delivered, and any money values.
    pub fn measures(&self) -> Result<Vec<Measure>, QuantityError> {
        let mut totals = MeasureTotals::default();
        if let Some(count) = self.number_delivered() {
            totals.add(&Measure::Units { count })?;
        }
        if let Some(value) = self.tiv_delivered() {
            totals.add(&Measure::Tiv { value })?;
        }
        for v in &self.values {
            totals.add(v)?;
        }
        Ok(totals.totals())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(status: Option<TransferStatus>, local: bool) -> Transfer {
        Transfer {
            id: Id::new_random(),
            record_key: "k1".into(),
            kind: TransferKind::Delivery,
            source_type: SourceType::Register,
            supplier: Party::Country("SUHH".into()),
            supplier_as_written: "Soviet Union".into(),
            recipient: Party::Country("IND".into()),
            recipient_as_written: "India".into(),
            designation: "T-72M1".into(),
            description: Some("tank".into()),
            category: Some("I".into()),
            model: None,
            order_year: Some(1980),
            order_year_is_estimate: false,
            number_ordered: Some(10),
            number_ordered_is_estimate: true,
            deliveries: vec![
                Delivery {
                    year: 1981,
                    year_is_estimate: false,
                    number: Some(4),
                    number_is_estimate: false,
                    tiv: Some(Milli(5_500)),
                },
                Delivery {
                    year: 1982,
                    year_is_estimate: false,
                    number: Some(6),
                    number_is_estimate: false,
                    tiv: Some(Milli(8_250)),
                },
            ],
            status,
            local_production: local,
            values: vec![Measure::Money {
                amount: Milli::from_whole(1_000_000),
                currency: "USD".into(),
                price_year: 1980,
            }],
            comments: None,
            sipri: None,
            record: SourceRecord {
                file: "register.csv".into(),
                line: 13,
                release: Some("2025-03-13".into()),
            },
        }
    }

    #[test]
    fn licensed_production_is_made_in_the_recipient() {
        let india = Party::Country("IND".into());
        let ussr = Party::Country("SUHH".into());
        for (status, local, expected) in [
            (Some(TransferStatus::New), true, Some(&india)),
            (None, true, Some(&india)),
            (Some(TransferStatus::New), false, Some(&ussr)),
            (Some(TransferStatus::SecondHand), false, None),
            (None, false, None),
        ] {
            assert_eq!(
                transfer(status, local).manufactured_in(),
                expected,
                "{status:?} {local}"
            );
        }
    }

    #[test]
    fn measures_are_totalled_per_kind() {
        let m = transfer(None, false).measures().unwrap_or_default();
        assert_eq!(
            m,
            vec![
                Measure::Units { count: 10 },
                Measure::Tiv {
                    value: Milli(13_750)
                },
                Measure::Money {
                    amount: Milli::from_whole(1_000_000),
                    currency: "USD".into(),
                    price_year: 1980
                },
            ]
        );
    }
}
