//! The byte level of `sealdraw-draw-v1`, `-v2` and `-v3`, in the order `docs/DRAW-SPEC.md` gives it:
//! encodings, tags, the token, the tender commitment, the secret commitment, the eligible-set
//! root, the seed, the ranking and the rules for strata. Every function here is pure; the spec
//! and this file should read side by side.

use crate::audit::merkle::{self, Hash};
use crate::crypto::{MacPrefix, Suite};

use super::DrawToken;

/// The algorithm id of draws made before the intent committed to its tender and family
/// (spec §12): still verified, no longer made.
pub const ALGORITHM_V1: &str = "sealdraw-draw-v1";
/// The algorithm id of draws whose intent committed to the tender and, for a linked draw, to
/// its family, but not to each stratum's region rule (spec §12): still verified, no longer made
/// for a new family (a v2 family's linked draws stay v2).
pub const ALGORITHM_V2: &str = "sealdraw-draw-v2";
/// The algorithm id of every draw made now: v2, with an intent that also commits to the region
/// rule each stratum applied (spec §5). The computation is v1's.
pub const ALGORITHM_ID: &str = "sealdraw-draw-v3";

/// Domain-separation tags. Each is the first field of the input it separates, so no input of
/// one kind can be read as an input of another.
pub(crate) const TOKEN_TAG: &str = "sealdraw-draw-v1/token";
pub(crate) const SECRET_COMMITMENT_TAG: &str = "sealdraw-draw-v1/secret-commitment";
pub(crate) const SEED_TAG: &str = "sealdraw-draw-v1/seed";
pub(crate) const RANK_TAG: &str = "sealdraw-draw-v1/rank";
/// v2 adds one input kind; the computation tags above stay as v1 named them (they name the
/// computation, which did not change).
pub(crate) const TENDER_TAG: &str = "sealdraw-draw-v2/tender";
/// Ranks the candidate venues of a stratum whose sub-venue the server chooses (spec §7a).
pub(crate) const VENUE_TAG: &str = "sealdraw-draw-v3/venue";

/// The longest tender reference and lot the server accepts, in characters (spec §5).
pub(crate) const MAX_TENDER_REFERENCE_CHARS: usize = 100;
pub(crate) const MAX_LOT_CHARS: usize = 50;

/// The spec's `lp`/`u64` encoder: byte strings as `u64be(len) ‖ bytes`, integers as `u64be`.
/// Every message starts with its tag, so the encoding of a message is injective.
struct Message(Vec<u8>);

impl Message {
    fn tagged(tag: &str) -> Self {
        let mut message = Self(Vec::with_capacity(128));
        message.bytes(tag.as_bytes());
        message
    }

    fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        // usize is at most 64 bits on every target Rust supports, so the cast is lossless.
        self.integer(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
        self
    }

    fn integer(&mut self, value: u64) -> &mut Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

/// `HMAC(token_key, lp(TOKEN_TAG) ‖ lp(draw_id) ‖ lp(expert_id))`, HMAC the suite's
/// (HMAC-SHA256, or HMAC-SM3 in a `gm2024` draw; spec §3).
pub fn token(suite: Suite, token_key: &[u8], draw_id: &str, expert_id: &str) -> [u8; 32] {
    suite.mac(token_key, &[&token_message(draw_id, expert_id)])
}

/// The message a token is the HMAC of, for callers that hold the key behind an interface.
pub(crate) fn token_message(draw_id: &str, expert_id: &str) -> Vec<u8> {
    let mut message = token_prefix(draw_id);
    message.extend_from_slice(&(expert_id.len() as u64).to_be_bytes());
    message.extend_from_slice(expert_id.as_bytes());
    message
}

/// The part of a token's message every expert of one draw shares: `lp(TOKEN_TAG) ‖ lp(draw_id)`.
pub(crate) fn token_prefix(draw_id: &str) -> Vec<u8> {
    let mut message = Message::tagged(TOKEN_TAG);
    message.bytes(draw_id.as_bytes());
    message.0
}

/// A token from a MAC that has absorbed the token key and [`token_prefix`]`(draw_id)`: the
/// rest of the message is `lp(expert_id)`. Equal to [`token`] for the same key and draw.
pub(crate) fn token_after_prefix(macs: &MacPrefix, expert_id: &str) -> [u8; 32] {
    macs.mac(&[
        &(expert_id.len() as u64).to_be_bytes(),
        expert_id.as_bytes(),
    ])
}

/// A tender reference (or lot) in the one spelling that names it (spec §5): full-width ASCII
/// forms (U+FF01–U+FF5E) become ASCII, every whitespace character is dropped, ASCII letters
/// become capitals. So `hbgg-2026-0001`, ` HBGG-2026-0001 ` and `ＨＢＧＧ－２０２６－０００１`
/// are one tender, and a re-draw cannot hide behind a different spelling.
pub(crate) fn tender_key(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match u32::from(c) {
            full @ 0xFF01..=0xFF5E => char::from_u32(full - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// `H(lp(TENDER_TAG) ‖ lp(tender_key(reference)) ‖ lp(tender_key(lot)))`, H the suite's
/// hash: what a v2 intent commits to, and the key that makes a tender's root draw unique.
pub fn tender_commitment(suite: Suite, reference: &str, lot: &str) -> [u8; 32] {
    let mut message = Message::tagged(TENDER_TAG);
    message
        .bytes(tender_key(reference).as_bytes())
        .bytes(tender_key(lot).as_bytes());
    suite.hash(message.as_slice())
}

/// `H(lp(SECRET_COMMITMENT_TAG) ‖ lp(s))`.
pub(crate) fn secret_commitment(suite: Suite, secret: &[u8; 32]) -> [u8; 32] {
    let mut message = Message::tagged(SECRET_COMMITMENT_TAG);
    message.bytes(secret);
    suite.hash(message.as_slice())
}

/// RFC 6962 Merkle Tree Hash over the tokens in the order given (callers pass them sorted
/// bytewise); each leaf is the 32 raw token bytes, hashed as `H(0x00 ‖ token)`.
pub fn eligible_root<'a>(
    suite: Suite,
    sorted_tokens: impl IntoIterator<Item = &'a DrawToken>,
) -> Hash {
    merkle::root_of_leaves(
        suite,
        sorted_tokens
            .into_iter()
            .map(|token| merkle::leaf_hash(suite, token.as_bytes()))
            .collect(),
    )
}

/// `seed = HMAC(s, lp(SEED_TAG) ‖ lp(intent_hash) ‖ u64(n) ‖ lp(c_1) ‖ … ‖ lp(c_n))`.
pub(crate) fn seed(
    suite: Suite,
    secret: &[u8; 32],
    intent_hash: &Hash,
    contributions: &[&[u8]],
) -> [u8; 32] {
    let mut message = Message::tagged(SEED_TAG);
    message.bytes(intent_hash);
    message.integer(contributions.len() as u64);
    for contribution in contributions {
        message.bytes(contribution);
    }
    suite.mac(secret, &[message.as_slice()])
}

/// `score = HMAC(seed, lp(RANK_TAG) ‖ u64(stratum_index) ‖ lp(token))`: the spec's formula
/// spelled out, which the tests hold [`rank`] to.
#[cfg(test)]
pub(crate) fn rank_score(
    suite: Suite,
    seed: &[u8; 32],
    stratum_index: u64,
    token: &DrawToken,
) -> [u8; 32] {
    let mut message = Message::tagged(RANK_TAG);
    message.integer(stratum_index).bytes(token.as_bytes());
    suite.mac(seed, &[message.as_slice()])
}

/// The tokens ordered by `(score, token)` ascending, both compared as unsigned bytes. The
/// scores are [`rank_score`]'s, with the seed's key schedule and the message's common part
/// (`lp(RANK_TAG) ‖ u64(stratum_index)`) absorbed once per stratum.
pub(crate) fn rank<'a>(
    suite: Suite,
    seed: &[u8; 32],
    stratum_index: u64,
    tokens: impl IntoIterator<Item = &'a DrawToken>,
) -> Vec<DrawToken> {
    let mut prefix = Message::tagged(RANK_TAG);
    prefix.integer(stratum_index);
    let macs = MacPrefix::new(suite, seed, prefix.as_slice());
    let token_len = (DrawToken::LEN as u64).to_be_bytes();
    order_by_score(tokens, |token| macs.mac(&[&token_len, token.as_bytes()]))
}

/// Sorting by score with ties broken by the token bytes, so the order is total and never
/// depends on the order of the input. Separate from [`rank`] so tests can force ties.
pub(super) fn order_by_score<'a>(
    tokens: impl IntoIterator<Item = &'a DrawToken>,
    score: impl Fn(&DrawToken) -> [u8; 32],
) -> Vec<DrawToken> {
    let mut scored: Vec<([u8; 32], DrawToken)> = tokens
        .into_iter()
        .map(|token| (score(token), *token))
        .collect();
    scored.sort_unstable();
    scored.into_iter().map(|(_, token)| token).collect()
}

/// `HMAC(seed, lp(VENUE_TAG) ‖ u64(stratum_index) ‖ lp(venue_id))`: a candidate venue's
/// score (spec §7a).
pub(crate) fn venue_score(
    suite: Suite,
    seed: &[u8; 32],
    stratum_index: u64,
    venue_id: &str,
) -> [u8; 32] {
    let mut message = Message::tagged(VENUE_TAG);
    message.integer(stratum_index).bytes(venue_id.as_bytes());
    suite.mac(seed, &[message.as_slice()])
}

/// The candidate venue ids of stratum `stratum_index` ordered by `(score, id)` ascending, both
/// compared as unsigned bytes (spec §7a): the order in which the server would seat the stratum.
pub(crate) fn venue_ranking<'a>(
    suite: Suite,
    seed: &[u8; 32],
    stratum_index: u64,
    venue_ids: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut scored: Vec<([u8; 32], &str)> = venue_ids
        .into_iter()
        .map(|id| (venue_score(suite, seed, stratum_index, id), id))
        .collect();
    scored.sort_unstable();
    scored.into_iter().map(|(_, id)| id.to_owned()).collect()
}

/// The venue a chosen-at-random stratum sits at: the first of the ranking whose center
/// accepted (spec §7a); `None` when none did.
pub(crate) fn chosen_venue<'a>(
    suite: Suite,
    seed: &[u8; 32],
    stratum_index: u64,
    candidates: impl IntoIterator<Item = &'a str>,
    accepted: &[String],
) -> Option<String> {
    venue_ranking(suite, seed, stratum_index, candidates)
        .into_iter()
        .find(|id| accepted.iter().any(|a| a == id))
}

/// Drawn and reserve tokens of one stratum; for a stratum whose sub-venue was chosen at
/// random (spec §7a), also the candidates whose centers accepted before the result and the
/// venue chosen among them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StratumResult {
    pub drawn: Vec<DrawToken>,
    pub reserves: Vec<DrawToken>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::present_value"
    )]
    pub venue_accepted: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::present_value"
    )]
    pub venue_id: Option<String>,
}

/// Strata are processed in request order. Stratum `j` ranks its eligible tokens, skips every
/// token drawn or reserved by strata `0..j`, then takes the first `k` as drawn and the next `m`
/// as reserves in rank order. `strata` is `(k, m, eligible tokens)` per stratum.
pub(crate) fn select(
    suite: Suite,
    seed: &[u8; 32],
    strata: &[(u32, u32, &[DrawToken])],
) -> Vec<StratumResult> {
    let mut taken = std::collections::BTreeSet::new();
    let mut results = Vec::with_capacity(strata.len());
    for (index, &(k, m, tokens)) in strata.iter().enumerate() {
        let mut order = rank(suite, seed, index as u64, tokens)
            .into_iter()
            .filter(|token| !taken.contains(token));
        let drawn: Vec<DrawToken> = order.by_ref().take(k as usize).collect();
        let reserves: Vec<DrawToken> = order.take(m as usize).collect();
        taken.extend(drawn.iter().chain(&reserves).copied());
        results.push(StratumResult {
            drawn,
            reserves,
            venue_accepted: None,
            venue_id: None,
        });
    }
    results
}

/// Why a stratum may not be drawn; see [`check_strata`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StratumRefusal {
    #[error(
        "stratum {stratum}: {eligible} eligible, fewer than {multiple} × (k {k} + m {m}) = {required}"
    )]
    BelowMinimum {
        stratum: usize,
        eligible: u64,
        k: u32,
        m: u32,
        multiple: u32,
        required: u64,
    },
    #[error(
        "stratum {stratum}: {eligible} eligible, of whom {shared} are also eligible in earlier \
         strata that take up to {taken_before}; fewer than k + m = {needed} might remain"
    )]
    MayRunShort {
        stratum: usize,
        eligible: u64,
        shared: u64,
        taken_before: u64,
        needed: u64,
    },
}

impl StratumRefusal {
    /// The stratum that fell short (from 0).
    pub fn stratum(&self) -> usize {
        match self {
            Self::BelowMinimum { stratum, .. } | Self::MayRunShort { stratum, .. } => *stratum,
        }
    }
}

/// The rules checked before any randomness exists, on `(k, m, sorted eligible tokens)` per
/// stratum: (1) `eligible ≥ multiple × (k + m)`; (2) even if earlier strata took every token
/// they could from this one, `k + m` remain, so a draw never fails once its seed is known.
///
/// Each stratum's tokens must be sorted bytewise without duplicates (as an [`super::EligibleSet`]
/// and a verified record hold them): the sets are compared by merging, in linear time.
pub(crate) fn check_strata(
    multiple: u32,
    strata: &[(u32, u32, &[DrawToken])],
) -> Result<(), StratumRefusal> {
    // The union of the earlier strata's sets, sorted.
    let mut earlier: Vec<DrawToken> = Vec::new();
    let mut taken_before: u64 = 0;
    for (stratum, &(k, m, tokens)) in strata.iter().enumerate() {
        let eligible = tokens.len() as u64;
        let needed = u64::from(k) + u64::from(m);
        let required = u64::from(multiple) * needed;
        if eligible < required {
            return Err(StratumRefusal::BelowMinimum {
                stratum,
                eligible,
                k,
                m,
                multiple,
                required,
            });
        }
        let shared = count_shared(&earlier, tokens);
        if eligible - shared.min(taken_before) < needed {
            return Err(StratumRefusal::MayRunShort {
                stratum,
                eligible,
                shared,
                taken_before,
                needed,
            });
        }
        earlier = sorted_union(&earlier, tokens);
        taken_before += needed;
    }
    Ok(())
}

/// How many tokens two sorted, duplicate-free lists have in common.
fn count_shared(a: &[DrawToken], b: &[DrawToken]) -> u64 {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

/// The sorted, duplicate-free union of two sorted, duplicate-free lists.
fn sorted_union(a: &[DrawToken], b: &[DrawToken]) -> Vec<DrawToken> {
    let mut union = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                union.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                union.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                union.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    union.extend_from_slice(&a[i..]);
    union.extend_from_slice(&b[j..]);
    union
}
