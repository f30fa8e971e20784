//! Import errors: each names the file, the line and the field, and says what was wrong.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("{file}, line {line}, field '{field}': {message}")]
    Field {
        file: String,
        line: u64,
        field: String,
        message: String,
    },
    #[error("{file}, line {line}: {message}")]
    Line {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
}

impl IngestError {
    pub fn field(file: &str, line: u64, field: &str, message: impl Into<String>) -> IngestError {
        IngestError::Field {
            file: file.to_string(),
            line,
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn line(file: &str, line: u64, message: impl Into<String>) -> IngestError {
        IngestError::Line {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }

    pub fn file(file: &str, message: impl Into<String>) -> IngestError {
        IngestError::File {
            file: file.to_string(),
            message: message.into(),
        }
    }
}

impl IngestError {
    /// The bad record as one problem of an import.
    pub fn problem(&self) -> armtrace_core::error::Problem {
        use armtrace_core::error::{Code, Problem};
        let (file, line, field, message) = match self {
            IngestError::Field {
                file,
                line,
                field,
                message,
            } => (file, Some(*line), Some(field.clone()), message),
            IngestError::Line {
                file,
                line,
                message,
            } => (file, Some(*line), None, message),
            IngestError::File { file, message } => (file, None, None, message),
        };
        Problem {
            code: Code::InputInvalid,
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
impl From<IngestError> for armtrace_core::error::Error {
    fn from(e: IngestError) -> armtrace_core::error::Error {
        armtrace_core::error::Error::import(e.file_name(), vec![e.problem()], 1)
    }
}
