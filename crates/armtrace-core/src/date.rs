//! Partial dates. Sources often give only a year ("1990") or a year and month ("1992-11"); a
//! date is never padded with invented precision.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A calendar date known to the year, the month or the day.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct PartialDate {
    year: i32,
    month: Option<u8>,
    day: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("'{0}' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")]
    Format(String),
    #[error("'{0}' is not a real date: {1}")]
    OutOfRange(String, &'static str),
}

impl PartialDate {
    pub fn year(year: i32) -> Self {
        PartialDate {
            year,
            month: None,
            day: None,
        }
    }

    pub fn year_month(year: i32, month: u8) -> Result<Self, DateError> {
        Self::build(year, Some(month), None)
    }

    pub fn ymd(year: i32, month: u8, day: u8) -> Result<Self, DateError> {
        Self::build(year, Some(month), Some(day))
    }

    fn build(year: i32, month: Option<u8>, day: Option<u8>) -> Result<Self, DateError> {
        let d = PartialDate { year, month, day };
        if !(1000..=9999).contains(&year) {
            return Err(DateError::OutOfRange(
                d.to_string(),
                "year must have four digits",
            ));
        }
        if let Some(m) = month
            && !(1..=12).contains(&m)
        {
            return Err(DateError::OutOfRange(
                d.to_string(),
                "month must be 01 to 12",
            ));
        }
        if let (Some(m), Some(dd)) = (month, day)
            && (dd == 0 || dd > days_in_month(year, m))
        {
            return Err(DateError::OutOfRange(
                d.to_string(),
                "no such day in that month",
            ));
        }
        Ok(d)
    }

    pub fn year_part(&self) -> i32 {
        self.year
    }
    pub fn month_part(&self) -> Option<u8> {
        self.month
    }
    pub fn day_part(&self) -> Option<u8> {
        self.day
    }

    /// The calendar day (UTC) `days` days after 1970-01-01 (before it when negative); `None`
    /// outside the years 1000–9999 that a date may have.
    pub fn from_unix_days(days: i64) -> Option<PartialDate> {
        // Howard Hinnant's civil_from_days.
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let year = i32::try_from(year).ok()?;
        PartialDate::ymd(year, month as u8, day as u8).ok()
    }

    /// Whether every day this date could mean is after `day` (a date known to the day): "2999"
    /// and "2025-04" are after 2025-03-13, "2025" and "2025-03" are not.
    pub fn is_after(&self, day: &PartialDate) -> bool {
        self.earliest() > day.latest()
    }

    /// The first day this date could mean, as (year, month, day).
    pub fn earliest(&self) -> (i32, u8, u8) {
        (self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }

    /// The last day this date could mean, as (year, month, day).
    pub fn latest(&self) -> (i32, u8, u8) {
        let m = self.month.unwrap_or(12);
        (
            self.year,
            m,
            self.day.unwrap_or(days_in_month(self.year, m)),
        )
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

impl FromStr for PartialDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || DateError::Format(s.to_string());
        let parts: Vec<&str> = s.split('-').collect();
        let num = |p: &str, len: usize| -> Result<u32, DateError> {
            if p.len() != len || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse::<u32>().map_err(|_| bad())
        };
        match parts.as_slice() {
            [y] => Self::build(num(y, 4)? as i32, None, None),
            [y, m] => Self::build(num(y, 4)? as i32, Some(num(m, 2)? as u8), None),
            [y, m, d] => Self::build(
                num(y, 4)? as i32,
                Some(num(m, 2)? as u8),
                Some(num(d, 2)? as u8),
            ),
            _ => Err(bad()),
        }
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_each_precision() {
        for (input, expected) in [
            (
                "1990",
                "ok 1990 earliest (1990, 1, 1) latest (1990, 12, 31)",
            ),
            (
                "1992-11",
                "ok 1992-11 earliest (1992, 11, 1) latest (1992, 11, 30)",
            ),
            (
                "2000-02",
                "ok 2000-02 earliest (2000, 2, 1) latest (2000, 2, 29)",
            ),
            (
                "1900-02",
                "ok 1900-02 earliest (1900, 2, 1) latest (1900, 2, 28)",
            ),
            (
                "1977-11-04",
                "ok 1977-11-04 earliest (1977, 11, 4) latest (1977, 11, 4)",
            ),
            (
                " 1990 ",
                "ok 1990 earliest (1990, 1, 1) latest (1990, 12, 31)",
            ),
            (
                "1990-13",
                "error '1990-13' is not a real date: month must be 01 to 12",
            ),
            (
                "1990-02-30",
                "error '1990-02-30' is not a real date: no such day in that month",
            ),
            (
                "90",
                "error '90' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD",
            ),
            (
                "1990-8",
                "error '1990-8' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD",
            ),
            (
                "1990/08",
                "error '1990/08' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD",
            ),
            (
                "",
                "error '' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD",
            ),
            (
                "+199",
                "error '+199' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD",
            ),
        ] {
            let got = match input.parse::<PartialDate>() {
                Ok(d) => format!("ok {d} earliest {:?} latest {:?}", d.earliest(), d.latest()),
                Err(e) => format!("error {e}"),
            };
            assert_eq!(got, expected, "input {input:?}");
        }
    }

    #[test]
    fn days_since_1970_and_dates_after_a_day() {
        for (days, expected) in [
            (0, Some("1970-01-01")),
            (-1, Some("1969-12-31")),
            (20_160, Some("2025-03-13")),
            (11_016, Some("2000-02-29")),
            (2_932_896, Some("9999-12-31")),
            (2_932_897, None),
            (-354_286, None),
            (i64::MAX, None),
            (i64::MIN, None),
        ] {
            assert_eq!(
                PartialDate::from_unix_days(days)
                    .map(|d| d.to_string())
                    .as_deref(),
                expected,
                "{days}"
            );
        }
        let today = PartialDate::ymd(2025, 3, 13).unwrap_or_else(|e| panic!("{e}"));
        for (date, after) in [
            ("2999", true),
            ("2026", true),
            ("2025", false),
            ("2025-03", false),
            ("2025-04", true),
            ("2025-03-13", false),
            ("2025-03-14", true),
            ("1990", false),
        ] {
            let d: PartialDate = date.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(d.is_after(&today), after, "{date}");
        }
    }

    #[test]
    fn orders_coarser_dates_first() {
        let mut v: Vec<PartialDate> = ["1990-08-02", "1990", "1989-12", "1990-08"]
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        v.sort();
        let s: Vec<String> = v.iter().map(|d| d.to_string()).collect();
        assert_eq!(s, ["1989-12", "1990", "1990-08", "1990-08-02"]);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            /// Any text parses or fails with a typed error, never a panic; a date that parses
            /// prints as something that parses back to it.
            #[test]
            fn any_text_parses_or_fails_cleanly(s in prop_oneof![
                any::<String>(),
                "[0-9]{0,5}(-[0-9]{0,3}){0,3}",
                " ?[+-]?[0-9]{4}-[01][0-9]-[0-3][0-9] ?",
            ]) {
                match s.parse::<PartialDate>() {
                    Ok(d) => {
                        prop_assert_eq!(d.to_string().parse::<PartialDate>(), Ok(d));
                        prop_assert!(d.earliest() <= d.latest());
                    }
                    Err(DateError::Format(_) | DateError::OutOfRange(..)) => {}
                }
            }

            #[test]
            fn any_day_number_is_a_date_or_none(days in any::<i64>()) {
                if let Some(d) = PartialDate::from_unix_days(days) {
                    prop_assert_eq!(d.earliest(), d.latest());
                }
            }
        }
    }
}
