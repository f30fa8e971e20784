//! Markings: what is stamped, engraved or printed on a weapon, its parts or its packaging, as the
//! investigator read it. One item carries many markings.

use serde::{Deserialize, Serialize};

use crate::vocab::vocabulary;

vocabulary! {
    "marking position",
    /// Where on the weapon (or its packaging or ammunition) a marking is.
    MarkingPosition {
        Receiver => "receiver",
        Barrel => "barrel",
        Bolt => "bolt",
        BoltCarrier => "bolt_carrier",
        Trunnion => "trunnion",
        DustCover => "dust_cover",
        Magazine => "magazine",
        Stock => "stock",
        Grip => "grip",
        Slide => "slide",
        Frame => "frame",
        Sight => "sight",
        Tube => "tube",
        Packaging => "packaging",
        Headstamp => "headstamp",
        Other => "other",
    }
}

vocabulary! {
    "script",
    /// The writing system a marking is in.
    Script {
        Latin => "latin",
        Cyrillic => "cyrillic",
        Arabic => "arabic",
        Persian => "persian",
        Chinese => "chinese",
        Korean => "korean",
        Hebrew => "hebrew",
        Greek => "greek",
        Digits => "digits",
        Other => "other",
    }
}

vocabulary! {
    "symbol",
    /// A symbol that encloses or accompanies the text, often the factory's mark.
    EnclosingSymbol {
        Triangle => "triangle",
        Oval => "oval",
        Circle => "circle",
        DoubleCircle => "double_circle",
        Rhombus => "rhombus",
        Square => "square",
        Star => "star",
        Arrow => "arrow",
        ArrowInTriangle => "arrow_in_triangle",
        Shield => "shield",
        Other => "other",
    }
}

/// How well one character of a marking could be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Legibility {
    Clear,
    /// Read, but could be another character (worn, or a confusable like 0/O).
    Uncertain,
    /// Could not be read; the text shows `?`.
    Unreadable,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkingError {
    #[error("the mask has {got} marks but the text '{text}' has {expected} characters")]
    LegibilityLength {
        text: String,
        expected: usize,
        got: usize,
    },
    #[error("'{0}' in the mask: use '.' (clear), '~' (uncertain) or '?' (unreadable)")]
    LegibilityMark(char),
    #[error("character {position} of '{text}' is '?' but not marked unreadable")]
    UnmarkedQuestionMark { text: String, position: usize },
    #[error("a marking needs text as read: use '?' for each unreadable character")]
    Empty,
}

/// One marking as read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marking {
    pub position: MarkingPosition,
    pub script: Script,
    /// The text exactly as read, in its own script; `?` stands for each unreadable character.
    pub text: String,
    /// A Latin transliteration when the script is not Latin ("ТПЗ" -> "TPZ").
    pub transliteration: Option<String>,
    pub symbol: Option<EnclosingSymbol>,
    /// One entry per character of `text`.
    pub legibility: Vec<Legibility>,
}

impl Marking {
    /// A marking whose legibility follows from its text: `?` unreadable, the rest clear.
    pub fn read(
        position: MarkingPosition,
        script: Script,
        text: &str,
    ) -> Result<Marking, MarkingError> {
        Marking::with_mask(position, script, text, None)
    }

    /// A marking with an explicit per-character mask: `.` clear, `~` uncertain, `?` unreadable,
    /// e.g. text `56-1?2` with mask `...~?.`.
    pub fn with_mask(
        position: MarkingPosition,
        script: Script,
        text: &str,
        mask: Option<&str>,
    ) -> Result<Marking, MarkingError> {
        if text.trim().is_empty() {
            return Err(MarkingError::Empty);
        }
        let chars: Vec<char> = text.chars().collect();
        let legibility = match mask {
            None => chars
                .iter()
                .map(|&c| {
                    if c == '?' {
                        Legibility::Unreadable
                    } else {
                        Legibility::Clear
                    }
                })
                .collect(),
            Some(mask) => {
                let marks: Vec<char> = mask.chars().collect();
                if marks.len() != chars.len() {
                    return Err(MarkingError::LegibilityLength {
                        text: text.into(),
                        expected: chars.len(),
                        got: marks.len(),
                    });
                }
                let mut v = Vec::with_capacity(marks.len());
                for (i, (&m, &c)) in marks.iter().zip(&chars).enumerate() {
                    let l = match m {
                        '.' => Legibility::Clear,
                        '~' => Legibility::Uncertain,
                        '?' => Legibility::Unreadable,
                        other => return Err(MarkingError::LegibilityMark(other)),
                    };
                    if c == '?' && l != Legibility::Unreadable {
                        return Err(MarkingError::UnmarkedQuestionMark {
                            text: text.into(),
                            position: i + 1,
                        });
                    }
                    v.push(l);
                }
                v
            }
        };
        Ok(Marking {
            position,
            script,
            text: text.to_string(),
            transliteration: None,
            symbol: None,
            legibility,
        })
    }

    /// The legibility as a mask string (`.`, `~`, `?`), the inverse of [`Marking::with_mask`].
    pub fn mask(&self) -> String {
        self.legibility
            .iter()
            .map(|l| match l {
                Legibility::Clear => '.',
                Legibility::Uncertain => '~',
                Legibility::Unreadable => '?',
            })
            .collect()
    }

    /// How many characters could not be read.
    pub fn unreadable_count(&self) -> usize {
        self.legibility
            .iter()
            .filter(|l| **l == Legibility::Unreadable)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legibility_masks() {
        use MarkingPosition::Receiver;
        use Script::{Cyrillic, Latin};
        for (script, text, mask, expected) in [
            (Latin, "56-1?23", None, "ok ....?.. unreadable 1"),
            (Latin, "56-1?23", Some("...~?.."), "ok ...~?.. unreadable 1"),
            (Cyrillic, "ТПЗ", Some("..~"), "ok ..~ unreadable 0"),
            (
                Latin,
                "AB",
                Some("..."),
                "error the mask has 3 marks but the text 'AB' has 2 characters",
            ),
            (
                Latin,
                "AB",
                Some(".x"),
                "error 'x' in the mask: use '.' (clear), '~' (uncertain) or '?' (unreadable)",
            ),
            (
                Latin,
                "A?",
                Some(".."),
                "error character 2 of 'A?' is '?' but not marked unreadable",
            ),
            (
                Latin,
                "  ",
                None,
                "error a marking needs text as read: use '?' for each unreadable character",
            ),
        ] {
            let got = match Marking::with_mask(Receiver, script, text, mask) {
                Ok(m) => format!("ok {} unreadable {}", m.mask(), m.unreadable_count()),
                Err(e) => format!("error {e}"),
            };
            assert_eq!(got, expected, "{text} {mask:?}");
        }
    }

    #[test]
    fn vocabularies_parse_their_own_words() {
        for p in MarkingPosition::ALL {
            assert_eq!(p.as_str().parse::<MarkingPosition>().as_ref(), Ok(p));
        }
        for s in EnclosingSymbol::ALL {
            assert_eq!(s.as_str().parse::<EnclosingSymbol>().as_ref(), Ok(s));
        }
        assert_eq!(
            "hexagon".parse::<EnclosingSymbol>().err().as_deref(),
            Some(
                "unknown symbol 'hexagon': use one of triangle, oval, circle, double_circle, rhombus, square, star, arrow, arrow_in_triangle, shield, other"
            )
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            /// Any text and mask check or fail with a typed error, never a panic; a marking that
            /// checks has one legibility mark per character and gives its mask back.
            #[test]
            fn any_text_and_mask_check_or_fail_cleanly(
                text in prop_oneof![any::<String>(), "[A-Z0-9?~. -]{0,12}", "[ТПЗ٥٦?]{0,6}"],
                mask in proptest::option::of(prop_oneof![any::<String>(), "[.~?]{0,12}"]),
            ) {
                match Marking::with_mask(MarkingPosition::Receiver, Script::Latin, &text, mask.as_deref()) {
                    Ok(m) => {
                        prop_assert_eq!(m.legibility.len(), text.chars().count());
                        if let Some(mask) = &mask {
                            prop_assert_eq!(&m.mask(), mask);
                        }
                        prop_assert!(m.unreadable_count() >= text.chars().filter(|c| *c == '?').count());
                    }
                    Err(
                        MarkingError::Empty
                        | MarkingError::LegibilityLength { .. }
                        | MarkingError::LegibilityMark(_)
                        | MarkingError::UnmarkedQuestionMark { .. },
                    ) => {}
                }
            }
        }
    }
}
