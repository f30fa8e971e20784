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
