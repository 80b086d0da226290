//! An expert's own record: the one place an identity is shown without an unseal, to the person
//! it belongs to, and recorded like any other read. Experts keep their leave periods, employer
//! history, address and bank account up to date here, and may declare more relatives'
//! employers; contact data, and dropping a relative's employer, go through a change request an
//! admin approves (docs/POOL.md).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::change_request::{ChangeRequestError, OpenedChangeRequest};
use super::service::{PoolError, PoolService, field_context};
use super::validate::CreditCode;
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::store::Tx;
use crate::text::{BoundedText, Lines};

#[derive(Debug, thiserror::Error)]
pub(crate) enum OwnRecordError {
    #[error("this account is not linked to an expert record")]
    NotLinked,
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("that expert already has a login")]
    AlreadyLinked,
    #[error("no such expert")]
    NoSuchExpert,
    #[error("an expert who is {from} cannot become {to}")]
    Transition {
        from: ExpertStatus,
        to: ExpertStatus,
    },
    #[error(transparent)]
    Pool(#[from] PoolError),
}

impl From<crate::store::StoreError> for OwnRecordError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::Pool(error.into())
    }
}

impl From<audit::AuditError> for OwnRecordError {
    fn from(error: audit::AuditError) -> Self {
        Self::Pool(error.into())
    }
}

impl From<crate::crypto::seal::SealError> for OwnRecordError {
    fn from(error: crate::crypto::seal::SealError) -> Self {
        Self::Pool(error.into())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LeavePeriod {
    /// First day away (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub(crate) from: NaiveDate,
    /// Last day away (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub(crate) to: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmploymentPeriod {
    pub(crate) credit_code: String,
    #[schema(value_type = String, format = Date)]
    pub(crate) from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub(crate) to: NaiveDate,
}

/// What an expert may change about themselves; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OwnRecordChanges {
    /// Refused: a new phone goes through a change request (`contact`), which an admin approves.
    pub(crate) phone: Option<String>,
    /// Refused: a new e-mail address goes through a change request (`contact`).
    pub(crate) email: Option<String>,
    pub(crate) leave: Option<Vec<LeavePeriod>>,
    /// Unified social credit codes of relatives' employers (for conflict-of-interest
    /// avoidance): the whole new list, which must keep every code on record — dropping one
    /// lowers avoidance, so it goes through a change request.
    pub(crate) relatives_employers: Option<Vec<String>>,
    pub(crate) employer_history: Option<Vec<EmploymentPeriod>>,
    /// Postal address, up to 200 characters.
    pub address: Option<String>,
    /// Bank account number for evaluation fees: 12 to 30 digits.
    pub(crate) bank_account: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct OwnRecord {
    pub expert_id: String,
    pub region_code: String,
    pub(crate) specialties: Vec<String>,
    #[schema(value_type = String)]
    pub(crate) status: ExpertStatus,
    /// The last day of a suspension, while suspended.
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) suspended_until: Option<NaiveDate>,
    /// The term of appointment, first and last day (YYYY-MM-DD); absent for a record imported
    /// before terms.
    pub(crate) term_start: Option<String>,
    pub(crate) term_end: Option<String>,
    /// A, B or C, from the last confirmed annual assessment.
    #[schema(value_type = String)]
    pub(crate) tier: crate::pool::assessment::Tier,
    /// The sealed fields, opened for their owner.
    #[schema(value_type = Object)]
    pub identity: BTreeMap<String, String>,
    pub leave: Vec<LeavePeriod>,
    /// The latest requests to change the employer or ties (newest first), with what each
    /// asked for; the record above holds only what was approved.
    pub(crate) change_requests: Vec<OpenedChangeRequest>,
}

const OWNER_READABLE: [&str; 7] = [
    "name",
    "phone",
    "email",
    "employer",
    "employer_history",
    "relatives_employers",
    "ties",
];

impl PoolService {
    /// Links an issued login to an expert record (once).
    pub(crate) async fn link_login(
        &self,
        expert_id: &str,
        account_id: &str,
        actor: Actor,
    ) -> Result<(), OwnRecordError> {
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        match tx.expert_account(expert_id).await? {
            None => return Err(OwnRecordError::NoSuchExpert),
            Some(Some(_)) => return Err(OwnRecordError::AlreadyLinked),
            Some(None) => {}
        }
        tx.link_expert_account(expert_id, account_id).await?;
        let entry = AuditEntry::new("expert.login_issued", now, actor)
            .reference("account", account_id)
            .data("expert", self.pseudonyms(&[expert_id.to_owned()]));
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn expert_has_login(&self, expert_id: &str) -> Result<bool, OwnRecordError> {
        let mut tx = self.store().read().await?;
        let linked = tx.expert_account(expert_id).await?;
        tx.rollback().await?;
        match linked {
            None => Err(OwnRecordError::NoSuchExpert),
            Some(account) => Ok(account.is_some()),
        }
    }

    pub(crate) async fn own_record(&self, owner: &Principal) -> Result<OwnRecord, OwnRecordError> {
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        let expert_id = tx
            .expert_of_account(&owner.account_id)
            .await?
            .ok_or(OwnRecordError::NotLinked)?;
        let row = tx
            .expert(&expert_id)
            .await?
            .ok_or(OwnRecordError::NotLinked)?;
        let specialties = tx.expert_specialties(&expert_id).await?;
        let identity = self
            .open_fields(&mut tx, &expert_id, &OWNER_READABLE)
            .await?
            .ok_or(OwnRecordError::NotLinked)?;
        let leave = tx
            .expert_leave(&expert_id)
            .await?
            .into_iter()
            .map(|(from, to)| LeavePeriod {
                from: day_of(from),
                to: last_day_before(to),
            })
            .collect();
        let change_requests = self
            .own_change_requests(&mut tx, &expert_id)
            .await
            .map_err(|error| match error {
                ChangeRequestError::Pool(error) => OwnRecordError::Pool(error),
                _ => OwnRecordError::NotLinked,
            })?;
        audit::append(
            &mut tx,
            &AuditEntry::new("expert.own_record_viewed", now, Actor::of(owner)),
        )
        .await?;
        tx.commit().await?;
        Ok(OwnRecord {
            expert_id,
            region_code: row.region_code,
            specialties,
            status: row.status,
            suspended_until: row.suspended_until.map(last_day_before),
            term_start: row.term_start,
            term_end: row.term_end,
            tier: row.tier,
            identity,
            leave,
            change_requests,
        })
    }

    /// The expert changes their own record: every field is parsed first ([`CheckedChanges`]),
    /// then the changed ones are sealed, their blind indexes and lists replaced, and the
    /// change logged, naming the fields changed and nothing of their values.
    pub(crate) async fn update_own_record(
        &self,
        owner: &Principal,
        changes: OwnRecordChanges,
    ) -> Result<OwnRecord, OwnRecordError> {
        let now = self.clock().now_millis();
        let changes = CheckedChanges::parse(changes)?;
        let mut tx = self.store().write().await?;
        let expert_id = tx
            .expert_of_account(&owner.account_id)
            .await?
            .ok_or(OwnRecordError::NotLinked)?;
        let sealed_key = tx
            .expert_data_key(&expert_id)
            .await?
            .ok_or(OwnRecordError::NotLinked)?;
        let field_key = self.open_data_key(&expert_id, &sealed_key)?;
        if let Some(codes) = &changes.relatives {
            let on_record = self
                .open_fields(&mut tx, &expert_id, &["relatives_employers"])
                .await?
                .unwrap_or_default();
            let on_record: Vec<String> = on_record
                .get("relatives_employers")
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or_default();
            if on_record
                .iter()
                .any(|kept| !codes.iter().any(|code| code.as_str() == kept))
            {
                return Err(invalid(
                    "relatives_employers",
                    "dropping a relative's employer lowers avoidance: ask for it by a change request (POST /api/v1/me/expert/change-requests)".into(),
                ));
            }
        }
        let mut changed = Vec::new();
        let mut sealed = Vec::new();
        for (field, value) in changes.sealed_values() {
            changed.push(field);
            let context = field_context(&expert_id, field);
            sealed.push((
                field,
                field_key.seal(self.rng(), &context, value.as_bytes())?,
            ));
        }
        if changes.leave.is_some() {
            changed.push("leave");
        }
        for (field, ciphertext) in &sealed {
            tx.upsert_sealed_field(&expert_id, field, ciphertext)
                .await?;
        }
        self.write_own_indexes(&mut tx, &expert_id, &changes)
            .await?;
        let entry = AuditEntry::new("expert.own_record_updated", now, Actor::of(owner))
            .data("fields", &changed);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        self.own_record(owner).await
    }

    /// What the changes mean besides their sealed values: the relatives' and past employers'
    /// indexes the avoidance rules match, the leave periods.
    async fn write_own_indexes(
        &self,
        tx: &mut Tx,
        expert_id: &str,
        changes: &CheckedChanges,
    ) -> Result<(), OwnRecordError> {
        let credit_index =
            |code: &CreditCode| self.keys().blind_index("credit_code", code.as_str());
        if let Some(codes) = &changes.relatives {
            let indexes: Vec<[u8; 32]> = codes.iter().map(credit_index).collect();
            tx.replace_expert_relatives(expert_id, &indexes).await?;
        }
        if let Some(history) = &changes.history {
            let periods: Vec<_> = history
                .iter()
                .map(|(code, from, to)| (credit_index(code), from.to_string(), to.to_string()))
                .collect();
            tx.replace_expert_past_employers(expert_id, &periods)
                .await?;
        }
        if let Some(leave) = &changes.leave {
            let periods: Vec<(i64, i64)> = leave
                .iter()
                .map(|p| (start_of(p.from), start_of(p.to) + 86_400_000))
                .collect();
            tx.replace_expert_leave(expert_id, &periods).await?;
        }
        Ok(())
    }
}

/// At most this many leave periods, relatives' employers or past employers.
const MAX_LIST_ENTRIES: usize = 50;

/// An own-record update with every field parsed; `None` leaves a field as it is.
struct CheckedChanges {
    relatives: Option<Vec<CreditCode>>,
    /// Past employers with the first and last day of each period.
    history: Option<Vec<(CreditCode, NaiveDate, NaiveDate)>>,
    address: Option<BoundedText>,
    /// Digits only.
    bank_account: Option<String>,
    leave: Option<Vec<LeavePeriod>>,
}

impl CheckedChanges {
    /// Parses each field in turn; the first problem is the answer, naming its field.
    fn parse(changes: OwnRecordChanges) -> Result<Self, OwnRecordError> {
        fn field<T, U>(
            name: &'static str,
            value: Option<T>,
            parse: impl FnOnce(T) -> Result<U, String>,
        ) -> Result<Option<U>, OwnRecordError> {
            value
                .map(parse)
                .transpose()
                .map_err(|problem| invalid(name, problem))
        }
        // Invitations and their answers travel by these, so a new one is an admin's to
        // approve, as the issue asks; the console sends them as a change request.
        for (name, value) in [("phone", &changes.phone), ("email", &changes.email)] {
            if value.is_some() {
                return Err(invalid(
                    name,
                    "changes by a change request an admin approves (POST /api/v1/me/expert/change-requests, contact)".into(),
                ));
            }
        }
        let relatives = field(
            "relatives_employers",
            changes.relatives_employers.as_deref(),
            parse_credit_codes,
        )?;
        let history = field(
            "employer_history",
            changes.employer_history.as_deref(),
            parse_employment,
        )?;
        let address = field("address", changes.address.as_deref(), |address| {
            Ok(BoundedText::parse(address, Lines::One, 1..=200)?)
        })?;
        let bank_account = field(
            "bank_account",
            changes.bank_account.as_deref(),
            parse_bank_account,
        )?;
        let leave = field("leave", changes.leave, parse_leave)?;
        for (name, entries) in [
            ("relatives_employers", relatives.as_ref().map(Vec::len)),
            ("employer_history", history.as_ref().map(Vec::len)),
        ] {
            if entries.is_some_and(|n| n > MAX_LIST_ENTRIES) {
                return Err(invalid(name, "give at most 50 entries".into()));
            }
        }
        Ok(Self {
            relatives,
            history,
            address,
            bank_account,
            leave,
        })
    }

    /// The sealed fields that change, with their new plaintext, in the order the log names
    /// them.
    fn sealed_values(&self) -> Vec<(&'static str, String)> {
        let mut values = Vec::new();
        if let Some(codes) = &self.relatives {
            let list: Vec<&str> = codes.iter().map(CreditCode::as_str).collect();
            let json = serde_json::to_string(&list).unwrap_or_default();
            values.push(("relatives_employers", json));
        }
        if let Some(history) = &self.history {
            let list: Vec<serde_json::Value> = history
                .iter()
                .map(|(code, from, to)| {
                    serde_json::json!({
                        "credit_code": code.as_str(),
                        "from": from.to_string(),
                        "to": to.to_string(),
                    })
                })
                .collect();
            values.push((
                "employer_history",
                serde_json::Value::Array(list).to_string(),
            ));
        }
        if let Some(address) = &self.address {
            values.push(("address", address.as_str().to_owned()));
        }
        if let Some(account) = &self.bank_account {
            values.push(("bank_account", account.clone()));
        }
        values
    }
}

fn parse_credit_codes(codes: &[String]) -> Result<Vec<CreditCode>, String> {
    codes.iter().map(|code| CreditCode::parse(code)).collect()
}

fn parse_employment(
    periods: &[EmploymentPeriod],
) -> Result<Vec<(CreditCode, NaiveDate, NaiveDate)>, String> {
    periods
        .iter()
        .map(|period| {
            let code = CreditCode::parse(&period.credit_code)?;
            if period.from > period.to {
                return Err("a period ends before it starts".to_owned());
            }
            Ok((code, period.from, period.to))
        })
        .collect()
}

/// An account number for evaluation fees: 12 to 30 digits, spaces dropped.
fn parse_bank_account(text: &str) -> Result<String, String> {
    let account: String = text.chars().filter(|c| *c != ' ').collect();
    if (12..=30).contains(&account.len()) && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(account)
    } else {
        Err("must be 12 to 30 digits".into())
    }
}

fn parse_leave(periods: Vec<LeavePeriod>) -> Result<Vec<LeavePeriod>, String> {
    if periods.len() > MAX_LIST_ENTRIES || periods.iter().any(|p| p.from > p.to) {
        return Err("give at most 50 periods, each ending on or after its first day".into());
    }
    Ok(periods)
}

fn invalid(field: &'static str, problem: String) -> OwnRecordError {
    OwnRecordError::Invalid { field, problem }
}

/// Leave periods are whole days in China Standard Time (UTC+8), stored as UTC milliseconds.
fn start_of(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis())
        - 8 * 3_600_000
}

/// The province's day before the instant `end`: the last day of a period stored, as
/// suspensions and leave are, by its exclusive end.
pub(crate) fn last_day_before(end: crate::clock::Millis) -> NaiveDate {
    day_of(end - 1)
}

fn day_of(millis: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(millis + 8 * 3_600_000)
        .map_or_else(NaiveDate::default, |t| t.date_naive())
}

crate::store::text_enum::text_enum! {
    /// An expert's standing in the pool, set by an admin.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub(crate) enum ExpertStatus {
        Active = "active",
        /// Not drawn until `suspended_until`.
        Suspended = "suspended",
        Retired = "retired",
        Removed = "removed",
    }
}

impl ExpertStatus {
    /// Whether an admin may move an expert from this standing to `to` (docs/POOL.md, "Joining
    /// and leaving the pool"): a suspension may be changed or lifted; a retired expert may be
    /// reinstated; removal is final.
    pub(crate) const fn may_become(self, to: Self) -> bool {
        use ExpertStatus::*;
        matches!(
            (self, to),
            (Active, Suspended | Retired | Removed)
                | (Suspended, Active | Suspended | Retired | Removed)
                | (Retired, Active | Removed)
        )
    }
}

impl PoolService {
    pub(crate) async fn set_status(
        &self,
        actor: &Principal,
        expert_id: &str,
        status: ExpertStatus,
        suspended_until: Option<NaiveDate>,
        reason_code: &str,
    ) -> Result<(), OwnRecordError> {
        let until = match (status, suspended_until) {
            (ExpertStatus::Suspended, Some(day)) => Some(start_of(day) + 86_400_000),
            (ExpertStatus::Suspended, None) => {
                return Err(invalid(
                    "suspended_until",
                    "a suspension needs an end date".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(invalid(
                    "suspended_until",
                    "only a suspension has an end date".into(),
                ));
            }
            (_, None) => None,
        };
        if reason_code.is_empty()
            || reason_code.len() > 40
            || !reason_code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_')
        {
            return Err(invalid(
                "reason_code",
                "must be a short code such as penalty, credit_score, request, age".into(),
            ));
        }
        let now = self.clock().now_millis();
        let mut tx = self.store().write().await?;
        let from = tx
            .expert(expert_id)
            .await?
            .ok_or(OwnRecordError::NoSuchExpert)?
            .status;
        if !from.may_become(status) {
            return Err(OwnRecordError::Transition { from, to: status });
        }
        if !tx.set_expert_status(expert_id, status, until, now).await? {
            return Err(OwnRecordError::NoSuchExpert);
        }
        let entry = AuditEntry::new("expert.status_changed", now, Actor::of(actor))
            .data("expert", self.pseudonyms(&[expert_id.to_owned()]))
            .data("from", from.as_str())
            .data("status", status.as_str())
            .data("reason_code", reason_code);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
