//! The published draw record (docs/DRAW-SPEC.md §9a) verified offline by both verifiers: the
//! `sealdraw draw verify` binary (run with an empty environment: no settings, database or key
//! file) and the independent `draw_verify.py published`. Both must accept a good record and
//! name the same first failure in a tampered one. No server is needed.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sealdraw::audit::checkpoint::{Checkpoint, sign_checkpoint};
use sealdraw::audit::entry::{Actor, AuditEntry};
use sealdraw::audit::merkle::MemoryTree;
use sealdraw::audit::note::NoteSigner;
use sealdraw::audit::proof::TlogProof;
use sealdraw::draw::published::{PublishedRecord, intent_entry, replacement_entry, result_entry};
use sealdraw::draw::{
    Contribution, DrawPlan, DrawRequest, DrawToken, EligibleSet, ServerSecret, Stratum,
    VerificationRecord,
};
use serde_json::{Value, json};

const ORIGIN: &str = "sealdraw.test/audit";
const TIME: sealdraw::clock::Millis = 1_764_000_000_000;
const VERIFIER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/integration/verifier/draw_verify.py"
);

fn log_key() -> NoteSigner {
    NoteSigner::new(
        ORIGIN,
        sealdraw::crypto::Signer::from_seed(sealdraw::crypto::Suite::Intl2024, &[21; 32]).unwrap(),
    )
    .unwrap()
}

fn vkey() -> String {
    log_key().verifier().to_string()
}

fn draw() -> VerificationRecord {
    let eligible = |range: std::ops::Range<u32>| {
        EligibleSet::new(
            range
                .map(|i| {
                    DrawToken::derive(
                        sealdraw::crypto::Suite::Intl2024,
                        &[1; 32],
                        "抽取-9",
                        &format!("e{i:02}"),
                    )
                })
                .collect(),
        )
        .unwrap()
    };
    let request = DrawRequest {
        suite: sealdraw::crypto::Suite::Intl2024,
        draw_id: "抽取-9".to_owned(),
        pool_snapshot: "audit:7:root".to_owned(),
        filter_sha256: [4; 32],
        min_multiple: 3,
        strata: vec![
            (
                Stratum::new(vec!["B02".into(), "B01".into()], 2, 2).unwrap(),
                eligible(0..14),
            ),
            (
                Stratum::new(vec!["C".into()], 1, 1).unwrap(),
                eligible(10..20),
            ),
        ],
        // A v1 draw: what the server made before families were chained (spec §12).
        tender_sha256: None,
        family: None,
    };
    let secret = ServerSecret::from_bytes([6; 32]);
    let plan = DrawPlan::new(request, &secret).unwrap();
    let contributions = vec![
        Contribution::new(b"center".to_vec()).unwrap(),
        Contribution::new(vec![0xab; 32]).unwrap(),
    ];
    let outcome = plan.execute(&secret, &contributions).unwrap();
    VerificationRecord::new(&plan, &secret, &contributions, &outcome)
}

fn entry_bytes(entry: AuditEntry) -> Vec<u8> {
    entry.canonical_bytes().unwrap()
}

fn replacement(
    draw: &VerificationRecord,
    stratum: usize,
    replaced: &DrawToken,
    successor: Option<&DrawToken>,
) -> Vec<u8> {
    entry_bytes(replacement_entry(
        &draw.draw_id,
        stratum,
        replaced,
        "conflict_of_interest",
        successor,
        TIME + 2,
        Actor::System,
    ))
}

fn good_replacements(draw: &VerificationRecord) -> Vec<Vec<u8>> {
    let (s0, s1) = (&draw.result[0], &draw.result[1]);
    vec![
        replacement(draw, 0, &s0.drawn[0], Some(&s0.reserves[0])),
        replacement(draw, 1, &s1.drawn[0], Some(&s1.reserves[0])),
        replacement(draw, 0, &s0.reserves[0], Some(&s0.reserves[1])),
        replacement(draw, 1, &s1.reserves[0], None),
    ]
}

/// Logs intent, result and replacements (with unrelated entries between them) in that order,
/// signs one checkpoint and returns the record the server would serve.
fn publish(
    draw: VerificationRecord,
    result: Vec<u8>,
    replacements: Vec<Vec<u8>>,
) -> PublishedRecord {
    let mut entries = vec![
        entry_bytes(intent_entry(&draw.intent(), TIME, Actor::System)),
        result,
    ];
    entries.extend(replacements);
    let mut tree = MemoryTree::new(sealdraw::crypto::Suite::Intl2024);
    for i in 0..5 {
        tree.append(format!("before {i}").as_bytes()).unwrap();
    }
    let indexes: Vec<u64> = entries
        .iter()
        .map(|entry| {
            let index = tree.append(entry).unwrap();
            tree.append(b"unrelated").unwrap();
            index
        })
        .collect();
    let size = tree.size();
    let checkpoint =
        sign_checkpoint(&Checkpoint::new(ORIGIN, size, tree.root()), &[&log_key()]).unwrap();
    let mut proofs = entries.into_iter().zip(indexes).map(|(entry, index)| {
        TlogProof {
            extra: Some(entry),
            index,
            inclusion_proof: tree.inclusion_proof(index, size).unwrap(),
            checkpoint: checkpoint.clone(),
        }
        .format()
        .unwrap()
    });
    let intent = proofs.next().unwrap();
    let result = proofs.next().unwrap();
    PublishedRecord::new(draw, intent, result, proofs.collect())
}

fn good_record() -> Value {
    let draw = draw();
    let result = entry_bytes(result_entry(&draw, TIME + 1, Actor::System));
    let replacements = good_replacements(&draw);
    serde_json::to_value(publish(draw, result, replacements)).unwrap()
}

pub fn sealdraw(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealdraw"))
        .args(args)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

pub fn python(args: &[&str]) -> Output {
    match Command::new("python3").arg(VERIFIER).args(args).output() {
        Ok(output) => output,
        Err(error) => panic!("python3 is needed to run {VERIFIER}: {error}"),
    }
}

pub fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

fn write(dir: &Path, name: &str, record: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(record).unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

const SUMMARY: &str =
    "OK draw 抽取-9: 2 strata, 3 drawn, 4 replacements, log entries 5,7 under checkpoint size 17";

#[test]
fn both_verifiers_accept_a_published_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "record.json", &good_record());

    let output = sealdraw(&["draw", "verify", &path, "--vkey", &vkey()], None);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim_end(), SUMMARY);

    let output = python(&["published", &path, &vkey()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim_end(), SUMMARY);

    // The keys as `sealdraw audit key` prints them (one per line; here a rotation's two), and
    // the record from standard input.
    let other = NoteSigner::new(
        ORIGIN,
        sealdraw::crypto::Signer::from_seed(sealdraw::crypto::Suite::Intl2024, &[22; 32]).unwrap(),
    )
    .unwrap()
    .verifier();
    let keys = dir.path().join("log.vkeys");
    std::fs::write(&keys, format!("{}\n{other}\n", vkey())).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let output = sealdraw(
        &["draw", "verify", "-", "--vkey-file", keys.to_str().unwrap()],
        Some(&bytes),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = python(&["published", &path, &other.to_string(), &vkey()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

/// Both verifiers, given the record file `path` and the log's key, exit 2: unusable input.
fn assert_both_refuse_the_file(path: &std::path::Path) {
    let path = path.to_str().unwrap();
    let output = sealdraw(&["draw", "verify", path, "--vkey", &vkey()], None);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert_eq!(python(&["published", path, &vkey()]).status.code(), Some(2));
}

#[test]
fn unusable_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_both_refuse_the_file(&dir.path().join("missing.json"));

    let not_json = dir.path().join("record.json");
    std::fs::write(&not_json, b"{\"format\":").unwrap();
    assert_both_refuse_the_file(&not_json);

    let path = write(dir.path(), "good.json", &good_record());
    let output = sealdraw(&["draw", "verify", &path, "--vkey", "not+a+key"], None);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let output = sealdraw(&["draw", "verify", &path], None);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert_eq!(
        python(&["published", &path, "not+a+key"]).status.code(),
        Some(2)
    );
}

/// Re-encodes a proof's extra data (the logged entry) with one byte changed.
fn flip_entry_byte(proof: &mut Value, at: usize) {
    let mut parsed = TlogProof::parse(proof.as_str().unwrap()).unwrap();
    parsed.extra.as_mut().unwrap()[at] ^= 0x01;
    *proof = Value::from(parsed.format().unwrap());
}

/// A record whose log holds a different result or replacement entries.
fn relogged(result: impl Fn(&mut VerificationRecord), replacements: Vec<Vec<u8>>) -> Value {
    let draw = draw();
    let mut claimed = draw.clone();
    result(&mut claimed);
    let result = entry_bytes(result_entry(&claimed, TIME + 1, Actor::System));
    serde_json::to_value(publish(draw, result, replacements)).unwrap()
}

type Tamper = Box<dyn Fn(&mut Value)>;

/// Each tampering, the verifier key to use (none: the log's) and the failure both must print.
fn tamperings() -> Vec<(&'static str, Tamper, Option<String>, &'static str)> {
    let d = draw();
    let (s0, s1) = (d.result[0].clone(), d.result[1].clone());
    let stranger = NoteSigner::new(
        ORIGIN,
        sealdraw::crypto::Signer::from_seed(sealdraw::crypto::Suite::Intl2024, &[23; 32]).unwrap(),
    )
    .unwrap()
    .verifier();
    vec![
        (
            "format",
            Box::new(|r| r["format"] = json!("sealdraw-draw-record-v0")),
            None,
            "MISMATCH format:",
        ),
        (
            "draw seed",
            Box::new(|r| r["draw"]["seed"] = json!(hex::encode([9u8; 32]))),
            None,
            "MISMATCH draw.seed:",
        ),
        (
            "uppercase token",
            Box::new(|r| {
                let token = r["draw"]["strata"][1]["tokens"][0].as_str().unwrap();
                r["draw"]["strata"][1]["tokens"][0] = json!(token.to_uppercase());
            }),
            None,
            "MALFORMED draw.strata[1].tokens[0]:",
        ),
        (
            "entry byte in the result proof",
            Box::new(|r| flip_entry_byte(&mut r["result_proof"], 60)),
            None,
            "MISMATCH result_proof:",
        ),
        (
            "another key",
            Box::new(|_| {}),
            Some(stranger.to_string()),
            "MISMATCH intent_proof:",
        ),
        (
            "proof header",
            Box::new(|r| {
                let proof = r["intent_proof"]
                    .as_str()
                    .unwrap()
                    .replacen("@v1", "@v2", 1);
                r["intent_proof"] = json!(proof);
            }),
            None,
            "MALFORMED intent_proof:",
        ),
        (
            "intent and result proofs swapped",
            Box::new(|r| {
                let intent = r["intent_proof"].take();
                r["intent_proof"] = r["result_proof"].take();
                r["result_proof"] = intent;
            }),
            None,
            "MISMATCH intent_proof:",
        ),
        (
            "replacements out of log order",
            Box::new(|r| r["replacement_proofs"].as_array_mut().unwrap().swap(2, 3)),
            None,
            "MISMATCH replacement_proofs[3]:",
        ),
        (
            "a replacement dropped",
            Box::new(|r| {
                r["replacement_proofs"].as_array_mut().unwrap().remove(0);
            }),
            None,
            "MISMATCH replacement_proofs[1]:",
        ),
        (
            "a result field differs",
            Box::new(|r| *r = relogged(|d| d.contributions.pop().map(drop).unwrap(), vec![])),
            None,
            "MISMATCH result_proof:",
        ),
        (
            "a reserve skipped",
            {
                let (d, s0) = (d.clone(), s0.clone());
                Box::new(move |r| {
                    let skipping = replacement(&d, 0, &s0.drawn[1], Some(&s0.reserves[1]));
                    *r = relogged(|_| {}, vec![skipping]);
                })
            },
            None,
            "MISMATCH replacement_proofs[0]:",
        ),
        (
            "no successor while a reserve remains",
            {
                let (d, s1) = (d.clone(), s1.clone());
                Box::new(move |r| {
                    let early = replacement(&d, 1, &s1.drawn[0], None);
                    *r = relogged(|_| {}, vec![early]);
                })
            },
            None,
            "MISMATCH replacement_proofs[0]:",
        ),
        (
            "a token that is not seated",
            {
                let d = d.clone();
                Box::new(move |r| {
                    let mut replacements = good_replacements(&d);
                    replacements.push(replacement(&d, 1, &s1.drawn[0], None));
                    *r = relogged(|_| {}, replacements);
                })
            },
            None,
            "MISMATCH replacement_proofs[4]:",
        ),
        (
            "an entry that is not canonical JSON",
            Box::new(move |r| {
                let mut spaced = replacement(&d, 0, &s0.drawn[0], Some(&s0.reserves[0]));
                spaced.insert(1, b' ');
                *r = relogged(|_| {}, vec![spaced]);
            }),
            None,
            "MALFORMED replacement_proofs[0]:",
        ),
    ]
}

#[test]
fn both_verifiers_name_the_same_failure_in_a_tampered_record() {
    let dir = tempfile::tempdir().unwrap();
    let tamperings = tamperings();
    assert!(tamperings.len() >= 4);
    for (what, tamper, key, expected) in tamperings {
        let mut record = good_record();
        tamper(&mut record);
        let path = write(dir.path(), "tampered.json", &record);
        let key = key.unwrap_or_else(vkey);

        let output = sealdraw(&["draw", "verify", &path, "--vkey", &key], None);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{what}: {}", text(&output));
        assert!(
            stderr.starts_with(expected) && output.stdout.is_empty(),
            "{what}: sealdraw said {stderr:?}, expected {expected}"
        );

        let output = python(&["published", &path, &key]);
        let out = text(&output);
        assert_eq!(output.status.code(), Some(1), "{what}: {out}");
        assert!(
            out.starts_with(expected),
            "{what}: python said {out:?}, expected {expected}"
        );
    }
}

#[test]
fn the_python_ed25519_reproduces_rfc_8032() {
    let output = python(&["selftest"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).starts_with("OK Ed25519"), "{}", text(&output));
}

/// A checkpoint signature byte changed: the checkpoint no longer verifies under the log's key,
/// which exercises the independent Ed25519 code on a rejection, not only on the RFC vectors.
#[test]
fn a_forged_checkpoint_signature_is_refused_by_both() {
    let dir = tempfile::tempdir().unwrap();
    let mut record = good_record();
    let proof = record["result_proof"].as_str().unwrap().to_owned();
    let (head, signature_line) = proof.rsplit_once("\n\u{2014} ").unwrap();
    let (name, signature) = signature_line.trim_end().split_once(' ').unwrap();
    let mut blob = BASE64.decode(signature).unwrap();
    blob[10] ^= 0x40;
    record["result_proof"] = json!(format!("{head}\n\u{2014} {name} {}\n", BASE64.encode(blob)));
    let path = write(dir.path(), "forged.json", &record);
    let output = sealdraw(&["draw", "verify", &path, "--vkey", &vkey()], None);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        stderr.starts_with("MISMATCH result_proof:") && stderr.contains("does not verify"),
        "{stderr}"
    );
    let output = python(&["published", &path, &vkey()]);
    let out = text(&output);
    assert!(
        out.starts_with("MISMATCH result_proof:") && out.contains("does not verify"),
        "{out}"
    );
}

// ---- a record made before per-stratum region rules (DRAW-SPEC §12) ----

/// A family record the server served before strata carried their own region rules: a v2 root
/// draw (cross-site, a draw-level `regions_exclude`, two strata, a supervisor's and the
/// center's contributions), a reserve taking a seat, and a linked draw filling the seat of the
/// stratum without reserves. Made by the server at commit 7cf4dfb and kept as it was served.
const OLD_FAMILY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/integration/verifier/fixtures/v2-family-before-strata-regions.json"
);
const OLD_FAMILY_VKEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/integration/verifier/fixtures/v2-family-before-strata-regions.vkey"
);
const OLD_FAMILY_SUMMARY: &str = "OK draw family 01a24275-5e26-7583-af9e-c679aa98eeee: 2 draws, 9 \
     entries complete under checkpoint size 25, contributions 2 by the center and 1 by \
     supervisors, 2 replacements, 3/3 seats held";

fn old_family_vkey() -> String {
    std::fs::read_to_string(OLD_FAMILY_VKEY)
        .unwrap()
        .trim()
        .to_owned()
}

/// Both verifiers' first lines for `path` under the old record's key, each with its status.
fn both_on(path: &str) -> [(Option<i32>, String); 2] {
    let vkey = old_family_vkey();
    [
        sealdraw(&["draw", "verify", path, "--vkey", &vkey], None),
        python(&["published", path, &vkey]),
    ]
    .map(|output| {
        let line = text(&output).lines().next().unwrap_or_default().to_owned();
        (output.status.code(), line)
    })
}

#[test]
fn a_family_record_made_before_per_stratum_regions_still_verifies_with_both_verifiers() {
    for (status, line) in both_on(OLD_FAMILY) {
        assert_eq!(status, Some(0), "{line}");
        assert_eq!(line, OLD_FAMILY_SUMMARY);
    }
    // And it is still checked, not waved through: a changed specialty prefix in the root's
    // first stratum no longer hashes to the logged intent, for both.
    let mut record: Value = serde_json::from_slice(&std::fs::read(OLD_FAMILY).unwrap()).unwrap();
    record["draws"][0]["strata"][0]["prefixes"] = json!(["A02"]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "tampered.json", &record);
    for (status, line) in both_on(&path) {
        assert_eq!(status, Some(1), "{line}");
        assert!(
            line.starts_with("MISMATCH draws[0].intent_hash: "),
            "{line}"
        );
    }
}
