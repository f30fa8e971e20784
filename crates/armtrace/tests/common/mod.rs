//! Running the real `armtrace` binary in a temporary directory, for the CLI tests.

#![allow(dead_code)] // Each test file uses the helpers it needs.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs armtrace in `dir` with `args`, the ARMTRACE_* variables of the calling environment
/// removed and `env` set.
pub fn armtrace_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_armtrace"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("ARMTRACE_DB")
        .env_remove("ARMTRACE_USER")
        .env_remove("ARMTRACE_AUDIT_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap_or_else(|e| panic!("run armtrace: {e}"));
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Runs armtrace and requires success; returns its standard output.
pub fn ok_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let r = armtrace_in(dir, args, env);
    assert_eq!(r.code, 0, "armtrace {args:?} failed:\n{}", r.stderr);
    r.stdout
}

/// Runs armtrace and parses its JSON output.
pub fn json_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = ok_in(dir, args, env);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("armtrace {args:?} printed invalid JSON ({e}):\n{out}"))
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}
