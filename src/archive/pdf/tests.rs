use super::*;
use serde_json::json;

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
const DIGEST: &str = "1270401a679f12edebcb7861ed65238ec0db8b8a16df537bac50ea1919e24d61";
const CHECKPOINT: &str = "sealdraw.example/log\n42\nq1x9VbGQ2nQ2Lr0Tt2m0dmb0f6r6Yy7s0Xz2QvJkQpA=\n\n— sealdraw.example/log AAAA\n";

fn font() -> FontFile {
    FontFile::load(Path::new(FONT), 0).unwrap()
}

fn sheet(seat: u32, bidder: &str, scores: [i64; 3], price: Option<i64>) -> Value {
    let mut sheet = json!({
        "seat": seat, "bidder": bidder,
        "scores_centi": {"技术": scores[0], "商务": scores[1], "服务": scores[2]},
        "total_centi": scores.iter().sum::<i64>(), "deviates": seat == 5,
    });
    if let Some(price) = price {
        sheet["evaluated_price_centi"] = json!(price);
    }
    if seat == 5 {
        sheet["comment"] = json!("施工组织设计缺少安全专项方案");
    }
    sheet
}

/// A signed lowest-evaluated-price report with every part a report can have: a
/// representative, a void seat, a rejected bid and a failed proposal, a clarification, an
/// extension, a dissent and a deemed agreement.
fn every_shape() -> Value {
    json!({
        "format": "sealdraw-session-report-v2",
        "session_id": "0190f1e2-7c3a-7000-8000-00000000a001",
        "draw_id": "0190f1d0-5b2e-7000-8000-0000000000d1",
        "mode": "cross_site",
        "method": "lowest_price",
        "venues": [{"venue": 0, "name": "武汉主场"}, {"venue": 1, "name": "宜昌副场"}],
        "chair": 2,
        "committee": [
            {"seat": 1, "label": "Expert 1", "role": "expert", "chair": false},
            {"seat": 2, "label": "Expert 2", "role": "expert", "chair": true},
            {"seat": 4, "label": "Expert 4", "role": "expert", "chair": false},
            {"seat": 5, "label": "Expert 5", "role": "expert", "chair": false},
            {"seat": 6, "label": "Expert 6", "role": "expert", "chair": false},
            {"seat": 7, "label": "Representative 7", "role": "representative", "chair": false}
        ],
        "bidders": ["湖北楚天建设有限公司", "Bidder B", "宜昌三峡工程有限公司"],
        "criteria": [{"name": "技术", "max_points": 60}, {"name": "商务", "max_points": 30}, {"name": "服务", "max_points": 10}],
        "deviation_percent": 20,
        "seats": [
            {"seat": 1, "label": "Expert 1", "token": "0a2c", "venue": 0, "state": "active", "signature": "agree"},
            {"seat": 2, "label": "Expert 2", "token": "3df0", "venue": 1, "state": "active", "signature": "agree"},
            {"seat": 3, "label": "Expert 3", "token": "69da", "venue": 1, "state": "void", "void_reason": "recused"},
            {"seat": 4, "label": "Expert 4", "token": "7d1e", "venue": 0, "state": "active", "signature": "deemed_agree"},
            {"seat": 5, "label": "Expert 5", "token": "9fb1", "venue": 1, "state": "active", "signature": "dissent",
             "dissent_reasons": "第一名的施工方案没有安全专项方案，不应排在第一。"},
            {"seat": 6, "label": "Expert 6", "token": "aa01", "venue": 0, "state": "active", "signature": "agree"},
            {"seat": 7, "label": "Representative 7", "representative": true, "venue": 0, "state": "active", "signature": "agree"}
        ],
        "rejections": [
            {"proposal": 1, "bidder": "宜昌三峡工程有限公司", "ground": "price_out_of_bounds", "ground_item": 5,
             "ground_text": "投标报价低于成本或者高于招标文件设定的最高投标限价",
             "reasons": "投标报价低于成本，澄清后仍不能合理说明", "proposed_by": 1, "state": "rejected",
             "votes": [{"seat": 1, "reject": true}, {"seat": 2, "reject": true}, {"seat": 4, "reject": true}, {"seat": 5, "reject": true}],
             "votes_for": 4, "votes_against": 0, "members": 6},
            {"proposal": 2, "bidder": "Bidder B", "ground": "not_responsive", "ground_item": 6,
             "ground_text": "投标文件没有对招标文件的实质性要求和条件作出响应",
             "reasons": "技术方案未响应招标文件第 4.2 条", "proposed_by": 2, "state": "not_rejected",
             "votes": [{"seat": 2, "reject": true}, {"seat": 4, "reject": false}, {"seat": 5, "reject": false}, {"seat": 6, "reject": false}],
             "votes_for": 1, "votes_against": 3, "members": 6}
        ],
        "summary": [
            {"bidder": "湖北楚天建设有限公司", "median_total_centi": 8850, "median_evaluated_price_centi": 123456789,
             "sheets": [sheet(1, "湖北楚天建设有限公司", [5250, 2800, 900], Some(123456789)),
                        sheet(5, "湖北楚天建设有限公司", [3800, 2000, 600], Some(123400000))]},
            {"bidder": "Bidder B", "median_total_centi": 7900, "median_evaluated_price_centi": 130000000,
             "sheets": [sheet(1, "Bidder B", [4500, 2650, 800], Some(130000000)),
                        sheet(2, "Bidder B", [4400, 2700, 800], Some(130000000))]}
        ],
        "ranking": [
            {"position": 1, "bidder": "湖北楚天建设有限公司", "median_total_centi": 8850, "sum_total_centi": 17700,
             "evaluated_price_centi": 123456789, "tied_with_previous": false},
            {"position": 2, "bidder": "Bidder B", "median_total_centi": 7900, "sum_total_centi": 15800,
             "evaluated_price_centi": 130000000, "tied_with_previous": false}
        ],
        "candidates": [{"position": 1, "bidder": "湖北楚天建设有限公司"}, {"position": 2, "bidder": "Bidder B"}],
        "clarifications": [{"number": 1, "seat": 4, "bidder": "Bidder B", "question": "请澄清项目经理的在岗安排", "state": "approved"}],
        "extensions": [{"number": 1, "minutes": 60, "declared": 3, "members": 6, "extended_at": "2026-12-04T10:12:00.000Z"}],
        "ends_at": "2026-12-04T13:00:00.000Z",
        "draft_sha256": "d07db4362835a650f7354b6ec12f999fa7ca425487e76458a5ecb98ac5600801"
    })
}

fn signatures() -> Vec<SignatureLine> {
    let signed = |seat: u32, kind: &str| SignatureLine {
        seat,
        agree: true,
        reasons: None,
        key_kind: Some(kind.into()),
        key_fingerprint: Some(format!("{seat:02}").repeat(32)),
        signature_sha256: Some(format!("{:02x}", 0xa0 + seat).repeat(32)),
    };
    vec![
        signed(1, "webcrypto"),
        signed(2, "key_file"),
        SignatureLine {
            agree: false,
            reasons: Some("第一名的施工方案没有安全专项方案，不应排在第一。".into()),
            ..signed(5, "certificate")
        },
        // Decided before signatures were required: no key.
        SignatureLine {
            seat: 6,
            agree: true,
            reasons: None,
            key_kind: None,
            key_fingerprint: None,
            signature_sha256: None,
        },
        signed(7, "pkcs11"),
    ]
}

fn input<'a>(
    report: &'a Value,
    signatures: &'a [SignatureLine],
    names: Option<&'a BTreeMap<u32, String>>,
) -> ReadableReport<'a> {
    ReadableReport {
        report,
        report_sha256: DIGEST,
        signatures,
        names,
        checkpoint: CHECKPOINT,
    }
}

fn layout(input: &ReadableReport<'_>, font: &FontFile) -> Result<Vec<Vec<Mark>>, PdfError> {
    let metrics = Metrics::new(font)?;
    let mut sheet = Typesetter::new(&metrics);
    compose(&mut sheet, input)?;
    sheet.finish(input)
}

fn texts(page: &[Mark]) -> Vec<&str> {
    page.iter()
        .filter_map(|mark| match mark {
            Mark::Text { text, .. } => Some(text.as_str()),
            Mark::Rule { .. } => None,
        })
        .collect()
}

fn all_text(pages: &[Vec<Mark>]) -> String {
    pages
        .iter()
        .flat_map(|p| texts(p))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_same_report_renders_to_the_same_bytes() {
    let font = font();
    let report = every_shape();
    let signatures = signatures();
    let first = render(&input(&report, &signatures, None), &font).unwrap();
    let second = render(&input(&report, &signatures, None), &font).unwrap();
    assert!(first.starts_with(b"%PDF-"));
    assert_eq!(first, second);
    assert!(
        find(&first, b"CreationDate").is_none(),
        "a creation date would change every rendering"
    );

    let mut changed = report.clone();
    changed["summary"][0]["sheets"][0]["total_centi"] = json!(8951);
    let other = render(&input(&changed, &signatures, None), &font).unwrap();
    assert_ne!(first, other, "a changed score must change the PDF");
}

#[test]
fn the_embedded_digest_reads_back_from_the_info_dictionary_only() {
    let font = font();
    let report = every_shape();
    let signatures = signatures();
    let pdf = render(&input(&report, &signatures, None), &font).unwrap();
    assert_eq!(embedded_report_sha256(&pdf).as_deref(), Some(DIGEST));

    // Another digest in an object nothing names as the Info dictionary is not taken for it,
    // whether it sits before the cross-reference table or after the end of the file.
    let decoy = "0000000000000000000000000000000000000000000000000000000000000000";
    let object = format!("\n99 0 obj\n<< /Keywords ({DIGEST_KEYWORD}{decoy}) >>\nendobj\n");
    let mut appended = pdf.clone();
    appended.extend_from_slice(object.as_bytes());
    assert_eq!(embedded_report_sha256(&appended).as_deref(), Some(DIGEST));
    let body_end = find(&pdf, b"\nxref\n").unwrap();
    let mut inserted = pdf[..body_end].to_vec();
    inserted.extend_from_slice(object.as_bytes());
    let shift = inserted.len() - body_end;
    inserted.extend_from_slice(&pdf[body_end..]);
    // The table still points at the objects before the insertion; `startxref` moves with it.
    let startxref = rfind(&inserted, b"startxref").unwrap();
    let old_offset = last_startxref(&pdf).unwrap();
    inserted.truncate(startxref);
    inserted.extend_from_slice(format!("startxref\n{}\n%%EOF", old_offset + shift).as_bytes());
    assert_eq!(embedded_report_sha256(&inserted).as_deref(), Some(DIGEST));
    // A `startxref` that points nowhere finds nothing rather than searching.
    let mut broken = pdf.clone();
    let at = rfind(&broken, b"startxref").unwrap();
    broken.truncate(at);
    broken.extend_from_slice(b"startxref\n17\n%%EOF");
    assert_eq!(embedded_report_sha256(&broken), None);

    // A changed digest in the Info dictionary itself is what is read.
    let tampered_digest = DIGEST.replace('1', "2");
    let keyword = format!("({DIGEST_KEYWORD}{DIGEST})");
    let at = find(&pdf, keyword.as_bytes()).unwrap();
    let mut tampered = pdf.clone();
    tampered[at..at + keyword.len()]
        .copy_from_slice(format!("({DIGEST_KEYWORD}{tampered_digest})").as_bytes());
    assert_eq!(
        embedded_report_sha256(&tampered).as_deref(),
        Some(tampered_digest.as_str())
    );

    assert_eq!(embedded_report_sha256(b"%PDF-1.7\n%%EOF"), None);
    assert_eq!(embedded_report_sha256(b""), None);
    assert_eq!(embedded_report_sha256(&pdf[..pdf.len() / 2]), None);
}

#[test]
fn a_report_with_every_shape_renders_each_part_in_chinese() {
    let font = font();
    let report = every_shape();
    let signatures = signatures();
    let names = BTreeMap::from([(1, "张三".to_owned()), (2, "李四".to_owned())]);
    let pages = layout(&input(&report, &signatures, Some(&names)), &font).unwrap();
    // Table cells wrap: what was one string may be several lines.
    let text = all_text(&pages).replace('\n', "");
    for expected in [
        "评标报告",
        "0190f1e2-7c3a-7000-8000-00000000a001",
        "经评审的最低投标价法",
        "远程异地评标（主副场）",
        "武汉主场",
        "主任委员",
        "招标人代表",
        "张三",
        "李四",
        "recused",
        "宜昌三峡工程有限公司 —— 表决结果：否决",
        "Bidder B —— 表决结果：不否决",
        "投标报价低于成本，澄清后仍不能合理说明",
        "赞成 4 票，反对 0 票，成员 6 名",
        "中位评标价：1234567.89",
        "52.50",
        "席位 5 的评审意见：施工组织设计缺少安全专项方案",
        "推荐的中标候选人（依次）：第 1 名 湖北楚天建设有限公司；第 2 名 Bidder B",
        "请澄清项目经理的在岗安排",
        "席位 5 不同意，理由如下：",
        "视为同意（逾期未签署）",
        "浏览器密钥（WebCrypto）",
        "数字证书",
        "未签名",
        "sealdraw.example/log",
        "q1x9VbGQ2nQ2Lr0Tt2m0dmb0f6r6Yy7s0Xz2QvJkQpA=",
        "d07db4362835a650f7354b6ec12f999fa7ca425487e76458a5ecb98ac5600801",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} is missing from:\n{text}"
        );
    }
    assert!(text.contains(DIGEST));
    // Seat 4 (deemed to agree) has no signature line; seat 6 agreed without a key.
    let rows_unsigned = text.matches("未签名").count();
    assert_eq!(rows_unsigned, 6, "two seats × three columns:\n{text}");
    let last = pages.last().unwrap();
    assert!(texts(last).contains(&format!("第 {0} 页，共 {0} 页", pages.len()).as_str()));

    // Without names, no name is shown.
    let pages = layout(&input(&report, &signatures, None), &font).unwrap();
    assert!(!all_text(&pages).contains("张三"));
    assert!(!all_text(&pages).contains("姓名"));
    render(&input(&report, &signatures, Some(&names)), &font).unwrap();
}

#[test]
fn a_version_1_draft_without_rankings_or_signatures_renders() {
    let report = json!({
        "format": "sealdraw-session-report-v1",
        "session_id": "0190f1e2-7c3a-7000-8000-00000000a001",
        "draw_id": "0190f1d0-5b2e-7000-8000-0000000000d1",
        "mode": "distributed",
        "venues": [],
        "chair": 2,
        "bidders": ["Bidder A"],
        "criteria": [{"name": "technical", "max_points": 100}],
        "deviation_percent": 20,
        "seats": [{"seat": 1, "label": "Expert 1", "token": "0a", "venue": null, "state": "active"},
                  {"seat": 2, "label": "Expert 2", "token": "0b", "venue": null, "state": "active"}],
        "summary": [{"bidder": "Bidder A", "median_total_centi": 8000, "sheets": [
            {"seat": 1, "bidder": "Bidder A", "scores_centi": {"technical": 8000}, "total_centi": 8000, "deviates": false}]}]
    });
    let font = font();
    let pages = layout(&input(&report, &[], None), &font).unwrap();
    let text = all_text(&pages);
    for expected in [
        "待签署的报告草稿",
        "远程分散评标",
        "本格式的报告不记录否决投标。",
        "本格式的报告不含排序",
        "没有成员提出不同意见。",
        "80.00",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} is missing from:\n{text}"
        );
    }
    render(&input(&report, &[], None), &font).unwrap();
}

#[test]
fn long_dissent_reasons_wrap_within_the_margin_and_continue_on_the_next_page() {
    let font = font();
    let metrics = Metrics::new(&font).unwrap();
    let mut report = every_shape();
    let reasons: String =
        "评标委员会认为该投标人的施工组织设计存在重大缺陷，安全措施不足，工期安排不合理；"
            .repeat(40)
            .chars()
            .take(2000)
            .collect();
    for seat in [1, 2, 4] {
        report["seats"][seat]["signature"] = json!("dissent");
        report["seats"][seat]["dissent_reasons"] = json!(reasons);
    }
    let signatures = signatures();
    let pages = layout(&input(&report, &signatures, None), &font).unwrap();

    // Every line of the reasons lies within the text width, and together they are the reasons.
    let mut lines_of_reasons = Vec::new();
    let mut pages_with_reasons = BTreeSet::new();
    for (number, page) in pages.iter().enumerate() {
        for mark in page {
            if let Mark::Text { x, size, text, .. } = mark
                && *x == MARGIN_LEFT + 2.0 * BODY_SIZE
            {
                let width = metrics.width(text, *size).unwrap();
                assert!(
                    x + width <= MARGIN_LEFT + TEXT_WIDTH + *size,
                    "{text:?} runs past the margin"
                );
                lines_of_reasons.push(text.clone());
                pages_with_reasons.insert(number);
            }
        }
    }
    let joined: String = lines_of_reasons.concat();
    assert_eq!(joined.matches(&reasons).count(), 3);
    assert!(
        lines_of_reasons.len() > 3 * 20,
        "{} lines",
        lines_of_reasons.len()
    );
    assert!(
        pages_with_reasons.len() >= 2,
        "the reasons fit on one page: {pages_with_reasons:?}"
    );
    // No body text runs into the page number.
    for page in &pages {
        for mark in page {
            if let Mark::Text { baseline, size, .. } = mark
                && *size != FOOTER_SIZE
            {
                assert!(*baseline <= BODY_BOTTOM, "text below the body: {baseline}");
            }
        }
    }
    render(&input(&report, &signatures, None), &font).unwrap();
}

use std::collections::BTreeSet;

#[test]
fn a_long_table_continues_over_pages_with_its_header_repeated() {
    let font = font();
    let mut report = every_shape();
    let ranking: Vec<Value> = (1..=80)
        .map(|position| {
            json!({"position": position, "bidder": format!("投标人{position:02}有限责任公司"),
                   "median_total_centi": 9000 - position, "sum_total_centi": 45000 - position,
                   "evaluated_price_centi": 100000 + position, "tied_with_previous": false})
        })
        .collect();
    report["ranking"] = json!(ranking);
    let signatures = signatures();
    let pages = layout(&input(&report, &signatures, None), &font).unwrap();
    let pages_with_ranking: Vec<usize> = pages
        .iter()
        .enumerate()
        .filter(|(_, page)| {
            texts(page)
                .iter()
                .any(|t| t.ends_with("有限责任公司") && t.starts_with("投标人"))
        })
        .map(|(number, _)| number)
        .collect();
    assert!(pages_with_ranking.len() >= 2, "{pages_with_ranking:?}");
    for number in &pages_with_ranking {
        assert!(
            texts(&pages[*number]).contains(&"中位评标价"),
            "page {number} continues the ranking without its header"
        );
    }
    let text = all_text(&pages);
    for position in 1..=80 {
        assert!(text.contains(&format!("投标人{position:02}有限责任公司")));
    }
}

#[test]
fn a_character_the_font_cannot_show_is_named_in_the_error() {
    let font = font();
    let mut report = every_shape();
    // U+2A6D6, in CJK Extension B, which WenQuanYi Micro Hei does not cover.
    report["bidders"][1] = json!("湖北𪛖建设有限公司");
    let signatures = signatures();
    let error = render(&input(&report, &signatures, None), &font).unwrap_err();
    assert!(matches!(error, PdfError::Font(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("U+2A6D6"), "{message}");
    assert!(message.contains("archive.font"), "{message}");
}

#[test]
fn a_file_that_is_not_a_font_is_refused_when_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-font.ttc");
    std::fs::write(&path, b"this is not a font").unwrap();
    let error = FontFile::load(&path, 0).err().unwrap();
    assert!(
        error
            .to_string()
            .contains("is not a TrueType or OpenType font"),
        "{error}"
    );
    let error = FontFile::load(&dir.path().join("missing.ttc"), 0)
        .err()
        .unwrap();
    assert!(
        error.to_string().contains("cannot read the font"),
        "{error}"
    );
    // WenQuanYi Micro Hei is a collection of two faces.
    assert!(FontFile::load(Path::new(FONT), 7).is_err());
}

#[test]
fn a_digest_that_is_not_sha_256_hex_is_refused() {
    let font = font();
    let report = every_shape();
    let mut bad = input(&report, &[], None);
    bad.report_sha256 = "not a digest";
    assert!(matches!(render(&bad, &font), Err(PdfError::Render(_))));
}

#[test]
fn cjk_text_breaks_between_characters_and_latin_text_at_spaces() {
    let font = font();
    let metrics = Metrics::new(&font).unwrap();
    let size = 10.0;
    let em = metrics.width("评", size).unwrap();
    // Five ideographs and a comma fit a line four and a half ideographs wide: the comma
    // hangs rather than starting the second line.
    let lines = metrics.wrap("评标委员会，成员", size, em * 4.5).unwrap();
    assert_eq!(lines, vec!["评标委员", "会，成员"]);
    let lines = metrics
        .wrap(
            "the method statement",
            size,
            metrics.width("the method st", size).unwrap(),
        )
        .unwrap();
    assert_eq!(lines, vec!["the method", "statement"]);
    let digest_lines = metrics.wrap(DIGEST, size, 100.0).unwrap();
    assert!(digest_lines.len() > 1);
    assert_eq!(digest_lines.concat(), DIGEST);
    assert_eq!(
        metrics.wrap("一\n二", size, 100.0).unwrap(),
        vec!["一", "二"]
    );
}
