//! Synthetic phone photos into the evidence folder: `inspect` + `put` of every file on all
//! cores, files/s and MB/s, against `sha256sum` of the same files in the same run (the floor:
//! storing a file means at least reading and hashing it). Also the cost of one 12 MP file's
//! steps, and the choice of thumbnail decoder (DCT-scaled against a full decode).

use crate::scale::Rng;
use crate::secs;
use armtrace_core::evidence::{Collection, EvidenceAnchor};
use armtrace_ingest::evidence::{EvidenceFolder, FileFacts, Orphans, inspect};
use armtrace_store::NewEvidence;
use image::ImageEncoder;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

const WIDTH: u32 = 4032;
const HEIGHT: u32 = 3024;
const BASES: usize = 4;

pub async fn run(n: usize, keep: Option<PathBuf>) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let dir = keep.unwrap_or_else(|| tmp.path().to_path_buf());
    let photos = dir.join("synthetic_photos");
    std::fs::create_dir_all(&photos)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    // A few distinct 12 MP photos (smooth scenes under sensor-like noise), encoded once.
    let t = Instant::now();
    let bases: Vec<Vec<u8>> = (0..BASES)
        .map(|b| base_photo(b as u64))
        .collect::<Result<_, _>>()?;
    let encode = t.elapsed() / BASES as u32;
    let mut files = Vec::with_capacity(n);
    let mut total = 0u64;
    for i in 0..n {
        // Each file is distinct by its own comment segment after SOI; the pixels repeat.
        let base = &bases[i % BASES];
        let comment = format!("armtrace synthetic evidence file {i}");
        let mut bytes = Vec::with_capacity(base.len() + 64);
        bytes.extend_from_slice(&base[..2]);
        bytes.extend_from_slice(&[0xFF, 0xFE]);
        bytes.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
        bytes.extend_from_slice(comment.as_bytes());
        bytes.extend_from_slice(&base[2..]);
        let path = photos.join(format!("synthetic_{i:05}.jpg"));
        std::fs::write(&path, &bytes)?;
        total += bytes.len() as u64;
        files.push(path);
    }
    let mb = total as f64 / 1e6;
    println!(
        "SYNTHETIC evidence: {n} JPEGs of {WIDTH}×{HEIGHT} (12 MP), {:.1} MB each, {:.2} GB in all \
         ({}); {BASES} base photos encoded once ({:.2} s each), each file made distinct by its \
         own COM segment, so files share pixels in {BASES} groups",
        mb / n as f64,
        mb / 1e3,
        photos.display(),
        secs(encode)
    );

    one_file(&bases[0])?;

    // The floor: sha256sum reading and hashing the same files, one process and one per core;
    // and OpenSSL's SHA-256 (which uses the CPU's SHA instructions, as the sha2 crate does).
    let one = hash_with(&["sha256sum"], &files, 1)?;
    let all = hash_with(&["sha256sum"], &files, threads)?;
    println!(
        "  baseline sha256sum, 1 process: {:.2} s ({:.0} files/s, {:.0} MB/s); {threads} processes: {:.2} s ({:.0} files/s, {:.0} MB/s)",
        secs(one),
        n as f64 / secs(one),
        mb / secs(one),
        secs(all),
        n as f64 / secs(all),
        mb / secs(all)
    );
    if let Ok(ssl) = hash_with(&["openssl", "dgst", "-sha256"], &files, threads) {
        println!(
            "  baseline openssl dgst -sha256, {threads} processes: {:.2} s ({:.0} files/s, {:.0} MB/s)",
            secs(ssl),
            n as f64 / secs(ssl),
            mb / secs(ssl)
        );
    }

    // armtrace: read, inspect and store each file, on all cores.
    let store = dir.join("evidence_store");
    let _ = std::fs::remove_dir_all(&store);
    let folder = EvidenceFolder::open(&store)?;
    let (took, facts) = parallel_add(&folder, &files)?;
    println!(
        "  armtrace inspect + put into a fresh evidence folder ({threads} threads, fsync per file): {:.2} s ({:.0} files/s, {:.0} MB/s)",
        secs(took),
        n as f64 / secs(took),
        mb / secs(took)
    );
    // What `evidence add` does next: record every file in one audited transaction.
    let recorded = record(&facts).await?;
    println!(
        "  armtrace records them in the database (SQLite, one transaction, as `evidence add`): {:.3} s; whole ingest {:.2} s ({:.0} files/s, {:.0} MB/s)",
        secs(recorded),
        secs(took + recorded),
        n as f64 / secs(took + recorded),
        mb / secs(took + recorded)
    );
    let (took, _) = parallel_add(&folder, &files)?;
    println!(
        "  the same again (all already present, inspected again): {:.2} s ({:.0} files/s)",
        secs(took),
        n as f64 / secs(took),
    );

    let expected: Vec<(String, u64)> = files
        .iter()
        .map(|p| {
            let b = std::fs::read(p)?;
            Ok((armtrace_ingest::sha256_hex(&b), b.len() as u64))
        })
        .collect::<std::io::Result<_>>()?;
    let t = Instant::now();
    let report = folder.verify(expected, Orphans::Report);
    let took = t.elapsed();
    anyhow::ensure!(report.is_intact(), "verify found problems: {report:?}");
    println!(
        "  armtrace verify (re-hash all {} stored files, {threads} threads): {:.2} s ({:.0} MB/s; baseline sha256sum with {threads} processes above: {:.0} MB/s)",
        report.checked,
        secs(took),
        report.bytes as f64 / 1e6 / secs(took),
        mb / secs(all)
    );
    Ok(())
}

/// A 12 MP JPEG at quality 90: gradients and waves under ±12 levels of noise.
fn base_photo(seed: u64) -> anyhow::Result<Vec<u8>> {
    let mut rng = Rng(0xfeed + seed);
    let s = seed as f64;
    let img = image::RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let (fx, fy) = (
            f64::from(x) / f64::from(WIDTH),
            f64::from(y) / f64::from(HEIGHT),
        );
        let noise = rng.below(25) as f64 - 12.0;
        let v = |k: f64| {
            (110.0
                + 60.0 * ((fx * (4.0 + s) + k).sin() * (fy * (3.0 + s) - k).cos())
                + 50.0 * fy
                + noise)
                .clamp(0.0, 255.0) as u8
        };
        image::Rgb([v(0.0), v(0.7), v(1.4)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).write_image(
        img.as_raw(),
        WIDTH,
        HEIGHT,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

/// Median of 5 runs.
fn median_of(mut f: impl FnMut()) -> Duration {
    let mut v: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[2]
}

/// Steps for one 12 MP file at a time, and the thumbnail decoder choice.
fn one_file(bytes: &[u8]) -> anyhow::Result<()> {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let sha = median_of(|| {
        armtrace_ingest::sha256_hex(bytes);
    });
    let full = median_of(|| {
        let _ = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg);
    });
    let scaled = median_of(|| {
        let mut d = jpeg_decoder::Decoder::new(bytes);
        let _ = d.scale(256, 256);
        let _ = d.decode();
    });
    let now = SystemTime::now();
    let all = median_of(|| {
        inspect(bytes, Some("x.jpg"), now);
    });
    println!(
        "  one 12 MP file at a time (jpeg-decoder runs its IDCT on helper threads): SHA-256 {:.1} ms; thumbnail by jpeg-decoder at 1/8 DCT scale {:.1} ms against a full decode (image/zune-jpeg, baseline) {:.1} ms; whole inspect (hash, EXIF, thumbnail, pHash) {:.1} ms",
        ms(sha),
        ms(scaled),
        ms(full),
        ms(all)
    );
    Ok(())
}

/// Stores every file with `EvidenceFolder::add_all` (all cores), as `evidence add` does.
fn parallel_add(
    folder: &EvidenceFolder,
    files: &[PathBuf],
) -> anyhow::Result<(Duration, Vec<FileFacts>)> {
    let t = Instant::now();
    let results = folder.add_all(files, SystemTime::now());
    let took = t.elapsed();
    let facts = results
        .into_iter()
        .map(|r| r.map(|(_, f)| f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((took, facts))
}

/// Records the files in a fresh SQLite database, in one transaction, as `evidence add` does.
async fn record(facts: &[FileFacts]) -> anyhow::Result<Duration> {
    let db = armtrace_store::testing::TestDb::sqlite();
    let store = crate::fresh_store(&db).await?;
    let by = crate::analyst();
    store
        .add_investigation(&by, "Synthetic evidence benchmark", None)
        .await?;
    let new: Vec<NewEvidence> = facts
        .iter()
        .map(|f| NewEvidence {
            sha256: f.sha256.clone(),
            size: f.size,
            media_type: f.media_type.clone(),
            original_name: f.original_name.clone(),
            collection: Collection::default(),
            exif_capture_time: f.capture_time.clone(),
            exif_gps: f.gps,
            exif_camera: f.camera.clone(),
            warnings: f.warnings.iter().map(|w| w.to_string()).collect(),
            width: f.width,
            height: f.height,
            perceptual_hash: f.perceptual_hash,
        })
        .collect();
    let t = Instant::now();
    store
        .add_evidence(
            &by,
            Some("Synthetic evidence benchmark"),
            None,
            &EvidenceAnchor::Whole,
            &new,
        )
        .await?;
    let took = t.elapsed();
    store.close().await;
    Ok(took)
}

/// Runs a hashing command over the files split between `procs` processes at once.
fn hash_with(command: &[&str], files: &[PathBuf], procs: usize) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let chunk = files.len().div_ceil(procs.max(1)).max(1);
    let children: Vec<_> = files
        .chunks(chunk)
        .map(|part| {
            Command::new(command[0])
                .args(&command[1..])
                .args(part.iter().map(PathBuf::as_path).map(Path::as_os_str))
                .stdout(std::process::Stdio::null())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    for mut c in children {
        anyhow::ensure!(c.wait()?.success(), "{} failed", command[0]);
    }
    Ok(t.elapsed())
}
