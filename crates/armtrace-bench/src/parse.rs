//! The native transfer parser alone, without a database: the synthetic CSV of `native`, parsed
//! on one thread in the batches imports use.

use crate::scale::Synthetic;
use std::path::PathBuf;

pub fn run(rows: u64, keep: Option<PathBuf>) -> anyhow::Result<()> {
    Synthetic::generate(rows, keep)?.parse_only()
}
