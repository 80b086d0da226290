//! Leaving the pool on the rules (退出): a periodic sweep on the injected clock retires an expert
//! whose term ended or who reached the age limit, removes one whose credit score fell below the
//! removal threshold, and makes an expert whose suspension has ended active again. Each change
//! is its own transaction with its audit entry (`expert.status_changed`, by the server, with the
//! reason code) and an SMS to the expert through the outbox. The sweep is idempotent: it only
//! finds experts whose standing disagrees with the rules, so running it more often than daily
//! changes nothing twice.

use std::sync::Arc;

use chrono::Datelike as _;

use super::service::{AdmissionError, AdmissionService, beijing_day};
use crate::audit::{self, Actor, AuditEntry};
use crate::notify::TemplateParams;
use crate::notify::outbox::{self, NewNotification};
use crate::pool::own_record::ExpertStatus;
use crate::store::admission::ExitCandidate;

/// The SMS template that tells an expert their standing changed.
pub(crate) const STATUS_TEMPLATE: &str = "expert-status-changed";
/// The rules the sweep applies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExitRules {
    /// The draw's age limit (`draw.age_limit_years`): an expert who reaches it this year
    /// retires, as a draw already excludes them.
    pub(crate) age_limit_years: i32,
    /// A credit score below this removes the expert (`session.credit_remove_below`).
    pub(crate) removal_credit_threshold: i32,
}

/// Why the sweep changes an expert's standing, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitReason {
    LowCredit,
    AgeLimit,
    TermEnded,
    SuspensionEnded,
}

impl ExitReason {
    pub(crate) const fn code(self) -> &'static str {
        match self {
            Self::LowCredit => "low_credit",
            Self::AgeLimit => "age_limit",
            Self::TermEnded => "term_ended",
            Self::SuspensionEnded => "suspension_ended",
        }
    }

    pub(crate) const fn status(self) -> ExpertStatus {
        match self {
            Self::LowCredit => ExpertStatus::Removed,
            Self::AgeLimit | Self::TermEnded => ExpertStatus::Retired,
            Self::SuspensionEnded => ExpertStatus::Active,
        }
    }

    /// What the SMS says, in the expert's language.
    const fn chinese(self) -> &'static str {
        match self {
            Self::LowCredit => "信用分低于专家库规定的清退分数线，已退出专家库",
            Self::AgeLimit => "已达到评标专家年龄上限，已退出专家库",
            Self::TermEnded => "聘期已届满且未续聘，已退出专家库",
            Self::SuspensionEnded => "暂停期已结束，已恢复可抽取状态",
        }
    }
}

impl ExitRules {
    /// Why the rules change this expert's standing on `today`, if they do (pure).
    pub(crate) fn reason(
        &self,
        candidate: &ExitCandidate,
        today: chrono::NaiveDate,
        now_millis: i64,
    ) -> Option<ExitReason> {
        let leaving = matches!(
            candidate.status,
            ExpertStatus::Active | ExpertStatus::Suspended
        );
        if !leaving {
            return None;
        }
        if candidate.credit_score < self.removal_credit_threshold {
            return Some(ExitReason::LowCredit);
        }
        if today.year() - candidate.birth_year >= self.age_limit_years {
            return Some(ExitReason::AgeLimit);
        }
        if candidate
            .term_end
            .as_deref()
            .is_some_and(|end| end < today.to_string().as_str())
        {
            return Some(ExitReason::TermEnded);
        }
        let lapsed = candidate.status == ExpertStatus::Suspended
            && candidate
                .suspended_until
                .is_some_and(|until| until <= now_millis);
        lapsed.then_some(ExitReason::SuspensionEnded)
    }
}

impl AdmissionService {
    /// One sweep: every expert whose standing the rules change, each in its own transaction.
    /// Returns how many changed.
    pub(crate) async fn apply_exit_rules(&self) -> Result<usize, AdmissionError> {
        let now = self.clock().now_millis();
        let today = beijing_day(now);
        let rules = self.exit_rules();
        let mut tx = self.store().read().await?;
        let candidates = tx
            .exit_candidates(
                &today.to_string(),
                today.year() - rules.age_limit_years,
                rules.removal_credit_threshold,
                now,
            )
            .await?;
        tx.rollback().await?;
        let mut changed = 0;
        for candidate in candidates {
            if let Some(reason) = rules.reason(&candidate, today, now) {
                self.apply_exit(&candidate, reason, now).await?;
                changed += 1;
            }
        }
        if changed > 0 {
            tracing::info!(changed, "pool rules applied");
        }
        Ok(changed)
    }

    async fn apply_exit(
        &self,
        candidate: &ExitCandidate,
        reason: ExitReason,
        now: i64,
    ) -> Result<(), AdmissionError> {
        let mut tx = self.store().write().await?;
        // Changed only if the standing is still the one the sweep read.
        if !tx
            .move_expert_status(&candidate.id, candidate.status, reason.status(), now)
            .await?
        {
            return Ok(());
        }
        let entry = AuditEntry::new("expert.status_changed", now, Actor::System)
            .data(
                "expert",
                self.pool().pseudonyms(std::slice::from_ref(&candidate.id)),
            )
            .data("from", candidate.status.as_str())
            .data("status", reason.status().as_str())
            .data("reason_code", reason.code());
        audit::append(&mut tx, &entry).await?;
        outbox::enqueue(
            &mut tx,
            self.keys(),
            self.rng(),
            now,
            &NewNotification {
                expert_id: candidate.id.clone(),
                template: STATUS_TEMPLATE,
                params: TemplateParams::new()
                    .with("status", reason.status().as_str())
                    .with("reason", reason.code())
                    .with("text", reason.chinese())
                    .with("date", beijing_day(now).to_string()),
                subject_kind: "expert_status",
                subject_id: candidate.id.clone(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs [`Self::apply_exit_rules`] every `interval` until `stop` turns true.
    pub(crate) async fn run_exit_rules(
        self: Arc<Self>,
        interval: std::time::Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        crate::tasks::every(
            interval,
            stop,
            "applying the pool's exit rules",
            move || {
                let this = self.clone();
                async move { this.apply_exit_rules().await.map(drop) }
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn candidate(status: ExpertStatus) -> ExitCandidate {
        ExitCandidate {
            id: "e".into(),
            status,
            suspended_until: None,
            term_end: Some("2029-12-05".into()),
            birth_year: 1970,
            credit_score: 100,
        }
    }

    const RULES: ExitRules = ExitRules {
        age_limit_years: 70,
        removal_credit_threshold: 20,
    };

    #[test]
    fn the_rules_retire_remove_or_restore_in_their_order_of_precedence() {
        let today = NaiveDate::from_ymd_opt(2029, 12, 6).unwrap();
        let now = 0;
        let mut expert = candidate(ExpertStatus::Active);
        assert_eq!(
            RULES.reason(&expert, today, now),
            Some(ExitReason::TermEnded)
        );
        let on_last_day = NaiveDate::from_ymd_opt(2029, 12, 5).unwrap();
        assert_eq!(RULES.reason(&expert, on_last_day, now), None);
        expert.term_end = None;
        assert_eq!(RULES.reason(&expert, today, now), None, "grandfathered");
        expert.birth_year = 1959;
        assert_eq!(
            RULES.reason(&expert, today, now),
            Some(ExitReason::AgeLimit)
        );
        expert.credit_score = 20;
        assert_eq!(
            RULES.reason(&expert, today, now),
            Some(ExitReason::AgeLimit),
            "at the threshold: still in"
        );
        expert.credit_score = 19;
        assert_eq!(
            RULES.reason(&expert, today, now),
            Some(ExitReason::LowCredit)
        );
        assert_eq!(ExitReason::LowCredit.status(), ExpertStatus::Removed);

        let mut suspended = candidate(ExpertStatus::Suspended);
        suspended.term_end = None;
        suspended.suspended_until = Some(1_000);
        assert_eq!(RULES.reason(&suspended, today, 999), None);
        assert_eq!(
            RULES.reason(&suspended, today, 1_000),
            Some(ExitReason::SuspensionEnded)
        );
        for gone in [ExpertStatus::Retired, ExpertStatus::Removed] {
            let mut expert = candidate(gone);
            expert.credit_score = 0;
            assert_eq!(RULES.reason(&expert, today, now), None);
        }
    }
}
