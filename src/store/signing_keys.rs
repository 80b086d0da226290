//! Members' signing keys (the public halves) and the signatures made with them.

use super::{StoreError, Tx, conflict_as, on_conn};
use crate::clock::Millis;

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SigningKeyRow {
    pub(crate) id: String,
    pub(crate) account_id: String,
    pub(crate) kind: String,
    pub(crate) algorithm: String,
    pub(crate) public_key: Vec<u8>,
    pub(crate) fingerprint: String,
    pub(crate) label: String,
    pub(crate) status: String,
    pub(crate) enrolled_at: i64,
    pub(crate) approved_by: Option<String>,
    pub(crate) approved_at: Option<i64>,
    pub(crate) revoked_by: Option<String>,
    pub(crate) revoked_at: Option<i64>,
}

/// A key with its account's username, as admins list them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AccountSigningKeyRow {
    #[sqlx(flatten)]
    pub(crate) key: SigningKeyRow,
    pub(crate) username: String,
}

pub(crate) struct NewSigningKey<'a> {
    pub(crate) id: &'a str,
    pub(crate) account_id: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) algorithm: &'a str,
    pub(crate) public_key: &'a [u8],
    pub(crate) fingerprint: &'a str,
    pub(crate) label: &'a str,
    pub(crate) status: &'a str,
    pub(crate) enrolled_at: Millis,
    /// A member's first key is in force at once: approved by no one.
    pub(crate) approved_at: Option<Millis>,
}

/// A member's signature of one draft report, as the seat's decision carries it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberSignatureRow {
    pub session_id: String,
    pub seat: i32,
    pub report_sha256: Vec<u8>,
    pub key_id: String,
    pub key_fingerprint: String,
    pub signature: Vec<u8>,
    pub signed_sha256: Vec<u8>,
    pub signed_at: i64,
}

const KEY_COLUMNS: &str = "id, account_id, kind, algorithm, public_key, fingerprint, label, \
     status, enrolled_at, approved_by, approved_at, revoked_by, revoked_at";

impl Tx {
    pub(crate) async fn insert_signing_key(
        &mut self,
        key: &NewSigningKey<'_>,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO member_signing_keys (id, account_id, kind, algorithm, public_key, \
             fingerprint, label, status, enrolled_at, approved_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(key.id)
            .bind(key.account_id)
            .bind(key.kind)
            .bind(key.algorithm)
            .bind(key.public_key)
            .bind(key.fingerprint)
            .bind(key.label)
            .bind(key.status)
            .bind(key.enrolled_at)
            .bind(key.approved_at)
            .execute(conn)
            .await
            .map(drop)
            .map_err(conflict_as("fingerprint")))
    }

    pub(crate) async fn signing_key(
        &mut self,
        id: &str,
    ) -> Result<Option<SigningKeyRow>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM member_signing_keys WHERE id = $1");
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, SigningKeyRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// An account's keys, oldest first.
    pub(crate) async fn signing_keys_of(
        &mut self,
        account_id: &str,
    ) -> Result<Vec<SigningKeyRow>, StoreError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM member_signing_keys WHERE account_id = $1 \
             ORDER BY enrolled_at, id"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, SigningKeyRow>(&sql)
            .bind(account_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Every key not yet revoked, with its account's username, pending ones first and then
    /// oldest first: what an admin approves or revokes.
    pub(crate) async fn unrevoked_signing_keys(
        &mut self,
    ) -> Result<Vec<AccountSigningKeyRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, AccountSigningKeyRow>(
            "SELECT k.id, k.account_id, k.kind, k.algorithm, k.public_key, k.fingerprint, \
             k.label, k.status, k.enrolled_at, k.approved_by, k.approved_at, k.revoked_by, \
             k.revoked_at, a.username FROM member_signing_keys k \
             JOIN accounts a ON a.id = k.account_id WHERE k.status <> 'revoked' \
             ORDER BY CASE k.status WHEN 'pending' THEN 0 ELSE 1 END, k.enrolled_at, k.id")
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Moves a pending key into force; false when it was no longer pending.
    pub(crate) async fn approve_signing_key(
        &mut self,
        id: &str,
        by: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let done = on_conn!(self, conn => sqlx::query(
            "UPDATE member_signing_keys SET status = 'active', approved_by = $2, approved_at = $3 \
             WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .bind(by)
            .bind(now)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Ends a key; false when it had already ended.
    pub(crate) async fn revoke_signing_key(
        &mut self,
        id: &str,
        by: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let done = on_conn!(self, conn => sqlx::query(
            "UPDATE member_signing_keys SET status = 'revoked', revoked_by = $2, revoked_at = $3 \
             WHERE id = $1 AND status <> 'revoked'")
            .bind(id)
            .bind(by)
            .bind(now)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    pub(crate) async fn insert_member_signature(
        &mut self,
        row: &MemberSignatureRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_member_signatures (session_id, seat, report_sha256, key_id, \
             key_fingerprint, signature, signed_sha256, signed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&row.session_id)
            .bind(row.seat)
            .bind(&row.report_sha256)
            .bind(&row.key_id)
            .bind(&row.key_fingerprint)
            .bind(&row.signature)
            .bind(&row.signed_sha256)
            .bind(row.signed_at)
            .execute(conn)
            .await
            .map(drop)
            .map_err(conflict_as("signature")))
    }

    /// The members' signatures of a session, by seat and then time.
    pub async fn member_signatures(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<MemberSignatureRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, MemberSignatureRow>(
            "SELECT session_id, seat, report_sha256, key_id, key_fingerprint, signature, \
             signed_sha256, signed_at FROM session_member_signatures WHERE session_id = $1 \
             ORDER BY seat, signed_at")
            .bind(session_id)
            .fetch_all(conn)
            .await)?,
        )
    }
}
