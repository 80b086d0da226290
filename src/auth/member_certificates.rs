//! Signing keys of kind `certificate` (issue 19 §1, CA互认): a member enrols the chain of a
//! certificate from a CA the settings trust (`signing_keys.trusted_cas`), and every signature
//! with it is preceded by the same check against the CA's CRL as it is then. A certificate the
//! CA revokes after enrolment therefore signs nothing more, while what it signed before stays
//! signed: the stored signatures are never checked again by the server (an archive's verifier
//! checks them as of their signing time).

use crate::crypto::member_certificate::{
    CertificateError, MemberCertificateAuthorities, MemberCertificateChain, VerifiedCertificate,
};
use crate::crypto::member_key::MemberPublicKey;

use super::signing_keys::SigningKeyError;

/// A certificate enrolment that verified: the chain to store and what it certifies.
pub(crate) struct EnrolledCertificate {
    pub(crate) chain: MemberCertificateChain,
    pub(crate) verified: VerifiedCertificate,
}

impl EnrolledCertificate {
    pub(crate) fn public_key(&self) -> &MemberPublicKey {
        &self.verified.public_key
    }
}

/// Checks a chain as a member sends it, at `now`. Every refusal names the field and what is
/// wrong with the certificate, or which CA's CRL an admin must see to.
pub(crate) fn enrol(
    authorities: &MemberCertificateAuthorities,
    chain_pem: &str,
    now: i64,
) -> Result<EnrolledCertificate, SigningKeyError> {
    let invalid = |error: CertificateError| SigningKeyError::Invalid {
        field: "certificate_chain",
        problem: error.to_string(),
    };
    let chain = MemberCertificateChain::parse_pem(chain_pem).map_err(invalid)?;
    let verified = authorities.verify(&chain, now).map_err(invalid)?;
    Ok(EnrolledCertificate { chain, verified })
}

/// Why the certificate key `key_id` may not sign at `now`, if it may not: read from the
/// transaction that records the signature. None for a key that is no certificate.
pub(crate) async fn refusal_at_signing(
    tx: &mut crate::store::Tx,
    authorities: &MemberCertificateAuthorities,
    key_id: &str,
    now: i64,
) -> Result<Option<String>, SigningKeyError> {
    let Some(chain_pem) = tx.signing_key_certificate_chain(key_id).await? else {
        return Ok(None);
    };
    let chain = MemberCertificateChain::parse_pem(&chain_pem)
        .map_err(|e| SigningKeyError::Corrupt(format!("stored certificate chain: {e}")))?;
    match authorities.verify(&chain, now) {
        Ok(_) => Ok(None),
        Err(error) => Ok(Some(error.to_string())),
    }
}
