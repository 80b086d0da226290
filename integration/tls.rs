//! The one listener speaks TLS 1.2+ (or 1.3 alone) and nothing else; client certificates from
//! the configured CA identify trading centers.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;
use sealdraw::auth::Role;

const HTTP_REQUEST: &[u8] =
    b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

/// Sends `bytes` over plain TCP and returns what the server sends back before it closes, or
/// the first `enough` bytes.
async fn raw_tcp_exchange(app: &TestApp, bytes: &[u8], enough: usize) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => reply.extend_from_slice(&chunk[..n]),
            }
            if reply.len() >= enough {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server neither answered nor closed");
    reply
}

/// A ClientHello record offering only `legacy_version` (no supported_versions extension) and
/// ECDHE suites the server's ECDSA certificate could use.
fn client_hello(legacy_version: [u8; 2], signature_algorithms: bool) -> Vec<u8> {
    fn extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
        out.extend(kind.to_be_bytes());
        out.extend((data.len() as u16).to_be_bytes());
        out.extend(data);
    }
    let mut hello = Vec::new();
    hello.extend(legacy_version);
    hello.extend([0x5a; 32]); // random
    hello.push(0); // no session id
    let suites: [u16; 6] = [0xc02b, 0xc02f, 0xc009, 0xc013, 0xc00a, 0xc014];
    hello.extend(((suites.len() * 2) as u16).to_be_bytes());
    for suite in suites {
        hello.extend(suite.to_be_bytes());
    }
    hello.extend([1, 0]); // compression: null only
    let mut extensions = Vec::new();
    // supported_groups: x25519, secp256r1; ec_point_formats: uncompressed.
    extension(&mut extensions, 0x000a, &[0, 4, 0x00, 0x1d, 0x00, 0x17]);
    extension(&mut extensions, 0x000b, &[1, 0]);
    if signature_algorithms {
        // ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256 (a TLS 1.2 extension).
        extension(&mut extensions, 0x000d, &[0, 6, 4, 3, 8, 4, 4, 1]);
    }
    hello.extend((extensions.len() as u16).to_be_bytes());
    hello.extend(extensions);

    let mut handshake = vec![0x01]; // client_hello
    handshake.extend(&(hello.len() as u32).to_be_bytes()[1..]);
    handshake.extend(hello);
    let mut record = vec![0x16, 0x03, 0x01]; // handshake record
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

#[tokio::test]
async fn plain_http_on_the_tls_port_gets_no_http_answer() {
    let app = spawn_app().await;
    let reply = raw_tcp_exchange(&app, HTTP_REQUEST, usize::MAX).await;
    assert!(
        !String::from_utf8_lossy(&reply).contains("HTTP/"),
        "plain HTTP was answered: {:?}",
        String::from_utf8_lossy(&reply)
    );

    // The very same bytes inside TLS are answered, so the refusal is about the missing TLS.
    let stream = app.raw_tls_connection().await;
    let reply = send_and_read_until_closed(stream, HTTP_REQUEST.to_vec()).await;
    assert!(
        String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&reply)
    );
}

#[tokio::test]
async fn a_tls_1_1_client_is_refused_with_an_alert_and_never_a_server_hello() {
    let app = spawn_app().await;
    let reply = raw_tcp_exchange(&app, &client_hello([0x03, 0x02], false), usize::MAX).await;
    // Nothing, or only alert records (content type 0x15): never a handshake (0x16).
    let mut rest = reply.as_slice();
    while let [content_type, _, _, high, low, tail @ ..] = rest {
        assert_eq!(
            *content_type, 0x15,
            "expected only alerts, got {reply:02x?}"
        );
        let length = usize::from(u16::from_be_bytes([*high, *low]));
        rest = tail.get(length..).unwrap_or_default();
    }
    assert!(rest.is_empty(), "a partial record came back: {reply:02x?}");

    // The same hello claiming TLS 1.2 gets a ServerHello, so the refusal is about the version.
    let reply = raw_tcp_exchange(&app, &client_hello([0x03, 0x03], true), 11).await;
    assert!(reply.len() > 11, "{reply:02x?}");
    assert_eq!(reply[0], 0x16, "handshake record");
    assert_eq!(reply[5], 0x02, "server_hello");
    assert_eq!(&reply[9..11], &[0x03, 0x03], "TLS 1.2 chosen");
}

#[tokio::test]
async fn a_tls_1_2_client_is_served_by_default() {
    let app = spawn_app().await;
    let client = app.client_with(None, &[&rustls::version::TLS12]);
    let response = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn with_tls13_only_a_tls_1_2_client_is_refused_while_tls_1_3_works() {
    let app = spawn_app_with(TestOptions {
        tls13_only: true,
        ..TestOptions::default()
    })
    .await;
    let tls12 = app.client_with(None, &[&rustls::version::TLS12]);
    let refused = tls12.get(app.url("/healthz")).send().await;
    assert!(refused.is_err(), "a TLS 1.2 client was served");

    let tls13 = app.client_with(None, &[&rustls::version::TLS13]);
    let response = tls13.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

fn mutual_tls() -> TestOptions {
    TestOptions {
        mutual_tls: true,
        ..TestOptions::default()
    }
}

#[tokio::test]
async fn a_client_certificate_from_an_untrusted_ca_is_refused_at_the_handshake() {
    let app = spawn_app_with(mutual_tls()).await;
    let (cert, key) = (
        app.foreign_certs.client_cert("intruder"),
        app.foreign_certs.client_key("intruder"),
    );
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let intruder = app.client_with(Some((&cert, &key)), &[version]);
        let refused = intruder.get(app.url("/healthz")).send().await;
        assert!(
            refused.is_err(),
            "an untrusted certificate was accepted over {version:?}"
        );
    }

    // The same client set-up with a trusted certificate connects.
    let (cert, key) = (
        app.certs.client_cert("center-a"),
        app.certs.client_key("center-a"),
    );
    let trusted = app.client_with(Some((&cert, &key)), ALL_VERSIONS);
    let response = trusted.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_registered_client_certificate_authenticates_its_center() {
    let app = spawn_app_with(mutual_tls()).await;
    app.create_account("center-a", Role::Center).await;
    let cert = app.certs.client_cert("center-a");
    let fingerprint = sealdraw::tls::fingerprint_of_pem_file(&cert).unwrap();
    app.state
        .auth
        .bind_certificate("center-a", &fingerprint, sealdraw::audit::Actor::System)
        .await
        .unwrap();

    let client = app.client_with(
        Some((&cert, &app.certs.client_key("center-a"))),
        ALL_VERSIONS,
    );
    let response = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["username"], "center-a");
    assert_eq!(me["role"], "center");
    assert_eq!(me["authenticated_by"], "client_certificate");

    // A certificate stands for its center alone: it cannot lend itself to another's token.
    let (_, expert_token) = app.account_with_token("expert.li", Role::Expert).await;
    let response = client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&expert_token)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::FORBIDDEN).await;

    // A disabled center's certificate no longer authenticates.
    app.state
        .auth
        .set_disabled("center-a", true, sealdraw::audit::Actor::System)
        .await
        .unwrap();
    let response = client.get(app.url("/api/v1/me")).send().await.unwrap();
    let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:unknown-certificate");
}

#[tokio::test]
async fn a_trusted_but_unregistered_certificate_gets_unknown_certificate() {
    let app = spawn_app_with(mutual_tls()).await;
    // center-b has an account, but its certificate was never bound to it.
    app.create_account("center-b", Role::Center).await;
    let client = app.client_with(
        Some((
            &app.certs.client_cert("center-b"),
            &app.certs.client_key("center-b"),
        )),
        ALL_VERSIONS,
    );
    let response = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_security_headers(&response);
    let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:unknown-certificate");
}

#[tokio::test]
async fn without_a_certificate_a_client_still_logs_in_with_a_password_under_mutual_tls() {
    let app = spawn_app_with(mutual_tls()).await;
    let (_, token) = app.account_with_token("center-a", Role::Center).await;
    let me = app.me(&token).await;
    assert_eq!(me["username"], "center-a");
    assert_eq!(me["authenticated_by"], "bearer_token");

    let response = app.get("/api/v1/me", None).await;
    let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:unauthenticated");
}

const DAY: i64 = 86_400_000;

/// Verifies `leaf` against `ca` as rustls-webpki does for a client at `at`: chain, validity,
/// key usage, and for a server certificate its names.
fn verify_leaf(
    ca: &std::path::Path,
    leaf: &std::path::Path,
    server: bool,
    at: i64,
) -> Result<(), String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    let ca = CertificateDer::from_pem_file(ca).unwrap();
    let leaf = CertificateDer::from_pem_file(leaf).unwrap();
    let anchor = webpki::anchor_from_trusted_cert(&ca).map_err(|e| e.to_string())?;
    let end_entity = webpki::EndEntityCert::try_from(&leaf).map_err(|e| e.to_string())?;
    let usage = if server {
        webpki::KeyUsage::server_auth()
    } else {
        webpki::KeyUsage::client_auth()
    };
    end_entity
        .verify_for_usage(
            sealdraw::tls::provider()
                .signature_verification_algorithms
                .all,
            &[anchor],
            &[],
            UnixTime::since_unix_epoch(Duration::from_millis(at as u64)),
            usage,
            None,
            None,
        )
        .map_err(|e| e.to_string())?;
    if server {
        for name in ["localhost", "127.0.0.1", "::1"] {
            end_entity
                .verify_is_valid_for_subject_name(&ServerName::try_from(name).unwrap())
                .map_err(|e| format!("{name}: {e}"))?;
        }
    }
    Ok(())
}

/// `openssl verify -x509_strict` at `at`, where openssl is installed.
fn openssl_verify(
    ca: &std::path::Path,
    leaf: &std::path::Path,
    purpose: &str,
    at: i64,
) -> Option<String> {
    let output = std::process::Command::new("openssl")
        .arg("verify")
        .args([
            "-x509_strict",
            "-purpose",
            purpose,
            "-attime",
            &(at / 1000).to_string(),
        ])
        .arg("-CAfile")
        .arg(ca)
        .arg(leaf)
        .output()
        .ok()?;
    Some(
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

fn openssl_text(cert: &std::path::Path) -> Option<String> {
    let output = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(cert)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn lifetime_days(cert: &std::path::Path, now: i64) -> i64 {
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_file(cert).unwrap();
    let (not_before, not_after) = sealdraw::tls::dev::der_validity(&der).unwrap();
    assert!(not_before <= now, "not yet valid");
    (not_after - now) / DAY
}

#[tokio::test]
async fn development_certificates_pass_strict_path_validation() {
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let certs = sealdraw::tls::dev::generate(dir.path(), &["center-a"], now).unwrap();
    let client = certs.client_cert("center-a");
    verify_leaf(&certs.ca(), &certs.server_cert(), true, now).unwrap();
    verify_leaf(&certs.ca(), &client, false, now).unwrap();
    assert!(
        verify_leaf(&certs.ca(), &client, true, now).is_err(),
        "a client certificate serves as a server's"
    );
    // A year for the leaves (what browsers accept), a little more for the CA.
    assert!((364..=366).contains(&lifetime_days(&certs.server_cert(), now)));
    assert!((364..=366).contains(&lifetime_days(&client, now)));
    assert!((729..=731).contains(&lifetime_days(&certs.ca(), now)));
    assert!(verify_leaf(&certs.ca(), &certs.server_cert(), true, now + 367 * DAY).is_err());

    let Some(server_text) = openssl_text(&certs.server_cert()) else {
        eprintln!("openssl is not installed; strict checks by rustls-webpki only");
        return;
    };
    for (leaf, purpose) in [
        (certs.server_cert(), "sslserver"),
        (client.clone(), "sslclient"),
    ] {
        let verdict = openssl_verify(&certs.ca(), &leaf, purpose, now).unwrap();
        assert!(verdict.trim_end().ends_with(": OK"), "{purpose}: {verdict}");
    }
    for extension in [
        "X509v3 Authority Key Identifier",
        "X509v3 Subject Key Identifier",
        "X509v3 Key Usage: critical",
        "Digital Signature",
        "TLS Web Server Authentication",
        "CA:FALSE",
    ] {
        assert!(
            server_text.contains(extension),
            "server: no {extension}\n{server_text}"
        );
    }
    let ca_text = openssl_text(&certs.ca()).unwrap();
    for extension in [
        "X509v3 Basic Constraints: critical",
        "CA:TRUE",
        "Certificate Sign, CRL Sign",
        "X509v3 Subject Key Identifier",
    ] {
        assert!(ca_text.contains(extension), "CA: no {extension}\n{ca_text}");
    }
}

#[tokio::test]
async fn development_certificates_are_renewed_before_they_end_and_when_they_fail_the_checks() {
    use sealdraw::tls::dev::{self, Renewal};
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().join("dev");
    let names = ["dev-center"];
    let now = chrono::Utc::now().timestamp_millis();
    let read = |file: &str| std::fs::read(dir.join(file)).unwrap();

    let (certs, renewal) = dev::ensure(&dir, &names, now).unwrap();
    assert_eq!(renewal, Renewal::All);
    let (ca, server) = (read("ca.pem"), read("server.pem"));
    let (_, renewal) = dev::ensure(&dir, &names, now + 100 * DAY).unwrap();
    assert_eq!(renewal, Renewal::Kept);
    assert_eq!(
        (read("ca.pem"), read("server.pem")),
        (ca.clone(), server.clone())
    );

    // Less than 30 days left: new leaves under the CA already trusted.
    let later = now + (dev::LEAF_DAYS - 20) * DAY;
    let (_, renewal) = dev::ensure(&dir, &names, later).unwrap();
    assert_eq!(renewal, Renewal::Leaves);
    assert_eq!(read("ca.pem"), ca);
    assert_ne!(read("server.pem"), server);
    verify_leaf(&certs.ca(), &certs.server_cert(), true, later + 300 * DAY).unwrap();
    verify_leaf(&certs.ca(), &certs.client_cert("dev-center"), false, later).unwrap();
    if let Some(verdict) = openssl_verify(&certs.ca(), &certs.server_cert(), "sslserver", later) {
        assert!(verdict.trim_end().ends_with(": OK"), "{verdict}");
    }

    // The CA itself nears its end: everything is made anew.
    let much_later = now + (dev::CA_DAYS - 20) * DAY;
    let (_, renewal) = dev::ensure(&dir, &names, much_later).unwrap();
    assert_eq!(renewal, Renewal::All);
    assert_ne!(read("ca.pem"), ca);
    verify_leaf(&certs.ca(), &certs.server_cert(), true, much_later).unwrap();

    // A leaf of the kind made before (valid 1975–4096, no key identifiers), chaining to the CA.
    let ca_key = rcgen::KeyPair::from_pem(&String::from_utf8(read("ca-key.pem")).unwrap()).unwrap();
    let mut issuer = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    issuer
        .distinguished_name
        .push(rcgen::DnType::CommonName, "sealdraw development CA");
    issuer.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let issuer = issuer.self_signed(&ca_key).unwrap();
    let old_key = rcgen::KeyPair::generate().unwrap();
    let mut old =
        rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into(), "::1".into()])
            .unwrap();
    old.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let old = old.signed_by(&old_key, &issuer, &ca_key).unwrap();
    std::fs::write(certs.server_cert(), old.pem()).unwrap();
    verify_leaf(&certs.ca(), &certs.server_cert(), true, much_later).unwrap();
    let (_, renewal) = dev::ensure(&dir, &names, much_later).unwrap();
    assert_eq!(renewal, Renewal::Leaves);
    assert!(lifetime_days(&certs.server_cert(), much_later) <= dev::LEAF_DAYS + 1);

    // Garbage, and a directory the previous version wrote (no CA key): renewed.
    std::fs::write(certs.server_cert(), "not a certificate").unwrap();
    assert_eq!(
        dev::ensure(&dir, &names, much_later).unwrap().1,
        Renewal::Leaves
    );
    std::fs::remove_file(certs.ca_key()).unwrap();
    assert_eq!(
        dev::ensure(&dir, &names, much_later).unwrap().1,
        Renewal::All
    );
    verify_leaf(&certs.ca(), &certs.server_cert(), true, much_later).unwrap();
}

/// A national-algorithm (TLCP) gateway terminates its clients' connections and forwards to the
/// server over mutual TLS with its own certificate (SECURITY.md, "Transport"). Only a
/// connection authenticated with a configured gateway's certificate may name another client's
/// certificate; anyone else who tries is refused, never silently ignored.
#[tokio::test]
async fn only_a_configured_gateway_may_forward_its_clients_certificate() {
    let app = spawn_app_with(mutual_tls()).await;
    app.create_account("center-a", Role::Center).await;
    let center_cert = app.certs.client_cert("center-a");
    let fingerprint = sealdraw::tls::fingerprint_of_pem_file(&center_cert).unwrap();
    app.state
        .auth
        .bind_certificate("center-a", &fingerprint, sealdraw::audit::Actor::System)
        .await
        .unwrap();
    // center-b's certificate stands in for the gateway's.
    let gateway_cert = app.certs.client_cert("center-b");
    let gateway = hex::encode(sealdraw::tls::fingerprint_of_pem_file(&gateway_cert).unwrap());
    let app = app
        .restart(move |settings| settings.tls.gateways = vec![gateway])
        .await;
    let forwarded = percent_encoding::utf8_percent_encode(
        &std::fs::read_to_string(&center_cert).unwrap(),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    let me = |client: &reqwest::Client, header: Option<&str>| {
        let mut request = client.get(app.url("/api/v1/me"));
        if let Some(value) = header {
            request = request.header("X-Forwarded-Client-Cert", value);
        }
        request.send()
    };

    // Through the gateway, the forwarded certificate is the caller.
    let through_gateway = app.client_with(
        Some((&gateway_cert, &app.certs.client_key("center-b"))),
        ALL_VERSIONS,
    );
    let response = me(&through_gateway, Some(&forwarded)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["username"], "center-a");
    assert_eq!(body["authenticated_by"], "client_certificate");
    // The gateway alone is nobody: its certificate is bound to no account.
    let response = me(&through_gateway, None).await.unwrap();
    let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:unknown-certificate");
    // A malformed forwarded value is refused by name.
    for bad in [
        "not a certificate",
        "-----BEGIN%20CERTIFICATE-----%0AAAAA%0A-----END%20CERTIFICATE-----",
    ] {
        let response = me(&through_gateway, Some(bad)).await.unwrap();
        let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("X-Forwarded-Client-Cert")
        );
    }

    // A trusted client that is not a gateway, or a client with no certificate, may not name
    // anyone, not even itself.
    let direct = app.client_with(
        Some((&center_cert, &app.certs.client_key("center-a"))),
        ALL_VERSIONS,
    );
    let anonymous = app.client_with(None, ALL_VERSIONS);
    for client in [&direct, &anonymous] {
        let response = me(client, Some(&forwarded)).await.unwrap();
        let problem = assert_problem(response, StatusCode::FORBIDDEN).await;
        assert_eq!(problem["type"], "urn:sealdraw:problem:forwarded-identity");
    }
    // Without the header, the direct client is itself, as before.
    let response = me(&direct, None).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
