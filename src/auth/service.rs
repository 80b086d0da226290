//! The login, token and account workflows over the store.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::password::{self, PasswordError, PasswordHasher};
use super::token::{self, BearerToken};
use super::{AuthMethod, Principal, Role, totp};
use crate::audit::{self, Actor, AuditEntry};
use crate::clock::{Millis, SharedClock};
use crate::config::AuthSettings;
use crate::crypto::{KeyRing, Rng};
use crate::deps::Deps;
use crate::store::accounts::{AccountRow, LoginSource, NewAccount};
use crate::store::{Store, StoreError, Tx};
use crate::text::{BoundedText, Lines};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// One answer for unknown user, wrong password, missing or wrong TOTP and disabled account,
    /// so that none of them can be told apart.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("authentication required")]
    Unauthenticated,
    #[error("the token has expired or been revoked")]
    TokenEnded,
    #[error("client certificate is not registered to an account")]
    UnknownCertificate,
    #[error("not permitted for this role")]
    Forbidden,
    #[error("too many attempts; retry after {0:?}")]
    Throttled(Duration),
    #[error("an admin cannot disable their own account")]
    DisablingSelf,
    #[error("the last enabled admin account cannot be disabled")]
    LastAdmin,
    #[error("{field}: {problem}")]
    InvalidInput {
        field: &'static str,
        problem: String,
    },
    /// A supervisor's jurisdiction that cannot be (issue 16 §5): a value, not the request's
    /// form, is wrong, so it is answered as the draw's own jurisdiction fields are (422).
    #[error("{field}: {problem}")]
    InvalidScope { field: String, problem: String },
    #[error("an account named {0:?} already exists")]
    UsernameTaken(String),
    #[error("no account named {0:?}")]
    NoSuchAccount(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("sealing failed")]
    Sealing,
    /// The key module (HSM) failed: nothing was sealed or opened in software instead.
    #[error("{0}")]
    KeyModule(String),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
}

impl AuthError {
    fn from_seal(error: crate::crypto::seal::SealError) -> Self {
        match error {
            crate::crypto::seal::SealError::Module(e) => Self::KeyModule(e.to_string()),
            _ => Self::Sealing,
        }
    }
}

pub struct LoginRequest {
    pub username: String,
    pub password: SecretString,
    pub(crate) totp: Option<String>,
    pub address: Option<IpAddr>,
}

pub struct IssuedToken {
    pub token: BearerToken,
    pub(crate) expires_at: Millis,
}

pub struct NewAccountRequest {
    pub username: String,
    pub role: Role,
    pub password: SecretString,
    pub center_name: Option<String>,
    pub region_code: Option<String>,
    /// A supervisor's jurisdiction from the start, its regions already checked against the
    /// region list by the caller (`None`: province-wide, as every supervisor before scopes).
    pub scope: Option<super::jurisdiction::Scope>,
    /// A supervisor's or admin's name as others see and pick it.
    pub display_name: Option<String>,
}

/// What account creation hands back once: the TOTP secret to enrol, for roles that need one.
pub struct CreatedAccount {
    pub(crate) account_id: String,
    pub totp_secret: Option<Zeroizing<Vec<u8>>>,
}

pub struct AuthService {
    store: Store,
    clock: SharedClock,
    rng: Rng,
    keys: Arc<KeyRing>,
    hasher: PasswordHasher,
    settings: AuthSettings,
    address_limiter: AddressLimiter,
}

type AddressLimiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, InjectedClock, NoOpMiddleware<Duration>>;

/// The injected clock as governor's time source, so that the per-address allowance refills by
/// the same time as everything else (and tests move it by hand).
#[derive(Clone)]
struct InjectedClock(SharedClock);

impl governor::clock::Clock for InjectedClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now_millis()).unwrap_or(0))
    }
}

pub(crate) const MAX_USERNAME_CHARS: usize = 64;

/// How long an expert has to activate an issued login.
pub(crate) const ACTIVATION_VALIDITY_MILLIS: i64 = 7 * 24 * 3_600_000;

/// An expert login as issued: shown once to the admin, who passes it on. No `Debug`.
pub struct IssuedActivation {
    pub(crate) account_id: String,
    pub username: String,
    pub code: Zeroizing<String>,
    pub(crate) expires_at: Millis,
}

/// A login prepared for a committee member who has no pool record (a tenderer's
/// representative, 招标人代表): an expert-role account whose password nobody knows until its
/// holder activates it with the one-time code, like an expert's login. Its password hash is
/// made beforehand (argon2 runs outside the caller's transaction); [`record_prepared_login`]
/// writes it inside that transaction. Only the code's hash is stored. No `Debug`.
pub(crate) struct PreparedLogin {
    pub(crate) account_id: String,
    pub(crate) username: String,
    password_hash: String,
    pub(crate) code: Zeroizing<String>,
    pub(crate) expires_at: Millis,
}

/// An account as the administrators' list shows it: what it is, never how it logs in.
pub(crate) struct AccountListing {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub center_name: Option<String>,
    pub region_code: Option<String>,
    pub display_name: Option<String>,
    pub(crate) disabled: bool,
    pub(crate) created_at: Millis,
}

/// One account of the staff directory ([`AuthService::directory`]).
#[derive(Debug, Clone)]
pub(crate) struct DirectoryEntry {
    pub(crate) account_id: String,
    pub(crate) username: String,
    pub(crate) role: Role,
    /// A center's name, a supervisor's or admin's display name, else the username.
    pub(crate) name: String,
    pub(crate) region_code: Option<String>,
    /// A supervisor's jurisdiction (province-wide when it names nothing).
    pub(crate) scope: Option<super::jurisdiction::Scope>,
}

/// What an admin changes of an account ([`AuthService::update_account`]); `None` keeps a value.
#[derive(Debug, Default)]
pub(crate) struct AccountChanges {
    pub(crate) center_name: Option<String>,
    pub(crate) region_code: Option<String>,
    pub(crate) display_name: Option<String>,
}

const ADDRESS_LIMITER_PRUNE_AT: usize = 10_000;

/// How long a claimed attempt holds its address while the password is checked; a crash in
/// between costs that address no more than this.
const LOGIN_CLAIM_MILLIS: i64 = 10_000;

impl AuthService {
    pub(crate) fn new(deps: &Deps, settings: AuthSettings) -> Result<Self, AuthError> {
        let Deps {
            store,
            clock,
            rng,
            keys,
        } = deps.clone();
        let hasher = PasswordHasher::new(
            settings.argon2_memory_kib,
            settings.argon2_iterations,
            settings.argon2_parallelism,
            &rng,
        )?;
        let per_minute =
            NonZeroU32::new(settings.address_attempts_per_minute).unwrap_or(NonZeroU32::MIN);
        let address_limiter = RateLimiter::new(
            Quota::per_minute(per_minute),
            DefaultKeyedStateStore::default(),
            InjectedClock(clock.clone()),
        );
        Ok(Self {
            store,
            clock,
            rng,
            keys,
            hasher,
            address_limiter,
            settings,
        })
    }

    /// Throttled three ways, none of which lets a guesser lock the owner out (OWASP ASVS 2.2.1):
    /// per username and address, failures make only that address wait, longer each time; per
    /// username from all addresses, past a budget an attempt is judged only from an address the
    /// account has logged in from before, or with a one-time code; per address, an allowance
    /// whatever the username. Throttle state is keyed by blind indexes and treats names that
    /// exist and names that do not alike.
    pub(crate) async fn login(&self, request: LoginRequest) -> Result<IssuedToken, AuthError> {
        validate_username(&request.username)?;
        if request.password.expose_secret().len() > password::MAX_PASSWORD_BYTES {
            return Err(AuthError::InvalidInput {
                field: "password",
                problem: format!("must be at most {} bytes", password::MAX_PASSWORD_BYTES),
            });
        }
        self.check_address(request.address)?;
        let now = self.clock.now_millis();
        let window = self.settings.failure_window_secs * 1000;
        let name = self.name_subject(&request.username);
        let source_subject = self.source_subject(&request.username, request.address);

        // Both counts are taken before the password is checked, so that concurrent guesses
        // cannot all pass the checks before any of them is recorded.
        let mut tx = self.store.write().await?;
        let source = match tx
            .claim_login_attempt(&source_subject, now, now + LOGIN_CLAIM_MILLIS)
            .await?
        {
            Ok(source) => source,
            Err(blocked_until) => {
                tx.rollback().await?;
                return Err(throttled(blocked_until - now));
            }
        };
        let (attempts, window_start) = tx.count_login_attempt(&name, now, window).await?;
        let known_address = source.last_success_at > 0
            && now - source.last_success_at
                < self.settings.known_address_days.saturating_mul(86_400_000);
        let code_required =
            attempts > i64::from(self.settings.account_failures_per_window) && !known_address;
        if code_required && request.totp.is_none() {
            // Not judged, so neither counted nor held: the same address may try again at once
            // with a one-time code.
            tx.uncount_login_attempt(&name).await?;
            tx.set_login_source(&source_subject, &source, 0).await?;
            tx.commit().await?;
            return Err(throttled(window_start + window - now));
        }
        let account = tx.account_by_username(&request.username).await?;
        tx.commit().await?;

        let password_ok = self
            .hasher
            .verify(
                request.password,
                account.as_ref().map(|a| a.password_hash.clone()),
            )
            .await?;
        let mut tx = self.store.write().await?;
        let accepted = match account {
            Some(account) if password_ok && !account.disabled => self
                .second_factor_ok(
                    &mut tx,
                    &account,
                    request.totp.as_deref(),
                    code_required,
                    now,
                )
                .await?
                .then_some(account),
            _ => None,
        };
        let Some(account) = accepted else {
            let failures = if now - source.last_failure_at >= window {
                1
            } else {
                source.failures + 1
            };
            let failed = LoginSource {
                failures,
                last_failure_at: now,
                last_success_at: source.last_success_at,
            };
            let retry_at = now.saturating_add(failure_delay(&self.settings, failures));
            tx.set_login_source(&source_subject, &failed, retry_at)
                .await?;
            tx.commit().await?;
            return Err(AuthError::InvalidCredentials);
        };
        let succeeded = LoginSource {
            failures: 0,
            last_failure_at: 0,
            last_success_at: now,
        };
        tx.set_login_source(&source_subject, &succeeded, 0).await?;
        tx.uncount_login_attempt(&name).await?;
        let token = BearerToken::generate(&self.rng).map_err(|_| AuthError::Sealing)?;
        let expires_at = now + self.settings.token_absolute_hours * 3_600_000;
        tx.insert_token(
            &token.digest(self.keys.suite()),
            &account.id,
            now,
            expires_at,
        )
        .await?;
        let principal = principal_from(
            account,
            AuthMethod::BearerToken,
            Some(token.digest(self.keys.suite())),
        )?;
        if principal.role.requires_totp() {
            // Privileged sessions are part of the record; the login fails if it cannot be logged.
            let entry = AuditEntry::new("auth.login", now, Actor::of(&principal));
            audit::append(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        tracing::info!(account_id = %principal.account_id, role = principal.role.as_str(), "login");
        Ok(IssuedToken { token, expires_at })
    }

    /// The throttle's key for a username from all addresses.
    fn name_subject(&self, username: &str) -> String {
        hex::encode(
            self.keys
                .blind_index("login-name", &username.to_lowercase()),
        )
    }

    /// The throttle's key for a username from one client network.
    fn source_subject(&self, username: &str, address: Option<IpAddr>) -> String {
        let network =
            address.map_or_else(|| "unknown".to_owned(), |a| client_network(a).to_string());
        hex::encode(self.keys.blind_index(
            "login-source",
            &format!("{}\n{network}", username.to_lowercase()),
        ))
    }

    /// Counts an attempt from `address` (login or activation) against its per-minute allowance.
    /// Also what limits the unauthenticated application form (`POST /api/v1/applications`).
    pub(crate) fn check_address(&self, address: Option<IpAddr>) -> Result<(), AuthError> {
        let Some(address) = address else {
            return Ok(());
        };
        // Forget addresses whose allowance has fully refilled, so a scan from many addresses
        // cannot grow this map without bound.
        if self.address_limiter.len() > ADDRESS_LIMITER_PRUNE_AT {
            self.address_limiter.retain_recent();
        }
        let network = client_network(address);
        self.address_limiter
            .check_key(&network)
            .map_err(|not_until| {
                let now = governor::clock::Clock::now(&InjectedClock(self.clock.clone()));
                AuthError::Throttled(not_until.wait_time_from(now).max(Duration::from_secs(1)))
            })
    }

    /// `required`: a one-time code is needed even if the role does not need one (the username
    /// is under attack and the address is not known to the account).
    async fn second_factor_ok(
        &self,
        tx: &mut Tx,
        account: &AccountRow,
        code: Option<&str>,
        required: bool,
        now: Millis,
    ) -> Result<bool, AuthError> {
        let role = account.role;
        let Some(sealed) = &account.totp_sealed else {
            // A role that needs TOTP but has none enrolled cannot log in at all.
            return Ok(!role.requires_totp() && !required);
        };
        let Some(code) = code else { return Ok(false) };
        let secret = self
            .keys
            .open(&totp_context(&account.id), sealed)
            .map_err(AuthError::from_seal)?;
        match totp::matching_step(&secret, code, now) {
            Some(step) => Ok(tx.advance_totp_step(&account.id, step).await?),
            None => Ok(false),
        }
    }

    /// Resolves a bearer token, enforcing idle and absolute expiry, revocation and disabling.
    pub(crate) async fn authenticate_token(&self, presented: &str) -> Result<Principal, AuthError> {
        if !token::looks_like_token(presented) {
            return Err(AuthError::TokenEnded);
        }
        let digest = token::digest_of(self.keys.suite(), presented);
        let now = self.clock.now_millis();
        let idle = self.settings.token_idle_minutes * 60_000;
        let mut tx = self.store.read().await?;
        let row = tx.token(&digest).await?.ok_or(AuthError::TokenEnded)?;
        if row.revoked_at.is_some() || now >= row.expires_at || now - row.last_used_at > idle {
            return Err(AuthError::TokenEnded);
        }
        let account = tx
            .account_by_id(&row.account_id)
            .await?
            .ok_or(AuthError::TokenEnded)?;
        tx.rollback().await?;
        if account.disabled {
            return Err(AuthError::TokenEnded);
        }
        // Refreshing the idle timer at most every few seconds keeps reads from becoming writes.
        if now - row.last_used_at > 5_000 {
            let mut tx = self.store.write().await?;
            tx.touch_token(&digest, now).await?;
            tx.commit().await?;
        }
        principal_from(account, AuthMethod::BearerToken, Some(digest))
    }

    /// Resolves a verified client certificate (SHA-256 of its DER) to its center account.
    pub(crate) async fn authenticate_certificate(
        &self,
        fingerprint: &[u8; 32],
    ) -> Result<Principal, AuthError> {
        let mut tx = self.store.read().await?;
        let account = tx.account_by_certificate(&hex::encode(fingerprint)).await?;
        tx.rollback().await?;
        match account {
            Some(account) if !account.disabled && account.role == Role::Center => {
                principal_from(account, AuthMethod::ClientCertificate, None)
            }
            _ => Err(AuthError::UnknownCertificate),
        }
    }

    pub(crate) async fn logout(&self, principal: &Principal) -> Result<(), AuthError> {
        if let Some(digest) = principal.token_digest {
            let mut tx = self.store.write().await?;
            tx.revoke_token(&digest, self.clock.now_millis()).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Every account, oldest first, for the administrators' list: no password hash, no TOTP
    /// secret.
    pub(crate) async fn list_accounts(&self) -> Result<Vec<AccountListing>, StoreError> {
        let mut tx = self.store.read().await?;
        let accounts = tx.list_accounts().await?;
        tx.rollback().await?;
        Ok(accounts
            .into_iter()
            .map(|account| AccountListing {
                id: account.id,
                username: account.username,
                role: account.role,
                center_name: account.center_name,
                region_code: account.region_code,
                display_name: account.display_name,
                disabled: account.disabled,
                created_at: account.created_at,
            })
            .collect())
    }

    pub async fn create_account(
        &self,
        request: NewAccountRequest,
        actor: Actor,
    ) -> Result<CreatedAccount, AuthError> {
        validate_username(&request.username)?;
        password::check_new_password(request.password.expose_secret(), &request.username).map_err(
            |problem| AuthError::InvalidInput {
                field: "password",
                problem,
            },
        )?;
        match (request.role, &request.center_name, &request.region_code) {
            (Role::Center, Some(name), Some(region)) => {
                validate_center_name(name)?;
                validate_region_code(region)?;
            }
            (Role::Center, name, _) => {
                return Err(AuthError::InvalidInput {
                    field: if name.is_none() {
                        "center_name"
                    } else {
                        "region_code"
                    },
                    problem: "a center account needs a center name and a region code".into(),
                });
            }
            (_, None, None) => {}
            (_, name, _) => {
                return Err(AuthError::InvalidInput {
                    field: if name.is_some() {
                        "center_name"
                    } else {
                        "region_code"
                    },
                    problem: "only center accounts have a center name and region".into(),
                });
            }
        }
        if let Some(name) = &request.display_name {
            check_display_name(request.role, name)?;
        }
        if let Some(scope) = &request.scope {
            if request.role != Role::Supervisor {
                return Err(AuthError::InvalidScope {
                    field: "scope".into(),
                    problem: "only a supervisor has a jurisdiction".into(),
                });
            }
            check_industries(scope, "scope.")?;
        }
        let account_id = uuid::Uuid::now_v7().to_string();
        let hash = self.hasher.hash(request.password, &self.rng).await?;
        let totp_secret = if request.role.requires_totp() {
            Some(Zeroizing::new(
                self.rng
                    .bytes::<{ totp::SECRET_BYTES }>()
                    .map_err(|_| AuthError::Sealing)?
                    .to_vec(),
            ))
        } else {
            None
        };
        let totp_sealed = match &totp_secret {
            Some(secret) => Some(
                self.keys
                    .seal(&self.rng, &totp_context(&account_id), secret)
                    .map_err(AuthError::from_seal)?,
            ),
            None => None,
        };
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        tx.insert_account(&NewAccount {
            id: &account_id,
            username: &request.username,
            role: request.role,
            password_hash: &hash,
            totp_sealed: totp_sealed.as_deref(),
            center_name: request.center_name.as_deref(),
            region_code: request.region_code.as_deref(),
            display_name: request.display_name.as_deref().map(str::trim),
            created_at: now,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AuthError::UsernameTaken(request.username.clone()),
            other => other.into(),
        })?;
        let mut entry = AuditEntry::new("account.created", now, actor.clone())
            .reference("account", account_id.as_str())
            .data("role", request.role.as_str());
        if let Some(region) = &request.region_code {
            entry = entry.data("region_code", region);
        }
        if let Some(name) = &request.display_name {
            entry = entry.data("display_name", name.trim());
        }
        audit::append(&mut tx, &entry).await?;
        if let Some(scope) = &request.scope {
            // In the creating transaction: the supervisor is never province-wide in between.
            store_scope(&mut tx, &account_id, scope, now, actor).await?;
        }
        tx.commit().await?;
        Ok(CreatedAccount {
            account_id,
            totp_secret,
        })
    }

    /// Creates an expert login whose username is random (never the expert's name or ID number)
    /// and whose password nobody knows until the expert activates it with the one-time code.
    pub async fn issue_expert_login(&self, actor: Actor) -> Result<IssuedActivation, AuthError> {
        let random = |bytes: usize| -> Result<String, AuthError> {
            let mut buffer = vec![0u8; bytes];
            self.rng.fill(&mut buffer).map_err(|_| AuthError::Sealing)?;
            Ok(totp::base32_secret(&buffer).to_lowercase())
        };
        let username = format!("expert-{}", random(5)?);
        let unknowable = Zeroizing::new(format!("{}{}", random(20)?, random(20)?));
        let created = self
            .create_account(
                NewAccountRequest {
                    username: username.clone(),
                    role: Role::Expert,
                    password: SecretString::from(unknowable.as_str()),
                    center_name: None,
                    region_code: None,
                    scope: None,
                    display_name: None,
                },
                actor,
            )
            .await?;
        let code = Zeroizing::new(random(10)?);
        let expires_at = self.clock.now_millis() + ACTIVATION_VALIDITY_MILLIS;
        let mut tx = self.store.write().await?;
        tx.set_activation(
            &created.account_id,
            &self.keys.suite().hash(code.as_bytes()),
            expires_at,
        )
        .await?;
        tx.commit().await?;
        Ok(IssuedActivation {
            account_id: created.account_id,
            username,
            code,
            expires_at,
        })
    }

    /// Prepares `count` logins for committee members without a pool record, each with a
    /// random username starting `prefix` and a one-time activation code (see
    /// [`PreparedLogin`]). Nothing is written.
    pub(crate) async fn prepare_logins(
        &self,
        prefix: &str,
        count: usize,
    ) -> Result<Vec<PreparedLogin>, AuthError> {
        let random = |bytes: usize| -> Result<String, AuthError> {
            let mut buffer = vec![0u8; bytes];
            self.rng.fill(&mut buffer).map_err(|_| AuthError::Sealing)?;
            Ok(totp::base32_secret(&buffer).to_lowercase())
        };
        let mut logins = Vec::with_capacity(count);
        for _ in 0..count {
            let username = format!("{prefix}-{}", random(5)?);
            validate_username(&username)?;
            let unknowable = Zeroizing::new(format!("{}{}", random(20)?, random(20)?));
            let password_hash = self
                .hasher
                .hash(SecretString::from(unknowable.as_str()), &self.rng)
                .await?;
            logins.push(PreparedLogin {
                account_id: uuid::Uuid::now_v7().to_string(),
                username,
                password_hash,
                code: Zeroizing::new(random(10)?),
                expires_at: self.clock.now_millis() + ACTIVATION_VALIDITY_MILLIS,
            });
        }
        Ok(logins)
    }

    /// Changes a center account's name (what other centers and supervisors read) and region
    /// (the region is checked against the region list by the caller). Logged with what changed.
    /// Changes an account's details (admin, logged with what changed): a center's name and
    /// region, a supervisor's or admin's display name (`Some("")` clears it). Fields another
    /// role does not have are refused, naming them.
    pub(crate) async fn update_account(
        &self,
        username: &str,
        changes: &AccountChanges,
        actor: Actor,
    ) -> Result<(), AuthError> {
        could_exist(username)?;
        if let Some(name) = &changes.center_name {
            validate_center_name(name)?;
        }
        if let Some(region) = &changes.region_code {
            validate_region_code(region)?;
        }
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let account = tx
            .account_by_username(username)
            .await?
            .ok_or_else(|| AuthError::NoSuchAccount(username.into()))?;
        let centers_only = |field| AuthError::InvalidInput {
            field,
            problem: "only a center account has a center name and region".into(),
        };
        if account.role != Role::Center {
            if changes.center_name.is_some() {
                return Err(centers_only("center_name"));
            }
            if changes.region_code.is_some() {
                return Err(centers_only("region_code"));
            }
        }
        let display_name = match changes.display_name.as_deref().map(str::trim) {
            Some("") => Some(None),
            Some(name) => {
                check_display_name(account.role, name)?;
                Some(Some(name))
            }
            None => None,
        };
        let mut entry =
            AuditEntry::new("account.updated", now, actor).reference("account", &account.id);
        if account.role == Role::Center {
            let name = changes
                .center_name
                .as_deref()
                .map(str::trim)
                .map(str::to_owned)
                .or(account.center_name.clone())
                .unwrap_or_default();
            let region = changes
                .region_code
                .clone()
                .or(account.region_code.clone())
                .unwrap_or_default();
            tx.set_center_details(&account.id, &name, &region).await?;
            if account.center_name.as_deref() != Some(name.as_str()) {
                entry = entry.data("center_name", &name);
            }
            if account.region_code.as_deref() != Some(region.as_str()) {
                entry = entry.data("region_code", &region);
            }
        }
        if let Some(name) = display_name
            && account.display_name.as_deref() != name
        {
            tx.set_display_name(&account.id, name).await?;
            entry = entry.data("display_name", name.unwrap_or_default());
        }
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new one-time activation code for an expert's login (issue 24 §5): the code was lost
    /// before use, or the expert lost their password. The old code stops working, every login
    /// of the account ends, and the password stays as it was until the new code sets one. An
    /// audited admin act; the code is shown once and only its hash is stored.
    pub(crate) async fn reissue_activation(
        &self,
        username: &str,
        actor: Actor,
    ) -> Result<IssuedActivation, AuthError> {
        could_exist(username)?;
        let mut buffer = [0u8; 10];
        self.rng.fill(&mut buffer).map_err(|_| AuthError::Sealing)?;
        let code = Zeroizing::new(totp::base32_secret(&buffer).to_lowercase());
        let now = self.clock.now_millis();
        let expires_at = now + ACTIVATION_VALIDITY_MILLIS;
        let mut tx = self.store.write().await?;
        let account = tx
            .account_by_username(username)
            .await?
            .ok_or_else(|| AuthError::NoSuchAccount(username.into()))?;
        if account.role != Role::Expert {
            return Err(AuthError::InvalidInput {
                field: "username",
                problem: "activation codes are for expert logins; other accounts get a new \
                          password from an admin"
                    .into(),
            });
        }
        if account.disabled {
            return Err(AuthError::InvalidInput {
                field: "username",
                problem: "the account is disabled: enable it first".into(),
            });
        }
        tx.set_activation(
            &account.id,
            &self.keys.suite().hash(code.as_bytes()),
            expires_at,
        )
        .await?;
        tx.revoke_tokens_of_account(&account.id, now).await?;
        let entry = AuditEntry::new("account.activation_reissued", now, actor)
            .reference("account", &account.id)
            .data("expires_at", crate::clock::to_rfc3339(expires_at));
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(IssuedActivation {
            account_id: account.id,
            username: account.username,
            code,
            expires_at,
        })
    }

    /// The expert chooses a password with the one-time code. Any mismatch gets the same answer.
    pub(crate) async fn activate(
        &self,
        username: &str,
        code: &str,
        password: SecretString,
        address: Option<IpAddr>,
    ) -> Result<(), AuthError> {
        validate_username(username)?;
        password::check_new_password(password.expose_secret(), username).map_err(|problem| {
            AuthError::InvalidInput {
                field: "password",
                problem,
            }
        })?;
        self.check_address(address)?;
        let now = self.clock.now_millis();
        let presented = self
            .keys
            .suite()
            .hash(code.trim().to_lowercase().as_bytes());
        let mut tx = self.store.read().await?;
        let pending = tx.activation(username).await?;
        tx.rollback().await?;
        let Some((account_id, Some(expected), Some(expires_at))) = pending else {
            return Err(AuthError::InvalidCredentials);
        };
        if now >= expires_at || !crate::crypto::constant_time_eq(&presented, &expected) {
            return Err(AuthError::InvalidCredentials);
        }
        let hash = self.hasher.hash(password, &self.rng).await?;
        let mut tx = self.store.write().await?;
        if !tx
            .complete_activation(&account_id, &expected, &hash)
            .await?
        {
            return Err(AuthError::InvalidCredentials);
        }
        let entry = AuditEntry::new(
            "account.activated",
            now,
            Actor::Account {
                id: account_id.clone(),
                role: Role::Expert,
            },
        )
        .reference("account", account_id.as_str());
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disabling ends every token of the account at once. An admin may not disable their own
    /// account, and nobody (the command line included) the last enabled admin: accounts are
    /// managed only by admins, so that would leave nobody to manage them. (No route changes a
    /// role, so demotion cannot leave no admin either.)
    pub async fn set_disabled(
        &self,
        username: &str,
        disabled: bool,
        actor: Actor,
    ) -> Result<(), AuthError> {
        let now = self.clock.now_millis();
        could_exist(username)?;
        let mut tx = self.store.write().await?;
        tx.lock_admin_accounts().await?;
        let account = tx
            .account_by_username(username)
            .await?
            .ok_or_else(|| AuthError::NoSuchAccount(username.into()))?;
        if disabled {
            if matches!(&actor, Actor::Account { id, .. } if *id == account.id) {
                return Err(AuthError::DisablingSelf);
            }
            if account.role == Role::Admin
                && !account.disabled
                && tx.count_enabled_admins().await? <= 1
            {
                return Err(AuthError::LastAdmin);
            }
        }
        if !tx.set_account_disabled(username, disabled).await? {
            return Err(corrupt("account"));
        }
        if disabled {
            tx.revoke_tokens_of_account(&account.id, now).await?;
        }
        let kind = if disabled {
            "account.disabled"
        } else {
            "account.enabled"
        };
        let entry = AuditEntry::new(kind, now, actor).reference("account", account.id);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a supervisor's jurisdiction (issue 16 §5): regions (already checked against the
    /// region list by the caller, which may consult it) and industry departments; both empty
    /// is province-wide. Logged.
    pub(crate) async fn set_scope(
        &self,
        username: &str,
        scope: &super::jurisdiction::Scope,
        actor: Actor,
    ) -> Result<(), AuthError> {
        let now = self.clock.now_millis();
        could_exist(username)?;
        check_industries(scope, "")?;
        let mut tx = self.store.write().await?;
        let account = tx
            .account_by_username(username)
            .await?
            .ok_or_else(|| AuthError::NoSuchAccount(username.into()))?;
        if account.role != Role::Supervisor {
            return Err(AuthError::InvalidScope {
                field: "username".into(),
                problem: "only a supervisor has a jurisdiction".into(),
            });
        }
        store_scope(&mut tx, &account.id, scope, now, actor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a staff account's mobile number (already checked as one), sealed, for messages
    /// that concern it (an alert within a supervisor's jurisdiction). Experts' numbers live in
    /// their pool records. Logged (`account.contact_set`) without the number.
    pub(crate) async fn set_staff_phone(
        &self,
        username: &str,
        phone: &str,
        actor: Actor,
    ) -> Result<(), AuthError> {
        could_exist(username)?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let account = tx
            .account_by_username(username)
            .await?
            .ok_or_else(|| AuthError::NoSuchAccount(username.into()))?;
        if account.role == Role::Expert {
            return Err(AuthError::InvalidInput {
                field: "username",
                problem: "an expert's phone number is in their pool record".into(),
            });
        }
        let sealed = self
            .keys
            .seal(
                &self.rng,
                &staff_phone_context(&account.id),
                phone.as_bytes(),
            )
            .map_err(AuthError::from_seal)?;
        tx.set_account_contact(&account.id, &sealed, now).await?;
        let entry =
            AuditEntry::new("account.contact_set", now, actor).reference("account", &account.id);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A supervisor's jurisdiction (province-wide for anyone without one).
    /// The staff accounts others pick from (issue 24 §2): enabled centers, supervisors and
    /// admins (never experts, who stay anonymous), each with the name it is shown by; of one
    /// role if asked. With `covering_root_draw`, only supervisors whose jurisdiction covers
    /// that draw (the ones a session of it may name).
    pub(crate) async fn directory(
        &self,
        role: Option<Role>,
        covering_root_draw: Option<&str>,
    ) -> Result<Vec<DirectoryEntry>, AuthError> {
        let mut tx = self.store.read().await?;
        let accounts = tx.list_accounts().await?;
        let mut entries = Vec::new();
        for account in accounts {
            if account.disabled
                || !matches!(account.role, Role::Center | Role::Supervisor | Role::Admin)
                || role.is_some_and(|wanted| wanted != account.role)
            {
                continue;
            }
            let scope = if account.role == Role::Supervisor {
                let scope = super::jurisdiction::scope_of_supervisor(&mut tx, &account.id).await?;
                if let Some(root) = covering_root_draw
                    && !scope.covers_draw(&mut tx, root).await?
                {
                    continue;
                }
                Some(scope)
            } else if covering_root_draw.is_some() {
                continue;
            } else {
                None
            };
            let name = match account.role {
                Role::Center => account.center_name.clone(),
                _ => account.display_name.clone(),
            }
            .unwrap_or_else(|| account.username.clone());
            entries.push(DirectoryEntry {
                account_id: account.id,
                username: account.username,
                role: account.role,
                name,
                region_code: account.region_code,
                scope,
            });
        }
        tx.rollback().await?;
        entries.sort_by(|a, b| (a.role.as_str(), &a.name).cmp(&(b.role.as_str(), &b.name)));
        Ok(entries)
    }

    pub(crate) async fn scope_of_account(
        &self,
        account_id: &str,
    ) -> Result<Option<super::jurisdiction::Scope>, AuthError> {
        let mut tx = self.store.read().await?;
        let stored = tx.supervisor_scope(account_id).await?;
        tx.rollback().await?;
        Ok(match stored {
            Some((regions, industries)) => Some(super::jurisdiction::Scope {
                regions: serde_json::from_str(&regions).map_err(|_| corrupt("scope"))?,
                industries: serde_json::from_str(&industries).map_err(|_| corrupt("scope"))?,
            }),
            None => None,
        })
    }

    pub(crate) async fn revoke_all_tokens(
        &self,
        username: &str,
        actor: Actor,
    ) -> Result<u64, AuthError> {
        let now = self.clock.now_millis();
        could_exist(username)?;
        let mut tx = self.store.write().await?;
        let account = tx
            .account_by_username(username)
            .await?
            .ok_or_else(|| AuthError::NoSuchAccount(username.into()))?;
        let revoked = tx.revoke_tokens_of_account(&account.id, now).await?;
        let entry = AuditEntry::new("account.tokens_revoked", now, actor)
            .reference("account", account.id)
            .data("revoked", revoked);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    pub async fn bind_certificate(
        &self,
        username: &str,
        fingerprint: &[u8; 32],
        actor: Actor,
    ) -> Result<(), AuthError> {
        let now = self.clock.now_millis();
        could_exist(username)?;
        let mut tx = self.store.write().await?;
        if !tx
            .bind_client_certificate(username, &hex::encode(fingerprint))
            .await?
        {
            return Err(AuthError::NoSuchAccount(username.into()));
        }
        let account = tx
            .account_by_username(username)
            .await?
            .ok_or_else(|| corrupt("account"))?;
        let entry = AuditEntry::new("account.certificate_bound", now, actor)
            .reference("account", account.id)
            .data("certificate_sha256", hex::encode(fingerprint));
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Writes a [`PreparedLogin`] inside the caller's transaction: the account (role expert, no
/// usable password) and its pending activation. Returns the `account.created` entry for the
/// caller to complete with what the login is for and append in the same transaction.
pub(crate) async fn record_prepared_login(
    tx: &mut Tx,
    login: &PreparedLogin,
    actor: Actor,
    now: Millis,
) -> Result<AuditEntry, StoreError> {
    tx.insert_account(&NewAccount {
        id: &login.account_id,
        username: &login.username,
        role: Role::Expert,
        password_hash: &login.password_hash,
        totp_sealed: None,
        center_name: None,
        region_code: None,
        display_name: None,
        created_at: now,
    })
    .await?;
    let code_digest = tx.suite().hash(login.code.as_bytes());
    tx.set_activation(&login.account_id, &code_digest, login.expires_at)
        .await?;
    Ok(AuditEntry::new("account.created", now, actor)
        .reference("account", login.account_id.as_str())
        .data("role", Role::Expert.as_str()))
}

fn principal_from(
    account: AccountRow,
    method: AuthMethod,
    token_digest: Option<[u8; 32]>,
) -> Result<Principal, AuthError> {
    Ok(Principal {
        role: account.role,
        account_id: account.id,
        username: account.username,
        center_name: account.center_name,
        region_code: account.region_code,
        method,
        token_digest,
    })
}

/// Every industry of a jurisdiction is one of the list's (`at` prefixes the field name): a
/// scope made by `Scope::new` is, and one made otherwise is never stored.
fn check_industries(scope: &super::jurisdiction::Scope, at: &str) -> Result<(), AuthError> {
    super::jurisdiction::Scope::new(Vec::new(), &scope.industries)
        .map(drop)
        .map_err(|(i, problem)| AuthError::InvalidScope {
            field: format!("{at}industries[{i}]"),
            problem,
        })
}

/// Stores a supervisor's jurisdiction, replacing any, with its audit entry.
async fn store_scope(
    tx: &mut Tx,
    account_id: &str,
    scope: &super::jurisdiction::Scope,
    now: Millis,
    actor: Actor,
) -> Result<(), AuthError> {
    let encode = |list: &Vec<String>| serde_json::to_string(list).map_err(|_| corrupt("scope"));
    tx.set_supervisor_scope(
        account_id,
        &encode(&scope.regions)?,
        &encode(&scope.industries)?,
        now,
    )
    .await?;
    let entry = AuditEntry::new("account.scope_set", now, actor)
        .reference("account", account_id)
        .data("regions", &scope.regions)
        .data("industries", &scope.industries);
    audit::append(tx, &entry).await?;
    Ok(())
}

fn corrupt(what: &str) -> AuthError {
    AuthError::Store(StoreError::Corrupt(format!("account {what} is not valid")))
}

/// The sealing context of a staff account's mobile number.
pub(crate) fn staff_phone_context(account_id: &str) -> String {
    format!("account/{account_id}/phone")
}

pub(crate) fn totp_context(account_id: &str) -> String {
    format!("account/{account_id}/totp")
}

/// How long an address waits after its `failures`-th failure in a row: nothing for the first
/// few, then `failure_delay_secs`, doubling with each further failure up to the maximum
/// (exponential back-off).
fn failure_delay(settings: &AuthSettings, failures: i64) -> Millis {
    let beyond = failures - i64::from(settings.failures_before_delay);
    if beyond < 0 {
        return 0;
    }
    let doublings = u32::try_from(beyond).unwrap_or(u32::MAX).min(40);
    let delay = settings
        .failure_delay_secs
        .saturating_mul(1 << doublings)
        .min(settings.max_failure_delay_secs);
    i64::try_from(delay)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000)
}

fn throttled(wait: Millis) -> AuthError {
    AuthError::Throttled(
        Duration::from_millis(u64::try_from(wait).unwrap_or(0)).max(Duration::from_secs(1)),
    )
}

/// Who an address stands for when counting attempts: itself for IPv4, its /64 for IPv6 (one
/// customer network, whose other addresses are free to the same client).
fn client_network(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

/// A name that could never have been created names no account. Checking that first also keeps
/// bytes PostgreSQL refuses in text (NUL) away from the store.
fn could_exist(username: &str) -> Result<(), AuthError> {
    validate_username(username).map_err(|_| AuthError::NoSuchAccount(username.into()))
}

pub(crate) fn validate_username(username: &str) -> Result<(), AuthError> {
    let chars = username.chars().count();
    let ok = (3..=MAX_USERNAME_CHARS).contains(&chars)
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::InvalidInput {
            field: "username",
            problem: format!(
                "must be 3 to {MAX_USERNAME_CHARS} characters of letters, digits, '.', '_' or '-'"
            ),
        })
    }
}

/// A display name: one line of 1 to 64 characters, for supervisors and admins only (a
/// center's name is its `center_name`; experts stay anonymous).
fn check_display_name(role: Role, name: &str) -> Result<(), AuthError> {
    let invalid = |problem| AuthError::InvalidInput {
        field: "display_name",
        problem,
    };
    if !matches!(role, Role::Supervisor | Role::Admin) {
        return Err(invalid(
            "only supervisor and admin accounts have a display name (a center's is its center_name)"
                .into(),
        ));
    }
    BoundedText::parse(name, Lines::One, 1..=64)
        .map(drop)
        .map_err(|problem| invalid(problem.into()))
}

fn validate_center_name(name: &str) -> Result<(), AuthError> {
    let invalid = |problem| AuthError::InvalidInput {
        field: "center_name",
        problem,
    };
    BoundedText::parse(name, Lines::One, 1..=100)
        .map(drop)
        .map_err(|problem| invalid(problem.into()))
}

/// A six-digit administrative division code (GB/T 2260), e.g. 420100 for Wuhan.
pub(crate) fn validate_region_code(code: &str) -> Result<(), AuthError> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AuthError::InvalidInput {
            field: "region_code",
            problem: "must be a six-digit administrative division code such as 420100".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_restricted_to_a_safe_alphabet() {
        assert!(validate_username("center.wuhan-01").is_ok());
        for bad in ["ab", "has space", "名字名字", &"x".repeat(65), "a\nb"] {
            assert!(validate_username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn waits_start_after_the_free_failures_double_and_stop_at_the_maximum() {
        let settings = AuthSettings::default();
        let delays: Vec<Millis> = (1..=17).map(|f| failure_delay(&settings, f)).collect();
        assert_eq!(
            delays,
            [
                0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000,
                512_000, 900_000, 900_000, 900_000
            ]
        );
        assert_eq!(failure_delay(&settings, i64::MAX), 900_000);
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64_and_a_mapped_ipv4_one_by_its_address() {
        let network = |text: &str| client_network(text.parse().unwrap()).to_string();
        assert_eq!(
            network("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
            "2001:db8:1:2::"
        );
        assert_eq!(network("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(network("192.0.2.7"), "192.0.2.7");
    }

    #[test]
    fn region_codes_are_six_digits() {
        assert!(validate_region_code("420100").is_ok());
        assert!(validate_region_code("4201").is_err());
        assert!(validate_region_code("42010x").is_err());
    }
}
