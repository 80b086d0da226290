//! The expert pool's tables.

use super::{StoreError, Tx, on_conn};
use crate::clock::Millis;
use crate::pool::Relation;
use crate::pool::change_request::ChangeStatus;
use crate::pool::own_record::ExpertStatus;
use crate::pool::unseal::UnsealStatus;

pub(crate) struct NewExpert<'a> {
    pub id: &'a str,
    pub(crate) id_number_index: &'a [u8],
    pub(crate) phone_index: &'a [u8],
    pub(crate) data_key: &'a [u8],
    pub region_code: &'a str,
    pub(crate) title_level: i32,
    pub(crate) years_in_field: i32,
    pub(crate) birth_year: i32,
    pub(crate) now: Millis,
}

pub(crate) struct OrganisationTie<'a> {
    pub(crate) org_index: &'a [u8],
    pub(crate) relation: Relation,
    pub(crate) from_date: Option<String>,
    pub(crate) to_date: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExpertKeyRow {
    pub id: String,
    pub(crate) data_key: Vec<u8>,
}

/// A page of experts (`experts e`), one query's condition and order: $1 region, $2 specialty
/// prefix, $3 the id to continue after, $4 the page size (each of the first three may be null).
const EXPERT_PAGE: &str = "($1 IS NULL OR region_code = $1) \
     AND ($2 IS NULL OR EXISTS (SELECT 1 FROM expert_specialties s WHERE s.expert_id = e.id \
          AND s.code LIKE $2 || '%')) \
     AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4";

impl Tx {
    /// Marks the pool's draw-relevant rows (experts' status, dates, region, specialties) as
    /// changed: every writer of those rows calls this in its transaction, before its writes,
    /// so that writers take the version row's lock first and in one order. The version moves
    /// once per transaction, which is all a reader comparing versions needs.
    pub(crate) async fn bump_pool_version(&mut self) -> Result<(), StoreError> {
        let bumped = match self {
            Tx::Sqlite(tx) => &mut tx.pool_version_bumped,
            Tx::Postgres(tx) => &mut tx.pool_version_bumped,
        };
        if *bumped {
            return Ok(());
        }
        on_conn!(self, conn => sqlx::query("UPDATE pool_state SET version = version + 1 WHERE id = 1")
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        match self {
            Tx::Sqlite(tx) => tx.pool_version_bumped = true,
            Tx::Postgres(tx) => tx.pool_version_bumped = true,
        }
        Ok(())
    }

    pub(crate) async fn pool_version(&mut self) -> Result<i64, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT version FROM pool_state WHERE id = 1")
            .fetch_one(conn)
            .await)?)
    }

    pub(crate) async fn specialty_codes(
        &mut self,
    ) -> Result<Vec<(String, String, bool)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, String, bool)>(
            "SELECT code, name, official FROM specialty_codes ORDER BY code")
            .fetch_all(conn)
            .await)?,
        )
    }

    pub(crate) async fn replace_specialty_codes(
        &mut self,
        codes: &[(String, String)],
        official: bool,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("DELETE FROM specialty_codes").execute(conn).await.map(|r| r.rows_affected()))?;
        for (code, name) in codes {
            on_conn!(self, conn => sqlx::query(
                "INSERT INTO specialty_codes (code, name, official) VALUES ($1, $2, $3)")
                .bind(code)
                .bind(name)
                .bind(official)
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// The record's id and sealed data key, found by the blind index of its ID number.
    pub async fn expert_by_id_number_index(
        &mut self,
        index: &[u8],
    ) -> Result<Option<ExpertKeyRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ExpertKeyRow>(
            "SELECT id, data_key FROM experts WHERE id_number_index = $1")
            .bind(index)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn insert_expert(&mut self, expert: &NewExpert<'_>) -> Result<(), StoreError> {
        // The version row first, as every pool writer does, so writers lock in one order.
        self.bump_pool_version().await?;
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO experts (id, id_number_index, phone_index, data_key, region_code, title_level, \
             years_in_field, birth_year, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)")
            .bind(expert.id)
            .bind(expert.id_number_index)
            .bind(expert.phone_index)
            .bind(expert.data_key)
            .bind(expert.region_code)
            .bind(expert.title_level)
            .bind(expert.years_in_field)
            .bind(expert.birth_year)
            .bind(expert.now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(super::conflict_as("ID number"))?;
        Ok(())
    }

    /// Updates the clear attributes an import carries; status and counters are kept.
    pub(crate) async fn update_expert_attributes(
        &mut self,
        expert: &NewExpert<'_>,
    ) -> Result<(), StoreError> {
        // The version row first, as every pool writer does, so writers lock in one order.
        self.bump_pool_version().await?;
        on_conn!(self, conn => sqlx::query(
            "UPDATE experts SET phone_index = $2, region_code = $3, title_level = $4, \
             years_in_field = $5, birth_year = $6, updated_at = $7 WHERE id = $1")
            .bind(expert.id)
            .bind(expert.phone_index)
            .bind(expert.region_code)
            .bind(expert.title_level)
            .bind(expert.years_in_field)
            .bind(expert.birth_year)
            .bind(expert.now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Sets an expert's specialty codes; `fresh` records have none to delete.
    pub(crate) async fn replace_expert_specialties(
        &mut self,
        expert_id: &str,
        codes: &[String],
        fresh: bool,
    ) -> Result<(), StoreError> {
        // The version row first, as every pool writer does, so writers lock in one order.
        self.bump_pool_version().await?;
        if !fresh {
            on_conn!(self, conn => sqlx::query("DELETE FROM expert_specialties WHERE expert_id = $1")
                .bind(expert_id).execute(conn).await.map(|r| r.rows_affected()))?;
        }
        if codes.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO expert_specialties (expert_id, code) VALUES {}",
            super::values_placeholders(codes.len(), 2)
        );
        on_conn!(self, conn => {
            let mut query = sqlx::query(&sql);
            for code in codes {
                query = query.bind(expert_id).bind(code);
            }
            query.execute(conn).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    pub(crate) async fn upsert_sealed_field(
        &mut self,
        expert_id: &str,
        field: &str,
        ciphertext: &[u8],
    ) -> Result<(), StoreError> {
        self.upsert_sealed_fields(expert_id, &[(field, ciphertext.to_vec())])
            .await
    }

    /// Writes several sealed fields of one record in one statement.
    pub(crate) async fn upsert_sealed_fields(
        &mut self,
        expert_id: &str,
        fields: &[(&str, Vec<u8>)],
    ) -> Result<(), StoreError> {
        if fields.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO expert_sealed_fields (expert_id, field, ciphertext) VALUES {} \
             ON CONFLICT (expert_id, field) DO UPDATE SET ciphertext = excluded.ciphertext",
            super::values_placeholders(fields.len(), 3)
        );
        on_conn!(self, conn => {
            let mut query = sqlx::query(&sql);
            for (field, ciphertext) in fields {
                query = query.bind(expert_id).bind(*field).bind(ciphertext.as_slice());
            }
            query.execute(conn).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    pub(crate) async fn sealed_field(
        &mut self,
        expert_id: &str,
        field: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, Vec<u8>>(
            "SELECT ciphertext FROM expert_sealed_fields WHERE expert_id = $1 AND field = $2")
            .bind(expert_id)
            .bind(field)
            .fetch_optional(conn)
            .await)?)
    }

    /// Sets an expert's ties of the `replaced` relations to `ties` (ties of other relations are
    /// kept); `fresh` records have none to delete.
    pub(crate) async fn replace_expert_organisations(
        &mut self,
        expert_id: &str,
        replaced: &[Relation],
        ties: &[OrganisationTie<'_>],
        fresh: bool,
    ) -> Result<(), StoreError> {
        if !fresh && !replaced.is_empty() {
            let sql = format!(
                "DELETE FROM expert_organisations WHERE expert_id = $1 AND relation IN ({})",
                (2..=replaced.len() + 1)
                    .map(|n| format!("${n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            on_conn!(self, conn => {
                let mut query = sqlx::query(&sql).bind(expert_id);
                for relation in replaced {
                    query = query.bind(*relation);
                }
                query.execute(conn).await.map(|r| r.rows_affected())
            })?;
        }
        if ties.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO expert_organisations (expert_id, org_index, relation, from_date, to_date) VALUES {}",
            super::values_placeholders(ties.len(), 5)
        );
        on_conn!(self, conn => {
            let mut query = sqlx::query(&sql);
            for tie in ties {
                query = query
                    .bind(expert_id)
                    .bind(tie.org_index)
                    .bind(tie.relation)
                    .bind(tie.from_date.as_deref())
                    .bind(tie.to_date.as_deref());
            }
            query.execute(conn).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    pub(crate) async fn count_experts(&mut self) -> Result<i64, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM experts")
            .fetch_one(conn)
            .await)?,
        )
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExpertRow {
    pub id: String,
    pub region_code: String,
    pub(crate) title_level: i32,
    pub(crate) years_in_field: i32,
    pub(crate) birth_year: i32,
    pub(crate) tier: crate::pool::assessment::Tier,
    pub(crate) status: ExpertStatus,
    pub(crate) credit_score: i32,
    pub draws: i32,
    pub(crate) attendances: i32,
    pub(crate) declines: i32,
    pub(crate) no_shows: i32,
    /// The day a suspension ends (exclusive), in milliseconds; set only while suspended.
    pub(crate) suspended_until: Option<i64>,
    /// The term of appointment (docs/POOL.md, "Joining and leaving the pool"): both `None` for
    /// a record imported before terms, which keeps its place until an admin sets one.
    pub(crate) term_start: Option<String>,
    pub(crate) term_end: Option<String>,
}

const EXPERT_COLUMNS: &str = "id, region_code, title_level, years_in_field, birth_year, tier, status, \
     suspended_until, credit_score, draws, attendances, declines, no_shows, term_start, term_end";

impl Tx {
    /// One page of experts by id, optionally in a region or under a specialty prefix.
    pub(crate) async fn list_experts(
        &mut self,
        region: Option<&str>,
        specialty_prefix: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ExpertRow>, StoreError> {
        let sql = format!("SELECT {EXPERT_COLUMNS} FROM experts e WHERE {EXPERT_PAGE}");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ExpertRow>(&sql)
            .bind(region)
            .bind(specialty_prefix)
            .bind(after)
            .bind(limit)
            .fetch_all(conn)
            .await)?)
    }

    /// The specialty codes of every expert on the page [`Tx::list_experts`] returns for the
    /// same arguments, in one query: (expert id, code), ordered by both.
    pub(crate) async fn list_expert_specialties(
        &mut self,
        region: Option<&str>,
        specialty_prefix: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let sql = format!(
            "SELECT expert_id, code FROM expert_specialties WHERE expert_id IN \
             (SELECT id FROM experts e WHERE {EXPERT_PAGE}) ORDER BY expert_id, code"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, String)>(&sql)
            .bind(region)
            .bind(specialty_prefix)
            .bind(after)
            .bind(limit)
            .fetch_all(conn)
            .await)?,
        )
    }

    pub async fn expert(&mut self, id: &str) -> Result<Option<ExpertRow>, StoreError> {
        let sql = format!("SELECT {EXPERT_COLUMNS} FROM experts WHERE id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ExpertRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn expert_specialties(&mut self, id: &str) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT code FROM expert_specialties WHERE expert_id = $1 ORDER BY code")
            .bind(id)
            .fetch_all(conn)
            .await)?)
    }

    /// (group, status, count) for the pool's aggregate view.
    pub(crate) async fn expert_counts_by_region(
        &mut self,
    ) -> Result<Vec<(String, ExpertStatus, i64)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, ExpertStatus, i64)>(
            "SELECT region_code, status, COUNT(*) FROM experts GROUP BY region_code, status \
             ORDER BY region_code, status")
            .fetch_all(conn)
            .await)?,
        )
    }

    pub(crate) async fn expert_counts_by_top_specialty(
        &mut self,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, (String, i64)>(
            "SELECT SUBSTR(code, 1, 3) AS class, COUNT(DISTINCT expert_id) FROM expert_specialties \
             WHERE LENGTH(code) >= 3 GROUP BY SUBSTR(code, 1, 3) ORDER BY class")
            .fetch_all(conn)
            .await)?)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct UnsealRow {
    pub id: String,
    pub(crate) requester_id: String,
    pub(crate) reason: String,
    pub(crate) expert_ids: String,
    pub(crate) fields: String,
    pub(crate) valid_minutes: i32,
    pub(crate) status: UnsealStatus,
    pub(crate) decided_by: Option<String>,
    pub(crate) valid_until: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) decision_reason: Option<String>,
}

const UNSEAL_COLUMNS: &str = "id, requester_id, reason, expert_ids, fields, valid_minutes, status, \
     decided_by, decided_at, valid_until, created_at, decision_reason";

impl Tx {
    pub(crate) async fn insert_unseal_request(
        &mut self,
        row: &UnsealRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO unseal_requests (id, requester_id, reason, expert_ids, fields, valid_minutes, \
             status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)")
            .bind(&row.id)
            .bind(&row.requester_id)
            .bind(&row.reason)
            .bind(&row.expert_ids)
            .bind(&row.fields)
            .bind(row.valid_minutes)
            .bind(row.created_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn unseal_request(
        &mut self,
        id: &str,
    ) -> Result<Option<UnsealRow>, StoreError> {
        let sql = format!("SELECT {UNSEAL_COLUMNS} FROM unseal_requests WHERE id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, UnsealRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn unseal_requests(
        &mut self,
        limit: i64,
    ) -> Result<Vec<UnsealRow>, StoreError> {
        let sql = format!(
            "SELECT {UNSEAL_COLUMNS} FROM unseal_requests ORDER BY created_at DESC LIMIT $1"
        );
        Ok(on_conn!(self, conn => sqlx::query_as::<_, UnsealRow>(&sql)
            .bind(limit)
            .fetch_all(conn)
            .await)?)
    }

    /// Decides a pending request; returns false if it was no longer pending (decided by
    /// someone else meanwhile), so a request is decided exactly once.
    pub(crate) async fn decide_unseal_request(
        &mut self,
        id: &str,
        status: UnsealStatus,
        decided_by: &str,
        now: Millis,
        valid_until: Option<Millis>,
        decision_reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let updated = on_conn!(self, conn => sqlx::query(
            "UPDATE unseal_requests SET status = $2, decided_by = $3, decided_at = $4, \
             valid_until = $5, decision_reason = $6 WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .bind(status)
            .bind(decided_by)
            .bind(now)
            .bind(valid_until)
            .bind(decision_reason)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }

    /// Which of these ids are pool records.
    pub(crate) async fn experts_in_pool(
        &mut self,
        ids: &[&str],
    ) -> Result<Vec<String>, StoreError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(200) {
            let sql = format!(
                "SELECT id FROM experts WHERE id IN ({})",
                (1..=chunk.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            found.extend(on_conn!(self, conn => {
                let mut query = sqlx::query_scalar::<_, String>(&sql);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(conn).await
            })?);
        }
        Ok(found)
    }

    pub(crate) async fn expert_data_key(
        &mut self,
        expert_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, Vec<u8>>(
            "SELECT data_key FROM experts WHERE id = $1")
            .bind(expert_id)
            .fetch_optional(conn)
            .await)?)
    }
}

/// Values sealed directly under a master key, by table: what a master-key rotation re-seals.
#[derive(Debug, Clone, Copy)]
pub(crate) enum MasterSealed {
    ExpertDataKeys,
    AccountTotpSecrets,
    /// The notification outbox's sealed recipients and parameters (`notify`).
    OutboxRecipients,
    OutboxParams,
    /// The pool ids behind an alert's labels (`analytics::alerts`).
    AlertExperts,
    /// Staff accounts' mobile numbers (`notify::staff`).
    AccountPhones,
}

impl MasterSealed {
    fn select(self) -> &'static str {
        match self {
            Self::ExpertDataKeys => {
                "SELECT id, data_key FROM experts WHERE id > $1 ORDER BY id LIMIT $2"
            }
            Self::AccountTotpSecrets => {
                "SELECT id, totp_sealed FROM accounts WHERE id > $1 AND totp_sealed IS NOT NULL ORDER BY id LIMIT $2"
            }
            Self::OutboxRecipients => {
                "SELECT id, sealed_recipient FROM outbox WHERE id > $1 ORDER BY id LIMIT $2"
            }
            Self::OutboxParams => {
                "SELECT id, sealed_params FROM outbox WHERE id > $1 ORDER BY id LIMIT $2"
            }
            Self::AlertExperts => {
                "SELECT id, sealed_experts FROM alerts WHERE id > $1 AND sealed_experts IS NOT NULL ORDER BY id LIMIT $2"
            }
            Self::AccountPhones => {
                "SELECT account_id, sealed_phone FROM account_contacts WHERE account_id > $1 ORDER BY account_id LIMIT $2"
            }
        }
    }

    fn update(self) -> &'static str {
        match self {
            Self::ExpertDataKeys => "UPDATE experts SET data_key = $2 WHERE id = $1",
            Self::AccountTotpSecrets => "UPDATE accounts SET totp_sealed = $2 WHERE id = $1",
            Self::OutboxRecipients => "UPDATE outbox SET sealed_recipient = $2 WHERE id = $1",
            Self::OutboxParams => "UPDATE outbox SET sealed_params = $2 WHERE id = $1",
            Self::AlertExperts => "UPDATE alerts SET sealed_experts = $2 WHERE id = $1",
            Self::AccountPhones => {
                "UPDATE account_contacts SET sealed_phone = $2 WHERE account_id = $1"
            }
        }
    }
}

impl Tx {
    pub(crate) async fn master_sealed_page(
        &mut self,
        kind: MasterSealed,
        after: &str,
        limit: i64,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, Vec<u8>)>(kind.select())
            .bind(after)
            .bind(limit)
            .fetch_all(conn)
            .await)?,
        )
    }

    pub(crate) async fn set_master_sealed(
        &mut self,
        kind: MasterSealed,
        id: &str,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(kind.update())
            .bind(id)
            .bind(sealed)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

impl Tx {
    pub(crate) async fn expert_account(
        &mut self,
        expert_id: &str,
    ) -> Result<Option<Option<String>>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_scalar::<_, Option<String>>(
            "SELECT account_id FROM experts WHERE id = $1")
            .bind(expert_id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    pub(crate) async fn link_expert_account(
        &mut self,
        expert_id: &str,
        account_id: &str,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("UPDATE experts SET account_id = $2 WHERE id = $1")
            .bind(expert_id)
            .bind(account_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn expert_of_account(
        &mut self,
        account_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT id FROM experts WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn set_activation(
        &mut self,
        account_id: &str,
        code_hash: &[u8],
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE accounts SET activation_code_hash = $2, activation_expires_at = $3 WHERE id = $1")
            .bind(account_id)
            .bind(code_hash)
            .bind(expires_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn activation(
        &mut self,
        username: &str,
    ) -> Result<Option<(String, Option<Vec<u8>>, Option<i64>)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, Option<Vec<u8>>, Option<i64>)>(
            "SELECT id, activation_code_hash, activation_expires_at FROM accounts WHERE username = $1")
            .bind(username)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Sets the password and spends the code, only if the code is still the one presented.
    pub(crate) async fn complete_activation(
        &mut self,
        account_id: &str,
        code_hash: &[u8],
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let updated = on_conn!(self, conn => sqlx::query(
            "UPDATE accounts SET password_hash = $3, activation_code_hash = NULL, activation_expires_at = NULL \
             WHERE id = $1 AND activation_code_hash = $2")
            .bind(account_id)
            .bind(code_hash)
            .bind(password_hash)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }

    pub(crate) async fn replace_expert_leave(
        &mut self,
        expert_id: &str,
        periods: &[(Millis, Millis)],
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("DELETE FROM expert_leave WHERE expert_id = $1")
            .bind(expert_id).execute(conn).await.map(|r| r.rows_affected()))?;
        for (from, to) in periods {
            on_conn!(self, conn => sqlx::query(
                "INSERT INTO expert_leave (expert_id, from_at, to_at) VALUES ($1, $2, $3)")
                .bind(expert_id)
                .bind(from)
                .bind(to)
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    pub(crate) async fn expert_leave(
        &mut self,
        expert_id: &str,
    ) -> Result<Vec<(Millis, Millis)>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, (i64, i64)>(
            "SELECT from_at, to_at FROM expert_leave WHERE expert_id = $1 ORDER BY from_at")
            .bind(expert_id)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn replace_expert_relatives(
        &mut self,
        expert_id: &str,
        org_indexes: &[[u8; 32]],
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "DELETE FROM expert_organisations WHERE expert_id = $1 AND relation = 'relative'")
            .bind(expert_id).execute(conn).await.map(|r| r.rows_affected()))?;
        for index in org_indexes {
            on_conn!(self, conn => sqlx::query(
                "INSERT INTO expert_organisations (expert_id, org_index, relation) VALUES ($1, $2, 'relative')")
                .bind(expert_id)
                .bind(index.as_slice())
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    pub(crate) async fn set_expert_phone_index(
        &mut self,
        expert_id: &str,
        phone_index: &[u8],
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("UPDATE experts SET phone_index = $2, updated_at = $3 WHERE id = $1")
            .bind(expert_id)
            .bind(phone_index)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

impl Tx {
    pub(crate) async fn replace_expert_past_employers(
        &mut self,
        expert_id: &str,
        periods: &[([u8; 32], String, String)],
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "DELETE FROM expert_organisations WHERE expert_id = $1 AND relation = 'past_employer'")
            .bind(expert_id).execute(conn).await.map(|r| r.rows_affected()))?;
        for (index, from, to) in periods {
            on_conn!(self, conn => sqlx::query(
                "INSERT INTO expert_organisations (expert_id, org_index, relation, from_date, to_date) \
                 VALUES ($1, $2, 'past_employer', $3, $4)")
                .bind(expert_id)
                .bind(index.as_slice())
                .bind(from)
                .bind(to)
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }
}

impl Tx {
    pub(crate) async fn set_expert_status(
        &mut self,
        expert_id: &str,
        status: ExpertStatus,
        suspended_until: Option<Millis>,
        now: Millis,
    ) -> Result<bool, StoreError> {
        // The version row first, as every pool writer does, so writers lock in one order.
        self.bump_pool_version().await?;
        let updated = on_conn!(self, conn => sqlx::query(
            "UPDATE experts SET status = $2, suspended_until = $3, updated_at = $4 WHERE id = $1")
            .bind(expert_id)
            .bind(status)
            .bind(suspended_until)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }
}

/// An expert's request to change their employer or ties (`pool::change_request`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangeRequestRow {
    pub id: String,
    pub expert_id: String,
    pub requested_by: String,
    /// JSON: what would change, without values.
    pub parts: String,
    /// The requested values, sealed under the record's data key.
    pub sealed_values: Vec<u8>,
    pub status: ChangeStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_reason: Option<String>,
    pub created_at: i64,
}

const CHANGE_COLUMNS: &str = "id, expert_id, requested_by, parts, sealed_values, status, \
     decided_by, decided_at, decision_reason, created_at";

impl Tx {
    /// Stores a pending request; [`StoreError::Conflict`] if the expert already has one.
    pub async fn insert_change_request(
        &mut self,
        row: &ChangeRequestRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO expert_change_requests (id, expert_id, requested_by, parts, sealed_values, \
             status, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6)")
            .bind(&row.id)
            .bind(&row.expert_id)
            .bind(&row.requested_by)
            .bind(&row.parts)
            .bind(row.sealed_values.as_slice())
            .bind(row.created_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(super::conflict_as("change request"))?;
        Ok(())
    }

    pub async fn change_request(
        &mut self,
        id: &str,
    ) -> Result<Option<ChangeRequestRow>, StoreError> {
        let sql = format!("SELECT {CHANGE_COLUMNS} FROM expert_change_requests WHERE id = $1");
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, ChangeRequestRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Requests newest first, of one status or all.
    pub async fn change_requests(
        &mut self,
        status: Option<ChangeStatus>,
        limit: i64,
    ) -> Result<Vec<ChangeRequestRow>, StoreError> {
        let sql = format!(
            "SELECT {CHANGE_COLUMNS} FROM expert_change_requests WHERE ($1 IS NULL OR status = $1) \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, ChangeRequestRow>(&sql)
            .bind(status)
            .bind(limit)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// One expert's requests, newest first.
    pub async fn expert_change_requests(
        &mut self,
        expert_id: &str,
        limit: i64,
    ) -> Result<Vec<ChangeRequestRow>, StoreError> {
        let sql = format!(
            "SELECT {CHANGE_COLUMNS} FROM expert_change_requests WHERE expert_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, ChangeRequestRow>(&sql)
            .bind(expert_id)
            .bind(limit)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Settles a pending request; false if it was no longer pending (settled by someone else
    /// meanwhile), so a request is settled exactly once.
    pub async fn settle_change_request(
        &mut self,
        id: &str,
        status: ChangeStatus,
        decided_by: &str,
        now: Millis,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let updated = on_conn!(self, conn => sqlx::query(
            "UPDATE expert_change_requests SET status = $2, decided_by = $3, decided_at = $4, \
             decision_reason = $5 WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .bind(status)
            .bind(decided_by)
            .bind(now)
            .bind(reason)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }

    /// The current employer becomes a past one, its tie ending on `last_day` (ISO date): the
    /// rows keep their blind index, so nothing is decrypted to move them.
    pub async fn end_current_employment(
        &mut self,
        expert_id: &str,
        last_day: &str,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE expert_organisations SET relation = 'past_employer', to_date = $2 \
             WHERE expert_id = $1 AND relation = 'employer'")
            .bind(expert_id)
            .bind(last_day)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

/// An event of an expert's record that one of its counters counts (docs/POOL.md, "Counters").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExpertCounter {
    /// Sat on a committee whose evaluation session closed.
    Attendances,
    /// Declined an invitation.
    Declines,
    /// Let an invitation lapse, or left a committee after confirming.
    NoShows,
}

impl ExpertCounter {
    /// The kind of its dated event (`expert_counted_events`), which the annual assessment
    /// counts by year.
    fn event_kind(self) -> &'static str {
        match self {
            ExpertCounter::Attendances => "attendance",
            ExpertCounter::Declines => "decline",
            ExpertCounter::NoShows => "no_show",
        }
    }

    /// One statement per counter, so that no column name is ever built from a value.
    fn increment_sql(self) -> &'static str {
        match self {
            ExpertCounter::Attendances => {
                "UPDATE experts SET attendances = attendances + 1 WHERE id = $1"
            }
            ExpertCounter::Declines => "UPDATE experts SET declines = declines + 1 WHERE id = $1",
            ExpertCounter::NoShows => "UPDATE experts SET no_shows = no_shows + 1 WHERE id = $1",
        }
    }
}

impl Tx {
    /// Counts one event for each expert, inside the event's own transaction, and records it
    /// with its day (the province's calendar) for the annual assessment. Rows are updated
    /// in id order, as the draws' counter is: concurrent writers then take the row locks in the
    /// same order and cannot deadlock on PostgreSQL.
    pub(crate) async fn count_expert_event(
        &mut self,
        expert_ids: &[String],
        counter: ExpertCounter,
        at: Millis,
    ) -> Result<(), StoreError> {
        let mut sorted: Vec<&String> = expert_ids.iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let day = crate::clock::province_day(at);
        self.insert_counted_events(&sorted, counter.event_kind(), day)
            .await?;
        for id in sorted {
            on_conn!(self, conn => sqlx::query(counter.increment_sql())
                .bind(id)
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// Records the credit score the conduct rules give the expert now.
    pub(crate) async fn set_credit_score(
        &mut self,
        expert_id: &str,
        score: i64,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("UPDATE experts SET credit_score = $2 WHERE id = $1")
            .bind(expert_id)
            .bind(score)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
