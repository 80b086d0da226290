use super::*;
use crate::audit::checkpoint::{Checkpoint, sign_checkpoint};
use crate::audit::merkle::MemoryTree;
use crate::audit::note::NoteSigner;
use crate::crypto::Suite;
use crate::draw::{
    Contribution, DrawPlan, DrawRequest, DrawToken, EligibleSet, ServerSecret, Stratum,
};

const ORIGIN: &str = "sealdraw.example/log";
const TIME: Millis = 1_764_000_000_000;

fn log_key() -> NoteSigner {
    NoteSigner::new(
        ORIGIN,
        crate::crypto::Signer::from_seed(Suite::Intl2024, &[9; 32]).unwrap(),
    )
    .unwrap()
}

fn sample_draw() -> VerificationRecord {
    let tokens = |range: std::ops::Range<u32>| {
        EligibleSet::new(
            range
                .map(|i| {
                    DrawToken::derive(
                        Suite::Intl2024,
                        &[7; 32],
                        "draw-7",
                        &format!("expert-{i:02}"),
                    )
                })
                .collect(),
        )
        .unwrap()
    };
    let request = DrawRequest {
        suite: Suite::Intl2024,
        draw_id: "draw-7".to_owned(),
        pool_snapshot: "pool@1".to_owned(),
        filter_sha256: [3; 32],
        min_multiple: 2,
        strata: vec![
            (Stratum::new(vec!["A".into()], 2, 2).unwrap(), tokens(0..10)),
            (
                Stratum::new(vec!["B".into()], 1, 1).unwrap(),
                tokens(10..16),
            ),
        ],
        tender_sha256: None,
        family: None,
    };
    let secret = ServerSecret::from_bytes([5; 32]);
    let plan = DrawPlan::new(request, &secret).unwrap();
    let contributions = vec![Contribution::new(b"center".to_vec()).unwrap()];
    let outcome = plan.execute(&secret, &contributions).unwrap();
    VerificationRecord::new(&plan, &secret, &contributions, &outcome)
}

fn bytes(entry: &AuditEntry) -> Vec<u8> {
    entry.canonical_bytes().unwrap()
}

fn intent_bytes(draw: &VerificationRecord) -> Vec<u8> {
    bytes(&intent_entry(&draw.intent(), TIME, Actor::System))
}

fn result_bytes(draw: &VerificationRecord) -> Vec<u8> {
    bytes(&result_entry(draw, TIME + 1, Actor::System))
}

fn replacement(
    draw: &VerificationRecord,
    stratum: usize,
    replaced: &DrawToken,
    successor: Option<&DrawToken>,
) -> Vec<u8> {
    bytes(&replacement_entry(
        &draw.draw_id,
        stratum,
        replaced,
        "declined",
        successor,
        TIME + 2,
        Actor::System,
    ))
}

/// Stratum 0 replaces a drawn expert, then its successor; stratum 1 uses its only reserve and
/// then runs short.
fn sample_replacements(draw: &VerificationRecord) -> Vec<Vec<u8>> {
    let (s0, s1) = (&draw.result[0], &draw.result[1]);
    vec![
        replacement(draw, 0, &s0.drawn[1], Some(&s0.reserves[0])),
        replacement(draw, 1, &s1.drawn[0], Some(&s1.reserves[0])),
        replacement(draw, 0, &s0.reserves[0], Some(&s0.reserves[1])),
        replacement(draw, 1, &s1.reserves[0], None),
    ]
}

/// Appends the entries to a log with unrelated entries around them, signs one checkpoint,
/// and returns each entry's proof text, in the given order.
fn prove(entries: &[Vec<u8>], signer: &NoteSigner) -> Vec<String> {
    let mut tree = MemoryTree::new(Suite::Intl2024);
    tree.append(b"account.created").unwrap();
    let mut indexes = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        indexes.push(tree.append(entry).unwrap());
        tree.append(format!("unrelated {i}").as_bytes()).unwrap();
    }
    let size = tree.size();
    let checkpoint =
        sign_checkpoint(&Checkpoint::new(ORIGIN, size, tree.root()), &[signer]).unwrap();
    entries
        .iter()
        .zip(indexes)
        .map(|(entry, index)| {
            TlogProof {
                extra: Some(entry.clone()),
                index,
                inclusion_proof: tree.inclusion_proof(index, size).unwrap(),
                checkpoint: checkpoint.clone(),
            }
            .format()
            .unwrap()
        })
        .collect()
}

/// A record whose proofs are, in log order, the intent, the result and the replacements.
fn publish(draw: VerificationRecord, replacements: Vec<Vec<u8>>) -> PublishedRecord {
    let mut entries = vec![intent_bytes(&draw), result_bytes(&draw)];
    entries.extend(replacements);
    let mut proofs = prove(&entries, &log_key()).into_iter();
    let intent = proofs.next().unwrap();
    let result = proofs.next().unwrap();
    PublishedRecord::new(draw, intent, result, proofs.collect())
}

fn sample() -> PublishedRecord {
    let draw = sample_draw();
    let replacements = sample_replacements(&draw);
    publish(draw, replacements)
}

fn verify_sample(record: &PublishedRecord) -> Result<PublishedSummary, VerifyError> {
    verify_published(record, &[log_key().verifier()])
}

#[track_caller]
fn fails_at(record: &PublishedRecord, expected: &str, detail: &str) {
    let error = verify_sample(record).unwrap_err().to_string();
    assert!(
        error.starts_with(expected) && error.contains(detail),
        "expected {expected}… {detail}, got {error}"
    );
}

#[test]
fn a_published_record_verifies_and_round_trips() {
    let record = sample();
    let summary = verify_sample(&record).unwrap();
    assert_eq!(
        summary.to_string(),
        "OK draw draw-7: 2 strata, 3 drawn, 4 replacements, log entries 1,3 under checkpoint size 13"
    );
    let json = serde_json::to_vec(&record).unwrap();
    assert_eq!(PublishedRecord::from_json(&json).unwrap(), record);
    // A rotation: the new key listed first, the signing one second.
    let other = NoteSigner::new(
        ORIGIN,
        crate::crypto::Signer::from_seed(Suite::Intl2024, &[10; 32]).unwrap(),
    )
    .unwrap();
    verify_published(&record, &[other.verifier(), log_key().verifier()]).unwrap();
    // The same key twice (inline and from a key file) is still one trusted key.
    verify_published(&record, &[log_key().verifier(), log_key().verifier()]).unwrap();
    // No replacements at all is a complete record too.
    verify_sample(&publish(sample_draw(), Vec::new())).unwrap();
}

#[test]
fn from_json_names_the_malformed_field() {
    let mut value = serde_json::to_value(sample()).unwrap();
    value["draw"]["strata"][1]["k"] = Value::from("one");
    let error = PublishedRecord::from_json(&serde_json::to_vec(&value).unwrap()).unwrap_err();
    assert_eq!(error.field(), "draw.strata[1].k");
    let mut value = serde_json::to_value(sample()).unwrap();
    value["replacement_proofs"][2] = Value::from(7);
    let error = PublishedRecord::from_json(&serde_json::to_vec(&value).unwrap()).unwrap_err();
    assert_eq!(error.field(), "replacement_proofs[2]");
    let mut value = serde_json::to_value(sample()).unwrap();
    value["extra"] = Value::from(1);
    assert!(PublishedRecord::from_json(&serde_json::to_vec(&value).unwrap()).is_err());
}

#[test]
fn format_and_draw_are_checked_first() {
    let mut record = sample();
    record.format = "sealdraw-draw-record-v2".into();
    fails_at(&record, "MISMATCH format:", "");
    let mut record = sample();
    record.draw.seed[0] ^= 1;
    fails_at(&record, "MISMATCH draw.seed:", "recomputed");
    let mut record = sample();
    record.draw.result[1].reserves.clear();
    fails_at(&record, "MISMATCH draw.result[1].reserves:", "");
}

/// Re-encodes one proof's extra data with a byte changed, as a forger without the key would.
fn tamper_extra(text: &str, at: usize) -> String {
    let mut proof = TlogProof::parse(text).unwrap();
    let extra = proof.extra.as_mut().unwrap();
    extra[at] ^= 0x01;
    proof.format().unwrap()
}

#[test]
fn a_tampered_entry_byte_fails_inclusion() {
    let mut record = sample();
    record.result_proof = tamper_extra(&record.result_proof, 40);
    fails_at(
        &record,
        "MISMATCH result_proof:",
        "inclusion proof does not verify",
    );
    let mut record = sample();
    record.replacement_proofs[2] = tamper_extra(&record.replacement_proofs[2], 3);
    fails_at(&record, "MISMATCH replacement_proofs[2]:", "inclusion");
}

#[test]
fn malformed_proofs_are_named() {
    let mut record = sample();
    record.intent_proof = record
        .intent_proof
        .replacen("tlog-proof@v1", "tlog-proof@v9", 1);
    fails_at(&record, "MALFORMED intent_proof:", "c2sp.org/tlog-proof@v1");
    let mut record = sample();
    let mut proof = TlogProof::parse(&record.result_proof).unwrap();
    proof.extra = None;
    record.result_proof = proof.format().unwrap();
    fails_at(&record, "MALFORMED result_proof:", "no extra data");
}

#[test]
fn a_checkpoint_not_signed_by_the_given_key_fails() {
    let record = sample();
    let stranger = NoteSigner::new(
        ORIGIN,
        crate::crypto::Signer::from_seed(Suite::Intl2024, &[11; 32]).unwrap(),
    )
    .unwrap();
    let error = verify_published(&record, &[stranger.verifier()]).unwrap_err();
    assert!(
        error.to_string().starts_with("MISMATCH intent_proof:")
            && error
                .to_string()
                .contains("no valid signature from a trusted key"),
        "{error}"
    );
    // The same entries signed by another key under the right name fail the same way.
    let draw = sample_draw();
    let entries = vec![intent_bytes(&draw), result_bytes(&draw)];
    let proofs = prove(&entries, &stranger);
    let mut record = sample();
    record.result_proof = proofs[1].clone();
    fails_at(&record, "MISMATCH result_proof:", "trusted key");
    // And a key for another log (another origin) is not this log's key.
    let elsewhere = NoteSigner::new(
        "other.example/log",
        crate::crypto::Signer::from_seed(Suite::Intl2024, &[9; 32]).unwrap(),
    )
    .unwrap();
    let error = verify_published(&sample(), &[elsewhere.verifier()]).unwrap_err();
    assert!(
        error.to_string().starts_with("MISMATCH intent_proof:"),
        "{error}"
    );
}

#[test]
fn an_intent_entry_for_another_draw_fails() {
    let draw = sample_draw();
    let mut intent = draw.intent();
    intent.draw_id = "draw-8".into();
    let entries = vec![
        bytes(&intent_entry(&intent, TIME, Actor::System)),
        result_bytes(&draw),
    ];
    let proofs = prove(&entries, &log_key());
    let record = PublishedRecord::new(draw.clone(), proofs[0].clone(), proofs[1].clone(), vec![]);
    fails_at(&record, "MISMATCH intent_proof:", "refs.draw");

    // The right draw id but another intent (here: another pool snapshot).
    let mut intent = draw.intent();
    intent.pool_snapshot = "pool@2".into();
    let entries = vec![
        bytes(&intent_entry(&intent, TIME, Actor::System)),
        result_bytes(&draw),
    ];
    let proofs = prove(&entries, &log_key());
    let record = PublishedRecord::new(draw, proofs[0].clone(), proofs[1].clone(), vec![]);
    fails_at(&record, "MISMATCH intent_proof:", "data.intent");

    // The proofs swapped: the intent proof carries a result entry.
    let mut record = sample();
    std::mem::swap(&mut record.intent_proof, &mut record.result_proof);
    fails_at(&record, "MISMATCH intent_proof:", "type");
}

#[test]
fn a_result_entry_before_the_intent_fails() {
    let draw = sample_draw();
    let entries = vec![result_bytes(&draw), intent_bytes(&draw)];
    let proofs = prove(&entries, &log_key());
    let record = PublishedRecord::new(draw, proofs[1].clone(), proofs[0].clone(), vec![]);
    fails_at(&record, "MISMATCH result_proof:", "not after intent_proof");
}

#[test]
fn a_result_field_that_differs_fails() {
    let draw = sample_draw();
    let mut other = draw.clone();
    other.contributions.push(b"late".to_vec());
    let entries = vec![
        intent_bytes(&draw),
        bytes(&result_entry(&other, TIME, Actor::System)),
    ];
    let proofs = prove(&entries, &log_key());
    let record = PublishedRecord::new(draw.clone(), proofs[0].clone(), proofs[1].clone(), vec![]);
    fails_at(
        &record,
        "MISMATCH result_proof:",
        "data.contributions differs",
    );

    let mut other = draw.clone();
    other.result[0].drawn.swap(0, 1);
    let entries = vec![
        intent_bytes(&draw),
        bytes(&result_entry(&other, TIME, Actor::System)),
    ];
    let proofs = prove(&entries, &log_key());
    let record = PublishedRecord::new(draw.clone(), proofs[0].clone(), proofs[1].clone(), vec![]);
    fails_at(&record, "MISMATCH result_proof:", "data.result differs");

    // A result entry without its seed is malformed rather than different.
    let entry = AuditEntry::new(RESULT_ENTRY, TIME, Actor::System)
        .reference("draw", draw.draw_id.clone())
        .data("intent_hash", hex::encode(draw.intent_hash))
        .data("secret", hex::encode(draw.secret))
        .data("contributions", vec![hex::encode(b"center")]);
    let proofs = prove(&[intent_bytes(&draw), bytes(&entry)], &log_key());
    let record = PublishedRecord::new(draw, proofs[0].clone(), proofs[1].clone(), vec![]);
    fails_at(&record, "MALFORMED result_proof:", "no data.seed");
}

#[test]
fn a_replacement_skipping_a_reserve_fails() {
    let draw = sample_draw();
    let s0 = &draw.result[0];
    let skipping = vec![replacement(&draw, 0, &s0.drawn[0], Some(&s0.reserves[1]))];
    fails_at(
        &publish(draw.clone(), skipping),
        "MISMATCH replacement_proofs[0]:",
        "the next reserve of stratum 0",
    );
    // Reusing a reserve that already took a seat skips nothing but is just as wrong.
    let reused = vec![
        replacement(&draw, 0, &s0.drawn[0], Some(&s0.reserves[0])),
        replacement(&draw, 0, &s0.drawn[1], Some(&s0.reserves[0])),
    ];
    fails_at(
        &publish(draw.clone(), reused),
        "MISMATCH replacement_proofs[1]:",
        "the next reserve of stratum 0",
    );
    // A successor from another stratum's reserves.
    let borrowed = vec![replacement(
        &draw,
        0,
        &s0.drawn[0],
        Some(&draw.result[1].reserves[0]),
    )];
    fails_at(
        &publish(draw, borrowed),
        "MISMATCH replacement_proofs[0]:",
        "next reserve",
    );
}

#[test]
fn a_null_successor_while_reserves_remain_fails() {
    let draw = sample_draw();
    let s1 = &draw.result[1];
    let early = vec![replacement(&draw, 1, &s1.drawn[0], None)];
    fails_at(
        &publish(draw.clone(), early),
        "MISMATCH replacement_proofs[0]:",
        "data.successor is null",
    );
    // And a successor once the reserves are used up is invented.
    let mut invented = sample_replacements(&draw);
    invented[3] = replacement(&draw, 1, &s1.reserves[0], Some(&draw.result[0].drawn[0]));
    fails_at(
        &publish(draw, invented),
        "MISMATCH replacement_proofs[3]:",
        "no reserves left",
    );
}

#[test]
fn replacing_a_token_that_is_not_seated_fails() {
    let draw = sample_draw();
    let (s0, s1) = (&draw.result[0], &draw.result[1]);
    let cases = [
        // A reserve that never took a seat.
        vec![replacement(
            &draw,
            0,
            &s0.reserves[1],
            Some(&s0.reserves[0]),
        )],
        // A drawn expert of another stratum.
        vec![replacement(&draw, 0, &s1.drawn[0], Some(&s0.reserves[0]))],
        // An expert who was already replaced.
        vec![
            replacement(&draw, 0, &s0.drawn[0], Some(&s0.reserves[0])),
            replacement(&draw, 0, &s0.drawn[0], Some(&s0.reserves[1])),
        ],
    ];
    for replacements in cases {
        let last = replacements.len() - 1;
        fails_at(
            &publish(draw.clone(), replacements),
            &format!("MISMATCH replacement_proofs[{last}]:"),
            "is not seated in stratum 0",
        );
    }
    let out_of_range = vec![replacement(&draw, 2, &s0.drawn[0], None)];
    fails_at(
        &publish(draw, out_of_range),
        "MISMATCH replacement_proofs[0]:",
        "not a stratum of the draw",
    );
}

#[test]
fn replacements_must_follow_the_result_in_log_order() {
    let mut record = sample();
    record.replacement_proofs.swap(1, 2);
    fails_at(
        &record,
        "MISMATCH replacement_proofs[2]:",
        "not after replacement_proofs[1]",
    );
    // A replacement logged before the result.
    let draw = sample_draw();
    let s0 = &draw.result[0];
    let entries = vec![
        intent_bytes(&draw),
        replacement(&draw, 0, &s0.drawn[0], Some(&s0.reserves[0])),
        result_bytes(&draw),
    ];
    let proofs = prove(&entries, &log_key());
    let record = PublishedRecord::new(
        draw,
        proofs[0].clone(),
        proofs[2].clone(),
        vec![proofs[1].clone()],
    );
    fails_at(
        &record,
        "MISMATCH replacement_proofs[0]:",
        "not after result_proof",
    );
}

#[test]
fn entries_that_are_not_canonical_or_lack_fields_are_malformed() {
    let draw = sample_draw();
    let mut spaced = intent_bytes(&draw);
    spaced.insert(1, b' ');
    let proofs = prove(&[spaced, result_bytes(&draw)], &log_key());
    let record = PublishedRecord::new(draw.clone(), proofs[0].clone(), proofs[1].clone(), vec![]);
    fails_at(&record, "MALFORMED intent_proof:", "not canonical");

    let entry = AuditEntry::new(REPLACEMENT_ENTRY, TIME, Actor::System)
        .reference("draw", draw.draw_id.clone())
        .data("stratum", 0)
        .data("replaced", draw.result[0].drawn[0])
        .data("successor", draw.result[0].reserves[0]);
    fails_at(
        &publish(draw, vec![bytes(&entry)]),
        "MALFORMED replacement_proofs[0]:",
        "no data.reason",
    );
}
