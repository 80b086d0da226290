//! Unsealing: the only way to read a sealed field. A supervisor or admin asks (which experts,
//! which fields, why, for how long); a second, different supervisor approves or refuses; only
//! the requester can then read, only those fields, only until the window closes. Each step is
//! an audit entry naming experts by stable pseudonym, never by identity.

use std::collections::BTreeMap;

use serde::Serialize;

use super::service::{PoolError, PoolService, SEALED_FIELDS};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::{Principal, Role};
use crate::store::pool::UnsealRow;
use crate::text::{BoundedText, Lines, TextProblem};

pub(crate) const MAX_EXPERTS_PER_REQUEST: usize = 10;
pub(crate) const MAX_VALID_MINUTES: i32 = 24 * 60;

#[derive(Debug, thiserror::Error)]
pub(crate) enum UnsealError {
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("no such unseal request")]
    NotFound,
    #[error("only a supervisor other than the requester may decide this request")]
    SameOrWrongDecider,
    #[error("the request has already been decided")]
    AlreadyDecided,
    #[error("only the requester may read an unsealed request")]
    NotRequester,
    #[error("the request has not been approved")]
    NotApproved,
    #[error("the request's window has closed")]
    WindowClosed,
    #[error(transparent)]
    Pool(#[from] PoolError),
}

impl From<crate::store::StoreError> for UnsealError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::Pool(error.into())
    }
}

impl From<audit::AuditError> for UnsealError {
    fn from(error: audit::AuditError) -> Self {
        Self::Pool(error.into())
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct UnsealRequestView {
    pub(crate) request_id: String,
    pub(crate) requester_id: String,
    pub(crate) reason: String,
    pub(crate) expert_ids: Vec<String>,
    pub(crate) fields: Vec<String>,
    pub(crate) valid_minutes: i32,
    /// pending, approved or refused.
    #[schema(value_type = String)]
    pub(crate) status: UnsealStatus,
    pub(crate) decided_by: Option<String>,
    pub(crate) valid_until: Option<String>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decision_reason: Option<String>,
}

crate::store::text_enum::text_enum! {
    /// Where an unseal request stands: decided once, by a supervisor other than its requester.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum UnsealStatus {
        Pending = "pending",
        Approved = "approved",
        Refused = "refused",
    }
}

/// A supervisor's decision on someone else's unseal request.
pub(crate) enum Decision<'a> {
    Approve,
    Refuse { reason: &'a str },
}

/// A reason a person gives for a dual-control act: 10 to 500 characters on one line.
fn check_reason(reason: &str) -> Result<(), UnsealError> {
    match BoundedText::parse(reason, Lines::One, 10..=500) {
        Ok(_) => Ok(()),
        Err(TextProblem::Character(problem)) => Err(invalid("reason", problem)),
        Err(TextProblem::Length { .. }) => Err(invalid(
            "reason",
            "give a reason of 10 to 500 characters".into(),
        )),
    }
}

/// One expert's unsealed fields. Deliberately without `Debug`.
#[derive(Serialize)]
pub(crate) struct UnsealedRecord {
    pub expert_id: String,
    pub(crate) fields: BTreeMap<String, String>,
}

/// Whether every expert a request names lies within `who`'s jurisdiction.
async fn covers_request(
    tx: &mut crate::store::Tx,
    who: &Principal,
    row: &UnsealRow,
) -> Result<bool, crate::store::StoreError> {
    let scope = crate::auth::jurisdiction::scope_of(tx, who).await?;
    if scope.regions.is_empty() {
        return Ok(true);
    }
    let experts: Vec<String> = serde_json::from_str(&row.expert_ids).unwrap_or_default();
    for id in &experts {
        if !scope.covers_expert(tx, id).await? {
            return Ok(false);
        }
    }
    Ok(!experts.is_empty())
}

impl PoolService {
    pub(crate) async fn request_unseal(
        &self,
        requester: &Principal,
        expert_ids: Vec<String>,
        fields: Vec<String>,
        reason: String,
        valid_minutes: i32,
    ) -> Result<UnsealRequestView, UnsealError> {
        if expert_ids.is_empty() || expert_ids.len() > MAX_EXPERTS_PER_REQUEST {
            return Err(invalid(
                "expert_ids",
                format!(
                    "name 1 to {MAX_EXPERTS_PER_REQUEST} experts; bulk unsealing is not offered"
                ),
            ));
        }
        let mut unique = expert_ids.clone();
        unique.sort();
        unique.dedup();
        if unique.len() != expert_ids.len() {
            return Err(invalid("expert_ids", "names an expert twice".into()));
        }
        if fields.is_empty() || fields.iter().any(|f| !SEALED_FIELDS.contains(&f.as_str())) {
            return Err(invalid(
                "fields",
                format!("name one or more of {}", SEALED_FIELDS.join(", ")),
            ));
        }
        check_reason(&reason)?;
        if !(1..=MAX_VALID_MINUTES).contains(&valid_minutes) {
            return Err(invalid(
                "valid_minutes",
                format!("must be from 1 to {MAX_VALID_MINUTES}"),
            ));
        }
        let now = self.clock().now_millis();
        let row = UnsealRow {
            id: uuid::Uuid::now_v7().to_string(),
            requester_id: requester.account_id.clone(),
            reason: reason.trim().to_owned(),
            expert_ids: serde_json::to_string(&expert_ids).unwrap_or_default(),
            fields: serde_json::to_string(&fields).unwrap_or_default(),
            valid_minutes,
            status: UnsealStatus::Pending,
            decided_by: None,
            valid_until: None,
            created_at: now,
            decision_reason: None,
        };
        let mut tx = self.store().write().await?;
        let scope = crate::auth::jurisdiction::scope_of(&mut tx, requester).await?;
        for id in &expert_ids {
            // An expert outside a supervisor's jurisdiction reads as no expert at all.
            if tx.expert_data_key(id).await?.is_none() || !scope.covers_expert(&mut tx, id).await? {
                return Err(invalid("expert_ids", format!("{id:?} is not an expert")));
            }
        }
        tx.insert_unseal_request(&row).await?;
        let entry = AuditEntry::new("unseal.requested", now, Actor::of(requester))
            .reference("unseal_request", row.id.as_str())
            .data("experts", self.pseudonyms(&expert_ids))
            .data("fields", &fields)
            .data("valid_minutes", valid_minutes)
            // The reason is free text a person typed; the log keeps its commitment, the
            // request row keeps the text.
            .data(
                &tx.suite().digest_field("reason"),
                tx.suite().hex_hash(row.reason.as_bytes()),
            );
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        view(row)
    }

    /// Approves (`Decision::Approve`) or refuses with a reason (`Decision::Refuse`).
    pub(crate) async fn decide_unseal(
        &self,
        decider: &Principal,
        request_id: &str,
        decision: Decision<'_>,
    ) -> Result<UnsealRequestView, UnsealError> {
        let refusal = match decision {
            Decision::Approve => None,
            Decision::Refuse { reason } => {
                check_reason(reason)?;
                Some(reason.trim())
            }
        };
        let approve = refusal.is_none();
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        let row = tx
            .unseal_request(request_id)
            .await?
            .ok_or(UnsealError::NotFound)?;
        if decider.role != Role::Supervisor || decider.account_id == row.requester_id {
            return Err(UnsealError::SameOrWrongDecider);
        }
        // Out of the decider's jurisdiction reads as no such request.
        if !covers_request(&mut tx, decider, &row).await? {
            return Err(UnsealError::NotFound);
        }
        let (status, valid_until) = if approve {
            (
                UnsealStatus::Approved,
                Some(now + i64::from(row.valid_minutes) * 60_000),
            )
        } else {
            (UnsealStatus::Refused, None)
        };
        if !tx
            .decide_unseal_request(
                request_id,
                status,
                &decider.account_id,
                now,
                valid_until,
                refusal,
            )
            .await?
        {
            return Err(UnsealError::AlreadyDecided);
        }
        let kind = if approve {
            "unseal.approved"
        } else {
            "unseal.refused"
        };
        let mut entry =
            AuditEntry::new(kind, now, Actor::of(decider)).reference("unseal_request", request_id);
        if let Some(reason) = refusal {
            // Free text a person typed: the log commits to it, the request row keeps it.
            entry = entry.data(
                &tx.suite().digest_field("reason"),
                tx.suite().hex_hash(reason.as_bytes()),
            );
        }
        audit::append(&mut tx, &entry).await?;
        let decided = tx
            .unseal_request(request_id)
            .await?
            .ok_or(UnsealError::NotFound)?;
        tx.commit().await?;
        view(decided)
    }

    /// The unseal requests `who` may see: every one, or, for a supervisor within a
    /// jurisdiction, those whose experts all lie in it.
    pub(crate) async fn unseal_requests(
        &self,
        who: &Principal,
        limit: i64,
    ) -> Result<Vec<UnsealRequestView>, UnsealError> {
        let mut tx = self.store().read().await?;
        let rows = tx.unseal_requests(limit).await?;
        let mut mine = Vec::with_capacity(rows.len());
        for row in rows {
            if covers_request(&mut tx, who, &row).await? {
                mine.push(row);
            }
        }
        tx.rollback().await?;
        mine.into_iter().map(view).collect()
    }

    /// Opens the approved fields for the requester, inside the window, and records the read.
    pub(crate) async fn read_unsealed(
        &self,
        reader: &Principal,
        request_id: &str,
    ) -> Result<Vec<UnsealedRecord>, UnsealError> {
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        let row = tx
            .unseal_request(request_id)
            .await?
            .ok_or(UnsealError::NotFound)?;
        if row.requester_id != reader.account_id {
            return Err(UnsealError::NotRequester);
        }
        if row.status != UnsealStatus::Approved {
            return Err(UnsealError::NotApproved);
        }
        if row.valid_until.is_none_or(|until| now >= until) {
            return Err(UnsealError::WindowClosed);
        }
        let (expert_ids, fields) = parse_lists(&row)?;
        let mut records = Vec::with_capacity(expert_ids.len());
        let field_names: Vec<&str> = fields.iter().map(String::as_str).collect();
        for expert_id in &expert_ids {
            let opened = self
                .open_fields(&mut tx, expert_id, &field_names)
                .await?
                .ok_or(UnsealError::NotFound)?;
            records.push(UnsealedRecord {
                expert_id: expert_id.clone(),
                fields: opened,
            });
        }
        let entry = AuditEntry::new("unseal.read", now, Actor::of(reader))
            .reference("unseal_request", request_id)
            .data("experts", self.pseudonyms(&expert_ids))
            .data("fields", &fields);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(records)
    }

    /// Stable supervisor pseudonyms (DESIGN §3): the same expert always maps to the same value,
    /// which does not reveal the expert id or identity.
    pub(crate) fn pseudonyms(&self, expert_ids: &[String]) -> Vec<String> {
        expert_ids
            .iter()
            .map(|id| self.keys().expert_pseudonym(id))
            .collect()
    }
}

fn invalid(field: &'static str, problem: String) -> UnsealError {
    UnsealError::Invalid { field, problem }
}

fn parse_lists(row: &UnsealRow) -> Result<(Vec<String>, Vec<String>), UnsealError> {
    let corrupt = |_| {
        UnsealError::Pool(crate::store::StoreError::Corrupt("unseal request lists".into()).into())
    };
    Ok((
        serde_json::from_str(&row.expert_ids).map_err(corrupt)?,
        serde_json::from_str(&row.fields).map_err(corrupt)?,
    ))
}

fn view(row: UnsealRow) -> Result<UnsealRequestView, UnsealError> {
    let (expert_ids, fields) = parse_lists(&row)?;
    Ok(UnsealRequestView {
        request_id: row.id,
        requester_id: row.requester_id,
        reason: row.reason,
        expert_ids,
        fields,
        valid_minutes: row.valid_minutes,
        status: row.status,
        decided_by: row.decided_by,
        valid_until: row.valid_until.map(crate::clock::to_rfc3339),
        decision_reason: row.decision_reason,
    })
}
