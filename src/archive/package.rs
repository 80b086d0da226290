//! The package's files (docs/ARCHIVE.md §1–§6): what each holds, how each is named, and the
//! package itself as a set of named files, written to and read from a directory or a zip.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crypto::Suite;

/// The `format` of every manifest this version writes.
pub const FORMAT: &str = "sealdraw-archive-v1";
pub const MANIFEST: &str = "manifest.json";
pub const REPORT_JSON: &str = "report.json";
pub const REPORT_PDF: &str = "report.pdf";
pub const EVENTS: &str = "events.json";
pub const CHECKPOINT: &str = "checkpoint";
pub(crate) const SIGNATURES_DIR: &str = "signatures/";
pub(crate) const ENTRIES_DIR: &str = "entries/";
pub(crate) const PROOFS_DIR: &str = "proofs/";
pub(crate) const DRAWS_DIR: &str = "draws/";
pub(crate) const CRLS_DIR: &str = "crls/";

/// A package holds one evaluation's record, not a log export: a bound on what is read keeps a
/// hostile directory or zip from exhausting memory.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
const MAX_FILES: usize = 10_000;

pub fn signature_path(seat: u32) -> String {
    format!("{SIGNATURES_DIR}seat-{seat}.json")
}

pub fn entry_path(index: u64) -> String {
    format!("{ENTRIES_DIR}{index}.json")
}

pub fn proof_path(index: u64) -> String {
    format!("{PROOFS_DIR}{index}.proof")
}

/// A CRL's file: named by the SHA-256 of its DER, so that the CRL of a CA two signatures share
/// is carried once and no CA name has to become a file name.
pub fn crl_path(der: &[u8]) -> String {
    format!("{CRLS_DIR}{}.crl", sha256_hex(der))
}

pub fn draw_path(root_draw_id: &str) -> String {
    format!("{DRAWS_DIR}{root_draw_id}.json")
}

/// `manifest.json` (§3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub subject: Subject,
    pub log: LogInfo,
    pub checkpoint_size: u64,
    pub report_digest: Option<String>,
    pub font_sha256: Option<String>,
    pub entries: Vec<ManifestEntry>,
    pub files: BTreeMap<String, String>,
    pub created_at: String,
}

/// What the package is about (§2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// `session` or `draw`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub draw_id: String,
}

pub(crate) const SUBJECT_SESSION: &str = "session";
pub(crate) const SUBJECT_DRAW: &str = "draw";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogInfo {
    pub origin: String,
    pub suite: Suite,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    pub index: u64,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `signatures/seat-N.json` (§5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    pub session: String,
    pub seat: u32,
    pub report_sha256: String,
    pub agree: bool,
    pub reasons: Option<String>,
    pub key_id: String,
    pub key_kind: String,
    pub algorithm: String,
    pub public_key: String,
    pub key_fingerprint: String,
    pub signature: String,
    pub signed_at: String,
    pub entry_index: u64,
    /// For a key of kind `certificate`: the chain as enrolled (base64 DER, the member's
    /// certificate first), checked as of `signed_at` (§5a).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_chain: Option<Vec<String>>,
    /// For a key of kind `certificate`: the name of the trusted CA it verified up to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_authority: Option<String>,
}

/// `events.json` (§6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsFile {
    pub session_id: String,
    pub events: Vec<EventLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventLine {
    pub seq: u64,
    pub kind: String,
    pub audience: String,
    pub at: String,
    pub body_sha256: String,
}

/// The canonical JSON (RFC 8785, as the audit log writes it) of a package file.
pub(crate) fn canonical<T: Serialize>(value: &T) -> Result<Vec<u8>, PackageError> {
    let value = serde_json::to_value(value)
        .map_err(|error| PackageError::Encode(format!("cannot encode a file: {error}")))?;
    crate::audit::entry::canonical_json(&value)
        .map_err(|error| PackageError::Encode(error.to_string()))
}

/// The SHA-256 every manifest uses for its files and its id, whatever the log's suite: the
/// package's own integrity, which any verifier's standard library can recompute.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Suite::Intl2024.hex_hash(bytes)
}

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("cannot read {path}: {detail}")]
    Read { path: PathBuf, detail: String },
    #[error("cannot write {path}: {detail}")]
    Write { path: PathBuf, detail: String },
    #[error("{0}")]
    Encode(String),
    #[error("the zip cannot be read: {0}")]
    Zip(String),
}

/// A package: its files by relative path (`/` separated), `manifest.json` among them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    files: BTreeMap<String, Vec<u8>>,
}

impl Package {
    pub(crate) fn from_files(files: BTreeMap<String, Vec<u8>>) -> Self {
        Self { files }
    }

    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// The package's id: SHA-256 of its manifest, which holds the digest of every other file.
    pub fn id(&self) -> String {
        sha256_hex(self.file(MANIFEST).unwrap_or_default())
    }

    /// Writes every file under `dir` (created if missing; files already there are replaced).
    pub fn write_to(&self, dir: &Path) -> Result<(), PackageError> {
        for (name, bytes) in &self.files {
            let path = dir.join(name);
            let write = |path: &Path| -> std::io::Result<()> {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(path, bytes)
            };
            write(&path).map_err(|error| PackageError::Write {
                path: path.clone(),
                detail: error.to_string(),
            })?;
        }
        Ok(())
    }

    /// Reads every regular file under `dir`, named by its path relative to `dir`.
    pub fn read_from(dir: &Path) -> Result<Self, PackageError> {
        let mut files = BTreeMap::new();
        read_tree(dir, "", &mut files)?;
        Ok(Self { files })
    }

    /// The package as one zip, its files stored (not compressed) at their paths, in name order
    /// and with a fixed time, so that one package always gives the same bytes.
    pub fn to_zip(&self) -> Result<Vec<u8>, PackageError> {
        let zip_error = |error: zip::result::ZipError| PackageError::Zip(error.to_string());
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        for (name, bytes) in &self.files {
            writer
                .start_file(name.as_str(), options)
                .map_err(zip_error)?;
            writer
                .write_all(bytes)
                .map_err(|error| PackageError::Zip(error.to_string()))?;
        }
        Ok(writer.finish().map_err(zip_error)?.into_inner())
    }

    /// A package from its zip; directory entries are skipped, and any name that is not a plain
    /// relative path is refused.
    pub fn from_zip(bytes: &[u8]) -> Result<Self, PackageError> {
        let zip_error = |error: zip::result::ZipError| PackageError::Zip(error.to_string());
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zip_error)?;
        if archive.len() > MAX_FILES {
            return Err(PackageError::Zip(format!("more than {MAX_FILES} files")));
        }
        let mut files = BTreeMap::new();
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).map_err(zip_error)?;
            if file.is_dir() {
                continue;
            }
            let name = file.name().map_err(zip_error)?.into_owned();
            if !is_plain_relative(&name) {
                return Err(PackageError::Zip(format!(
                    "{name:?} is not a plain relative path"
                )));
            }
            let mut content = Vec::new();
            (&mut file)
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut content)
                .map_err(|error| PackageError::Zip(error.to_string()))?;
            if content.len() as u64 > MAX_FILE_BYTES {
                return Err(PackageError::Zip(format!("{name} is too large")));
            }
            files.insert(name, content);
        }
        Ok(Self { files })
    }
}

fn is_plain_relative(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'))
}

fn read_tree(
    dir: &Path,
    prefix: &str,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), PackageError> {
    let unreadable = |path: &Path, error: std::io::Error| PackageError::Read {
        path: path.to_owned(),
        detail: error.to_string(),
    };
    let entries = std::fs::read_dir(dir).map_err(|error| unreadable(dir, error))?;
    for entry in entries {
        let entry = entry.map_err(|error| unreadable(dir, error))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        // A link could lead the verifier to read files outside the package.
        let kind = std::fs::symlink_metadata(&path).map_err(|error| unreadable(&path, error))?;
        if kind.is_dir() {
            read_tree(&path, &format!("{relative}/"), files)?;
        } else if kind.is_file() {
            if kind.len() > MAX_FILE_BYTES {
                return Err(PackageError::Read {
                    path,
                    detail: "the file is too large for a package".into(),
                });
            }
            if files.len() == MAX_FILES {
                return Err(PackageError::Read {
                    path: dir.to_owned(),
                    detail: format!("more than {MAX_FILES} files"),
                });
            }
            let bytes = std::fs::read(&path).map_err(|error| unreadable(&path, error))?;
            files.insert(relative, bytes);
        } else {
            return Err(PackageError::Read {
                path,
                detail: "neither a file nor a directory".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_round_trips_through_a_zip_and_a_directory_with_the_same_bytes() {
        let mut files = BTreeMap::new();
        files.insert(MANIFEST.to_owned(), b"{}".to_vec());
        files.insert(entry_path(7), b"{\"type\":\"x\"}".to_vec());
        files.insert(signature_path(2), vec![0, 1, 2, 255]);
        let package = Package::from_files(files);

        let zip = package.to_zip().unwrap();
        assert_eq!(
            zip,
            package.to_zip().unwrap(),
            "the zip is not deterministic"
        );
        assert_eq!(Package::from_zip(&zip).unwrap(), package);

        let dir = tempfile::tempdir().unwrap();
        package.write_to(dir.path()).unwrap();
        assert_eq!(Package::read_from(dir.path()).unwrap(), package);
        assert_eq!(package.id(), sha256_hex(b"{}"));
    }

    #[test]
    fn names_leaving_the_package_are_not_plain_relative_paths() {
        for name in ["/etc/passwd", "../x", "a/../b", "a//b", "a\\b", ""] {
            assert!(!is_plain_relative(name), "{name}");
        }
        assert!(is_plain_relative("proofs/12.proof"));
    }
}
