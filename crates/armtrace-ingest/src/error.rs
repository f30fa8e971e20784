//! Import errors: each names the file, the line and the field, says what was wrong and carries
//! its stable [`Code`]. [`Problems`] gathers every bad record of one file, so that an import
//! refused lists them all (up to [`MAX_PROBLEMS`], then a count) and a user fixes the file in
//! one pass.

use armtrace_core::error::{Code, Error, MAX_PROBLEMS, Problem};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("{file}, line {line}, field '{field}': {message}")]
    Field {
        file: String,
        line: u64,
        field: String,
        message: String,
        code: Code,
    },
    #[error("{file}, line {line}: {message}")]
    Line {
        file: String,
        line: u64,
        message: String,
        code: Code,
    },
    #[error("{file}: {message}")]
    File {
        file: String,
        message: String,
        code: Code,
    },
}

impl IngestError {
    /// A bad value of `field` (`input.invalid`; [`IngestError::with_code`] says otherwise).
    pub fn field(file: &str, line: u64, field: &str, message: impl Into<String>) -> IngestError {
        IngestError::Field {
            file: file.to_string(),
            line,
            field: field.to_string(),
            message: message.into(),
            code: Code::InputInvalid,
        }
    }

    /// A bad line as a whole (the wrong number of fields, not JSON).
    pub fn line(file: &str, line: u64, message: impl Into<String>) -> IngestError {
        IngestError::Line {
            file: file.to_string(),
            line,
            message: message.into(),
            code: Code::InputInvalid,
        }
    }

    /// A bad file as a whole (no header, no records).
    pub fn file(file: &str, message: impl Into<String>) -> IngestError {
        IngestError::File {
            file: file.to_string(),
            message: message.into(),
            code: Code::InputInvalid,
        }
    }

    /// The same error with another code (`input.missing`, `input.repeated_field`, …).
    pub fn with_code(mut self, new: Code) -> IngestError {
        match &mut self {
            IngestError::Field { code, .. }
            | IngestError::Line { code, .. }
            | IngestError::File { code, .. } => *code = new,
        }
        self
    }

    pub fn code(&self) -> Code {
        match self {
            IngestError::Field { code, .. }
            | IngestError::Line { code, .. }
            | IngestError::File { code, .. } => *code,
        }
    }

    /// The bad record as one problem of an import.
    pub fn problem(&self) -> Problem {
        let (file, line, field, message, code) = match self {
            IngestError::Field {
                file,
                line,
                field,
                message,
                code,
            } => (file, Some(*line), Some(field.clone()), message, *code),
            IngestError::Line {
                file,
                line,
                message,
                code,
            } => (file, Some(*line), None, message, *code),
            IngestError::File {
                file,
                message,
                code,
            } => (file, None, None, message, *code),
        };
        Problem {
            code,
            message: message.clone(),
            field,
            file: Some(file.clone()),
            line,
        }
    }

    pub fn file_name(&self) -> &str {
        match self {
            IngestError::Field { file, .. }
            | IngestError::Line { file, .. }
            | IngestError::File { file, .. } => file,
        }
    }
}

/// A refused file is `import.invalid`, with the bad record as its problem.
impl From<IngestError> for Error {
    fn from(e: IngestError) -> Error {
        Error::import(e.file_name(), vec![e.problem()], 1)
    }
}

/// Every bad record found in one file: the first [`MAX_PROBLEMS`] kept, the rest counted.
/// Parsers keep going after a bad record where the format allows, pushing each problem here,
/// and [`Problems::finish`] refuses the file when there is any.
#[derive(Debug)]
pub struct Problems {
    file: String,
    list: Vec<Problem>,
    total: u64,
}

impl Problems {
    pub fn new(file: &str) -> Problems {
        Problems {
            file: file.to_string(),
            list: Vec::new(),
            total: 0,
        }
    }

    pub fn push(&mut self, e: IngestError) {
        self.push_problem(e.problem());
    }

    pub fn push_problem(&mut self, p: Problem) {
        self.total += 1;
        self.list.push(p);
        if self.list.len() >= 2 * MAX_PROBLEMS {
            self.keep_first_lines();
        }
    }

    /// The problems in line order (a file's own first, then by line; those of one line as
    /// found), at most [`MAX_PROBLEMS`] of them: the earliest lines, whatever order a parser
    /// found them in.
    fn keep_first_lines(&mut self) {
        self.list.sort_by_key(|p| p.line);
        self.list.truncate(MAX_PROBLEMS);
    }

    /// The value of a check that passed; a failed one is pushed and gives `None`.
    pub fn check<T>(&mut self, r: Result<T, IngestError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    /// How many problems were found (listed or not).
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The problems found so far, then `last` (a damage that stops the file), as one error.
    pub fn stop(mut self, last: IngestError) -> Error {
        self.push(last);
        self.into_error()
    }

    /// `import.invalid` listing the problems in line order (there must be at least one).
    pub fn into_error(mut self) -> Error {
        self.keep_first_lines();
        Error::import(&self.file, self.list, self.total)
    }

    /// `value` when nothing was wrong, else the error listing every problem.
    pub fn finish<T>(self, value: T) -> Result<T, Error> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self.into_error())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_listed_up_to_the_limit_then_counted() {
        let mut p = Problems::new("f.csv");
        assert!(p.check(Ok::<_, IngestError>(1)).is_some());
        for line in 1..=150 {
            let e = IngestError::field("f.csv", line, "year", "bad");
            assert!(p.check(Err::<(), _>(e)).is_none());
        }
        p.push(IngestError::field("f.csv", 151, "kind", "missing").with_code(Code::InputMissing));
        let e = p.finish(()).err().unwrap_or_else(|| panic!("no error"));
        assert_eq!(e.code(), Code::ImportInvalid);
        assert_eq!(e.problems().len(), MAX_PROBLEMS);
        assert_eq!(e.more_problems(), 51);
        assert_eq!(
            e.problems()[0].to_string(),
            "f.csv, line 1, field 'year': bad"
        );
        // Listed in line order, the earliest kept, however they were found.
        let mut p = Problems::new("h.csv");
        for line in (1..=300).rev() {
            p.push(IngestError::line("h.csv", line, "bad"));
        }
        p.push(IngestError::file("h.csv", "and the file"));
        let e = p.into_error();
        let lines: Vec<Option<u64>> = e.problems().iter().map(|p| p.line).collect();
        assert_eq!(lines.len(), MAX_PROBLEMS);
        assert_eq!((lines[0], lines[1], lines[99]), (None, Some(1), Some(99)));
        assert_eq!(e.more_problems(), 201);
        let one = Problems::new("g.csv").stop(IngestError::file("g.csv", "no records"));
        assert_eq!(
            one.to_string(),
            "g.csv: no records; nothing was imported from g.csv"
        );
    }
}
