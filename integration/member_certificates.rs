//! Members' certificates from an outside CA (issue 19 §1, CA互认): a test CA made here with
//! rcgen (nothing generated is kept) is trusted through `signing_keys.trusted_cas`; a member
//! enrols a certificate it issued and signs the report with its key. A certificate of an
//! unknown CA, an expired one, one without a signing key usage and a revoked one are refused at
//! enrolment; one the CA revokes after enrolment (its CRL file replaced) signs nothing more,
//! and a CRL past its nextUpdate refuses its CA's certificates until a current one is there.

use std::path::{Path, PathBuf};

use chrono::Datelike as _;
use reqwest::StatusCode;
use sealdraw::session::protocol::{MemberSignature, Request, signed_decision};
use sealdraw::session::rules::Phase;
use sealdraw::terminal::client::SessionClient;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::sessions::{Committee, Mode, advance, ok, refused};

/// A CA as an outside authority runs it: a root, certificates it issues and the CRL file the
/// server reads (rewritten whenever the CA revokes something).
pub struct TestCa {
    pub name: String,
    certificate: rcgen::Certificate,
    key: rcgen::KeyPair,
    pub root: PathBuf,
    pub crl: PathBuf,
    /// Each revoked serial and the year (from this one) of its revocation date.
    revoked: Vec<(u64, i32)>,
}

/// A member's certificate and the key it certifies.
pub struct Issued {
    pub chain_pem: String,
    key: ring::signature::EcdsaKeyPair,
}

/// The year now, for validity periods around the servers' real start time.
fn this_year() -> i32 {
    chrono::Utc::now().year()
}

impl TestCa {
    pub fn new(dir: &Path, name: &str) -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        params.not_before = rcgen::date_time_ymd(this_year() - 2, 1, 1);
        params.not_after = rcgen::date_time_ymd(this_year() + 10, 1, 1);
        let certificate = params.self_signed(&key).unwrap();
        let root = dir.join(format!("{name}-root.pem"));
        std::fs::write(&root, certificate.pem()).unwrap();
        let ca = Self {
            name: name.to_owned(),
            certificate,
            key,
            root,
            crl: dir.join(format!("{name}-crl.pem")),
            revoked: Vec::new(),
        };
        ca.publish_crl(false);
        ca
    }

    pub fn trusted(&self) -> sealdraw::config::TrustedCaSettings {
        sealdraw::config::TrustedCaSettings {
            name: self.name.clone(),
            root: self.root.clone(),
            crl: self.crl.clone(),
        }
    }

    /// A certificate for a member's new P-256 key, valid from last year to next unless
    /// `years` says otherwise, with `usages` as its key usage.
    pub fn issue(
        &self,
        serial: u64,
        usages: Vec<rcgen::KeyUsagePurpose>,
        years: (i32, i32),
    ) -> Issued {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("评标专家 {serial}"));
        params.serial_number = Some(rcgen::SerialNumber::from(serial));
        params.key_usages = usages;
        params.not_before = rcgen::date_time_ymd(this_year() + years.0, 1, 1);
        params.not_after = rcgen::date_time_ymd(this_year() + years.1, 1, 1);
        params.use_authority_key_identifier_extension = true;
        let certificate = params
            .signed_by(&key, &self.certificate, &self.key)
            .unwrap();
        let signing = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &key.serialize_der(),
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        Issued {
            chain_pem: certificate.pem(),
            key: signing,
        }
    }

    /// A signing certificate as CAs issue them: digitalSignature and nonRepudiation.
    pub fn issue_for_signing(&self, serial: u64) -> Issued {
        self.issue(
            serial,
            vec![
                rcgen::KeyUsagePurpose::DigitalSignature,
                rcgen::KeyUsagePurpose::ContentCommitment,
            ],
            (-1, 1),
        )
    }

    /// Adds `serial` to the CA's CRL and replaces the file, as an admin installs a new CRL.
    pub fn revoke(&mut self, serial: u64) {
        // The CA's latest word on a serial is the one its CRL carries.
        self.revoked.retain(|(revoked, _)| *revoked != serial);
        self.revoked.push((serial, -1));
        self.publish_crl(false);
    }

    /// Adds `serial` to the CRL with a revocation date next year: revoked after anything
    /// signed today, as the archive's verifier must tell apart from a revocation before.
    pub fn revoke_later(&mut self, serial: u64) {
        self.revoked.retain(|(revoked, _)| *revoked != serial);
        self.revoked.push((serial, 1));
        self.publish_crl(false);
    }

    /// Installs a CRL whose nextUpdate has passed, as when the CA's new lists stop arriving.
    pub fn let_crl_go_stale(&self) {
        self.publish_crl(true);
    }

    /// The CRL, next updated on the coming new year's day, or `stale`: last July.
    fn publish_crl(&self, stale: bool) {
        let params = rcgen::CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(this_year() - 1, 1, 1),
            next_update: if stale {
                rcgen::date_time_ymd(this_year() - 1, 7, 1)
            } else {
                rcgen::date_time_ymd(this_year() + 1, 1, 1)
            },
            crl_number: rcgen::SerialNumber::from(self.revoked.len() as u64 + 1),
            issuing_distribution_point: None,
            revoked_certs: self
                .revoked
                .iter()
                .map(|(serial, year)| rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from(*serial),
                    revocation_time: rcgen::date_time_ymd(this_year() + year, 6, 1),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        let crl = params.signed_by(&self.certificate, &self.key).unwrap();
        // Written beside and renamed over, as an admin replaces the file.
        let fresh = self.crl.with_extension("new");
        std::fs::write(&fresh, crl.pem().unwrap()).unwrap();
        std::fs::rename(&fresh, &self.crl).unwrap();
    }
}

impl Issued {
    /// A `sign` request for `client`'s seat signed with this certificate's key.
    pub fn sign(&self, client: &SessionClient, report: &str, key_id: &str) -> Request {
        let statement =
            signed_decision(&client.session_id, client.seat.unwrap(), report, true, None);
        let value = self
            .key
            .sign(&ring::rand::SystemRandom::new(), &statement)
            .unwrap();
        Request::Sign {
            report_sha256: report.to_owned(),
            agree: true,
            reasons: None,
            signature: Some(MemberSignature {
                key_id: key_id.to_owned(),
                value: {
                    use base64::Engine as _;
                    base64::engine::general_purpose::STANDARD.encode(value.as_ref())
                },
            }),
        }
    }
}

async fn enrol_certificate(app: &TestApp, bearer: &str, chain_pem: &str) -> reqwest::Response {
    app.post(
        "/api/v1/me/signing-keys",
        Some(bearer),
        &json!({"kind": "certificate", "certificate_chain": chain_pem, "label": "CA 证书"}),
    )
    .await
}

#[tokio::test]
async fn member_certificates_from_a_trusted_ca_sign_and_bad_ones_are_refused_at_enrolment() {
    let dir = tempfile::tempdir().unwrap();
    let mut ca = TestCa::new(dir.path(), "测试数字证书认证中心");
    let stranger = TestCa::new(dir.path(), "unknown-ca");
    let trusted = ca.trusted();
    let committee = Committee::with(Mode::Distributed, 5, 1, move |settings| {
        settings.signing_keys.trusted_cas = vec![trusted];
    })
    .await;
    let app = &committee.fx.app;
    let mut clients = committee.everyone().await;
    clients.open_evaluation().await;
    clients.score_all().await;
    advance(&mut clients.host, Phase::Summary).await;
    let reply = advance(&mut clients.host, Phase::Signing).await;
    let draft = reply["report_sha256"].as_str().unwrap().to_owned();
    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    let bearers: std::collections::BTreeMap<u32, String> = clients
        .experts
        .iter()
        .map(|(seat, (_, member))| (*seat, member.bearer.clone()))
        .collect();
    let bearer = |seat: u32| bearers[&seat].clone();

    // Refused at enrolment, each naming the field and what is wrong, writing nothing: an
    // unknown CA's certificate, an expired one, an encryption certificate (keyEncipherment
    // only), one already on the CA's CRL, and text that is no chain.
    ca.revoke(99);
    let refusals = [
        (
            stranger.issue_for_signing(10).chain_pem,
            "is not issued by a CA this server trusts",
        ),
        (
            ca.issue(11, vec![rcgen::KeyUsagePurpose::DigitalSignature], (-3, -1))
                .chain_pem,
            "has expired",
        ),
        (
            ca.issue(12, vec![rcgen::KeyUsagePurpose::KeyEncipherment], (-1, 1))
                .chain_pem,
            "neither digitalSignature nor nonRepudiation",
        ),
        (
            ca.issue(13, Vec::new(), (-1, 1)).chain_pem,
            "neither digitalSignature nor nonRepudiation",
        ),
        (ca.issue_for_signing(99).chain_pem, "has been revoked"),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into(),
            "not well-formed X.509",
        ),
        ("MIIB: not a chain".into(), "not a PEM certificate chain"),
    ];
    let before = app.entries_written_by_requests().await;
    for (chain, expected) in &refusals {
        let response = enrol_certificate(app, &bearer(seats[0]), chain).await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], "certificate_chain", "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(expected),
            "{expected:?}: {problem}"
        );
    }
    // A certificate key comes with its chain, not a bare key.
    let response = app
        .post(
            "/api/v1/me/signing-keys",
            Some(&bearer(seats[0])),
            &json!({"kind": "certificate", "label": "x"}),
        )
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(app.entries_written_by_requests().await, before);
    let own = app
        .get_json("/api/v1/me/signing-keys", Some(&bearer(seats[0])))
        .await;
    assert_eq!(own, json!([]));

    // Two members enrol certificates the CA issued: in force at once, logged with the key's
    // and the certificate's fingerprints and the CA's name; the chain is kept.
    let first = ca.issue_for_signing(1);
    let second = ca.issue_for_signing(2);
    let mut ids = Vec::new();
    for (seat, issued) in [(seats[0], &first), (seats[1], &second)] {
        let response = enrol_certificate(app, &bearer(seat), &issued.chain_pem).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let view: Value = response.json().await.unwrap();
        assert_eq!(view["kind"], "certificate");
        assert_eq!(view["status"], "active");
        ids.push(view["id"].as_str().unwrap().to_owned());
    }
    let enrolled = app.audit_entries_of("signing_key.enrolled").await;
    assert_eq!(enrolled.len(), 2);
    assert_eq!(
        enrolled[0]["data"]["certificate_authority"],
        "测试数字证书认证中心"
    );
    let leaf = x509_der(&first.chain_pem);
    assert_eq!(
        enrolled[0]["data"]["certificate_sha256"],
        hex::encode(sealdraw::crypto::certificate_fingerprint(&leaf))
    );

    // The first member signs with their certificate's key; the signature is stored.
    let client = &mut clients.experts.get_mut(&seats[0]).unwrap().0;
    ok(client, first.sign(client, &draft, &ids[0])).await;

    // The CA revokes the second member's certificate after enrolment: an admin installs the
    // new CRL, and the next signature is refused, writing nothing.
    ca.revoke(2);
    let before = app.entries_written_by_requests().await;
    let client = &mut clients.experts.get_mut(&seats[1]).unwrap().0;
    let error = refused(client, second.sign(client, &draft, &ids[1])).await;
    assert_eq!(
        error.field.as_deref(),
        Some("signature.key_id"),
        "{error:?}"
    );
    assert!(error.detail.contains("has been revoked"), "{error:?}");
    assert!(error.detail.contains("测试数字证书认证中心"), "{error:?}");
    assert_eq!(app.entries_written_by_requests().await, before);

    // What the first member signed before stays signed.
    let mut tx = app.state.store.read().await.unwrap();
    let stored = tx.member_signatures(&committee.session_id).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].key_id, ids[0]);

    // A CRL past its nextUpdate cannot show a later revocation: the CA's certificates are
    // refused until a current CRL is installed.
    ca.let_crl_go_stale();
    let third = ca.issue(3, vec![rcgen::KeyUsagePurpose::DigitalSignature], (-1, 3));
    let response = enrol_certificate(app, &bearer(seats[2]), &third.chain_pem).await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("out of date"),
        "{problem}"
    );
    // The CA's next CRL is installed (it revokes something else): read at once.
    ca.revoke(98);
    let response = enrol_certificate(app, &bearer(seats[2]), &third.chain_pem).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_trusted_ca_whose_files_are_wrong_stops_the_server_from_starting() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new(dir.path(), "ca");
    let other = TestCa::new(dir.path(), "other");
    // The CRL of another CA: nothing in it is signed by this root.
    let mut wrong = ca.trusted();
    wrong.crl = other.crl.clone();
    let mut settings = sealdraw::config::Settings::default();
    settings.signing_keys.trusted_cas = vec![wrong];
    let error = sealdraw::startup::member_certificate_authorities(&settings)
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("holds no CRL issued by the root"), "{error}");
    settings.signing_keys.trusted_cas[0].crl = dir.path().join("missing.pem");
    let error = sealdraw::startup::member_certificate_authorities(&settings)
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("holds no CRL"), "{error}");
    settings.signing_keys.trusted_cas = vec![ca.trusted()];
    assert!(sealdraw::startup::member_certificate_authorities(&settings).is_ok());
}

fn x509_der(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}
