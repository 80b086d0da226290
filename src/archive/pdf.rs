//! The readable report: a PDF in Chinese rendered from the canonical report and the members'
//! signatures. The canonical JSON is what is signed and proven; the PDF is for people, so the
//! package binds it to the report by embedding the report's digest, and the verifier renders
//! it again and compares bytes (rendering is deterministic).
//!
//! krilla writes the PDF (the font subset, its ToUnicode map, so the text can be searched and
//! copied); this module lays the report out itself, measuring each glyph's advance with skrifa:
//! CJK text has no spaces to break at, so lines are broken where the next glyph would cross the
//! margin. Everything laid out is a pure function of the input, the PDF has no creation date,
//! and its file identifier is derived from the report digest, so the same input gives the same
//! bytes.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use serde_json::Value;
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

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
    /// and the closing audit entry records (SM3 under the national suite: the deployment's
    /// hash, which is why the PDF calls it the report digest and names no algorithm).
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
    // Shared with krilla's font for each rendering instead of copied (a CJK font is megabytes).
    bytes: Arc<Vec<u8>>,
    index: u32,
}

impl FontFile {
    /// Reads face `index` of the font file at `path`.
    pub fn load(path: &Path, index: u32) -> Result<FontFile, PdfError> {
        let bytes = std::fs::read(path).map_err(|error| {
            PdfError::Font(format!("cannot read the font {}: {error}", path.display()))
        })?;
        if FontRef::from_index(&bytes, index).is_err() {
            return Err(PdfError::Font(format!(
                "{} is not a TrueType or OpenType font with a face {index}",
                path.display()
            )));
        }
        Ok(FontFile {
            bytes: Arc::new(bytes),
            index,
        })
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

/// The Info dictionary's `/Keywords` (and XMP's `pdf:Keywords`) carry the report digest after
/// this prefix; [`embedded_report_sha256`] reads it back from there and nowhere else.
const DIGEST_KEYWORD: &str = "sealdraw-report-digest:";

/// Renders the report. The same input gives the same bytes.
pub fn render(input: &ReadableReport<'_>, font: &FontFile) -> Result<Vec<u8>, PdfError> {
    if !is_sha256_hex(input.report_sha256) {
        return Err(PdfError::Render(
            "the report digest is not 64 lowercase hexadecimal digits".into(),
        ));
    }
    let metrics = Metrics::new(font)?;
    let mut sheet = Typesetter::new(&metrics);
    compose(&mut sheet, input)?;
    let pages = sheet.finish(input)?;
    draw(&pages, font, input.report_sha256)
}

/// The report digest a PDF from [`render`] embeds, if it has one.
///
/// It follows the file's own structure — `startxref`, the cross-reference table, the trailer's
/// `/Info` reference, that object's `/Keywords` — so a digest that appears anywhere else (in a
/// page's text, in an object nothing refers to as the Info dictionary) is not taken for it.
pub fn embedded_report_sha256(pdf: &[u8]) -> Option<String> {
    let xref_offset = last_startxref(pdf)?;
    let (trailer, offsets) = cross_references(pdf, xref_offset)?;
    let (info_number, info_generation) = reference_after(trailer, b"/Info")?;
    let &(offset, generation) = offsets.get(&info_number)?;
    if generation != info_generation {
        return None;
    }
    let object = pdf.get(offset..)?;
    let header = format!("{info_number} {info_generation} obj");
    if !object.starts_with(header.as_bytes()) {
        return None;
    }
    let end = find(object, b"endobj")?;
    let dictionary = &object[header.len()..end];
    let keywords = literal_string_after(dictionary, b"/Keywords")?;
    let keywords = String::from_utf8(keywords).ok()?;
    let mut digests = keywords
        .split([',', ' '])
        .filter_map(|word| word.strip_prefix(DIGEST_KEYWORD))
        .filter(|digest| is_sha256_hex(digest));
    let digest = digests.next()?;
    // Two digests would make the binding ambiguous: no answer rather than a guess.
    if digests.next().is_some() {
        return None;
    }
    Some(digest.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Page geometry, in PDF points (A4), measured from the top left as krilla draws.

const PAGE_WIDTH: f32 = 595.276;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN_LEFT: f32 = 56.0;
const MARGIN_RIGHT: f32 = 56.0;
const MARGIN_TOP: f32 = 56.0;
/// The body ends here; the page number sits below it.
const BODY_BOTTOM: f32 = PAGE_HEIGHT - 64.0;
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 36.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;

const TITLE_SIZE: f32 = 20.0;
const HEADING_SIZE: f32 = 13.0;
const BODY_SIZE: f32 = 10.0;
const TABLE_SIZE: f32 = 8.5;
const FOOTER_SIZE: f32 = 8.0;
/// Line height as a multiple of the font size: CJK text needs more air than Latin.
const LEADING: f32 = 1.45;
const CELL_PADDING: f32 = 3.0;
const RULE_WIDTH: f32 = 0.5;

/// What a page holds, laid out and ready to draw.
#[derive(Debug, Clone, PartialEq)]
enum Mark {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
    },
}

/// Glyph advances from the font itself, so that a line is broken where the glyphs would
/// cross the margin.
struct Metrics<'f> {
    font: FontRef<'f>,
    /// Advance per character in ems, looked up once.
    advances: std::cell::RefCell<BTreeMap<char, f32>>,
}

impl<'f> Metrics<'f> {
    fn new(font: &'f FontFile) -> Result<Self, PdfError> {
        let font = FontRef::from_index(font.bytes(), font.index()).map_err(|_| {
            PdfError::Font(format!(
                "the font has no face {} or is not a TrueType or OpenType font",
                font.index()
            ))
        })?;
        Ok(Metrics {
            font,
            advances: Default::default(),
        })
    }

    /// The character's advance in ems, or an error naming a character the font cannot show
    /// (it would print as an empty box, which a reader could not tell from what was recorded).
    fn advance(&self, ch: char) -> Result<f32, PdfError> {
        if let Some(advance) = self.advances.borrow().get(&ch) {
            return Ok(*advance);
        }
        let glyph = self.font.charmap().map(ch).ok_or_else(|| {
            PdfError::Font(format!(
                "the font has no glyph for {ch:?} (U+{:04X}); set archive.font to a font that \
                 covers it",
                u32::from(ch)
            ))
        })?;
        let advance = self
            .font
            .glyph_metrics(Size::unscaled(), LocationRef::default())
            .advance_width(glyph)
            .unwrap_or(0.0)
            / f32::from(
                self.font
                    .metrics(Size::unscaled(), LocationRef::default())
                    .units_per_em
                    .max(1),
            );
        self.advances.borrow_mut().insert(ch, advance);
        Ok(advance)
    }

    fn width(&self, text: &str, size: f32) -> Result<f32, PdfError> {
        let mut ems = 0.0;
        for ch in text.chars() {
            ems += self.advance(ch)?;
        }
        Ok(ems * size)
    }

    /// Breaks `text` into lines no wider than `width`: at a hard line break, at a space before
    /// a Latin word that would not fit, and otherwise between any two characters (CJK text
    /// has no spaces). Closing punctuation may hang past the edge rather than start a line.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Result<Vec<String>, PdfError> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line: Vec<char> = Vec::new();
            let mut line_width = 0.0;
            for ch in paragraph.chars() {
                let ch = if ch.is_control() { ' ' } else { ch };
                if line.is_empty() && ch == ' ' {
                    continue;
                }
                let advance = self.advance(ch)? * size;
                if line_width + advance > width && !line.is_empty() && !hangs(ch) {
                    let carried = latin_word_tail(&line);
                    let (kept, moved) = line.split_at(line.len() - carried);
                    let moved: Vec<char> = moved.to_vec();
                    lines.push(kept.iter().collect::<String>().trim_end().to_owned());
                    line = moved;
                    line_width = 0.0;
                    for moved_ch in &line {
                        line_width += self.advance(*moved_ch)? * size;
                    }
                    if ch == ' ' && line.is_empty() {
                        continue;
                    }
                }
                line.push(ch);
                line_width += advance;
            }
            lines.push(line.iter().collect::<String>().trim_end().to_owned());
        }
        Ok(lines)
    }
}

/// Punctuation that may not begin a line (禁则): it stays on the line before.
fn hangs(ch: char) -> bool {
    matches!(
        ch,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '）'
            | '》'
            | '」'
            | '』'
            | '”'
            | '’'
            | ','
            | '.'
            | ';'
            | ':'
            | ')'
            | ']'
            | '!'
            | '?'
    )
}

/// How many characters at the end of `line` form a Latin word that began after a space and
/// should move whole to the next line; 0 when the line has no such break (a long hex digest,
/// CJK text), which then breaks between characters.
fn latin_word_tail(line: &[char]) -> usize {
    for (tail, ch) in line.iter().rev().enumerate() {
        if *ch == ' ' {
            // A word as long as the line would not fit on the next one either.
            return if tail < line.len() - 1 { tail } else { 0 };
        }
        if !ch.is_ascii_alphanumeric() && !matches!(ch, '-' | '_' | '.' | '/' | '@') {
            return 0;
        }
    }
    0
}

/// One column of a table: its header and its share of the text width.
struct Column {
    header: String,
    width: f32,
}

fn columns(spec: &[(&str, f32)]) -> Vec<Column> {
    let total: f32 = spec.iter().map(|(_, share)| share).sum();
    spec.iter()
        .map(|(header, share)| Column {
            header: (*header).to_owned(),
            width: TEXT_WIDTH * share / total,
        })
        .collect()
}

/// Lays the report out page by page.
struct Typesetter<'m, 'f> {
    metrics: &'m Metrics<'f>,
    pages: Vec<Vec<Mark>>,
    /// Top of the next line on the current page.
    y: f32,
}

impl<'m, 'f> Typesetter<'m, 'f> {
    fn new(metrics: &'m Metrics<'f>) -> Self {
        Typesetter {
            metrics,
            pages: vec![Vec::new()],
            y: MARGIN_TOP,
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
    }

    fn page(&mut self) -> &mut Vec<Mark> {
        // `new` starts with one page and pages are only ever added.
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn text_at(&mut self, x: f32, top: f32, size: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        // The baseline sits about four fifths of the font size below the line's top, with
        // the leading shared above and below.
        let baseline = top + size * (LEADING - 1.0) / 2.0 + size * 0.88;
        self.page().push(Mark::Text {
            x,
            baseline,
            size,
            text: text.to_owned(),
        });
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32) {
        self.page().push(Mark::Rule { x1, x2, y });
    }

    fn space(&mut self, points: f32) {
        self.y += points;
    }

    fn title(&mut self, text: &str) -> Result<(), PdfError> {
        let width = self.metrics.width(text, TITLE_SIZE)?;
        let top = self.y;
        self.text_at(
            MARGIN_LEFT + (TEXT_WIDTH - width) / 2.0,
            top,
            TITLE_SIZE,
            text,
        );
        self.y += TITLE_SIZE * LEADING + 6.0;
        Ok(())
    }

    /// A section heading, kept with at least the first lines of what follows it.
    fn heading(&mut self, text: &str) -> Result<(), PdfError> {
        let needed = HEADING_SIZE * LEADING + 4.0 * BODY_SIZE * LEADING;
        if self.y + needed > BODY_BOTTOM {
            self.new_page();
        } else if self.y > MARGIN_TOP {
            self.space(8.0);
        }
        for line in self.metrics.wrap(text, HEADING_SIZE, TEXT_WIDTH)? {
            let top = self.y;
            self.text_at(MARGIN_LEFT, top, HEADING_SIZE, &line);
            self.y += HEADING_SIZE * LEADING;
        }
        self.rule(MARGIN_LEFT, MARGIN_LEFT + TEXT_WIDTH, self.y);
        self.space(4.0);
        Ok(())
    }

    /// Starts a new page unless `points` more fit on this one: keeps a caption with the
    /// beginning of what it introduces.
    fn keep(&mut self, points: f32) {
        if self.y + points > BODY_BOTTOM && self.y > MARGIN_TOP {
            self.new_page();
        }
    }

    /// Wrapped text, continuing on the next page where the page ends.
    fn paragraph(&mut self, text: &str, indent: f32, size: f32) -> Result<(), PdfError> {
        let line_height = size * LEADING;
        for line in self.metrics.wrap(text, size, TEXT_WIDTH - indent)? {
            if self.y + line_height > BODY_BOTTOM {
                self.new_page();
            }
            let top = self.y;
            self.text_at(MARGIN_LEFT + indent, top, size, &line);
            self.y += line_height;
        }
        Ok(())
    }

    /// A table whose header repeats on every page it continues on. Each cell wraps within its
    /// column; a row taller than what is left of the page moves to the next, and a row taller
    /// than a whole page is split between pages.
    fn table(&mut self, columns: &[Column], rows: &[Vec<String>]) -> Result<(), PdfError> {
        let line_height = TABLE_SIZE * LEADING;
        let header = self.wrap_row(columns, columns.iter().map(|c| c.header.clone()))?;
        let header_height = row_height(&header, line_height);
        let body_height = BODY_BOTTOM - MARGIN_TOP - header_height;
        // The header with the whole first row (or its first line, for a row taller than a
        // page), or a new page: a header alone at the foot of a page says nothing.
        let first_row = match rows.first() {
            Some(row) => row_height(&self.wrap_row(columns, row.iter().cloned())?, line_height),
            None => 0.0,
        };
        let first_row = if first_row <= body_height {
            first_row
        } else {
            line_height + 2.0 * CELL_PADDING
        };
        if self.y + header_height + first_row > BODY_BOTTOM {
            self.new_page();
        }
        self.table_header(columns, &header, header_height, line_height);
        for row in rows {
            let cells = self.wrap_row(columns, row.iter().cloned())?;
            let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let mut first = 0;
            while first < lines {
                let room = BODY_BOTTOM - self.y - 2.0 * CELL_PADDING;
                let fit = (room / line_height).floor().max(0.0) as usize;
                let whole_row_fits_a_page =
                    first == 0 && row_height(&cells, line_height) <= body_height;
                if fit == 0 || (whole_row_fits_a_page && fit < lines) {
                    self.new_page();
                    self.table_header(columns, &header, header_height, line_height);
                    continue;
                }
                let take = fit.min(lines - first);
                let mut x = MARGIN_LEFT;
                for (column, cell) in columns.iter().zip(&cells) {
                    for (i, line) in cell.iter().enumerate().skip(first).take(take) {
                        let top = self.y + CELL_PADDING + (i - first) as f32 * line_height;
                        self.text_at(x + CELL_PADDING, top, TABLE_SIZE, line);
                    }
                    x += column.width;
                }
                self.y += take as f32 * line_height + 2.0 * CELL_PADDING;
                self.rule(MARGIN_LEFT, MARGIN_LEFT + TEXT_WIDTH, self.y);
                first += take;
            }
        }
        self.space(4.0);
        Ok(())
    }

    fn wrap_row(
        &self,
        columns: &[Column],
        cells: impl Iterator<Item = String>,
    ) -> Result<Vec<Vec<String>>, PdfError> {
        columns
            .iter()
            .zip(cells)
            .map(|(column, text)| {
                self.metrics
                    .wrap(&text, TABLE_SIZE, column.width - 2.0 * CELL_PADDING)
            })
            .collect()
    }

    fn table_header(
        &mut self,
        columns: &[Column],
        header: &[Vec<String>],
        height: f32,
        line_height: f32,
    ) {
        self.rule(MARGIN_LEFT, MARGIN_LEFT + TEXT_WIDTH, self.y);
        let mut x = MARGIN_LEFT;
        for (column, lines) in columns.iter().zip(header) {
            for (i, line) in lines.iter().enumerate() {
                let top = self.y + CELL_PADDING + i as f32 * line_height;
                self.text_at(x + CELL_PADDING, top, TABLE_SIZE, line);
            }
            x += column.width;
        }
        self.y += height;
        self.rule(MARGIN_LEFT, MARGIN_LEFT + TEXT_WIDTH, self.y);
    }

    /// Numbers the pages ("第 n 页，共 N 页") and names the report on each, now that their
    /// count is known.
    fn finish(mut self, input: &ReadableReport<'_>) -> Result<Vec<Vec<Mark>>, PdfError> {
        let count = self.pages.len();
        let session = text_of(input.report.get("session_id"));
        // `render` has checked that the digest is 64 hexadecimal digits.
        let left = format!(
            "评标报告 {session} · 报告摘要 {}…",
            &input.report_sha256[..16]
        );
        for (index, page) in self.pages.iter_mut().enumerate() {
            let number = format!("第 {} 页，共 {count} 页", index + 1);
            let width = self.metrics.width(&number, FOOTER_SIZE)?;
            self.metrics.width(&left, FOOTER_SIZE)?;
            page.push(Mark::Rule {
                x1: MARGIN_LEFT,
                x2: MARGIN_LEFT + TEXT_WIDTH,
                y: FOOTER_BASELINE - FOOTER_SIZE - 4.0,
            });
            page.push(Mark::Text {
                x: MARGIN_LEFT,
                baseline: FOOTER_BASELINE,
                size: FOOTER_SIZE,
                text: left.clone(),
            });
            page.push(Mark::Text {
                x: MARGIN_LEFT + TEXT_WIDTH - width,
                baseline: FOOTER_BASELINE,
                size: FOOTER_SIZE,
                text: number,
            });
        }
        Ok(self.pages)
    }
}

fn row_height(cells: &[Vec<String>], line_height: f32) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    lines as f32 * line_height + 2.0 * CELL_PADDING
}

// ---------------------------------------------------------------------------------------------
// The report's contents, in the order a reader needs them.

fn compose(sheet: &mut Typesetter<'_, '_>, input: &ReadableReport<'_>) -> Result<(), PdfError> {
    let report = input.report;
    if !report.is_object() {
        return Err(PdfError::Render("the report is not a JSON object".into()));
    }
    sheet.title("评标报告")?;
    let signed = report.get("draft_sha256").is_some_and(|d| !d.is_null());
    sheet.paragraph(
        if signed {
            "本报告为评标委员会签署后的最终报告。报告以规范化 JSON 为准，本文件供阅读；二者以下文所列报告摘要相互对应。"
        } else {
            "本报告为待签署的报告草稿。报告以规范化 JSON 为准，本文件供阅读；二者以下文所列报告摘要相互对应。"
        },
        0.0,
        BODY_SIZE,
    )?;

    general(sheet, report)?;
    committee(sheet, report, input.names)?;
    rejections(sheet, report)?;
    scores(sheet, report)?;
    ranking(sheet, report)?;
    clarifications(sheet, report)?;
    dissents(sheet, report, input.signatures)?;
    signature_table(sheet, report, input.signatures)?;
    verification(sheet, input)?;
    Ok(())
}

fn general(sheet: &mut Typesetter<'_, '_>, report: &Value) -> Result<(), PdfError> {
    sheet.heading("一、基本信息")?;
    let method = report.get("method").and_then(Value::as_str);
    let mut rows = vec![
        vec!["报告格式".to_owned(), text_of(report.get("format"))],
        vec!["评标会话编号".to_owned(), text_of(report.get("session_id"))],
        vec!["专家抽取编号".to_owned(), text_of(report.get("draw_id"))],
    ];
    // Whatever else identifies the tender, if the report carries it.
    for (key, label) in [
        ("project", "项目"),
        ("project_code", "项目编号"),
        ("tender", "招标项目"),
        ("section", "标段"),
    ] {
        if let Some(value) = report.get(key).filter(|v| !v.is_null()) {
            rows.push(vec![label.to_owned(), text_of(Some(value))]);
        }
    }
    rows.push(vec![
        "评标方式".to_owned(),
        match report.get("mode").and_then(Value::as_str) {
            Some("cross_site") => "远程异地评标（主副场）".to_owned(),
            Some("distributed") => "远程分散评标".to_owned(),
            other => text_of(other.map(|s| Value::String(s.into())).as_ref()),
        },
    ]);
    rows.push(vec![
        "评标办法".to_owned(),
        match method {
            Some("comprehensive") => "综合评估法".to_owned(),
            Some("lowest_price") => "经评审的最低投标价法".to_owned(),
            Some(other) => other.to_owned(),
            None => "综合评估法（本格式的报告未记录评标办法）".to_owned(),
        },
    ]);
    if let Some(venues) = report.get("venues").and_then(Value::as_array) {
        let names: Vec<String> = venues
            .iter()
            .map(|v| {
                format!(
                    "{}号场地 {}",
                    text_of(v.get("venue")),
                    text_of(v.get("name"))
                )
            })
            .collect();
        if !names.is_empty() {
            rows.push(vec!["评标场地".to_owned(), names.join("；")]);
        }
    }
    if let Some(criteria) = report.get("criteria").and_then(Value::as_array) {
        let listed: Vec<String> = criteria
            .iter()
            .map(|c| {
                format!(
                    "{}（满分 {}）",
                    text_of(c.get("name")),
                    text_of(c.get("max_points"))
                )
            })
            .collect();
        rows.push(vec!["评分因素".to_owned(), listed.join("；")]);
    }
    if let Some(bidders) = report.get("bidders").and_then(Value::as_array) {
        let listed: Vec<String> = bidders.iter().map(|b| text_of(Some(b))).collect();
        rows.push(vec![
            format!("投标人（{} 家）", listed.len()),
            listed.join("；"),
        ]);
    }
    if report.get("deviation_percent").is_some() {
        rows.push(vec![
            "偏离提示阈值".to_owned(),
            format!("{}%", text_of(report.get("deviation_percent"))),
        ]);
    }
    if report.get("ends_at").is_some() {
        rows.push(vec![
            "评标结束时间".to_owned(),
            text_of(report.get("ends_at")),
        ]);
    }
    for extension in array(report, "extensions") {
        rows.push(vec![
            format!("延长评标时间 {}", text_of(extension.get("number"))),
            format!(
                "{} 延长 {} 分钟（{} 名成员中 {} 名认为时间不足）",
                text_of(extension.get("extended_at")),
                text_of(extension.get("minutes")),
                text_of(extension.get("members")),
                text_of(extension.get("declared")),
            ),
        ]);
    }
    if let Some(chair) = report.get("chair").filter(|c| !c.is_null()) {
        rows.push(vec![
            "评标委员会主任".to_owned(),
            format!("席位 {}", text_of(Some(chair))),
        ]);
    }
    sheet.table(&columns(&[("项目", 1.0), ("内容", 3.2)]), &rows)
}

fn committee(
    sheet: &mut Typesetter<'_, '_>,
    report: &Value,
    names: Option<&BTreeMap<u32, String>>,
) -> Result<(), PdfError> {
    sheet.heading("二、评标委员会")?;
    let chair = report.get("chair").and_then(Value::as_u64);
    let seats = array(report, "seats");
    let venue_of = |seat: u64| {
        seats
            .iter()
            .find(|s| s.get("seat").and_then(Value::as_u64) == Some(seat))
            .and_then(|s| s.get("venue"))
            .filter(|v| !v.is_null())
            .map(|v| format!("{}号场地", text_of(Some(v))))
            .unwrap_or_else(|| "—".into())
    };
    // A v1 report has no committee list: its active seats are the committee.
    let members: Vec<(u64, String, String)> =
        match report.get("committee").and_then(Value::as_array) {
            Some(committee) => committee
                .iter()
                .map(|m| {
                    let role = match m.get("role").and_then(Value::as_str) {
                        Some("representative") => "招标人代表".to_owned(),
                        Some("expert") | None => "评标专家".to_owned(),
                        Some(other) => other.to_owned(),
                    };
                    (seat_number(m), text_of(m.get("label")), role)
                })
                .collect(),
            None => seats
                .iter()
                .filter(|s| s.get("state").and_then(Value::as_str) == Some("active"))
                .map(|s| {
                    let role = if s.get("representative").and_then(Value::as_bool) == Some(true) {
                        "招标人代表"
                    } else {
                        "评标专家"
                    };
                    (seat_number(s), text_of(s.get("label")), role.to_owned())
                })
                .collect(),
        };
    let mut spec = vec![("席位", 0.6), ("席位标签", 1.4), ("身份", 1.0)];
    if names.is_some() {
        spec.push(("姓名", 1.4));
    }
    spec.extend([("所在场地", 1.0), ("职务", 0.9)]);
    let rows: Vec<Vec<String>> = members
        .iter()
        .map(|(seat, label, role)| {
            let mut row = vec![seat.to_string(), label.clone(), role.clone()];
            if let Some(names) = names {
                row.push(
                    u32::try_from(*seat)
                        .ok()
                        .and_then(|s| names.get(&s))
                        .cloned()
                        .unwrap_or_else(|| "—".into()),
                );
            }
            row.push(venue_of(*seat));
            row.push(if Some(*seat) == chair {
                "主任委员".into()
            } else {
                "委员".into()
            });
            row
        })
        .collect();
    sheet.table(&columns(&spec), &rows)?;

    let void: Vec<&Value> = seats
        .iter()
        .filter(|s| s.get("state").and_then(Value::as_str) == Some("void"))
        .collect();
    if !void.is_empty() {
        sheet.paragraph("已作废的席位（其评分与意见不计入本报告）：", 0.0, BODY_SIZE)?;
        let rows: Vec<Vec<String>> = void
            .iter()
            .map(|s| {
                vec![
                    seat_number(s).to_string(),
                    text_of(s.get("label")),
                    text_of(s.get("void_reason")),
                ]
            })
            .collect();
        sheet.table(
            &columns(&[("席位", 0.6), ("席位标签", 1.4), ("作废原因", 4.0)]),
            &rows,
        )?;
    }
    Ok(())
}

fn rejections(sheet: &mut Typesetter<'_, '_>, report: &Value) -> Result<(), PdfError> {
    sheet.heading("三、否决投标")?;
    let proposals = array(report, "rejections");
    if report.get("rejections").is_none() {
        sheet.paragraph("本格式的报告不记录否决投标。", 0.0, BODY_SIZE)?;
        return Ok(());
    }
    if proposals.is_empty() {
        sheet.paragraph("无否决投标的提议。", 0.0, BODY_SIZE)?;
        return Ok(());
    }
    for proposal in proposals {
        let state = match proposal.get("state").and_then(Value::as_str) {
            Some("rejected") => "否决".to_owned(),
            Some("not_rejected") => "不否决".to_owned(),
            other => text_of(other.map(|s| Value::String(s.into())).as_ref()),
        };
        sheet.keep(BODY_SIZE * LEADING + 3.0 * (TABLE_SIZE * LEADING + 2.0 * CELL_PADDING));
        sheet.paragraph(
            &format!(
                "提议 {}：投标人 {} —— 表决结果：{}",
                text_of(proposal.get("proposal")),
                text_of(proposal.get("bidder")),
                state
            ),
            0.0,
            BODY_SIZE,
        )?;
        let votes: Vec<String> = array(proposal, "votes")
            .iter()
            .map(|v| {
                format!(
                    "席位 {} {}",
                    text_of(v.get("seat")),
                    if v.get("reject").and_then(Value::as_bool) == Some(true) {
                        "赞成否决"
                    } else {
                        "反对否决"
                    }
                )
            })
            .collect();
        let rows = vec![
            vec![
                "否决依据".to_owned(),
                format!(
                    "《招标投标法实施条例》第五十一条第（{}）项：{}（{}）",
                    text_of(proposal.get("ground_item")),
                    text_of(proposal.get("ground_text")),
                    text_of(proposal.get("ground")),
                ),
            ],
            vec!["理由".to_owned(), text_of(proposal.get("reasons"))],
            vec![
                "提议人".to_owned(),
                format!("席位 {}", text_of(proposal.get("proposed_by"))),
            ],
            vec![
                "表决".to_owned(),
                format!(
                    "赞成 {} 票，反对 {} 票，成员 {} 名",
                    text_of(proposal.get("votes_for")),
                    text_of(proposal.get("votes_against")),
                    text_of(proposal.get("members")),
                ),
            ],
            vec!["逐席表决".to_owned(), votes.join("；")],
        ];
        sheet.table(&columns(&[("项目", 1.0), ("内容", 4.2)]), &rows)?;
    }
    Ok(())
}

fn scores(sheet: &mut Typesetter<'_, '_>, report: &Value) -> Result<(), PdfError> {
    sheet.heading("四、评分汇总")?;
    let lowest_price = report.get("method").and_then(Value::as_str) == Some("lowest_price");
    let criteria: Vec<String> = array(report, "criteria")
        .iter()
        .map(|c| text_of(c.get("name")))
        .collect();
    let summary = array(report, "summary");
    if summary.is_empty() {
        sheet.paragraph("没有参与评分的投标。", 0.0, BODY_SIZE)?;
        return Ok(());
    }
    sheet.paragraph(
        "分值单位为分，保留两位小数；“偏离”表示该成员的总分与中位总分之差超出偏离提示阈值，提示评标委员会复核，并非结论。",
        0.0,
        BODY_SIZE,
    )?;
    let criterion_headers: Vec<String> = criteria.clone();
    let mut spec: Vec<(&str, f32)> = vec![("席位", 0.7)];
    for header in &criterion_headers {
        spec.push((header.as_str(), 1.0));
    }
    spec.push(("总分", 1.0));
    if lowest_price {
        spec.push(("评标价", 1.5));
    }
    spec.push(("偏离", 0.6));
    let table_columns = columns(&spec);
    for entry in summary {
        let mut line = format!(
            "投标人：{}　中位总分：{}",
            text_of(entry.get("bidder")),
            centi(entry.get("median_total_centi"))
        );
        if lowest_price {
            line.push_str(&format!(
                "　中位评标价：{}",
                centi(entry.get("median_evaluated_price_centi"))
            ));
        }
        // The bidder's line, the table's header and its first rows together.
        sheet.keep(BODY_SIZE * LEADING + 4.0 * (TABLE_SIZE * LEADING + 2.0 * CELL_PADDING));
        sheet.paragraph(&line, 0.0, BODY_SIZE)?;
        let sheets = array(entry, "sheets");
        let rows: Vec<Vec<String>> = sheets
            .iter()
            .map(|s| {
                let mut row = vec![text_of(s.get("seat"))];
                for criterion in &criteria {
                    row.push(centi(s.get("scores_centi").and_then(|m| m.get(criterion))));
                }
                row.push(centi(s.get("total_centi")));
                if lowest_price {
                    row.push(centi(s.get("evaluated_price_centi")));
                }
                row.push(
                    if s.get("deviates").and_then(Value::as_bool) == Some(true) {
                        "是".into()
                    } else {
                        "否".into()
                    },
                );
                row
            })
            .collect();
        sheet.table(&table_columns, &rows)?;
        for s in sheets {
            if let Some(comment) = s.get("comment").and_then(Value::as_str) {
                sheet.paragraph(
                    &format!("席位 {} 的评审意见：{comment}", text_of(s.get("seat"))),
                    12.0,
                    TABLE_SIZE,
                )?;
            }
        }
    }
    Ok(())
}

fn ranking(sheet: &mut Typesetter<'_, '_>, report: &Value) -> Result<(), PdfError> {
    sheet.heading("五、排序与推荐的中标候选人")?;
    if report.get("ranking").is_none() {
        sheet.paragraph(
            "本格式的报告不含排序，由评分汇总的中位总分得出。",
            0.0,
            BODY_SIZE,
        )?;
        return Ok(());
    }
    let lowest_price = report.get("method").and_then(Value::as_str) == Some("lowest_price");
    let mut spec = vec![("名次", 0.6), ("投标人", 2.4)];
    if lowest_price {
        spec.push(("中位评标价", 1.3));
    }
    spec.extend([("中位总分", 1.0), ("总分合计", 1.0), ("与上一名并列", 1.0)]);
    let rows: Vec<Vec<String>> = array(report, "ranking")
        .iter()
        .map(|r| {
            let mut row = vec![text_of(r.get("position")), text_of(r.get("bidder"))];
            if lowest_price {
                row.push(centi(r.get("evaluated_price_centi")));
            }
            row.push(centi(r.get("median_total_centi")));
            row.push(centi(r.get("sum_total_centi")));
            row.push(
                if r.get("tied_with_previous").and_then(Value::as_bool) == Some(true) {
                    "是".into()
                } else {
                    "否".into()
                },
            );
            row
        })
        .collect();
    if rows.is_empty() {
        sheet.paragraph("没有参与排序的投标。", 0.0, BODY_SIZE)?;
    } else {
        sheet.table(&columns(&spec), &rows)?;
    }
    let candidates: Vec<String> = array(report, "candidates")
        .iter()
        .map(|c| {
            format!(
                "第 {} 名 {}",
                text_of(c.get("position")),
                text_of(c.get("bidder"))
            )
        })
        .collect();
    sheet.paragraph(
        &if candidates.is_empty() {
            "推荐的中标候选人：无".to_owned()
        } else {
            format!("推荐的中标候选人（依次）：{}", candidates.join("；"))
        },
        0.0,
        BODY_SIZE,
    )
}

fn clarifications(sheet: &mut Typesetter<'_, '_>, report: &Value) -> Result<(), PdfError> {
    let requests = array(report, "clarifications");
    if requests.is_empty() {
        return Ok(());
    }
    sheet.heading("六、澄清")?;
    let rows: Vec<Vec<String>> = requests
        .iter()
        .map(|c| {
            vec![
                text_of(c.get("number")),
                text_of(c.get("seat")),
                text_of(c.get("bidder")),
                text_of(c.get("question")),
                match c.get("state").and_then(Value::as_str) {
                    Some("approved") => "已批准".into(),
                    Some("refused") => "未批准".into(),
                    Some("pending") => "未决定".into(),
                    other => text_of(other.map(|s| Value::String(s.into())).as_ref()),
                },
            ]
        })
        .collect();
    sheet.table(
        &columns(&[
            ("编号", 0.6),
            ("席位", 0.6),
            ("投标人", 1.4),
            ("问题", 3.6),
            ("状态", 0.8),
        ]),
        &rows,
    )
}

fn dissents(
    sheet: &mut Typesetter<'_, '_>,
    report: &Value,
    signatures: &[SignatureLine],
) -> Result<(), PdfError> {
    sheet.heading("七、不同意见")?;
    let mut written: BTreeMap<u64, String> = BTreeMap::new();
    for seat in array(report, "seats") {
        if let Some(reasons) = seat.get("dissent_reasons").and_then(Value::as_str) {
            written.insert(seat_number(seat), reasons.to_owned());
        }
    }
    for line in signatures {
        if !line.agree
            && let Some(reasons) = &line.reasons
        {
            written
                .entry(u64::from(line.seat))
                .or_insert_with(|| reasons.clone());
        }
    }
    if written.is_empty() {
        return sheet.paragraph("没有成员提出不同意见。", 0.0, BODY_SIZE);
    }
    for (seat, reasons) in written {
        sheet.paragraph(&format!("席位 {seat} 不同意，理由如下："), 0.0, BODY_SIZE)?;
        sheet.paragraph(&reasons, 2.0 * BODY_SIZE, BODY_SIZE)?;
        sheet.space(4.0);
    }
    Ok(())
}

fn signature_table(
    sheet: &mut Typesetter<'_, '_>,
    report: &Value,
    signatures: &[SignatureLine],
) -> Result<(), PdfError> {
    sheet.heading("八、签署情况")?;
    let mut decisions: BTreeMap<u64, Option<String>> = BTreeMap::new();
    for seat in array(report, "seats") {
        if seat.get("state").and_then(Value::as_str) == Some("active") {
            decisions.insert(
                seat_number(seat),
                seat.get("signature")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            );
        }
    }
    for line in signatures {
        decisions.entry(u64::from(line.seat)).or_insert(None);
    }
    let rows: Vec<Vec<String>> = decisions
        .iter()
        .map(|(seat, recorded)| {
            let line = signatures.iter().find(|l| u64::from(l.seat) == *seat);
            let decision = match (recorded.as_deref(), line) {
                (Some("agree"), _) => "同意".to_owned(),
                (Some("dissent"), _) => "不同意".to_owned(),
                (Some("deemed_agree"), _) => "视为同意（逾期未签署）".to_owned(),
                (Some(other), _) => other.to_owned(),
                (None, Some(line)) if line.agree => "同意".to_owned(),
                (None, Some(_)) => "不同意".to_owned(),
                (None, None) => "—".to_owned(),
            };
            let signed = line.filter(|l| l.signature_sha256.is_some());
            match signed {
                Some(line) => vec![
                    seat.to_string(),
                    decision,
                    key_kind(line.key_kind.as_deref()),
                    digest_in_halves(line.key_fingerprint.as_deref()),
                    digest_in_halves(line.signature_sha256.as_deref()),
                ],
                None => vec![
                    seat.to_string(),
                    decision,
                    "未签名".into(),
                    "未签名".into(),
                    "未签名".into(),
                ],
            }
        })
        .collect();
    sheet.table(
        &columns(&[
            ("席位", 0.45),
            ("意见", 0.9),
            ("密钥类型", 1.0),
            ("密钥指纹（SHA-256）", 2.35),
            ("签名值摘要", 2.35),
        ]),
        &rows,
    )
}

fn verification(
    sheet: &mut Typesetter<'_, '_>,
    input: &ReadableReport<'_>,
) -> Result<(), PdfError> {
    sheet.heading("九、验证信息")?;
    let mut lines = input.checkpoint.lines();
    let origin = lines.next().unwrap_or_default();
    let size = lines.next().unwrap_or_default();
    let root = lines.next().unwrap_or_default();
    let mut rows = vec![vec!["报告摘要".to_owned(), input.report_sha256.to_owned()]];
    if let Some(draft) = input.report.get("draft_sha256").filter(|d| !d.is_null()) {
        rows.push(vec![
            "签署所依据的草稿摘要".to_owned(),
            text_of(Some(draft)),
        ]);
    }
    rows.extend([
        vec!["审计日志检查点来源".to_owned(), origin.to_owned()],
        vec!["检查点树大小".to_owned(), size.to_owned()],
        vec!["检查点根哈希".to_owned(), root.to_owned()],
    ]);
    sheet.table(&columns(&[("项目", 1.3), ("值", 3.7)]), &rows)?;
    sheet.paragraph(
        "核验方法：按规范化 JSON（RFC 8785）计算 report.json 的摘要（部署所用密码套件的哈希：SHA-256，或国密套件的 SM3），应与上列报告摘要一致；其审计日志条目在上述检查点下的包含证明随归档包提供，可用 sealdraw archive verify 离线核验。",
        0.0,
        BODY_SIZE,
    )
}

/// A 64-digit digest on two lines of 32, which a reader compares more easily than a digest
/// broken wherever the column ends.
fn digest_in_halves(digest: Option<&str>) -> String {
    match digest {
        Some(digest) if is_sha256_hex(digest) => format!("{}\n{}", &digest[..32], &digest[32..]),
        Some(other) => other.to_owned(),
        None => "—".into(),
    }
}

fn key_kind(kind: Option<&str>) -> String {
    match kind {
        Some("webcrypto") => "浏览器密钥（WebCrypto）".into(),
        Some("key_file") => "密钥文件".into(),
        Some("pkcs11") => "硬件令牌（PKCS#11）".into(),
        Some("certificate") => "数字证书".into(),
        Some(other) => other.into(),
        None => "—".into(),
    }
}

fn array<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn seat_number(value: &Value) -> u64 {
    value.get("seat").and_then(Value::as_u64).unwrap_or(0)
}

/// A recorded value as it was recorded: strings as they are, numbers in their JSON form.
fn text_of(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "是".into(),
        Some(Value::Bool(false)) => "否".into(),
        Some(other) => other.to_string(),
    }
}

/// Hundredths of a point as points with two decimals (the report keeps integers).
fn centi(value: Option<&Value>) -> String {
    match value.and_then(Value::as_i64) {
        Some(centi) => {
            let sign = if centi < 0 { "-" } else { "" };
            let centi = centi.unsigned_abs();
            format!("{sign}{}.{:02}", centi / 100, centi % 100)
        }
        None => text_of(value),
    }
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

// ---------------------------------------------------------------------------------------------
// Drawing: the laid-out pages into krilla's document.

fn draw(pages: &[Vec<Mark>], font: &FontFile, report_sha256: &str) -> Result<Vec<u8>, PdfError> {
    let font = Font::new(font.bytes.clone().into(), font.index).ok_or_else(|| {
        PdfError::Font(format!(
            "the font has no face {} or is not a TrueType or OpenType font",
            font.index
        ))
    })?;
    let mut document = Document::new_with(SerializeSettings::default());
    let stroke = Stroke {
        width: RULE_WIDTH,
        ..Stroke::default()
    };
    for marks in pages {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| PdfError::Render("the page size is not valid".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for mark in marks {
            match mark {
                Mark::Text {
                    x,
                    baseline,
                    size,
                    text,
                } => surface.draw_text(
                    Point::from_xy(*x, *baseline),
                    font.clone(),
                    *size,
                    text,
                    false,
                    TextDirection::LeftToRight,
                ),
                Mark::Rule { x1, x2, y } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y);
                    path.line_to(*x2, *y);
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(stroke.clone()));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                        surface.set_fill(Some(Default::default()));
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    // No creation date, and an identifier derived from the digest: the same report gives the
    // same file. (`render` has checked that the digest is 64 hexadecimal digits.)
    document.set_metadata(
        Metadata::new()
            .title(format!("评标报告 {}", &report_sha256[..16]))
            .keywords(vec![format!("{DIGEST_KEYWORD}{report_sha256}")])
            .creator("sealdraw".into())
            .language("zh-CN".into())
            .document_id(format!("{DIGEST_KEYWORD}{report_sha256}")),
    );
    document
        .finish()
        .map_err(|error| PdfError::Render(format!("{error:?}")))
}

// ---------------------------------------------------------------------------------------------
// Reading the digest back: just enough of the file structure (a classic cross-reference table,
// which is what krilla writes) to find the Info dictionary.

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

fn integer_at(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let start = skip_whitespace(bytes, at);
    let digits = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > 12 {
        return None;
    }
    let number = std::str::from_utf8(&bytes[start..start + digits])
        .ok()?
        .parse()
        .ok()?;
    Some((number, start + digits))
}

fn last_startxref(pdf: &[u8]) -> Option<usize> {
    let at = rfind(pdf, b"startxref")?;
    let (offset, _) = integer_at(pdf, at + b"startxref".len())?;
    usize::try_from(offset).ok()
}

/// The trailer dictionary's bytes and object number → (offset, generation) of the in-use
/// entries of the cross-reference table at `offset`.
/// Object number → (byte offset, generation) of the objects in use.
type ObjectOffsets = BTreeMap<u64, (usize, u64)>;

fn cross_references(pdf: &[u8], offset: usize) -> Option<(&[u8], ObjectOffsets)> {
    let table = pdf.get(offset..)?;
    if !table.starts_with(b"xref") {
        return None;
    }
    let mut at = b"xref".len();
    let mut offsets = BTreeMap::new();
    loop {
        at = skip_whitespace(table, at);
        if table[at..].starts_with(b"trailer") {
            let trailer = &table[at + b"trailer".len()..];
            let end = find(trailer, b"startxref")?;
            return Some((&trailer[..end], offsets));
        }
        let (first, next) = integer_at(table, at)?;
        let (count, next) = integer_at(table, next)?;
        at = skip_whitespace(table, next);
        for number in first..first.checked_add(count)? {
            // Each entry is exactly 20 bytes: 10-digit offset, 5-digit generation, n or f.
            let entry = table.get(at..at + 20)?;
            let (object_offset, _) = integer_at(entry, 0)?;
            let (generation, end) = integer_at(entry, 10)?;
            let kind = *entry.get(skip_whitespace(entry, end))?;
            if kind == b'n' {
                offsets.insert(number, (usize::try_from(object_offset).ok()?, generation));
            }
            at += 20;
        }
    }
}

/// `KEY n g R` in a dictionary's bytes.
fn reference_after(dictionary: &[u8], key: &[u8]) -> Option<(u64, u64)> {
    let at = find(dictionary, key)? + key.len();
    // `/Info` must not be the start of a longer name.
    if dictionary
        .get(at)
        .is_some_and(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    let (number, next) = integer_at(dictionary, at)?;
    let (generation, next) = integer_at(dictionary, next)?;
    let next = skip_whitespace(dictionary, next);
    (dictionary.get(next) == Some(&b'R')).then_some((number, generation))
}

/// The literal string `( … )` that follows `key`, with its escapes undone.
fn literal_string_after(dictionary: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    let at = find(dictionary, key)? + key.len();
    let at = skip_whitespace(dictionary, at);
    if dictionary.get(at) != Some(&b'(') {
        return None;
    }
    let mut out = Vec::new();
    let mut depth = 1;
    let mut bytes = dictionary[at + 1..].iter();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'\\' => out.push(*bytes.next()?),
            b'(' => {
                depth += 1;
                out.push(byte);
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(out);
                }
                out.push(byte);
            }
            _ => out.push(byte),
        }
    }
    None
}

#[cfg(test)]
mod tests;
