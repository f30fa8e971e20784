//! The one error type of armtrace. Every error a user or a program can meet has a stable
//! [`Code`] (`item.not_found`, `input.invalid`, …), the HTTP status the server answers with, a
//! message that says what to do in words that do not assume a command line, and — where they
//! apply — the field, file and line. Adapters add their own words: the CLI turns a field into its
//! flag and a [`Hint`] into the command to run; the server turns the code into a status.
//!
//! Codes never change meaning once released: a new meaning gets a new code. The snapshot test at
//! the end of this module lists every code with its status and exit code; a change to it is a
//! change to armtrace's interface.
//!
//! Libraries keep small error types of their own where that is clearer (a date that does not
//! parse, a name that does not resolve); each converts into [`Error`] with its code.

use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// How many problems an error lists; beyond that it counts them.
pub const MAX_PROBLEMS: usize = 100;

/// Declares the codes: variant, stable text, HTTP status, what it means.
macro_rules! codes {
    ($($(#[$meta:meta])* $variant:ident => $text:literal, $status:literal;)+) => {
        /// A stable error code. The text (`as_str`) is the interface: scripts and API clients
        /// match on it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($(#[$meta])* $variant),+ }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text),+ }
            }

            /// The HTTP status the server answers with.
            pub fn http_status(self) -> u16 {
                match self { $(Code::$variant => $status),+ }
            }
        }
    };
}

codes! {
    /// A value that does not parse or breaks a rule (a date, a coordinate, a marking mask).
    InputInvalid => "input.invalid", 400;
    /// A required value is missing.
    InputMissing => "input.missing", 400;
    /// A field or column armtrace does not know (a typo must never drop data silently).
    InputUnknownField => "input.unknown_field", 400;
    /// A field or column given twice.
    InputRepeatedField => "input.repeated_field", 400;
    /// A request or file larger than armtrace accepts.
    InputTooLarge => "input.too_large", 413;
    /// An edit that would change nothing.
    InputNoChange => "input.no_change", 400;
    /// A file or upload with bad records; every bad record is listed (up to 100, then a count).
    ImportInvalid => "import.invalid", 422;
    /// A file that cannot be read (missing, unreadable, not a file).
    FileUnreadable => "file.unreadable", 400;
    /// A file of a kind armtrace cannot take here (not a SIPRI export, a type it cannot strip).
    FileUnsupported => "file.unsupported", 415;
    /// A country, actor, model or category name that does not resolve.
    NameUnknown => "name.unknown", 422;
    /// A name that fits more than one record.
    NameAmbiguous => "name.ambiguous", 400;
    /// No item with this reference or id among the investigations the reader may see.
    ItemNotFound => "item.not_found", 404;
    /// A reference that fits several items (in several investigations, or an id prefix).
    ItemAmbiguous => "item.ambiguous", 400;
    /// No such evidence record (among those the reader may see).
    EvidenceNotFound => "evidence.not_found", 404;
    /// A reference that fits several evidence records.
    EvidenceAmbiguous => "evidence.ambiguous", 400;
    /// No user of that name.
    UserNotFound => "user.not_found", 404;
    /// No investigation of that name (among those the reader may see).
    InvestigationNotFound => "investigation.not_found", 404;
    /// No release or dataset of that date or name.
    ReleaseNotFound => "release.not_found", 404;
    /// A release date or name that fits several releases, or a query that must name one.
    ReleaseAmbiguous => "release.ambiguous", 400;
    /// No transfer with this id.
    TransferNotFound => "transfer.not_found", 404;
    /// No record known by that name, reference or id among those the reader may see.
    RecordNotFound => "record.not_found", 404;
    /// Nobody is named as the one who acts: armtrace never writes (or reads records) anonymously.
    AccessUnauthenticated => "access.unauthenticated", 401;
    /// The acting user does not exist.
    AccessUnknownUser => "access.unknown_user", 401;
    /// The acting user is disabled.
    AccessDisabled => "access.disabled", 403;
    /// The role, membership or tier does not allow this.
    AccessDenied => "access.denied", 403;
    /// Something of that name or content is already there.
    ConflictExists => "conflict.exists", 409;
    /// An edit made against a version that has changed since.
    ConflictStale => "conflict.stale", 409;
    /// The record's state does not allow this (a review transition, a merge of a merged sighting).
    ConflictState => "conflict.state", 409;
    /// The audit log holds entries no checkpoint signs: writes stop until it is verified.
    AuditUnsigned => "audit.unsigned", 409;
    /// The audit log or the records it vouches for do not verify.
    AuditTampered => "audit.tampered", 409;
    /// No audit key file where armtrace looked.
    AuditKeyMissing => "audit.key_missing", 503;
    /// The audit key file does not read.
    AuditKeyDamaged => "audit.key_damaged", 503;
    /// The audit key file belongs to another database.
    AuditKeyWrong => "audit.key_wrong", 503;
    /// The audit head kept outside the database does not read, or cannot be written.
    AuditHeadDamaged => "audit.head_damaged", 503;
    /// No database at the location given.
    DbMissing => "db.missing", 503;
    /// The location holds something that is not an armtrace database.
    DbNotArmtrace => "db.not_armtrace", 503;
    /// Not a database location (neither a file path nor a postgres:// URL).
    DbBadLocation => "db.bad_location", 400;
    /// The database server does not answer.
    DbUnreachable => "db.unreachable", 503;
    /// The database was written by a newer armtrace.
    DbSchemaTooNew => "db.schema_too_new", 503;
    /// The database needs migrating.
    DbSchemaOutdated => "db.schema_outdated", 503;
    /// The database exists but was never initialised.
    DbNotInitialised => "db.not_initialised", 503;
    /// Stored data no longer reads back as armtrace wrote it.
    DataCorrupt => "data.corrupt", 500;
    /// A failure inside armtrace or its database: not the user's to fix.
    Internal => "internal", 500;
}

impl Code {
    /// Whether this is armtrace's fault rather than the user's (exit code 2, HTTP 5xx that is not
    /// a configuration problem).
    pub fn is_internal(self) -> bool {
        matches!(self, Code::Internal | Code::DataCorrupt)
    }

    /// The process exit code of a command that fails with this code.
    pub fn exit_code(self) -> u8 {
        if self.is_internal() { 2 } else { 1 }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What the user can do next, said by each adapter in its own words (the CLI names a command, the
/// server a page). The message already says it plainly; a hint adds the exact step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hint {
    /// Create or migrate the database.
    RunInit,
    /// Name another database location.
    GiveDatabase,
    /// Name the audit key file made for this database.
    GiveAuditKey,
    /// Say who acts.
    GiveUser,
    /// See the users (an admin adds one).
    ListUsers,
    /// See the investigations one is a member of.
    ListInvestigations,
    /// Show the item, to see its markings and version.
    ShowItem,
    /// See the releases and datasets.
    ListReleases,
    /// Verify the audit log.
    VerifyAudit,
    /// See the names a vocabulary or list accepts (countries, models, categories).
    ListNames,
}

/// One bad record or value among several (an import lists them all).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: Code,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_place(f, self.file.as_deref(), self.line, self.field.as_deref())?;
        f.write_str(&self.message)
    }
}

fn write_place(
    f: &mut fmt::Formatter<'_>,
    file: Option<&str>,
    line: Option<u64>,
    field: Option<&str>,
) -> fmt::Result {
    match (file, line, field) {
        (Some(file), Some(line), Some(field)) => {
            write!(f, "{file}, line {line}, field '{field}': ")
        }
        (Some(file), Some(line), None) => write!(f, "{file}, line {line}: "),
        (Some(file), None, Some(field)) => write!(f, "{file}, field '{field}': "),
        (Some(file), None, None) => write!(f, "{file}: "),
        (None, Some(line), Some(field)) => write!(f, "line {line}, field '{field}': "),
        (None, Some(line), None) => write!(f, "line {line}: "),
        // A field alone is metadata: the message names what is wrong; adapters that have their
        // own name for the field (a flag, a form input) put it in front.
        (None, None, _) => Ok(()),
    }
}

/// The error of every armtrace operation. One pointer wide: errors travel through every
/// `Result` of the program.
#[derive(Clone, Debug)]
pub struct Error(Box<Inner>);

#[derive(Clone, Debug)]
struct Inner {
    code: Code,
    message: String,
    field: Option<String>,
    file: Option<String>,
    line: Option<u64>,
    hint: Option<Hint>,
    problems: Vec<Problem>,
    /// Problems found beyond the listed ones.
    more_problems: u64,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            code,
            message: message.into(),
            field: None,
            file: None,
            line: None,
            hint: None,
            problems: Vec::new(),
            more_problems: 0,
            source: None,
        }))
    }

    /// `input.invalid` for `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Error {
        Error::new(Code::InputInvalid, message).with_field(field)
    }

    /// `input.missing` for `field`.
    pub fn missing(field: &str, message: impl Into<String>) -> Error {
        Error::new(Code::InputMissing, message).with_field(field)
    }

    /// A failure inside armtrace, keeping its cause.
    pub fn internal(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::new(Code::Internal, message).with_source(source)
    }

    /// Stored data that no longer reads back.
    pub fn corrupt(message: impl Into<String>) -> Error {
        Error::new(Code::DataCorrupt, message)
    }

    /// An import refused because of `problems` (every one found, listed up to [`MAX_PROBLEMS`];
    /// `total` counts them all). The message names the first and how many there are.
    pub fn import(file: &str, mut problems: Vec<Problem>, total: u64) -> Error {
        let total = total.max(problems.len() as u64);
        problems.truncate(MAX_PROBLEMS);
        let more_problems = total - problems.len() as u64;
        let mut error = match problems.first() {
            Some(p) if total == 1 => {
                let mut e = Error::new(
                    Code::ImportInvalid,
                    format!("{}; nothing was imported from {file}", p.message),
                );
                e.0.field = p.field.clone();
                e.0.line = p.line;
                e
            }
            Some(p) => {
                let place = Problem {
                    file: None,
                    ..p.clone()
                };
                Error::new(
                    Code::ImportInvalid,
                    format!(
                        "{total} bad records, so nothing was imported from it; fix them all and import it again. The first: {place}"
                    ),
                )
            }
            None => Error::new(Code::ImportInvalid, "bad records; nothing was imported"),
        };
        error.0.problems = problems;
        error.0.more_problems = more_problems;
        error.with_file(file)
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Error {
        self.0.field = Some(field.into());
        self
    }

    pub fn with_file(mut self, file: impl Into<String>) -> Error {
        self.0.file = Some(file.into());
        self
    }

    pub fn with_line(mut self, line: u64) -> Error {
        self.0.line = Some(line);
        self
    }

    pub fn with_hint(mut self, hint: Hint) -> Error {
        self.0.hint = Some(hint);
        self
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.0.source = Some(Arc::new(source));
        self
    }

    /// The same error with its message prefixed by `context` (what was being done).
    pub fn context(mut self, context: impl fmt::Display) -> Error {
        self.0.message = format!("{context}: {}", self.0.message);
        self
    }

    /// The same error with a second failure noted after it (a write that failed, and whose
    /// partial work could not be signed either).
    pub fn and(mut self, other: &Error) -> Error {
        self.0.message = format!("{}; also: {other}", self.0.message);
        self
    }

    pub fn code(&self) -> Code {
        self.0.code
    }

    /// The message alone, without file, line and field.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    pub fn file(&self) -> Option<&str> {
        self.0.file.as_deref()
    }

    pub fn line(&self) -> Option<u64> {
        self.0.line
    }

    pub fn hint(&self) -> Option<Hint> {
        self.0.hint
    }

    /// Every bad record of an import (up to [`MAX_PROBLEMS`]).
    pub fn problems(&self) -> &[Problem] {
        &self.0.problems
    }

    /// How many problems were found beyond those listed.
    pub fn more_problems(&self) -> u64 {
        self.0.more_problems
    }

    /// The error as the JSON object adapters print or send:
    /// `{"code", "message", "field", "file", "line", "hint", "problems", "more_problems"}`
    /// (absent values left out).
    pub fn to_json(&self) -> serde_json::Value {
        let mut o = serde_json::Map::new();
        o.insert("code".into(), self.0.code.as_str().into());
        o.insert("message".into(), self.0.message.clone().into());
        if let Some(f) = &self.0.field {
            o.insert("field".into(), f.clone().into());
        }
        if let Some(f) = &self.0.file {
            o.insert("file".into(), f.clone().into());
        }
        if let Some(l) = self.0.line {
            o.insert("line".into(), l.into());
        }
        if let Some(h) = self.0.hint {
            o.insert("hint".into(), serde_json::to_value(h).unwrap_or_default());
        }
        if !self.0.problems.is_empty() {
            o.insert(
                "problems".into(),
                serde_json::to_value(&self.0.problems).unwrap_or_default(),
            );
            o.insert("more_problems".into(), self.0.more_problems.into());
        }
        serde_json::Value::Object(o)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_place(
            f,
            self.0.file.as_deref(),
            self.0.line,
            self.0.field.as_deref(),
        )?;
        f.write_str(&self.0.message)?;
        if let Some(s) = &self.0.source {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// `Result` with armtrace's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn every_code_with_its_status_and_exit_code() {
        let table: String = Code::ALL
            .iter()
            .map(|c| format!("{:<24} {} {}\n", c.as_str(), c.http_status(), c.exit_code()))
            .collect();
        expect![[r#"
            input.invalid            400 1
            input.missing            400 1
            input.unknown_field      400 1
            input.repeated_field     400 1
            input.too_large          413 1
            input.no_change          400 1
            import.invalid           422 1
            file.unreadable          400 1
            file.unsupported         415 1
            name.unknown             422 1
            name.ambiguous           400 1
            item.not_found           404 1
            item.ambiguous           400 1
            evidence.not_found       404 1
            evidence.ambiguous       400 1
            user.not_found           404 1
            investigation.not_found  404 1
            release.not_found        404 1
            release.ambiguous        400 1
            transfer.not_found       404 1
            record.not_found         404 1
            access.unauthenticated   401 1
            access.unknown_user      401 1
            access.disabled          403 1
            access.denied            403 1
            conflict.exists          409 1
            conflict.stale           409 1
            conflict.state           409 1
            audit.unsigned           409 1
            audit.tampered           409 1
            audit.key_missing        503 1
            audit.key_damaged        503 1
            audit.key_wrong          503 1
            audit.head_damaged       503 1
            db.missing               503 1
            db.not_armtrace          503 1
            db.bad_location          400 1
            db.unreachable           503 1
            db.schema_too_new        503 1
            db.schema_outdated       503 1
            db.not_initialised       503 1
            data.corrupt             500 2
            internal                 500 2
        "#]]
        .assert_eq(&table);
    }

    #[test]
    fn codes_are_unique_and_dotted() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            let s = c.as_str();
            assert!(
                s.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '.' || ch == '_'),
                "{s}"
            );
        }
    }

    #[test]
    fn display_names_file_line_and_field() {
        let cases = [
            (
                Error::invalid("lat", "91 is not a latitude"),
                "91 is not a latitude",
            ),
            (
                Error::invalid("kind", "missing")
                    .with_file("a.csv")
                    .with_line(3),
                "a.csv, line 3, field 'kind': missing",
            ),
            (
                Error::new(Code::FileUnreadable, "cannot read it").with_file("a.csv"),
                "a.csv: cannot read it",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.to_string(), want);
        }
    }

    #[test]
    fn an_import_lists_its_problems_and_counts_the_rest() {
        let p = |line| Problem {
            code: Code::InputInvalid,
            message: "bad year".into(),
            field: Some("year".into()),
            file: Some("t.csv".into()),
            line: Some(line),
        };
        let e = Error::import("t.csv", (1..=150).map(p).collect(), 150);
        assert_eq!(e.problems().len(), MAX_PROBLEMS);
        assert_eq!(e.more_problems(), 50);
        assert_eq!(
            e.to_string(),
            "t.csv: 150 bad records, so nothing was imported from it; fix them all and import it again. The first: line 1, field 'year': bad year"
        );
        let one = Error::import("t.csv", vec![p(4)], 1);
        assert_eq!(
            one.to_string(),
            "t.csv, line 4, field 'year': bad year; nothing was imported from t.csv"
        );
        assert_eq!(one.to_json()["problems"][0]["line"], 4);
    }
}
