//! The crate's errors: a pattern that cannot be searched, and an index file that cannot be read.

/// A search pattern that cannot be searched. Messages say what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the pattern is empty: give the serial as read, with ? for each unreadable character")]
    Empty,
    #[error(
        "the pattern has no character read clearly: give at least one character as read (? and * stand for unreadable ones, ~ in the mask for uncertain ones)"
    )]
    AllWildcards,
    #[error(
        "a fragment needs at least {min} characters, this one has {len}: give more of the serial, or search it as a serial with wildcards (? for each missing character)"
    )]
    FragmentTooShort { len: usize, min: usize },
    #[error("this range cannot be searched: {reason} (write it as AB1000..AB1999)")]
    MalformedRange { reason: &'static str },
    #[error("the pattern has {len} characters; at most {max} can be searched")]
    TooLong { len: usize, max: usize },
    #[error(
        "the legibility mask has {mask} characters but the text has {text}: give one mask character for each character of the text"
    )]
    MaskLength { text: usize, mask: usize },
    #[error(
        "the legibility mask has {found:?}: its characters are . (clear), ~ (uncertain) and ? (unreadable)"
    )]
    BadMask { found: char },
    #[error(
        "edits cannot be combined with wildcards or uncertain characters: search with wildcards, or give every character and allow edits"
    )]
    EditsWithWildcards,
    #[error(
        "edits apply to a serial as read, not to a fragment or a range: search it with no edits"
    )]
    EditsNotApplicable,
    #[error("at most 2 edits can be searched, not {0}")]
    TooManyEdits(u8),
}

/// An index file that cannot be loaded. The store is the truth: rebuild the index from it.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the serial index file cannot be read ({0}): rebuild the index from the database")]
    Io(#[from] std::io::Error),
    #[error("this is not a serial index file: rebuild the index from the database")]
    NotAnIndex,
    #[error(
        "the serial index file has format version {found}, this program reads version {supported}: rebuild the index from the database"
    )]
    UnsupportedVersion { found: u32, supported: u32 },
    #[error("the serial index file is damaged ({what}): rebuild the index from the database")]
    Damaged { what: &'static str },
}
