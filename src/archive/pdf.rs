//! The readable report: a PDF in Chinese rendered from the canonical report and the members'
//! signatures. The canonical JSON is what is signed and proven; the PDF is for people, so the
//! package binds it to the report by embedding the report's digest, and the verifier renders
//! it again and compares bytes (rendering is deterministic).

use std::collections::BTreeMap;
use std::path::Path;

/// One member's decision on the report, as the PDF's signature table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureLine {
    pub seat: u32,
    pub agree: bool,
    /// A dissent's written reasons, as recorded.
    pub reasons: Option<String>,
    /// `webcrypto`, `key_file`, `pkcs11` or `certificate`; `None` for a decision made without
    /// a signature (before `session.require_member_signatures`).
    pub key_kind: Option<String>,
    /// The signing key's (or certificate's) SHA-256 fingerprint, lowercase hex.
    pub key_fingerprint: Option<String>,
    /// SHA-256 of the signature value, lowercase hex, as the audit entry records it.
    pub signature_sha256: Option<String>,
}

/// Everything the readable report shows.
#[derive(Debug, Clone)]
pub struct ReadableReport<'a> {
    /// The canonical report, as the session closed it (docs/SESSIONS.md).
    pub report: &'a serde_json::Value,
    /// SHA-256 of the report's canonical bytes, lowercase hex: the digest the members signed
    /// and the closing audit entry records.
    pub report_sha256: &'a str,
    pub signatures: &'a [SignatureLine],
    /// Seat → name, only for a reader allowed to see names after publication; `None` shows
    /// the committee by seat alone.
    pub names: Option<&'a BTreeMap<u32, String>>,
    /// The signed checkpoint the package's proofs are under, shown in the verification
    /// section (its first three lines: origin, size, root hash).
    pub checkpoint: &'a str,
}

/// A TrueType/OpenType font (or one face of a collection) with the CJK glyphs the report
/// needs.
pub struct FontFile {
    bytes: Vec<u8>,
    index: u32,
}

impl FontFile {
    /// Reads face `index` of the font file at `path`.
    pub fn load(path: &Path, index: u32) -> Result<FontFile, PdfError> {
        let bytes = std::fs::read(path).map_err(|error| {
            PdfError::Font(format!("cannot read the font {}: {error}", path.display()))
        })?;
        Ok(FontFile { bytes, index })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn index(&self) -> u32 {
        self.index
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("{0}")]
    Font(String),
    #[error("the readable report cannot be rendered: {0}")]
    Render(String),
}

/// Renders the report. The same input gives the same bytes.
pub fn render(_input: &ReadableReport<'_>, _font: &FontFile) -> Result<Vec<u8>, PdfError> {
    Err(PdfError::Render("not built yet".into()))
}

/// The report digest a PDF from [`render`] embeds, if it has one.
pub fn embedded_report_sha256(_pdf: &[u8]) -> Option<String> {
    None
}
