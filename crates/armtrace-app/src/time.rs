//! Times as users write them: video time codes (`1:23.5`, `83.5`, `1:02:03`), ranges of them
//! (`1:23-1:30`), image regions (`X,Y,WIDTH,HEIGHT`) and RFC 3339 timestamps for when a file was
//! retrieved. Every adapter reads them the same way.

use armtrace_core::error::{Error, Result};
use armtrace_core::evidence::EvidenceAnchor;

/// Reads `[HH:]MM:SS[.mmm]` or plain seconds as milliseconds.
pub fn time_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let (last, whole) = parts.split_last()?;
    let seconds: f64 = last
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite() && *x >= 0.0)?;
    if parts.len() > 1 && seconds >= 60.0 {
        return None;
    }
    let mut minutes = 0u64;
    for (i, p) in whole.iter().enumerate() {
        let v: u64 = p.parse().ok()?;
        if i > 0 && v >= 60 {
            return None;
        }
        minutes = minutes.checked_mul(60)?.checked_add(v)?;
    }
    // A day of video is plenty; beyond a thousand years the number is a typo.
    if minutes > 1_000 * 365 * 24 * 60 {
        return None;
    }
    let ms = (seconds * 1000.0).round();
    if ms > 1e15 {
        return None;
    }
    minutes.checked_mul(60_000)?.checked_add(ms as u64)
}

/// A time code as `H:MM:SS.mmm` (hours only when needed).
pub fn time_text(ms: u64) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, milli) = (rest / 1000, rest % 1000);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{milli:03}")
    } else {
        format!("{m}:{s:02}.{milli:03}")
    }
}

/// Where evidence is linked into a file: a time code range (`time`) or an image region
/// (`region`), or the whole file when neither is given.
pub fn anchor(time: Option<&str>, region: Option<&str>) -> Result<EvidenceAnchor> {
    if let Some(t) = time {
        let (start, end) = match t.split_once('-') {
            Some((a, b)) => (a, Some(b)),
            None => (t, None),
        };
        let bad = || {
            Error::invalid(
                "time",
                format!(
                    "'{t}' is not a time code: write START[-END] as seconds (83.5) or [HH:]MM:SS[.mmm], e.g. 1:23-1:30"
                ),
            )
        };
        let start_ms = time_ms(start).ok_or_else(bad)?;
        let end_ms = end.map(|e| time_ms(e).ok_or_else(bad)).transpose()?;
        if end_ms.is_some_and(|e| e < start_ms) {
            return Err(Error::invalid(
                "time",
                format!("'{t}': the end is before the start"),
            ));
        }
        return Ok(EvidenceAnchor::TimeCode { start_ms, end_ms });
    }
    if let Some(r) = region {
        let nums: Vec<Option<u32>> = r.split(',').map(|p| p.trim().parse().ok()).collect();
        return match nums.as_slice() {
            [Some(x), Some(y), Some(width), Some(height)] if *width > 0 && *height > 0 => {
                Ok(EvidenceAnchor::Region {
                    x: *x,
                    y: *y,
                    width: *width,
                    height: *height,
                })
            }
            _ => Err(Error::invalid(
                "region",
                format!(
                    "'{r}' is not a region: write X,Y,WIDTH,HEIGHT in whole pixels, width and height above 0"
                ),
            )),
        };
    }
    Ok(EvidenceAnchor::Whole)
}

/// Whether `s` is an RFC 3339 timestamp with a time zone (`2014-06-12T09:30:00Z`).
pub fn looks_like_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = b.get(r)?;
        if d.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(d).ok()?.parse().ok()
        } else {
            None
        }
    };
    let fields = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    );
    let (Some(_), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = fields else {
        return false;
    };
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
        && b[16] == b':'
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60
        && (s.ends_with('Z')
            || s.ends_with('z')
            || s.get(19..).is_some_and(|rest| rest.contains(['+', '-'])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_codes() {
        for (text, ms) in [
            ("83.5", Some(83_500)),
            ("1:23", Some(83_000)),
            ("01:02:03.250", Some(3_723_250)),
            ("1:75", None),
            ("-3", None),
            ("a:b", None),
            ("", None),
            ("1::2", None),
            ("400000000000000:00", None),
            ("18446744073709551615:59:00", None),
            ("1e300", None),
        ] {
            assert_eq!(time_ms(text), ms, "{text}");
        }
        assert_eq!(time_text(3_723_250), "1:02:03.250");
        assert_eq!(time_text(83_000), "1:23.000");
    }

    /// A time code, a region, and the anchor (or the field an error names).
    type AnchorCase = (
        Option<&'static str>,
        Option<&'static str>,
        Result<EvidenceAnchor, &'static str>,
    );

    #[test]
    fn anchors() {
        let cases: &[AnchorCase] = &[
            (None, None, Ok(EvidenceAnchor::Whole)),
            (
                Some("1:23-1:30"),
                None,
                Ok(EvidenceAnchor::TimeCode {
                    start_ms: 83_000,
                    end_ms: Some(90_000),
                }),
            ),
            (Some("1:30-1:23"), None, Err("time")),
            (Some("soon"), None, Err("time")),
            (
                None,
                Some("1,2,30,40"),
                Ok(EvidenceAnchor::Region {
                    x: 1,
                    y: 2,
                    width: 30,
                    height: 40,
                }),
            ),
            (None, Some("1,2,0,40"), Err("region")),
        ];
        for (time, region, want) in cases {
            match (anchor(*time, *region), want) {
                (Ok(a), Ok(w)) => assert_eq!(&a, w),
                (Err(e), Err(field)) => assert_eq!(e.field(), Some(*field)),
                (got, want) => panic!("{time:?} {region:?}: {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn retrieval_times() {
        for (text, ok) in [
            ("2014-06-12T09:30:00Z", true),
            ("2014-06-12T09:30:00.5+03:00", true),
            ("2014-06-12 09:30:00Z", false),
            ("2014-06-12T09:30:00", false),
            ("yesterday", false),
            ("2014-06-1éT09:30:00Zé", false),
            ("2014-13-45T25:61:61Z", false),
            ("2014-02-30T10:00:00Z", true),
            ("", false),
        ] {
            assert_eq!(looks_like_rfc3339(text), ok, "{text}");
        }
    }
}
