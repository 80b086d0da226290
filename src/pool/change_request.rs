//! Changes an expert may not make alone: their current employer, their ties to organisations
//! (director, supervisor, shareholder, actual controller) and their relatives' employers, which
//! decide whom a draw avoids (an expert could otherwise drop a tie just before a tender they are
//! tied to); their specialties, which decide which draws they are eligible for; and their
//! contact data, by which invitations and their answers travel. The
//! expert asks (the values sealed under their record's data key); an admin opens the request
//! (a logged read), then approves it, which writes it into the record, or refuses it with a
//! reason. Draws read only the record, so nothing pending or refused ever applies. Every step is
//! an audit entry naming the expert by pseudonym and the parts that change, never a value.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::TieKind;
use super::service::{PoolError, PoolService, field_context};
use super::ties::{self, Tie, TieEntry};
use super::validate::{CreditCode, Phone, parse_email, parse_specialty};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::clock::to_rfc3339;
use crate::crypto::seal::SealingKey;
use crate::store::Tx;
use crate::store::pool::{ChangeRequestRow, OrganisationTie};
use crate::text::{BoundedText, Lines, TextProblem};

/// How many of an expert's own requests their record shows.
pub(crate) const OWN_REQUESTS_SHOWN: i64 = 10;

#[derive(Debug, thiserror::Error)]
pub(crate) enum ChangeRequestError {
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    #[error("this account is not linked to an expert record")]
    NotLinked,
    #[error("no such change request")]
    NotFound,
    #[error("a change request of this expert is already waiting for a decision")]
    AlreadyPending,
    #[error("the change request has already been settled")]
    AlreadySettled,
    #[error(transparent)]
    Pool(#[from] PoolError),
}

impl From<crate::store::StoreError> for ChangeRequestError {
    fn from(error: crate::store::StoreError) -> Self {
        match error {
            crate::store::StoreError::Conflict("change request") => Self::AlreadyPending,
            other => Self::Pool(other.into()),
        }
    }
}

impl From<audit::AuditError> for ChangeRequestError {
    fn from(error: audit::AuditError) -> Self {
        Self::Pool(error.into())
    }
}

impl From<crate::crypto::seal::SealError> for ChangeRequestError {
    fn from(error: crate::crypto::seal::SealError) -> Self {
        Self::Pool(error.into())
    }
}

crate::store::text_enum::text_enum! {
    /// Where a change request stands: settled once, by an admin's decision or its expert's
    /// withdrawal.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ChangeStatus {
        Pending = "pending",
        Approved = "approved",
        Refused = "refused",
        Withdrawn = "withdrawn",
    }
}

/// A new current employer.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmployerChange {
    /// The organisation's name, up to 100 characters.
    pub(crate) name: String,
    /// Its 18-character unified social credit code (统一社会信用代码).
    pub(crate) credit_code: String,
    /// The first day with the new employer (YYYY-MM-DD). The employer on record becomes a
    /// past employer whose tie ended the day before, so it is still avoided for
    /// `draw.avoidance_years`.
    #[schema(value_type = String, format = Date)]
    pub(crate) since: NaiveDate,
}

/// New contact data: a mobile phone, an e-mail address, or both.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<String>,
}

/// What an expert asks to change; at least one part.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeRequestBody {
    pub(crate) employer: Option<EmployerChange>,
    /// The whole list of ties after the change, replacing the list on record (an ended tie
    /// stays listed with its last day: it still avoids for `draw.avoidance_years`).
    #[schema(value_type = Option<Vec<Object>>)]
    pub(crate) ties: Option<Vec<TieEntry>>,
    /// The whole list of specialty codes after the change, each in the classification (as on
    /// import).
    pub(crate) specialties: Option<Vec<String>>,
    pub(crate) contact: Option<ContactChange>,
    /// The whole list of relatives' employers (credit codes) after the change.
    pub(crate) relatives_employers: Option<Vec<String>>,
    /// For the reviewer (e.g. where the supporting documents were sent), up to 500 characters.
    pub(crate) note: Option<String>,
}

/// The requested values as they are sealed: the body once checked, normalised.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestedValues {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    employer: Option<EmployerChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ties: Option<Vec<TieEntry>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    specialties: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact: Option<ContactChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    relatives_employers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// What a request changes, without values: what the list shows and the log records.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeParts {
    /// The current employer changes.
    pub(crate) employer: bool,
    /// When the ties change: how many of each kind the new list holds.
    #[schema(value_type = Option<Object>)]
    pub(crate) ties: Option<BTreeMap<TieKind, usize>>,
    /// When the specialties change: how many the new list holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) specialties: Option<usize>,
    /// Which contact fields change (`phone`, `email`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) contact: Vec<String>,
    /// When the relatives' employers change: how many the new list holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) relatives_employers: Option<usize>,
}

/// A change request as an admin lists it: no values.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ChangeRequestView {
    pub(crate) request_id: String,
    pub(crate) expert_id: String,
    pub(crate) status: ChangeStatus,
    pub(crate) parts: ChangeParts,
    pub(crate) created_at: String,
    pub(crate) decided_at: Option<String>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decision_reason: Option<String>,
}

/// A change request with its requested values: for its expert, and for an admin who opened
/// it (a logged read).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct OpenedChangeRequest {
    #[serde(flatten)]
    pub(crate) request: ChangeRequestView,
    pub(crate) employer: Option<EmployerChange>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub(crate) ties: Option<Vec<TieEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) specialties: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) contact: Option<ContactChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) relatives_employers: Option<Vec<String>>,
    pub(crate) note: Option<String>,
}

/// At most this many specialties or relatives' employers in one request.
const MAX_LIST_ENTRIES: usize = 50;

/// A request's values, each parsed.
struct CheckedChange {
    employer: Option<(BoundedText, CreditCode, NaiveDate)>,
    ties: Option<Vec<Tie>>,
    /// Codes well-formed and without repeats; whether the classification holds them is
    /// checked against the database ([`PoolService::check_specialties`]).
    specialties: Option<Vec<String>>,
    phone: Option<Phone>,
    email: Option<String>,
    relatives: Option<Vec<CreditCode>>,
    note: Option<BoundedText>,
}

impl CheckedChange {
    /// Parses each part in turn; the first problem is the answer, naming its field.
    fn parse(body: ChangeRequestBody) -> Result<Self, ChangeRequestError> {
        if body.employer.is_none()
            && body.ties.is_none()
            && body.specialties.is_none()
            && body.contact.is_none()
            && body.relatives_employers.is_none()
        {
            return Err(invalid(
                "employer",
                "name what changes: employer, ties, specialties, contact or relatives_employers",
            ));
        }
        let employer = body
            .employer
            .map(|employer| {
                let name = BoundedText::parse(&employer.name, Lines::One, 1..=100)
                    .map_err(|problem| text_problem("employer.name", problem, 100))?;
                let code = CreditCode::parse(&employer.credit_code)
                    .map_err(|problem| invalid("employer.credit_code", problem))?;
                Ok::<_, ChangeRequestError>((name, code, employer.since))
            })
            .transpose()?;
        let ties = body
            .ties
            .as_deref()
            .map(ties::parse_entries)
            .transpose()
            .map_err(|(at, problem)| invalid(format!("ties{at}"), problem))?;
        let specialties = body
            .specialties
            .as_deref()
            .map(|codes| {
                if codes.is_empty() {
                    return Err(invalid(
                        "specialties",
                        "at least one specialty code is required",
                    ));
                }
                if codes.len() > MAX_LIST_ENTRIES {
                    return Err(invalid("specialties", "give at most 50 entries"));
                }
                let mut parsed = Vec::with_capacity(codes.len());
                for (at, code) in codes.iter().enumerate() {
                    let code = parse_specialty(code)
                        .map_err(|problem| invalid(format!("specialties[{at}]"), problem))?;
                    if !parsed.contains(&code) {
                        parsed.push(code);
                    }
                }
                Ok(parsed)
            })
            .transpose()?;
        let (phone, email) = match &body.contact {
            None => (None, None),
            Some(ContactChange {
                phone: None,
                email: None,
            }) => {
                return Err(invalid(
                    "contact",
                    "name a new phone, e-mail address or both",
                ));
            }
            Some(contact) => (
                contact
                    .phone
                    .as_deref()
                    .map(Phone::parse)
                    .transpose()
                    .map_err(|problem| invalid("contact.phone", problem))?,
                contact
                    .email
                    .as_deref()
                    .map(parse_email)
                    .transpose()
                    .map_err(|problem| invalid("contact.email", problem))?,
            ),
        };
        let relatives = body
            .relatives_employers
            .as_deref()
            .map(|codes| {
                if codes.len() > MAX_LIST_ENTRIES {
                    return Err(invalid("relatives_employers", "give at most 50 entries"));
                }
                codes
                    .iter()
                    .enumerate()
                    .map(|(at, code)| {
                        CreditCode::parse(code).map_err(|problem| {
                            invalid(format!("relatives_employers[{at}]"), problem)
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let note = body
            .note
            .as_deref()
            .filter(|note| !note.trim().is_empty())
            .map(|note| {
                BoundedText::parse(note, Lines::Many, 1..=500)
                    .map_err(|problem| text_problem("note", problem, 500))
            })
            .transpose()?;
        Ok(Self {
            employer,
            ties,
            specialties,
            phone,
            email,
            relatives,
            note,
        })
    }

    fn parts(&self) -> ChangeParts {
        ChangeParts {
            employer: self.employer.is_some(),
            ties: self.ties.as_ref().map(|ties| {
                let mut counts = BTreeMap::new();
                for tie in ties {
                    *counts.entry(tie.kind).or_default() += 1;
                }
                counts
            }),
            specialties: self.specialties.as_ref().map(Vec::len),
            contact: [
                self.phone.as_ref().map(|_| "phone"),
                self.email.as_ref().map(|_| "email"),
            ]
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect(),
            relatives_employers: self.relatives.as_ref().map(Vec::len),
        }
    }

    fn values(&self) -> RequestedValues {
        RequestedValues {
            employer: self
                .employer
                .as_ref()
                .map(|(name, code, since)| EmployerChange {
                    name: name.as_str().to_owned(),
                    credit_code: code.as_str().to_owned(),
                    since: *since,
                }),
            ties: self
                .ties
                .as_ref()
                .map(|ties| ties.iter().map(Tie::entry).collect()),
            specialties: self.specialties.clone(),
            contact: (self.phone.is_some() || self.email.is_some()).then(|| ContactChange {
                phone: self
                    .phone
                    .as_ref()
                    .map(|phone| phone.normalised().to_owned()),
                email: self.email.clone(),
            }),
            relatives_employers: self
                .relatives
                .as_ref()
                .map(|codes| codes.iter().map(|code| code.as_str().to_owned()).collect()),
            note: self.note.as_ref().map(|note| note.as_str().to_owned()),
        }
    }

    /// The request's values as a body again, for checking once more before they are applied.
    fn body_of(values: RequestedValues) -> ChangeRequestBody {
        ChangeRequestBody {
            employer: values.employer,
            ties: values.ties,
            specialties: values.specialties,
            contact: values.contact,
            relatives_employers: values.relatives_employers,
            note: None,
        }
    }
}

/// A refusal's reason: 10 to 500 characters on one line, as for unseal refusals.
fn check_reason(reason: &str) -> Result<BoundedText, ChangeRequestError> {
    BoundedText::parse(reason, Lines::One, 10..=500).map_err(|problem| match problem {
        TextProblem::Character(problem) => invalid("reason", problem),
        TextProblem::Length { .. } => invalid("reason", "give a reason of 10 to 500 characters"),
    })
}

impl PoolService {
    /// The signed-in expert asks for a change. Nothing of the record changes.
    pub(crate) async fn request_change(
        &self,
        owner: &Principal,
        body: ChangeRequestBody,
    ) -> Result<OpenedChangeRequest, ChangeRequestError> {
        let change = CheckedChange::parse(body)?;
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        let expert_id = tx
            .expert_of_account(&owner.account_id)
            .await?
            .ok_or(ChangeRequestError::NotLinked)?;
        check_specialties(&mut tx, &change).await?;
        let pending = tx.expert_change_requests(&expert_id, 1).await?;
        if pending
            .first()
            .is_some_and(|row| row.status == ChangeStatus::Pending)
        {
            return Err(ChangeRequestError::AlreadyPending);
        }
        let id = uuid::Uuid::now_v7().to_string();
        let field_key = self.record_key(&mut tx, &expert_id).await?;
        let values = serde_json::to_vec(&change.values()).map_err(corrupt)?;
        let parts = change.parts();
        let row = ChangeRequestRow {
            id: id.clone(),
            expert_id: expert_id.clone(),
            requested_by: owner.account_id.clone(),
            parts: serde_json::to_string(&parts).map_err(corrupt)?,
            sealed_values: field_key.seal(self.rng(), &values_context(&expert_id, &id), &values)?,
            status: ChangeStatus::Pending,
            decided_by: None,
            decided_at: None,
            decision_reason: None,
            created_at: now,
        };
        tx.insert_change_request(&row).await?;
        let entry = AuditEntry::new("expert.change_requested", now, Actor::of(owner))
            .reference("change_request", &id)
            .data("expert", self.pseudonyms(std::slice::from_ref(&expert_id)))
            .data("parts", &parts);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        opened(row, change.values())
    }

    /// The expert withdraws their pending request.
    pub(crate) async fn withdraw_change(
        &self,
        owner: &Principal,
        request_id: &str,
    ) -> Result<ChangeRequestView, ChangeRequestError> {
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        let expert_id = tx
            .expert_of_account(&owner.account_id)
            .await?
            .ok_or(ChangeRequestError::NotLinked)?;
        let row = tx
            .change_request(request_id)
            .await?
            .filter(|row| row.expert_id == expert_id)
            .ok_or(ChangeRequestError::NotFound)?;
        if !tx
            .settle_change_request(
                &row.id,
                ChangeStatus::Withdrawn,
                &owner.account_id,
                now,
                None,
            )
            .await?
        {
            return Err(ChangeRequestError::AlreadySettled);
        }
        let entry = AuditEntry::new("expert.change_withdrawn", now, Actor::of(owner))
            .reference("change_request", &row.id)
            .data("expert", self.pseudonyms(std::slice::from_ref(&expert_id)));
        audit::append(&mut tx, &entry).await?;
        commit_with_view(tx, &row.id).await
    }

    /// Requests newest first, without their values (admins).
    pub(crate) async fn change_requests(
        &self,
        status: Option<ChangeStatus>,
        limit: i64,
    ) -> Result<Vec<ChangeRequestView>, ChangeRequestError> {
        let mut tx = self.store().read().await?;
        let rows = tx.change_requests(status, limit.clamp(1, 200)).await?;
        tx.rollback().await?;
        rows.into_iter().map(view).collect()
    }

    /// Opens one request's values for the admin deciding it, and records the read.
    pub(crate) async fn open_change(
        &self,
        admin: &Principal,
        request_id: &str,
    ) -> Result<OpenedChangeRequest, ChangeRequestError> {
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        let row = tx
            .change_request(request_id)
            .await?
            .ok_or(ChangeRequestError::NotFound)?;
        let values = self.open_values(&mut tx, &row).await?;
        let entry = AuditEntry::new("expert.change_request_opened", now, Actor::of(admin))
            .reference("change_request", &row.id)
            .data(
                "expert",
                self.pseudonyms(std::slice::from_ref(&row.expert_id)),
            );
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        opened(row, values)
    }

    /// Approves a pending request: its values become the record's, in this transaction.
    pub(crate) async fn approve_change(
        &self,
        admin: &Principal,
        request_id: &str,
    ) -> Result<ChangeRequestView, ChangeRequestError> {
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        let row = tx
            .change_request(request_id)
            .await?
            .ok_or(ChangeRequestError::NotFound)?;
        if row.status != ChangeStatus::Pending {
            return Err(ChangeRequestError::AlreadySettled);
        }
        let values = self.open_values(&mut tx, &row).await?;
        // The stored values were checked when asked for; checked again, so a value a later
        // rule refuses is never written into the record.
        let change = CheckedChange::parse(CheckedChange::body_of(values))?;
        check_specialties(&mut tx, &change).await?;
        if !tx
            .settle_change_request(
                &row.id,
                ChangeStatus::Approved,
                &admin.account_id,
                now,
                None,
            )
            .await?
        {
            return Err(ChangeRequestError::AlreadySettled);
        }
        self.apply_change(&mut tx, &row.expert_id, &change, now)
            .await?;
        let entry = AuditEntry::new("expert.change_approved", now, Actor::of(admin))
            .reference("change_request", &row.id)
            .data(
                "expert",
                self.pseudonyms(std::slice::from_ref(&row.expert_id)),
            )
            .data("parts", change.parts());
        audit::append(&mut tx, &entry).await?;
        commit_with_view(tx, &row.id).await
    }

    /// Refuses a pending request, saying why; the record stays as it is.
    pub(crate) async fn refuse_change(
        &self,
        admin: &Principal,
        request_id: &str,
        reason: &str,
    ) -> Result<ChangeRequestView, ChangeRequestError> {
        let reason = check_reason(reason)?;
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        let row = tx
            .change_request(request_id)
            .await?
            .ok_or(ChangeRequestError::NotFound)?;
        if !tx
            .settle_change_request(
                &row.id,
                ChangeStatus::Refused,
                &admin.account_id,
                now,
                Some(reason.as_str()),
            )
            .await?
        {
            return Err(ChangeRequestError::AlreadySettled);
        }
        // Free text a person typed: the log commits to it, the request keeps it.
        let entry = AuditEntry::new("expert.change_refused", now, Actor::of(admin))
            .reference("change_request", &row.id)
            .data(
                "expert",
                self.pseudonyms(std::slice::from_ref(&row.expert_id)),
            )
            .data(
                &tx.suite().digest_field("reason"),
                tx.suite().hex_hash(reason.as_str().as_bytes()),
            );
        audit::append(&mut tx, &entry).await?;
        commit_with_view(tx, &row.id).await
    }

    /// The expert's latest requests with their values, inside the caller's transaction (their
    /// own record's read, which is logged).
    pub(super) async fn own_change_requests(
        &self,
        tx: &mut Tx,
        expert_id: &str,
    ) -> Result<Vec<OpenedChangeRequest>, ChangeRequestError> {
        let rows = tx
            .expert_change_requests(expert_id, OWN_REQUESTS_SHOWN)
            .await?;
        let mut requests = Vec::with_capacity(rows.len());
        for row in rows {
            let values = self.open_values(tx, &row).await?;
            requests.push(opened(row, values)?);
        }
        Ok(requests)
    }

    /// Writes an approved change into the record: the sealed fields, and the rows the
    /// avoidance rule matches by blind index.
    async fn apply_change(
        &self,
        tx: &mut Tx,
        expert_id: &str,
        change: &CheckedChange,
        now: crate::clock::Millis,
    ) -> Result<(), ChangeRequestError> {
        let field_key = self.record_key(tx, expert_id).await?;
        let mut sealed = Vec::new();
        if let Some(codes) = &change.specialties {
            tx.replace_expert_specialties(expert_id, codes, false)
                .await?;
        }
        if let Some(phone) = &change.phone {
            sealed.push(("phone", phone.normalised().to_owned()));
            let index = self.keys().blind_index("phone", phone.normalised());
            tx.set_expert_phone_index(expert_id, &index, now).await?;
        }
        if let Some(email) = &change.email {
            sealed.push(("email", email.clone()));
        }
        if let Some(codes) = &change.relatives {
            let list: Vec<&str> = codes.iter().map(CreditCode::as_str).collect();
            sealed.push((
                "relatives_employers",
                serde_json::to_string(&list).map_err(corrupt)?,
            ));
            let indexes: Vec<[u8; 32]> = codes
                .iter()
                .map(|code| self.keys().blind_index("credit_code", code.as_str()))
                .collect();
            tx.replace_expert_relatives(expert_id, &indexes).await?;
        }
        if let Some((name, code, since)) = &change.employer {
            let previous = self
                .open_fields(tx, expert_id, &["employer", "employer_history"])
                .await?
                .unwrap_or_default();
            let employer = serde_json::json!({"name": name.as_str(), "credit_code": code.as_str()});
            sealed.push(("employer", employer.to_string()));
            let last_day = since.pred_opt().unwrap_or(*since);
            if let Some(history) = moved_to_history(&previous, code, last_day) {
                sealed.push(("employer_history", history));
            }
            // The employer on record stays avoided as a past one; the same organisation under
            // a new name is still the current employer.
            let previous_code = previous
                .get("employer")
                .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
                .and_then(|value| value["credit_code"].as_str().map(str::to_owned));
            if previous_code.as_deref() != Some(code.as_str()) {
                tx.end_current_employment(expert_id, &last_day.to_string())
                    .await?;
            }
            let index = self.keys().blind_index("credit_code", code.as_str());
            let tie = OrganisationTie {
                org_index: &index,
                relation: super::Relation::Employer,
                from_date: Some(since.to_string()),
                to_date: None,
            };
            tx.replace_expert_organisations(expert_id, &[super::Relation::Employer], &[tie], false)
                .await?;
        }
        if let Some(ties) = &change.ties {
            sealed.push(("ties", ties::sealed_text(ties)));
            let rows = self.tie_rows(ties);
            let relations = TieKind::ALL.map(TieKind::relation);
            let rows: Vec<OrganisationTie<'_>> = rows.iter().map(|row| row.as_tie()).collect();
            tx.replace_expert_organisations(expert_id, &relations, &rows, false)
                .await?;
        }
        let mut ciphertexts = Vec::with_capacity(sealed.len());
        for (field, value) in sealed {
            let context = field_context(expert_id, field);
            ciphertexts.push((
                field,
                field_key.seal(self.rng(), &context, value.as_bytes())?,
            ));
        }
        tx.upsert_sealed_fields(expert_id, &ciphertexts).await?;
        Ok(())
    }

    async fn record_key(
        &self,
        tx: &mut Tx,
        expert_id: &str,
    ) -> Result<SealingKey, ChangeRequestError> {
        let sealed_key = tx
            .expert_data_key(expert_id)
            .await?
            .ok_or(ChangeRequestError::NotLinked)?;
        Ok(self.open_data_key(expert_id, &sealed_key)?)
    }

    async fn open_values(
        &self,
        tx: &mut Tx,
        row: &ChangeRequestRow,
    ) -> Result<RequestedValues, ChangeRequestError> {
        let field_key = self.record_key(tx, &row.expert_id).await?;
        let plain = field_key.open(&values_context(&row.expert_id, &row.id), &row.sealed_values)?;
        serde_json::from_slice(&plain).map_err(corrupt)
    }
}

/// Refuses a specialty the classification does not hold, naming its place in the list.
async fn check_specialties(tx: &mut Tx, change: &CheckedChange) -> Result<(), ChangeRequestError> {
    let Some(codes) = &change.specialties else {
        return Ok(());
    };
    let known: std::collections::HashSet<String> = tx
        .specialty_codes()
        .await?
        .into_iter()
        .map(|(code, _, _)| code)
        .collect();
    match codes.iter().position(|code| !known.contains(code)) {
        Some(at) => Err(invalid(
            format!("specialties[{at}]"),
            format!("{} is not in the specialty classification", codes[at]),
        )),
        None => Ok(()),
    }
}

/// The employer history with the employer on record appended as ended on `last_day`, unless
/// it is the new employer itself or the record holds no readable employer.
fn moved_to_history(
    previous: &BTreeMap<String, String>,
    new_code: &CreditCode,
    last_day: NaiveDate,
) -> Option<String> {
    let employer: serde_json::Value = serde_json::from_str(previous.get("employer")?).ok()?;
    let code = employer["credit_code"].as_str()?;
    if code == new_code.as_str() {
        return None;
    }
    let mut history: Vec<serde_json::Value> = previous
        .get("employer_history")
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    // The start is not on record; the expert can add it to their history.
    history.push(serde_json::json!({"credit_code": code, "to": last_day.to_string()}));
    Some(serde_json::Value::Array(history).to_string())
}

/// Each request's values are bound to their record and request, so a ciphertext moved to
/// another row does not open.
fn values_context(expert_id: &str, request_id: &str) -> String {
    field_context(expert_id, &format!("change-request/{request_id}"))
}

/// Commits a decision on request `id` and answers the request as it now stands.
async fn commit_with_view(mut tx: Tx, id: &str) -> Result<ChangeRequestView, ChangeRequestError> {
    let settled = tx
        .change_request(id)
        .await?
        .ok_or(ChangeRequestError::NotFound)?;
    tx.commit().await?;
    view(settled)
}

fn view(row: ChangeRequestRow) -> Result<ChangeRequestView, ChangeRequestError> {
    Ok(ChangeRequestView {
        parts: serde_json::from_str(&row.parts).map_err(corrupt)?,
        request_id: row.id,
        expert_id: row.expert_id,
        status: row.status,
        created_at: to_rfc3339(row.created_at),
        decided_at: row.decided_at.map(to_rfc3339),
        decision_reason: row.decision_reason,
    })
}

fn opened(
    row: ChangeRequestRow,
    values: RequestedValues,
) -> Result<OpenedChangeRequest, ChangeRequestError> {
    Ok(OpenedChangeRequest {
        request: view(row)?,
        employer: values.employer,
        ties: values.ties,
        specialties: values.specialties,
        contact: values.contact,
        relatives_employers: values.relatives_employers,
        note: values.note,
    })
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> ChangeRequestError {
    ChangeRequestError::Invalid {
        field: field.into(),
        problem: problem.into(),
    }
}

fn text_problem(field: &str, problem: TextProblem, max: usize) -> ChangeRequestError {
    match problem {
        TextProblem::Character(problem) => invalid(field, problem),
        TextProblem::Length { chars: 0, .. } => invalid(field, "is required"),
        TextProblem::Length { .. } => invalid(field, format!("must be at most {max} characters")),
    }
}

fn corrupt(error: impl std::fmt::Display) -> ChangeRequestError {
    ChangeRequestError::Pool(PoolError::Store(crate::store::StoreError::Corrupt(
        format!("change request: {error}"),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::validate::complete_credit_code;

    fn code(serial: u32) -> String {
        complete_credit_code(&format!("91420100MA4K{serial:05}")).unwrap()
    }

    fn field_of(result: Result<CheckedChange, ChangeRequestError>) -> String {
        match result {
            Err(ChangeRequestError::Invalid { field, .. }) => field,
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("accepted"),
        }
    }

    fn employer(name: &str, credit_code: &str) -> Option<EmployerChange> {
        Some(EmployerChange {
            name: name.into(),
            credit_code: credit_code.into(),
            since: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        })
    }

    #[test]
    fn a_request_names_a_part_and_each_bad_value_by_its_field() {
        assert_eq!(
            field_of(CheckedChange::parse(ChangeRequestBody::default())),
            "employer"
        );
        let bad_code = ChangeRequestBody {
            employer: employer("某公司", "91420100MA4K00001"),
            ..ChangeRequestBody::default()
        };
        assert_eq!(
            field_of(CheckedChange::parse(bad_code)),
            "employer.credit_code"
        );
        let no_name = ChangeRequestBody {
            employer: employer(" ", &code(1)),
            ..ChangeRequestBody::default()
        };
        assert_eq!(field_of(CheckedChange::parse(no_name)), "employer.name");
        let bad_tie = ChangeRequestBody {
            ties: Some(vec![TieEntry {
                kind: TieKind::Shareholder,
                credit_code: "X".into(),
                from: None,
                to: None,
            }]),
            ..ChangeRequestBody::default()
        };
        assert_eq!(
            field_of(CheckedChange::parse(bad_tie)),
            "ties[0].credit_code"
        );
        let long_note = ChangeRequestBody {
            ties: Some(Vec::new()),
            note: Some("长".repeat(501)),
            ..ChangeRequestBody::default()
        };
        assert_eq!(field_of(CheckedChange::parse(long_note)), "note");
    }

    #[test]
    fn the_parts_count_tie_kinds_and_never_carry_a_value() {
        let tie = |kind| TieEntry {
            kind,
            credit_code: code(2),
            from: None,
            to: None,
        };
        let change = CheckedChange::parse(ChangeRequestBody {
            employer: employer("某设计院", &code(1)),
            ties: Some(vec![
                tie(TieKind::Director),
                tie(TieKind::Director),
                tie(TieKind::ActualController),
            ]),
            note: Some("证明已寄交专家库管理处".into()),
            ..ChangeRequestBody::default()
        })
        .ok()
        .unwrap();
        let parts = serde_json::to_string(&change.parts()).unwrap();
        assert_eq!(
            parts,
            r#"{"employer":true,"ties":{"director":2,"actual_controller":1}}"#
        );
        assert!(!parts.contains(&code(1)) && !parts.contains(&code(2)));
        let values = serde_json::to_string(&change.values()).unwrap();
        assert!(
            values.contains(&code(1)) && values.contains("证明"),
            "{values}"
        );
    }

    #[test]
    fn specialties_contact_and_relatives_are_checked_and_their_parts_carry_no_value() {
        let body = |value: serde_json::Value| -> ChangeRequestBody {
            serde_json::from_value(value).unwrap()
        };
        assert_eq!(
            field_of(CheckedChange::parse(body(
                serde_json::json!({"specialties": ["A01", "A0101X"]})
            ))),
            "specialties[1]"
        );
        assert_eq!(
            field_of(CheckedChange::parse(body(
                serde_json::json!({"contact": {}})
            ))),
            "contact"
        );
        assert_eq!(
            field_of(CheckedChange::parse(body(
                serde_json::json!({"relatives_employers": [code(1), "X"]})
            ))),
            "relatives_employers[1]"
        );
        let change = CheckedChange::parse(body(serde_json::json!({
            "specialties": ["A0101", "B0201", "A0101"],
            "contact": {"phone": "137 1234 5678", "email": "li@example.cn"},
            "relatives_employers": [code(4)],
        })))
        .ok()
        .unwrap();
        let parts = serde_json::to_string(&change.parts()).unwrap();
        assert_eq!(
            parts,
            r#"{"employer":false,"ties":null,"specialties":2,"contact":["phone","email"],"relatives_employers":1}"#
        );
        let values = serde_json::to_value(change.values()).unwrap();
        assert_eq!(values["contact"]["phone"], "13712345678");
        assert_eq!(values["specialties"], serde_json::json!(["A0101", "B0201"]));
    }

    #[test]
    fn a_new_employer_moves_the_one_on_record_into_the_history() {
        let last_day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        let previous = BTreeMap::from([
            (
                "employer".to_owned(),
                format!(r#"{{"name":"旧单位","credit_code":"{}"}}"#, code(1)),
            ),
            (
                "employer_history".to_owned(),
                format!(
                    r#"[{{"credit_code":"{}","from":"2010-01-01","to":"2015-06-30"}}]"#,
                    code(3)
                ),
            ),
        ]);
        let new = CreditCode::parse(&code(2)).unwrap();
        let history = moved_to_history(&previous, &new, last_day).unwrap();
        let history: Vec<serde_json::Value> = serde_json::from_str(&history).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1]["credit_code"], code(1));
        assert_eq!(history[1]["to"], "2026-02-28");
        let same = CreditCode::parse(&code(1)).unwrap();
        assert!(moved_to_history(&previous, &same, last_day).is_none());
        assert!(moved_to_history(&BTreeMap::new(), &new, last_day).is_none());
    }
}
