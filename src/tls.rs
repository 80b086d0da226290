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
pub fn client_config(ca: &Path) -> Result<ClientConfig, TlsError> {
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
pub mod dev {
    use std::path::{Path, PathBuf};

    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };

    pub struct DevCertificates {
        pub dir: PathBuf,
    }

    impl DevCertificates {
        pub fn ca(&self) -> PathBuf {
            self.dir.join("ca.pem")
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

    /// Writes a fresh CA, server certificate and one client certificate per name into `dir`.
    pub fn generate(dir: &Path, client_names: &[&str]) -> Result<DevCertificates, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let err = |e: rcgen::Error| e.to_string();
        let ca_key = KeyPair::generate().map_err(err)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "sealdraw development CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca_params.self_signed(&ca_key).map_err(err)?;

        let server_key = KeyPair::generate().map_err(err)?;
        let mut server_params =
            CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into(), "::1".into()])
                .map_err(err)?;
        server_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = server_params
            .signed_by(&server_key, &ca, &ca_key)
            .map_err(err)?;

        let certificates = DevCertificates {
            dir: dir.to_path_buf(),
        };
        write(&certificates.ca(), &ca.pem(), false)?;
        write(&certificates.server_cert(), &server.pem(), false)?;
        write(
            &certificates.server_key(),
            &server_key.serialize_pem(),
            true,
        )?;
        for name in client_names {
            let client_key = KeyPair::generate().map_err(err)?;
            let mut params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
            params.distinguished_name.push(DnType::CommonName, *name);
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            let client = params.signed_by(&client_key, &ca, &ca_key).map_err(err)?;
            write(&certificates.client_cert(name), &client.pem(), false)?;
            write(
                &certificates.client_key(name),
                &client_key.serialize_pem(),
                true,
            )?;
        }
        Ok(certificates)
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
        #[cfg(not(unix))]
        let _ = private;
        let mut file = options
            .open(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        file.write_all(contents.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// SHA-256 of a certificate's DER: how a client certificate is registered to a center account.
pub fn certificate_fingerprint(der: &[u8]) -> [u8; 32] {
    crate::crypto::sha256(der)
}

pub fn fingerprint_of_pem_file(path: &Path) -> Result<[u8; 32], TlsError> {
    let certificates = read_certificates(path, "certificate")?;
    Ok(certificate_fingerprint(certificates[0].as_ref()))
}
