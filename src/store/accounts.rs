//! Accounts, bearer tokens and login throttling.

use super::{StoreError, Tx, conflict_as, on_conn};
use crate::auth::Role;
use crate::clock::Millis;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub(crate) password_hash: String,
    pub(crate) totp_sealed: Option<Vec<u8>>,
    pub center_name: Option<String>,
    pub region_code: Option<String>,
    /// A supervisor's or admin's name as others see and pick it (issue 24 §2).
    pub display_name: Option<String>,
    pub(crate) disabled: bool,
    pub(crate) created_at: i64,
}

pub(crate) struct NewAccount<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub role: Role,
    pub(crate) password_hash: &'a str,
    pub(crate) totp_sealed: Option<&'a [u8]>,
    pub center_name: Option<&'a str>,
    pub region_code: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub(crate) created_at: Millis,
}

/// What the throttle knows of one username at one client address.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct LoginSource {
    /// Failures since the last success, or since a quiet window.
    pub(crate) failures: i64,
    pub(crate) last_failure_at: Millis,
    /// 0 if the account was never logged in to from this address.
    pub(crate) last_success_at: Millis,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub(crate) account_id: String,
    pub(crate) last_used_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) revoked_at: Option<i64>,
}

const ACCOUNT_COLUMNS: &str = "id, username, role, password_hash, totp_sealed, totp_last_step, \
     center_name, region_code, display_name, client_cert_sha256, disabled, created_at";

impl Tx {
    /// A supervisor's scope as stored (regions and industries as JSON lists); `None` for a
    /// province-wide supervisor (no row).
    pub(crate) async fn supervisor_scope(
        &mut self,
        account_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, String)>(
            "SELECT regions_json, industries_json FROM supervisor_scopes WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Sets a supervisor's scope (both lists empty: province-wide).
    pub(crate) async fn set_supervisor_scope(
        &mut self,
        account_id: &str,
        regions_json: &str,
        industries_json: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO supervisor_scopes (account_id, regions_json, industries_json, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE SET \
             regions_json = excluded.regions_json, industries_json = excluded.industries_json, \
             updated_at = excluded.updated_at")
            .bind(account_id)
            .bind(regions_json)
            .bind(industries_json)
            .bind(now)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }
}

impl Tx {
    pub(crate) async fn insert_account(
        &mut self,
        account: &NewAccount<'_>,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO accounts (id, username, role, password_hash, totp_sealed, center_name, \
             region_code, display_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(account.id)
        .bind(account.username)
        .bind(account.role)
        .bind(account.password_hash)
        .bind(account.totp_sealed)
        .bind(account.center_name)
        .bind(account.region_code)
        .bind(account.display_name)
        .bind(account.created_at)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))
        .map_err(conflict_as("username"))?;
        Ok(())
    }

    pub async fn account_by_username(
        &mut self,
        username: &str,
    ) -> Result<Option<AccountRow>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, AccountRow>(&sql)
            .bind(username)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn account_by_id(
        &mut self,
        id: &str,
    ) -> Result<Option<AccountRow>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, AccountRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn account_by_certificate(
        &mut self,
        fingerprint_hex: &str,
    ) -> Result<Option<AccountRow>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE client_cert_sha256 = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, AccountRow>(&sql)
            .bind(fingerprint_hex)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn count_accounts_with_role(&mut self, role: Role) -> Result<i64, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM accounts WHERE role = $1")
            .bind(role)
            .fetch_one(conn)
            .await)?)
    }

    pub async fn count_enabled_admins(&mut self) -> Result<i64, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM accounts WHERE role = 'admin' AND NOT disabled")
            .fetch_one(conn)
            .await)?)
    }

    /// Serialises the transactions that disable accounts, so that two admins disabling each
    /// other at the same moment cannot both see the other still enabled (SQLite's single
    /// writer already does).
    pub(crate) async fn lock_admin_accounts(&mut self) -> Result<(), StoreError> {
        if let Tx::Postgres(tx) = self {
            sqlx::query("SELECT id FROM accounts WHERE role = 'admin' FOR UPDATE")
                .fetch_all(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Returns whether an account with that username exists.
    pub(crate) async fn set_account_disabled(
        &mut self,
        username: &str,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        let result = on_conn!(self, conn => sqlx::query(
            "UPDATE accounts SET disabled = $1 WHERE username = $2")
            .bind(disabled)
            .bind(username)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(result == 1)
    }

    /// A center account's name and region.
    pub(crate) async fn set_center_details(
        &mut self,
        account_id: &str,
        center_name: &str,
        region_code: &str,
    ) -> Result<bool, StoreError> {
        let result = on_conn!(self, conn => sqlx::query(
            "UPDATE accounts SET center_name = $2, region_code = $3 WHERE id = $1")
            .bind(account_id)
            .bind(center_name)
            .bind(region_code)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(result == 1)
    }

    pub(crate) async fn set_display_name(
        &mut self,
        account_id: &str,
        display_name: Option<&str>,
    ) -> Result<bool, StoreError> {
        let result = on_conn!(self, conn => sqlx::query(
            "UPDATE accounts SET display_name = $2 WHERE id = $1")
            .bind(account_id)
            .bind(display_name)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(result == 1)
    }

    pub(crate) async fn bind_client_certificate(
        &mut self,
        username: &str,
        fingerprint_hex: &str,
    ) -> Result<bool, StoreError> {
        let result = on_conn!(self, conn => sqlx::query(
            "UPDATE accounts SET client_cert_sha256 = $1 WHERE username = $2 AND role = 'center'")
            .bind(fingerprint_hex)
            .bind(username)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("client certificate"))?;
        Ok(result == 1)
    }

    /// Accepts a TOTP time step only if it is later than any accepted before, atomically, so a
    /// code observed in transit cannot be replayed even by a concurrent request.
    pub(crate) async fn advance_totp_step(
        &mut self,
        account_id: &str,
        step: i64,
    ) -> Result<bool, StoreError> {
        let result = on_conn!(self, conn => sqlx::query(
            "UPDATE accounts SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1")
            .bind(step)
            .bind(account_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(result == 1)
    }

    pub(crate) async fn insert_token(
        &mut self,
        token_hash: &[u8],
        account_id: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO auth_tokens (token_hash, account_id, created_at, last_used_at, expires_at) \
             VALUES ($1, $2, $3, $3, $4)")
            .bind(token_hash)
            .bind(account_id)
            .bind(now)
            .bind(expires_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn token(&mut self, token_hash: &[u8]) -> Result<Option<TokenRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, TokenRow>(
            "SELECT account_id, last_used_at, expires_at, revoked_at FROM auth_tokens \
             WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn touch_token(
        &mut self,
        token_hash: &[u8],
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE auth_tokens SET last_used_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn revoke_token(
        &mut self,
        token_hash: &[u8],
        now: Millis,
    ) -> Result<bool, StoreError> {
        let result = on_conn!(self, conn => sqlx::query(
            "UPDATE auth_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(token_hash)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(result == 1)
    }

    pub(crate) async fn revoke_tokens_of_account(
        &mut self,
        account_id: &str,
        now: Millis,
    ) -> Result<u64, StoreError> {
        let result = on_conn!(self, conn => sqlx::query(
            "UPDATE auth_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(account_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(result)
    }

    /// Counts one more login attempt for `subject` in its open window (a new window if the last
    /// one has closed) and returns the attempts counted so far and when the window started.
    /// One statement, so that concurrent attempts each see their own count and none can slip
    /// under the limit together.
    pub(crate) async fn count_login_attempt(
        &mut self,
        subject: &str,
        now: Millis,
        window: Millis,
    ) -> Result<(i64, Millis), StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, (i64, i64)>(
            "INSERT INTO login_throttle (subject, failures, window_started_at) VALUES ($1, 1, $2) \
             ON CONFLICT (subject) DO UPDATE SET \
               failures = CASE WHEN $2 - login_throttle.window_started_at >= $3 THEN 1 \
                               ELSE login_throttle.failures + 1 END, \
               window_started_at = CASE WHEN $2 - login_throttle.window_started_at >= $3 THEN $2 \
                               ELSE login_throttle.window_started_at END \
             RETURNING CAST(failures AS BIGINT), window_started_at")
            .bind(subject)
            .bind(now)
            .bind(window)
            .fetch_one(conn)
            .await)?)
    }

    /// Takes back one attempt counted by [`Self::count_login_attempt`] that turned out not to be
    /// a failure (it succeeded, or was never judged).
    pub(crate) async fn uncount_login_attempt(&mut self, subject: &str) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE login_throttle SET failures = failures - 1 WHERE subject = $1 AND failures > 0")
            .bind(subject)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Claims the next login attempt of one username from one address, unless that address must
    /// still wait: `Ok` with what is known of the address, its attempt now held until
    /// `hold_until` (one guess in flight per address; [`Self::set_login_source`] ends the hold),
    /// or `Err` with the time it may try again.
    pub(crate) async fn claim_login_attempt(
        &mut self,
        subject: &str,
        now: Millis,
        hold_until: Millis,
    ) -> Result<Result<LoginSource, Millis>, StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO login_sources \
               (subject, failures, last_failure_at, blocked_until, last_success_at) \
             VALUES ($1, 0, 0, 0, 0) ON CONFLICT (subject) DO NOTHING")
            .bind(subject)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        // A concurrent claim of the same row waits for this one's commit and then no longer
        // matches `blocked_until <= now` (PostgreSQL re-checks the condition on the new row).
        let claimed = on_conn!(self, conn => sqlx::query_as::<_, LoginSource>(
            "UPDATE login_sources SET blocked_until = $3 \
             WHERE subject = $1 AND blocked_until <= $2 \
             RETURNING CAST(failures AS BIGINT) AS failures, last_failure_at, last_success_at")
            .bind(subject)
            .bind(now)
            .bind(hold_until)
            .fetch_optional(conn)
            .await)?;
        if let Some(source) = claimed {
            return Ok(Ok(source));
        }
        let blocked_until = on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT blocked_until FROM login_sources WHERE subject = $1")
            .bind(subject)
            .fetch_one(conn)
            .await)?;
        Ok(Err(blocked_until))
    }

    /// Records the outcome of a claimed attempt (and so ends its hold).
    pub(crate) async fn set_login_source(
        &mut self,
        subject: &str,
        source: &LoginSource,
        blocked_until: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE login_sources SET failures = $2, last_failure_at = $3, blocked_until = $4, \
             last_success_at = $5 WHERE subject = $1")
            .bind(subject)
            .bind(source.failures)
            .bind(source.last_failure_at)
            .bind(blocked_until)
            .bind(source.last_success_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

impl Tx {
    pub(crate) async fn list_accounts(&mut self) -> Result<Vec<AccountRow>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY created_at, username");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, AccountRow>(&sql)
            .fetch_all(conn)
            .await)?)
    }

    /// Sets (or replaces) a staff account's sealed mobile number.
    pub(crate) async fn set_account_contact(
        &mut self,
        account_id: &str,
        sealed_phone: &[u8],
        at: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO account_contacts (account_id, sealed_phone, updated_at) \
             VALUES ($1, $2, $3) ON CONFLICT (account_id) DO UPDATE SET \
             sealed_phone = excluded.sealed_phone, updated_at = excluded.updated_at")
            .bind(account_id)
            .bind(sealed_phone)
            .bind(at)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// A staff account's sealed mobile number, if one is set.
    pub(crate) async fn account_contact(
        &mut self,
        account_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, Vec<u8>>(
            "SELECT sealed_phone FROM account_contacts WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(conn)
            .await)?)
    }
}
