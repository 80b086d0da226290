//! A supervisor's review of every draw in a whole audit log (`sealdraw audit draws`,
//! docs/DRAW-SPEC.md §9b): what a published record cannot show because it was chosen by whoever
//! published it. From a verified export it lists every tender with more than one root draw (a
//! re-roll), every root draw without its result (an abandoned draw, or one still waiting), and
//! every v2 family whose chain of entries is broken in the log itself.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::algorithm;
use super::published::{INTENT_ENTRY, RESULT_ENTRY, VOID_ENTRY};
use crate::audit::merkle;

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
}

impl DrawsInLog {
    pub(crate) fn is_clean(&self) -> bool {
        self.redrawn_tenders.is_empty()
            && self.without_result.is_empty()
            && self.broken_families.is_empty()
    }
}

/// Reviews `entries` (every entry of the log, in order, as a verified export holds them).
/// Entries that are not JSON objects are skipped: the export's verification vouched for their
/// bytes, and only draw entries concern this review.
pub(crate) fn review(entries: &[Vec<u8>]) -> DrawsInLog {
    let mut found = DrawsInLog::default();
    let mut roots: Vec<RootDraw> = Vec::new();
    let mut results: HashMap<String, u64> = HashMap::new();
    let mut voids: HashMap<String, u64> = HashMap::new();
    // Per family root: its chained entries, in log order.
    let mut chains: BTreeMap<String, Vec<ChainLink>> = BTreeMap::new();
    for (index, bytes) in entries.iter().enumerate() {
        let Ok(Value::Object(entry)) = serde_json::from_slice::<Value>(bytes) else {
            continue;
        };
        let kind = entry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !kind.starts_with("draw.") {
            continue;
        }
        let data = entry.get("data").cloned().unwrap_or(Value::Null);
        let draw_id = entry
            .get("refs")
            .and_then(|refs| refs.get("draw"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(link) = data.get("family").and_then(Value::as_object)
            && let Some(root) = link.get("root").and_then(Value::as_str)
        {
            chains.entry(root.to_owned()).or_default().push((
                link.get("seq").and_then(Value::as_u64),
                link.get("prev").and_then(Value::as_str).map(str::to_owned),
                merkle::leaf_hash(bytes),
            ));
        }
        match kind {
            INTENT_ENTRY => {
                let intent = data.get("intent").cloned().unwrap_or(Value::Null);
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
                results.entry(draw_id).or_insert(index as u64);
            }
            VOID_ENTRY => {
                voids.entry(draw_id).or_insert(index as u64);
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
        if root.result_index.is_none() {
            found.without_result.push(root.clone());
        }
        // The commitment from the clear reference and lot, so v1 draws (which committed to
        // neither) are compared with v2 ones under the same normalisation.
        let key = algorithm::tender_commitment(&root.tender_reference, &root.lot);
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
        for draw in &self.voided {
            writeln!(
                f,
                "VOID (a sub-venue refused before it executed) {}",
                describe(draw)
            )?;
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let found = review(&log);
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
        let link = |seq: u64, prev: Option<&[u8]>| json!({"root": "r", "seq": seq, "prev": prev.map(|b| hex::encode(merkle::leaf_hash(b)))});
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
        assert!(review(&[first.clone(), second.clone(), third.clone()]).is_clean());
        let gap = review(&[first, third]);
        assert_eq!(gap.broken_families.len(), 1, "{gap}");
        assert!(gap.broken_families[0].1.contains("says seq 2"));
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
        let found = review(&log);
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
        assert_eq!(review(&log).redrawn_tenders.len(), 1);
    }
}
