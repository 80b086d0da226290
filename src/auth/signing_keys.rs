//! Committee members' signing keys (issue 19 §1): a member enrols the public half of a key only
//! they hold, and signs the evaluation report with it (`session` verifies, through
//! [`key_for_signing`]). A member's first key is in force at once: it is enrolled by whoever
//! holds the account's login, which is all the server knows of the member then. A further key
//! could be a thief's, so it waits for an admin's approval; a lost device's key is revoked.
//! Every change is an audit entry naming the key by its fingerprint, never anything secret.

use serde::Serialize;

use crate::audit::{self, Actor, AuditEntry};
use crate::auth::{Principal, Role};
use crate::clock::{SharedClock, to_rfc3339};
use crate::crypto::Suite;
use crate::crypto::member_key::{MemberKeyAlgorithm, MemberKeyError, MemberPublicKey};
use crate::deps::Deps;
use crate::store::signing_keys::{AccountSigningKeyRow, NewSigningKey, SigningKeyRow};
use crate::store::{Store, StoreError};
use crate::text::{BoundedText, Lines};

crate::store::text_enum::text_enum! {
    /// Where the private half lives. A `certificate` key is enrolled with its chain from a
    /// trusted CA, which is checked again at every signature (`auth::member_certificates`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum SigningKeyKind {
        /// A non-extractable WebCrypto key in the member's browser.
        Webcrypto = "webcrypto",
        /// A passphrase-protected PKCS#8 file of `sealdraw client`.
        KeyFile = "key_file",
        /// A key on a PKCS#11 token.
        Pkcs11 = "pkcs11",
        /// A certificate from an outside CA the settings trust (CA互认).
        Certificate = "certificate",
    }
}

crate::store::text_enum::text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum SigningKeyStatus {
        /// Enrolled beside a key already in force: waits for an admin.
        Pending = "pending",
        /// Signs for its member.
        Active = "active",
        /// Ended; what it signed before `revoked_at` stays valid.
        Revoked = "revoked",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("no such signing key")]
    NotFound,
    #[error("this key is already enrolled")]
    AlreadyEnrolled,
    #[error("the signing key is {0}, not pending")]
    NotPending(&'static str),
    #[error("the signing key is already revoked")]
    AlreadyRevoked,
    #[error("only committee members (expert accounts) enrol signing keys")]
    NotAMember,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("stored signing key is inconsistent: {0}")]
    Corrupt(String),
}

/// An enrolment as the member sends it: a public key, or for kind `certificate` the PEM chain
/// of a certificate from a trusted CA (its key is the one enrolled).
#[derive(Debug)]
pub struct Enrolment {
    pub kind: SigningKeyKind,
    pub public_key: Option<String>,
    pub certificate_chain: Option<String>,
    pub label: String,
}

/// A key as its owner and admins see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SigningKeyView {
    pub id: String,
    pub kind: SigningKeyKind,
    /// `ecdsa-p256-sha256`, or `sm2-sm3` (national-suite deployments only).
    pub algorithm: String,
    /// SHA-256 of the DER SubjectPublicKeyInfo, hex.
    pub fingerprint: String,
    /// The DER SubjectPublicKeyInfo, base64.
    pub public_key: String,
    pub label: String,
    pub status: SigningKeyStatus,
    pub enrolled_at: String,
    pub approved_at: Option<String>,
    /// The admin's account, for a key enrolled beside one already in force.
    pub approved_by: Option<String>,
    pub revoked_at: Option<String>,
    /// The account that revoked it: its owner's or an admin's.
    pub revoked_by: Option<String>,
}

/// A key not yet revoked and whose it is, as admins list them to approve or revoke.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountSigningKeyView {
    pub account_id: String,
    pub username: String,
    #[serde(flatten)]
    pub key: SigningKeyView,
}

/// A key that may sign now, as the session's signing step needs it.
pub(crate) struct SigningKeyInForce {
    pub(crate) id: String,
    pub(crate) kind: SigningKeyKind,
    pub(crate) fingerprint: String,
    pub(crate) public_key: MemberPublicKey,
}

/// Why a key may not sign for an account now. Each names what the member can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRefusal {
    /// Unknown, or another account's: the two read alike.
    NotYours,
    Pending,
    Revoked,
}

impl KeyRefusal {
    pub(crate) fn detail(self) -> &'static str {
        match self {
            Self::NotYours => "is not a signing key enrolled for your account",
            Self::Pending => "is waiting for an admin's approval and cannot sign yet",
            Self::Revoked => "has been revoked and cannot sign",
        }
    }
}

/// The key `key_id` of `account_id` if it may sign now. Read inside the signing transaction,
/// so a revocation committed before the signature is seen by it.
pub(crate) async fn key_for_signing(
    tx: &mut crate::store::Tx,
    account_id: &str,
    key_id: &str,
) -> Result<Result<SigningKeyInForce, KeyRefusal>, SigningKeyError> {
    let Some(row) = tx.signing_key(key_id).await? else {
        return Ok(Err(KeyRefusal::NotYours));
    };
    if row.account_id != account_id {
        return Ok(Err(KeyRefusal::NotYours));
    }
    match status_of(&row)? {
        SigningKeyStatus::Pending => return Ok(Err(KeyRefusal::Pending)),
        SigningKeyStatus::Revoked => return Ok(Err(KeyRefusal::Revoked)),
        SigningKeyStatus::Active => {}
    }
    let public_key = MemberPublicKey::from_spki_der(&row.public_key)
        .map_err(|e| SigningKeyError::Corrupt(e.to_string()))?;
    // The stored name is what the archive carries; the key must be of that algorithm.
    if public_key.algorithm().name() != row.algorithm {
        return Err(SigningKeyError::Corrupt(format!(
            "algorithm {:?} of a {} key",
            row.algorithm,
            public_key.algorithm().name()
        )));
    }
    let kind = SigningKeyKind::parse(&row.kind)
        .ok_or_else(|| SigningKeyError::Corrupt(format!("kind {:?}", row.kind)))?;
    Ok(Ok(SigningKeyInForce {
        id: row.id,
        kind,
        fingerprint: row.fingerprint,
        public_key,
    }))
}

/// Whether a deployment of `suite` accepts members' keys of `algorithm` (docs/CRYPTO.md):
/// P-256 everywhere, since a browser's WebCrypto has nothing else; SM2 only under the national
/// suite, so that an international deployment's records, and the verifiers of its archives,
/// need no national algorithm.
fn accepts(suite: Suite, algorithm: MemberKeyAlgorithm) -> bool {
    match algorithm {
        MemberKeyAlgorithm::EcdsaP256Sha256 => true,
        MemberKeyAlgorithm::Sm2Sm3 => suite == Suite::Gm2024,
    }
}

pub(crate) struct SigningKeyService {
    store: Store,
    clock: SharedClock,
    suite: Suite,
    certificate_authorities:
        std::sync::Arc<crate::crypto::member_certificate::MemberCertificateAuthorities>,
}

impl SigningKeyService {
    pub(crate) fn new(deps: &Deps) -> Self {
        Self {
            store: deps.store.clone(),
            clock: deps.clock.clone(),
            suite: deps.keys.suite(),
            certificate_authorities: std::sync::Arc::default(),
        }
    }

    /// The CAs whose certificates members may enrol (`signing_keys.trusted_cas`); none
    /// unless given.
    pub(crate) fn with_certificate_authorities(
        mut self,
        authorities: std::sync::Arc<
            crate::crypto::member_certificate::MemberCertificateAuthorities,
        >,
    ) -> Self {
        self.certificate_authorities = authorities;
        self
    }

    /// Enrols a key for the caller: in force at once if it is their first (no key of theirs
    /// was ever enrolled), pending an admin's approval otherwise. Logged
    /// (`signing_key.enrolled`).
    pub(crate) async fn enrol(
        &self,
        principal: &Principal,
        enrolment: Enrolment,
    ) -> Result<SigningKeyView, SigningKeyError> {
        if principal.role != Role::Expert {
            return Err(SigningKeyError::NotAMember);
        }
        let now = self.clock.now_millis();
        let certificate = match (
            enrolment.kind,
            enrolment.public_key.as_deref(),
            enrolment.certificate_chain.as_deref(),
        ) {
            (SigningKeyKind::Certificate, None, Some(chain)) => Some(
                super::member_certificates::enrol(&self.certificate_authorities, chain, now)?,
            ),
            (SigningKeyKind::Certificate, _, _) => {
                return Err(SigningKeyError::Invalid {
                    field: "certificate_chain",
                    problem: "a certificate key is enrolled with its certificate chain (PEM), \
                              and no public_key"
                        .into(),
                });
            }
            (_, Some(_), None) => None,
            (_, _, _) => {
                return Err(SigningKeyError::Invalid {
                    field: "public_key",
                    problem: "a webcrypto, key_file or pkcs11 key is enrolled with its public \
                              key, and no certificate_chain"
                        .into(),
                });
            }
        };
        let public_key = match &certificate {
            Some(certificate) => certificate.public_key().clone(),
            None => MemberPublicKey::parse(enrolment.public_key.as_deref().unwrap_or_default())
                .map_err(|e| match e {
                    MemberKeyError::NotEncoded
                    | MemberKeyError::NotP256
                    | MemberKeyError::NotMemberKey => SigningKeyError::Invalid {
                        field: "public_key",
                        problem: e.to_string(),
                    },
                    other => SigningKeyError::Corrupt(other.to_string()),
                })?,
        };
        if !accepts(self.suite, public_key.algorithm()) {
            return Err(SigningKeyError::Invalid {
                field: if certificate.is_some() {
                    "certificate_chain"
                } else {
                    "public_key"
                },
                problem: format!(
                    "is an SM2 key, which only a deployment of the national suite (gm2024) \
                     accepts; this server runs {}",
                    self.suite.name()
                ),
            });
        }
        let label = BoundedText::parse(&enrolment.label, Lines::One, 1..=100).map_err(|p| {
            SigningKeyError::Invalid {
                field: "label",
                problem: p.to_string(),
            }
        })?;
        let fingerprint = public_key.fingerprint();
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = self.store.write().await?;
        let first = tx.signing_keys_of(&principal.account_id).await?.is_empty();
        let status = if first {
            SigningKeyStatus::Active
        } else {
            SigningKeyStatus::Pending
        };
        tx.insert_signing_key(&NewSigningKey {
            id: &id,
            account_id: &principal.account_id,
            kind: enrolment.kind.as_str(),
            algorithm: public_key.algorithm().name(),
            public_key: public_key.spki_der(),
            fingerprint: &fingerprint,
            label: label.as_str(),
            status: status.as_str(),
            enrolled_at: now,
            approved_at: first.then_some(now),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => SigningKeyError::AlreadyEnrolled,
            other => other.into(),
        })?;
        if let Some(certificate) = &certificate {
            tx.set_signing_key_certificate(
                &id,
                certificate.chain.leaf_der(),
                &certificate.chain.to_pem(),
                &certificate.verified.authority,
            )
            .await?;
        }
        let mut entry = AuditEntry::new("signing_key.enrolled", now, Actor::of(principal))
            .reference("account", principal.account_id.clone())
            .reference("signing_key", id.clone())
            .data("kind", enrolment.kind.as_str())
            .data("algorithm", public_key.algorithm().name())
            .data("fingerprint", fingerprint.clone())
            .data("status", status.as_str());
        if let Some(certificate) = &certificate {
            // The certificate's own fingerprint (what `openssl x509 -fingerprint -sha256`
            // prints) and the CA's name as the settings give it: public, and what an admin
            // looks up when the CA revokes a certificate.
            entry = entry
                .data(
                    "certificate_sha256",
                    hex::encode(crate::crypto::certificate_fingerprint(
                        certificate.chain.leaf_der(),
                    )),
                )
                .data(
                    "certificate_authority",
                    certificate.verified.authority.clone(),
                );
        }
        audit::append(&mut tx, &entry).await?;
        let row = tx
            .signing_key(&id)
            .await?
            .ok_or_else(|| SigningKeyError::Corrupt("enrolled key not found".into()))?;
        tx.commit().await?;
        view(row)
    }

    /// The caller's own keys, oldest first.
    pub(crate) async fn own(
        &self,
        principal: &Principal,
    ) -> Result<Vec<SigningKeyView>, SigningKeyError> {
        let mut tx = self.store.read().await?;
        let rows = tx.signing_keys_of(&principal.account_id).await?;
        tx.rollback().await?;
        rows.into_iter().map(view).collect()
    }

    /// Every member's keys not yet revoked, pending ones first: an admin's list to approve
    /// and revoke from.
    pub(crate) async fn unrevoked(&self) -> Result<Vec<AccountSigningKeyView>, SigningKeyError> {
        let mut tx = self.store.read().await?;
        let rows = tx.unrevoked_signing_keys().await?;
        tx.rollback().await?;
        rows.into_iter()
            .map(|AccountSigningKeyRow { key, username }| {
                Ok(AccountSigningKeyView {
                    account_id: key.account_id.clone(),
                    username,
                    key: view(key)?,
                })
            })
            .collect()
    }

    /// An admin puts a pending key in force. Logged (`signing_key.approved`).
    pub(crate) async fn approve(
        &self,
        admin: &Principal,
        key_id: &str,
    ) -> Result<SigningKeyView, SigningKeyError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let row = tx
            .signing_key(key_id)
            .await?
            .ok_or(SigningKeyError::NotFound)?;
        let status = status_of(&row)?;
        if status != SigningKeyStatus::Pending
            || !tx
                .approve_signing_key(key_id, &admin.account_id, now)
                .await?
        {
            return Err(SigningKeyError::NotPending(status.as_str()));
        }
        let entry = AuditEntry::new("signing_key.approved", now, Actor::of(admin))
            .reference("account", row.account_id.clone())
            .reference("signing_key", row.id.clone())
            .data("fingerprint", row.fingerprint.clone());
        audit::append(&mut tx, &entry).await?;
        let row = tx
            .signing_key(key_id)
            .await?
            .ok_or(SigningKeyError::NotFound)?;
        tx.commit().await?;
        view(row)
    }

    /// Its owner or an admin ends a key (a lost or replaced device). What it signed before
    /// stays valid; it signs nothing after. Logged (`signing_key.revoked`, with the time).
    pub(crate) async fn revoke(
        &self,
        principal: &Principal,
        key_id: &str,
    ) -> Result<SigningKeyView, SigningKeyError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let row = tx
            .signing_key(key_id)
            .await?
            .filter(|row| principal.role == Role::Admin || row.account_id == principal.account_id)
            .ok_or(SigningKeyError::NotFound)?;
        if !tx
            .revoke_signing_key(key_id, &principal.account_id, now)
            .await?
        {
            return Err(SigningKeyError::AlreadyRevoked);
        }
        let entry = AuditEntry::new("signing_key.revoked", now, Actor::of(principal))
            .reference("account", row.account_id.clone())
            .reference("signing_key", row.id.clone())
            .data("fingerprint", row.fingerprint.clone())
            .data("revoked_at", to_rfc3339(now));
        audit::append(&mut tx, &entry).await?;
        let row = tx
            .signing_key(key_id)
            .await?
            .ok_or(SigningKeyError::NotFound)?;
        tx.commit().await?;
        view(row)
    }
}

fn status_of(row: &SigningKeyRow) -> Result<SigningKeyStatus, SigningKeyError> {
    SigningKeyStatus::parse(&row.status)
        .ok_or_else(|| SigningKeyError::Corrupt(format!("status {:?}", row.status)))
}

fn view(row: SigningKeyRow) -> Result<SigningKeyView, SigningKeyError> {
    let status = status_of(&row)?;
    let kind = SigningKeyKind::parse(&row.kind)
        .ok_or_else(|| SigningKeyError::Corrupt(format!("kind {:?}", row.kind)))?;
    let public_key = MemberPublicKey::from_spki_der(&row.public_key)
        .map_err(|e| SigningKeyError::Corrupt(e.to_string()))?;
    Ok(SigningKeyView {
        id: row.id,
        kind,
        algorithm: row.algorithm,
        fingerprint: row.fingerprint,
        public_key: public_key.to_base64(),
        label: row.label,
        status,
        enrolled_at: to_rfc3339(row.enrolled_at),
        approved_at: row.approved_at.map(to_rfc3339),
        approved_by: row.approved_by,
        revoked_at: row.revoked_at.map(to_rfc3339),
        revoked_by: row.revoked_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_kinds_and_states_are_stored_as_their_names() {
        crate::store::text_enum::assert_serde_is_text::<SigningKeyKind>();
        crate::store::text_enum::assert_serde_is_text::<SigningKeyStatus>();
        assert_eq!(
            SigningKeyKind::parse("key_file"),
            Some(SigningKeyKind::KeyFile)
        );
        assert_eq!(SigningKeyStatus::parse("gone"), None);
    }

    #[test]
    fn signing_key_refusals_say_what_is_wrong_with_the_key() {
        assert!(KeyRefusal::Revoked.detail().contains("revoked"));
        assert!(KeyRefusal::Pending.detail().contains("approval"));
    }
}
