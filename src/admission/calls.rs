//! Recruiting calls (招募): an admin asks for applications in scarce specialties, optionally in
//! some regions, until a date. The list of open calls is public, like the application page, and
//! an application may name the call it answers.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::service::{AdmissionError, AdmissionService, beijing_day};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::clock::{Millis, to_rfc3339};
use crate::pool::validate::{parse_region, parse_specialty};
use crate::store::admission::RecruitingCallRow;
use crate::text::{BoundedText, Lines, TextProblem};

/// A call as an admin publishes it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCall {
    /// 1 to 20 codes of the specialty classification.
    pub(crate) specialties: Vec<String>,
    /// Prefecture-level region codes; the whole province when absent or empty.
    #[serde(default)]
    pub(crate) regions: Option<Vec<String>>,
    /// The last day applications answer it (YYYY-MM-DD, today or later).
    #[schema(value_type = String, format = Date)]
    pub(crate) until: NaiveDate,
    /// What is asked for, shown to applicants (1 to 500 characters).
    pub(crate) note: String,
}

/// A published call.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CallView {
    pub(crate) call_id: String,
    pub(crate) specialties: Vec<String>,
    pub(crate) regions: Vec<String>,
    #[schema(value_type = String, format = Date)]
    pub(crate) until: String,
    pub(crate) note: String,
    pub(crate) created_at: String,
    pub(crate) closed_at: Option<String>,
}

impl AdmissionService {
    pub(crate) async fn publish_call(
        &self,
        admin: &Principal,
        call: NewCall,
    ) -> Result<CallView, AdmissionError> {
        let known = self.pool().known_specialties().await?;
        if call.specialties.is_empty() || call.specialties.len() > 20 {
            return Err(bad("specialties", "give 1 to 20 specialty codes"));
        }
        let mut specialties = Vec::with_capacity(call.specialties.len());
        for (i, text) in call.specialties.iter().enumerate() {
            let code = parse_specialty(text).map_err(|problem| {
                AdmissionError::Invalid(vec![super::body::FieldProblem {
                    field: format!("specialties[{i}]"),
                    problem,
                }])
            })?;
            if !known.contains(&code) {
                return Err(AdmissionError::Invalid(vec![super::body::FieldProblem {
                    field: format!("specialties[{i}]"),
                    problem: format!("{code} is not in the specialty classification"),
                }]));
            }
            specialties.push(code);
        }
        let mut regions = Vec::new();
        for (i, text) in call.regions.iter().flatten().enumerate() {
            let region = parse_region(text).map_err(|problem| {
                AdmissionError::Invalid(vec![super::body::FieldProblem {
                    field: format!("regions[{i}]"),
                    problem,
                }])
            })?;
            regions.push(region);
        }
        let now = self.clock().now_millis();
        if call.until < beijing_day(now) {
            return Err(bad("until", "the call's last day has passed"));
        }
        let note =
            BoundedText::parse(&call.note, Lines::Many, 1..=500).map_err(
                |problem| match problem {
                    TextProblem::Character(problem) => AdmissionError::BadField {
                        field: "note",
                        problem,
                    },
                    TextProblem::Length { .. } => bad("note", "give 1 to 500 characters"),
                },
            )?;
        let row = RecruitingCallRow {
            id: uuid::Uuid::now_v7().to_string(),
            specialties: specialties.join(";"),
            regions: regions.join(";"),
            until_date: call.until.to_string(),
            note: note.into_string(),
            created_by: admin.account_id.clone(),
            created_at: now,
            closed_at: None,
        };
        let mut tx = self.store().write().await?;
        tx.insert_recruiting_call(&row).await?;
        let entry = AuditEntry::new("pool.recruiting_call_published", now, Actor::of(admin))
            .reference("recruiting_call", &row.id)
            .data("specialties", &specialties)
            .data("regions", &regions)
            .data("until", &row.until_date);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(view(row))
    }

    /// Calls still open (not closed, last day not passed), newest first: public.
    pub(crate) async fn open_calls(&self) -> Result<Vec<CallView>, AdmissionError> {
        let today = beijing_day(self.clock().now_millis()).to_string();
        let mut tx = self.store().read().await?;
        let rows = tx.open_recruiting_calls().await?;
        tx.rollback().await?;
        Ok(rows
            .into_iter()
            .filter(|row| row.until_date >= today)
            .map(view)
            .collect())
    }

    pub(crate) async fn close_call(
        &self,
        admin: &Principal,
        id: &str,
    ) -> Result<CallView, AdmissionError> {
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        if tx.recruiting_call(id).await?.is_none() {
            return Err(AdmissionError::CallNotFound);
        }
        if !tx.close_recruiting_call(id, now).await? {
            return Err(AdmissionError::CallClosed);
        }
        let entry = AuditEntry::new("pool.recruiting_call_closed", now, Actor::of(admin))
            .reference("recruiting_call", id);
        audit::append(&mut tx, &entry).await?;
        let row = tx
            .recruiting_call(id)
            .await?
            .ok_or(AdmissionError::CallNotFound)?;
        tx.commit().await?;
        Ok(view(row))
    }

    /// An application may answer only a call that is open.
    pub(super) async fn check_call_open(
        &self,
        call_id: &str,
        now: Millis,
    ) -> Result<(), AdmissionError> {
        let mut tx = self.store().read().await?;
        let call = tx.recruiting_call(call_id).await?;
        tx.rollback().await?;
        let today = beijing_day(now).to_string();
        match call {
            Some(call) if call.closed_at.is_none() && call.until_date >= today => Ok(()),
            _ => Err(bad("recruiting_call_id", "names no open recruiting call")),
        }
    }
}

fn bad(field: &'static str, problem: &str) -> AdmissionError {
    AdmissionError::BadField {
        field,
        problem: problem.to_owned(),
    }
}

fn view(row: RecruitingCallRow) -> CallView {
    let list = |text: &str| {
        text.split(';')
            .filter(|part| !part.is_empty())
            .map(str::to_owned)
            .collect()
    };
    CallView {
        call_id: row.id,
        specialties: list(&row.specialties),
        regions: list(&row.regions),
        until: row.until_date,
        note: row.note,
        created_at: to_rfc3339(row.created_at),
        closed_at: row.closed_at.map(to_rfc3339),
    }
}
