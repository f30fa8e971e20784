//! Transfers of arms between parties, as registers, national reports, customs data, contracts and
//! trace answers record them. A transfer's size is given in one or more measures (units, SIPRI
//! TIV, money); measures of different kinds are never added together.

use crate::actor::Party;
use crate::id::Id;
use crate::quantity::{Measure, MeasureTotals, Milli, QuantityError};
use crate::vocab::vocabulary;
use serde::{Deserialize, Serialize};

/// SIPRI's credit line, required on everything built from its data.
pub const SIPRI_CREDIT: &str = "Information from the SIPRI Arms Transfers Database";

/// Said with every figure armtrace derives from SIPRI data (SIPRI's terms: derived calculations
/// must not be attributed to SIPRI).
pub const SIPRI_DERIVED: &str =
    "Figures were calculated by armtrace from SIPRI data, not by SIPRI.";

/// What SIPRI's register covers and does not, said on every output built from it.
pub const SIPRI_COVERAGE: &str = "Coverage: SIPRI records transfers of major conventional arms, including portable guided missiles (MANPADS, anti-tank missiles); it does not record small arms, light weapons other than those, or ammunition.";

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

/// The id of a release of a register or of a native dataset.
pub fn release_id(source: &str, name: &str, format: &str) -> Id {
    Id::for_reference("release", &format!("{source}|{name}|{format}"))
}

/// The id of a transfer: derived from its release and record key, so the same record in two
/// releases is two transfers, and importing it twice into one release is one.
pub fn transfer_id(release: Id, record_key: &str) -> Id {
    Id::for_reference("transfer", &format!("{release}|{record_key}"))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Identifies the record within its release or dataset, so that importing the same file
    /// twice adds nothing. With the release it gives the transfer's id ([`transfer_id`]).
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
        let mut yearly = self.deliveries.iter().filter_map(|d| d.number).peekable();
        if yearly.peek().is_some() {
            return Some(yearly.sum());
        }
        self.sipri.as_ref().and_then(|s| s.number_delivered)
    }

    /// TIV delivered in all: the yearly values where the source gives them, else the total.
    pub fn tiv_delivered(&self) -> Option<Milli> {
        let mut yearly = self.deliveries.iter().filter_map(|d| d.tiv).peekable();
        if yearly.peek().is_some() {
            return Some(Milli(yearly.map(|m| m.0).sum()));
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

/// What a transfer delivered in one year, as stated or as armtrace spreads a total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearShare {
    pub year: i32,
    pub year_is_estimate: bool,
    pub number: Option<i64>,
    pub number_is_estimate: bool,
    pub tiv: Option<Milli>,
    /// The number and TIV are armtrace's even spread of the deal's totals over its delivery years
    /// (the older SIPRI format gives totals and a list of years, not yearly figures).
    pub spread: bool,
}

/// Splits `total` into `n` whole parts that add up to it exactly, the remainder going to the
/// earliest parts: 10 over 3 years is 4, 3, 3.
pub fn spread_evenly(total: i64, n: usize) -> Vec<i64> {
    if n == 0 {
        return Vec::new();
    }
    let n64 = n as i64;
    let (base, rem) = (total.div_euclid(n64), total.rem_euclid(n64));
    (0..n64).map(|i| base + i64::from(i < rem)).collect()
}

impl Transfer {
    /// Deliveries by year. Where the source gives yearly figures they are used as they are;
    /// where it gives only totals and the years (SIPRI's older format), the totals are spread
    /// evenly over the years and marked as armtrace's estimate. A single delivery year takes the
    /// whole total, which is then exact.
    pub fn yearly(&self) -> Vec<YearShare> {
        let has_yearly = self
            .deliveries
            .iter()
            .any(|d| d.number.is_some() || d.tiv.is_some());
        let n = self.deliveries.len();
        let totals = self.sipri.as_ref().filter(|_| !has_yearly && n > 0);
        let numbers = totals
            .and_then(|s| s.number_delivered)
            .map(|t| spread_evenly(t, n));
        let tivs = totals
            .and_then(|s| s.tiv_delivered)
            .map(|t| spread_evenly(t.0, n));
        let estimate_flag = self
            .sipri
            .as_ref()
            .is_some_and(|s| s.number_delivered_is_estimate);
        self.deliveries
            .iter()
            .enumerate()
            .map(|(i, d)| {
                if has_yearly || totals.is_none() {
                    YearShare {
                        year: d.year,
                        year_is_estimate: d.year_is_estimate,
                        number: d.number,
                        number_is_estimate: d.number_is_estimate,
                        tiv: d.tiv,
                        spread: false,
                    }
                } else {
                    YearShare {
                        year: d.year,
                        year_is_estimate: d.year_is_estimate,
                        number: numbers.as_ref().map(|v| v[i]),
                        number_is_estimate: estimate_flag,
                        tiv: tivs.as_ref().map(|v| Milli(v[i])),
                        spread: n > 1,
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreading_keeps_totals_exact() {
        for (total, n, expected) in [
            (10, 3, vec![4, 3, 3]),
            (9, 3, vec![3, 3, 3]),
            (2, 3, vec![1, 1, 0]),
            (0, 2, vec![0, 0]),
            (7, 1, vec![7]),
            (5, 0, vec![]),
        ] {
            let got = spread_evenly(total, n);
            assert_eq!(got, expected, "{total} over {n}");
            assert!(n == 0 || got.iter().sum::<i64>() == total);
        }
    }

    #[test]
    fn older_sipri_totals_are_spread_over_delivery_years() {
        let mut t = transfer(None, false);
        for d in &mut t.deliveries {
            d.number = None;
            d.tiv = None;
        }
        t.deliveries.push(Delivery {
            year: 1983,
            year_is_estimate: false,
            number: None,
            number_is_estimate: false,
            tiv: None,
        });
        t.sipri = Some(SipriFigures {
            number_delivered: Some(10),
            number_delivered_is_estimate: true,
            tiv_delivered: Some(Milli(13_751)),
            ..SipriFigures::default()
        });
        let shares: Vec<(i32, Option<i64>, Option<i64>, bool)> = t
            .yearly()
            .iter()
            .map(|s| (s.year, s.number, s.tiv.map(|m| m.0), s.spread))
            .collect();
        assert_eq!(
            shares,
            [
                (1981, Some(4), Some(4_584), true),
                (1982, Some(3), Some(4_584), true),
                (1983, Some(3), Some(4_583), true)
            ]
        );
        // Yearly figures, when given, are used as they are.
        let exact = transfer(None, false).yearly();
        assert!(exact.iter().all(|s| !s.spread));
        assert_eq!(exact[0].number, Some(4));
    }

    fn transfer(status: Option<TransferStatus>, local: bool) -> Transfer {
        Transfer {
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
