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
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let user = is_user_error(&e);
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
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
