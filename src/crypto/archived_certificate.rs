//! A member's certificate chain as an archive package carries it (docs/ARCHIVE.md §5a),
//! checked offline **as of the signing time**: years later the member's certificate has
//! expired and may have been revoked, and neither undoes a signature made while it was valid
//! and unrevoked (电子签名法 §13 asks whether the signature was reliable when it was made).
//!
//! The server's own check at enrolment and at signing ([`super::member_certificate`]) asks
//! webpki about *now*, against the CRL file as it is now; webpki has no notion of "valid at a
//! past time against a later CRL, revoked only after that time", so this module walks the chain
//! itself with `x509-cert` and `ring`: each certificate signed by the next and the last by a
//! root the verifier was given (never one from the package), each valid at the signing time,
//! issuers marked as CAs, the member's certificate's key usage as enrolment requires it, and
//! each certificate's issuer's CRL (from the package) signed by that issuer and listing none of
//! them as revoked at or before the signing time.

use std::time::Duration;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::spki::SubjectPublicKeyInfoOwned;

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
/// GM/T 0006's SM2-with-SM3, what the national suite's CAs sign with (GM/T 0015).
const SM2_WITH_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");

/// What is wrong with an archived chain, named as the package's files name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchivedChainProblem {
    /// A certificate of the chain (its index, leaf 0), or the chain as a whole (`None`).
    Certificate {
        index: Option<usize>,
        detail: String,
    },
    /// A CRL of the package (by the name it was given).
    Crl { name: String, detail: String },
}

fn certificate(index: usize, detail: impl Into<String>) -> ArchivedChainProblem {
    ArchivedChainProblem::Certificate {
        index: Some(index),
        detail: detail.into(),
    }
}

/// One CRL of the package, by its name there.
pub struct ArchivedCrl<'a> {
    pub name: &'a str,
    pub der: &'a [u8],
}

/// The certificates of a file (PEM blocks, or one DER certificate), DER: a verifier's trusted
/// roots, or a chain as it was enrolled.
pub fn certificates_from_file(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut roots = Vec::new();
    for block in CertificateDer::pem_slice_iter(bytes) {
        let block = block.map_err(|_| "holds a PEM block that is not a certificate".to_owned())?;
        roots.push(block.as_ref().to_vec());
    }
    if roots.is_empty() {
        roots.push(bytes.to_vec());
    }
    for root in &roots {
        Certificate::from_der(root).map_err(|_| "holds no X.509 certificate".to_owned())?;
    }
    Ok(roots)
}

/// The CRLs of a CA's CRL file as the server holds it (PEM `X509 CRL` blocks, or one DER
/// CRL), each as DER, for the package to carry one file each.
pub fn crls_from_file(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut crls = Vec::new();
    for block in CertificateRevocationListDer::pem_slice_iter(bytes) {
        let block = block.map_err(|_| "holds a PEM block that is not a CRL".to_owned())?;
        crls.push(block.as_ref().to_vec());
    }
    if crls.is_empty() {
        crls.push(bytes.to_vec());
    }
    for crl in &crls {
        CertificateList::<x509_cert::certificate::Rfc5280>::from_der(crl)
            .map_err(|_| "holds no X.509 CRL".to_owned())?;
    }
    Ok(crls)
}

/// The DER SubjectPublicKeyInfo a certificate certifies.
pub fn certified_key(der: &[u8]) -> Option<Vec<u8>> {
    let parsed = Certificate::from_der(der).ok()?;
    parsed
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .ok()
}

/// Checks `chain` (DER, the member's certificate first, then its intermediates as enrolled)
/// as of `signed_at_millis`: that it certifies `public_key` (SPKI DER), leads to one of
/// `roots` and was neither expired, not yet valid nor revoked (by `crls`) at that time.
pub fn verify_as_of(
    chain: &[Vec<u8>],
    public_key: &[u8],
    signed_at_millis: i64,
    roots: &[Vec<u8>],
    crls: &[ArchivedCrl<'_>],
) -> Result<(), ArchivedChainProblem> {
    if chain.is_empty() {
        return Err(ArchivedChainProblem::Certificate {
            index: None,
            detail: "is empty: a certificate key's signature carries its chain".into(),
        });
    }
    let at = Duration::from_millis(u64::try_from(signed_at_millis).unwrap_or_default());
    let mut parsed = Vec::with_capacity(chain.len());
    for (k, der) in chain.iter().enumerate() {
        parsed.push(
            Certificate::from_der(der)
                .map_err(|_| certificate(k, "is not a well-formed X.509 certificate"))?,
        );
    }
    let leaf = parsed[0].tbs_certificate();
    if leaf.subject_public_key_info().to_der().ok().as_deref() != Some(public_key) {
        return Err(certificate(0, "certifies another key than public_key"));
    }
    let usage = leaf
        .get_extension::<x509_cert::ext::pkix::KeyUsage>()
        .map_err(|_| certificate(0, "has a malformed key usage"))?;
    if !matches!(usage, Some((_, usage)) if usage.digital_signature() || usage.non_repudiation()) {
        return Err(certificate(
            0,
            "key usage allows neither digitalSignature nor nonRepudiation",
        ));
    }
    for (k, cert) in parsed.iter().enumerate() {
        if !valid_at(cert, at) {
            return Err(certificate(k, "was not valid at signed_at"));
        }
    }
    for k in 1..parsed.len() {
        let (subject, issuer) = (&parsed[k - 1], &parsed[k]);
        if !is_ca(issuer) {
            return Err(certificate(
                k,
                "is not a CA certificate (basic constraints)",
            ));
        }
        if subject.tbs_certificate().issuer() != issuer.tbs_certificate().subject()
            || !signed_by(subject, issuer)
        {
            return Err(certificate(
                k - 1,
                format!("is not signed by certificate_chain[{k}]"),
            ));
        }
    }
    let last = parsed.len() - 1;
    if roots.is_empty() {
        return Err(ArchivedChainProblem::Certificate {
            index: None,
            detail: "no CA root was given to anchor it (sealdraw archive verify --ca FILE)".into(),
        });
    }
    let root = roots
        .iter()
        .filter_map(|der| Certificate::from_der(der).ok())
        .find(|root| {
            parsed[last].tbs_certificate().issuer() == root.tbs_certificate().subject()
                && signed_by(&parsed[last], root)
        })
        .ok_or_else(|| certificate(last, "is not issued by any CA root given (--ca)"))?;
    if !valid_at(&root, at) {
        return Err(certificate(
            last,
            "its issuer's root (--ca) was not valid at signed_at",
        ));
    }

    let lists: Vec<(&str, CertificateList)> = crls
        .iter()
        .map(|crl| {
            CertificateList::from_der(crl.der)
                .map(|list| (crl.name, list))
                .map_err(|_| ArchivedChainProblem::Crl {
                    name: crl.name.to_owned(),
                    detail: "is not a DER X.509 CRL".into(),
                })
        })
        .collect::<Result<_, _>>()?;
    for (k, cert) in parsed.iter().enumerate() {
        let issuer = parsed.get(k + 1).unwrap_or(&root);
        let mut covered = false;
        for (name, list) in lists
            .iter()
            .filter(|(_, list)| list.tbs_cert_list.issuer == *issuer.tbs_certificate().subject())
        {
            if !crl_signed_by(list, issuer) {
                return Err(ArchivedChainProblem::Crl {
                    name: (*name).to_owned(),
                    detail: format!(
                        "signature: is not the signature of its issuer, certificate_chain[{k}]'s \
                         issuer"
                    ),
                });
            }
            covered = true;
            let serial = cert.tbs_certificate().serial_number().as_bytes();
            let revoked = list
                .tbs_cert_list
                .revoked_certificates
                .iter()
                .flatten()
                .find(|revoked| revoked.serial_number.as_bytes() == serial);
            if let Some(revoked) = revoked
                && revoked.revocation_date.to_unix_duration() <= at
            {
                return Err(certificate(
                    k,
                    format!(
                        "was revoked at {} ({name}), at or before signed_at",
                        revoked.revocation_date
                    ),
                ));
            }
        }
        if !covered {
            return Err(certificate(
                k,
                "no CRL of its issuer is in the package (crls/)",
            ));
        }
    }
    Ok(())
}

fn valid_at(certificate: &Certificate, at: Duration) -> bool {
    let validity = certificate.tbs_certificate().validity();
    validity.not_before.to_unix_duration() <= at && at <= validity.not_after.to_unix_duration()
}

fn is_ca(certificate: &Certificate) -> bool {
    matches!(
        certificate
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::BasicConstraints>(),
        Ok(Some((_, constraints))) if constraints.ca
    )
}

fn signed_by(subject: &Certificate, issuer: &Certificate) -> bool {
    let Ok(tbs) = subject.tbs_certificate().to_der() else {
        return false;
    };
    verify_signature(
        issuer.tbs_certificate().subject_public_key_info(),
        &subject.signature_algorithm().oid,
        &tbs,
        subject.signature().raw_bytes(),
    )
}

fn crl_signed_by(list: &CertificateList, issuer: &Certificate) -> bool {
    let Ok(tbs) = list.tbs_cert_list.to_der() else {
        return false;
    };
    verify_signature(
        issuer.tbs_certificate().subject_public_key_info(),
        &list.signature_algorithm.oid,
        &tbs,
        list.signature.raw_bytes(),
    )
}

/// An X.509 signature (a certificate's or a CRL's) by the key `spki`, for the algorithms the
/// CAs of members' certificates use: ECDSA on P-256 or P-384, RSA PKCS#1 with SHA-256, and
/// SM2 with SM3 under the default identifier (the national suite's CAs).
fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    algorithm: &ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> bool {
    use ring::signature as sig;
    if *algorithm == SM2_WITH_SM3 {
        let issuer = spki
            .to_der()
            .ok()
            .and_then(|der| super::member_key::MemberPublicKey::from_spki_der(&der).ok());
        return match (
            issuer,
            super::member_certificate::sm2_fixed_signature(signature),
        ) {
            (Some(issuer), Some(fixed)) => {
                issuer.algorithm() == super::member_key::MemberKeyAlgorithm::Sm2Sm3
                    && issuer.verify(message, &fixed)
            }
            _ => false,
        };
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok());
    let verifier: &dyn sig::VerificationAlgorithm = match (spki.algorithm.oid, curve, *algorithm) {
        (EC_PUBLIC_KEY, Some(P256), ECDSA_WITH_SHA256) => &sig::ECDSA_P256_SHA256_ASN1,
        (EC_PUBLIC_KEY, Some(P256), ECDSA_WITH_SHA384) => &sig::ECDSA_P256_SHA384_ASN1,
        (EC_PUBLIC_KEY, Some(P384), ECDSA_WITH_SHA256) => &sig::ECDSA_P384_SHA256_ASN1,
        (EC_PUBLIC_KEY, Some(P384), ECDSA_WITH_SHA384) => &sig::ECDSA_P384_SHA384_ASN1,
        (RSA_ENCRYPTION, _, SHA256_WITH_RSA) => &sig::RSA_PKCS1_2048_8192_SHA256,
        _ => return false,
    };
    sig::UnparsedPublicKey::new(verifier, spki.subject_public_key.raw_bytes())
        .verify(message, signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CA (root or intermediate) made with rcgen, and what it issued.
    struct Ca {
        certificate: rcgen::Certificate,
        key: rcgen::KeyPair,
    }

    const JAN_2025: i64 = 1_735_689_600_000;

    fn params(name: &str, from: i32, to: i32) -> rcgen::CertificateParams {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.not_before = rcgen::date_time_ymd(from, 1, 1);
        params.not_after = rcgen::date_time_ymd(to, 1, 1);
        params
    }

    fn ca_params(name: &str) -> rcgen::CertificateParams {
        let mut params = params(name, 2020, 2040);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        params
    }

    #[expect(
        clippy::disallowed_methods,
        reason = "rcgen makes keys only from ring's system generator; these are a test CA's"
    )]
    fn key() -> rcgen::KeyPair {
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
    }

    impl Ca {
        fn root(name: &str) -> Self {
            let key = key();
            let certificate = ca_params(name).self_signed(&key).unwrap();
            Self { certificate, key }
        }

        fn intermediate(&self, name: &str) -> Self {
            let key = key();
            let certificate = ca_params(name)
                .signed_by(&key, &self.certificate, &self.key)
                .unwrap();
            Self { certificate, key }
        }

        /// A member's signing certificate valid over the years `from`..`to`, and its SPKI.
        fn member(&self, serial: u64, from: i32, to: i32) -> (Vec<u8>, Vec<u8>) {
            let key = key();
            let mut params = params("评标专家", from, to);
            params.serial_number = Some(rcgen::SerialNumber::from(serial));
            params.key_usages = vec![rcgen::KeyUsagePurpose::ContentCommitment];
            params.use_authority_key_identifier_extension = true;
            let certificate = params
                .signed_by(&key, &self.certificate, &self.key)
                .unwrap();
            (certificate.der().to_vec(), key.public_key_der())
        }

        /// A CRL listing each serial revoked on 1 June of its year.
        fn crl(&self, revoked: &[(u64, i32)]) -> Vec<u8> {
            rcgen::CertificateRevocationListParams {
                this_update: rcgen::date_time_ymd(2024, 1, 1),
                next_update: rcgen::date_time_ymd(2030, 1, 1),
                crl_number: rcgen::SerialNumber::from(1u64),
                issuing_distribution_point: None,
                revoked_certs: revoked
                    .iter()
                    .map(|(serial, year)| rcgen::RevokedCertParams {
                        serial_number: rcgen::SerialNumber::from(*serial),
                        revocation_time: rcgen::date_time_ymd(*year, 6, 1),
                        reason_code: None,
                        invalidity_date: None,
                    })
                    .collect(),
                key_identifier_method: rcgen::KeyIdMethod::Sha256,
            }
            .signed_by(&self.certificate, &self.key)
            .unwrap()
            .der()
            .to_vec()
        }

        fn der(&self) -> Vec<u8> {
            self.certificate.der().to_vec()
        }
    }

    fn crls<'a>(lists: &'a [(&'a str, Vec<u8>)]) -> Vec<ArchivedCrl<'a>> {
        lists
            .iter()
            .map(|(name, der)| ArchivedCrl { name, der })
            .collect()
    }

    #[test]
    fn a_chain_under_an_intermediate_verifies_as_of_the_signing_time_whatever_came_later() {
        let root = Ca::root("root");
        let intermediate = root.intermediate("intermediate");
        // Valid 2024–2026: expired now or not, what counts is January 2025.
        let (leaf, spki) = intermediate.member(7, 2024, 2026);
        let chain = [leaf, intermediate.der()];
        let lists = [
            ("crls/root.crl", root.crl(&[])),
            // Revoked in June 2025, after the signature: still a valid signature.
            ("crls/intermediate.crl", intermediate.crl(&[(7, 2025)])),
        ];
        verify_as_of(&chain, &spki, JAN_2025, &[root.der()], &crls(&lists)).unwrap();

        // Revoked in June 2024, before it.
        let lists = [
            ("crls/root.crl", root.crl(&[])),
            ("crls/intermediate.crl", intermediate.crl(&[(7, 2024)])),
        ];
        let problem =
            verify_as_of(&chain, &spki, JAN_2025, &[root.der()], &crls(&lists)).unwrap_err();
        assert!(
            matches!(&problem, ArchivedChainProblem::Certificate { index: Some(0), detail }
                if detail.contains("was revoked at") && detail.contains("crls/intermediate.crl")),
            "{problem:?}"
        );
        // The root's CRL listing another serial leaves the intermediate standing.
        let lists = [
            ("crls/root.crl", root.crl(&[(999, 2024)])),
            ("crls/intermediate.crl", intermediate.crl(&[])),
        ];
        verify_as_of(&chain, &spki, JAN_2025, &[root.der()], &crls(&lists)).unwrap();
    }

    #[test]
    fn each_fault_names_the_certificate_or_the_crl() {
        let root = Ca::root("root");
        let stranger = Ca::root("stranger");
        let (leaf, spki) = root.member(7, 2024, 2026);
        let chain = [leaf.clone()];
        let good = [("crls/root.crl", root.crl(&[]))];
        fn check(
            chain: &[Vec<u8>],
            spki: &[u8],
            at: i64,
            roots: &[Vec<u8>],
            lists: &[(&str, Vec<u8>)],
        ) -> ArchivedChainProblem {
            verify_as_of(chain, spki, at, roots, &crls(lists)).unwrap_err()
        }
        let at_index = |problem: ArchivedChainProblem, index: Option<usize>, words: &str| {
            assert!(
                matches!(&problem, ArchivedChainProblem::Certificate { index: i, detail }
                    if *i == index && detail.contains(words)),
                "{words}: {problem:?}"
            );
        };
        // Not yet valid, or expired, at the signing time.
        at_index(
            check(
                &chain,
                &spki,
                JAN_2025 - 400 * 86_400_000,
                &[root.der()],
                &good,
            ),
            Some(0),
            "not valid at signed_at",
        );
        // Another key than the signature file's.
        let (_, other_spki) = root.member(8, 2024, 2026);
        at_index(
            check(&chain, &other_spki, JAN_2025, &[root.der()], &good),
            Some(0),
            "another key",
        );
        // No root given; a root that did not issue it.
        at_index(check(&chain, &spki, JAN_2025, &[], &good), None, "--ca");
        at_index(
            check(&chain, &spki, JAN_2025, &[stranger.der()], &good),
            Some(0),
            "not issued by any CA root given",
        );
        // No CRL of its issuer; a CRL under the issuer's name that another key signed.
        at_index(
            check(&chain, &spki, JAN_2025, &[root.der()], &[]),
            Some(0),
            "no CRL",
        );
        let forged = Ca {
            certificate: ca_params("root").self_signed(&stranger.key).unwrap(),
            key: stranger.key,
        };
        let problem = check(
            &chain,
            &spki,
            JAN_2025,
            &[root.der()],
            &[("crls/forged.crl", forged.crl(&[]))],
        );
        assert!(
            matches!(&problem, ArchivedChainProblem::Crl { name, .. } if name == "crls/forged.crl"),
            "{problem:?}"
        );
        // A certificate that is not the next one's: the chain's order matters.
        let other_root = Ca::root("other");
        let problem = check(
            &[leaf, other_root.der()],
            &spki,
            JAN_2025,
            &[root.der()],
            &good,
        );
        at_index(problem, Some(0), "is not signed by certificate_chain[1]");
    }
}
