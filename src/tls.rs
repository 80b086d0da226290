//! TLS for the one listener: rustls with the ring provider, TLS 1.2 and 1.3 with forward-secret
//! AEAD suites only (Mozilla "intermediate"), or TLS 1.3 alone. Optional mutual TLS: a
//! client certificate, when sent, must chain to the configured client CA; the HTTP layer then
//! maps it to a trading-center account.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::{CryptoProvider, ring as ring_provider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {what} from {path}: {reason}")]
    Read {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error("TLS configuration rejected: {0}")]
    Config(String),
}

pub struct TlsOptions<'a> {
    pub cert: &'a Path,
    pub key: &'a Path,
    pub tls13_only: bool,
    pub client_ca: Option<&'a Path>,
}

/// The provider with only AEAD, forward-secret suites: ring's defaults are exactly the TLS 1.3
/// suites plus ECDHE-{ECDSA,RSA} with AES-GCM or ChaCha20-Poly1305 for TLS 1.2.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring_provider::default_provider())
}

pub fn server_config(options: &TlsOptions<'_>) -> Result<ServerConfig, TlsError> {
    let chain = read_certificates(options.cert, "certificate chain")?;
    let key = PrivateKeyDer::from_pem_file(options.key).map_err(|e| TlsError::Read {
        what: "private key",
        path: options.key.display().to_string(),
        reason: e.to_string(),
    })?;
    let versions: &[&rustls::SupportedProtocolVersion] = if options.tls13_only {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS12, &rustls::version::TLS13]
    };
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match options.client_ca {
        Some(ca_path) => {
            let mut roots = RootCertStore::empty();
            for ca in read_certificates(ca_path, "client CA bundle")? {
                roots.add(ca).map_err(|e| TlsError::Config(e.to_string()))?;
            }
            // Clients without a certificate may still connect and use a password token; a
            // certificate that is presented must verify, or the handshake fails.
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .allow_unauthenticated()
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A client configuration for calls the server makes itself (to witnesses): the same provider
/// and protocol versions as the listener, trusting only the CAs in the PEM bundle `ca`.
pub(crate) fn client_config(ca: &Path) -> Result<ClientConfig, TlsError> {
    let mut roots = RootCertStore::empty();
    for certificate in read_certificates(ca, "CA bundle")? {
        roots
            .add(certificate)
            .map_err(|e| TlsError::Config(e.to_string()))?;
    }
    Ok(ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn read_certificates(
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let read_error = |reason: String| TlsError::Read {
        what,
        path: path.display().to_string(),
        reason,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| read_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| read_error(e.to_string()))?;
    if certificates.is_empty() {
        return Err(read_error("no PEM certificate found".into()));
    }
    Ok(certificates)
}

/// Development and test certificates: a CA, a server certificate for localhost, and client
/// certificates. Never for production, where certificates come from the province's CA.
///
/// They pass strict path validation (RFC 5280 as `openssl verify -x509_strict` reads it):
/// authority and subject key identifiers, key usage, extended key usage, basic constraints on
/// the CA, and lifetimes browsers accept: a year for the leaves, two for the CA. `ensure`
/// renews them when they near their end or are not what this module would make.
pub mod dev {
    use std::path::{Path, PathBuf};

    use chrono::{DateTime, Datelike, Duration};
    use rcgen::{
        BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
        KeyPair, KeyUsagePurpose,
    };
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    use crate::clock::Millis;

    pub const LEAF_DAYS: i64 = 365;
    pub const CA_DAYS: i64 = 730;
    /// Certificates with less than this left are renewed.
    pub(crate) const RENEW_DAYS: i64 = 30;
    /// The longest leaf lifetime browsers accept (CA/Browser Forum); a longer one is renewed.
    const MAX_LEAF_DAYS: i64 = 398;
    const CA_NAME: &str = "sealdraw development CA";
    const SERVER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

    pub struct DevCertificates {
        pub(crate) dir: PathBuf,
    }

    impl DevCertificates {
        pub fn ca(&self) -> PathBuf {
            self.dir.join("ca.pem")
        }
        /// Kept (mode 0600) so that leaves can be renewed under the CA people already trust.
        pub fn ca_key(&self) -> PathBuf {
            self.dir.join("ca-key.pem")
        }
        pub fn server_cert(&self) -> PathBuf {
            self.dir.join("server.pem")
        }
        pub fn server_key(&self) -> PathBuf {
            self.dir.join("server-key.pem")
        }
        pub fn client_cert(&self, name: &str) -> PathBuf {
            self.dir.join(format!("client-{name}.pem"))
        }
        pub fn client_key(&self, name: &str) -> PathBuf {
            self.dir.join(format!("client-{name}-key.pem"))
        }
    }

    /// What [`ensure`] did.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Renewal {
        Kept,
        /// New server and client certificates under the existing CA.
        Leaves,
        /// A new CA and everything under it (none was there, or it was ending or unusable).
        All,
    }

    /// Writes a fresh CA, server certificate and one client certificate per name into `dir`,
    /// valid from the day before `now`.
    pub fn generate(
        dir: &Path,
        client_names: &[&str],
        now: Millis,
    ) -> Result<DevCertificates, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let certificates = DevCertificates {
            dir: dir.to_path_buf(),
        };
        let ca_key = fresh_key()?;
        let ca = ca_params(now)?.self_signed(&ca_key).map_err(err)?;
        write(&certificates.ca(), &ca.pem(), false)?;
        write(&certificates.ca_key(), &ca_key.serialize_pem(), true)?;
        issue_leaves(&certificates, &ca, &ca_key, client_names, now)?;
        Ok(certificates)
    }

    /// Keeps the certificates in `dir` while they pass the checks a strict client makes at
    /// `now` and will for [`RENEW_DAYS`] more; otherwise renews the leaves under the same CA, or
    /// makes everything anew when the CA itself is missing, ending or unusable.
    pub fn ensure(
        dir: &Path,
        client_names: &[&str],
        now: Millis,
    ) -> Result<(DevCertificates, Renewal), String> {
        let certificates = DevCertificates {
            dir: dir.to_path_buf(),
        };
        let Some((ca, ca_key)) = usable_ca(&certificates, now) else {
            return Ok((generate(dir, client_names, now)?, Renewal::All));
        };
        let leaves = std::iter::once((certificates.server_cert(), true)).chain(
            client_names
                .iter()
                .map(|name| (certificates.client_cert(name), false)),
        );
        let mut fresh = true;
        for (path, server) in leaves {
            fresh &= leaf_is_fresh(&path, &certificates.ca(), server, now);
        }
        if fresh {
            return Ok((certificates, Renewal::Kept));
        }
        issue_leaves(&certificates, &ca, &ca_key, client_names, now)?;
        Ok((certificates, Renewal::Leaves))
    }

    /// A fresh P-256 key (rcgen's default).
    #[expect(
        clippy::disallowed_methods,
        reason = "rcgen makes keys only from ring's system generator, not from crypto::Rng; \
                  development certificates are never used in production (SECURITY.md §6)"
    )]
    fn fresh_key() -> Result<KeyPair, String> {
        KeyPair::generate().map_err(err)
    }

    fn err(error: rcgen::Error) -> String {
        error.to_string()
    }

    /// Validity from the start of the day before `now` (clocks differ) for `days` days.
    fn validity(params: &mut CertificateParams, now: Millis, days: i64) -> Result<(), String> {
        let day = |at: Millis| -> Result<_, String> {
            let date = DateTime::from_timestamp_millis(at)
                .ok_or("the clock is out of range")?
                .date_naive();
            Ok(rcgen::date_time_ymd(
                date.year(),
                date.month() as u8,
                date.day() as u8,
            ))
        };
        params.not_before = day(now - Duration::days(1).num_milliseconds())?;
        params.not_after = day(now + Duration::days(days).num_milliseconds())?;
        Ok(())
    }

    /// The CA's parameters: the same name and key-identifier method every time, so the CA can
    /// be rebuilt from its key to sign new leaves that chain to the `ca.pem` already trusted.
    fn ca_params(now: Millis) -> Result<CertificateParams, String> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.distinguished_name.push(DnType::CommonName, CA_NAME);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, now, CA_DAYS)?;
        Ok(params)
    }

    fn leaf_params(
        names: Vec<String>,
        common_name: &str,
        purpose: ExtendedKeyUsagePurpose,
        now: Millis,
    ) -> Result<CertificateParams, String> {
        let mut params = CertificateParams::new(names).map_err(err)?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![purpose];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, now, LEAF_DAYS)?;
        Ok(params)
    }

    fn issue_leaves(
        certificates: &DevCertificates,
        ca: &Certificate,
        ca_key: &KeyPair,
        client_names: &[&str],
        now: Millis,
    ) -> Result<(), String> {
        let server_key = fresh_key()?;
        let server = leaf_params(
            SERVER_NAMES.map(String::from).to_vec(),
            "localhost",
            ExtendedKeyUsagePurpose::ServerAuth,
            now,
        )?
        .signed_by(&server_key, ca, ca_key)
        .map_err(err)?;
        write(&certificates.server_cert(), &server.pem(), false)?;
        write(
            &certificates.server_key(),
            &server_key.serialize_pem(),
            true,
        )?;
        for name in client_names {
            let client_key = fresh_key()?;
            let client = leaf_params(Vec::new(), name, ExtendedKeyUsagePurpose::ClientAuth, now)?
                .signed_by(&client_key, ca, ca_key)
                .map_err(err)?;
            write(&certificates.client_cert(name), &client.pem(), false)?;
            write(
                &certificates.client_key(name),
                &client_key.serialize_pem(),
                true,
            )?;
        }
        Ok(())
    }

    /// The CA on disk, rebuilt from its key for signing, if it is one of ours with at least
    /// [`RENEW_DAYS`] left.
    fn usable_ca(certificates: &DevCertificates, now: Millis) -> Option<(Certificate, KeyPair)> {
        let pem = std::fs::read_to_string(certificates.ca()).ok()?;
        let key = KeyPair::from_pem(&std::fs::read_to_string(certificates.ca_key()).ok()?).ok()?;
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).ok()?;
        let (not_before, not_after) = der_validity(&der)?;
        if not_before > now || not_after < now + Duration::days(RENEW_DAYS).num_milliseconds() {
            return None;
        }
        // Same name, same key, same identifier: leaves it signs chain to the file on disk.
        let rebuilt = ca_params(now).ok()?.self_signed(&key).ok()?;
        let anchor = webpki::anchor_from_trusted_cert(&der).ok()?;
        let subject_matches = webpki::anchor_from_trusted_cert(rebuilt.der())
            .ok()?
            .subject
            == anchor.subject;
        let key_matches = anchor.subject_public_key_info.as_ref()
            == webpki::anchor_from_trusted_cert(rebuilt.der())
                .ok()?
                .subject_public_key_info
                .as_ref();
        (subject_matches && key_matches).then_some((rebuilt, key))
    }

    /// Whether the leaf at `path` chains to the CA for its purpose (the server's also for its
    /// names) now and [`RENEW_DAYS`] from now, and has a lifetime browsers accept.
    fn leaf_is_fresh(path: &Path, ca: &Path, server: bool, now: Millis) -> bool {
        let read = |path: &Path| CertificateDer::from_pem_file(path).ok();
        let (Some(leaf), Some(ca)) = (read(path), read(ca)) else {
            return false;
        };
        let Some((not_before, not_after)) = der_validity(&leaf) else {
            return false;
        };
        if not_after - not_before > Duration::days(MAX_LEAF_DAYS).num_milliseconds() {
            return false;
        }
        let Ok(anchor) = webpki::anchor_from_trusted_cert(&ca) else {
            return false;
        };
        let Ok(end_entity) = webpki::EndEntityCert::try_from(&leaf) else {
            return false;
        };
        let algorithms = super::provider().signature_verification_algorithms.all;
        let usage = if server {
            webpki::KeyUsage::server_auth()
        } else {
            webpki::KeyUsage::client_auth()
        };
        let renew_at = now + Duration::days(RENEW_DAYS).num_milliseconds();
        [now, renew_at].into_iter().all(|at| {
            let time = UnixTime::since_unix_epoch(std::time::Duration::from_millis(
                u64::try_from(at).unwrap_or(0),
            ));
            end_entity
                .verify_for_usage(
                    algorithms,
                    std::slice::from_ref(&anchor),
                    &[],
                    time,
                    usage,
                    None,
                    None,
                )
                .is_ok()
        }) && (!server
            || SERVER_NAMES.iter().all(|name| {
                ServerName::try_from(*name)
                    .is_ok_and(|name| end_entity.verify_is_valid_for_subject_name(&name).is_ok())
            }))
    }

    /// notBefore and notAfter of a DER certificate (RFC 5280 §4.1), as Unix milliseconds.
    pub fn der_validity(der: &[u8]) -> Option<(Millis, Millis)> {
        let (certificate, _) = der_element(der, 0x30)?;
        let (mut tbs, _) = der_element(certificate, 0x30)?;
        if tbs.first() == Some(&0xA0) {
            tbs = der_element(tbs, 0xA0)?.1; // explicit version
        }
        let (_, rest) = der_element(tbs, 0x02)?; // serial number
        let (_, rest) = der_element(rest, 0x30)?; // signature algorithm
        let (_, rest) = der_element(rest, 0x30)?; // issuer
        let (validity, _) = der_element(rest, 0x30)?;
        let (not_before, rest) = der_time(validity)?;
        let (not_after, _) = der_time(rest)?;
        Some((not_before, not_after))
    }

    /// The contents of the DER element at the start of `input` with tag `tag`, and what follows.
    fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        let (&found, rest) = input.split_first()?;
        if found != tag {
            return None;
        }
        let (&first, rest) = rest.split_first()?;
        let (length, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let count = usize::from(first & 0x7F);
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let length = rest[..count]
                .iter()
                .fold(0usize, |length, &byte| (length << 8) | usize::from(byte));
            (length, &rest[count..])
        };
        (rest.len() >= length).then(|| rest.split_at(length))
    }

    /// A UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
    fn der_time(input: &[u8]) -> Option<(Millis, &[u8])> {
        let (text, rest, format) = match input.first()? {
            0x17 => {
                let (text, rest) = der_element(input, 0x17)?;
                let year: u32 = std::str::from_utf8(text.get(..2)?).ok()?.parse().ok()?;
                let century = if year >= 50 { "19" } else { "20" };
                let full = format!("{century}{}", std::str::from_utf8(text).ok()?);
                (full, rest, "%Y%m%d%H%M%SZ")
            }
            0x18 => {
                let (text, rest) = der_element(input, 0x18)?;
                (
                    std::str::from_utf8(text).ok()?.to_owned(),
                    rest,
                    "%Y%m%d%H%M%SZ",
                )
            }
            _ => return None,
        };
        let time = chrono::NaiveDateTime::parse_from_str(&text, format).ok()?;
        Some((time.and_utc().timestamp_millis(), rest))
    }

    fn write(path: &Path, contents: &str, private: bool) -> Result<(), String> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        // A key file written over an older one keeps the older one's mode unless told.
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot restrict {}: {e}", path.display()))?;
        }
        #[cfg(not(unix))]
        let _ = private;
        file.write_all(contents.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// SHA-256 of a certificate's DER: how a client certificate is registered to a center account.
pub(crate) fn certificate_fingerprint(der: &[u8]) -> [u8; 32] {
    crate::crypto::certificate_fingerprint(der)
}

/// The fingerprint of the one X.509 certificate in `pem` (a gateway's forwarded client
/// certificate); `None` unless it holds exactly one certificate that parses as X.509. The
/// certificate's key may be SM2: its chain was checked by the gateway, under its own CAs.
pub(crate) fn fingerprint_of_pem(pem: &[u8]) -> Option<[u8; 32]> {
    let mut certificates = CertificateDer::pem_slice_iter(pem);
    let first = certificates.next()?.ok()?;
    if certificates.next().is_some() {
        return None;
    }
    webpki::EndEntityCert::try_from(&first).ok()?;
    Some(certificate_fingerprint(first.as_ref()))
}

pub fn fingerprint_of_pem_file(path: &Path) -> Result<[u8; 32], TlsError> {
    let certificates = read_certificates(path, "certificate")?;
    Ok(certificate_fingerprint(certificates[0].as_ref()))
}
