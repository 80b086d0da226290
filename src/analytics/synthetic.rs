//! A synthetic history of draws, answers, sessions and score sheets on the pool in the
//! database (`sealdraw demo history`; issue 21 §4; docs/ANALYTICS.md §6), with patterns
//! planted at stated strengths, so that the signals' detection and the reports' speed can be
//! measured. Every value comes from the injected generator: a seed reproduces a history.
//!
//! What it writes are the rows analytics reads. It writes no audit entries and no verification
//! data (intents, tokens, Merkle roots): these are not draws anyone could verify, and the server
//! refuses to write them into a production installation. Eligible sets are sealed for the last
//! 90 days only (what the frequency report's fairness test reads), to keep the database small.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::crypto::Rng;
use crate::crypto::rng::RandomnessUnavailable;
use crate::deps::Deps;
use crate::draw::filter::EvaluationMode;
use crate::draw::project::{ProjectCategory, ValueBand};
use crate::draw::service::{candidate_context, members_context};
use crate::draw::states::{CandidateState, VacancyReason};
use crate::notify::InvitationState;
use crate::notify::invitations::expert_tag;
use crate::pool::validate::complete_credit_code;
use crate::session::rules::{Criterion, ScoreSheet};
use crate::store::StoreError;
use crate::store::accounts::NewAccount;
use crate::store::synthetic::{
    SyntheticCandidate, SyntheticDraw, SyntheticInvitation, SyntheticSession, SyntheticSheet,
    SyntheticStratum,
};

const DAY: i64 = 86_400_000;
/// The trading centers the history's draws come from: username suffix and region.
const CENTERS: [(&str, &str); 6] = [
    ("wuhan", "420100"),
    ("yichang", "420500"),
    ("xiangyang", "420600"),
    ("jingzhou", "421000"),
    ("jingmen", "420800"),
    ("enshi", "422800"),
];
const CRITERIA: [(&str, u32); 5] = [
    ("技术方案", 30),
    ("施工组织", 20),
    ("质量保证", 20),
    ("项目团队", 15),
    ("商务响应", 15),
];
/// Bidding companies in the province's market.
const COMPANIES: usize = 400;
/// Vacancy chances per invited seat, in thousandths: decline, no answer, recusal, leaving.
const BASE_ODDS: [u32; 4] = [100, 20, 20, 10];

#[derive(Debug, thiserror::Error)]
pub(crate) enum HistoryError {
    #[error("randomness is unavailable")]
    Randomness,
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sealing failed")]
    Sealing,
    #[error("a synthetic value could not be written as JSON")]
    Encoding,
}

impl From<RandomnessUnavailable> for HistoryError {
    fn from(_: RandomnessUnavailable) -> Self {
        Self::Randomness
    }
}

/// How much history, and whether with the planted patterns.
#[derive(Debug, Clone)]
pub(crate) struct HistoryPlan {
    pub(crate) years: u32,
    pub(crate) draws_per_year: u32,
    /// Percent of draws evaluated remotely (they have a session with score sheets).
    pub(crate) remote_percent: u32,
    pub(crate) planted: bool,
    /// Committee: experts seated and reserves per draw.
    pub(crate) seats: u32,
    pub(crate) reserves: u32,
    /// Seeds the choices (who is drawn, who answers what, the scores) apart from the server's
    /// generator, so that a history is the same on every run; the server's generator still
    /// makes the ids, tokens and seals.
    pub(crate) seed: Option<Vec<u8>>,
}

impl Default for HistoryPlan {
    fn default() -> Self {
        Self {
            years: 5,
            draws_per_year: 6_000,
            remote_percent: 35,
            planted: true,
            seats: 5,
            reserves: 3,
            seed: None,
        }
    }
}

/// What was planted, by pool id, center username and credit code: the answers the detection
/// figures are measured against.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Planted {
    /// Two experts of one specialty, both seated whenever the pair is "arranged".
    pub(crate) colluding_pair: [String; 2],
    pub(crate) colluding_together: u64,
    /// An expert who boosts one bidder's scores, and that bidder.
    pub(crate) favouring_expert: String,
    pub(crate) favoured_bidder: String,
    pub(crate) favouring_sessions: u64,
    /// A center whose filters leave eligible sets near the minimum.
    pub(crate) narrowing_center: String,
    /// An expert who declines most invitations.
    pub(crate) decliner: String,
    /// A committee (root draw id) where two members' sheets are copies.
    pub(crate) copying_committee: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct HistorySummary {
    pub(crate) draws: u64,
    pub(crate) strata: u64,
    pub(crate) invitations: u64,
    pub(crate) sessions: u64,
    pub(crate) sheets: u64,
    pub(crate) from: String,
    pub(crate) until: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) planted: Option<Planted>,
}

/// Uniform choices from the injected generator.
struct Dice<'a>(&'a Rng);

impl Dice<'_> {
    fn below(&self, bound: u32) -> Result<u32, RandomnessUnavailable> {
        if bound <= 1 {
            return Ok(0);
        }
        let zone = u32::MAX - (u32::MAX % bound);
        loop {
            let value = u32::from_be_bytes(self.0.bytes::<4>()?);
            if value < zone {
                return Ok(value % bound);
            }
        }
    }

    fn chance(&self, thousandths: u32) -> Result<bool, RandomnessUnavailable> {
        Ok(self.below(1000)? < thousandths)
    }

    /// `count` distinct positions below `n`, in drawn order (partial Fisher–Yates).
    fn sample(&self, n: usize, count: usize) -> Result<Vec<usize>, RandomnessUnavailable> {
        let mut picked: BTreeMap<usize, usize> = BTreeMap::new();
        let mut out = Vec::with_capacity(count);
        for i in 0..count.min(n) {
            let j = i + self.below((n - i) as u32)? as usize;
            let at_j = *picked.get(&j).unwrap_or(&j);
            let at_i = *picked.get(&i).unwrap_or(&i);
            picked.insert(j, at_i);
            out.push(at_j);
        }
        Ok(out)
    }

    /// Roughly normal noise with the given spread (the sum of three uniforms).
    fn noise(&self, spread: i64) -> Result<i64, RandomnessUnavailable> {
        let mut sum = 0i64;
        for _ in 0..3 {
            sum += i64::from(self.below(2001)?) - 1000;
        }
        Ok(sum * spread / 1000)
    }

    fn id(&self) -> Result<String, RandomnessUnavailable> {
        Ok(uuid::Builder::from_random_bytes(self.0.bytes::<16>()?)
            .into_uuid()
            .to_string())
    }
}

/// One specialty's experts (indexes into the pool list).
struct Group {
    specialty: String,
    members: Vec<usize>,
}

/// Writes a history ending `now` into the store behind `deps`.
pub(crate) async fn write_history(
    deps: &Deps,
    plan: &HistoryPlan,
) -> Result<HistorySummary, HistoryError> {
    let seeded = plan.seed.as_deref().map(Rng::danger_deterministic);
    let dice = Dice(seeded.as_ref().unwrap_or(&deps.rng));
    let now = deps.clock.now_millis();
    let mut tx = deps.store.read().await?;
    let pool = tx.synthetic_pool().await?;
    tx.rollback().await?;
    let need = (plan.seats + plan.reserves) as usize;
    let mut by_specialty: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, expert) in pool.iter().enumerate() {
        by_specialty
            .entry(expert.specialty.clone())
            .or_default()
            .push(index);
    }
    let groups: Vec<Group> = by_specialty
        .into_iter()
        .filter(|(_, members)| members.len() >= 3 * need)
        .map(|(specialty, members)| Group { specialty, members })
        .collect();
    if groups.is_empty() {
        return Err(HistoryError::Refused(format!(
            "the pool has no specialty with {} or more active experts; seed a pool first \
             (sealdraw pool demo)",
            3 * need
        )));
    }
    let centers = ensure_centers(deps).await?;
    let companies: Vec<String> = (0..COMPANIES)
        .map(|serial| {
            complete_credit_code(&format!("91420100MA4H{serial:05}"))
                .ok_or(HistoryError::Refused("credit code".into()))
        })
        .collect::<Result<_, _>>()?;

    // The planted cast: in the smallest groups, where capture is easiest and chance sittings
    // are most frequent (so the tests must beat a high baseline).
    let mut by_size: Vec<usize> = (0..groups.len()).collect();
    by_size.sort_by_key(|g| (groups[*g].members.len(), groups[*g].specialty.clone()));
    let pair_group = by_size[0];
    let favour_group = by_size[by_size.len().min(2) - 1];
    let pair = [groups[pair_group].members[0], groups[pair_group].members[1]];
    let favourer = groups[favour_group].members[groups[favour_group].members.len() - 1];
    let favoured = companies[7].clone();
    // Someone else again: in a pool of one specialty, the middle member of it.
    let middle = &groups[by_size[by_size.len() / 2]].members;
    let decliner = middle[middle.len() / 2];
    let narrowing = CENTERS.len() - 1;
    let mut planted = plan.planted.then(|| Planted {
        colluding_pair: [pool[pair[0]].id.clone(), pool[pair[1]].id.clone()],
        colluding_together: 0,
        favouring_expert: pool[favourer].id.clone(),
        favoured_bidder: favoured.clone(),
        favouring_sessions: 0,
        narrowing_center: centers[narrowing].1.clone(),
        decliner: pool[decliner].id.clone(),
        copying_committee: None,
    });

    let total = u64::from(plan.years) * u64::from(plan.draws_per_year);
    let span = i64::from(plan.years) * 365 * DAY;
    let start = now - span;
    let tags: Vec<Vec<u8>> = pool
        .iter()
        .map(|e| expert_tag(&deps.keys, &e.id).to_vec())
        .collect();
    let criteria: Vec<Criterion> = CRITERIA
        .iter()
        .map(|(name, max)| Criterion {
            name: (*name).to_owned(),
            max_points: *max,
        })
        .collect();
    let criteria_json = serde_json::to_string(&criteria).map_err(|_| HistoryError::Encoding)?;
    let mut summary = HistorySummary {
        draws: 0,
        strata: 0,
        invitations: 0,
        sessions: 0,
        sheets: 0,
        from: crate::clock::to_rfc3339(start),
        until: crate::clock::to_rfc3339(now),
        planted: None,
    };
    let mut batch: Vec<SyntheticDraw> = Vec::new();
    for n in 0..total {
        let created_at = start + (span as i128 * i128::from(n) / i128::from(total.max(1))) as i64;
        let center = dice.below(CENTERS.len() as u32)? as usize;
        // Demand does not follow supply: every specialty is asked for about as often, so the
        // experts of small ones sit far more often (the scarce specialties of the supply
        // report, where capture is also easiest).
        let group = dice.below(groups.len() as u32)? as usize;
        let members = &groups[group].members;
        let draw_id = dice.id()?;
        // A narrowing center leaves a fifth more than it needs in six draws of ten; everyone
        // else now and then (a genuinely rare specialty).
        let narrowed = if planted.is_some() && center == narrowing {
            dice.chance(600)?
        } else {
            dice.chance(40)?
        };
        let eligible: Vec<usize> = if narrowed {
            let size = (need * 6 / 5).max(need + 1).min(members.len());
            dice.sample(members.len(), size)?
                .into_iter()
                .map(|i| members[i])
                .collect()
        } else {
            members.clone()
        };
        let mut order: Vec<usize> = dice
            .sample(eligible.len(), need)?
            .into_iter()
            .map(|i| eligible[i])
            .collect();
        // The colluding pair: arranged onto one committee in one draw of eight of their
        // specialty (about as often as each sits anyway).
        if let Some(truth) = planted.as_mut()
            && group == pair_group
            && !narrowed
            && dice.chance(125)?
        {
            order.retain(|e| !pair.contains(e));
            order.truncate(need - 2);
            order.insert(0, pair[1]);
            order.insert(0, pair[0]);
            truth.colluding_together += 1;
        }
        let remote = dice.chance(plan.remote_percent * 10)?;
        let mode = if !remote {
            EvaluationMode::OnSite
        } else if dice.chance(500)? {
            EvaluationMode::CrossSite
        } else {
            EvaluationMode::Distributed
        };
        let (filter_json, intent_json) = draw_texts(
            &draw_id,
            &groups[group].specialty,
            plan,
            mode,
            created_at + 2 * DAY,
            eligible.len(),
        );
        let mut draw = SyntheticDraw {
            id: draw_id.clone(),
            filter_json,
            intent_json,
            center_id: centers[center].0.clone(),
            tender_reference: format!("HIST-{}-{n:06}", CENTERS[center].0.to_uppercase()),
            tender_name: format!("合成历史项目 {n}"),
            mode,
            evaluation_start: created_at + 2 * DAY,
            created_at,
            region: CENTERS[center].1.to_owned(),
            industry: crate::auth::jurisdiction::INDUSTRIES
                [dice.below(crate::auth::jurisdiction::INDUSTRIES.len() as u32)? as usize]
                .0
                .to_owned(),
            category: match dice.below(20)? {
                0..=11 => ProjectCategory::Works,
                12..=16 => ProjectCategory::Goods,
                _ => ProjectCategory::Services,
            },
            government_invested: dice.chance(550)?,
            value_band: match dice.below(4)? {
                0 => ValueBand::Under4m,
                1 => ValueBand::From4mTo10m,
                2 => ValueBand::From10mTo100m,
                _ => ValueBand::From100m,
            },
            strata: Vec::new(),
            candidates: Vec::new(),
            invitations: Vec::new(),
            selections: Vec::new(),
            session: None,
        };
        let sealed_members = if created_at >= now - 90 * DAY {
            let ids: Vec<&str> = eligible.iter().map(|e| pool[*e].id.as_str()).collect();
            let plain = serde_json::to_vec(&ids).map_err(|_| HistoryError::Encoding)?;
            deps.keys
                .seal(&deps.rng, &members_context(&draw_id, 0), &plain)
                .map_err(|_| HistoryError::Sealing)?
        } else {
            Vec::new()
        };
        draw.strata.push(SyntheticStratum {
            stratum: 0,
            prefixes: serde_json::to_string(&[&groups[group].specialty])
                .map_err(|_| HistoryError::Encoding)?,
            k: plan.seats as i32,
            m: plan.reserves as i32,
            eligible_count: eligible.len() as i64,
            sealed_members,
        });
        // Seats: the first `seats` are invited; each vacancy goes to the next reserve.
        let mut next = plan.seats as usize;
        let mut invited: Vec<(usize, usize)> = (0..plan.seats as usize).map(|r| (r, r)).collect();
        let mut sat: Vec<(usize, usize)> = Vec::new(); // (rank, pool index)
        let mut outcomes: BTreeMap<usize, (CandidateState, Option<VacancyReason>)> =
            BTreeMap::new();
        while let Some((rank, _)) = invited.pop() {
            let expert = order[rank];
            let [decline, silent, recuse, leave] = if planted.is_some() && expert == decliner {
                [600, 20, 20, 10]
            } else {
                BASE_ODDS
            };
            let roll = dice.below(1000)?;
            let reason = if roll < decline {
                Some(VacancyReason::Declined)
            } else if roll < decline + silent {
                Some(VacancyReason::NoAnswer)
            } else if roll < decline + silent + recuse {
                Some(VacancyReason::Recused)
            } else if roll < decline + silent + recuse + leave {
                Some(VacancyReason::Withdrew)
            } else {
                None
            };
            let state = match reason {
                None => {
                    sat.push((rank, expert));
                    CandidateState::Confirmed
                }
                Some(_) => {
                    if next < order.len() {
                        invited.push((next, next));
                        next += 1;
                    }
                    CandidateState::Replaced
                }
            };
            outcomes.insert(rank, (state, reason));
            let token = deps.rng.bytes::<32>()?.to_vec();
            draw.invitations.push(SyntheticInvitation {
                id: dice.id()?,
                token: token.clone(),
                expert_tag: tags[expert].clone(),
                state: match reason {
                    Some(VacancyReason::Declined) => InvitationState::Declined,
                    Some(VacancyReason::NoAnswer) => InvitationState::Expired,
                    _ => InvitationState::Accepted,
                },
                code_index: deps.rng.bytes::<32>()?.to_vec(),
                answered_at: (reason != Some(VacancyReason::NoAnswer))
                    .then_some(created_at + 4 * 3_600_000),
            });
            draw.selections.push(pool[expert].id.clone());
            draw.candidates.push(candidate(
                deps,
                &draw_id,
                rank,
                token,
                &pool[expert].id,
                state,
                reason,
                created_at,
            )?);
        }
        for (rank, expert) in order.iter().enumerate() {
            if outcomes.contains_key(&rank) {
                continue;
            }
            let token = deps.rng.bytes::<32>()?.to_vec();
            draw.candidates.push(candidate(
                deps,
                &draw_id,
                rank,
                token,
                &pool[*expert].id,
                CandidateState::Reserve,
                None,
                created_at,
            )?);
        }
        if mode != EvaluationMode::OnSite && sat.len() >= 3 {
            sat.sort_unstable();
            // Two members copy each other's sheets once, past the middle of the history.
            let copying = sat.len() >= 5
                && n >= total / 2
                && planted
                    .as_ref()
                    .is_some_and(|truth| truth.copying_committee.is_none());
            if copying && let Some(truth) = planted.as_mut() {
                truth.copying_committee = Some(draw_id.clone());
            }
            let session = score_session(
                &dice,
                &draw,
                &sat,
                &companies,
                &criteria,
                &criteria_json,
                planted.as_mut(),
                favourer,
                &favoured,
                copying,
            )?;
            summary.sessions += 1;
            summary.sheets += session.sheets.len() as u64;
            draw.session = Some(session);
        }
        summary.draws += 1;
        summary.strata += draw.strata.len() as u64;
        summary.invitations += draw.invitations.len() as u64;
        batch.push(draw);
        if batch.len() >= 500 {
            flush(deps, &mut batch).await?;
        }
    }
    flush(deps, &mut batch).await?;
    summary.planted = planted;
    Ok(summary)
}

/// The filter and intent the draw views read, in their real shapes, with zeros where a real
/// draw has hashes: the console shows a synthetic draw like any other, and nothing verifies.
fn draw_texts(
    draw_id: &str,
    specialty: &str,
    plan: &HistoryPlan,
    mode: EvaluationMode,
    evaluation_start: i64,
    eligible: usize,
) -> (String, String) {
    let zeros = "0".repeat(64);
    let filter = serde_json::json!({
        "version": crate::draw::filter::FILTER_VERSION,
        "salt": zeros,
        "evaluation_start": evaluation_start,
        "evaluation_minutes": 240,
        "mode": mode.as_str(),
        "strata": [{"prefixes": [specialty], "k": plan.seats, "m": plan.reserves}],
        "avoid_organisations": [],
        "exclude_tokens": [],
        "regions_exclude": [],
        "regions_require": [],
        "rules": {"age_limit_years": 70, "avoidance_years": 3, "frequency_cap": 0, "frequency_window_days": 30},
    });
    let intent = serde_json::json!({
        "algorithm": "synthetic-history",
        "draw_id": draw_id,
        "pool_snapshot": "synthetic",
        "filter_sha256": zeros,
        "min_multiple": 1,
        "secret_commitment": zeros,
        "strata": [{
            "prefixes": [specialty], "k": plan.seats, "m": plan.reserves,
            "eligible_count": eligible, "eligible_root": zeros,
        }],
    });
    (filter.to_string(), intent.to_string())
}

#[allow(clippy::too_many_arguments)]
fn candidate(
    deps: &Deps,
    draw_id: &str,
    rank: usize,
    token: Vec<u8>,
    expert_id: &str,
    state: CandidateState,
    reason: Option<VacancyReason>,
    created_at: i64,
) -> Result<SyntheticCandidate, HistoryError> {
    let sealed_expert = deps
        .keys
        .seal(
            &deps.rng,
            &candidate_context(draw_id, &hex::encode(&token)),
            expert_id.as_bytes(),
        )
        .map_err(|_| HistoryError::Sealing)?;
    let seated = state != CandidateState::Reserve;
    Ok(SyntheticCandidate {
        stratum: 0,
        rank: rank as i32,
        token,
        sealed_expert,
        state,
        replaced_reason: reason,
        seated_at: seated.then_some(created_at + 3_600_000),
        replaced_at: reason.map(|_| created_at + 6 * 3_600_000),
    })
}

/// The session of a remote evaluation: 3 to 5 bidders, each member's sheet per bidder. Each bid
/// has a quality; a member scores it with their own noise. The favouring expert adds points to
/// the favoured bidder, who bids wherever that expert's specialty is evaluated remotely.
#[allow(clippy::too_many_arguments)]
fn score_session(
    dice: &Dice<'_>,
    draw: &SyntheticDraw,
    sat: &[(usize, usize)],
    companies: &[String],
    criteria: &[Criterion],
    criteria_json: &str,
    planted: Option<&mut Planted>,
    favourer: usize,
    favoured: &str,
    copying: bool,
) -> Result<SyntheticSession, HistoryError> {
    let bidder_count = 3 + dice.below(3)? as usize;
    let mut codes: Vec<String> = dice
        .sample(companies.len(), bidder_count)?
        .into_iter()
        .map(|i| companies[i].clone())
        .collect();
    let favouring = planted.is_some() && sat.iter().any(|(_, e)| *e == favourer);
    if favouring && !codes.iter().any(|c| c == favoured) {
        codes[0] = favoured.to_owned();
    }
    if let Some(truth) = planted
        && favouring
    {
        truth.favouring_sessions += 1;
    }
    let labels: Vec<String> = (0..codes.len())
        .map(|i| format!("投标人{}", char::from(b'A' + i as u8)))
        .collect();
    let quality: Vec<i64> = (0..codes.len())
        .map(|_| dice.below(31).map(|q| 60 + i64::from(q)))
        .collect::<Result<_, _>>()?;
    let mut sheets: Vec<SyntheticSheet> = Vec::new();
    let mut seats = Vec::new();
    for (seat_index, (rank, expert)) in sat.iter().enumerate() {
        let seat = seat_index as i32 + 1;
        let token = draw
            .candidates
            .iter()
            .find(|c| c.rank == *rank as i32)
            .map(|c| c.token.clone())
            .unwrap_or_default();
        seats.push((seat, token));
        let leniency = dice.noise(100)?;
        if copying && seat == 2 {
            // The second member hands in copies of the first's sheets.
            let copies: Vec<SyntheticSheet> = sheets
                .iter()
                .filter(|sheet| sheet.seat == 1)
                .map(|sheet| SyntheticSheet {
                    seat,
                    bidder: sheet.bidder.clone(),
                    sheet_json: sheet.sheet_json.clone(),
                    total_centi: sheet.total_centi,
                })
                .collect();
            sheets.extend(copies);
            continue;
        }
        for (b, label) in labels.iter().enumerate() {
            let mut scores = BTreeMap::new();
            let mut total = 0;
            for criterion in criteria {
                let max = i64::from(criterion.max_points) * 100;
                let mut value = max * quality[b] / 100 + leniency + dice.noise(max / 12)?;
                if favouring && *expert == favourer && codes[b] == favoured {
                    value += max / 8;
                }
                let value = value.clamp(0, max) / 50 * 50; // half points, as sheets are filled
                total += value;
                scores.insert(criterion.name.clone(), value);
            }
            let sheet = ScoreSheet {
                bidder: label.clone(),
                scores_centi: scores,
                total_centi: total,
                comment: None,
                evaluated_price_centi: None,
            };
            sheets.push(SyntheticSheet {
                seat,
                bidder: label.clone(),
                sheet_json: serde_json::to_string(&sheet).map_err(|_| HistoryError::Encoding)?,
                total_centi: total,
            });
        }
    }
    Ok(SyntheticSession {
        id: dice.id()?,
        mode: if draw.mode == EvaluationMode::CrossSite {
            "cross_site"
        } else {
            "distributed"
        },
        bidders_json: serde_json::to_string(&labels).map_err(|_| HistoryError::Encoding)?,
        criteria_json: criteria_json.to_owned(),
        deviation_percent: 20,
        closed_at: draw.evaluation_start + 4 * 3_600_000,
        seats,
        sheets,
        bidders: labels.into_iter().zip(codes).collect(),
    })
}

async fn flush(deps: &Deps, batch: &mut Vec<SyntheticDraw>) -> Result<(), HistoryError> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut tx = deps.store.write().await?;
    tx.insert_synthetic_draws(batch).await?;
    tx.commit().await?;
    batch.clear();
    Ok(())
}

/// The history's centers: (account id, username), made once (disabled, no usable password).
async fn ensure_centers(deps: &Deps) -> Result<Vec<(String, String)>, HistoryError> {
    let mut out = Vec::new();
    for (suffix, region) in CENTERS {
        let username = format!("history-center-{suffix}");
        let mut tx = deps.store.write().await?;
        if let Some(account) = tx.account_by_username(&username).await? {
            tx.rollback().await?;
            out.push((account.id, username));
            continue;
        }
        let id = uuid::Uuid::now_v7().to_string();
        let hash = crate::auth::password::unusable_hash(&deps.rng)
            .map_err(|_| HistoryError::Randomness)?;
        tx.insert_account(&NewAccount {
            id: &id,
            username: &username,
            role: crate::auth::Role::Center,
            password_hash: &hash,
            totp_sealed: None,
            center_name: Some(&format!("合成历史交易中心（{suffix}）")),
            region_code: Some(region),
            display_name: None,
            created_at: deps.clock.now_millis(),
        })
        .await?;
        tx.set_account_disabled(&username, true).await?;
        tx.commit().await?;
        out.push((id, username));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_synthetic_draws_filter_and_intent_read_as_real_ones() {
        let (filter, intent) = draw_texts(
            "0192a000-0000-7000-8000-000000000000",
            "A0301",
            &HistoryPlan::default(),
            EvaluationMode::Distributed,
            1_800_000_000_000,
            40,
        );
        let filter: crate::draw::filter::DrawFilter = serde_json::from_str(&filter).unwrap();
        assert_eq!(filter.strata[0].k, 5);
        let intent: crate::draw::DrawIntent = serde_json::from_str(&intent).unwrap();
        assert_eq!(intent.strata.len(), 1);
    }

    #[test]
    fn a_sample_is_distinct_and_within_bounds() {
        let rng = Rng::danger_deterministic(b"synthetic history sample");
        let dice = Dice(&rng);
        for _ in 0..50 {
            let picked = dice.sample(20, 8).unwrap();
            let mut sorted = picked.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), 8);
            assert!(picked.iter().all(|p| *p < 20));
        }
        assert_eq!(dice.sample(3, 8).unwrap().len(), 3);
    }

    #[test]
    fn noise_is_centred_and_bounded() {
        let rng = Rng::danger_deterministic(b"synthetic history noise");
        let dice = Dice(&rng);
        let values: Vec<i64> = (0..3000).map(|_| dice.noise(100).unwrap()).collect();
        assert!(values.iter().all(|v| v.abs() <= 300));
        let mean = values.iter().sum::<i64>() as f64 / values.len() as f64;
        assert!(mean.abs() < 10.0, "{mean}");
    }
}
