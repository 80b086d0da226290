//! Pool workflows over the store.
//!
//! Sealing is two-level: each record has its own 256-bit data key, sealed under the master
//! sealing key from the key file; the record's fields are sealed under the data key. Every
//! ciphertext's associated data names the record, the field and the key id, so a value moved to
//! another record or field does not open. Rotating the master key re-seals only data keys.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;
use zeroize::Zeroizing;

use super::import::ExpertInput;
use super::own_record::ExpertStatus;
use super::ties::Tie;
use super::{Relation, TieKind};
use crate::audit::{self, Actor, AuditEntry};
use crate::clock::SharedClock;
use crate::crypto::seal::{SealError, SealingKey};
use crate::crypto::{KeyRing, Rng};
use crate::deps::Deps;
use crate::store::pool::{ExpertRow, NewExpert, OrganisationTie};
use crate::store::{Store, StoreError, Tx};

/// The fields that only an approved unseal can read.
pub(crate) const SEALED_FIELDS: [&str; 7] = [
    "name",
    "id_number",
    "phone",
    "email",
    "employer",
    "employer_history",
    "ties",
];

const DATA_KEY_ID: &str = "record-1";

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("sealing failed: {0}")]
    Sealing(#[from] SealError),
    #[error("randomness unavailable")]
    Randomness,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ImportSummary {
    pub(crate) rows: usize,
    pub(crate) inserted: usize,
    pub(crate) updated: usize,
}

/// An expert's clear attributes and status with their specialty codes, as administrators and
/// supervisors see them (the row holds no sealed field).
pub(crate) struct ExpertAttributes {
    pub(crate) row: ExpertRow,
    pub(crate) specialties: Vec<String>,
}

/// The pool's counts (trading centers see these): by region and status, and by the first two
/// levels of the specialty code.
pub(crate) struct PoolCounts {
    pub(crate) total: i64,
    pub(crate) by_region: Vec<(String, ExpertStatus, i64)>,
    pub(crate) by_specialty_class: Vec<(String, i64)>,
}

pub struct PoolService {
    store: Store,
    clock: SharedClock,
    rng: Rng,
    keys: Arc<KeyRing>,
}

impl PoolService {
    pub(crate) fn new(deps: &Deps) -> Self {
        let Deps {
            store,
            clock,
            rng,
            keys,
        } = deps.clone();
        Self {
            store,
            clock,
            rng,
            keys,
        }
    }

    pub(super) fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub(super) fn store(&self) -> &Store {
        &self.store
    }

    pub(super) fn rng(&self) -> &Rng {
        &self.rng
    }

    pub(super) fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// Opens the named sealed fields of one record inside `tx`; absent fields are skipped. The
    /// caller is responsible for having authorised and for recording the read.
    pub(crate) async fn open_fields(
        &self,
        tx: &mut Tx,
        expert_id: &str,
        fields: &[&str],
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, PoolError> {
        let Some(sealed_key) = tx.expert_data_key(expert_id).await? else {
            return Ok(None);
        };
        let field_key = self.open_data_key(expert_id, &sealed_key)?;
        let mut opened = std::collections::BTreeMap::new();
        for field in fields {
            if let Some(ciphertext) = tx.sealed_field(expert_id, field).await? {
                let plain = field_key.open(&field_context(expert_id, field), &ciphertext)?;
                opened.insert(
                    (*field).to_owned(),
                    String::from_utf8_lossy(&plain).into_owned(),
                );
            }
        }
        Ok(Some(opened))
    }

    /// The expert's phone number, for the notification worker only, just before it sends
    /// (docs/NOTIFY.md). `None` when the record or its phone is gone. The delivery's own audit
    /// entry records the use; the number never leaves the returned value's zeroised memory
    /// except into the gateway's request.
    pub(crate) async fn phone_for_delivery(
        &self,
        expert_id: &str,
    ) -> Result<Option<Zeroizing<String>>, PoolError> {
        let mut tx = self.store.read().await?;
        let sealed_key = tx.expert_data_key(expert_id).await?;
        let ciphertext = tx.sealed_field(expert_id, "phone").await?;
        tx.rollback().await?;
        let (Some(sealed_key), Some(ciphertext)) = (sealed_key, ciphertext) else {
            return Ok(None);
        };
        let field_key = self.open_data_key(expert_id, &sealed_key)?;
        let plain = field_key.open(&field_context(expert_id, "phone"), &ciphertext)?;
        match std::str::from_utf8(&plain) {
            Ok(phone) => Ok(Some(Zeroizing::new(phone.to_owned()))),
            Err(_) => Err(PoolError::Store(StoreError::Corrupt(
                "a sealed phone number is not UTF-8".into(),
            ))),
        }
    }

    /// The record's field key, opened from its sealed data key.
    pub(crate) fn open_data_key(
        &self,
        expert_id: &str,
        sealed: &[u8],
    ) -> Result<SealingKey, PoolError> {
        Ok(self
            .keys
            .open_data_key(&data_key_context(expert_id), sealed, DATA_KEY_ID)?)
    }

    /// Seeds the bundled sample classification if no classification has been loaded.
    pub(crate) async fn ensure_classification(&self) -> Result<(), PoolError> {
        let mut tx = self.store.write().await?;
        if tx.specialty_codes().await?.is_empty() {
            tx.replace_specialty_codes(&sample_classification(), false)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn known_specialties(&self) -> Result<HashSet<String>, PoolError> {
        let mut tx = self.store.read().await?;
        let codes = tx.specialty_codes().await?;
        tx.rollback().await?;
        Ok(codes.into_iter().map(|(code, _, _)| code).collect())
    }

    /// Adds `count` synthetic experts (see [`super::demo`]), numbered after those present.
    pub(crate) async fn seed_demo(
        &self,
        rng: &Rng,
        count: usize,
    ) -> Result<ImportSummary, PoolError> {
        let mut tx = self.store.read().await?;
        let present = tx.count_experts().await?;
        tx.rollback().await?;
        let experts = super::demo::generate(rng, count, usize::try_from(present).unwrap_or(0))
            .map_err(|_| PoolError::Randomness)?;
        self.import(
            experts,
            format!("synthetic demo pool of {count}").as_bytes(),
            Actor::System,
        )
        .await
    }

    pub(crate) async fn is_empty(&self) -> Result<bool, PoolError> {
        let mut tx = self.store.read().await?;
        let count = tx.count_experts().await?;
        tx.rollback().await?;
        Ok(count == 0)
    }

    /// A page of experts in id order (after `after`, at most `limit`), with their specialty
    /// codes: two queries whatever the page's size.
    pub(crate) async fn expert_page(
        &self,
        region: Option<&str>,
        specialty_prefix: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ExpertAttributes>, StoreError> {
        let mut tx = self.store.read().await?;
        let rows = tx
            .list_experts(region, specialty_prefix, after, limit)
            .await?;
        let codes = tx
            .list_expert_specialties(region, specialty_prefix, after, limit)
            .await?;
        tx.rollback().await?;
        let mut specialties: HashMap<String, Vec<String>> = HashMap::new();
        for (expert_id, code) in codes {
            specialties.entry(expert_id).or_default().push(code);
        }
        Ok(rows
            .into_iter()
            .map(|row| ExpertAttributes {
                specialties: specialties.remove(&row.id).unwrap_or_default(),
                row,
            })
            .collect())
    }

    /// One expert's clear attributes, if there is such an expert.
    pub(crate) async fn expert(
        &self,
        expert_id: &str,
    ) -> Result<Option<ExpertAttributes>, StoreError> {
        let mut tx = self.store.read().await?;
        let Some(row) = tx.expert(expert_id).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let specialties = tx.expert_specialties(&row.id).await?;
        tx.rollback().await?;
        Ok(Some(ExpertAttributes { row, specialties }))
    }

    /// The pool's counts: never a record.
    pub(crate) async fn statistics(&self) -> Result<PoolCounts, StoreError> {
        let mut tx = self.store.read().await?;
        let total = tx.count_experts().await?;
        let by_region = tx.expert_counts_by_region().await?;
        let by_specialty_class = tx.expert_counts_by_top_specialty().await?;
        tx.rollback().await?;
        Ok(PoolCounts {
            total,
            by_region,
            by_specialty_class,
        })
    }

    /// The specialty classification in code order: (code, name, official).
    pub(crate) async fn specialty_classification(
        &self,
    ) -> Result<Vec<(String, String, bool)>, StoreError> {
        let mut tx = self.store.read().await?;
        let codes = tx.specialty_codes().await?;
        tx.rollback().await?;
        Ok(codes)
    }

    /// Writes validated rows in one transaction with one audit entry: all or nothing.
    /// A person already in the pool (same ID number, matched by blind index) is updated.
    pub(crate) async fn import(
        &self,
        experts: Vec<ExpertInput>,
        source: &[u8],
        actor: Actor,
    ) -> Result<ImportSummary, PoolError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let (mut inserted, mut updated) = (0, 0);
        for expert in &experts {
            if self.write_expert(&mut tx, expert, now).await? {
                inserted += 1;
            } else {
                updated += 1;
            }
        }
        let entry = AuditEntry::new("pool.imported", now, actor)
            .data("rows", experts.len())
            .data("inserted", inserted)
            .data("updated", updated)
            // The file's hash lets an auditor match the entry to the file the center keeps.
            .data(
                &self.keys.suite().digest_field("file"),
                self.keys.suite().hex_hash(source),
            );
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        tracing::info!(rows = experts.len(), inserted, updated, "pool import");
        Ok(ImportSummary {
            rows: experts.len(),
            inserted,
            updated,
        })
    }

    /// Returns whether the record is new.
    async fn write_expert(
        &self,
        tx: &mut Tx,
        expert: &ExpertInput,
        now: i64,
    ) -> Result<bool, PoolError> {
        let id_index = self
            .keys
            .blind_index("id_number", expert.id_number.normalised());
        let existing = tx.expert_by_id_number_index(&id_index).await?;
        let is_new = existing.is_none();
        // Envelope sealing: the record's fields under its own data key, the data key sealed
        // under the master key. The plain data key stays inside `crypto`.
        let (expert_id, field_key, sealed_data_key) = match existing {
            Some(row) => {
                let context = data_key_context(&row.id);
                let key = self
                    .keys
                    .open_data_key(&context, &row.data_key, DATA_KEY_ID)?;
                // Sealed again under the active master key, as every write of the record does.
                let sealed = self
                    .keys
                    .reseal(&self.rng, &context, &row.data_key)?
                    .unwrap_or(row.data_key);
                (row.id, key, sealed)
            }
            None => {
                let id = uuid::Uuid::now_v7().to_string();
                let (key, sealed) =
                    self.keys
                        .new_data_key(&self.rng, &data_key_context(&id), DATA_KEY_ID)?;
                (id, key, sealed)
            }
        };
        self.write_record(
            tx,
            expert,
            now,
            is_new,
            &expert_id,
            &field_key,
            &sealed_data_key,
        )
        .await?;
        Ok(is_new)
    }

    /// Writes a new record whose id and data key were decided earlier (an application's, on
    /// arrival), exactly as an import writes one.
    pub(crate) async fn write_new_expert(
        &self,
        tx: &mut Tx,
        expert: &ExpertInput,
        now: i64,
        expert_id: &str,
        sealed_data_key: &[u8],
    ) -> Result<(), PoolError> {
        let context = data_key_context(expert_id);
        let field_key = self
            .keys
            .open_data_key(&context, sealed_data_key, DATA_KEY_ID)?;
        // Sealed again under the active master key, as every write of the record does.
        let sealed = self
            .keys
            .reseal(&self.rng, &context, sealed_data_key)?
            .unwrap_or_else(|| sealed_data_key.to_vec());
        self.write_record(tx, expert, now, true, expert_id, &field_key, &sealed)
            .await
    }

    /// A new data key for a record yet to be written: the key to seal with and its sealed form.
    pub(crate) fn new_record_key(
        &self,
        expert_id: &str,
    ) -> Result<(SealingKey, Vec<u8>), PoolError> {
        Ok(self
            .keys
            .new_data_key(&self.rng, &data_key_context(expert_id), DATA_KEY_ID)?)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one record's parts, each needed once"
    )]
    async fn write_record(
        &self,
        tx: &mut Tx,
        expert: &ExpertInput,
        now: i64,
        is_new: bool,
        expert_id: &str,
        field_key: &SealingKey,
        sealed_data_key: &[u8],
    ) -> Result<(), PoolError> {
        let expert_id = expert_id.to_owned();
        let id_index = self
            .keys
            .blind_index("id_number", expert.id_number.normalised());
        let phone_index = self.keys.blind_index("phone", expert.phone.normalised());
        let record = NewExpert {
            id: &expert_id,
            id_number_index: &id_index,
            phone_index: &phone_index,
            data_key: sealed_data_key,
            region_code: &expert.region_code,
            title_level: expert.title_level,
            years_in_field: expert.years_in_field,
            birth_year: expert.birth_year,
            now,
        };
        if is_new {
            tx.insert_expert(&record).await?;
        } else {
            tx.update_expert_attributes(&record).await?;
        }
        let mut sealed = Vec::with_capacity(SEALED_FIELDS.len());
        for (field, value) in sealed_values(expert) {
            let ciphertext = field_key.seal(
                &self.rng,
                &field_context(&expert_id, field),
                value.as_bytes(),
            )?;
            sealed.push((field, ciphertext));
        }
        tx.upsert_sealed_fields(&expert_id, &sealed).await?;
        tx.replace_expert_specialties(&expert_id, &expert.specialties, is_new)
            .await?;
        let employer_index = self
            .keys
            .blind_index("credit_code", expert.employer_credit_code.as_str());
        let past: Vec<([u8; 32], String, String)> = expert
            .past_employers
            .iter()
            .map(|p| {
                (
                    self.keys.blind_index("credit_code", p.credit_code.as_str()),
                    p.from.to_string(),
                    p.to.to_string(),
                )
            })
            .collect();
        let mut ties = vec![OrganisationTie {
            org_index: &employer_index,
            relation: super::Relation::Employer,
            from_date: None,
            to_date: None,
        }];
        ties.extend(past.iter().map(|(index, from, to)| OrganisationTie {
            org_index: index,
            relation: super::Relation::PastEmployer,
            from_date: Some(from.clone()),
            to_date: Some(to.clone()),
        }));
        let mut replaced = vec![super::Relation::Employer, super::Relation::PastEmployer];
        let declared = expert
            .ties
            .as_deref()
            .map(|declared| self.tie_rows(declared))
            .unwrap_or_default();
        if expert.ties.is_some() {
            replaced.extend(TieKind::ALL.map(TieKind::relation));
            ties.extend(declared.iter().map(TieRow::as_tie));
        }
        tx.replace_expert_organisations(&expert_id, &replaced, &ties, is_new)
            .await?;
        Ok(())
    }

    /// Ties as the avoidance rule matches them: the blind index of each credit code.
    pub(super) fn tie_rows(&self, ties: &[Tie]) -> Vec<TieRow> {
        ties.iter()
            .map(|tie| TieRow {
                org_index: self
                    .keys
                    .blind_index("credit_code", tie.credit_code.as_str()),
                relation: tie.kind.relation(),
                from_date: tie.from.map(|day| day.to_string()),
                to_date: tie.to.map(|day| day.to_string()),
            })
            .collect()
    }
}

/// One tie's stored row, owned, for [`OrganisationTie`] to borrow.
pub(super) struct TieRow {
    pub(super) org_index: [u8; 32],
    pub(super) relation: Relation,
    pub(super) from_date: Option<String>,
    pub(super) to_date: Option<String>,
}

impl TieRow {
    pub(super) fn as_tie(&self) -> OrganisationTie<'_> {
        OrganisationTie {
            org_index: &self.org_index,
            relation: self.relation,
            from_date: self.from_date.clone(),
            to_date: self.to_date.clone(),
        }
    }
}

fn sealed_values(expert: &ExpertInput) -> Vec<(&'static str, Zeroizing<String>)> {
    let employer = serde_json::json!({"name": expert.employer.as_str(), "credit_code": expert.employer_credit_code.as_str()});
    let history: Vec<serde_json::Value> = expert
        .past_employers
        .iter()
        .map(|p| serde_json::json!({"credit_code": p.credit_code.as_str(), "from": p.from.to_string(), "to": p.to.to_string()}))
        .collect();
    let mut values = vec![
        ("name", expert.name.clone()),
        (
            "id_number",
            Zeroizing::new(expert.id_number.normalised().to_owned()),
        ),
        (
            "phone",
            Zeroizing::new(expert.phone.normalised().to_owned()),
        ),
        ("employer", Zeroizing::new(employer.to_string())),
        (
            "employer_history",
            Zeroizing::new(serde_json::Value::Array(history).to_string()),
        ),
    ];
    if let Some(email) = &expert.email {
        values.push(("email", email.clone()));
    }
    if let Some(ties) = &expert.ties {
        values.push(("ties", Zeroizing::new(super::ties::sealed_text(ties))));
    }
    values
}

pub(crate) fn data_key_context(expert_id: &str) -> String {
    format!("expert/{expert_id}/data-key")
}

pub(crate) fn field_context(expert_id: &str, field: &str) -> String {
    format!("expert/{expert_id}/{field}")
}

fn sample_classification() -> Vec<(String, String)> {
    include_str!("data/specialties-sample.csv")
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(','))
        .map(|(code, name)| (code.to_owned(), name.to_owned()))
        .collect()
}
