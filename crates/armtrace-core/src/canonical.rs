//! Canonical JSON (RFC 8785, the JSON Canonicalization Scheme): one byte sequence for one JSON
//! value, so that a hash over it does not depend on key order, spacing or number spelling.
//! Object keys are sorted by their UTF-16 code units, strings use the minimal escapes, and
//! numbers are written as ECMAScript writes an IEEE 754 double.

use serde_json::Value;
use std::cmp::Ordering;

/// The canonical form of `value`.
///
/// ```
/// let v = serde_json::json!({"b": [1, 2.50, "é"], "a": null});
/// assert_eq!(armtrace_core::canonical::to_string(&v), r#"{"a":null,"b":[1,2.5,"é"]}"#);
/// ```
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| utf16_order(a.0, b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

/// RFC 8785 §3.2.3: keys compare as arrays of UTF-16 code units.
fn utf16_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// RFC 8785 §3.2.2.2: the ECMAScript `JSON.stringify` escapes and nothing more.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Integers up to 2^53 are exact doubles and print as themselves; everything else goes through
/// the double it denotes, as in ECMAScript.
fn write_number(out: &mut String, n: &serde_json::Number) {
    const EXACT: u64 = 1 << 53;
    if let Some(u) = n.as_u64().filter(|u| *u <= EXACT) {
        out.push_str(&u.to_string());
    } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= EXACT) {
        out.push_str(&i.to_string());
    } else {
        out.push_str(&format_double(n.as_f64().unwrap_or(0.0)));
    }
}

/// ECMAScript's Number::toString for a finite double (ECMA-262 §6.1.6.1.20), from the shortest
/// round-tripping digits (which `ryu` finds).
pub fn format_double(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        // -0 prints as 0; NaN and infinities cannot occur in a serde_json value.
        return "0".into();
    }
    if x < 0.0 {
        return format!("-{}", format_double(-x));
    }
    let mut buf = ryu::Buffer::new();
    let shortest = buf.format_finite(x);
    let (mantissa, exp) = match shortest.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (shortest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // value = 0.DIGITS × 10^n
    let mut digits: String = format!("{int}{frac}");
    let mut n = int.len() as i32 + exp;
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    n -= leading as i32;
    let trimmed = digits.trim_end_matches('0').len();
    digits.truncate(trimmed);
    let k = digits.len() as i32;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (a, b) = digits.split_at(n as usize);
        format!("{a}.{b}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{first}{dot}{rest}e{sign}{}", e.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(json: &str) -> String {
        let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        to_string(&v)
    }

    /// RFC 8785 §3.2.2 and §3.2.3: the worked examples.
    #[test]
    fn rfc_8785_examples() {
        let input = r#"{
            "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
            "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
            "literals": [null, true, false]
        }"#;
        assert_eq!(
            canon(input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
        let sorting = r#"{
            "\u20ac": "Euro Sign",
            "\r": "Carriage Return",
            "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\ud83d\ude00": "Emoji: Grinning Face",
            "\u0080": "Control",
            "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        // The values name the keys; read them back in the order the keys were written.
        let text = canon(sorting);
        let values: Vec<&str> = text
            .split("\":\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap_or(""))
            .collect();
        assert_eq!(
            values,
            [
                "Carriage Return",
                "One",
                "Control",
                "Latin Small Letter O With Diaeresis",
                "Euro Sign",
                "Emoji: Grinning Face",
                "Hebrew Letter Dalet With Dagesh"
            ]
        );
    }

    /// RFC 8785 Appendix B: IEEE 754 doubles (as bit patterns) and their canonical text.
    #[test]
    fn rfc_8785_number_examples() {
        let cases: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x3eb0c6f7a0b5ed8e, "0.0000010000000000000002"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, want) in cases {
            let x = f64::from_bits(*bits);
            assert_eq!(format_double(x), *want, "{bits:#018x}");
        }
    }

    #[test]
    fn integers_and_nesting() {
        for (input, want) in [
            ("[1, -1, 0, 9007199254740992]", "[1,-1,0,9007199254740992]"),
            ("[9007199254740993]", "[9007199254740992]"),
            ("[1.0, 100, 1e2, -0.0]", "[1,100,100,0]"),
            (
                r#"{"b":{"d":1,"c":[]},"a":{}}"#,
                r#"{"a":{},"b":{"c":[],"d":1}}"#,
            ),
            (
                r#""tab\there \u001f \u007f""#,
                "\"tab\\there \\u001f \u{7f}\"",
            ),
        ] {
            assert_eq!(canon(input), want, "{input}");
        }
    }
}
