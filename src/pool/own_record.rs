//! An expert's own record: the one place an identity is shown without an unseal, to the person
//! it belongs to, and recorded like any other read. Experts keep their contact details, leave
//! periods, declared relatives' employers and employer history up to date here.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::service::{PoolError, PoolService, field_context};
use super::validate::{CreditCode, Phone, parse_email};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;

#[derive(Debug, thiserror::Error)]
pub enum OwnRecordError {
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
pub struct LeavePeriod {
    /// First day away (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Last day away (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmploymentPeriod {
    pub credit_code: String,
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
}

/// What an expert may change about themselves; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnRecordChanges {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub leave: Option<Vec<LeavePeriod>>,
    /// Unified social credit codes of relatives' employers (for conflict-of-interest avoidance).
    pub relatives_employers: Option<Vec<String>>,
    pub employer_history: Option<Vec<EmploymentPeriod>>,
    /// Postal address, up to 200 characters.
    pub address: Option<String>,
    /// Bank account number for evaluation fees: 12 to 30 digits.
    pub bank_account: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OwnRecord {
    pub expert_id: String,
    pub region_code: String,
    pub specialties: Vec<String>,
    #[schema(value_type = String)]
    pub status: ExpertStatus,
    /// The sealed fields, opened for their owner.
    #[schema(value_type = Object)]
    pub identity: BTreeMap<String, String>,
    pub leave: Vec<LeavePeriod>,
}

const OWNER_READABLE: [&str; 6] = [
    "name",
    "phone",
    "email",
    "employer",
    "employer_history",
    "relatives_employers",
];

impl PoolService {
    /// Links an issued login to an expert record (once).
    pub async fn link_login(
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

    pub async fn expert_has_login(&self, expert_id: &str) -> Result<bool, OwnRecordError> {
        let mut tx = self.store().read().await?;
        let linked = tx.expert_account(expert_id).await?;
        tx.rollback().await?;
        match linked {
            None => Err(OwnRecordError::NoSuchExpert),
            Some(account) => Ok(account.is_some()),
        }
    }

    pub async fn own_record(&self, owner: &Principal) -> Result<OwnRecord, OwnRecordError> {
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
                to: day_of(to - 1),
            })
            .collect();
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
            identity,
            leave,
        })
    }

    pub async fn update_own_record(
        &self,
        owner: &Principal,
        changes: OwnRecordChanges,
    ) -> Result<OwnRecord, OwnRecordError> {
        let now = self.clock().now_millis();
        let phone = changes
            .phone
            .as_deref()
            .map(Phone::parse)
            .transpose()
            .map_err(|problem| invalid("phone", problem))?;
        let email = changes
            .email
            .as_deref()
            .map(parse_email)
            .transpose()
            .map_err(|problem| invalid("email", problem))?;
        let relatives = changes
            .relatives_employers
            .as_ref()
            .map(|codes| {
                codes
                    .iter()
                    .map(|c| CreditCode::parse(c))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
            .map_err(|problem| invalid("relatives_employers", problem))?;
        let history = changes
            .employer_history
            .as_ref()
            .map(|periods| {
                periods
                    .iter()
                    .map(|p| {
                        let code = CreditCode::parse(&p.credit_code)?;
                        if p.from > p.to {
                            return Err("a period ends before it starts".to_owned());
                        }
                        Ok((code, p.from, p.to))
                    })
                    .collect::<Result<Vec<_>, String>>()
            })
            .transpose()
            .map_err(|problem| invalid("employer_history", problem))?;
        if let Some(address) = &changes.address {
            crate::text::check(address, crate::text::Lines::One)
                .map_err(|problem| invalid("address", problem))?;
            if !(1..=200).contains(&address.trim().chars().count()) {
                return Err(invalid("address", "must be 1 to 200 characters".into()));
            }
        }
        let bank_account: Option<String> = changes
            .bank_account
            .as_ref()
            .map(|a| a.chars().filter(|c| *c != ' ').collect());
        if let Some(account) = &bank_account
            && (!(12..=30).contains(&account.len()) || !account.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(invalid("bank_account", "must be 12 to 30 digits".into()));
        }
        if let Some(leave) = &changes.leave
            && (leave.len() > 50 || leave.iter().any(|p| p.from > p.to))
        {
            return Err(invalid(
                "leave",
                "give at most 50 periods, each ending on or after its first day".into(),
            ));
        }
        for (name, list) in [
            ("relatives_employers", relatives.as_ref().map(Vec::len)),
            ("employer_history", history.as_ref().map(Vec::len)),
        ] {
            if list.is_some_and(|n| n > 50) {
                return Err(invalid(name, "give at most 50 entries".into()));
            }
        }

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
        let mut changed = Vec::new();
        let mut seal = |field: &'static str,
                        value: String|
         -> Result<(&'static str, Vec<u8>), OwnRecordError> {
            changed.push(field);
            Ok((
                field,
                field_key.seal(
                    self.rng(),
                    &field_context(&expert_id, field),
                    value.as_bytes(),
                )?,
            ))
        };
        let mut sealed = Vec::new();
        if let Some(phone) = &phone {
            sealed.push(seal("phone", phone.normalised().to_owned())?);
        }
        if let Some(email) = email {
            sealed.push(seal("email", email)?);
        }
        if let Some(codes) = &relatives {
            let list: Vec<&str> = codes.iter().map(CreditCode::as_str).collect();
            sealed.push(seal(
                "relatives_employers",
                serde_json::to_string(&list).unwrap_or_default(),
            )?);
        }
        if let Some(history) = &history {
            let list: Vec<serde_json::Value> = history
                .iter()
                .map(|(code, from, to)| serde_json::json!({"credit_code": code.as_str(), "from": from.to_string(), "to": to.to_string()}))
                .collect();
            sealed.push(seal(
                "employer_history",
                serde_json::Value::Array(list).to_string(),
            )?);
        }
        if let Some(address) = &changes.address {
            sealed.push(seal("address", address.trim().to_owned())?);
        }
        if let Some(account) = bank_account {
            sealed.push(seal("bank_account", account)?);
        }
        if changes.leave.is_some() {
            changed.push("leave");
        }
        for (field, ciphertext) in &sealed {
            tx.upsert_sealed_field(&expert_id, field, ciphertext)
                .await?;
        }
        if let Some(phone) = &phone {
            tx.set_expert_phone_index(
                &expert_id,
                &self.keys().blind_index("phone", phone.normalised()),
                now,
            )
            .await?;
        }
        if let Some(codes) = &relatives {
            let indexes: Vec<[u8; 32]> = codes
                .iter()
                .map(|c| self.keys().blind_index("credit_code", c.as_str()))
                .collect();
            tx.replace_expert_relatives(&expert_id, &indexes).await?;
        }
        if let Some(history) = &history {
            tx.replace_expert_past_employers(
                &expert_id,
                &history
                    .iter()
                    .map(|(code, from, to)| {
                        (
                            self.keys().blind_index("credit_code", code.as_str()),
                            from.to_string(),
                            to.to_string(),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
            .await?;
        }
        if let Some(leave) = &changes.leave {
            let periods: Vec<(i64, i64)> = leave
                .iter()
                .map(|p| (start_of(p.from), start_of(p.to) + 86_400_000))
                .collect();
            tx.replace_expert_leave(&expert_id, &periods).await?;
        }
        let entry = AuditEntry::new("expert.own_record_updated", now, Actor::of(owner))
            .data("fields", &changed);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        self.own_record(owner).await
    }
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

fn day_of(millis: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(millis + 8 * 3_600_000)
        .map_or_else(NaiveDate::default, |t| t.date_naive())
}

crate::store::text_enum::text_enum! {
    /// An expert's standing in the pool, set by an admin.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum ExpertStatus {
        Active = "active",
        /// Not drawn until `suspended_until`.
        Suspended = "suspended",
        Retired = "retired",
        Removed = "removed",
    }
}

impl PoolService {
    pub async fn set_status(
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
        if !tx.set_expert_status(expert_id, status, until, now).await? {
            return Err(OwnRecordError::NoSuchExpert);
        }
        let entry = AuditEntry::new("expert.status_changed", now, Actor::of(actor))
            .data("expert", self.pseudonyms(&[expert_id.to_owned()]))
            .data("status", status.as_str())
            .data("reason_code", reason_code);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
