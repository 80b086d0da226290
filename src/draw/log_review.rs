//! A supervisor's review of every draw in a whole audit log (`sealdraw audit draws`,
//! docs/DRAW-SPEC.md §9b): what a published record cannot show because it was chosen by whoever
//! published it. From a verified export it lists every tender with more than one root draw (a
//! re-roll), every root draw without its result (an abandoned draw, or one still waiting),
//! every v2 family whose chain of entries is broken in the log itself, and every draw that
//! executed without the sub-venue answers its result relies on (§7a): a record shows which
//! candidates accepted, only the log shows that their centers said so before the seed existed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::algorithm;
use super::published::{CANCELLED_ENTRY, INTENT_ENTRY, RESULT_ENTRY, VOID_ENTRY};
use crate::audit::merkle;
use crate::venue::{CONSENT_ACCEPTED_ENTRY, CONSENT_REFUSED_ENTRY};

/// The audit entry of a consent request (`refs`: the holder and `venue`), logged with the
/// booking it asks about.
const CONSENT_REQUESTED_ENTRY: &str = "venue.consent_requested";

/// A root draw as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RootDraw {
    pub draw_id: String,
    pub index: u64,
    pub(crate) time: String,
    pub(crate) tender_reference: String,
    pub(crate) lot: String,
    /// The contribution deadline its intent entry announced (RFC 3339), when it did.
    pub(crate) deadline: Option<String>,
    pub(crate) result_index: Option<u64>,
}

/// What the review found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct DrawsInLog {
    pub(crate) root_draws: usize,
    pub(crate) linked_draws: usize,
    /// Tenders (by their tender commitment, §5) with more than one root draw, each listing them.
    pub(crate) redrawn_tenders: Vec<Vec<RootDraw>>,
    /// Root draws whose result is not in the log.
    pub(crate) without_result: Vec<RootDraw>,
    /// v2 families whose entries in the log do not form an unbroken chain: (root, problem).
    pub(crate) broken_families: Vec<(String, String)>,
    /// Root draws made void before they executed because a sub-venue refused (a `draw.voided`
    /// entry and no result): they drew nothing, so they are neither re-rolls nor abandoned,
    /// and their tender's next root draw is not a second draw of it.
    pub(crate) voided: Vec<RootDraw>,
    /// Root draws whose evaluation a supervisor cancelled (a `draw.cancelled` entry): one
    /// cancelled for a re-tender (`retender: true`) no longer holds its tender, so the next
    /// root draw for it is not a second draw of it; a cancelled draw that never executed is
    /// not one without a result either.
    pub(crate) cancelled: Vec<(RootDraw, bool)>,
    /// Draws whose result the log's sub-venue answers do not bear out: (draw, problem). A
    /// result needs every center asked for the draw to have answered before it, every named
    /// sub-venue to have accepted, and a random stratum's `venue_accepted` to be exactly its
    /// candidates whose centers accepted (DRAW-SPEC.md §7a).
    pub(crate) venue_answers: Vec<(String, String)>,
}

impl DrawsInLog {
    pub(crate) fn is_clean(&self) -> bool {
        self.redrawn_tenders.is_empty()
            && self.without_result.is_empty()
            && self.broken_families.is_empty()
            && self.venue_answers.is_empty()
    }
}

/// Reviews `entries` (every entry of the log, in order, as a verified export holds them).
/// Entries that are not JSON objects are skipped: the export's verification vouched for their
/// bytes, and only draw entries concern this review.
pub(crate) fn review(suite: crate::crypto::Suite, entries: &[Vec<u8>]) -> DrawsInLog {
    let mut found = DrawsInLog::default();
    let mut roots: Vec<RootDraw> = Vec::new();
    let mut results: HashMap<String, u64> = HashMap::new();
    let mut voids: HashMap<String, u64> = HashMap::new();
    // Per cancelled root draw: whether the cancellation released its tender (a re-tender).
    let mut cancellations: HashMap<String, bool> = HashMap::new();
    // Per family root: its chained entries, in log order.
    let mut chains: BTreeMap<String, Vec<ChainLink>> = BTreeMap::new();
    // Per draw: the sub-venues asked so far, and what they answered.
    let mut consents: HashMap<String, Consents> = HashMap::new();
    // Per draw: each stratum's random-choice candidates, as its intent committed them.
    let mut candidates: HashMap<String, Vec<Option<Vec<String>>>> = HashMap::new();
    for (index, bytes) in entries.iter().enumerate() {
        let Ok(Value::Object(entry)) = serde_json::from_slice::<Value>(bytes) else {
            continue;
        };
        let kind = entry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let reference = |name: &str| {
            entry
                .get("refs")
                .and_then(|refs| refs.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        if matches!(
            kind,
            CONSENT_REQUESTED_ENTRY | CONSENT_ACCEPTED_ENTRY | CONSENT_REFUSED_ENTRY
        ) {
            // A session's requests name no draw; only a draw's concern its result.
            if let (Some(draw), Some(venue)) = (reference("draw"), reference("venue")) {
                let asked = consents.entry(draw).or_default();
                if kind == CONSENT_REQUESTED_ENTRY {
                    asked.requested.insert(venue);
                } else {
                    // An answer is final: the first one logged is the one that counts.
                    asked
                        .answers
                        .entry(venue)
                        .or_insert(kind == CONSENT_ACCEPTED_ENTRY);
                }
            }
            continue;
        }
        if !kind.starts_with("draw.") {
            continue;
        }
        let data = entry.get("data").cloned().unwrap_or(Value::Null);
        let draw_id = reference("draw").unwrap_or_default();
        if let Some(link) = data.get("family").and_then(Value::as_object)
            && let Some(root) = link.get("root").and_then(Value::as_str)
        {
            chains.entry(root.to_owned()).or_default().push((
                link.get("seq").and_then(Value::as_u64),
                link.get("prev").and_then(Value::as_str).map(str::to_owned),
                merkle::leaf_hash(suite, bytes),
            ));
        }
        match kind {
            INTENT_ENTRY => {
                let intent = data.get("intent").cloned().unwrap_or(Value::Null);
                candidates.insert(draw_id.clone(), committed_candidates(&intent));
                let linked = intent.get("family").is_some()
                    || entry
                        .get("refs")
                        .and_then(|refs| refs.get("parent_draw"))
                        .is_some();
                if linked {
                    found.linked_draws += 1;
                    continue;
                }
                let text = |name: &str| {
                    data.get(name)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                roots.push(RootDraw {
                    draw_id,
                    index: index as u64,
                    time: entry
                        .get("time")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    tender_reference: text("tender_reference"),
                    lot: text("lot"),
                    deadline: data
                        .get("contribution_deadline")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    result_index: None,
                });
            }
            RESULT_ENTRY => {
                let problems = venue_answer_problems(
                    candidates.get(&draw_id).map_or(&[][..], Vec::as_slice),
                    consents.get(&draw_id),
                    data.get("result"),
                );
                found.venue_answers.extend(
                    problems
                        .into_iter()
                        .map(|problem| (draw_id.clone(), problem)),
                );
                results.entry(draw_id).or_insert(index as u64);
            }
            VOID_ENTRY => {
                voids.entry(draw_id).or_insert(index as u64);
            }
            CANCELLED_ENTRY => {
                let retender = data.get("retender").and_then(Value::as_bool) == Some(true);
                cancellations.entry(draw_id).or_insert(retender);
            }
            _ => {}
        }
    }
    found.root_draws = roots.len();
    let mut by_tender: BTreeMap<[u8; 32], Vec<RootDraw>> = BTreeMap::new();
    for mut root in roots {
        root.result_index = results.get(&root.draw_id).copied();
        // Void only if it never executed: a void entry beside a result is still a draw.
        if root.result_index.is_none() && voids.contains_key(&root.draw_id) {
            found.voided.push(root);
            continue;
        }
        if let Some(&retender) = cancellations.get(&root.draw_id) {
            found.cancelled.push((root.clone(), retender));
            if retender {
                continue;
            }
        } else if root.result_index.is_none() {
            found.without_result.push(root.clone());
        }
        // The commitment from the clear reference and lot, so v1 draws (which committed to
        // neither) are compared with v2 ones under the same normalisation.
        let key = algorithm::tender_commitment(suite, &root.tender_reference, &root.lot);
        by_tender.entry(key).or_default().push(root);
    }
    found.redrawn_tenders = by_tender
        .into_values()
        .filter(|draws| draws.len() > 1)
        .collect();
    for (root, chain) in chains {
        if let Some(problem) = chain_problem(&chain) {
            found.broken_families.push((root, problem));
        }
    }
    found
}

/// What the log says of one draw's sub-venues so far.
#[derive(Debug, Default)]
struct Consents {
    /// Venues whose centers were asked.
    requested: BTreeSet<String>,
    /// Each answer: true when accepted.
    answers: BTreeMap<String, bool>,
}

/// Each stratum's `venue_candidates` ids from an intent (`None` for a stratum without).
fn committed_candidates(intent: &Value) -> Vec<Option<Vec<String>>> {
    let Some(strata) = intent.get("strata").and_then(Value::as_array) else {
        return Vec::new();
    };
    strata
        .iter()
        .map(|stratum| {
            let list = stratum.get("venue_candidates")?.as_array()?;
            Some(
                list.iter()
                    .filter_map(|c| c.get("venue_id").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect(),
            )
        })
        .collect()
}

/// What a draw's result entry claims of its sub-venues that the answers logged before it do
/// not bear out, each in words. `candidates` are the intent's, `result` the entry's.
fn venue_answer_problems(
    candidates: &[Option<Vec<String>>],
    consents: Option<&Consents>,
    result: Option<&Value>,
) -> Vec<String> {
    let empty = Consents::default();
    let consents = consents.unwrap_or(&empty);
    let mut problems = Vec::new();
    for venue in &consents.requested {
        match consents.answers.get(venue) {
            None => problems.push(format!(
                "executed before the center of venue {venue} answered"
            )),
            Some(false) if !candidates.iter().flatten().flatten().any(|c| c == venue) => {
                problems.push(format!("executed although venue {venue} refused"));
            }
            _ => {}
        }
    }
    let strata = result
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for i in 0..candidates.len().max(strata.len()) {
        let committed = candidates.get(i).and_then(Option::as_ref);
        let claimed = strata
            .get(i)
            .and_then(|s| s.get("venue_accepted"))
            .map(|list| {
                list.as_array()
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect::<Vec<_>>()
            });
        match (committed, claimed) {
            (None, None) => {}
            (None, Some(_)) => problems.push(format!(
                "stratum {i}: the result lists venue_accepted, but the intent committed no \
                 candidates"
            )),
            (Some(_), None) => problems.push(format!(
                "stratum {i}: the intent committed candidates, but the result lists no \
                 venue_accepted"
            )),
            (Some(committed), Some(claimed)) => {
                for venue in committed {
                    if !consents.requested.contains(venue) && !consents.answers.contains_key(venue)
                    {
                        problems.push(format!("stratum {i}: candidate {venue} was never asked"));
                    }
                }
                let mut accepted: Vec<String> = committed
                    .iter()
                    .filter(|venue| consents.answers.get(*venue) == Some(&true))
                    .cloned()
                    .collect();
                accepted.sort_unstable();
                if claimed != accepted {
                    problems.push(format!(
                        "stratum {i}: the result says venue_accepted {claimed:?}, but before it \
                         the log shows these candidates accepting: {accepted:?}"
                    ));
                }
            }
        }
    }
    problems
}

/// What one entry of a family says of its place in the chain: (seq, prev, its own leaf hash).
type ChainLink = (Option<u64>, Option<String>, merkle::Hash);

fn chain_problem(chain: &[ChainLink]) -> Option<String> {
    let mut previous: Option<&merkle::Hash> = None;
    for (position, (seq, prev, leaf)) in chain.iter().enumerate() {
        if *seq != Some(position as u64) {
            return Some(format!(
                "entry number {position} of the family says seq {}",
                seq.map_or("(none)".into(), |s| s.to_string())
            ));
        }
        let expected = previous.map(hex::encode);
        if *prev != expected {
            return Some(format!(
                "entry {position} does not name the leaf hash of entry {}",
                position.saturating_sub(1)
            ));
        }
        previous = Some(leaf);
    }
    None
}

impl std::fmt::Display for DrawsInLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let describe = |draw: &RootDraw| {
            let lot = if draw.lot.is_empty() {
                String::new()
            } else {
                format!(" lot {:?}", draw.lot)
            };
            format!(
                "draw {} (tender {:?}{lot}, intent at log index {}, {})",
                draw.draw_id, draw.tender_reference, draw.index, draw.time
            )
        };
        for draws in &self.redrawn_tenders {
            writeln!(
                f,
                "REDRAWN tender {:?}: {} root draws",
                draws[0].tender_reference,
                draws.len()
            )?;
            for draw in draws {
                writeln!(f, "  {}", describe(draw))?;
            }
        }
        for draw in &self.without_result {
            let deadline = draw
                .deadline
                .as_deref()
                .map_or(String::new(), |d| format!("; contributions closed {d}"));
            writeln!(f, "NO RESULT {}{deadline}", describe(draw))?;
        }
        for (root, problem) in &self.broken_families {
            writeln!(f, "BROKEN CHAIN family {root}: {problem}")?;
        }
        for (draw, problem) in &self.venue_answers {
            writeln!(f, "VENUE ANSWERS draw {draw}: {problem}")?;
        }
        for draw in &self.voided {
            writeln!(
                f,
                "VOID (a sub-venue refused before it executed) {}",
                describe(draw)
            )?;
        }
        for (draw, retender) in &self.cancelled {
            let why = if *retender {
                "CANCELLED for a re-tender"
            } else {
                "CANCELLED"
            };
            writeln!(f, "{why} {}", describe(draw))?;
        }
        write!(
            f,
            "{} {} root draws, {} linked draws: {} tenders drawn more than once, {} root draws \
             without a result, {} broken family chains",
            if self.is_clean() { "OK" } else { "FOUND" },
            self.root_draws,
            self.linked_draws,
            self.redrawn_tenders.len(),
            self.without_result.len(),
            self.broken_families.len()
        )?;
        // Said only when there are some, so a log without any reads as it always did.
        if !self.voided.is_empty() {
            write!(f, ", {} void root draws", self.voided.len())?;
        }
        if !self.cancelled.is_empty() {
            write!(f, ", {} cancelled evaluations", self.cancelled.len())?;
        }
        if !self.venue_answers.is_empty() {
            write!(
                f,
                ", {} results the sub-venues' answers do not bear out",
                self.venue_answers.len()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Suite;
    use serde_json::json;

    fn entry(kind: &str, draw: &str, data: Value) -> Vec<u8> {
        crate::audit::entry::canonical_json(&json!({
            "v": 1, "type": kind, "time": "2026-12-04T00:00:00.000Z",
            "actor": {"system": "server"}, "refs": {"draw": draw}, "data": data,
        }))
        .unwrap()
    }

    #[test]
    fn a_tender_drawn_twice_under_two_spellings_and_a_draw_without_result_are_found() {
        let log = vec![
            entry(
                "draw.intent",
                "a",
                json!({"tender_reference": "HBGG-1", "intent": {}}),
            ),
            entry("draw.result", "a", json!({})),
            entry("account.created", "", json!({})),
            entry(
                "draw.intent",
                "b",
                json!({"tender_reference": " hbgg-1 ", "intent": {}}),
            ),
            entry(
                "draw.intent",
                "c",
                json!({"tender_reference": "HBGG-1", "lot": "2", "intent": {}}),
            ),
            entry("draw.result", "c", json!({})),
            entry(
                "draw.intent",
                "l",
                json!({"tender_reference": "HBGG-1", "intent": {"family": {}}}),
            ),
        ];
        let found = review(Suite::Intl2024, &log);
        assert_eq!((found.root_draws, found.linked_draws), (3, 1));
        assert_eq!(found.redrawn_tenders.len(), 1);
        let ids: Vec<&str> = found.redrawn_tenders[0]
            .iter()
            .map(|d| d.draw_id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(found.without_result.len(), 1);
        assert_eq!(found.without_result[0].draw_id, "b");
        assert!(!found.is_clean());
        assert!(
            found
                .to_string()
                .starts_with("REDRAWN tender \"HBGG-1\": 2 root draws")
        );
    }

    #[test]
    fn a_family_chain_with_a_gap_is_broken_and_an_unbroken_one_is_not() {
        let link = |seq: u64, prev: Option<&[u8]>| json!({"root": "r", "seq": seq, "prev": prev.map(|b| hex::encode(merkle::leaf_hash(Suite::Intl2024, b)))});
        let first = entry(
            "draw.intent",
            "r",
            json!({"tender_reference": "T", "intent": {}, "family": link(0, None)}),
        );
        let second = entry("draw.result", "r", json!({"family": link(1, Some(&first))}));
        let third = entry(
            "draw.replacement",
            "r",
            json!({"family": link(2, Some(&second))}),
        );
        assert!(
            review(
                Suite::Intl2024,
                &[first.clone(), second.clone(), third.clone()]
            )
            .is_clean()
        );
        let gap = review(Suite::Intl2024, &[first, third]);
        assert_eq!(gap.broken_families.len(), 1, "{gap}");
        assert!(gap.broken_families[0].1.contains("says seq 2"));
    }

    #[test]
    fn a_tender_re_tendered_after_a_cancellation_is_drawn_again_and_one_merely_cancelled_is_not() {
        let draws = |retender: bool| {
            vec![
                entry(
                    "draw.intent",
                    "a",
                    json!({"tender_reference": "HBGG-8", "intent": {}}),
                ),
                entry("draw.result", "a", json!({})),
                entry("draw.cancelled", "a", json!({"retender": retender})),
                entry(
                    "draw.intent",
                    "b",
                    json!({"tender_reference": "HBGG-8", "intent": {}}),
                ),
                entry("draw.result", "b", json!({})),
            ]
        };
        let found = review(Suite::Intl2024, &draws(true));
        assert!(found.is_clean(), "{found}");
        assert_eq!(found.cancelled.len(), 1);
        assert!(found.to_string().contains("CANCELLED for a re-tender"));
        assert!(found.to_string().ends_with(", 1 cancelled evaluations"));
        // Without the re-tender the second draw is a re-roll, whatever the cancellation says.
        let found = review(Suite::Intl2024, &draws(false));
        assert_eq!(found.redrawn_tenders.len(), 1, "{found}");
        assert!(!found.is_clean());
        // A draw cancelled before it executed is not one without a result.
        let unexecuted = review(
            Suite::Intl2024,
            &[
                entry(
                    "draw.intent",
                    "c",
                    json!({"tender_reference": "HBGG-9", "intent": {}}),
                ),
                entry("draw.cancelled", "c", json!({"retender": false})),
            ],
        );
        assert!(unexecuted.is_clean(), "{unexecuted}");
    }

    #[test]
    fn a_root_draw_void_before_it_executed_is_neither_a_redraw_nor_without_result() {
        let log = vec![
            entry(
                "draw.intent",
                "a",
                json!({"tender_reference": "HBGG-7", "intent": {}}),
            ),
            entry("draw.voided", "a", json!({"reason": "venue_refused"})),
            entry(
                "draw.intent",
                "b",
                json!({"tender_reference": "HBGG-7", "intent": {}, "after_void": "a"}),
            ),
            entry("draw.result", "b", json!({})),
        ];
        let found = review(Suite::Intl2024, &log);
        assert!(found.is_clean(), "{found}");
        assert_eq!(found.voided.len(), 1);
        assert!(
            found.to_string().ends_with(", 1 void root draws"),
            "{found}"
        );
        // A void entry does not excuse a draw that executed and then drew again.
        let log = vec![
            entry(
                "draw.intent",
                "a",
                json!({"tender_reference": "HBGG-7", "intent": {}}),
            ),
            entry("draw.result", "a", json!({})),
            entry("draw.voided", "a", json!({"reason": "venue_refused"})),
            entry(
                "draw.intent",
                "b",
                json!({"tender_reference": "HBGG-7", "intent": {}}),
            ),
            entry("draw.result", "b", json!({})),
        ];
        assert_eq!(review(Suite::Intl2024, &log).redrawn_tenders.len(), 1);
    }
    /// A consent entry of the venue service: `kind` for `venue` of draw `draw`.
    fn consent(kind: &str, draw: &str, venue: &str) -> Vec<u8> {
        crate::audit::entry::canonical_json(&json!({
            "v": 1, "type": kind, "time": "2026-12-04T00:00:00.000Z",
            "actor": {"account": "c"}, "refs": {"draw": draw, "venue": venue}, "data": {},
        }))
        .unwrap()
    }

    /// A draw whose stratum 0 sits at the main venue, stratum 1 at the named sub-venue `s`,
    /// stratum 2 at one of `v1`–`v3` chosen at random: its intent, every request, and the
    /// answers given (`v1` refuses), before the result claiming `accepted` for stratum 2.
    fn random_draw(accepted: &[&str], answers_after_result: bool) -> Vec<Vec<u8>> {
        let candidates: Vec<Value> = ["v1", "v2", "v3"]
            .iter()
            .map(|v| json!({"venue_id": v, "venue_region": "420502"}))
            .collect();
        let mut log = vec![entry(
            "draw.intent",
            "d",
            json!({"tender_reference": "T", "intent": {"strata": [
                {"venue_id": "main"}, {"venue_id": "s"}, {"venue_candidates": candidates},
            ]}}),
        )];
        for venue in ["s", "v1", "v2", "v3"] {
            log.push(consent("venue.consent_requested", "d", venue));
        }
        let answers = vec![
            consent("venue.consent_accepted", "d", "s"),
            consent("venue.consent_refused", "d", "v1"),
            consent("venue.consent_accepted", "d", "v2"),
            consent("venue.consent_accepted", "d", "v3"),
        ];
        let result = entry(
            "draw.result",
            "d",
            json!({"result": [{}, {}, {"venue_accepted": accepted, "venue_id": accepted.first()}]}),
        );
        if answers_after_result {
            log.push(result);
            log.extend(answers);
        } else {
            log.extend(answers);
            log.push(result);
        }
        log
    }

    #[test]
    fn a_random_sub_venues_accepted_candidates_must_be_the_ones_the_log_shows_accepting() {
        let found = review(Suite::Intl2024, &random_draw(&["v2", "v3"], false));
        assert!(found.is_clean(), "{found}");
        // A session's requests name no draw and are not a draw's concern.
        let mut log = random_draw(&["v2", "v3"], false);
        log.insert(
            1,
            crate::audit::entry::canonical_json(&json!({
                "v": 1, "type": "venue.consent_requested", "time": "2026-12-04T00:00:00.000Z",
                "actor": {"account": "c"}, "refs": {"session": "x", "venue": "v9"}, "data": {},
            }))
            .unwrap(),
        );
        assert!(review(Suite::Intl2024, &log).is_clean());

        // One that accepted left out (which could move the choice to another), or one that
        // refused put in.
        for claimed in [&["v3"][..], &["v1", "v2", "v3"][..]] {
            let found = review(Suite::Intl2024, &random_draw(claimed, false));
            assert_eq!(found.venue_answers.len(), 1, "{found}");
            assert_eq!(found.venue_answers[0].0, "d");
            assert!(
                found.venue_answers[0]
                    .1
                    .starts_with("stratum 2: the result says venue_accepted"),
                "{found}"
            );
            assert!(!found.is_clean());
            assert!(
                found
                    .to_string()
                    .contains("VENUE ANSWERS draw d: stratum 2"),
                "{found}"
            );
        }
    }

    #[test]
    fn a_result_before_every_answer_or_despite_a_named_sub_venues_refusal_is_found() {
        let found = review(Suite::Intl2024, &random_draw(&["v2", "v3"], true));
        let problems: Vec<&str> = found
            .venue_answers
            .iter()
            .map(|(_, p)| p.as_str())
            .collect();
        assert!(problems.contains(&"executed before the center of venue s answered"));
        assert!(problems.contains(&"executed before the center of venue v3 answered"));
        assert!(
            found
                .to_string()
                .ends_with("results the sub-venues' answers do not bear out"),
            "{found}"
        );

        let mut log = random_draw(&["v2", "v3"], false);
        let accepted = consent("venue.consent_accepted", "d", "s");
        let at = log.iter().position(|e| *e == accepted).unwrap();
        log[at] = consent("venue.consent_refused", "d", "s");
        let found = review(Suite::Intl2024, &log);
        assert_eq!(
            found.venue_answers,
            [(
                "d".to_owned(),
                "executed although venue s refused".to_owned()
            )]
        );

        // A candidate the intent committed but nobody asked.
        let mut log = random_draw(&["v2", "v3"], false);
        log.retain(|e| {
            *e != consent("venue.consent_requested", "d", "v1")
                && *e != consent("venue.consent_refused", "d", "v1")
        });
        let found = review(Suite::Intl2024, &log);
        assert_eq!(
            found.venue_answers,
            [(
                "d".to_owned(),
                "stratum 2: candidate v1 was never asked".to_owned()
            )]
        );
    }
}
