//! The credit file (信用档案, issue 22 §2) and credit repair (信用修复). The file is read from
//! the tables that record the facts — ratings and their appeals, penalties, the invitations an
//! expert declined, let lapse or left after accepting, repair requests — and never copied into
//! a ledger of its own, so it cannot disagree with them. The score after each event is
//! replayed from the ratings by the same rule that writes `experts.credit_score`. Nothing in
//! the file names a tender, a draw, a rater or another expert: ratings are per seat, and the
//! invitations are found by the expert's tag, their draws left out.
//!
//! A repair takes one negative rating out of the score from the moment it is granted; the
//! rating stays on the file, marked repaired.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::service::{ConductError, ConductService};
use super::{CreditPolicy, LOW_CREDIT, UNJUDGED_SCORE, credit_score};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::clock::{Millis, to_rfc3339};
use crate::store::conduct::ConductRow;
use crate::store::credit::CreditRepairRow;
use crate::store::{StoreError, Tx};
use crate::text::{BoundedText, Lines, TextProblem};

const DAY_MILLIS: i64 = 86_400_000;

/// The prefix of a rating's entry id on the file, the one kind of item repair applies to.
const RATING_ITEM: &str = "rating:";

/// One event of the credit file. `entry_id` is `<kind>:<id>`; a rating's is what a repair
/// request names as its `item`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CreditEvent {
    pub(crate) entry_id: String,
    /// `rating`, `appeal_filed`, `appeal_decided`, `penalty`, `decline`, `no_show`,
    /// `repair_requested` or `repair_decided`.
    pub(crate) kind: &'static str,
    pub(crate) at: String,
    /// Ratings: 0–100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) points: Option<i64>,
    /// Ratings: host, center or supervisor (never who).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rater_role: Option<String>,
    /// Ratings: withdrawn on appeal.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) withdrawn: bool,
    /// Ratings: repaired (no longer counting since the repair was granted).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) repaired: bool,
    /// Appeals and repairs: the rating's entry id they concern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) item: Option<String>,
    /// Decisions: `upheld` or `granted` (appeals), `granted` or `refused` (repairs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) outcome: Option<String>,
    /// Penalties: the reason code (e.g. `low_credit`) and the last day in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) until: Option<String>,
    /// No-shows: `lapsed` (no answer by the deadline) or `withdrew` (left after accepting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cause: Option<&'static str>,
    /// Whether the event counts against the expert.
    pub(crate) negative: bool,
    /// Ratings that may be repaired: from when (absent once repaired or withdrawn).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) repairable_from: Option<String>,
    /// The credit score just after the event, as the record would have held it (100 while
    /// too few ratings count).
    pub(crate) score_after: i64,
}

/// A repair request as its expert and the supervisors deciding it see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CreditRepairView {
    pub(crate) repair_id: String,
    /// The rating's entry id on the credit file.
    pub(crate) item: String,
    pub(crate) statement: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) evidence_ref: Option<String>,
    /// pending, granted or refused.
    pub(crate) status: String,
    pub(crate) requested_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decision_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decided_at: Option<String>,
}

/// A repair request for a supervisor: the expert by id and pseudonym, the rating it concerns.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CreditRepairForReview {
    #[serde(flatten)]
    pub(crate) repair: CreditRepairView,
    pub(crate) expert_id: String,
    /// The expert's stable pseudonym, as audit entries name them.
    pub(crate) expert: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decided_by: Option<String>,
    pub(crate) points: i64,
    pub(crate) rater_role: String,
    pub(crate) rated_at: String,
}

/// The rules the file's scores and repairs follow, so a reader can recompute them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CreditRules {
    pub(crate) window: i64,
    pub(crate) minimum_ratings: usize,
    pub(crate) suspend_below: i64,
    pub(crate) repair_below: i64,
    pub(crate) repair_wait_days: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CreditFile {
    /// The score as the record holds it now.
    pub(crate) score: i64,
    /// Whether enough ratings count for the score to judge (otherwise 100, full credit).
    pub(crate) judged: bool,
    pub(crate) rules: CreditRules,
    /// Oldest first.
    pub(crate) events: Vec<CreditEvent>,
    /// Oldest first.
    pub(crate) repairs: Vec<CreditRepairView>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreditRepairBody {
    /// The entry id of a negative rating on the caller's credit file (`rating:<id>`).
    pub(crate) item: String,
    /// Why the item should stop counting (the rectification made), 10–1,000 characters.
    pub(crate) statement: String,
    /// Where the evidence is (a file number, a letter's reference), up to 200 characters.
    pub(crate) evidence_ref: Option<String>,
}

/// How a supervisor decides a repair request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RepairOutcome {
    Granted,
    Refused,
}

impl RepairOutcome {
    fn as_str(self) -> &'static str {
        match self {
            RepairOutcome::Granted => "granted",
            RepairOutcome::Refused => "refused",
        }
    }
}

/// A rating as the replay of the score reads it: when it began and stopped counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CountedRating {
    pub(crate) points: i64,
    pub(crate) rated_at: Millis,
    /// When an appeal withdrew it or a repair took it out, whichever came first.
    pub(crate) removed_at: Option<Millis>,
}

/// The credit score at `at` by the rule that writes the record (the mean of the newest
/// `window` ratings counting then, once `minimum_ratings` count), 100 while too few do.
pub(crate) fn score_at(ratings: &[CountedRating], policy: CreditPolicy, at: Millis) -> i64 {
    let mut counting: Vec<&CountedRating> = ratings
        .iter()
        .filter(|r| r.rated_at <= at && r.removed_at.is_none_or(|removed| removed > at))
        .collect();
    counting.sort_by_key(|r| std::cmp::Reverse(r.rated_at));
    let window = usize::try_from(policy.window).unwrap_or(usize::MAX);
    let recent: Vec<i64> = counting.iter().take(window).map(|r| r.points).collect();
    credit_score(&recent, policy.minimum_ratings).unwrap_or(UNJUDGED_SCORE)
}

/// The order of events recorded in the same millisecond: a rating before the penalty it
/// caused, a request before its decision.
fn kind_rank(kind: &str) -> u8 {
    match kind {
        "rating" => 0,
        "appeal_filed" => 1,
        "appeal_decided" => 2,
        "repair_requested" => 3,
        "repair_decided" => 4,
        "penalty" => 5,
        "decline" => 6,
        _ => 7,
    }
}

fn event(entry_id: String, kind: &'static str, at: Millis) -> (Millis, CreditEvent) {
    (
        at,
        CreditEvent {
            entry_id,
            kind,
            at: to_rfc3339(at),
            points: None,
            rater_role: None,
            withdrawn: false,
            repaired: false,
            item: None,
            outcome: None,
            reason_code: None,
            until: None,
            cause: None,
            negative: false,
            repairable_from: None,
            score_after: UNJUDGED_SCORE,
        },
    )
}

fn invalid(field: &'static str, problem: impl Into<String>) -> ConductError {
    ConductError::Invalid {
        field,
        problem: problem.into(),
    }
}

fn repair_view(row: &CreditRepairRow) -> CreditRepairView {
    CreditRepairView {
        repair_id: row.id.clone(),
        item: row.item.clone(),
        statement: row.statement.clone(),
        evidence_ref: row.evidence_ref.clone(),
        status: row.status.clone(),
        requested_at: to_rfc3339(row.requested_at),
        decision_reason: row.decision_reason.clone(),
        decided_at: row.decided_at.map(to_rfc3339),
    }
}

impl ConductService {
    /// The signed-in expert's own credit file.
    pub(crate) async fn own_credit_file(
        &self,
        who: &Principal,
    ) -> Result<CreditFile, ConductError> {
        let mut tx = self.store.read().await?;
        let expert_id = tx
            .expert_of_account(&who.account_id)
            .await?
            .ok_or(ConductError::NotAnExpert)?;
        let file = self.credit_file(&mut tx, &expert_id).await?;
        tx.rollback().await?;
        Ok(file)
    }

    /// An expert's credit file for an admin, or a supervisor whose jurisdiction covers the
    /// expert (anyone else: no such expert).
    pub(crate) async fn expert_credit_file(
        &self,
        who: &Principal,
        expert_id: &str,
    ) -> Result<CreditFile, ConductError> {
        let mut tx = self.store.read().await?;
        let scope = crate::auth::jurisdiction::scope_of(&mut tx, who).await?;
        if tx.expert(expert_id).await?.is_none() || !scope.covers_expert(&mut tx, expert_id).await?
        {
            return Err(ConductError::NotFound("no such expert"));
        }
        let file = self.credit_file(&mut tx, expert_id).await?;
        tx.rollback().await?;
        Ok(file)
    }

    async fn credit_file(&self, tx: &mut Tx, expert_id: &str) -> Result<CreditFile, ConductError> {
        let policy = self.policy;
        let repair = self.repair;
        let ratings = tx.conduct_of_expert(expert_id).await?;
        let repaired: HashMap<String, i64> =
            tx.repaired_conduct(expert_id).await?.into_iter().collect();
        let appeals = tx.appeals(Some(expert_id)).await?;
        let penalties = tx.penalties_of_expert(expert_id).await?;
        let tag = crate::notify::invitations::expert_tag(&self.keys, expert_id);
        let attendance = tx.attendance_events(&tag).await?;
        let repairs = tx.credit_repairs(Some(expert_id), None).await?;
        let score = tx
            .expert(expert_id)
            .await?
            .map_or(UNJUDGED_SCORE, |expert| i64::from(expert.credit_score));
        let judged = super::current_score(tx, policy, expert_id).await?.is_some();

        let counted: Vec<CountedRating> = ratings
            .iter()
            .map(|row| CountedRating {
                points: row.points,
                rated_at: row.rated_at,
                removed_at: [row.withdrawn_at, repaired.get(&row.id).copied()]
                    .into_iter()
                    .flatten()
                    .min(),
            })
            .collect();
        let mut events = Vec::new();
        for row in &ratings {
            let (at, mut e) = event(format!("{RATING_ITEM}{}", row.id), "rating", row.rated_at);
            e.points = Some(row.points);
            e.rater_role = row.rater_role.clone();
            e.withdrawn = row.withdrawn_at.is_some();
            e.repaired = repaired.contains_key(&row.id);
            e.negative = row.points < repair.below;
            if e.negative && !e.withdrawn && !e.repaired {
                e.repairable_from = Some(to_rfc3339(row.rated_at + repair.wait_days * DAY_MILLIS));
            }
            events.push((at, e));
        }
        for appeal in &appeals {
            let item = format!("{RATING_ITEM}{}", appeal.conduct_id);
            let (at, mut filed) = event(
                format!("appeal:{}", appeal.id),
                "appeal_filed",
                appeal.filed_at,
            );
            filed.item = Some(item.clone());
            events.push((at, filed));
            if let (Some(decided_at), true) = (appeal.decided_at, appeal.status != "pending") {
                let (at, mut decided) = event(
                    format!("appeal_decision:{}", appeal.id),
                    "appeal_decided",
                    decided_at,
                );
                decided.item = Some(item);
                decided.outcome = Some(appeal.status.clone());
                events.push((at, decided));
            }
        }
        for penalty in &penalties {
            let (at, mut e) = event(
                format!("penalty:{}", penalty.id),
                "penalty",
                penalty.imposed_at,
            );
            e.reason_code = Some(penalty.reason_code.clone());
            e.until = penalty.until_at.map(to_rfc3339);
            e.negative = true;
            events.push((at, e));
        }
        for happened in &attendance {
            let (kind, cause) = match happened.what.as_str() {
                "declined" => ("decline", None),
                "expired" => ("no_show", Some("lapsed")),
                _ => ("no_show", Some("withdrew")),
            };
            let (at, mut e) = event(
                format!("{kind}:{}", self.opaque_entry(&happened.invitation_id)),
                kind,
                happened.happened_at,
            );
            e.cause = cause;
            e.negative = true;
            events.push((at, e));
        }
        for request in &repairs {
            let (at, mut asked) = event(
                format!("repair:{}", request.id),
                "repair_requested",
                request.requested_at,
            );
            asked.item = Some(request.item.clone());
            events.push((at, asked));
            if let (Some(decided_at), true) = (request.decided_at, request.status != "pending") {
                let (at, mut decided) = event(
                    format!("repair_decision:{}", request.id),
                    "repair_decided",
                    decided_at,
                );
                decided.item = Some(request.item.clone());
                decided.outcome = Some(request.status.clone());
                events.push((at, decided));
            }
        }
        events.sort_by(|(a_at, a), (b_at, b)| {
            (a_at, kind_rank(a.kind), &a.entry_id).cmp(&(b_at, kind_rank(b.kind), &b.entry_id))
        });
        let events = events
            .into_iter()
            .map(|(at, mut e)| {
                e.score_after = score_at(&counted, policy, at);
                e
            })
            .collect();
        Ok(CreditFile {
            score,
            judged,
            rules: CreditRules {
                window: policy.window,
                minimum_ratings: policy.minimum_ratings,
                suspend_below: policy.suspend_below,
                repair_below: repair.below,
                repair_wait_days: repair.wait_days,
            },
            events,
            repairs: repairs.iter().map(repair_view).collect(),
        })
    }

    /// An invitation's entry id on the file: stable, but not the invitation's id, which the
    /// database joins to its draw; an admin or supervisor reading the file learns no tender.
    fn opaque_entry(&self, invitation_id: &str) -> String {
        let mac = self
            .keys
            .token_mac(&[b"credit_entry\0", invitation_id.as_bytes()]);
        hex::encode(&mac[..16])
    }

    /// The expert asks that one negative rating of theirs stop counting: below the repair
    /// threshold, past the waiting period, neither withdrawn nor repaired, no appeal of it
    /// waiting, and no other request for it open.
    pub(crate) async fn request_repair(
        &self,
        who: &Principal,
        body: CreditRepairBody,
    ) -> Result<CreditRepairView, ConductError> {
        let statement = BoundedText::parse(&body.statement, Lines::Many, 10..=1000)
            .map_err(|problem| invalid("statement", problem))?;
        let evidence_ref = body
            .evidence_ref
            .as_deref()
            .filter(|reference| !reference.trim().is_empty())
            .map(|reference| {
                BoundedText::parse(reference, Lines::One, 1..=200).map_err(|problem| {
                    invalid(
                        "evidence_ref",
                        match problem {
                            TextProblem::Character(problem) => problem.to_owned(),
                            TextProblem::Length { .. } => {
                                "must be at most 200 characters".to_owned()
                            }
                        },
                    )
                })
            })
            .transpose()?;
        let rating_id = body
            .item
            .strip_prefix(RATING_ITEM)
            .filter(|id| uuid::Uuid::parse_str(id).is_ok())
            .ok_or_else(|| {
                invalid(
                    "item",
                    "must be a rating's entry id from your credit file (rating:…); only ratings can be repaired",
                )
            })?;
        let now = self.clock.now_millis();
        let repair = self.repair;
        let mut tx = self.store.write().await?;
        let expert_id = tx
            .expert_of_account(&who.account_id)
            .await?
            .ok_or(ConductError::NotAnExpert)?;
        let rating: ConductRow = tx
            .conduct_by_id(rating_id)
            .await?
            .filter(|row| row.expert_id == expert_id)
            .ok_or(ConductError::NotFound("no such item on your credit file"))?;
        if rating.points >= repair.below {
            return Err(invalid(
                "item",
                format!(
                    "only a rating below {} points can be repaired",
                    repair.below
                ),
            ));
        }
        if rating.withdrawn_at.is_some() {
            return Err(ConductError::Conflict(
                "the rating was withdrawn on appeal and no longer counts".into(),
            ));
        }
        if tx
            .repaired_conduct(&expert_id)
            .await?
            .iter()
            .any(|(id, _)| id == rating_id)
        {
            return Err(ConductError::Conflict(
                "the item has already been repaired".into(),
            ));
        }
        let repairable_from = rating.rated_at + repair.wait_days * DAY_MILLIS;
        if now < repairable_from {
            return Err(ConductError::Conflict(format!(
                "this item can be repaired from {}",
                to_rfc3339(repairable_from)
            )));
        }
        if tx
            .appeals(Some(&expert_id))
            .await?
            .iter()
            .any(|appeal| appeal.conduct_id == rating_id && appeal.status == "pending")
        {
            return Err(ConductError::Conflict(
                "an appeal of this rating is waiting for a decision; ask for repair after it"
                    .into(),
            ));
        }
        let row = CreditRepairRow {
            id: uuid::Uuid::now_v7().to_string(),
            expert_id: expert_id.clone(),
            item: body.item.clone(),
            statement: statement.into_string(),
            evidence_ref: evidence_ref.map(BoundedText::into_string),
            status: "pending".into(),
            requested_by: who.account_id.clone(),
            requested_at: now,
            decided_by: None,
            decision_reason: None,
            decided_at: None,
        };
        tx.insert_credit_repair(&row).await.map_err(|e| match e {
            StoreError::Conflict(_) => ConductError::Conflict(
                "a repair of this item is already waiting for a decision".into(),
            ),
            other => other.into(),
        })?;
        // The statement may name people; the log keeps its digest, the request its text.
        let suite = self.keys.suite();
        audit::append(
            &mut tx,
            &AuditEntry::new("expert.credit_repair_requested", now, Actor::of(who))
                .reference("credit_repair", &row.id)
                .reference("rating", rating_id)
                .data("expert", self.keys.expert_pseudonym(&expert_id))
                .data(
                    &suite.digest_field("statement"),
                    suite.hex_hash(row.statement.as_bytes()),
                ),
        )
        .await?;
        tx.commit().await?;
        Ok(repair_view(&row))
    }

    /// Repair requests of experts within the supervisor's jurisdiction, pending first.
    pub(crate) async fn repairs_for_review(
        &self,
        who: &Principal,
    ) -> Result<Vec<CreditRepairForReview>, ConductError> {
        let mut tx = self.store.read().await?;
        let scope = crate::auth::jurisdiction::scope_of(&mut tx, who).await?;
        let mut found = Vec::new();
        for row in tx.credit_repairs(None, None).await? {
            if !scope.covers_expert(&mut tx, &row.expert_id).await? {
                continue;
            }
            let rating = self.repaired_rating(&mut tx, &row).await?;
            found.push(CreditRepairForReview {
                repair: repair_view(&row),
                expert: self.keys.expert_pseudonym(&row.expert_id),
                expert_id: row.expert_id.clone(),
                decided_by: row.decided_by.clone(),
                points: rating.points,
                rater_role: rating.rater_role.unwrap_or_default(),
                rated_at: to_rfc3339(rating.rated_at),
            });
        }
        tx.rollback().await?;
        found.sort_by_key(|r| r.repair.status != "pending");
        Ok(found)
    }

    async fn repaired_rating(
        &self,
        tx: &mut Tx,
        row: &CreditRepairRow,
    ) -> Result<ConductRow, ConductError> {
        let id = row
            .item
            .strip_prefix(RATING_ITEM)
            .ok_or_else(|| ConductError::Corrupt("a repair of an item that is no rating".into()))?;
        tx.conduct_by_id(id)
            .await?
            .ok_or_else(|| ConductError::Corrupt("a repair without its rating".into()))
    }

    /// A supervisor within the expert's jurisdiction grants or refuses a repair request with a
    /// reason. Nobody decides their own request, and a supervisor who decided an earlier
    /// request for the same item leaves the next to another. Granted, the rating leaves the
    /// score now, the record's score is rewritten and a low-credit suspension the score no
    /// longer supports ends, all in this transaction.
    pub(crate) async fn decide_repair(
        &self,
        who: &Principal,
        repair_id: &str,
        outcome: RepairOutcome,
        reason: &str,
    ) -> Result<CreditRepairView, ConductError> {
        let reason = BoundedText::parse(reason, Lines::Many, 10..=1000)
            .map_err(|problem| invalid("reason", problem))?;
        let now = self.clock.now_millis();
        let policy = self.policy;
        let mut tx = self.store.write().await?;
        let scope = crate::auth::jurisdiction::scope_of(&mut tx, who).await?;
        let row = match tx.credit_repair(repair_id).await? {
            Some(row) if scope.covers_expert(&mut tx, &row.expert_id).await? => row,
            _ => return Err(ConductError::NotFound("no such credit repair request")),
        };
        if row.status != "pending" {
            return Err(ConductError::Conflict(
                "the repair request has already been decided".into(),
            ));
        }
        if row.requested_by == who.account_id {
            return Err(ConductError::Conflict(
                "nobody decides their own repair request".into(),
            ));
        }
        let earlier = tx.credit_repairs(Some(&row.expert_id), None).await?;
        if earlier.iter().any(|other| {
            other.id != row.id
                && other.item == row.item
                && other.decided_by.as_deref() == Some(who.account_id.as_str())
        }) {
            return Err(ConductError::Conflict(
                "you decided an earlier repair request for this item; another supervisor decides this one"
                    .into(),
            ));
        }
        let rating = self.repaired_rating(&mut tx, &row).await?;
        if !tx
            .decide_credit_repair(
                &row.id,
                outcome.as_str(),
                &who.account_id,
                reason.as_str(),
                now,
            )
            .await?
        {
            return Err(ConductError::Conflict(
                "the repair request has already been decided".into(),
            ));
        }
        let mut lifted = false;
        let mut score = None;
        if outcome == RepairOutcome::Granted {
            tx.repair_conduct(&rating.id, now).await?;
            let current = super::current_score(&mut tx, policy, &row.expert_id).await?;
            super::record_score(&mut tx, &row.expert_id, current).await?;
            score = Some(current.unwrap_or(UNJUDGED_SCORE));
            let supported = current.is_some_and(|score| score < policy.suspend_below);
            if !supported
                && tx
                    .end_running_penalties(&row.expert_id, LOW_CREDIT, now)
                    .await?
                    > 0
            {
                tx.bump_pool_version().await?;
                lifted = true;
            }
        }
        let suite = self.keys.suite();
        let mut entry = AuditEntry::new("expert.credit_repair_decided", now, Actor::of(who))
            .reference("credit_repair", &row.id)
            .reference("rating", &rating.id)
            .data("expert", self.keys.expert_pseudonym(&row.expert_id))
            .data("outcome", outcome.as_str())
            .data(
                &suite.digest_field("reason"),
                suite.hex_hash(reason.as_str().as_bytes()),
            )
            .data("suspension_lifted", lifted);
        if let Some(score) = score {
            entry = entry.data("credit_score", score);
        }
        audit::append(&mut tx, &entry).await?;
        let decided = tx
            .credit_repair(&row.id)
            .await?
            .ok_or_else(|| ConductError::Corrupt("a decided repair request vanished".into()))?;
        tx.commit().await?;
        Ok(repair_view(&decided))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: CreditPolicy = CreditPolicy {
        window: 2,
        minimum_ratings: 2,
        suspend_below: 40,
        suspension_days: 180,
    };

    fn rating(points: i64, rated_at: Millis, removed_at: Option<Millis>) -> CountedRating {
        CountedRating {
            points,
            rated_at,
            removed_at,
        }
    }

    #[test]
    fn the_score_at_a_time_is_the_mean_of_the_newest_ratings_counting_then() {
        let ratings = [
            rating(90, 10, None),
            rating(30, 20, None),
            rating(60, 30, None),
        ];
        // Too few ratings: full credit.
        assert_eq!(score_at(&ratings, POLICY, 5), 100);
        assert_eq!(score_at(&ratings, POLICY, 10), 100);
        assert_eq!(score_at(&ratings, POLICY, 20), 60);
        // The window of two drops the oldest.
        assert_eq!(score_at(&ratings, POLICY, 30), 45);
    }

    #[test]
    fn a_rating_removed_by_appeal_or_repair_stops_counting_from_that_moment() {
        let ratings = [
            rating(90, 10, None),
            rating(0, 20, Some(50)),
            rating(60, 30, None),
        ];
        assert_eq!(score_at(&ratings, POLICY, 40), 30);
        // At the grant itself the rating no longer counts, and the older one is back in the
        // window.
        assert_eq!(score_at(&ratings, POLICY, 50), 75);
        assert_eq!(score_at(&ratings, POLICY, 49), 30);
    }

    #[test]
    fn events_of_one_moment_put_the_rating_before_its_penalty_and_requests_before_decisions() {
        assert!(kind_rank("rating") < kind_rank("penalty"));
        assert!(kind_rank("appeal_filed") < kind_rank("appeal_decided"));
        assert!(kind_rank("repair_requested") < kind_rank("repair_decided"));
        assert!(kind_rank("repair_decided") < kind_rank("penalty"));
    }
}
