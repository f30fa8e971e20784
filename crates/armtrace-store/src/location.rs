//! Where a database lives: a SQLite file path or a PostgreSQL URL.

use crate::StoreError;
use std::fmt;
use std::path::PathBuf;

#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    /// The full URL, password included; [`fmt::Display`] hides the password.
    Postgres(String),
}

impl Location {
    /// Parses `postgres://…`/`postgresql://…`, `sqlite:PATH`, or a plain file path.
    ///
    /// ```
    /// use armtrace_store::Location;
    /// let field = Location::parse("field-laptop.db").unwrap();
    /// assert_eq!(field.to_string(), "field-laptop.db");
    /// let shared = Location::parse("postgres://analyst:secret@db/armtrace").unwrap();
    /// assert_eq!(shared.to_string(), "postgres://analyst:***@db/armtrace");
    /// ```
    pub fn parse(s: &str) -> Result<Location, StoreError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(crate::error::bad_location(s));
        }
        if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            return Ok(Location::Postgres(t.to_string()));
        }
        let path = t
            .strip_prefix("sqlite://")
            .or_else(|| t.strip_prefix("sqlite:"))
            .unwrap_or(t);
        if path.is_empty() || path.contains("://") {
            return Err(crate::error::bad_location(s));
        }
        Ok(Location::Sqlite(PathBuf::from(path)))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locations() {
        for (input, expected) in [
            ("armtrace.db", "sqlite armtrace.db"),
            ("sqlite:field.db", "sqlite field.db"),
            ("sqlite:///tmp/x.db", "sqlite /tmp/x.db"),
            (
                "postgres://root@127.0.0.1/test",
                "postgres postgres://root@127.0.0.1/test",
            ),
            (
                "postgresql://u:pw@h:5432/db",
                "postgres postgresql://u:***@h:5432/db",
            ),
            ("", "error"),
            ("mysql://x", "error"),
        ] {
            let got = match Location::parse(input) {
                Ok(l @ Location::Sqlite(_)) => format!("sqlite {l}"),
                Ok(l @ Location::Postgres(_)) => format!("postgres {l}"),
                Err(_) => "error".to_string(),
            };
            assert_eq!(got, expected, "{input}");
        }
    }
}
