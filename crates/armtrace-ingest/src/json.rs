//! JSON as the native JSONL formats read it: objects keep every key in the order written, so a
//! key given twice is seen and refused (serde_json's map keeps only the last value, silently).

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A JSON value whose objects keep all their entries.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    /// The value as text for a text field: strings as they are, numbers and booleans as
    /// written, null as nothing. Objects and arrays are not text (`Err` names what it is).
    pub(crate) fn as_text(&self) -> Result<Option<String>, &'static str> {
        match self {
            Node::Null => Ok(None),
            Node::String(s) => Ok(Some(s.clone())),
            Node::Number(n) => Ok(Some(n.to_string())),
            Node::Bool(b) => Ok(Some(b.to_string())),
            Node::Array(_) => Err("an array"),
            Node::Object(_) => Err("an object"),
        }
    }
}

/// The entries of one JSON object (a line of a JSONL file); `Err` says why it is not one.
pub(crate) fn object(line: &str) -> Result<Vec<(String, Node)>, String> {
    match serde_json::from_str::<Node>(line) {
        Ok(Node::Object(entries)) => Ok(entries),
        Ok(_) => Err("a JSON value, but not an object: each line holds one {…}".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// The first key that an object gives twice.
pub(crate) fn repeated_key(entries: &[(String, Node)]) -> Option<&str> {
    entries.iter().enumerate().find_map(|(i, (k, _))| {
        entries[..i]
            .iter()
            .any(|(earlier, _)| earlier == k)
            .then_some(k.as_str())
    })
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Node, E> {
        serde_json::Number::from_f64(n)
            .map(Node::Number)
            .ok_or_else(|| E::custom("a number JSON cannot hold"))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(Node::String(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Node, E> {
        Ok(Node::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut v = Vec::new();
        while let Some(n) = seq.next_element()? {
            v.push(n);
        }
        Ok(Node::Array(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut v = Vec::new();
        while let Some((k, n)) = map.next_entry::<String, Node>()? {
            v.push((k, n));
        }
        Ok(Node::Object(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_every_key() {
        for (line, expected) in [
            (r#"{"a":1,"b":"x"}"#, "ok a,b repeated -"),
            (r#"{"a":1,"a":2}"#, "ok a,a repeated a"),
            (r#"{"m":[{"p":1,"p":2}]}"#, "ok m repeated -"),
            (
                "[1]",
                "error a JSON value, but not an object: each line holds one {…}",
            ),
            ("not json", "error expected ident at line 1 column 2"),
            (
                r#"{"a":1e999}"#,
                "error number out of range at line 1 column 10",
            ),
        ] {
            let got = match object(line) {
                Ok(e) => format!(
                    "ok {} repeated {}",
                    e.iter()
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    repeated_key(&e).unwrap_or("-")
                ),
                Err(e) => format!("error {e}"),
            };
            assert_eq!(got, expected, "{line}");
        }
    }

    #[test]
    fn values_as_text() {
        for (line, expected) in [
            (r#"{"v":"s"}"#, Ok(Some("s"))),
            (r#"{"v":2015}"#, Ok(Some("2015"))),
            (r#"{"v":36.5}"#, Ok(Some("36.5"))),
            (r#"{"v":true}"#, Ok(Some("true"))),
            (r#"{"v":null}"#, Ok(None)),
            (r#"{"v":[1]}"#, Err("an array")),
            (r#"{"v":{"x":1}}"#, Err("an object")),
        ] {
            let entries = object(line).unwrap_or_else(|e| panic!("{e}"));
            let expected = expected.map(|o| o.map(str::to_string));
            assert_eq!(entries[0].1.as_text(), expected, "{line}");
        }
    }
}
