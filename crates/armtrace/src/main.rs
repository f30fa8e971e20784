//! The `armtrace` command line: parses arguments, calls the library crates, and is the only part
//! of armtrace that writes to the terminal.
//!
//! Exit codes: 0 success, 1 a user error (the message says what to do), 2 an internal failure.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod commands;
mod output;

/// mimalloc rather than the system allocator: an import allocates records on its parser thread
/// and frees them on the writer's, which glibc's malloc makes several times slower.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use std::process::ExitCode;

/// An error the user can fix; its message says how. Exit code 1.
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// Whether the user can fix the error (exit 1) rather than it being armtrace's fault (exit 2).
pub(crate) fn is_user_error(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.is::<UserError>()
            || cause
                .downcast_ref::<armtrace_store::StoreError>()
                .is_some_and(|s| s.is_user_error())
            || cause
                .downcast_ref::<armtrace_core::Error>()
                .is_some_and(|s| !s.code().is_internal())
    })
}

/// The step a hint names, in the command line's words.
pub(crate) fn hint_text(hint: armtrace_core::Hint) -> &'static str {
    use armtrace_core::Hint;
    match hint {
        Hint::RunInit => "run `armtrace init` (give --db for another database)",
        Hint::GiveDatabase => "give another --db path",
        Hint::GiveAuditKey => "give --audit-key the key file made for this database",
        Hint::GiveUser => "pass --as NAME or set ARMTRACE_USER=NAME",
        Hint::ListUsers => {
            "`armtrace user list` shows the users; an admin adds one with `armtrace user add`"
        }
        Hint::ListInvestigations => "`armtrace investigation list` shows yours",
        Hint::ShowItem => "`armtrace items show ITEM` shows the item",
        Hint::ListReleases => "`armtrace transfers releases` lists them",
        Hint::VerifyAudit => "run `armtrace audit verify`",
        Hint::ListNames => "`armtrace countries`, `models` and `categories` list the names",
    }
}

/// The command-line flag for an error's field, where the field is one the user typed as a flag.
pub(crate) fn flag_for(field: &str) -> Option<String> {
    const POSITIONAL: &[&str] = &["file", "record_id", "item_ref"];
    if POSITIONAL.contains(&field) || field.contains(' ') {
        return None;
    }
    Some(format!("--{}", field.replace('_', "-")))
}

/// The hint of the first coded error in the chain.
fn hint_of(e: &anyhow::Error) -> Option<armtrace_core::Hint> {
    e.chain().find_map(|cause| {
        cause
            .downcast_ref::<armtrace_core::Error>()
            .and_then(|e| e.hint())
            .or_else(|| {
                cause
                    .downcast_ref::<armtrace_store::StoreError>()
                    .and_then(|s| match s {
                        armtrace_store::StoreError::Error(e) => e.hint(),
                        _ => None,
                    })
            })
    })
}

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let json_wanted = wants_json(std::env::args());
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if json_wanted => {
            let user = is_user_error(&e);
            eprintln!("{}", json_error(&e, user));
            ExitCode::from(if user { 1 } else { 2 })
        }
        Err(e) => {
            let user = is_user_error(&e);
            eprintln!("error: {}", headline(&e));
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            if let Some(c) = coded_in_chain(&e)
                && c.problems().len() > 1
            {
                for p in c.problems() {
                    eprintln!("  {p}");
                }
                if c.more_problems() > 0 {
                    eprintln!("  … and {} more", c.more_problems());
                }
            }
            if let Some(h) = hint_of(&e) {
                eprintln!("hint: {}", hint_text(h));
            }
            if !user {
                eprintln!(
                    "This is a fault in armtrace or its database; please report it with the command you ran."
                );
            }
            ExitCode::from(if user { 1 } else { 2 })
        }
    }
}

/// Whether the command asked for JSON (`--format json`): its errors are JSON too.
fn wants_json(args: impl Iterator<Item = String>) -> bool {
    let args: Vec<String> = args.collect();
    args.iter().any(|a| a == "--format=json")
        || args
            .windows(2)
            .any(|w| w[0] == "--format" && w[1] == "json")
}

/// The error as JSON on standard error: `{"error": {"code", "message", "field", "file", "line",
/// "hint", "problems"}}`, absent values left out.
fn json_error(e: &anyhow::Error, user: bool) -> serde_json::Value {
    let top = top_coded(e);
    let mut obj = match coded_in_chain(e) {
        Some(c) => c.to_json(),
        None => serde_json::json!({
            "code": if user { "input.invalid" } else { "internal" },
        }),
    };
    obj["message"] = match top {
        Some(c) => c.message().into(),
        None => format!("{e:#}").into(),
    };
    if let Some(h) = hint_of(e) {
        obj["hint_text"] = hint_text(h).into();
    }
    serde_json::json!({ "error": obj })
}

/// The error itself, when it is a coded one (not wrapped in context).
fn top_coded(e: &anyhow::Error) -> Option<&armtrace_core::Error> {
    e.downcast_ref::<armtrace_core::Error>().or_else(|| {
        match e.downcast_ref::<armtrace_store::StoreError>() {
            Some(armtrace_store::StoreError::Error(c)) => Some(c),
            _ => None,
        }
    })
}

/// The first coded error in the chain.
fn coded_in_chain(e: &anyhow::Error) -> Option<armtrace_core::Error> {
    e.chain().find_map(|cause| {
        cause
            .downcast_ref::<armtrace_core::Error>()
            .cloned()
            .or_else(|| {
                cause
                    .downcast_ref::<armtrace_store::StoreError>()
                    .map(|s| match s {
                        armtrace_store::StoreError::Error(c) => c.clone(),
                        other => armtrace_core::Error::new(other.code(), other.to_string()),
                    })
            })
    })
}

/// The first line of an error: a value the user typed is named by its flag (`--lat: …`).
fn headline(e: &anyhow::Error) -> String {
    let top: Option<&armtrace_core::Error> =
        e.downcast_ref::<armtrace_core::Error>().or_else(|| {
            match e.downcast_ref::<armtrace_store::StoreError>() {
                Some(armtrace_store::StoreError::Error(c)) => Some(c),
                _ => None,
            }
        });
    match top {
        Some(c)
            if c.file().is_none()
                && matches!(
                    c.code(),
                    armtrace_core::Code::InputInvalid | armtrace_core::Code::InputMissing
                ) =>
        {
            match c.field().and_then(flag_for) {
                Some(flag) => format!("{flag}: {c}"),
                None => c.to_string(),
            }
        }
        _ => e.to_string(),
    }
}
