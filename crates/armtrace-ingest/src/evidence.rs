//! The file side of evidence: a content-addressed folder of photos, videos and documents that
//! must hold up in court (Berkeley Protocol), what each file says about itself, and clean copies
//! for public export.
//!
//! Layout: `ROOT/sha256/ab/abcdef…` holds the file whose SHA-256 is `abcdef…` (the first two hex
//! digits shard the folder); `ROOT/incoming/` holds files being written. A file is written to
//! `incoming/`, synced, made read-only and then linked to its address in one atomic step, so an
//! address holds either nothing or the complete file.
//!
//! Architecture invariants: a stored file is never modified, replaced or deleted by this code
//! (storing the same content again finds it already there); EXIF is a hint, never proof
//! ([`FileFacts`] leaves out impossible values and says why in its warnings); no SQL and no
//! terminal output.

mod inspect;
mod jpeg;
mod strip;

pub use inspect::{FactWarning, FileFacts, inspect, media_type};
pub use strip::{StripError, strip_metadata};

use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::SystemTime;

/// Files larger than this are stored by streaming and inspected from their first bytes only.
pub const MAX_INSPECT_BYTES: u64 = 256 << 20;

const BUFFER: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{}: cannot {action}: {source}; {hint}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        hint: &'static str,
        source: io::Error,
    },
    #[error("'{0}' is not an evidence address: expected a SHA-256 of 64 lower-case hex digits")]
    BadAddress(String),
    #[error(
        "{}: evidence file {sha256} is missing from the evidence folder; restore it from a \
         backup, then run the evidence check again", path.display()
    )]
    Missing { sha256: String, path: PathBuf },
    #[error(
        "{}: the stored file no longer matches its address (its SHA-256 is now {actual}): it was \
         changed or damaged outside armtrace; restore it from a backup and do not rely on this \
         copy", path.display()
    )]
    Changed { path: PathBuf, actual: String },
    #[error(
        "{}: the stored file has {actual_size} bytes but this content has {size}: it was \
         changed or damaged outside armtrace; it is left as it is: restore it from a backup",
        path.display()
    )]
    Damaged {
        path: PathBuf,
        size: u64,
        actual_size: u64,
    },
}

fn io_error(
    path: &Path,
    action: &'static str,
    hint: &'static str,
) -> impl FnOnce(io::Error) -> EvidenceError {
    let path = path.to_path_buf();
    move |source| EvidenceError::Io {
        path,
        action,
        hint,
        source,
    }
}

const HINT_SOURCE: &str = "check the path and that you may read the file";
const HINT_FOLDER: &str =
    "check that the evidence folder exists, is writable and its disk has space";

/// A file in the evidence folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    /// Lower-case hex SHA-256: the file's address.
    pub sha256: String,
    pub size: u64,
    pub path: PathBuf,
    /// The content was already stored (it was left untouched).
    pub already_present: bool,
}

/// A content-addressed evidence folder. Cheap to share between threads (`&self` everywhere).
#[derive(Debug)]
pub struct EvidenceFolder {
    root: PathBuf,
    temp_counter: AtomicU64,
}

/// Whether [`EvidenceFolder::verify`] also lists stored files nothing refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orphans {
    Report,
    Ignore,
}

/// What [`EvidenceFolder::verify`] found. Lists are sorted by address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Files re-hashed.
    pub checked: u64,
    /// Bytes re-hashed.
    pub bytes: u64,
    /// Expected addresses with no file.
    pub missing: Vec<String>,
    /// Files whose content no longer matches their address or expected size.
    pub changed: Vec<ChangedFile>,
    /// Files that exist but could not be read, with the reason.
    pub unreadable: Vec<(String, String)>,
    /// Expected values that are not SHA-256 addresses.
    pub bad_addresses: Vec<String>,
    /// Addresses that hold something other than a regular file (a symbolic link, a device, a
    /// pipe, a folder), or are reached through a linked folder, with what it is: tampering,
    /// since armtrace only ever stores regular files there.
    pub not_files: Vec<(String, String)>,
    /// Files in the folder that nothing expected (including leftovers in `incoming/`).
    pub orphans: Vec<PathBuf>,
}

impl VerifyReport {
    /// Every expected file is present and unchanged (orphans aside).
    pub fn is_intact(&self) -> bool {
        self.missing.is_empty()
            && self.changed.is_empty()
            && self.unreadable.is_empty()
            && self.bad_addresses.is_empty()
            && self.not_files.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedFile {
    pub sha256: String,
    pub path: PathBuf,
    pub expected_size: u64,
    pub actual_size: u64,
    pub actual_sha256: String,
}

/// Removes a temporary file when dropped, unless it was linked into place and removed already.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn is_address(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl EvidenceFolder {
    /// Opens the folder at `root`, creating it if missing.
    pub fn open(root: &Path) -> Result<EvidenceFolder, EvidenceError> {
        for dir in [root.join("sha256"), root.join("incoming")] {
            fs::create_dir_all(&dir).map_err(io_error(
                &dir,
                "create the evidence folder",
                "check that the parent folder exists and is writable",
            ))?;
        }
        Ok(EvidenceFolder {
            root: root.to_path_buf(),
            temp_counter: AtomicU64::new(0),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the file with this SHA-256 is (or would be) stored.
    pub fn path_of(&self, sha256: &str) -> Result<PathBuf, EvidenceError> {
        if !is_address(sha256) {
            return Err(EvidenceError::BadAddress(sha256.to_string()));
        }
        Ok(self.address(sha256))
    }

    fn address(&self, sha256: &str) -> PathBuf {
        self.root.join("sha256").join(&sha256[..2]).join(sha256)
    }

    /// Stores a copy of the file at `source`, streaming it (any size). Storing content that is
    /// already there leaves the stored file untouched and reports `already_present`.
    pub fn put(&self, source: &Path) -> Result<StoredFile, EvidenceError> {
        let mut input =
            File::open(source).map_err(io_error(source, "open the file to store", HINT_SOURCE))?;
        let (temp, mut out) = self.temp_file()?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0; BUFFER];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(io_error(source, "read the file to store", HINT_SOURCE)(e));
                }
            };
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(io_error(
                &temp.0,
                "write into the evidence folder",
                HINT_FOLDER,
            ))?;
            size += n as u64;
        }
        let sha256 = hex(&hasher.finalize());
        self.commit(temp, out, sha256, size)
    }

    /// Stores `bytes` (already in memory, e.g. after [`inspect`]).
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<StoredFile, EvidenceError> {
        let sha256 = crate::sha256_hex(bytes);
        let size = bytes.len() as u64;
        let dest = self.address(&sha256);
        if let Ok(meta) = fs::metadata(&dest) {
            return existing(dest, sha256, size, meta.len());
        }
        let (temp, mut out) = self.temp_file()?;
        out.write_all(bytes).map_err(io_error(
            &temp.0,
            "write into the evidence folder",
            HINT_FOLDER,
        ))?;
        self.commit(temp, out, sha256, size)
    }

    /// Reads a copy of `source` and stores it, with what it says about itself: files up to
    /// [`MAX_INSPECT_BYTES`] are read whole and inspected; larger ones are streamed and only
    /// their media type, size and hash are known.
    pub fn add(
        &self,
        source: &Path,
        now: SystemTime,
    ) -> Result<(StoredFile, FileFacts), EvidenceError> {
        let name = source.file_name().map(|n| n.to_string_lossy().into_owned());
        let size = fs::metadata(source)
            .map_err(io_error(source, "read the file to store", HINT_SOURCE))?
            .len();
        if size <= MAX_INSPECT_BYTES {
            let bytes = fs::read(source).map_err(io_error(
                source,
                "read the file to store",
                HINT_SOURCE,
            ))?;
            let facts = inspect(&bytes, name.as_deref(), now);
            let stored = self.put_bytes(&bytes)?;
            return Ok((stored, facts));
        }
        let stored = self.put(source)?;
        let mut head = Vec::with_capacity(64);
        File::open(&stored.path)
            .and_then(|f| f.take(64).read_to_end(&mut head))
            .map_err(io_error(
                &stored.path,
                "read the stored file",
                "check the evidence folder's permissions",
            ))?;
        let mut facts =
            inspect::head_facts(&head, stored.sha256.clone(), stored.size, name.as_deref());
        if facts.media_type.starts_with("image/") {
            facts
                .warnings
                .push(FactWarning::FileTooLarge { size: stored.size });
        }
        Ok((stored, facts))
    }

    /// The content stored at this address, checked against it.
    pub fn read(&self, sha256: &str) -> Result<Vec<u8>, EvidenceError> {
        let path = self.path_of(sha256)?;
        let bytes = fs::read(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                EvidenceError::Missing {
                    sha256: sha256.to_string(),
                    path: path.clone(),
                }
            } else {
                io_error(
                    &path,
                    "read the stored file",
                    "check the evidence folder's permissions",
                )(e)
            }
        })?;
        let actual = crate::sha256_hex(&bytes);
        if actual != sha256 {
            return Err(EvidenceError::Changed { path, actual });
        }
        Ok(bytes)
    }

    /// [`EvidenceFolder::add`] for many files on all cores; the results are in the order of
    /// `sources`, one per file.
    pub fn add_all(
        &self,
        sources: &[PathBuf],
        now: SystemTime,
    ) -> Vec<Result<(StoredFile, FileFacts), EvidenceError>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let next = AtomicUsize::new(0);
        let results = Mutex::new(Vec::with_capacity(sources.len()));
        std::thread::scope(|s| {
            for _ in 0..threads.min(sources.len().max(1)) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = sources.get(i) else { break };
                        let r = self.add(path, now);
                        if let Ok(mut v) = results.lock() {
                            v.push((i, r));
                        }
                    }
                });
            }
        });
        let mut v = results.into_inner().unwrap_or_else(|e| e.into_inner());
        v.sort_by_key(|(i, _)| *i);
        v.into_iter().map(|(_, r)| r).collect()
    }

    /// Re-hashes every expected `(sha256, size)` file on all cores and reports what is missing
    /// or changed, and (with [`Orphans::Report`]) files that nothing expected.
    pub fn verify(
        &self,
        expected: impl IntoIterator<Item = (String, u64)>,
        orphans: Orphans,
    ) -> VerifyReport {
        let mut report = VerifyReport::default();
        let mut work = Vec::new();
        for (sha256, size) in expected {
            if is_address(&sha256) {
                work.push((sha256, size));
            } else {
                report.bad_addresses.push(sha256);
            }
        }
        work.sort();
        work.dedup();

        let next = AtomicUsize::new(0);
        let results = Mutex::new(Vec::with_capacity(work.len()));
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::thread::scope(|s| {
            for _ in 0..threads.min(work.len().max(1)) {
                s.spawn(|| {
                    let mut buf = vec![0; BUFFER];
                    let mut local = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((sha256, size)) = work.get(i) else {
                            break;
                        };
                        let path = self.address(sha256);
                        let result = match self.regular(sha256, &path) {
                            Ok(()) => hash_file(&path, &mut buf).map_err(Found::Io),
                            Err(e) => Err(e),
                        };
                        local.push((i, path.clone(), result, *size));
                    }
                    if let Ok(mut r) = results.lock() {
                        r.extend(local);
                    }
                });
            }
        });
        let mut results = results.into_inner().unwrap_or_default();
        results.sort_by_key(|r| r.0);
        for (i, path, result, expected_size) in results {
            let sha256 = &work[i].0;
            match result {
                Ok((actual_sha256, actual_size)) => {
                    report.checked += 1;
                    report.bytes += actual_size;
                    if &actual_sha256 != sha256 || actual_size != expected_size {
                        report.changed.push(ChangedFile {
                            sha256: sha256.clone(),
                            path,
                            expected_size,
                            actual_size,
                            actual_sha256,
                        });
                    }
                }
                Err(Found::NotFile(what)) => report.not_files.push((sha256.clone(), what)),
                Err(Found::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                    report.missing.push(sha256.clone())
                }
                Err(Found::Io(e)) => report.unreadable.push((sha256.clone(), e.to_string())),
            }
        }
        if orphans == Orphans::Report {
            let known: HashSet<&str> = work.iter().map(|(s, _)| s.as_str()).collect();
            report.orphans = self.orphans(&known);
        }
        report
    }

    /// Checks, without following links, that the folders down to an address are real folders
    /// and the address a regular file (a symbolic link to `/dev/zero` would hang the re-hash; one
    /// to an outside file with the same content would pass it).
    fn regular(&self, sha256: &str, path: &Path) -> Result<(), Found> {
        let sha = self.root.join("sha256");
        let shard = sha.join(&sha256[..2]);
        for dir in [&sha, &shard] {
            match fs::symlink_metadata(dir) {
                Ok(m) if m.file_type().is_dir() => {}
                Ok(m) => {
                    return Err(Found::NotFile(format!(
                        "{} is {}, not a folder",
                        dir.display(),
                        kind_of(&m)
                    )));
                }
                Err(e) => return Err(Found::Io(e)),
            }
        }
        match fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_file() => Ok(()),
            Ok(m) => Err(Found::NotFile(kind_of(&m))),
            Err(e) => Err(Found::Io(e)),
        }
    }

    /// Files under `sha256/` at no expected address, and anything left in `incoming/`.
    fn orphans(&self, known: &HashSet<&str>) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let list = |dir: &Path| -> Vec<PathBuf> {
            fs::read_dir(dir)
                .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default()
        };
        for shard in list(&self.root.join("sha256")) {
            if !shard.is_dir() {
                found.push(shard);
                continue;
            }
            let shard_name = shard.file_name().map(|n| n.to_string_lossy().into_owned());
            for file in list(&shard) {
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
                let in_place = match (&name, &shard_name) {
                    (Some(n), Some(s)) => known.contains(n.as_str()) && n.starts_with(s.as_str()),
                    _ => false,
                };
                if !in_place {
                    found.push(file);
                }
            }
        }
        found.extend(list(&self.root.join("incoming")));
        found.sort();
        found
    }

    fn temp_file(&self) -> Result<(TempFile, File), EvidenceError> {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "{}-{}-{nanos}.partial",
            std::process::id(),
            self.temp_counter.fetch_add(1, Ordering::Relaxed)
        );
        let path = self.root.join("incoming").join(name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_error(
                &path,
                "create a file in the evidence folder",
                HINT_FOLDER,
            ))?;
        Ok((TempFile(path), file))
    }

    /// Syncs the written temporary file, makes it read-only and links it to its address without
    /// ever replacing a file already there.
    fn commit(
        &self,
        temp: TempFile,
        file: File,
        sha256: String,
        size: u64,
    ) -> Result<StoredFile, EvidenceError> {
        let dest = self.address(&sha256);
        if let Ok(meta) = fs::metadata(&dest) {
            return existing(dest, sha256, size, meta.len());
        }
        let write_err = io_error(&temp.0, "write into the evidence folder", HINT_FOLDER);
        let mut perms = file.metadata().map_err(write_err)?.permissions();
        perms.set_readonly(true);
        file.set_permissions(perms)
            .and_then(|()| file.sync_all())
            .map_err(io_error(
                &temp.0,
                "write into the evidence folder",
                HINT_FOLDER,
            ))?;
        drop(file);
        let shard = self.root.join("sha256").join(&sha256[..2]);
        fs::create_dir_all(&shard).map_err(io_error(
            &shard,
            "create a folder in the evidence folder",
            HINT_FOLDER,
        ))?;
        // A hard link fails if the address exists: two writers of the same content cannot
        // replace each other's file. File systems without hard links get an atomic rename.
        match fs::hard_link(&temp.0, &dest) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let actual = fs::metadata(&dest).map_or(size, |m| m.len());
                return existing(dest, sha256, size, actual);
            }
            Err(_) => fs::rename(&temp.0, &dest).map_err(io_error(
                &dest,
                "move the file into place",
                HINT_FOLDER,
            ))?,
        }
        drop(temp);
        sync_dir(&shard);
        Ok(StoredFile {
            sha256,
            size,
            path: dest,
            already_present: false,
        })
    }
}

fn existing(
    path: PathBuf,
    sha256: String,
    size: u64,
    actual_size: u64,
) -> Result<StoredFile, EvidenceError> {
    if actual_size != size {
        return Err(EvidenceError::Damaged {
            path,
            size,
            actual_size,
        });
    }
    Ok(StoredFile {
        sha256,
        size,
        path,
        already_present: true,
    })
}

/// Makes a new directory entry durable (POSIX needs the directory synced too).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// What an expected address holds when it cannot be re-hashed.
enum Found {
    NotFile(String),
    Io(io::Error),
}

/// What a non-regular directory entry is, in words.
fn kind_of(m: &fs::Metadata) -> String {
    let t = m.file_type();
    if t.is_symlink() {
        return "a symbolic link".into();
    }
    if t.is_dir() {
        return "a folder".into();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_block_device() || t.is_char_device() {
            return "a device".into();
        }
        if t.is_fifo() {
            return "a named pipe".into();
        }
        if t.is_socket() {
            return "a socket".into();
        }
    }
    "not a regular file".into()
}

/// SHA-256 and size of a regular file, streamed. The file is opened without following a link
/// and without blocking (a pipe swapped in after the check), and checked again once open.
fn hash_file(path: &Path, buf: &mut [u8]) -> io::Result<(String, u64)> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    let mut file = options.open(path)?;
    if !file.metadata()?.file_type().is_file() {
        return Err(io::Error::other("it is not a regular file"));
    }
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        match file.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((hex(&hasher.finalize()), size))
}

#[cfg(test)]
mod tests;
