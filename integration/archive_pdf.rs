//! The readable report looked at as a person would (issue 19 §2): the PDF of a session driven
//! to its close is opened in a headless Firefox (its built-in PDF viewer, pdf.js), the screen
//! is photographed, and OCR (tesseract with its simplified Chinese data) must read the Chinese
//! labels and the report digest off the picture. The PDF is the one in the session's archive
//! package, fetched over the API. The text layer is also checked with poppler's
//! pdftotext: the Chinese must be extractable (search and copy), not only drawn.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sealdraw::archive::package::{MANIFEST, Package, REPORT_JSON, REPORT_PDF};
use sealdraw::archive::pdf;
use sealdraw::session::protocol::Request;
use sealdraw::session::rules::Phase;
use serde_json::Value;

use crate::browser::{Browser, save_screenshot};
use crate::sessions::{Committee, Mode, advance, ok};

const DISSENT: &str = "价格分计算方法与招标文件第五条不一致，应重新计算";
/// How long pdf.js may take to lay the first page out on a busy machine.
const RENDERING: Duration = Duration::from_secs(60);

/// The closed session's report, its digest, and the PDF of them.
struct Readable {
    report: Value,
    report_sha256: String,
    pdf: Vec<u8>,
}

/// A five-member session scored, signed (the first seat dissenting in writing) and closed.
async fn closed_session() -> Committee {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let mut clients = committee.everyone().await;
    clients.open_evaluation().await;
    clients.score_all().await;
    advance(&mut clients.host, Phase::Summary).await;
    let reply = advance(&mut clients.host, Phase::Signing).await;
    let draft = reply["report_sha256"].as_str().unwrap().to_owned();
    for (n, (client, _)) in clients.experts.values_mut().enumerate() {
        let request = Request::Sign {
            report_sha256: draft.clone(),
            agree: n != 0,
            reasons: (n == 0).then(|| DISSENT.to_owned()),
            signature: None,
        };
        ok(client, request).await;
    }
    advance(&mut clients.host, Phase::Closed).await;
    committee
}

/// The readable report in the closed session's archive package, as a supervisor fetches it
/// (`GET /api/v1/archives/{id}`), with the report it was rendered from and its digest.
async fn readable_report(committee: &Committee) -> Readable {
    let app = &committee.fx.app;
    let response = app
        .get(
            &format!("/api/v1/archives/{}", committee.session_id),
            Some(committee.fx.supervisor.as_str()),
        )
        .await;
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let package = Package::from_zip(&response.bytes().await.unwrap()).unwrap();
    let manifest: Value = serde_json::from_slice(package.file(MANIFEST).unwrap()).unwrap();
    let report: Value = serde_json::from_slice(package.file(REPORT_JSON).unwrap()).unwrap();
    Readable {
        report,
        report_sha256: manifest["report_digest"].as_str().unwrap().to_owned(),
        pdf: package.file(REPORT_PDF).unwrap().to_vec(),
    }
}

#[tokio::test]
async fn the_readable_report_of_a_closed_session_is_legible_chinese_in_a_browser() {
    let committee = closed_session().await;
    let readable = readable_report(&committee).await;
    assert_eq!(
        pdf::embedded_report_sha256(&readable.pdf).as_deref(),
        Some(readable.report_sha256.as_str())
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &readable.pdf).unwrap();

    // The text layer: every label, value and the digest can be searched and copied.
    let extracted = run("pdftotext", &["-layout", file.to_str().unwrap(), "-"]);
    let flat: String = extracted.split_whitespace().collect();
    for expected in [
        "评标报告",
        "基本信息",
        "评标委员会",
        "评分汇总",
        "签署情况",
        "不同意见",
        "验证信息",
        "未签名",
        DISSENT,
        committee.session_id.as_str(),
        readable.report_sha256.as_str(),
    ] {
        assert!(
            flat.contains(expected),
            "{expected:?} cannot be extracted from the PDF:\n{extracted}"
        );
    }
    let bidder: String = readable.report["bidders"][0]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(flat.contains(&bidder), "{bidder:?} missing:\n{extracted}");

    // The picture: Firefox's viewer draws the first page across a tall window, and OCR reads
    // the title, the section labels and the digest's first characters (in the page footer).
    let browser = Browser::firefox(&committee.fx.app).await;
    browser
        .webdriver()
        .set_window_size(1400, 2000)
        .await
        .unwrap();
    let url = format!("file://{}#page=1&zoom=page-width", file.display());
    browser.webdriver().goto(&url).await.unwrap();
    wait_until_drawn(&browser).await;
    let png = browser.webdriver().screenshot().await.unwrap();
    let screenshot = save_screenshot("archive-readable-report", &png);

    let read = ocr(&screenshot);
    let read_flat: String = read.split_whitespace().collect();
    for label in ["评标报告", "基本信息", "评标会话编号", "评标委员会"] {
        assert!(
            read_flat.contains(label),
            "OCR did not read {label:?} in {} (it read:\n{read})",
            screenshot.display()
        );
    }
    // Ten hexadecimal digits, of which OCR may misread one (`8` for `B`, `5` for `S`): the
    // chance that random text matches nine of ten is negligible.
    let digest_start: Vec<char> = unconfused(&readable.report_sha256[..10]).chars().collect();
    let read_chars: Vec<char> = unconfused(&read_flat).chars().collect();
    assert!(
        read_chars.windows(digest_start.len()).any(|window| {
            window
                .iter()
                .zip(&digest_start)
                .filter(|(a, b)| a != b)
                .count()
                <= 1
        }),
        "OCR did not read the digest's first characters {} in {} (it read:\n{read})",
        &readable.report_sha256[..10],
        screenshot.display()
    );
}

/// Waits until pdf.js has drawn the first page and laid its text out.
async fn wait_until_drawn(browser: &Browser) {
    let started = Instant::now();
    loop {
        let drawn = browser
            .webdriver()
            .execute(
                "const page = document.querySelector('.page[data-page-number=\"1\"]');
                 return !!page && page.getAttribute('data-loaded') === 'true'
                     && !!page.querySelector('canvas')
                     && page.querySelectorAll('.textLayer span').length > 10
                     && !document.querySelector('#loadingBar:not(.hidden) .progress');",
                vec![],
            )
            .await
            .unwrap_or(Value::Bool(false));
        if drawn == Value::Bool(true) {
            // The canvas is painted in the frame after the page is marked loaded.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return;
        }
        if started.elapsed() > RENDERING {
            let png = browser.webdriver().screenshot().await.unwrap();
            let path = save_screenshot("archive-readable-report-not-drawn", &png);
            panic!(
                "Firefox's PDF viewer did not draw the report within {RENDERING:?}: {}",
                path.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What tesseract reads in the picture, in simplified Chinese and Latin.
fn ocr(png: &Path) -> String {
    run(
        "tesseract",
        &[
            png.to_str().unwrap(),
            "-",
            "-l",
            "chi_sim+eng",
            "--psm",
            "3",
        ],
    )
}

/// Latin letters OCR confuses with digits, made one, so that a digest read as `1O7l` still
/// compares equal to `107l`'s hexadecimal (the other hex letters are not confused).
fn unconfused(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'o' | 'O' => '0',
            'l' | 'I' | 'i' | '|' => '1',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| {
            panic!("{program} cannot run ({error}); .ci/run installs it (poppler-utils, tesseract-ocr-chi-sim)")
        });
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
