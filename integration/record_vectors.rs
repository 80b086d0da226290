//! Conformance vectors for published draw records (docs/DRAW-SPEC.md §11, record vectors): the
//! files in `integration/verifier/record-vectors/` and their index `cases.json`, which gives for
//! each file the verifier keys to use and the exit status and first line every verifier must
//! print. They pin down what the spec decides and a reader could get wrong: the order of the
//! shape walk, how integers may be spelled, the limits, which version may hold what, how a vkey
//! is split and that one unusable key voids the list, and the family record's head, chain and
//! replay.
//!
//! The files are generated here, deterministically (fixed keys, secrets and times; Ed25519 is
//! deterministic); after a deliberate change, rewrite them with
//! `SEALDRAW_WRITE_RECORD_VECTORS=1 cargo nextest run --test integration
//! record_vectors::the_record_vectors_are_what_the_generator_writes` (that test alone: the
//! others read the directory it rewrites). The expected lines are written from the spec, never taken from a verifier's output,
//! and both verifiers run every case: `sealdraw draw verify` and `draw_verify.py published`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use sealdraw::audit::checkpoint::{Checkpoint, sign_checkpoint};
use sealdraw::audit::entry::{Actor, AuditEntry};
use sealdraw::audit::merkle::{self, MemoryTree};
use sealdraw::audit::note::{self, NoteSigner};
use sealdraw::audit::proof::TlogProof;
use sealdraw::auth::Role;
use sealdraw::draw::published::family::{FAMILY_FORMAT, FamilyHead};
use sealdraw::draw::published::{
    CONTRIBUTION_ENTRY, LINK_REFUSED_ENTRY, PublishedRecord, intent_entry, replacement_entry,
    result_entry,
};
use sealdraw::draw::{
    Contribution, DrawPlan, DrawRequest, DrawToken, EligibleSet, FamilyRequest, ServerSecret,
    Stratum, StratumRegions, VerificationRecord, algorithm,
};
use serde_json::{Value, json};

use crate::draw_record::{python, sealdraw, text};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/integration/verifier/record-vectors"
);
const ORIGIN: &str = "sealdraw.example/log";
const TIME: sealdraw::clock::Millis = 1_764_000_000_000;
const TOKEN_KEY: [u8; 32] = [1; 32];
const ROOT: &str = "d-1001";
const LINKED: &str = "d-1002";

/// The log's key: the first seed whose vkey's base64 holds a `+`, so that every case also
/// checks that a verifier splits a vkey at its first two `+` only (DRAW-SPEC §9a).
fn log_key() -> NoteSigner {
    (0u8..=255)
        .map(|seed| {
            NoteSigner::new(
                ORIGIN,
                sealdraw::crypto::Signer::from_seed(sealdraw::crypto::Suite::Intl2024, &[seed; 32])
                    .unwrap(),
            )
            .unwrap()
        })
        .find(|key| {
            let vkey = key.verifier().to_string();
            vkey.splitn(3, '+').nth(2).unwrap().contains('+')
        })
        .expect("some key among 256 has a + in its base64")
}

fn vkey() -> String {
    log_key().verifier().to_string()
}

/// The log's vkey with its key id's last digit changed: the id no longer matches the key.
fn mistyped_vkey() -> String {
    let key = vkey();
    let (name, rest) = key.split_once('+').unwrap();
    let (id, data) = rest.split_once('+').unwrap();
    let last = if id.ends_with('0') { '1' } else { '0' };
    format!("{name}+{}{last}+{data}", &id[..7])
}

fn entry_bytes(entry: &AuditEntry) -> Vec<u8> {
    entry.canonical_bytes().unwrap()
}

fn account(id: &str, role: Role) -> Actor {
    Actor::Account {
        id: id.to_owned(),
        role,
    }
}

/// Tokens of the experts `prefix00`, `prefix01`, … in the token domain `domain` (spec §4).
fn tokens(domain: &str, prefix: &str, range: std::ops::Range<u32>) -> Vec<DrawToken> {
    range
        .map(|i| {
            DrawToken::derive(
                sealdraw::crypto::Suite::Intl2024,
                &TOKEN_KEY,
                domain,
                &format!("{prefix}{i:02}"),
            )
        })
        .collect()
}

/// The draw run to its result, with `[secret; 32]` as its secret and these contributions.
fn draw(
    request: DrawRequest,
    secret: u8,
    contributions: &[&[u8]],
) -> (VerificationRecord, Vec<Contribution>) {
    let secret = ServerSecret::from_bytes([secret; 32]);
    let plan = DrawPlan::new(request, &secret).unwrap();
    let contributions: Vec<Contribution> = contributions
        .iter()
        .map(|c| Contribution::new(c.to_vec()).unwrap())
        .collect();
    let outcome = plan.execute(&secret, &contributions).unwrap();
    let record = VerificationRecord::new(&plan, &secret, &contributions, &outcome);
    (record, contributions)
}

fn stratum(prefixes: &[&str], k: u32, m: u32, eligible: Vec<DrawToken>) -> (Stratum, EligibleSet) {
    let prefixes = prefixes.iter().map(|p| (*p).to_owned()).collect();
    (
        Stratum::new(prefixes, k, m).unwrap(),
        EligibleSet::new(eligible).unwrap(),
    )
}

/// An audit log in memory, with unrelated entries before and between the draw's.
struct Log {
    tree: MemoryTree,
}

/// A checkpoint signed by the log's key.
struct Signed {
    size: u64,
    root: merkle::Hash,
    note: String,
}

impl Log {
    fn new() -> Self {
        let mut tree = MemoryTree::new(sealdraw::crypto::Suite::Intl2024);
        for i in 0..3 {
            tree.append(format!("account.created {i}").as_bytes())
                .unwrap();
        }
        Self { tree }
    }

    fn append(&mut self, entry: &[u8]) -> u64 {
        let index = self.tree.append(entry).unwrap();
        self.tree.append(b"session.joined").unwrap();
        index
    }

    fn checkpoint(&self) -> Signed {
        let (size, root) = (self.tree.size(), self.tree.root());
        let note = sign_checkpoint(&Checkpoint::new(ORIGIN, size, root), &[&log_key()]).unwrap();
        Signed { size, root, note }
    }

    fn prove(&self, entry: &[u8], index: u64, under: &Signed) -> String {
        TlogProof {
            extra: Some(entry.to_vec()),
            index,
            inclusion_proof: self.tree.inclusion_proof(index, under.size).unwrap(),
            checkpoint: under.note.clone(),
        }
        .format()
        .unwrap()
    }
}

// ---- v1 (spec §9a) ----

/// A v1 draw (made before v2, spec §12): two strata, contributions by the center and a
/// supervisor.
fn v1_draw(draw_id: &str) -> VerificationRecord {
    let request = DrawRequest {
        suite: sealdraw::crypto::Suite::Intl2024,
        draw_id: draw_id.to_owned(),
        pool_snapshot: "audit:7:root".to_owned(),
        filter_sha256: sealdraw::crypto::Suite::Intl2024
            .hash(br#"{"prefixes":[["B01","B02"],["C"]]}"#),
        min_multiple: 3,
        strata: vec![
            stratum(&["B02", "B01"], 2, 2, tokens(draw_id, "e", 0..14)),
            stratum(&["C"], 1, 1, tokens(draw_id, "e", 10..20)),
        ],
        tender_sha256: None,
        family: None,
    };
    draw(request, 6, &[b"center", &[0xab; 32]]).0
}

/// A published v1 record: intent, result, then in each stratum with a reserve its last drawn
/// expert replaced by the first reserve. With `split`, the intent and result are proven under a
/// checkpoint made before the replacements were logged (§9a allows a record's proofs to come
/// from several checkpoints of one log).
fn v1_published(draw: VerificationRecord, split: bool) -> (Value, String) {
    let mut entries = vec![
        entry_bytes(&intent_entry(&draw.intent(), TIME, Actor::System)),
        entry_bytes(&result_entry(&draw, TIME + 1, Actor::System)),
    ];
    for (stratum, result) in draw.result.iter().enumerate() {
        if let (Some(replaced), Some(successor)) = (result.drawn.last(), result.reserves.first()) {
            entries.push(entry_bytes(&replacement_entry(
                &draw.draw_id,
                stratum,
                replaced,
                "declined",
                Some(successor),
                TIME + 2,
                Actor::System,
            )));
        }
    }
    let mut log = Log::new();
    let mut indexes = Vec::new();
    let mut early = None;
    for (i, entry) in entries.iter().enumerate() {
        indexes.push(log.append(entry));
        if split && i == 1 {
            early = Some(log.checkpoint());
        }
    }
    let last = log.checkpoint();
    let proofs: Vec<String> = entries
        .iter()
        .zip(&indexes)
        .enumerate()
        .map(|(i, (entry, &index))| {
            let under = match &early {
                Some(early) if i < 2 => early,
                _ => &last,
            };
            log.prove(entry, index, under)
        })
        .collect();
    let summary = format!(
        "OK draw {}: {} strata, {} drawn, {} replacements, log entries {},{} under checkpoint \
         size {}",
        draw.draw_id,
        draw.strata.len(),
        draw.result.iter().map(|s| s.drawn.len()).sum::<usize>(),
        entries.len() - 2,
        indexes[0],
        indexes[1],
        last.size
    );
    let record = PublishedRecord::new(
        draw,
        proofs[0].clone(),
        proofs[1].clone(),
        proofs[2..].to_vec(),
    );
    (serde_json::to_value(record).unwrap(), summary)
}

// ---- v2 families (spec §9b) ----

/// What a family's history can be made to get wrong.
#[derive(Default)]
struct Flaws {
    /// The reason of the first replacement, instead of `declined`.
    reason: Option<&'static str>,
    /// The linked draw leaves the root's drawn expert of stratum 1 out of its excluded tokens,
    /// and so finds her eligible.
    forgets_a_family_token: bool,
    /// A v3 family: each stratum commits its region rule (the linked draw the one of the root's
    /// stratum 1, whose seat it fills).
    v3: bool,
    /// In a v3 family, the linked draw is a v2 draw (no region rule committed).
    linked_v2: bool,
}

/// The region rules of a v3 family's root: stratum 0 from the province at large, stratum 1
/// from Xiangyang (4206); Wuhan (4201, the project's city) excluded from both.
const V3_RULES: [(&[&str], &[&str]); 2] = [(&["4201"], &[]), (&["4201"], &["4206"])];

/// `stratum` with the region rule `rule` when `v3`.
fn ruled(
    (stratum, set): (Stratum, EligibleSet),
    v3: bool,
    (exclude, require): (&[&str], &[&str]),
) -> (Stratum, EligibleSet) {
    if !v3 {
        return (stratum, set);
    }
    let list = |items: &[&str]| items.iter().map(|item| (*item).to_owned()).collect();
    let regions = StratumRegions {
        exclude: list(exclude),
        require: list(require),
    };
    (stratum.with_regions(regions).unwrap(), set)
}

/// A family as the server would log it: the root, its linked draw and every entry, unchained.
struct History {
    root: VerificationRecord,
    linked: VerificationRecord,
    entries: Vec<AuditEntry>,
}

/// The root draws two from stratum 0 with one reserve and one from stratum 1 with none. The
/// supervisor contributes, then the center. Stratum 0's first seat goes to its reserve; stratum
/// 1's seat is vacated with no reserve left, so a linked draw fills it, excluding the four
/// tokens the family drew or held in reserve, and its seat then goes to its own reserve.
/// Stratum 0's second seat is vacated last, with no reserve left, and its linked draw is
/// refused. Entries, in family order: 0 root intent, 1-2 contributions, 3 result,
/// 4-5 replacements, 6 linked intent, 7 contribution, 8 result, 9 replacement in the linked
/// draw, 10 replacement in the root, 11 the refused link.
fn history(flaws: &Flaws) -> History {
    let center = account("acct-center", Role::Center);
    let supervisor = account("acct-supervisor", Role::Supervisor);
    let tender =
        algorithm::tender_commitment(sealdraw::crypto::Suite::Intl2024, "HBGG-2026-0001", "");
    let (root, root_contributions) = draw(
        DrawRequest {
            suite: sealdraw::crypto::Suite::Intl2024,
            draw_id: ROOT.to_owned(),
            pool_snapshot: "audit:40:root".to_owned(),
            filter_sha256: sealdraw::crypto::Suite::Intl2024
                .hash(br#"{"prefixes":[["A01"],["B01"]]}"#),
            min_multiple: 3,
            strata: vec![
                ruled(
                    stratum(&["A01"], 2, 1, tokens(ROOT, "a", 0..12)),
                    flaws.v3,
                    V3_RULES[0],
                ),
                ruled(
                    stratum(&["B01"], 1, 0, tokens(ROOT, "b", 0..10)),
                    flaws.v3,
                    V3_RULES[1],
                ),
            ],
            tender_sha256: Some(tender),
            family: None,
        },
        0x11,
        &[&[0x5a; 32], b"center at the root draw"],
    );
    let (s0, s1) = (root.result[0].clone(), root.result[1].clone());
    let vacated = s1.drawn[0];
    let excluded: Vec<DrawToken> = root
        .result
        .iter()
        .flat_map(|s| s.drawn.iter().chain(&s.reserves))
        .copied()
        .filter(|t| !(flaws.forgets_a_family_token && *t == vacated))
        .collect();
    let eligible = tokens(ROOT, "b", 0..10)
        .into_iter()
        .filter(|t| !excluded.contains(t))
        .collect();
    let (linked, linked_contributions) = draw(
        DrawRequest {
            suite: sealdraw::crypto::Suite::Intl2024,
            draw_id: LINKED.to_owned(),
            pool_snapshot: "audit:52:root".to_owned(),
            filter_sha256: sealdraw::crypto::Suite::Intl2024.hash(br#"{"prefixes":[["B01"]]}"#),
            min_multiple: 3,
            strata: vec![ruled(
                stratum(&["B01"], 1, 1, eligible),
                flaws.v3 && !flaws.linked_v2,
                V3_RULES[1],
            )],
            tender_sha256: Some(tender),
            family: Some(FamilyRequest {
                root_draw_id: ROOT.to_owned(),
                root_intent_hash: root.intent_hash,
                root_stratum: 1,
                vacated_draw_id: ROOT.to_owned(),
                vacated_token: vacated,
                excluded: EligibleSet::new(excluded).unwrap(),
            }),
        },
        0x22,
        &[b"center at the linked draw"],
    );
    let contribution = |draw_id: &str, position: usize, who: &Actor, bytes: &Contribution| {
        let role = match who {
            Actor::Account { role, .. } => role.as_str(),
            _ => unreachable!("contributors are accounts"),
        };
        AuditEntry::new(CONTRIBUTION_ENTRY, TIME + 1, who.clone())
            .reference("draw", draw_id)
            .data("position", position)
            .data("role", role)
            .data(
                "sha256",
                hex::encode(sealdraw::crypto::Suite::Intl2024.hash(bytes.as_bytes())),
            )
    };
    let replacement = |draw_id: &str,
                       stratum: usize,
                       replaced: &DrawToken,
                       reason: &str,
                       successor: Option<&DrawToken>| {
        replacement_entry(
            draw_id,
            stratum,
            replaced,
            reason,
            successor,
            TIME + 3,
            center.clone(),
        )
    };
    let l0 = linked.result[0].clone();
    let entries = vec![
        intent_entry(&root.intent(), TIME, Actor::System),
        contribution(ROOT, 0, &supervisor, &root_contributions[0]),
        contribution(ROOT, 1, &center, &root_contributions[1]),
        result_entry(&root, TIME + 2, Actor::System),
        replacement(
            ROOT,
            0,
            &s0.drawn[0],
            flaws.reason.unwrap_or("declined"),
            Some(&s0.reserves[0]),
        ),
        replacement(ROOT, 1, &vacated, "recused", None),
        intent_entry(&linked.intent(), TIME + 4, Actor::System),
        contribution(LINKED, 0, &center, &linked_contributions[0]),
        result_entry(&linked, TIME + 5, Actor::System),
        replacement(LINKED, 0, &l0.drawn[0], "withdrew", Some(&l0.reserves[0])),
        replacement(ROOT, 0, &s0.drawn[1], "no_answer", None),
        AuditEntry::new(LINK_REFUSED_ENTRY, TIME + 6, Actor::System)
            .reference("draw", ROOT)
            .reference("root_draw", ROOT)
            .data("token", s0.drawn[1].to_hex())
            .data("stratum", 0)
            .data("refusal", "too few eligible experts remain"),
    ];
    History {
        root,
        linked,
        entries,
    }
}

/// The entries with their `data.family` links (spec §9b): root, number, previous leaf hash.
fn chain(entries: &[AuditEntry]) -> Vec<Vec<u8>> {
    chain_with(entries, |_, _| {})
}

/// As [`chain`], with each link passed through `tweak` (entry number, link) before it is added.
fn chain_with(entries: &[AuditEntry], tweak: impl Fn(usize, &mut Value)) -> Vec<Vec<u8>> {
    let mut chained: Vec<Vec<u8>> = Vec::new();
    for (seq, entry) in entries.iter().enumerate() {
        let prev = chained
            .last()
            .map(|bytes| hex::encode(merkle::leaf_hash(sealdraw::crypto::Suite::Intl2024, bytes)));
        let mut link = json!({"root": ROOT, "seq": seq, "prev": prev});
        tweak(seq, &mut link);
        chained.push(entry_bytes(&entry.clone().data("family", link)));
    }
    chained
}

/// A family's chained entries in a log, proven under its newest checkpoint, or with the first
/// `early` entries under an older one.
struct FamilyLog {
    log: Log,
    entries: Vec<Vec<u8>>,
    indexes: Vec<u64>,
    early: Option<(usize, Signed)>,
    checkpoint: Signed,
}

impl FamilyLog {
    fn new(entries: Vec<Vec<u8>>, early: Option<usize>) -> Self {
        let mut log = Log::new();
        let mut indexes = Vec::new();
        let mut older = None;
        for (i, entry) in entries.iter().enumerate() {
            indexes.push(log.append(entry));
            if early == Some(i + 1) {
                older = Some((i + 1, log.checkpoint()));
            }
        }
        let checkpoint = log.checkpoint();
        Self {
            log,
            entries,
            indexes,
            early: older,
            checkpoint,
        }
    }

    fn proof(&self, i: usize) -> String {
        let under = match &self.early {
            Some((n, older)) if i < *n => older,
            _ => &self.checkpoint,
        };
        self.log.prove(&self.entries[i], self.indexes[i], under)
    }

    /// The head the log signs: family `root` has `count` entries, the newest being `last`.
    fn head(&self, root: &str, count: usize, last: usize) -> String {
        let head = FamilyHead {
            origin: ORIGIN.to_owned(),
            root_draw_id: root.to_owned(),
            entries: count as u64,
            last_index: self.indexes[last],
            last_leaf: merkle::leaf_hash(sealdraw::crypto::Suite::Intl2024, &self.entries[last]),
            checkpoint_size: self.checkpoint.size,
            checkpoint_root: self.checkpoint.root,
        };
        note::sign(&head.to_text(), &[&log_key()]).unwrap()
    }

    /// The honest head about every entry.
    fn full_head(&self) -> String {
        self.head(ROOT, self.entries.len(), self.entries.len() - 1)
    }

    fn record(&self, draws: &[&VerificationRecord], kept: &[usize], head: String) -> Value {
        json!({
            "format": FAMILY_FORMAT,
            "root_draw_id": ROOT,
            "draws": draws,
            "entries": kept.iter().map(|&i| self.proof(i)).collect::<Vec<_>>(),
            "head": head,
        })
    }

    fn all(&self) -> Vec<usize> {
        (0..self.entries.len()).collect()
    }
}

/// The OK line of spec §9b.
fn family_summary(draws: usize, log: &FamilyLog, counts: &str) -> String {
    format!(
        "OK draw family {ROOT}: {draws} draws, {} entries complete under checkpoint size {}, \
         {counts}",
        log.entries.len(),
        log.checkpoint.size
    )
}

// ---- the cases ----

/// What a verifier must do with one file: exit with `status`; status 0 prints `expect` as its
/// first line, status 1 prints `expect: ` then any detail, status 2 names the unusable key.
struct Case {
    name: String,
    file: String,
    keys: Vec<String>,
    status: i32,
    expect: String,
}

struct Vectors {
    files: BTreeMap<&'static str, String>,
    cases: Vec<Case>,
}

impl Vectors {
    fn add(
        &mut self,
        name: &'static str,
        file: &'static str,
        text: String,
        status: i32,
        expect: &str,
    ) {
        self.add_with_keys(name, file, text, vec![vkey()], status, expect);
    }

    fn add_with_keys(
        &mut self,
        name: &'static str,
        file: &'static str,
        text: String,
        keys: Vec<String>,
        status: i32,
        expect: &str,
    ) {
        // Cases may share a file (the same record with other keys), never a name.
        if let Some(earlier) = self.files.insert(file, text) {
            assert!(earlier == self.files[file], "two texts for {file}");
        }
        self.cases.push(Case {
            name: name.to_owned(),
            file: file.to_owned(),
            keys,
            status,
            expect: expect.to_owned(),
        });
    }

    fn index(&self) -> String {
        let cases: Vec<Value> = self
            .cases
            .iter()
            .map(|case| {
                json!({
                    "name": case.name,
                    "file": case.file,
                    "keys": case.keys,
                    "status": case.status,
                    "expect": case.expect,
                })
            })
            .collect();
        pretty(&json!({
            "spec": "docs/DRAW-SPEC.md §11, record vectors",
            "run": "VERIFIER FILE KEY... (sealdraw draw verify FILE --vkey KEY...; \
                    draw_verify.py published FILE KEY...)",
            "expect": "status 0: the first line printed is `expect`; status 1: it is `expect`, \
                       then `: ` and any detail; status 2: it names the unusable key `expect`",
            "cases": cases,
        }))
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

/// `text` with `from`, which occurs exactly once, replaced by `to`.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} is not unique");
    text.replacen(from, to, 1)
}

/// The pretty text with the lines `first` and `second` (each a whole member line, neither the
/// last of its object) swapped: the same document with two members written in the other order.
fn swap_lines(text: &str, first: &str, second: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let at = |wanted: &str| {
        lines
            .iter()
            .position(|l| l.trim_start().starts_with(wanted))
    };
    let (a, b) = (at(first).unwrap(), at(second).unwrap());
    let mut swapped = lines.clone();
    swapped.swap(a, b);
    swapped.join("\n") + "\n"
}

fn generate() -> Vectors {
    let mut v = Vectors {
        files: BTreeMap::new(),
        cases: Vec::new(),
    };
    let good = v1_cases(&mut v);
    shape_cases(&mut v, &good);
    family_cases(&mut v);
    v3_family_cases(&mut v);
    v
}

/// v3 families (§5, §12): each stratum's region rule committed in the intent.
fn v3_family_cases(v: &mut Vectors) {
    let v3 = history(&Flaws {
        v3: true,
        ..Flaws::default()
    });
    let log = FamilyLog::new(chain(&v3.entries), None);
    let both = [&v3.root, &v3.linked];
    let good = log.record(&both, &log.all(), log.full_head());
    v.add(
        "a v3 family record verifies: each stratum's region rule committed in its intent",
        "v3-family-good.json",
        pretty(&good),
        0,
        &family_summary(
            2,
            &log,
            "contributions 2 by the center and 1 by supervisors, 4 replacements, 2/3 seats held",
        ),
    );
    let mut widened = good.clone();
    widened["draws"][0]["strata"][1]["regions_require"] = json!([]);
    v.add(
        "a v3 stratum's region rule widened in the record after the intent was logged",
        "v3-region-rule-widened.json",
        pretty(&widened),
        1,
        "MISMATCH draws[0].intent_hash",
    );
    let mut without = good.clone();
    without["draws"][0]["strata"][0]
        .as_object_mut()
        .unwrap()
        .remove("regions_require");
    v.add(
        "a v3 stratum without its regions_require",
        "v3-stratum-without-regions-require.json",
        pretty(&without),
        1,
        "MALFORMED draws[0].strata[0].regions_require",
    );
    let mut spelled = good.clone();
    spelled["draws"][0]["strata"][1]["regions_require"] = json!(["42", "4206"]);
    v.add(
        "a v3 region list with a prefix another already covers (one spelling per rule)",
        "v3-region-prefix-covered.json",
        pretty(&spelled),
        1,
        "MALFORMED draws[0].strata[1].regions_require",
    );
    let mut claimed = good.clone();
    claimed["draws"][0]["algorithm"] = json!("sealdraw-draw-v2");
    v.add(
        "a v3 draw passed off as v2 still carries the rules v2 never committed",
        "v3-draw-called-v2.json",
        pretty(&claimed),
        1,
        "MALFORMED draws[0].strata[0].regions_exclude",
    );
    let mixed = history(&Flaws {
        v3: true,
        linked_v2: true,
        ..Flaws::default()
    });
    let mixed_log = FamilyLog::new(chain(&mixed.entries), None);
    v.add(
        "a v2 linked draw in a v3 family (one family, one version)",
        "v3-family-with-a-v2-linked-draw.json",
        pretty(&mixed_log.record(
            &[&mixed.root, &mixed.linked],
            &mixed_log.all(),
            mixed_log.full_head(),
        )),
        1,
        "MISMATCH draws[1].algorithm",
    );
}

/// v1 records (§9a): what verifies, the keys, the draw id's limit. Returns the good record.
fn v1_cases(v: &mut Vectors) -> Value {
    let key = vkey();
    let (good, summary) = v1_published(v1_draw("抽取-9"), false);
    let good_text = pretty(&good);
    v.add(
        "a v1 record verifies; the log key's base64 holds a + (split at the first two + only)",
        "v1-good.json",
        good_text.clone(),
        0,
        &summary,
    );
    v.add_with_keys(
        "one unusable key among several voids the list",
        "v1-good.json",
        good_text.clone(),
        vec![key.clone(), mistyped_vkey()],
        2,
        &mistyped_vkey(),
    );
    let (split, split_summary) = v1_published(v1_draw("抽取-9"), true);
    v.add(
        "a v1 record may prove its entries under two checkpoints of one log",
        "v1-two-checkpoints.json",
        pretty(&split),
        0,
        &split_summary,
    );
    let long_id = format!("{}-9", "抽".repeat(42));
    assert_eq!(long_id.len(), 128);
    let (longest, longest_summary) = v1_published(v1_draw(&long_id), false);
    v.add(
        "a draw id of 128 bytes of UTF-8 verifies",
        "v1-draw-id-128-bytes.json",
        pretty(&longest),
        0,
        &longest_summary,
    );
    let mut tampered = longest.clone();
    tampered["draw"]["draw_id"] = json!(format!("抽{long_id}"));
    v.add(
        "a draw id of 129 bytes (check 2, before anything it would break)",
        "v1-draw-id-129-bytes.json",
        pretty(&tampered),
        1,
        "MALFORMED draw.draw_id",
    );
    v.add(
        "a bare §9 record has no format: a published record proves when its intent was fixed",
        "bare-record.json",
        pretty(&good["draw"]),
        1,
        "MALFORMED $",
    );

    good
}

/// The §9 shape walk and limits, seen through the good v1 record.
fn shape_cases(v: &mut Vectors, good: &Value) {
    let good_text = pretty(good);
    // Two shape faults: min_multiple (5th in §9's order) is a string, intent_hash (8th) is
    // uppercase. Written alphabetically, intent_hash comes first; the walk names min_multiple.
    let upper = good["draw"]["intent_hash"].as_str().unwrap().to_uppercase();
    let mut two = good.clone();
    two["draw"]["min_multiple"] = json!("3");
    two["draw"]["intent_hash"] = json!(upper);
    let two_text = pretty(&two);
    v.add(
        "two shape faults, the later one in the walk written first: the walk's first is named",
        "shape-two-faults-later-first.json",
        two_text.clone(),
        1,
        "MALFORMED draw.min_multiple",
    );
    v.add(
        "the same two faults written in the walk's order",
        "shape-two-faults-walk-order.json",
        swap_lines(&two_text, "\"intent_hash\"", "\"min_multiple\""),
        1,
        "MALFORMED draw.min_multiple",
    );
    // An unknown member at the top is found before the walk enters draw, wherever it is written.
    let mut deep = good.clone();
    deep["draw"]["strata"][0]["tokens"][1] = json!(
        deep["draw"]["strata"][0]["tokens"][1]
            .as_str()
            .unwrap()
            .to_uppercase()
    );
    let deep_text = pretty(&deep);
    v.add(
        "an unknown member written after a malformed token inside draw: the object's own \
         members come first",
        "shape-unknown-member-last.json",
        replace_once(
            &deep_text,
            "\n}\n",
            ",\n  \"note\": \"signed by hand\"\n}\n",
        ),
        1,
        "MALFORMED $",
    );
    v.add(
        "the same unknown member written first",
        "shape-unknown-member-first.json",
        replace_once(
            &deep_text,
            "{\n  \"draw\"",
            "{\n  \"note\": \"signed by hand\",\n  \"draw\"",
        ),
        1,
        "MALFORMED $",
    );
    let seed = good["draw"]["seed"].as_str().unwrap();
    let seed_line = format!("    \"seed\": \"{seed}\",\n");
    v.add(
        "a member named twice, with the same value both times",
        "shape-duplicate-member.json",
        replace_once(&good_text, &seed_line, &format!("{seed_line}{seed_line}")),
        1,
        "MALFORMED draw",
    );
    v.add(
        "-0 is not an integer",
        "integer-minus-zero.json",
        replace_once(&good_text, "\"m\": 2,", "\"m\": -0,"),
        1,
        "MALFORMED draw.strata[0].m",
    );
    v.add(
        "1.0 is not an integer",
        "integer-with-fraction.json",
        replace_once(&good_text, "\"min_multiple\": 3,", "\"min_multiple\": 3.0,"),
        1,
        "MALFORMED draw.min_multiple",
    );
    v.add(
        "an exponent is not an integer",
        "integer-with-exponent.json",
        replace_once(&good_text, "\"k\": 2,", "\"k\": 2e0,"),
        1,
        "MALFORMED draw.strata[0].k",
    );
    v.add(
        "a negative integer",
        "integer-negative.json",
        replace_once(
            &good_text,
            "\"eligible_count\": 14,",
            "\"eligible_count\": -14,",
        ),
        1,
        "MALFORMED draw.strata[0].eligible_count",
    );
    v.add(
        "k = 4294967296 does not fit in a u32",
        "integer-u32-overflow.json",
        replace_once(&good_text, "\"k\": 2,", "\"k\": 4294967296,"),
        1,
        "MALFORMED draw.strata[0].k",
    );
    let mut many = good.clone();
    many["draw"]["strata"] = json!(vec![good["draw"]["strata"][0].clone(); 17]);
    v.add(
        "17 strata",
        "limit-17-strata.json",
        pretty(&many),
        1,
        "MALFORMED draw.strata",
    );
    let mut long_prefix = good.clone();
    long_prefix["draw"]["strata"][1]["prefixes"] = json!([format!("C{}", "0".repeat(64))]);
    v.add(
        "a prefix of 65 bytes",
        "limit-prefix-65-bytes.json",
        pretty(&long_prefix),
        1,
        "MALFORMED draw.strata[1].prefixes",
    );
    let mut with_tender = good.clone();
    with_tender["draw"]["tender_sha256"] = json!(hex::encode([7u8; 32]));
    v.add(
        "a v1 draw with a tender_sha256",
        "v1-with-tender.json",
        pretty(&with_tender),
        1,
        "MALFORMED draw.tender_sha256",
    );
}

/// Family records (§9b).
fn family_cases(v: &mut Vectors) {
    let key = vkey();
    let honest = history(&Flaws::default());
    let log = FamilyLog::new(chain(&honest.entries), None);
    let both = [&honest.root, &honest.linked];
    v.add(
        "a family record verifies: a replacement, a linked draw, a refused link",
        "family-good.json",
        pretty(&log.record(&both, &log.all(), log.full_head())),
        0,
        &family_summary(
            2,
            &log,
            "contributions 2 by the center and 1 by supervisors, 4 replacements, 2/3 seats held",
        ),
    );
    let waiting = FamilyLog::new(chain(&honest.entries[..6]), None);
    v.add(
        "a family as published while a vacancy awaits its linked draw",
        "family-awaiting-a-linked-draw.json",
        pretty(&waiting.record(&[&honest.root], &waiting.all(), waiting.full_head())),
        0,
        &family_summary(
            1,
            &waiting,
            "contributions 1 by the center and 1 by supervisors, 2 replacements, 2/3 seats held, \
             1 awaiting a linked draw",
        ),
    );
    let drawing = FamilyLog::new(chain(&honest.entries[..8]), None);
    v.add(
        "a family as published while its linked draw awaits its result",
        "family-linked-draw-awaiting-its-result.json",
        pretty(&drawing.record(&[&honest.root], &drawing.all(), drawing.full_head())),
        0,
        &family_summary(
            1,
            &drawing,
            &format!(
                "contributions 2 by the center and 1 by supervisors, 2 replacements, 2/3 seats \
                 held, linked draw {LINKED} awaiting its result"
            ),
        ),
    );
    let without_middle: Vec<usize> = (0..12).filter(|&i| i != 4).collect();
    v.add(
        "a middle entry dropped, under a head signed for what is left: the chain breaks there",
        "family-dropped-middle-entry.json",
        pretty(&log.record(&both, &without_middle, log.head(ROOT, 11, 11))),
        1,
        "MISMATCH entries[4]",
    );
    v.add(
        "a middle entry dropped under the honest head: the count differs",
        "family-dropped-middle-entry-honest-head.json",
        pretty(&log.record(&both, &without_middle, log.full_head())),
        1,
        "MISMATCH head",
    );
    v.add(
        "the newest entry dropped: the head counts one more",
        "family-dropped-tail-entry.json",
        pretty(&log.record(&both, &log.all()[..11], log.full_head())),
        1,
        "MISMATCH head",
    );
    let mut unlogged = honest.entries.clone();
    unlogged.remove(2);
    let unlogged = FamilyLog::new(chain(&unlogged), None);
    v.add(
        "a contribution the seed used was never logged: the result names one more",
        "family-contribution-not-logged.json",
        pretty(&unlogged.record(&both, &unlogged.all(), unlogged.full_head())),
        1,
        "MISMATCH entries[2]",
    );
    let odd_reason = history(&Flaws {
        reason: Some("conflict_of_interest"),
        ..Flaws::default()
    });
    let odd_log = FamilyLog::new(chain(&odd_reason.entries), None);
    v.add(
        "a replacement whose reason is not in the closed list",
        "family-reason-outside-the-list.json",
        pretty(&odd_log.record(
            &[&odd_reason.root, &odd_reason.linked],
            &odd_log.all(),
            odd_log.full_head(),
        )),
        1,
        "MISMATCH entries[4]",
    );
    let forgetful = history(&Flaws {
        forgets_a_family_token: true,
        ..Flaws::default()
    });
    let forgetful_log = FamilyLog::new(chain(&forgetful.entries), None);
    v.add(
        "a linked draw that did not exclude one family token (its own record is consistent)",
        "family-linked-draw-did-not-exclude.json",
        pretty(&forgetful_log.record(
            &[&forgetful.root, &forgetful.linked],
            &forgetful_log.all(),
            forgetful_log.full_head(),
        )),
        1,
        "MISMATCH entries[6]",
    );
    let mut eligible_excluded = log.record(&both, &log.all(), log.full_head());
    let linked_tokens = honest.linked.strata[0].tokens.clone();
    let mut excluded = honest.linked.family.as_ref().unwrap().excluded.clone();
    excluded.push(linked_tokens[2]);
    excluded.sort_unstable();
    let family = &mut eligible_excluded["draws"][1]["family"];
    family["excluded"] = json!(excluded);
    family["excluded_count"] = json!(excluded.len());
    family["excluded_root"] = json!(hex::encode(algorithm::eligible_root(
        sealdraw::crypto::Suite::Intl2024,
        &excluded
    )));
    v.add(
        "a linked draw's record excludes a token it holds eligible (§9 check 6)",
        "family-excluded-token-eligible.json",
        pretty(&eligible_excluded),
        1,
        "MISMATCH draws[1].strata[0].tokens[2]",
    );
    v.add(
        "a head the log signed for another family",
        "family-head-of-another-family.json",
        pretty(&log.record(&both, &log.all(), log.head("d-9999", 12, 11))),
        1,
        "MISMATCH head",
    );
    let two_checkpoints = FamilyLog::new(chain(&honest.entries), Some(4));
    v.add(
        "the first entries proven under an older checkpoint than the head's",
        "family-two-checkpoints.json",
        pretty(&two_checkpoints.record(&both, &two_checkpoints.all(), two_checkpoints.full_head())),
        1,
        "MISMATCH entries[0]",
    );
    let good_family = log.record(&both, &log.all(), log.full_head());
    let mut no_tender = good_family.clone();
    no_tender["draws"][0]
        .as_object_mut()
        .unwrap()
        .remove("tender_sha256");
    v.add(
        "a v2 draw without tender_sha256",
        "family-v2-draw-without-tender.json",
        pretty(&no_tender),
        1,
        "MALFORMED draws[0].tender_sha256",
    );
    let mut null_family = good_family.clone();
    null_family["draws"][0]["family"] = Value::Null;
    v.add(
        "family: null is not an absent family",
        "family-null.json",
        pretty(&null_family),
        1,
        "MALFORMED draws[0].family",
    );
    v.add_with_keys(
        "one unusable key among several voids the list (a family record)",
        "family-good.json",
        pretty(&good_family),
        vec![mistyped_vkey(), key.clone()],
        2,
        &mistyped_vkey(),
    );
    // A refused link names its vacancy by draw, token and stratum (spec §9b): the right token
    // under another stratum is no vacancy.
    let mut wrong_stratum = honest.entries.clone();
    let refused = wrong_stratum.pop().unwrap();
    wrong_stratum.push(refused.data("stratum", 1));
    let wrong_stratum = FamilyLog::new(chain(&wrong_stratum), None);
    v.add(
        "a refused link naming the vacated token under another stratum",
        "family-link-refused-wrong-stratum.json",
        pretty(&wrong_stratum.record(&both, &wrong_stratum.all(), wrong_stratum.full_head())),
        1,
        "MISMATCH entries[11]",
    );
    // A contribution's SHA-256 is 64 lowercase hex digits: anything else is malformed there.
    let mut upper = honest.entries.clone();
    let sha = hex::encode(sealdraw::crypto::Suite::Intl2024.hash(&[0x5a; 32])).to_uppercase();
    upper[1] = upper[1].clone().data("sha256", sha);
    let upper = FamilyLog::new(chain(&upper), None);
    v.add(
        "a contribution entry whose sha256 is in capitals",
        "family-contribution-sha256-capitals.json",
        pretty(&upper.record(&both, &upper.all(), upper.full_head())),
        1,
        "MALFORMED entries[1]",
    );
    // A link's members are its shape; a wrong value of another type is a mismatch.
    let numeric_root = FamilyLog::new(
        chain_with(&honest.entries, |seq, link| {
            if seq == 3 {
                link["root"] = json!(7);
            }
        }),
        None,
    );
    v.add(
        "a chain link whose root is a number",
        "family-link-root-a-number.json",
        pretty(&numeric_root.record(&both, &numeric_root.all(), numeric_root.full_head())),
        1,
        "MISMATCH entries[3]",
    );
    let (wrapped, _) = v1_published(honest.root.clone(), false);
    v.add(
        "a v2 draw wrapped in a v1 record, where no chain shows an entry missing",
        "v1-wrapping-a-v2-draw.json",
        pretty(&wrapped),
        1,
        "MISMATCH draw.algorithm",
    );
}

const WRITE: &str = "SEALDRAW_WRITE_RECORD_VECTORS";

/// The cases as committed (which the generator test keeps equal to what it writes).
fn committed() -> Vec<Case> {
    let index: Value =
        serde_json::from_slice(&std::fs::read(Path::new(DIR).join("cases.json")).unwrap()).unwrap();
    let string = |value: &Value| value.as_str().unwrap().to_owned();
    index["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| Case {
            name: string(&case["name"]),
            file: string(&case["file"]),
            keys: case["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(string)
                .collect(),
            status: i32::try_from(case["status"].as_i64().unwrap()).unwrap(),
            expect: string(&case["expect"]),
        })
        .collect()
}

/// Set `SEALDRAW_WRITE_RECORD_VECTORS=1` to rewrite the directory after a deliberate change.
#[test]
fn the_record_vectors_are_what_the_generator_writes() {
    let vectors = generate();
    let dir = Path::new(DIR);
    if std::env::var_os(WRITE).is_some() {
        if dir.exists() {
            std::fs::remove_dir_all(dir).unwrap();
        }
        std::fs::create_dir_all(dir).unwrap();
        for (file, text) in &vectors.files {
            std::fs::write(dir.join(file), text).unwrap();
        }
        std::fs::write(dir.join("cases.json"), vectors.index()).unwrap();
    }
    let mut expected: BTreeMap<String, String> = vectors
        .files
        .iter()
        .map(|(file, text)| ((*file).to_owned(), text.clone()))
        .collect();
    expected.insert("cases.json".to_owned(), vectors.index());
    let mut stored = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        stored.insert(name, std::fs::read_to_string(&path).unwrap());
    }
    let differing: BTreeSet<&String> = expected
        .keys()
        .chain(stored.keys())
        .filter(|name| expected.get(*name) != stored.get(*name))
        .collect();
    assert!(
        differing.is_empty(),
        "{DIR} differs from what the generator writes in {differing:?}; after a deliberate \
         change, rewrite it with {WRITE}=1 and update docs/DRAW-SPEC.md §11"
    );
}

/// The first line a verifier printed, on standard output or else on standard error.
fn first_line(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stream = if stdout.is_empty() {
        String::from_utf8_lossy(&output.stderr).into_owned()
    } else {
        stdout.into_owned()
    };
    stream.lines().next().unwrap_or_default().to_owned()
}

/// Runs a verifier on every committed case; returns a description of each that it got wrong.
fn disagreements(run: impl Fn(&str, &[String]) -> Output) -> Vec<String> {
    let cases = committed();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for Case {
        name,
        file,
        keys,
        status,
        expect,
    } in cases
    {
        let path = Path::new(DIR).join(&file);
        let output = run(path.to_str().unwrap(), &keys);
        let line = first_line(&output);
        let conforms = output.status.code() == Some(status)
            && match status {
                0 => line == expect,
                1 => line.starts_with(&format!("{expect}: ")),
                _ => line.contains(&expect),
            };
        if !conforms {
            wrong.push(format!(
                "{file} ({name}): expected status {status} and {expect:?}, got {:?}: {}",
                output.status.code(),
                text(&output).trim_end()
            ));
        }
    }
    wrong
}

#[test]
fn the_python_verifier_prints_the_expected_line_for_every_record_vector() {
    let wrong = disagreements(|path, keys| {
        let mut args = vec!["published", path];
        args.extend(keys.iter().map(String::as_str));
        python(&args)
    });
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn sealdraw_draw_verify_prints_the_expected_line_for_every_record_vector() {
    let wrong = disagreements(|path, keys| {
        let mut args = vec!["draw", "verify", path];
        for key in keys {
            args.extend(["--vkey", key.as_str()]);
        }
        sealdraw(&args, None)
    });
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The `record` command checks §9 alone, v2 draws included: each draw of the family verifies.
#[test]
fn the_python_record_command_verifies_each_draw_of_a_family_record() {
    let record: Value =
        serde_json::from_slice(&std::fs::read(Path::new(DIR).join("family-good.json")).unwrap())
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (j, draw) in record["draws"].as_array().unwrap().iter().enumerate() {
        let path = dir.path().join(format!("draw-{j}.json"));
        std::fs::write(&path, serde_json::to_vec(draw).unwrap()).unwrap();
        let output = python(&["record", path.to_str().unwrap()]);
        let seed = draw["seed"].as_str().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        assert_eq!(first_line(&output), format!("OK seed {seed}"));
    }
}

/// The family record the live server serves — a root draw without reserves, so that a vacated
/// seat starts a linked draw — passes both verifiers with only the log's key, and both print
/// the same line. Five seats, so that the linked draw excludes five tokens, whose order the
/// record must give sorted (§9 check 6) and a draw order would give right once in 120.
#[tokio::test]
async fn both_verifiers_accept_the_family_record_the_server_serves() {
    use crate::draws::{DrawFixture, experts, tokens};
    let (fx, view) = DrawFixture::with_a_drawn(
        &experts(20, "A0101"),
        json!([{ "specialty_prefixes": ["A01"], "count": 5, "reserves": 0 }]),
    )
    .await;
    let id = view["draw_id"].as_str().unwrap();
    fx.confirm_all(id).await;
    let seat = tokens(&view, "seated")[0].clone();
    let outcome = fx.vacate(id, &seat, "withdrew").await;
    let linked = outcome["linked_draw"].as_str().unwrap();
    let response = fx.contribute(&fx.center, linked).await;
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    // Any draw of the family answers with the whole family.
    let record: Value = fx
        .app
        .get_json(&format!("/api/v1/draws/{linked}/record"), Some(&fx.center))
        .await;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("family.json");
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    let path = path.to_str().unwrap();
    let vkeys = fx.app.state.audit.vkeys();
    let vkey = vkeys.lines().next().unwrap();
    let rust = sealdraw(&["draw", "verify", path, "--vkey", vkey], None);
    let python = python(&["published", path, vkey]);
    for output in [&rust, &python] {
        assert_eq!(
            output.status.code(),
            Some(0),
            "rust: {}\npython: {}",
            text(&rust),
            text(&python)
        );
    }
    let line = first_line(&python);
    assert_eq!(first_line(&rust), line);
    // Intent, contribution and result of each draw, and the replacement between them.
    let start = format!("OK draw family {id}: 2 draws, 7 entries complete under checkpoint size ");
    let end =
        ", contributions 2 by the center and 0 by supervisors, 1 replacements, 5/5 seats held";
    assert!(line.starts_with(&start) && line.ends_with(end), "{line}");
}
