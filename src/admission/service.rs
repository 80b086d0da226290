//! The application workflow over the store. The applicant's values are sealed on arrival under
//! the data key of the record they would become (its id is decided then), so nothing identifying
//! is ever in the clear; approval opens them once, checks them again as an import would, and
//! writes the record through the import's own path in the same transaction as the login and the
//! SMS that carries it. Every step is an audit entry naming the future expert by pseudonym.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Months, NaiveDate};
use serde::Serialize;
use zeroize::Zeroizing;

use super::body::{
    ApplicationBody, Declarations, EmployerEntry, FieldProblem, SealedApplication,
    SpecialtyEvidence,
};
use super::exit::ExitRules;
use super::{ApplicationAct, ApplicationStatus};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::auth::service::{PreparedLogin, record_prepared_login};
use crate::clock::{Millis, SharedClock, to_rfc3339};
use crate::crypto::seal::SealingKey;
use crate::crypto::{KeyRing, Rng, constant_time_eq};
use crate::deps::Deps;
use crate::notify::outbox::{self, NewNotification};
use crate::notify::{NotifyError, TemplateParams};
use crate::pool::service::field_context;
use crate::pool::{PoolError, PoolService, TieKind};
use crate::store::admission::{ApplicationChange, ApplicationRow};
use crate::store::{Store, StoreError, Tx};
use crate::text::{BoundedText, Lines, TextProblem};

/// A term when the admin names none (`pool.term_years`), and the longest one.
pub(crate) const DEFAULT_TERM_YEARS: i32 = 3;
pub(crate) const MAX_TERM_YEARS: i32 = 5;
/// The SMS template that carries a new expert's login.
pub(crate) const ADMITTED_TEMPLATE: &str = "expert-admitted";

#[derive(Debug, thiserror::Error)]
pub(crate) enum AdmissionError {
    #[error("{} problem(s) in the application; nothing was written", .0.len())]
    Invalid(Vec<FieldProblem>),
    #[error("{field}: {problem}")]
    BadField {
        field: &'static str,
        problem: String,
    },
    /// Also the answer to a wrong access code, so that a guess learns nothing.
    #[error("no such application")]
    NotFound,
    #[error("a person with this ID number is already in the pool")]
    AlreadyInPool,
    #[error("an application with this ID number is already open")]
    AlreadyOpen,
    #[error("an application that is {from} cannot be moved by {act}")]
    WrongState {
        from: ApplicationStatus,
        act: &'static str,
    },
    #[error("this account is not linked to an expert record")]
    NotAnExpert,
    /// Why a renewal cannot be asked now.
    #[error("{0}")]
    Renewal(String),
    #[error("no such renewal request")]
    RenewalNotFound,
    #[error("the renewal request has already been decided")]
    RenewalSettled,
    #[error("a renewal request of this expert is already waiting for a decision")]
    RenewalPending,
    #[error("no such recruiting call")]
    CallNotFound,
    #[error("the recruiting call is already closed")]
    CallClosed,
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

impl From<StoreError> for AdmissionError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict("open application") => Self::AlreadyOpen,
            StoreError::Conflict("ID number") => Self::AlreadyInPool,
            StoreError::Conflict("renewal") => Self::RenewalPending,
            other => Self::Pool(other.into()),
        }
    }
}

impl From<audit::AuditError> for AdmissionError {
    fn from(error: audit::AuditError) -> Self {
        Self::Pool(error.into())
    }
}

impl From<crate::crypto::seal::SealError> for AdmissionError {
    fn from(error: crate::crypto::seal::SealError) -> Self {
        Self::Pool(error.into())
    }
}

/// An application as a list shows it: nothing that identifies the person.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ApplicationSummary {
    pub(crate) application_id: String,
    pub(crate) status: ApplicationStatus,
    pub(crate) specialties: Vec<String>,
    pub(crate) region_code: String,
    /// The nominating center's account, when a center nominated the person.
    pub(crate) nominated_by: Option<String>,
    pub(crate) recruiting_call_id: Option<String>,
    /// The reviewer's question while more is requested.
    pub(crate) question: Option<String>,
    /// Why it was refused.
    pub(crate) decision_reason: Option<String>,
    /// The record's id once approved.
    pub(crate) expert_id: Option<String>,
    pub(crate) term_years: Option<i32>,
    /// The term's first and last day (YYYY-MM-DD) once approved.
    pub(crate) term_start: Option<String>,
    pub(crate) term_end: Option<String>,
    /// The deciding admin's account and when they decided.
    pub(crate) decided_by: Option<String>,
    pub(crate) decided_at: Option<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// What the submitter gets once: the application's id and the access code to follow it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SubmittedApplication {
    #[serde(flatten)]
    pub(crate) application: ApplicationSummary,
    /// Shown once, kept only as its digest: send it as `X-Application-Code` to follow the
    /// application, answer a question or withdraw it.
    pub(crate) access_code: String,
}

/// What an admin reads to judge an application (a logged read): the evidence, the employer and
/// the ties, never the name, ID number or contact data.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct OpenedApplication {
    #[serde(flatten)]
    pub(crate) application: ApplicationSummary,
    pub(crate) evidence: Vec<SpecialtyEvidence>,
    pub(crate) employer: EmployerEntry,
    /// How many ties of each kind the applicant declared.
    #[schema(value_type = Object)]
    pub(crate) ties: BTreeMap<TieKind, usize>,
    pub(crate) declarations: Declarations,
    /// The applicant's latest answer to a question.
    pub(crate) supplement: Option<String>,
}

impl AdmissionService {
    pub(crate) fn new(deps: &Deps, exit_rules: ExitRules) -> Self {
        Self {
            exit_rules,
            pool: PoolService::new(deps),
            store: deps.store.clone(),
            clock: deps.clock.clone(),
            rng: deps.rng.clone(),
            keys: deps.keys.clone(),
        }
    }
}

pub(crate) struct AdmissionService {
    exit_rules: ExitRules,
    pool: PoolService,
    store: Store,
    clock: SharedClock,
    rng: Rng,
    keys: Arc<KeyRing>,
}

impl AdmissionService {
    pub(super) fn store(&self) -> &Store {
        &self.store
    }

    pub(super) fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub(super) fn pool(&self) -> &PoolService {
        &self.pool
    }

    pub(super) fn keys(&self) -> &KeyRing {
        &self.keys
    }

    pub(super) fn rng(&self) -> &Rng {
        &self.rng
    }

    pub(super) fn exit_rules(&self) -> ExitRules {
        self.exit_rules
    }

    /// Files an application: checked as an import line is, sealed at once, answered with an
    /// access code. `nominator` is the center that nominates the person, if one does.
    pub(crate) async fn submit(
        &self,
        nominator: Option<&Principal>,
        body: ApplicationBody,
    ) -> Result<SubmittedApplication, AdmissionError> {
        let known = self.pool.known_specialties().await?;
        let checked = SealedApplication::from_body(&body)
            .check(&known)
            .map_err(AdmissionError::Invalid)?;
        let call_id = body.recruiting_call_id.clone();
        drop(body);
        let now = self.clock.now_millis();
        if let Some(call_id) = &call_id {
            self.check_call_open(call_id, now).await?;
        }
        let id = uuid::Uuid::now_v7().to_string();
        let expert_id = uuid::Uuid::now_v7().to_string();
        let (field_key, sealed_key) = self.pool.new_record_key(&expert_id)?;
        let payload = Zeroizing::new(
            serde_json::to_vec(&checked.sealed).map_err(|e| corrupt(&e.to_string()))?,
        );
        let sealed_application =
            field_key.seal(&self.rng, &application_context(&expert_id, &id), &payload)?;
        let access_code = self.access_code()?;
        let id_number_index = self
            .keys
            .blind_index("id_number", checked.expert.id_number.normalised());
        let row = ApplicationRow {
            id: id.clone(),
            status: ApplicationStatus::Submitted,
            expert_id: expert_id.clone(),
            id_number_index: id_number_index.to_vec(),
            data_key: sealed_key,
            sealed_application,
            sealed_supplement: None,
            access_code_digest: self.keys.suite().hash(access_code.as_bytes()).to_vec(),
            specialties: checked.expert.specialties.join(";"),
            region_code: checked.expert.region_code.clone(),
            nominated_by: nominator.map(|center| center.account_id.clone()),
            recruiting_call_id: call_id.clone(),
            question: None,
            decision_reason: None,
            term_years: None,
            decided_by: None,
            decided_at: None,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.write().await?;
        if tx
            .expert_by_id_number_index(&id_number_index)
            .await?
            .is_some()
        {
            return Err(AdmissionError::AlreadyInPool);
        }
        if tx.open_application_exists(&id_number_index).await? {
            return Err(AdmissionError::AlreadyOpen);
        }
        tx.insert_application(&row).await?;
        let actor = nominator.map_or(Actor::System, Actor::of);
        let entry = AuditEntry::new("expert.applied", now, actor)
            .reference("application", &id)
            .data(
                "expert",
                self.pool.pseudonyms(std::slice::from_ref(&expert_id)),
            )
            .data("specialties", &checked.expert.specialties)
            .data("nominated", nominator.is_some())
            .data("recruiting_call", &call_id);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        tracing::info!(application = %id, nominated = nominator.is_some(), "application filed");
        Ok(SubmittedApplication {
            application: summary(row),
            access_code: access_code.to_string(),
        })
    }

    /// The applicant's view, with the access code; a wrong code is as an unknown id.
    pub(crate) async fn follow(
        &self,
        id: &str,
        access_code: &str,
    ) -> Result<ApplicationSummary, AdmissionError> {
        let mut tx = self.store.read().await?;
        let row = self.with_code(&mut tx, id, access_code).await?;
        tx.rollback().await?;
        Ok(summary(row))
    }

    /// The applicant answers the reviewer's question (sealed like the application).
    pub(crate) async fn supplement(
        &self,
        id: &str,
        access_code: &str,
        answer: &str,
    ) -> Result<ApplicationSummary, AdmissionError> {
        let answer = BoundedText::parse(answer, Lines::Many, 1..=2000)
            .map_err(|problem| bad_text("answer", problem, 2000))?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let row = self.with_code(&mut tx, id, access_code).await?;
        let to = moved(row.status, ApplicationAct::Supplement)?;
        let field_key = self.application_key(&row)?;
        let sealed = field_key.seal(
            &self.rng,
            &supplement_context(&row.expert_id, &row.id),
            answer.as_str().as_bytes(),
        )?;
        let change = ApplicationChange {
            sealed_supplement: Some(&sealed),
            ..change(row.status, to, now)
        };
        self.settle(&mut tx, &row, &change).await?;
        let entry = AuditEntry::new("expert.application_supplemented", now, Actor::System)
            .reference("application", &row.id)
            .data("by", "applicant")
            .data("expert", self.pseudonym(&row));
        self.finish(tx, entry, &row.id).await
    }

    /// The applicant withdraws an open application.
    pub(crate) async fn withdraw(
        &self,
        id: &str,
        access_code: &str,
    ) -> Result<ApplicationSummary, AdmissionError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let row = self.with_code(&mut tx, id, access_code).await?;
        let to = moved(row.status, ApplicationAct::Withdraw)?;
        self.settle(&mut tx, &row, &change(row.status, to, now))
            .await?;
        let entry = AuditEntry::new("expert.application_withdrawn", now, Actor::System)
            .reference("application", &row.id)
            .data("by", "applicant")
            .data("expert", self.pseudonym(&row));
        self.finish(tx, entry, &row.id).await
    }

    /// Applications newest first, nothing identifying (admins).
    pub(crate) async fn list(
        &self,
        status: Option<ApplicationStatus>,
        limit: i64,
    ) -> Result<Vec<ApplicationSummary>, AdmissionError> {
        let mut tx = self.store.read().await?;
        let rows = tx.applications(status, limit.clamp(1, 200)).await?;
        tx.rollback().await?;
        Ok(rows.into_iter().map(summary).collect())
    }

    /// Opens an application to judge it (a logged read); the first opening puts it under review.
    pub(crate) async fn open(
        &self,
        admin: &Principal,
        id: &str,
    ) -> Result<OpenedApplication, AdmissionError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let mut row = tx.application(id).await?.ok_or(AdmissionError::NotFound)?;
        let to = moved(row.status, ApplicationAct::Open)?;
        if to != row.status {
            self.settle(&mut tx, &row, &change(row.status, to, now))
                .await?;
            row.status = to;
        }
        let field_key = self.application_key(&row)?;
        let values = self.opened_values(&field_key, &row)?;
        let supplement = row
            .sealed_supplement
            .as_deref()
            .map(|sealed| {
                field_key
                    .open(&supplement_context(&row.expert_id, &row.id), sealed)
                    .map(|plain| String::from_utf8_lossy(&plain).into_owned())
            })
            .transpose()?;
        let entry = AuditEntry::new("expert.application_opened", now, Actor::of(admin))
            .reference("application", &row.id)
            .data("expert", self.pseudonym(&row));
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        let mut ties = BTreeMap::new();
        for tie in &values.ties {
            *ties.entry(tie.kind).or_default() += 1;
        }
        Ok(OpenedApplication {
            evidence: values.specialties.clone(),
            employer: values.employer.clone(),
            ties,
            declarations: values.declarations,
            supplement,
            application: summary(row),
        })
    }

    /// Asks the applicant for more (10 to 500 characters, shown to them).
    pub(crate) async fn request_more(
        &self,
        admin: &Principal,
        id: &str,
        question: &str,
    ) -> Result<ApplicationSummary, AdmissionError> {
        let question = check_reason("question", question)?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let row = tx.application(id).await?.ok_or(AdmissionError::NotFound)?;
        let to = moved(row.status, ApplicationAct::RequestMore)?;
        let change = ApplicationChange {
            question: Some(question.as_str()),
            ..change(row.status, to, now)
        };
        self.settle(&mut tx, &row, &change).await?;
        // Free text a person typed: the log commits to it, the application keeps it.
        let entry = AuditEntry::new("expert.application_more_requested", now, Actor::of(admin))
            .reference("application", &row.id)
            .data("expert", self.pseudonym(&row))
            .data(
                &tx.suite().digest_field("question"),
                tx.suite().hex_hash(question.as_str().as_bytes()),
            );
        self.finish(tx, entry, &row.id).await
    }

    /// Refuses an application, saying why (10 to 500 characters, shown to the applicant).
    pub(crate) async fn refuse(
        &self,
        admin: &Principal,
        id: &str,
        reason: &str,
    ) -> Result<ApplicationSummary, AdmissionError> {
        let reason = check_reason("reason", reason)?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let row = tx.application(id).await?.ok_or(AdmissionError::NotFound)?;
        let to = moved(row.status, ApplicationAct::Refuse)?;
        let change = ApplicationChange {
            decision_reason: Some(reason.as_str()),
            decided_by: Some(&admin.account_id),
            ..change(row.status, to, now)
        };
        self.settle(&mut tx, &row, &change).await?;
        let entry = AuditEntry::new("expert.application_refused", now, Actor::of(admin))
            .reference("application", &row.id)
            .data("expert", self.pseudonym(&row))
            .data(
                &tx.suite().digest_field("reason"),
                tx.suite().hex_hash(reason.as_str().as_bytes()),
            );
        self.finish(tx, entry, &row.id).await
    }

    /// Approves an application under review, in one transaction: the record (as an import
    /// writes it, status active) with its term, the expert's login (`login`, prepared by
    /// `AuthService::prepare_logins`) linked to it, and the SMS carrying its activation code.
    pub(crate) async fn approve(
        &self,
        admin: &Principal,
        id: &str,
        term_years: Option<i32>,
        login: &PreparedLogin,
    ) -> Result<ApplicationSummary, AdmissionError> {
        let term_years = term_years.unwrap_or(DEFAULT_TERM_YEARS);
        if !(1..=MAX_TERM_YEARS).contains(&term_years) {
            return Err(AdmissionError::BadField {
                field: "term_years",
                problem: format!("must be a whole number from 1 to {MAX_TERM_YEARS}"),
            });
        }
        let now = self.clock.now_millis();
        let known = self.pool.known_specialties().await?;
        let mut tx = self.store.write().await?;
        let row = tx.application(id).await?.ok_or(AdmissionError::NotFound)?;
        let to = moved(row.status, ApplicationAct::Approve)?;
        let field_key = self.application_key(&row)?;
        // Checked again: a rule tightened since arrival is not bypassed by an old application.
        let checked = self
            .opened_values(&field_key, &row)?
            .check(&known)
            .map_err(AdmissionError::Invalid)?;
        if tx
            .expert_by_id_number_index(&row.id_number_index)
            .await?
            .is_some()
        {
            return Err(AdmissionError::AlreadyInPool);
        }
        self.pool
            .write_new_expert(&mut tx, &checked.expert, now, &row.expert_id, &row.data_key)
            .await?;
        let (term_start, term_end) = term(beijing_day(now), term_years);
        tx.set_expert_term(
            &row.expert_id,
            &term_start.to_string(),
            &term_end.to_string(),
            now,
        )
        .await?;
        let account_entry = record_prepared_login(&mut tx, login, Actor::of(admin), now).await?;
        tx.link_expert_account(&row.expert_id, &login.account_id)
            .await?;
        let change = ApplicationChange {
            term_years: Some(term_years),
            decided_by: Some(&admin.account_id),
            ..change(row.status, to, now)
        };
        self.settle(&mut tx, &row, &change).await?;
        audit::append(&mut tx, &account_entry.data("for", "admitted_expert")).await?;
        let entry = AuditEntry::new("expert.application_approved", now, Actor::of(admin))
            .reference("application", &row.id)
            .reference("account", login.account_id.as_str())
            .data("expert", self.pseudonym(&row))
            .data("term_start", term_start.to_string())
            .data("term_end", term_end.to_string());
        audit::append(&mut tx, &entry).await?;
        outbox::enqueue(
            &mut tx,
            &self.keys,
            &self.rng,
            now,
            &NewNotification {
                expert_id: row.expert_id.clone(),
                template: ADMITTED_TEMPLATE,
                params: TemplateParams::new()
                    .with("username", login.username.as_str())
                    .with("code", login.code.as_str())
                    .with("activate_by", beijing_day(login.expires_at).to_string())
                    .with("term_end", term_end.to_string()),
                subject_kind: "application",
                subject_id: row.id.clone(),
            },
        )
        .await?;
        let settled = tx
            .application(&row.id)
            .await?
            .ok_or(AdmissionError::NotFound)?;
        tx.commit().await?;
        tracing::info!(application = %row.id, "application approved");
        Ok(summary(settled))
    }

    async fn with_code(
        &self,
        tx: &mut Tx,
        id: &str,
        access_code: &str,
    ) -> Result<ApplicationRow, AdmissionError> {
        let digest = self.keys.suite().hash(access_code.trim().as_bytes());
        match tx.application(id).await? {
            Some(row) if constant_time_eq(&digest, &row.access_code_digest) => Ok(row),
            _ => Err(AdmissionError::NotFound),
        }
    }

    async fn settle(
        &self,
        tx: &mut Tx,
        row: &ApplicationRow,
        change: &ApplicationChange<'_>,
    ) -> Result<(), AdmissionError> {
        if tx.change_application(&row.id, change).await? {
            Ok(())
        } else {
            // Another reviewer, or the applicant, moved it first; say where it is now.
            let now = tx
                .application(&row.id)
                .await?
                .ok_or(AdmissionError::NotFound)?;
            Err(AdmissionError::WrongState {
                from: now.status,
                act: "this act",
            })
        }
    }

    async fn finish(
        &self,
        mut tx: Tx,
        entry: AuditEntry,
        id: &str,
    ) -> Result<ApplicationSummary, AdmissionError> {
        audit::append(&mut tx, &entry).await?;
        let row = tx.application(id).await?.ok_or(AdmissionError::NotFound)?;
        tx.commit().await?;
        Ok(summary(row))
    }

    fn application_key(&self, row: &ApplicationRow) -> Result<SealingKey, AdmissionError> {
        Ok(self.pool.open_data_key(&row.expert_id, &row.data_key)?)
    }

    fn opened_values(
        &self,
        field_key: &SealingKey,
        row: &ApplicationRow,
    ) -> Result<SealedApplication, AdmissionError> {
        let plain = Zeroizing::new(field_key.open(
            &application_context(&row.expert_id, &row.id),
            &row.sealed_application,
        )?);
        serde_json::from_slice(&plain).map_err(|e| corrupt(&e.to_string()))
    }

    fn pseudonym(&self, row: &ApplicationRow) -> Vec<String> {
        self.pool.pseudonyms(std::slice::from_ref(&row.expert_id))
    }

    /// 128 random bits, written as 26 base32 letters and digits.
    fn access_code(&self) -> Result<Zeroizing<String>, AdmissionError> {
        let mut bytes = Zeroizing::new([0u8; 16]);
        self.rng
            .fill(bytes.as_mut())
            .map_err(|_| AdmissionError::Pool(PoolError::Randomness))?;
        Ok(Zeroizing::new(
            crate::auth::totp::base32_secret(bytes.as_ref()).to_lowercase(),
        ))
    }
}

/// The act's next state, or the conflict naming where the application is.
fn moved(
    from: ApplicationStatus,
    act: ApplicationAct,
) -> Result<ApplicationStatus, AdmissionError> {
    from.after(act).ok_or(AdmissionError::WrongState {
        from,
        act: act.name(),
    })
}

fn change(
    from: ApplicationStatus,
    to: ApplicationStatus,
    now: Millis,
) -> ApplicationChange<'static> {
    ApplicationChange {
        from,
        to,
        question: None,
        sealed_supplement: None,
        decision_reason: None,
        term_years: None,
        decided_by: None,
        now,
    }
}

fn summary(row: ApplicationRow) -> ApplicationSummary {
    let approved = row.status == ApplicationStatus::Approved;
    // The term approval wrote, from the same day and length.
    let term = match (approved, row.decided_at, row.term_years) {
        (true, Some(at), Some(years)) => Some(term(beijing_day(at), years)),
        _ => None,
    };
    ApplicationSummary {
        application_id: row.id,
        status: row.status,
        specialties: row
            .specialties
            .split(';')
            .filter(|code| !code.is_empty())
            .map(str::to_owned)
            .collect(),
        region_code: row.region_code,
        nominated_by: row.nominated_by,
        recruiting_call_id: row.recruiting_call_id,
        question: (row.status == ApplicationStatus::MoreRequested)
            .then_some(row.question)
            .flatten(),
        decision_reason: row.decision_reason,
        expert_id: approved.then_some(row.expert_id),
        term_years: row.term_years,
        term_start: term.map(|(start, _)| start.to_string()),
        term_end: term.map(|(_, end)| end.to_string()),
        decided_by: row.decided_by,
        decided_at: row.decided_at.map(to_rfc3339),
        created_at: to_rfc3339(row.created_at),
        updated_at: to_rfc3339(row.updated_at),
    }
}

/// A term of `years` from `start`: its first and last day (three years from 2026-12-06 end on
/// 2029-12-05).
pub(crate) fn term(start: NaiveDate, years: i32) -> (NaiveDate, NaiveDate) {
    let months = u32::try_from(years.max(0)).unwrap_or(0) * 12;
    let end = start
        .checked_add_months(Months::new(months))
        .and_then(|day| day.pred_opt())
        .unwrap_or(start);
    (start, end)
}

/// The calendar day in Beijing at `millis`: terms run by the province's days.
pub(crate) fn beijing_day(millis: Millis) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(millis + 8 * 3_600_000)
        .map_or_else(NaiveDate::default, |t| t.date_naive())
}

/// The application's values are bound to their future record and the application, so a
/// ciphertext moved to another row does not open.
fn application_context(expert_id: &str, application_id: &str) -> String {
    field_context(expert_id, &format!("application/{application_id}"))
}

fn supplement_context(expert_id: &str, application_id: &str) -> String {
    field_context(
        expert_id,
        &format!("application/{application_id}/supplement"),
    )
}

/// A question or a refusal's reason: 10 to 500 characters on one line.
fn check_reason(field: &'static str, text: &str) -> Result<BoundedText, AdmissionError> {
    BoundedText::parse(text, Lines::One, 10..=500).map_err(|problem| match problem {
        TextProblem::Character(problem) => AdmissionError::BadField { field, problem },
        TextProblem::Length { .. } => AdmissionError::BadField {
            field,
            problem: "give 10 to 500 characters".into(),
        },
    })
}

fn bad_text(field: &'static str, problem: TextProblem, max: usize) -> AdmissionError {
    let problem = match problem {
        TextProblem::Character(problem) => problem,
        TextProblem::Length { chars: 0, .. } => "is required".into(),
        TextProblem::Length { .. } => format!("must be at most {max} characters"),
    };
    AdmissionError::BadField { field, problem }
}

pub(super) fn corrupt(what: &str) -> AdmissionError {
    AdmissionError::Pool(PoolError::Store(StoreError::Corrupt(format!(
        "application: {what}"
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_ends_the_day_before_its_anniversary() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            term(day(2026, 12, 6), 3),
            (day(2026, 12, 6), day(2029, 12, 5))
        );
        assert_eq!(
            beijing_day(
                day(2026, 12, 6)
                    .and_hms_opt(17, 0, 0)
                    .unwrap()
                    .and_utc()
                    .timestamp_millis()
            ),
            day(2026, 12, 7)
        );
    }
}
