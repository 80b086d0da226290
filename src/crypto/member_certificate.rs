//! Members' certificates from outside CAs (CA互认, issue 19 §1): a member enrols the chain of a
//! certificate a CA the province recognises issued to them, and signs with its key like any
//! other member key ([`MemberPublicKey`]). What the certificate adds is the CA's word that the
//! key is this person's, and the CA's power to take that word back: so the chain is checked at
//! enrolment and again at every signature, against the CA's current CRL.
//!
//! Chains and CRLs are verified with `webpki` (rustls' own verifier, already in the tree for
//! TLS): path building to a configured root, signatures, validity, basic constraints, and CRLs
//! whose own signatures, issuers and `nextUpdate` it checks. It ignores an end-entity's key
//! usage (browsers do), and that is the one extension a signing certificate stands or falls
//! by here, so `x509-cert` reads it: a chain is accepted only if the member's certificate
//! carries a key usage with `digitalSignature` or `nonRepudiation` (see [`SIGNING_USAGES`]).
//!
//! `webpki` has no SM2, so a CA whose root holds an SM2 key (the national suite's CAs) is
//! checked by this module's own path ([`sm2_path`]) with `x509-cert` and the `sm2` crate: the
//! same steps — issuer by issuer up to the root, SM2-with-SM3 signatures (GM/T 0015's default
//! identifier), validity at the check's time, CA basic constraints on issuers, CRLs signed by
//! the issuer, stale CRLs and serials — ending in the same refusals. Its intermediates must
//! follow the member's certificate in order, each issued by the next.
//!
//! A CRL file is read again whenever its content changes (an admin replaces it; nothing
//! restarts), and a CRL past its `nextUpdate` refuses every certificate of its CA until a
//! current one is installed: a stale list cannot show a revocation made after it, and a
//! signature with legal weight should not rest on the hope that there was none.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, TrustAnchor, UnixTime};
use x509_cert::der::Decode as _;

use super::member_key::{MemberKeyError, MemberPublicKey};

/// The longest chain a member may enrol: their certificate and up to three intermediates
/// (the root is the server's, from the settings, and is not sent).
pub const MAX_CHAIN_CERTIFICATES: usize = 4;

/// What a member certificate's key usage must allow, either of them. RFC 5280 gives
/// `digitalSignature` to signatures in general and `nonRepudiation` (`contentCommitment`) to
/// signatures that commit their signer to content — a member's decision is the latter, but
/// Chinese CAs issue signing certificates with either or both (GM/T 0015), so either is enough.
/// The point of the check is what it refuses: the encryption certificate of China's dual
/// certificates (双证书) has only `keyEncipherment`/`dataEncipherment`, and its private key is
/// escrowed with the CA's key management centre — it is not under the member's sole control,
/// so a signature with it would not be theirs alone (电子签名法 §13). A certificate without a
/// key usage extension is refused too: RFC 5280 reads its absence as "any use", which a
/// signature with legal weight should not rest on.
pub const SIGNING_USAGES: &str = "digitalSignature or nonRepudiation";

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CertificateError {
    #[error(
        "is not a PEM certificate chain (-----BEGIN CERTIFICATE----- blocks, the member's \
         certificate first)"
    )]
    NotPem,
    #[error("holds more than {MAX_CHAIN_CERTIFICATES} certificates")]
    TooLong,
    #[error("holds a certificate that is not well-formed X.509")]
    Malformed,
    #[error("the certificate's key is neither an ECDSA P-256 nor an SM2 key")]
    NotP256,
    #[error("no CA is trusted for members' certificates on this server (signing_keys.trusted_cas)")]
    NoTrustedCa,
    #[error("is not issued by a CA this server trusts (signing_keys.trusted_cas)")]
    UnknownCa,
    #[error("the certificate has expired")]
    Expired,
    #[error("the certificate is not valid yet")]
    NotYetValid,
    #[error(
        "the certificate's key usage allows neither digitalSignature nor nonRepudiation (an \
         encryption certificate cannot sign)"
    )]
    KeyUsage,
    #[error("the certificate has been revoked: the CRL of {0} lists it")]
    Revoked(String),
    #[error(
        "the CRL of {0} is out of date (past its nextUpdate); an admin must install a current \
         one before its certificates can be checked"
    )]
    StaleCrl(String),
    #[error(
        "the CRL file of {0} cannot be read, or holds no CRL this CA signed; an admin must \
         replace it"
    )]
    UnreadableCrl(String),
    #[error("no CRL of {0} covers a certificate of this chain; an admin must add its issuer's CRL")]
    NoCrlFor(String),
    #[error(
        "does not verify up to {0}: a signature, a validity period or a constraint in the chain fails"
    )]
    Invalid(String),
}

impl CertificateError {
    /// Whether the fault is the server's CA configuration rather than the member's chain.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            Self::NoTrustedCa | Self::StaleCrl(_) | Self::UnreadableCrl(_) | Self::NoCrlFor(_)
        )
    }
}

/// A CA the settings trust: its name as admins call it, its root certificate, and the file of
/// its CRLs (one or more PEM `X509 CRL` blocks, or one DER CRL: the root's and those of the
/// intermediates under it that issue members' certificates).
pub struct CaSource<'a> {
    pub name: &'a str,
    pub root: &'a Path,
    pub crl: &'a Path,
}

/// The CAs whose members' certificates this server accepts.
#[derive(Default)]
pub struct MemberCertificateAuthorities {
    authorities: Vec<TrustedCa>,
}

struct TrustedCa {
    name: String,
    root: Root,
    crl_path: PathBuf,
    /// The CRLs last read, by the digest of the file they were read from.
    crls: Mutex<Option<([u8; 32], Crls)>>,
}

/// A CA's root, as the path that checks its chains needs it.
enum Root {
    /// Checked by webpki.
    Webpki(TrustAnchor<'static>),
    /// An SM2 root, checked by [`sm2_path`] (boxed: a parsed certificate is large).
    Sm2(Box<Sm2Issuer>),
}

/// An SM2 issuer: its certificate's subject, key and constraints, as they check what it signed.
struct Sm2Issuer {
    der: Vec<u8>,
    certificate: x509_cert::Certificate,
    key: MemberPublicKey,
}

/// A CA's CRLs as last parsed, shared by the checks that use them.
type Crls = Arc<ParsedCrls>;

enum ParsedCrls {
    Webpki(Vec<webpki::CertRevocationList<'static>>),
    Sm2(Vec<Sm2Crl>),
}

/// An SM2 CA's CRL: its parsed list and what its signature covers.
struct Sm2Crl {
    list: x509_cert::crl::CertificateList,
    signed: SignedParts,
}

/// Why a chain fails, in the terms both paths share; [`ChainFault::refusal`] says it to the
/// member.
#[derive(Debug)]
enum ChainFault {
    UnknownIssuer,
    Expired,
    NotYetValid,
    Revoked,
    StaleCrl,
    NoCrl,
    BadCrl,
    Invalid,
}

/// A chain as a member enrols it: their certificate first, then the intermediates.
#[derive(Clone, PartialEq, Eq)]
pub struct MemberCertificateChain {
    certificates: Vec<CertificateDer<'static>>,
}

/// A chain that verified: which CA vouches for it and the key it certifies.
#[derive(Debug)]
pub struct VerifiedCertificate {
    pub authority: String,
    pub public_key: MemberPublicKey,
}

impl MemberCertificateAuthorities {
    /// Reads every CA's root and CRL file now, so that a mistake in either stops the server
    /// (and `check-config`) instead of the first member who enrols.
    pub fn load(sources: &[CaSource<'_>]) -> Result<Self, String> {
        let mut authorities = Vec::with_capacity(sources.len());
        for source in sources {
            let problem =
                |what: String| format!("signing_keys.trusted_cas {:?}: {what}", source.name);
            let bytes = std::fs::read(source.root).map_err(|e| {
                problem(format!("cannot read root {} ({e})", source.root.display()))
            })?;
            let root = first_certificate(&bytes).ok_or_else(|| {
                problem(format!(
                    "{} holds no PEM or DER certificate",
                    source.root.display()
                ))
            })?;
            let not_ca = || {
                problem(format!(
                    "{} is not an X.509 v3 CA certificate",
                    source.root.display()
                ))
            };
            let root = match Sm2Issuer::parse(root.as_ref()) {
                Some(issuer) => Root::Sm2(Box::new(issuer)),
                None => Root::Webpki(
                    webpki::anchor_from_trusted_cert(&root)
                        .map_err(|_| not_ca())?
                        .to_owned(),
                ),
            };
            let authority = TrustedCa {
                name: source.name.to_owned(),
                root,
                crl_path: source.crl.to_path_buf(),
                crls: Mutex::new(None),
            };
            let crls = authority.current_crls().map_err(|_| {
                problem(format!(
                    "{} holds no CRL (PEM X509 CRL blocks or one DER CRL)",
                    source.crl.display()
                ))
            })?;
            if !authority.root_signed_a_crl(&crls) {
                return Err(problem(format!(
                    "{} holds no CRL issued by the root {}",
                    source.crl.display(),
                    source.root.display()
                )));
            }
            authorities.push(authority);
        }
        Ok(Self { authorities })
    }

    pub fn is_empty(&self) -> bool {
        self.authorities.is_empty()
    }

    /// Checks `chain` at `now_millis` against each trusted CA in turn and its CRLs as they are
    /// now on disk. The first CA the chain leads to decides: its refusal names it.
    pub fn verify(
        &self,
        chain: &MemberCertificateChain,
        now_millis: i64,
    ) -> Result<VerifiedCertificate, CertificateError> {
        if self.authorities.is_empty() {
            return Err(CertificateError::NoTrustedCa);
        }
        let leaf = chain.certificates.first().ok_or(CertificateError::NotPem)?;
        let public_key = chain.public_key()?;
        check_key_usage(leaf)?;
        for authority in &self.authorities {
            // Whether the chain leads to this CA at all, before its CRLs are read: another
            // CA's member should not be refused because of this one's stale list.
            match authority.check(chain, now_millis, None) {
                Err(ChainFault::UnknownIssuer) => continue,
                Err(fault) => return Err(fault.refusal(&authority.name)),
                Ok(()) => {}
            }
            let crls = authority
                .current_crls()
                .map_err(|()| CertificateError::UnreadableCrl(authority.name.clone()))?;
            return authority
                .check(chain, now_millis, Some(&crls))
                .map(|()| VerifiedCertificate {
                    authority: authority.name.clone(),
                    public_key,
                })
                .map_err(|fault| fault.refusal(&authority.name));
        }
        Err(CertificateError::UnknownCa)
    }
}

impl TrustedCa {
    /// The chain checked up to this CA's root at `now_millis`, against `crls` if given (without
    /// them, only whether it leads here and holds together).
    fn check(
        &self,
        chain: &MemberCertificateChain,
        now_millis: i64,
        crls: Option<&ParsedCrls>,
    ) -> Result<(), ChainFault> {
        match (&self.root, crls) {
            (Root::Sm2(root), None) => sm2_path(root, &chain.certificates, now_millis, None),
            (Root::Sm2(root), Some(ParsedCrls::Sm2(crls))) => {
                sm2_path(root, &chain.certificates, now_millis, Some(crls))
            }
            (Root::Webpki(anchor), crls) => {
                let crls = match crls {
                    None => None,
                    Some(ParsedCrls::Webpki(crls)) => Some(crls),
                    Some(ParsedCrls::Sm2(_)) => return Err(ChainFault::BadCrl),
                };
                webpki_path(anchor, &chain.certificates, now_millis, crls)
            }
            (Root::Sm2(_), Some(ParsedCrls::Webpki(_))) => Err(ChainFault::BadCrl),
        }
    }

    /// Whether one of `crls` is the root's own (a file of another CA's lists is a mistake).
    fn root_signed_a_crl(&self, crls: &ParsedCrls) -> bool {
        match (&self.root, crls) {
            (Root::Webpki(anchor), ParsedCrls::Webpki(crls)) => crls
                .iter()
                .any(|crl| crl.issuer() == anchor.subject.as_ref()),
            (Root::Sm2(root), ParsedCrls::Sm2(crls)) => crls.iter().any(|crl| root.signed_crl(crl)),
            _ => false,
        }
    }

    /// The CA's CRLs as its file holds them now: parsed again only when the file's content
    /// changed since the last read. A file that cannot be read or holds no CRL is an error,
    /// never "no revocations".
    fn current_crls(&self) -> Result<Crls, ()> {
        let bytes = std::fs::read(&self.crl_path).map_err(drop)?;
        let digest = super::untrusted_digest(&bytes);
        // A poisoned lock only means another check panicked mid-way; the cache is rebuilt.
        let mut cached = self
            .crls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((seen, crls)) = cached.as_ref()
            && *seen == digest
        {
            return Ok(crls.clone());
        }
        let crls = Arc::new(match self.root {
            Root::Webpki(_) => ParsedCrls::Webpki(parse_crls(&bytes)?),
            Root::Sm2(_) => ParsedCrls::Sm2(parse_sm2_crls(&bytes)?),
        });
        *cached = Some((digest, crls.clone()));
        Ok(crls)
    }
}

impl MemberCertificateChain {
    /// The chain as a member sends it: PEM certificates, theirs first. Text around the blocks
    /// (what `openssl x509 -text` prints) is ignored.
    pub fn parse_pem(text: &str) -> Result<Self, CertificateError> {
        let mut certificates = Vec::new();
        for certificate in CertificateDer::pem_slice_iter(text.as_bytes()) {
            let certificate = certificate.map_err(|_| CertificateError::NotPem)?;
            if x509_cert::Certificate::from_der(certificate.as_ref()).is_err() {
                return Err(CertificateError::Malformed);
            }
            certificates.push(certificate);
            if certificates.len() > MAX_CHAIN_CERTIFICATES {
                return Err(CertificateError::TooLong);
            }
        }
        if certificates.is_empty() {
            return Err(CertificateError::NotPem);
        }
        Ok(Self { certificates })
    }

    /// The chain as it is stored and handed on (the archive): PEM, the member's certificate
    /// first, nothing but the blocks.
    pub fn to_pem(&self) -> String {
        use base64::Engine as _;
        let mut out = String::new();
        for certificate in &self.certificates {
            out.push_str("-----BEGIN CERTIFICATE-----\n");
            let encoded = base64::engine::general_purpose::STANDARD.encode(certificate.as_ref());
            for line in encoded.as_bytes().chunks(64) {
                // Base64 is ASCII, so every chunk is valid UTF-8.
                out.push_str(std::str::from_utf8(line).unwrap_or_default());
                out.push('\n');
            }
            out.push_str("-----END CERTIFICATE-----\n");
        }
        out
    }

    /// The member's own certificate, DER.
    pub fn leaf_der(&self) -> &[u8] {
        self.certificates.first().map_or(&[], |c| c.as_ref())
    }

    /// The key the member's certificate certifies.
    pub fn public_key(&self) -> Result<MemberPublicKey, CertificateError> {
        let leaf = x509_cert::Certificate::from_der(self.leaf_der())
            .map_err(|_| CertificateError::Malformed)?;
        let spki = x509_cert::der::Encode::to_der(leaf.tbs_certificate().subject_public_key_info())
            .map_err(|_| CertificateError::Malformed)?;
        MemberPublicKey::from_spki_der(&spki).map_err(|e| match e {
            MemberKeyError::NotP256 | MemberKeyError::NotEncoded => CertificateError::NotP256,
            _ => CertificateError::Malformed,
        })
    }
}

impl std::fmt::Debug for MemberCertificateChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MemberCertificateChain({} certificates, leaf {})",
            self.certificates.len(),
            hex::encode(super::certificate_fingerprint(self.leaf_der()))
        )
    }
}

/// Extended key usage is the CA's business here, not the server's: members' signing
/// certificates come with clientAuth, emailProtection, documentSigning or none, and key usage
/// ([`SIGNING_USAGES`]) is what says a key may sign.
struct AnyExtendedKeyUsage;

impl webpki::ExtendedKeyUsageValidator for AnyExtendedKeyUsage {
    fn validate(&self, iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        // Still read to the end, so that a malformed extension is refused.
        for purpose in iter {
            purpose?;
        }
        Ok(())
    }
}

fn check_key_usage(leaf: &CertificateDer<'_>) -> Result<(), CertificateError> {
    let certificate =
        x509_cert::Certificate::from_der(leaf.as_ref()).map_err(|_| CertificateError::Malformed)?;
    let usage = certificate
        .tbs_certificate()
        .get_extension::<x509_cert::ext::pkix::KeyUsage>()
        .map_err(|_| CertificateError::Malformed)?;
    match usage {
        Some((_, usage)) if usage.digital_signature() || usage.non_repudiation() => Ok(()),
        _ => Err(CertificateError::KeyUsage),
    }
}

/// The chain checked by webpki up to `anchor`, against `crls` if given.
fn webpki_path(
    anchor: &TrustAnchor<'static>,
    certificates: &[CertificateDer<'static>],
    now_millis: i64,
    crls: Option<&Vec<webpki::CertRevocationList<'static>>>,
) -> Result<(), ChainFault> {
    let leaf = certificates.first().ok_or(ChainFault::Invalid)?;
    let end_entity = webpki::EndEntityCert::try_from(leaf).map_err(|_| ChainFault::Invalid)?;
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_millis(
        u64::try_from(now_millis).unwrap_or(0),
    ));
    let anchors = [anchor.clone()];
    let crl_refs: Vec<&webpki::CertRevocationList<'_>> =
        crls.map(|crls| crls.iter().collect()).unwrap_or_default();
    let revocation = match crls {
        None => None,
        Some(_) => Some(
            webpki::RevocationOptionsBuilder::new(&crl_refs)
                .map_err(|_| ChainFault::BadCrl)?
                .with_depth(webpki::RevocationCheckDepth::Chain)
                .with_status_policy(webpki::UnknownStatusPolicy::Deny)
                .with_expiration_policy(webpki::ExpirationPolicy::Enforce)
                .build(),
        ),
    };
    end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            &certificates[1..],
            time,
            AnyExtendedKeyUsage,
            revocation,
            None,
        )
        .map(drop)
        .map_err(ChainFault::of_webpki)
}

impl ChainFault {
    /// webpki's verdict in the shared terms; its own text (a third party's) never reaches
    /// the member.
    fn of_webpki(error: webpki::Error) -> Self {
        use webpki::Error as E;
        match error {
            E::CertExpired { .. } => Self::Expired,
            E::CertNotValidYet { .. } => Self::NotYetValid,
            E::CertRevoked => Self::Revoked,
            E::CrlExpired { .. } => Self::StaleCrl,
            E::UnknownRevocationStatus => Self::NoCrl,
            // A CRL in the CA's file that the CA did not sign, or signed with a key its
            // certificate may not sign CRLs with: the file is wrong, not the member's chain.
            E::InvalidCrlSignatureForPublicKey | E::IssuerNotCrlSigner => Self::BadCrl,
            E::UnknownIssuer => Self::UnknownIssuer,
            _ => Self::Invalid,
        }
    }

    /// The fault in the member's terms, naming the CA.
    fn refusal(self, authority: &str) -> CertificateError {
        let authority = authority.to_owned();
        match self {
            Self::UnknownIssuer => CertificateError::UnknownCa,
            Self::Expired => CertificateError::Expired,
            Self::NotYetValid => CertificateError::NotYetValid,
            Self::Revoked => CertificateError::Revoked(authority),
            Self::StaleCrl => CertificateError::StaleCrl(authority),
            Self::NoCrl => CertificateError::NoCrlFor(authority),
            Self::BadCrl => CertificateError::UnreadableCrl(authority),
            Self::Invalid => CertificateError::Invalid(authority),
        }
    }
}

/// GM/T 0006's OID of SM2 signatures over SM3 (`SM2-with-SM3`), on SM2 CAs' certificates and
/// CRLs.
const SM2_WITH_SM3: x509_cert::der::oid::ObjectIdentifier =
    x509_cert::der::oid::ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");

/// What a signature of a certificate or CRL covers and what it is: the to-be-signed bytes as
/// they were sent (not re-encoded), the algorithm and the signature in the fixed `r ‖ s` form.
struct SignedParts {
    tbs: Vec<u8>,
    algorithm: x509_cert::der::oid::ObjectIdentifier,
    signature: Option<[u8; 64]>,
}

impl SignedParts {
    /// The parts of a DER certificate or CRL: both are SEQUENCE { tbs, algorithm, BIT STRING }.
    fn of(der: &[u8]) -> Option<Self> {
        use x509_cert::der::Reader as _;
        let mut reader = x509_cert::der::SliceReader::new(der).ok()?;
        let (tbs, algorithm, signature) = reader
            .sequence(|body| {
                let tbs = body.tlv_bytes()?;
                let algorithm = x509_cert::spki::AlgorithmIdentifierRef::decode(body)?;
                let signature = x509_cert::der::asn1::BitStringRef::decode(body)?;
                Ok::<_, x509_cert::der::Error>((tbs, algorithm.oid, signature.as_bytes()))
            })
            .ok()?;
        Some(Self {
            tbs: tbs.to_vec(),
            algorithm,
            signature: signature.and_then(sm2_fixed_signature),
        })
    }

    /// Whether `issuer` signed these parts with SM2 over SM3.
    fn signed_by(&self, issuer: &MemberPublicKey) -> bool {
        self.algorithm == SM2_WITH_SM3
            && issuer.algorithm() == super::member_key::MemberKeyAlgorithm::Sm2Sm3
            && self
                .signature
                .is_some_and(|signature| issuer.verify(&self.tbs, &signature))
    }
}

/// An X.509 SM2 signature (DER SEQUENCE { r, s }) as `r ‖ s`, 32 bytes each, the form
/// SM2 keys verify (certificates' and CRLs' signatures, at enrolment and in archives).
pub(super) fn sm2_fixed_signature(der: &[u8]) -> Option<[u8; 64]> {
    use x509_cert::der::Reader as _;
    let mut reader = x509_cert::der::SliceReader::new(der).ok()?;
    let (r, s) = reader
        .sequence(|body| {
            let r = x509_cert::der::asn1::UintRef::decode(body)?;
            let s = x509_cert::der::asn1::UintRef::decode(body)?;
            Ok::<_, x509_cert::der::Error>((r.as_bytes(), s.as_bytes()))
        })
        .ok()?;
    let mut fixed = [0u8; 64];
    for (half, value) in [(0, r), (32, s)] {
        if value.len() > 32 {
            return None;
        }
        fixed[half + 32 - value.len()..half + 32].copy_from_slice(value);
    }
    Some(fixed)
}

impl Sm2Issuer {
    /// A certificate whose key is SM2, as an issuer of others; None for any other key.
    fn parse(der: &[u8]) -> Option<Self> {
        let certificate = x509_cert::Certificate::from_der(der).ok()?;
        let spki =
            x509_cert::der::Encode::to_der(certificate.tbs_certificate().subject_public_key_info())
                .ok()?;
        let key = MemberPublicKey::from_spki_der(&spki).ok()?;
        (key.algorithm() == super::member_key::MemberKeyAlgorithm::Sm2Sm3).then(|| Self {
            der: der.to_vec(),
            certificate,
            key,
        })
    }

    fn subject(&self) -> &x509_cert::name::Name {
        self.certificate.tbs_certificate().subject()
    }

    /// Whether this issuer's key may sign the kind of thing `usage` allows (RFC 5280 §4.2.1.3:
    /// no key usage extension allows all).
    fn may(&self, usage: x509_cert::ext::pkix::KeyUsages) -> bool {
        match self
            .certificate
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::KeyUsage>()
        {
            Ok(Some((_, usages))) => usages.0.contains(usage),
            Ok(None) => true,
            Err(_) => false,
        }
    }

    fn signed_crl(&self, crl: &Sm2Crl) -> bool {
        crl.list.tbs_cert_list.issuer == *self.subject() && crl.signed.signed_by(&self.key)
    }
}

/// An SM2 CA's chain checked by hand, step for step what webpki does for the others: each
/// certificate issued (name and SM2 signature) by the next and the last by `root`, every one
/// valid at `now_millis`, each issuer a CA, and with `crls` each certificate's issuer's CRL —
/// signed by that issuer, current, not listing its serial.
fn sm2_path(
    root: &Sm2Issuer,
    certificates: &[CertificateDer<'static>],
    now_millis: i64,
    crls: Option<&[Sm2Crl]>,
) -> Result<(), ChainFault> {
    // A member who sends the root too sends nothing the server needs.
    let chain: Vec<&CertificateDer<'static>> = certificates
        .iter()
        .filter(|certificate| certificate.as_ref() != root.der.as_slice())
        .collect();
    let now = std::time::Duration::from_millis(u64::try_from(now_millis).unwrap_or(0));
    let mut intermediates = Vec::with_capacity(chain.len());
    for certificate in chain.iter().skip(1) {
        let issuer = Sm2Issuer::parse(certificate.as_ref()).ok_or(ChainFault::Invalid)?;
        let is_ca = issuer
            .certificate
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::BasicConstraints>()
            .ok()
            .flatten()
            .is_some_and(|(_, constraints)| constraints.ca);
        if !is_ca || !issuer.may(x509_cert::ext::pkix::KeyUsages::KeyCertSign) {
            return Err(ChainFault::Invalid);
        }
        intermediates.push(issuer);
    }
    let issuers: Vec<&Sm2Issuer> = intermediates.iter().chain([root]).collect();
    for (index, certificate) in chain.iter().enumerate() {
        let parsed = x509_cert::Certificate::from_der(certificate.as_ref())
            .map_err(|_| ChainFault::Invalid)?;
        let tbs = parsed.tbs_certificate();
        let issuer = issuers[index];
        if tbs.issuer() != issuer.subject() {
            // The end of the chain names another root: not this CA's member.
            return Err(if index + 1 == chain.len() {
                ChainFault::UnknownIssuer
            } else {
                ChainFault::Invalid
            });
        }
        let signed = SignedParts::of(certificate.as_ref()).ok_or(ChainFault::Invalid)?;
        if !signed.signed_by(&issuer.key) {
            return Err(ChainFault::Invalid);
        }
        let validity = tbs.validity();
        if now < validity.not_before.to_unix_duration() {
            return Err(ChainFault::NotYetValid);
        }
        if now > validity.not_after.to_unix_duration() {
            return Err(ChainFault::Expired);
        }
    }
    let Some(crls) = crls else {
        return Ok(());
    };
    for (index, certificate) in chain.iter().enumerate() {
        let parsed = x509_cert::Certificate::from_der(certificate.as_ref())
            .map_err(|_| ChainFault::Invalid)?;
        let issuer = issuers[index];
        let of_issuer: Vec<&Sm2Crl> = crls
            .iter()
            .filter(|crl| crl.list.tbs_cert_list.issuer == *issuer.subject())
            .collect();
        if of_issuer.is_empty() {
            return Err(ChainFault::NoCrl);
        }
        // A list under the issuer's name that it did not sign, or may not sign: the file is
        // wrong, as webpki says of the other CAs'.
        if !issuer.may(x509_cert::ext::pkix::KeyUsages::CRLSign)
            || of_issuer
                .iter()
                .any(|crl| !crl.signed.signed_by(&issuer.key))
        {
            return Err(ChainFault::BadCrl);
        }
        // The newest list decides; one without nextUpdate cannot say it is current.
        let newest = of_issuer
            .iter()
            .max_by_key(|crl| crl.list.tbs_cert_list.this_update.to_unix_duration())
            .ok_or(ChainFault::NoCrl)?;
        let current = newest
            .list
            .tbs_cert_list
            .next_update
            .is_some_and(|next| now <= next.to_unix_duration());
        if !current {
            return Err(ChainFault::StaleCrl);
        }
        let serial = parsed.tbs_certificate().serial_number();
        let listed = newest
            .list
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .any(|revoked| revoked.serial_number == *serial);
        if listed {
            return Err(ChainFault::Revoked);
        }
    }
    Ok(())
}

/// An SM2 CA's CRL file: PEM `X509 CRL` blocks or one DER CRL, as for the others.
fn parse_sm2_crls(bytes: &[u8]) -> Result<Vec<Sm2Crl>, ()> {
    crl_ders(bytes)?
        .iter()
        .map(|der| {
            Ok(Sm2Crl {
                list: x509_cert::crl::CertificateList::from_der(der.as_ref()).map_err(drop)?,
                signed: SignedParts::of(der.as_ref()).ok_or(())?,
            })
        })
        .collect()
}

fn first_certificate(bytes: &[u8]) -> Option<CertificateDer<'static>> {
    match CertificateDer::from_pem_slice(bytes) {
        Ok(certificate) => Some(certificate),
        Err(_) if x509_cert::Certificate::from_der(bytes).is_ok() => {
            Some(CertificateDer::from(bytes.to_vec()))
        }
        Err(_) => None,
    }
}

/// A CRL file's lists: PEM `X509 CRL` blocks, or the whole file as one DER CRL.
fn crl_ders(bytes: &[u8]) -> Result<Vec<CertificateRevocationListDer<'static>>, ()> {
    let mut ders: Vec<CertificateRevocationListDer<'static>> = Vec::new();
    for crl in CertificateRevocationListDer::pem_slice_iter(bytes) {
        ders.push(crl.map_err(drop)?);
    }
    if ders.is_empty() {
        ders.push(CertificateRevocationListDer::from(bytes.to_vec()));
    }
    Ok(ders)
}

fn parse_crls(bytes: &[u8]) -> Result<Vec<webpki::CertRevocationList<'static>>, ()> {
    crl_ders(bytes)?
        .iter()
        .map(|der| {
            webpki::OwnedCertRevocationList::from_der(der.as_ref())
                .map(webpki::CertRevocationList::from)
                .map_err(drop)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000_000; // 2026-05-28
    const YEAR: i32 = 2026;

    #[expect(
        clippy::disallowed_methods,
        reason = "rcgen makes keys only from ring's system generator; these are a test CA's"
    )]
    fn test_key() -> rcgen::KeyPair {
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
    }

    struct Ca {
        certificate: rcgen::Certificate,
        key: rcgen::KeyPair,
    }

    fn ca(name: &str, issuer: Option<&Ca>) -> Ca {
        let key = test_key();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        params.not_before = rcgen::date_time_ymd(YEAR - 1, 1, 1);
        params.not_after = rcgen::date_time_ymd(YEAR + 5, 1, 1);
        let certificate = match issuer {
            None => params.self_signed(&key).unwrap(),
            Some(issuer) => params
                .signed_by(&key, &issuer.certificate, &issuer.key)
                .unwrap(),
        };
        Ca { certificate, key }
    }

    fn member(issuer: &Ca, serial: u64) -> rcgen::Certificate {
        let key = test_key();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "member");
        params.serial_number = Some(rcgen::SerialNumber::from(serial));
        params.key_usages = vec![rcgen::KeyUsagePurpose::ContentCommitment];
        // rcgen writes a key usage only beside another extension.
        params.use_authority_key_identifier_extension = true;
        params.not_before = rcgen::date_time_ymd(YEAR - 1, 1, 1);
        params.not_after = rcgen::date_time_ymd(YEAR + 1, 1, 1);
        params
            .signed_by(&key, &issuer.certificate, &issuer.key)
            .unwrap()
    }

    fn crl(issuer: &Ca, revoked: &[u64]) -> String {
        rcgen::CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(YEAR, 1, 1),
            next_update: rcgen::date_time_ymd(YEAR + 1, 1, 1),
            crl_number: rcgen::SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|serial| rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from(*serial),
                    revocation_time: rcgen::date_time_ymd(YEAR, 2, 1),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        }
        .signed_by(&issuer.certificate, &issuer.key)
        .unwrap()
        .pem()
        .unwrap()
    }

    fn authorities(dir: &Path, root: &Ca, crls: &str) -> MemberCertificateAuthorities {
        std::fs::write(dir.join("root.pem"), root.certificate.pem()).unwrap();
        std::fs::write(dir.join("crl.pem"), crls).unwrap();
        MemberCertificateAuthorities::load(&[CaSource {
            name: "CA",
            root: &dir.join("root.pem"),
            crl: &dir.join("crl.pem"),
        }])
        .unwrap()
    }

    #[test]
    fn member_certificate_under_an_intermediate_needs_both_crls_and_is_refused_once_either_revokes()
    {
        let dir = tempfile::tempdir().unwrap();
        let root = ca("root", None);
        let intermediate = ca("intermediate", Some(&root));
        let leaf = member(&intermediate, 7);
        let chain = MemberCertificateChain::parse_pem(&format!(
            "{}{}",
            leaf.pem(),
            intermediate.certificate.pem()
        ))
        .unwrap();

        // Only the root's CRL: nothing says whether the intermediate revoked the member.
        let cas = authorities(dir.path(), &root, &crl(&root, &[]));
        assert_eq!(
            cas.verify(&chain, NOW).err(),
            Some(CertificateError::NoCrlFor("CA".into()))
        );

        // Both: accepted, and the key is the member certificate's.
        let both = format!("{}{}", crl(&root, &[]), crl(&intermediate, &[]));
        std::fs::write(dir.path().join("crl.pem"), &both).unwrap();
        let verified = cas.verify(&chain, NOW).unwrap();
        assert_eq!(verified.authority, "CA");
        assert_eq!(verified.public_key, chain.public_key().unwrap());

        // The file replaced: the intermediate revokes the member — read without a restart.
        let revoked = format!("{}{}", crl(&root, &[]), crl(&intermediate, &[7]));
        std::fs::write(dir.path().join("crl.pem"), &revoked).unwrap();
        assert_eq!(
            cas.verify(&chain, NOW).err(),
            Some(CertificateError::Revoked("CA".into()))
        );
        // Checked at another time: before the member's certificate was valid.
        std::fs::write(dir.path().join("crl.pem"), &both).unwrap();
        assert_eq!(
            cas.verify(&chain, NOW - 2 * 365 * 24 * 3600 * 1000).err(),
            Some(CertificateError::NotYetValid)
        );
    }

    #[test]
    fn member_certificate_chain_round_trips_through_its_stored_pem_and_refuses_other_text() {
        let root = ca("root", None);
        let leaf = member(&root, 1);
        let chain =
            MemberCertificateChain::parse_pem(&format!("subject=…\n{}", leaf.pem())).unwrap();
        assert_eq!(
            MemberCertificateChain::parse_pem(&chain.to_pem()).unwrap(),
            chain
        );
        assert_eq!(chain.leaf_der(), leaf.der().as_ref());
        assert_eq!(
            MemberCertificateChain::parse_pem("no certificate").err(),
            Some(CertificateError::NotPem)
        );
        let five = leaf.pem().repeat(5);
        assert_eq!(
            MemberCertificateChain::parse_pem(&five).err(),
            Some(CertificateError::TooLong)
        );
        assert_eq!(
            MemberCertificateAuthorities::default()
                .verify(&chain, NOW)
                .err(),
            Some(CertificateError::NoTrustedCa)
        );
    }

    #[test]
    fn sm2_der_signatures_become_r_and_s_left_padded_to_32_bytes_each() {
        // r with DER's leading zero (its top bit set), s short (its top bytes zero).
        let mut der = vec![0x30, 0x27, 0x02, 0x21, 0x00];
        der.extend([0x80; 32]);
        der.extend([0x02, 0x02, 0x01, 0x02]);
        let fixed = sm2_fixed_signature(&der).unwrap();
        assert_eq!(&fixed[..32], &[0x80; 32]);
        assert_eq!(&fixed[32..62], &[0; 30]);
        assert_eq!(&fixed[62..], &[0x01, 0x02]);
        // An integer longer than the curve's order is no SM2 signature.
        let mut long = vec![0x30, 0x28, 0x02, 0x22, 0x01];
        long.extend([0x80; 33]);
        long.extend([0x02, 0x02, 0x01, 0x02]);
        assert_eq!(sm2_fixed_signature(&long), None);
        assert_eq!(sm2_fixed_signature(b"not DER"), None);
        assert!(SignedParts::of(b"not DER").is_none());
    }
}
