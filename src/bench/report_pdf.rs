//! `sealdraw bench report-pdf`: the readable report of a large evaluation (docs/ARCHIVE.md,
//! "The readable report") — by default ten members scoring twenty bidders on five criteria,
//! two rejected bids, two long dissents and every member's signature — rendered again and
//! again on one thread: the time to render (median), the PDF's size and pages, beside loading
//! the font and reading the embedded digest back.

use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Value, json};

use super::audit::{BenchStart, Samples};
use crate::archive::pdf::{self, FontFile, ReadableReport, SignatureLine};
use crate::audit::entry::canonical_json;
use crate::crypto::Suite;

pub(crate) const DEFAULT_MEMBERS: u32 = 10;
pub(crate) const DEFAULT_BIDDERS: u32 = 20;
const CRITERIA: [(&str, i64); 5] = [
    ("技术方案", 40),
    ("施工组织", 20),
    ("项目管理", 15),
    ("商务", 15),
    ("服务承诺", 10),
];

pub(crate) struct ReportPdfBenchOptions {
    pub(crate) members: u32,
    pub(crate) bidders: u32,
    pub(crate) runs: u64,
    pub(crate) font: PathBuf,
    pub(crate) command: String,
}

pub(crate) fn report_pdf(options: &ReportPdfBenchOptions) -> anyhow::Result<String> {
    let start = BenchStart::begin(&std::env::temp_dir())?;
    let runs = options.runs.max(3);
    let report = synthetic_report(options.members, options.bidders);
    let digest = Suite::Intl2024.hex_hash(&canonical_json(&report)?);
    let signatures = signature_lines(options.members);
    let checkpoint = format!(
        "sealdraw.example/log\n{}\nq1x9VbGQ2nQ2Lr0Tt2m0dmb0f6r6Yy7s0Xz2QvJkQpA=\n",
        1_000_000
    );
    let input = ReadableReport {
        report: &report,
        report_sha256: &digest,
        signatures: &signatures,
        names: None,
        checkpoint: &checkpoint,
    };

    let mut font = None;
    let loading = Samples::collect(runs, || {
        let started = Instant::now();
        font = FontFile::load(&options.font, 0).ok();
        started.elapsed().as_secs_f64() * 1000.0
    });
    let font = font.ok_or_else(|| {
        anyhow::anyhow!(
            "cannot load the font {} (--font, or archive.font)",
            options.font.display()
        )
    })?;
    let mut rendered = pdf::render(&input, &font)?;
    let rendering = Samples::collect(runs, || {
        let started = Instant::now();
        rendered = pdf::render(&input, &font).unwrap_or_default();
        started.elapsed().as_secs_f64() * 1000.0
    });
    anyhow::ensure!(!rendered.is_empty(), "the report could not be rendered");
    let reading = Samples::collect(runs, || {
        let started = Instant::now();
        std::hint::black_box(pdf::embedded_report_sha256(std::hint::black_box(&rendered)));
        started.elapsed().as_secs_f64() * 1e6
    });
    let pages = count_pages(&rendered);
    let font_size = font.bytes().len();

    let mut out = start.report_header("sealdraw bench report-pdf", &options.command);
    out.push_str(&format!(
        "\nThe readable report of {} members scoring {} bidders on {} criteria (two bids \
         rejected, two dissents of 500 characters, every member signing with a key); \
         {} pages. One thread; medians of {runs} runs.\n\n",
        options.members,
        options.bidders,
        CRITERIA.len(),
        pages
    ));
    out.push_str("| figure | median | min – max |\n|---|---:|---:|\n");
    for (what, samples, unit) in [
        (
            format!(
                "load the font ({}, {:.1} MB)",
                options.font.display(),
                font_size as f64 / 1e6
            ),
            &loading,
            "ms",
        ),
        ("render the PDF".to_owned(), &rendering, "ms"),
        ("read the embedded digest back".to_owned(), &reading, "µs"),
    ] {
        out.push_str(&format!(
            "| {what} | {:.2} {unit} | {:.2} – {:.2} {unit} |\n",
            samples.median(),
            samples.min(),
            samples.max()
        ));
    }
    out.push_str(&format!(
        "| the PDF's size | {} bytes ({:.1} KB, {:.1} KB a page) | |\n",
        rendered.len(),
        rendered.len() as f64 / 1e3,
        rendered.len() as f64 / 1e3 / pages.max(1) as f64
    ));
    Ok(out)
}

/// Page objects: `/Type /Page` not followed by `s` (the page tree is `/Pages`).
fn count_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| w.starts_with(needle) && w[needle.len()] != b's')
        .count()
}

/// A signed comprehensive-scoring report of the canonical shape (docs/PROTOCOL.md §10).
fn synthetic_report(members: u32, bidders: u32) -> Value {
    let bidder_names: Vec<String> = (1..=bidders)
        .map(|b| format!("湖北第{b:02}建设工程有限公司"))
        .collect();
    let seats: Vec<Value> = (1..=members)
        .map(|seat| {
            let mut value = json!({
                "seat": seat, "label": format!("Expert {seat}"), "token": format!("{seat:02x}").repeat(32),
                "venue": null, "state": "active", "signature": "agree",
            });
            if seat <= 2 {
                value["signature"] = json!("dissent");
                value["dissent_reasons"] = json!(long_reasons());
            }
            value
        })
        .collect();
    let committee: Vec<Value> = (1..=members)
        .map(|seat| json!({"seat": seat, "label": format!("Expert {seat}"), "role": "expert", "chair": seat == 1}))
        .collect();
    let rejected = [bidders, bidders.saturating_sub(1)];
    let rejections: Vec<Value> = rejected
        .iter()
        .enumerate()
        .map(|(n, bidder)| {
            json!({
                "proposal": n + 1, "bidder": bidder_names[*bidder as usize - 1], "ground": "not_responsive",
                "ground_item": 6, "ground_text": "投标文件没有对招标文件的实质性要求和条件作出响应",
                "reasons": "技术方案未响应招标文件第 4.2 条关于工期和质量标准的实质性要求", "proposed_by": 1,
                "state": "rejected",
                "votes": (1..=members).map(|seat| json!({"seat": seat, "reject": true})).collect::<Vec<_>>(),
                "votes_for": members, "votes_against": 0, "members": members,
            })
        })
        .collect();
    let scored: Vec<u32> = (1..=bidders).filter(|b| !rejected.contains(b)).collect();
    let mut summary = Vec::new();
    let mut totals: Vec<(u32, i64, i64)> = Vec::new();
    for &bidder in &scored {
        let name = &bidder_names[bidder as usize - 1];
        let mut sheet_totals = Vec::new();
        let sheets: Vec<Value> = (1..=members)
            .map(|seat| {
                let mut scores = serde_json::Map::new();
                let mut total = 0;
                for (index, (criterion, max)) in CRITERIA.iter().enumerate() {
                    let spread = i64::from((bidder * 7 + seat * 3 + index as u32 * 11) % 20);
                    let score = max * 100 * (80 + spread) / 100;
                    total += score;
                    scores.insert((*criterion).into(), json!(score));
                }
                sheet_totals.push(total);
                json!({"seat": seat, "bidder": name, "scores_centi": scores, "total_centi": total, "deviates": false})
            })
            .collect();
        let mut sorted = sheet_totals.clone();
        sorted.sort_unstable();
        let median = sorted[(sorted.len() - 1) / 2];
        totals.push((bidder, median, sheet_totals.iter().sum()));
        summary.push(json!({"bidder": name, "median_total_centi": median, "sheets": sheets}));
    }
    totals.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    let ranking: Vec<Value> = totals
        .iter()
        .enumerate()
        .map(|(i, (bidder, median, sum))| {
            json!({"position": i + 1, "bidder": bidder_names[*bidder as usize - 1],
                   "median_total_centi": median, "sum_total_centi": sum, "tied_with_previous": false})
        })
        .collect();
    let candidates: Vec<Value> = ranking
        .iter()
        .take(3)
        .map(|r| json!({"position": r["position"], "bidder": r["bidder"]}))
        .collect();
    json!({
        "format": "sealdraw-session-report-v2",
        "session_id": "0190f1e2-7c3a-7000-8000-00000000a001",
        "draw_id": "0190f1d0-5b2e-7000-8000-0000000000d1",
        "mode": "distributed",
        "method": "comprehensive",
        "venues": [],
        "chair": 1,
        "committee": committee,
        "bidders": bidder_names,
        "criteria": CRITERIA.iter().map(|(name, max)| json!({"name": name, "max_points": max})).collect::<Vec<_>>(),
        "deviation_percent": 20,
        "seats": seats,
        "rejections": rejections,
        "summary": summary,
        "ranking": ranking,
        "candidates": candidates,
        "clarifications": [],
        "extensions": [],
        "ends_at": "2026-12-04T13:00:00.000Z",
        "draft_sha256": "1270401a679f12edebcb7861ed65238ec0db8b8a16df537bac50ea1919e24d61",
    })
}

fn long_reasons() -> String {
    "评标委员会多数成员对第一名投标人的施工组织设计评分过高，其安全专项方案缺失，工期安排与招标文件要求不符；"
        .repeat(12)
        .chars()
        .take(500)
        .collect()
}

fn signature_lines(members: u32) -> Vec<SignatureLine> {
    (1..=members)
        .map(|seat| SignatureLine {
            seat,
            agree: seat > 2,
            reasons: (seat <= 2).then(long_reasons),
            key_kind: Some("webcrypto".into()),
            key_fingerprint: Some(format!("{:02x}", seat).repeat(32)),
            signature_sha256: Some(format!("{:02x}", 0x80 + seat).repeat(32)),
        })
        .collect()
}
