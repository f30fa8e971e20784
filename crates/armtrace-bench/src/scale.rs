//! Synthetic native transfers at scale.

pub async fn run(_rows: u64, _dir: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    Ok(())
}
