//! Conduct ratings and the credit score they feed (issue 16 §6): ratings after an evaluation
//! from everyone the statute names — the host and supervisors of a session, the center and
//! supervisors of an on-site evaluation — the expert's view of their own ratings, and appeals a
//! supervisor decides. A rating names its seat, never the expert: the server opens the seat to
//! find whose credit it touches, and the conduct table keeps no link to the tender.

pub(crate) mod credit_file;
pub(crate) mod service;

use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, AuditEntry};
use crate::clock::{Millis, to_rfc3339};
use crate::crypto::KeyRing;
use crate::store::conduct::NewConduct;
use crate::store::{StoreError, Tx};

/// Conduct ratings, 1 (poor) to 5 (exemplary) each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Rating {
    pub(crate) punctuality: u8,
    pub(crate) diligence: u8,
    pub(crate) discipline: u8,
}

impl Rating {
    pub(crate) fn validate(&self) -> Result<(), (&'static str, String)> {
        for (field, value) in [
            ("punctuality", self.punctuality),
            ("diligence", self.diligence),
            ("discipline", self.discipline),
        ] {
            if !(1..=5).contains(&value) {
                return Err((field, "must be from 1 to 5".into()));
            }
        }
        Ok(())
    }

    /// The rating as 0–100: 1 everywhere is 0, 5 everywhere is 100.
    pub(crate) fn points(&self) -> i64 {
        let sum =
            i64::from(self.punctuality) + i64::from(self.diligence) + i64::from(self.discipline);
        (sum - 3) * 100 / 12
    }

    fn marks(&self) -> [i32; 3] {
        [
            i32::from(self.punctuality),
            i32::from(self.diligence),
            i32::from(self.discipline),
        ]
    }
}

/// An expert's credit score: the mean of their most recent ratings' points (0–100), or `None`
/// with fewer than `minimum` ratings (too few to judge anyone by).
pub(crate) fn credit_score(recent_points: &[i64], minimum: usize) -> Option<i64> {
    if recent_points.is_empty() || recent_points.len() < minimum.max(1) {
        return None;
    }
    Some(recent_points.iter().sum::<i64>() / recent_points.len() as i64)
}

/// In which capacity a rater rated: what the expert is shown instead of who.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RaterRole {
    /// The session's host: the trading center acting for the tenderer.
    Host,
    /// The center that asked for an on-site evaluation's draw, for the tenderer or agency.
    Center,
    Supervisor,
}

impl RaterRole {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RaterRole::Host => "host",
            RaterRole::Center => "center",
            RaterRole::Supervisor => "supervisor",
        }
    }
}

/// The credit rules (docs/SESSIONS.md, "Ratings"): the mean of the last `window` ratings that
/// count, once there are `minimum_ratings`; below `suspend_below` the expert is suspended from
/// draws for `suspension_days`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CreditPolicy {
    pub(crate) window: i64,
    pub(crate) minimum_ratings: usize,
    pub(crate) suspend_below: i64,
    pub(crate) suspension_days: i64,
}

/// Which ratings an expert may ask to have repaired (docs/POOL.md, "Credit repair"): those
/// below `below` points, once `wait_days` have passed since they were given.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RepairPolicy {
    pub(crate) below: i64,
    pub(crate) wait_days: i64,
}

impl Default for RepairPolicy {
    /// The settings' defaults (`session.credit_repair_below`, `credit_repair_wait_days`).
    fn default() -> Self {
        Self {
            below: 60,
            wait_days: 180,
        }
    }
}

/// The penalty reason a low credit score imposes.
pub(crate) const LOW_CREDIT: &str = "low_credit";

/// Records one rating of `expert_id` in the rater's transaction and applies the credit rules:
/// returns the new rating's id and whether it suspended the expert. One running suspension at
/// a time: further low ratings do not stack penalties.
pub(crate) async fn record(
    tx: &mut Tx,
    keys: &KeyRing,
    policy: CreditPolicy,
    expert_id: &str,
    rater: RaterRole,
    rating: Rating,
    now: Millis,
) -> Result<(String, bool), audit::AuditError> {
    let id = uuid::Uuid::now_v7().to_string();
    tx.insert_conduct(&NewConduct {
        id: &id,
        expert_id,
        points: rating.points(),
        rater_role: rater.as_str(),
        marks: rating.marks(),
        rated_at: now,
    })
    .await?;
    let suspended = apply_credit(tx, keys, policy, expert_id, now).await?;
    Ok((id, suspended))
}

/// The credit score as it now stands: suspends a new low scorer; returns whether it did.
async fn apply_credit(
    tx: &mut Tx,
    keys: &KeyRing,
    policy: CreditPolicy,
    expert_id: &str,
    now: Millis,
) -> Result<bool, audit::AuditError> {
    let score = current_score(tx, policy, expert_id).await?;
    record_score(tx, expert_id, score).await?;
    let Some(score) = score.filter(|score| *score < policy.suspend_below) else {
        return Ok(false);
    };
    if tx.has_running_penalty(expert_id, LOW_CREDIT, now).await? {
        return Ok(false);
    }
    let until = now + policy.suspension_days * 86_400_000;
    let penalty_id = uuid::Uuid::now_v7().to_string();
    tx.insert_penalty(&penalty_id, expert_id, LOW_CREDIT, now, Some(until))
        .await?;
    tx.bump_pool_version().await?;
    audit::append(
        tx,
        &AuditEntry::new("expert.penalty", now, Actor::System)
            .reference("penalty", &penalty_id)
            .data("expert", keys.expert_pseudonym(expert_id))
            .data("reason_code", LOW_CREDIT)
            .data("credit_score", score)
            .data("until", to_rfc3339(until)),
    )
    .await?;
    Ok(true)
}

/// What an expert's record holds before the ratings judge them: the column's default, full
/// credit, since too few ratings are no ground to mark anyone down.
pub(crate) const UNJUDGED_SCORE: i64 = 100;

/// Keeps the record's `credit_score` in step with the ratings, in the transaction that changed
/// them, so that an admin reading the record sees what the rules now say.
pub(crate) async fn record_score(
    tx: &mut Tx,
    expert_id: &str,
    score: Option<i64>,
) -> Result<(), StoreError> {
    tx.set_credit_score(expert_id, score.unwrap_or(UNJUDGED_SCORE))
        .await
}

/// The expert's credit score by the ratings that count now.
pub(crate) async fn current_score(
    tx: &mut Tx,
    policy: CreditPolicy,
    expert_id: &str,
) -> Result<Option<i64>, StoreError> {
    let recent = tx.recent_conduct(expert_id, policy.window).await?;
    Ok(credit_score(&recent, policy.minimum_ratings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(punctuality: u8, diligence: u8, discipline: u8) -> Rating {
        Rating {
            punctuality,
            diligence,
            discipline,
        }
    }

    #[test]
    fn a_rating_is_worth_0_to_100_points_rounded_down() {
        assert_eq!(rating(1, 1, 1).points(), 0);
        assert_eq!(rating(5, 5, 5).points(), 100);
        assert_eq!(rating(3, 3, 3).points(), 50);
        assert_eq!(rating(1, 1, 2).points(), 8); // 8.33
        assert_eq!(rating(5, 5, 4).points(), 91); // 91.67
        assert_eq!(rating(2, 3, 4).points(), 50);
        assert_eq!(rating(1, 5, 1).points(), 33); // 33.33
    }

    #[test]
    fn each_rating_is_from_1_to_5_and_the_wrong_one_is_named() {
        assert_eq!(rating(1, 5, 3).validate(), Ok(()));
        assert_eq!(
            rating(0, 3, 3).validate(),
            Err(("punctuality", "must be from 1 to 5".into()))
        );
        assert_eq!(rating(3, 6, 3).validate().unwrap_err().0, "diligence");
        assert_eq!(rating(3, 3, 255).validate().unwrap_err().0, "discipline");
    }

    #[test]
    fn the_credit_score_is_the_mean_once_there_are_enough_ratings() {
        assert_eq!(credit_score(&[], 3), None);
        assert_eq!(credit_score(&[100, 100], 3), None);
        assert_eq!(credit_score(&[100, 0, 50], 3), Some(50));
        assert_eq!(credit_score(&[40, 41, 41], 3), Some(40)); // 40.67, rounded down
        assert_eq!(credit_score(&[8, 8, 8, 8], 3), Some(8));
        // A minimum of 0 still needs one rating.
        assert_eq!(credit_score(&[], 0), None);
        assert_eq!(credit_score(&[70], 0), Some(70));
    }
}
