//! Renewing a term (续聘): the expert asks within `RENEWAL_WINDOW_DAYS` before their term's last
//! day; an admin approves it, giving a new term that starts the day after the old one ends, or
//! refuses it with a reason. One request waits at a time. Each step is an audit entry naming
//! the expert by pseudonym; the decision reaches the expert by SMS.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::service::{
    AdmissionError, AdmissionService, DEFAULT_TERM_YEARS, MAX_TERM_YEARS, beijing_day, term,
};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::clock::to_rfc3339;
use crate::notify::TemplateParams;
use crate::notify::outbox::{self, NewNotification};
use crate::pool::own_record::ExpertStatus;
use crate::store::admission::RenewalRow;
use crate::text::{BoundedText, Lines};

/// How many days before a term's last day its expert may ask to renew (`pool.renewal_window_days`).
pub(crate) const RENEWAL_WINDOW_DAYS: u64 = 90;
/// The SMS template that tells an expert how their renewal was decided.
pub(crate) const RENEWAL_TEMPLATE: &str = "expert-renewal-decided";

crate::store::text_enum::text_enum! {
    /// Where a renewal request stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum RenewalStatus {
        Pending = "pending",
        Approved = "approved",
        Refused = "refused",
    }
}

/// A renewal request as its expert and the admins see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct RenewalView {
    pub(crate) renewal_id: String,
    pub(crate) expert_id: String,
    pub(crate) status: RenewalStatus,
    /// The term's last day when it was asked for.
    pub(crate) term_end: String,
    /// The new term's last day, once approved.
    pub(crate) new_term_end: Option<String>,
    pub(crate) decision_reason: Option<String>,
    pub(crate) created_at: String,
    pub(crate) decided_at: Option<String>,
}

/// Whether `today` is within the window before `term_end` in which a renewal may be asked.
pub(crate) fn in_window(today: NaiveDate, term_end: NaiveDate) -> bool {
    let opens = term_end
        .checked_sub_days(chrono::Days::new(RENEWAL_WINDOW_DAYS))
        .unwrap_or(term_end);
    (opens..=term_end).contains(&today)
}

impl AdmissionService {
    /// The signed-in expert asks to renew their term.
    pub(crate) async fn request_renewal(
        &self,
        expert: &Principal,
    ) -> Result<RenewalView, AdmissionError> {
        let now = self.clock().now_millis();
        let today = beijing_day(now);
        let mut tx = self.store().write().await?;
        let expert_id = tx
            .expert_of_account(&expert.account_id)
            .await?
            .ok_or(AdmissionError::NotAnExpert)?;
        let (status, _, term_end) = tx
            .expert_standing(&expert_id)
            .await?
            .ok_or(AdmissionError::NotAnExpert)?;
        if !matches!(status, ExpertStatus::Active | ExpertStatus::Suspended) {
            return Err(AdmissionError::Renewal(format!(
                "an expert who is {status} cannot renew"
            )));
        }
        let Some(term_end) = term_end.and_then(|end| end.parse::<NaiveDate>().ok()) else {
            return Err(AdmissionError::Renewal(
                "the record has no term to renew; an admin sets one".into(),
            ));
        };
        if !in_window(today, term_end) {
            return Err(AdmissionError::Renewal(format!(
                "a renewal may be asked from {} to {term_end}",
                term_end
                    .checked_sub_days(chrono::Days::new(RENEWAL_WINDOW_DAYS))
                    .unwrap_or(term_end)
            )));
        }
        let row = RenewalRow {
            id: uuid::Uuid::now_v7().to_string(),
            expert_id: expert_id.clone(),
            status: RenewalStatus::Pending,
            term_end: term_end.to_string(),
            new_term_end: None,
            decision_reason: None,
            decided_at: None,
            created_at: now,
        };
        tx.insert_renewal(&row).await?;
        let entry = AuditEntry::new("expert.renewal_requested", now, Actor::of(expert))
            .reference("renewal", &row.id)
            .data(
                "expert",
                self.pool().pseudonyms(std::slice::from_ref(&expert_id)),
            )
            .data("term_end", &row.term_end);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(view(row))
    }

    /// Renewal requests newest first (admins).
    pub(crate) async fn renewals(
        &self,
        status: Option<RenewalStatus>,
        limit: i64,
    ) -> Result<Vec<RenewalView>, AdmissionError> {
        let mut tx = self.store().read().await?;
        let rows = tx.renewals(status, limit.clamp(1, 200)).await?;
        tx.rollback().await?;
        Ok(rows.into_iter().map(view).collect())
    }

    /// Approves a pending renewal: the new term starts the day after the old one's last day.
    pub(crate) async fn approve_renewal(
        &self,
        admin: &Principal,
        id: &str,
        term_years: Option<i32>,
    ) -> Result<RenewalView, AdmissionError> {
        let years = term_years.unwrap_or(DEFAULT_TERM_YEARS);
        if !(1..=MAX_TERM_YEARS).contains(&years) {
            return Err(AdmissionError::BadField {
                field: "term_years",
                problem: format!("must be a whole number from 1 to {MAX_TERM_YEARS}"),
            });
        }
        self.decide_renewal(admin, id, Ok(years)).await
    }

    /// Refuses a pending renewal, saying why (10 to 500 characters, sent to the expert).
    pub(crate) async fn refuse_renewal(
        &self,
        admin: &Principal,
        id: &str,
        reason: &str,
    ) -> Result<RenewalView, AdmissionError> {
        let reason = BoundedText::parse(reason, Lines::One, 10..=500).map_err(|_| {
            AdmissionError::BadField {
                field: "reason",
                problem: "give 10 to 500 characters".into(),
            }
        })?;
        self.decide_renewal(admin, id, Err(reason)).await
    }

    /// `decision`: the new term's years, or the refusal's reason.
    async fn decide_renewal(
        &self,
        admin: &Principal,
        id: &str,
        decision: Result<i32, BoundedText>,
    ) -> Result<RenewalView, AdmissionError> {
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        let row = tx
            .renewal(id)
            .await?
            .ok_or(AdmissionError::RenewalNotFound)?;
        let old_end: NaiveDate = row
            .term_end
            .parse()
            .map_err(|_| super::service::corrupt("a renewal's term end"))?;
        let (status, new_end, reason) = match &decision {
            Ok(years) => {
                let start = old_end.succ_opt().unwrap_or(old_end);
                let (start, end) = term(start, *years);
                (RenewalStatus::Approved, Some((start, end)), None)
            }
            Err(reason) => (RenewalStatus::Refused, None, Some(reason.as_str())),
        };
        let new_end_text = new_end.map(|(_, end)| end.to_string());
        if !tx
            .settle_renewal(
                &row.id,
                status,
                new_end_text.as_deref(),
                reason,
                &admin.account_id,
                now,
            )
            .await?
        {
            return Err(AdmissionError::RenewalSettled);
        }
        let standing = tx.expert_standing(&row.expert_id).await?;
        if let Some((start, end)) = new_end {
            // The new term follows the old; a start on record (the first admission) is kept.
            let first = standing
                .and_then(|(_, start, _)| start)
                .unwrap_or_else(|| start.to_string());
            tx.set_expert_term(&row.expert_id, &first, &end.to_string(), now)
                .await?;
        }
        let mut entry = AuditEntry::new(
            match status {
                RenewalStatus::Approved => "expert.renewal_approved",
                _ => "expert.renewal_refused",
            },
            now,
            Actor::of(admin),
        )
        .reference("renewal", &row.id)
        .data(
            "expert",
            self.pool().pseudonyms(std::slice::from_ref(&row.expert_id)),
        );
        if let Some(end) = &new_end_text {
            entry = entry.data("new_term_end", end);
        }
        if let Some(reason) = reason {
            entry = entry.data(
                &tx.suite().digest_field("reason"),
                tx.suite().hex_hash(reason.as_bytes()),
            );
        }
        audit::append(&mut tx, &entry).await?;
        outbox::enqueue(
            &mut tx,
            self.keys(),
            self.rng(),
            now,
            &NewNotification {
                expert_id: row.expert_id.clone(),
                template: RENEWAL_TEMPLATE,
                params: TemplateParams::new()
                    .with("decision", status.as_str())
                    .with(
                        "text",
                        match status {
                            RenewalStatus::Approved => "续聘申请已批准",
                            _ => "续聘申请未获批准",
                        },
                    )
                    .with("term_end", new_end_text.clone().unwrap_or_default()),
                subject_kind: "renewal",
                subject_id: row.id.clone(),
            },
        )
        .await?;
        let settled = tx
            .renewal(&row.id)
            .await?
            .ok_or(AdmissionError::RenewalNotFound)?;
        tx.commit().await?;
        Ok(view(settled))
    }
}

fn view(row: RenewalRow) -> RenewalView {
    RenewalView {
        renewal_id: row.id,
        expert_id: row.expert_id,
        status: row.status,
        term_end: row.term_end,
        new_term_end: row.new_term_end,
        decision_reason: row.decision_reason,
        created_at: to_rfc3339(row.created_at),
        decided_at: row.decided_at.map(to_rfc3339),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renewal_may_be_asked_in_the_ninety_days_before_the_last_day() {
        let end = NaiveDate::from_ymd_opt(2029, 12, 5).unwrap();
        let day = |days_before: u64| {
            end.checked_sub_days(chrono::Days::new(days_before))
                .unwrap()
        };
        assert!(in_window(end, end));
        assert!(in_window(day(90), end));
        assert!(!in_window(day(91), end));
        assert!(!in_window(end.succ_opt().unwrap(), end));
        crate::store::text_enum::assert_serde_is_text::<RenewalStatus>();
    }
}
