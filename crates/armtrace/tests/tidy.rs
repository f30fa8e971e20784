//! Tidy checks that keep the project's written rules true, run as ordinary tests.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn crates() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .unwrap_or_else(|e| panic!("crates/: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    v.sort();
    v
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_module_opens_with_a_doc_comment() {
    let mut files = Vec::new();
    for c in crates() {
        rust_files(&c.join("src"), &mut files);
        rust_files(&c.join("tests"), &mut files);
    }
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !read(f).trim_start().starts_with("//!"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! doc comment:\n{}",
        missing.join("\n")
    );
}

#[test]
fn only_the_store_crate_depends_on_sqlx() {
    for c in crates() {
        let manifest = read(&c.join("Cargo.toml"));
        let deps = manifest
            .split("[dependencies]")
            .nth(1)
            .map(|s| s.split("\n[").next().unwrap_or(""))
            .unwrap_or("");
        let name = c
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name != "armtrace-store" {
            assert!(
                !deps.contains("sqlx"),
                "{name} depends on sqlx: only armtrace-store knows SQL"
            );
        }
    }
}

#[test]
fn architecture_md_maps_every_crate() {
    let arch = read(&root().join("ARCHITECTURE.md"));
    for c in crates() {
        let name = c
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(
            arch.contains(&format!("`crates/{name}`")),
            "ARCHITECTURE.md has no section for crates/{name}"
        );
    }
}

#[test]
fn readme_starts_with_the_two_commands() {
    let readme = read(&root().join("README.md"));
    let first_block = readme.split("```").nth(1).unwrap_or("");
    assert!(
        first_block.contains("cargo run --release -- demo"),
        "{first_block}"
    );
    assert!(
        first_block.contains("cargo test --workspace"),
        "{first_block}"
    );
}

#[test]
fn both_backends_have_the_same_migrations() {
    let dir = root().join("crates/armtrace-store/migrations");
    let names = |b: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir.join(b))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite,
        names("postgres"),
        "every migration exists for both backends"
    );
}

#[test]
fn the_readme_documents_every_error_code() {
    let readme = read(&root().join("README.md"));
    let missing: Vec<&str> = armtrace_core::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !readme.contains(&format!("`{c}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's Errors table lacks {missing:?}"
    );
}
