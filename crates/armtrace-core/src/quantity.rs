//! Exact quantities and measures. SIPRI TIV and money are kept as integer thousandths so that every
//! backend and every platform adds them up to the same answer; different measures (units, TIV,
//! money in different currencies or price years) are never added together.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A decimal number held exactly as an integer count of thousandths (3 decimal places).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Milli(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("'{0}' is not a number with at most three decimals (use a dot: 12.5)")]
    Format(String),
    #[error("'{0}' is too large")]
    Overflow(String),
    #[error("cannot add {0} to {1}: different measures are never added together")]
    MixedMeasures(String, String),
}

impl Milli {
    pub const ZERO: Milli = Milli(0);

    pub fn from_whole(n: i64) -> Self {
        Milli(n * 1000)
    }

    pub fn checked_add(self, other: Milli) -> Option<Milli> {
        self.0.checked_add(other.0).map(Milli)
    }
}

impl fmt::Display for Milli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 1000, abs % 1000);
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let s = format!("{frac:03}");
            write!(f, "{sign}{whole}.{}", s.trim_end_matches('0'))
        }
    }
}

impl fmt::Debug for Milli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Milli({self})")
    }
}

impl FromStr for Milli {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let bad = || QuantityError::Format(s.to_string());
        let (neg, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (whole, frac) = match body.split_once('.') {
            Some((w, f)) => (w, f),
            None => (body, ""),
        };
        if whole.is_empty() && frac.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 3
            || (whole.is_empty() && !body.starts_with('.'))
        {
            return Err(bad());
        }
        let w: i64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| QuantityError::Overflow(s.to_string()))?
        };
        // At most three digits, checked above: "5" is 500 thousandths.
        let f = frac
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(3)
            .fold(0, |f, d| f * 10 + i64::from(d - b'0'));
        let v = w
            .checked_mul(1000)
            .and_then(|x| x.checked_add(f))
            .ok_or_else(|| QuantityError::Overflow(s.to_string()))?;
        Ok(Milli(if neg { -v } else { v }))
    }
}

impl From<Milli> for String {
    fn from(m: Milli) -> String {
        m.to_string()
    }
}

impl TryFrom<String> for Milli {
    type Error = QuantityError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// What a transfer's size is expressed in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "measure", rename_all = "snake_case")]
pub enum Measure {
    /// A count of weapons or items.
    Units { count: i64 },
    /// SIPRI trend-indicator value, in millions of TIV.
    Tiv { value: Milli },
    /// Money in a currency (ISO 4217) at the prices of a given year.
    Money {
        amount: Milli,
        currency: String,
        price_year: i32,
    },
}

/// The kind of measure, without its amount: sums are kept per kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "measure", rename_all = "snake_case")]
pub enum MeasureKind {
    Units,
    Tiv,
    Money { currency: String, price_year: i32 },
}

impl fmt::Display for MeasureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeasureKind::Units => f.write_str("units"),
            MeasureKind::Tiv => f.write_str("SIPRI TIV (millions)"),
            MeasureKind::Money {
                currency,
                price_year,
            } => write!(f, "{currency} at {price_year} prices"),
        }
    }
}

impl Measure {
    pub fn kind(&self) -> MeasureKind {
        match self {
            Measure::Units { .. } => MeasureKind::Units,
            Measure::Tiv { .. } => MeasureKind::Tiv,
            Measure::Money {
                currency,
                price_year,
                ..
            } => MeasureKind::Money {
                currency: currency.clone(),
                price_year: *price_year,
            },
        }
    }

    fn amount(&self) -> Milli {
        match self {
            Measure::Units { count } => Milli::from_whole(*count),
            Measure::Tiv { value } => *value,
            Measure::Money { amount, .. } => *amount,
        }
    }

    /// Adds two measures of the same kind; refuses to add different kinds.
    pub fn checked_add(&self, other: &Measure) -> Result<Measure, QuantityError> {
        if self.kind() != other.kind() {
            return Err(QuantityError::MixedMeasures(
                other.kind().to_string(),
                self.kind().to_string(),
            ));
        }
        let sum = self.amount().checked_add(other.amount()).ok_or_else(|| {
            QuantityError::Overflow(format!("{} + {}", self.amount(), other.amount()))
        })?;
        Ok(match self {
            // Unit counts are whole numbers, so their sum in thousandths divides exactly.
            Measure::Units { .. } => Measure::Units {
                count: sum.0 / 1000,
            },
            Measure::Tiv { .. } => Measure::Tiv { value: sum },
            Measure::Money {
                currency,
                price_year,
                ..
            } => Measure::Money {
                amount: sum,
                currency: currency.clone(),
                price_year: *price_year,
            },
        })
    }
}

/// Totals of many measures, one total per kind of measure: the only way armtrace sums transfers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MeasureTotals {
    totals: Vec<Measure>,
}

impl MeasureTotals {
    pub fn add(&mut self, m: &Measure) -> Result<(), QuantityError> {
        match self.totals.iter_mut().find(|t| t.kind() == m.kind()) {
            Some(t) => *t = t.checked_add(m)?,
            None => self.totals.push(m.clone()),
        }
        Ok(())
    }

    /// One total per kind of measure, in a fixed order (units, TIV, then money by currency/year).
    pub fn totals(&self) -> Vec<Measure> {
        let mut v = self.totals.clone();
        v.sort_by_key(|m| m.kind());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milli_parses_exactly() {
        for (input, expected) in [
            ("0", "ok 0 (0)"),
            ("0.5", "ok 0.5 (500)"),
            ("12.25", "ok 12.25 (12250)"),
            ("7.125", "ok 7.125 (7125)"),
            ("-3.1", "ok -3.1 (-3100)"),
            (".5", "ok 0.5 (500)"),
            ("1.", "ok 1 (1000)"),
            (
                "1.2345",
                "error '1.2345' is not a number with at most three decimals (use a dot: 12.5)",
            ),
            (
                "1,5",
                "error '1,5' is not a number with at most three decimals (use a dot: 12.5)",
            ),
            (
                "",
                "error '' is not a number with at most three decimals (use a dot: 12.5)",
            ),
            (
                "abc",
                "error 'abc' is not a number with at most three decimals (use a dot: 12.5)",
            ),
            (
                "99999999999999999999",
                "error '99999999999999999999' is too large",
            ),
        ] {
            let got = match input.parse::<Milli>() {
                Ok(m) => format!("ok {m} ({})", m.0),
                Err(e) => format!("error {e}"),
            };
            assert_eq!(got, expected, "input {input:?}");
        }
    }

    #[test]
    fn tiv_sums_are_exact_where_floats_are_not() {
        // 0.1 + 0.2 != 0.3 in binary floating point; in thousandths it is exact.
        let mut t = MeasureTotals::default();
        for v in ["0.1", "0.2"] {
            let value: Milli = v.parse().unwrap_or_default();
            t.add(&Measure::Tiv { value }).ok();
        }
        assert_eq!(t.totals(), vec![Measure::Tiv { value: Milli(300) }]);
    }

    #[test]
    fn different_measures_are_never_added() {
        let units = Measure::Units { count: 3 };
        let tiv = Measure::Tiv { value: Milli(500) };
        let usd = |y| Measure::Money {
            amount: Milli::from_whole(10),
            currency: "USD".into(),
            price_year: y,
        };
        let err = units.checked_add(&tiv).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "cannot add SIPRI TIV (millions) to units: different measures are never added together"
            )
        );
        assert!(
            usd(2020).checked_add(&usd(2021)).is_err(),
            "price years differ"
        );

        let mut totals = MeasureTotals::default();
        for m in [
            usd(2020),
            units.clone(),
            tiv.clone(),
            units.clone(),
            usd(2020),
        ] {
            assert!(totals.add(&m).is_ok());
        }
        assert_eq!(
            totals.totals(),
            vec![
                Measure::Units { count: 6 },
                tiv,
                Measure::Money {
                    amount: Milli::from_whole(20),
                    currency: "USD".into(),
                    price_year: 2020
                }
            ]
        );
    }
}
