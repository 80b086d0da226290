//! Members' SM2 keys and certificates of SM2 CAs (issue 19 §1, the national suite): keys, a CA,
//! its certificates and CRLs are made here with OpenSSL 3's command-line tool, as a member and
//! a Chinese CA make them (nothing generated is kept). Under the national suite an SM2 key
//! enrols and signs; under the international one it is refused, while an SM2 CA's certificate
//! for a P-256 key is still checked by the server's own SM2 chain path. A certificate of an
//! unknown CA, an expired one, one without key usage and a revoked one are refused at
//! enrolment; one revoked after enrolment signs nothing more; a signature under another SM2
//! identifier or over another decision does not verify.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use sealdraw::crypto::Suite;
use sealdraw::session::protocol::{MemberSignature, Request, signed_decision};
use sealdraw::terminal::client::SessionClient;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::member_signatures::to_signing;
use crate::sessions::{Committee, Mode, ok, refused};

/// GB/T 35276's default SM2 identifier: OpenSSL 3 uses an empty one unless it is given.
const DEFAULT_ID: &str = "1234567812345678";

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A key OpenSSL made for a member: SM2 or P-256.
pub(crate) struct MemberKey {
    dir: PathBuf,
    path: PathBuf,
    sm2: bool,
}

impl MemberKey {
    fn new(dir: &Path, name: &str, sm2: bool) -> Self {
        let path = dir.join(format!("{name}.key"));
        let path_text = path.to_str().unwrap();
        if sm2 {
            openssl(dir, &["genpkey", "-algorithm", "SM2", "-out", path_text]);
        } else {
            openssl(
                dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-out",
                    path_text,
                ],
            );
        }
        Self {
            dir: dir.to_path_buf(),
            path,
            sm2,
        }
    }

    /// The public key as `openssl pkey -pubout` prints it, the PEM a member enrols.
    fn public_pem(&self) -> String {
        let path = self.path.to_str().unwrap();
        String::from_utf8(openssl(&self.dir, &["pkey", "-in", path, "-pubout"])).unwrap()
    }

    /// OpenSSL's signature of `message` as the server takes it, `r ‖ s`: SM2 over SM3 under
    /// the identifier `id`, or ECDSA P-256 over SHA-256.
    fn sign_with_id(&self, message: &[u8], id: &str) -> Vec<u8> {
        let input = self.dir.join("message");
        std::fs::write(&input, message).unwrap();
        let mut args = vec![
            "pkeyutl",
            "-sign",
            "-inkey",
            self.path.to_str().unwrap(),
            "-rawin",
            "-in",
            input.to_str().unwrap(),
        ];
        let distid = format!("distid:{id}");
        if self.sm2 {
            args.extend(["-digest", "sm3", "-pkeyopt", &distid]);
        } else {
            args.extend(["-digest", "sha256"]);
        }
        fixed_signature(&openssl(&self.dir, &args))
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.sign_with_id(message, DEFAULT_ID)
    }
}

/// A DER `SEQUENCE { r, s }` of two short INTEGERs as `r ‖ s`, 32 bytes each.
fn fixed_signature(der: &[u8]) -> Vec<u8> {
    assert_eq!(der[0], 0x30, "{der:?}");
    let mut rest = &der[2..];
    let mut out = Vec::new();
    for _ in 0..2 {
        assert_eq!(rest[0], 0x02);
        let len = usize::from(rest[1]);
        let value = &rest[2..2 + len];
        let value = &value[value.len().saturating_sub(32)..];
        out.extend(std::iter::repeat_n(0u8, 32 - value.len()));
        out.extend_from_slice(value);
        rest = &rest[2 + len..];
    }
    out
}

/// An SM2 CA as `openssl ca` runs one: a root whose SM2 key signs certificates and CRLs with
/// SM3 under the default identifier.
pub(crate) struct Sm2Ca {
    name: String,
    dir: PathBuf,
    pub(crate) root: PathBuf,
    crl: PathBuf,
}

/// What a certificate's key usage says.
#[derive(Clone, Copy)]
pub(crate) enum Usage {
    Signing,
    Encryption,
    None,
}

/// A certificate the CA issued and the member's key it certifies.
pub(crate) struct Issued {
    pub(crate) key: MemberKey,
    pub(crate) chain_pem: String,
    path: PathBuf,
}

impl Sm2Ca {
    pub(crate) fn new(parent: &Path, name: &str) -> Self {
        Self::new_in(&parent.join(name), name)
    }

    /// A CA named `name` whose files are in `dir`: two CAs may share a name, not a key.
    fn new_in(dir: &Path, name: &str) -> Self {
        Self::prepare(dir);
        openssl(dir, &["genpkey", "-algorithm", "SM2", "-out", "root.key"]);
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                "root.key",
                "-sm3",
                "-sigopt",
                &format!("distid:{DEFAULT_ID}"),
                "-subj",
                &format!("/CN={name}"),
                "-days",
                "3650",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-out",
                "root.pem",
            ],
        );
        Self::ready(dir, name)
    }

    /// An intermediate CA this CA certifies (`is_ca` false: a certificate without CA basic
    /// constraints, which may issue nothing), its own certificate in its `root.pem`.
    fn intermediate(&self, name: &str, is_ca: bool) -> Self {
        let dir = self.dir.join(name);
        Self::prepare(&dir);
        let distid = format!("distid:{DEFAULT_ID}");
        openssl(&dir, &["genpkey", "-algorithm", "SM2", "-out", "root.key"]);
        openssl(
            &dir,
            &[
                "req",
                "-new",
                "-key",
                "root.key",
                "-sm3",
                "-sigopt",
                &distid,
                "-subj",
                &format!("/CN={name}"),
                "-out",
                "ca.csr",
            ],
        );
        std::fs::write(
            dir.join("ca.ext"),
            if is_ca {
                "basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
"
            } else {
                "basicConstraints=critical,CA:FALSE
keyUsage=critical,keyCertSign,cRLSign
"
            },
        )
        .unwrap();
        let parent_root = self.root.to_str().unwrap();
        let parent_key = self.dir.join("root.key");
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "ca.csr",
                "-CA",
                parent_root,
                "-CAkey",
                parent_key.to_str().unwrap(),
                "-sm3",
                "-sigopt",
                &distid,
                "-vfyopt",
                &distid,
                "-set_serial",
                "77",
                "-days",
                "3650",
                "-extfile",
                "ca.ext",
                "-out",
                "root.pem",
            ],
        );
        Self::ready(&dir, name)
    }

    fn ready(dir: &Path, name: &str) -> Self {
        let ca = Self {
            name: name.to_owned(),
            root: dir.join("root.pem"),
            crl: dir.join("crl.pem"),
            dir: dir.to_path_buf(),
        };
        ca.publish_crl();
        ca
    }

    /// The files `openssl ca` keeps.
    fn prepare(dir: &Path) {
        std::fs::create_dir_all(dir.join("certs")).unwrap();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "1000\n").unwrap();
        std::fs::write(dir.join("crlnumber"), "01\n").unwrap();
        std::fs::write(
            dir.join("ca.cnf"),
            "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = certs\n\
             serial = serial\ncrlnumber = crlnumber\ncertificate = root.pem\n\
             private_key = root.key\ndefault_md = sm3\ndefault_days = 365\n\
             default_crl_days = 30\npolicy = any\nunique_subject = no\n\
             [any]\ncommonName = supplied\n",
        )
        .unwrap();
    }

    pub(crate) fn trusted(&self) -> sealdraw::config::TrustedCaSettings {
        sealdraw::config::TrustedCaSettings {
            name: self.name.clone(),
            root: self.root.clone(),
            crl: self.crl.clone(),
        }
    }

    /// A certificate for a new member key, valid from `start` to `end` (`YYYYMMDDHHMMSSZ`) or
    /// for a year from now.
    pub(crate) fn issue(
        &self,
        name: &str,
        sm2: bool,
        usage: Usage,
        dates: Option<(&str, &str)>,
    ) -> Issued {
        let key = MemberKey::new(&self.dir, name, sm2);
        let csr = format!("{name}.csr");
        let mut request = vec![
            "req",
            "-new",
            "-key",
            key.path.to_str().unwrap(),
            "-subj",
            "/CN=评标专家",
            "-utf8",
            "-out",
            &csr,
        ];
        let distid = format!("distid:{DEFAULT_ID}");
        if sm2 {
            request.extend(["-sm3", "-sigopt", &distid]);
        }
        openssl(&self.dir, &request);
        let extensions = format!("{name}.ext");
        std::fs::write(
            self.dir.join(&extensions),
            match usage {
                Usage::Signing => "keyUsage=critical,digitalSignature,nonRepudiation\n",
                Usage::Encryption => "keyUsage=critical,keyEncipherment,dataEncipherment\n",
                Usage::None => "basicConstraints=CA:FALSE\n",
            },
        )
        .unwrap();
        let certificate = format!("{name}.pem");
        let mut issue = vec![
            "ca",
            "-config",
            "ca.cnf",
            "-batch",
            "-notext",
            "-in",
            &csr,
            "-out",
            &certificate,
            "-extfile",
            &extensions,
            "-sigopt",
            &distid,
        ];
        if sm2 {
            issue.extend(["-vfyopt", &distid]);
        }
        match dates {
            Some((start, end)) => issue.extend(["-startdate", start, "-enddate", end]),
            None => issue.extend(["-days", "365"]),
        }
        openssl(&self.dir, &issue);
        let path = self.dir.join(&certificate);
        Issued {
            key,
            chain_pem: std::fs::read_to_string(&path).unwrap(),
            path,
        }
    }

    /// Revokes `issued` and installs the CA's new CRL, as an admin replaces the file.
    pub(crate) fn revoke(&self, issued: &Issued) {
        let path = issued.path.to_str().unwrap();
        openssl(
            &self.dir,
            &[
                "ca",
                "-config",
                "ca.cnf",
                "-revoke",
                path,
                "-sigopt",
                &format!("distid:{DEFAULT_ID}"),
            ],
        );
        self.publish_crl();
    }

    fn publish_crl(&self) {
        self.publish_crl_dated(None);
    }

    /// Installs a CRL whose nextUpdate has passed, as when the CA's new lists stop arriving.
    fn let_crl_go_stale(&self) {
        self.publish_crl_dated(Some(("20240101000000Z", "20240201000000Z")));
    }

    fn publish_crl_dated(&self, dates: Option<(&str, &str)>) {
        let distid = format!("distid:{DEFAULT_ID}");
        let mut args = vec![
            "ca", "-config", "ca.cnf", "-gencrl", "-sigopt", &distid, "-out", "crl.new",
        ];
        if let Some((last, next)) = dates {
            args.extend(["-crl_lastupdate", last, "-crl_nextupdate", next]);
        }
        openssl(&self.dir, &args);
        // Renamed over, as an admin replaces the file.
        std::fs::rename(self.dir.join("crl.new"), &self.crl).unwrap();
    }
}

/// A `sign` request for `client`'s seat whose signature is `value`, over `agree`.
fn sign_request(
    client: &SessionClient,
    report: &str,
    key_id: &str,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> Request {
    let statement = signed_decision(&client.session_id, client.seat.unwrap(), report, true, None);
    Request::Sign {
        report_sha256: report.to_owned(),
        agree: true,
        reasons: None,
        signature: Some(MemberSignature {
            key_id: key_id.to_owned(),
            value: {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(sign(&statement))
            },
        }),
    }
}

async fn enrol(app: &TestApp, bearer: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/me/signing-keys", Some(bearer), &body)
        .await
}

#[tokio::test]
async fn member_sm2_keys_sign_under_the_national_suite_only_and_only_with_the_default_id() {
    let dir = tempfile::tempdir().unwrap();
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let app = &committee.fx.app;
    let (mut clients, draft) = to_signing(&committee).await;
    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    let bearer = clients.experts[&seats[0]].1.bearer.clone();
    let key = MemberKey::new(dir.path(), "member", true);

    let response = enrol(
        app,
        &bearer,
        json!({"kind": "pkcs11", "public_key": key.public_pem(), "label": "UKey"}),
    )
    .await;
    if suite() == Suite::Intl2024 {
        // An international deployment takes no national algorithm, and writes nothing.
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], "public_key", "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("is an SM2 key, which only a deployment of the national suite"),
            "{problem}"
        );
        assert!(
            app.audit_entries_of("signing_key.enrolled")
                .await
                .is_empty()
        );
        return;
    }
    assert_eq!(response.status(), StatusCode::CREATED);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["algorithm"], "sm2-sm3");
    assert_eq!(view["status"], "active");
    let key_id = view["id"].as_str().unwrap().to_owned();
    let enrolled = app.audit_entries_of("signing_key.enrolled").await;
    assert_eq!(enrolled[0]["data"]["algorithm"], "sm2-sm3");
    // The owner's list reads the stored row: it names the algorithm, as the archive needs.
    let own = app.get_json("/api/v1/me/signing-keys", Some(&bearer)).await;
    assert_eq!(own[0]["algorithm"], "sm2-sm3", "{own}");

    // Under another identifier (Z_A differs), or over another decision: refused, nothing
    // written.
    let before = app.entries_written_by_requests().await;
    let client = &mut clients.experts.get_mut(&seats[0]).unwrap().0;
    for request in [
        sign_request(client, &draft, &key_id, |m| {
            key.sign_with_id(m, "ALICE123@YAHOO.COM")
        }),
        sign_request(client, &draft, &key_id, |m| key.sign_with_id(m, "")),
        {
            let other = signed_decision(
                &client.session_id,
                client.seat.unwrap(),
                &draft,
                false,
                Some("另一意见"),
            );
            sign_request(client, &draft, &key_id, |_| key.sign(&other))
        },
    ] {
        let error = refused(client, request).await;
        assert_eq!(error.field.as_deref(), Some("signature.value"), "{error:?}");
        assert!(error.detail.contains("does not verify"), "{error:?}");
    }
    assert_eq!(app.entries_written_by_requests().await, before);

    // OpenSSL's SM2 signature under the default identifier signs the decision.
    ok(
        client,
        sign_request(client, &draft, &key_id, |m| key.sign(m)),
    )
    .await;
    let mut tx = app.state.store.read().await.unwrap();
    let stored = tx.member_signatures(&committee.session_id).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].key_id, key_id);
}

#[tokio::test]
async fn member_certificates_of_an_sm2_ca_sign_and_bad_ones_are_refused_at_enrolment() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Sm2Ca::new(dir.path(), "国密测试认证中心");
    let stranger = Sm2Ca::new(dir.path(), "unknown-sm2-ca");
    // An impostor: the trusted CA's name on another SM2 key, so only the signature tells them
    // apart.
    let impostor = Sm2Ca::new_in(&dir.path().join("impostor"), "国密测试认证中心");
    let trusted = ca.trusted();
    let committee = Committee::with(Mode::Distributed, 5, 1, move |settings| {
        settings.signing_keys.trusted_cas = vec![trusted];
    })
    .await;
    let app = &committee.fx.app;
    let (mut clients, draft) = to_signing(&committee).await;
    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    let bearers: std::collections::BTreeMap<u32, String> = clients
        .experts
        .iter()
        .map(|(seat, (_, member))| (*seat, member.bearer.clone()))
        .collect();
    let bearer = |seat: u32| bearers[&seat].clone();
    let certificate = |chain: &str| json!({"kind": "certificate", "certificate_chain": chain, "label": "CA 证书"});
    // The member's key is SM2 where the deployment takes SM2, P-256 elsewhere: the SM2 CA's
    // chain is checked the same way under both.
    let sm2 = suite() == Suite::Gm2024;

    let revoked_early = ca.issue("revoked-early", sm2, Usage::Signing, None);
    ca.revoke(&revoked_early);
    let refusals = [
        (
            stranger.issue("stranger", sm2, Usage::Signing, None),
            "is not issued by a CA this server trusts",
        ),
        (
            ca.issue(
                "expired",
                sm2,
                Usage::Signing,
                Some(("20200101000000Z", "20210101000000Z")),
            ),
            "has expired",
        ),
        (
            ca.issue("encryption", sm2, Usage::Encryption, None),
            "neither digitalSignature nor nonRepudiation",
        ),
        (
            ca.issue("no-usage", sm2, Usage::None, None),
            "neither digitalSignature nor nonRepudiation",
        ),
        (revoked_early, "has been revoked"),
        (
            impostor.issue("impostor", sm2, Usage::Signing, None),
            "does not verify up to 国密测试认证中心",
        ),
    ];
    let before = app.entries_written_by_requests().await;
    for (issued, expected) in &refusals {
        let response = enrol(app, &bearer(seats[0]), certificate(&issued.chain_pem)).await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], "certificate_chain", "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(expected),
            "{expected:?}: {problem}"
        );
    }
    if !sm2 {
        // The same CA's certificate for an SM2 key verifies, but the deployment refuses the key.
        let issued = ca.issue("sm2-under-intl", true, Usage::Signing, None);
        let response = enrol(app, &bearer(seats[0]), certificate(&issued.chain_pem)).await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("is an SM2 key"),
            "{problem}"
        );
    }
    assert_eq!(app.entries_written_by_requests().await, before);

    // Two members enrol certificates the CA issued, in force at once and of the key's
    // algorithm.
    let first = ca.issue("first", sm2, Usage::Signing, None);
    let second = ca.issue("second", sm2, Usage::Signing, None);
    let mut ids = Vec::new();
    for (seat, issued) in [(seats[0], &first), (seats[1], &second)] {
        let response = enrol(app, &bearer(seat), certificate(&issued.chain_pem)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let view: Value = response.json().await.unwrap();
        assert_eq!(view["kind"], "certificate");
        assert_eq!(view["status"], "active");
        assert_eq!(
            view["algorithm"],
            if sm2 { "sm2-sm3" } else { "ecdsa-p256-sha256" }
        );
        ids.push(view["id"].as_str().unwrap().to_owned());
    }
    let enrolled = app.audit_entries_of("signing_key.enrolled").await;
    assert_eq!(
        enrolled[0]["data"]["certificate_authority"],
        "国密测试认证中心"
    );

    // The first signs with the certificate's key.
    let client = &mut clients.experts.get_mut(&seats[0]).unwrap().0;
    ok(
        client,
        sign_request(client, &draft, &ids[0], |m| first.key.sign(m)),
    )
    .await;

    // The CA revokes the second after enrolment: the next signature is refused, naming the
    // CA, and writes nothing.
    ca.revoke(&second);
    let before = app.entries_written_by_requests().await;
    let client = &mut clients.experts.get_mut(&seats[1]).unwrap().0;
    let error = refused(
        client,
        sign_request(client, &draft, &ids[1], |m| second.key.sign(m)),
    )
    .await;
    assert_eq!(
        error.field.as_deref(),
        Some("signature.key_id"),
        "{error:?}"
    );
    assert!(error.detail.contains("has been revoked"), "{error:?}");
    assert!(error.detail.contains("国密测试认证中心"), "{error:?}");
    assert_eq!(app.entries_written_by_requests().await, before);

    // A CRL past its nextUpdate refuses the CA's certificates until a current one is there.
    ca.let_crl_go_stale();
    let third = ca.issue("third", sm2, Usage::Signing, None);
    let response = enrol(app, &bearer(seats[2]), certificate(&third.chain_pem)).await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("out of date"),
        "{problem}"
    );
    ca.publish_crl();
    let response = enrol(app, &bearer(seats[2]), certificate(&third.chain_pem)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn member_certificates_under_an_sm2_intermediate_need_its_crl_and_its_ca_constraint() {
    let dir = tempfile::tempdir().unwrap();
    let root = Sm2Ca::new(dir.path(), "国密根 CA");
    let intermediate = root.intermediate("国密二级 CA", true);
    let not_a_ca = root.intermediate("not-a-ca", false);
    // The file the server reads holds the root's CRL only, at first.
    let crls = dir.path().join("crls.pem");
    let install = |cas: &[&Sm2Ca]| {
        let text: String = cas
            .iter()
            .map(|ca| std::fs::read_to_string(&ca.crl).unwrap())
            .collect();
        std::fs::write(&crls, text).unwrap();
    };
    install(&[&root]);
    let mut trusted = root.trusted();
    trusted.crl = crls.clone();
    let committee = Committee::with(Mode::Distributed, 5, 1, move |settings| {
        settings.signing_keys.trusted_cas = vec![trusted];
    })
    .await;
    let app = &committee.fx.app;
    let (clients, _) = to_signing(&committee).await;
    let seat = *clients.experts.keys().next().unwrap();
    let bearer = clients.experts[&seat].1.bearer.clone();
    let sm2 = suite() == Suite::Gm2024;
    let chain = |issued: &Issued, issuer: &Sm2Ca| {
        let intermediate = std::fs::read_to_string(&issuer.root).unwrap();
        json!({"kind": "certificate", "certificate_chain": format!("{}{intermediate}", issued.chain_pem), "label": "UKey"})
    };
    let member = intermediate.issue("member", sm2, Usage::Signing, None);

    // Nothing says whether the intermediate revoked the member.
    let response = enrol(app, &bearer, chain(&member, &intermediate)).await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("no CRL of 国密根 CA covers a certificate of this chain"),
        "{problem}"
    );
    install(&[&root, &intermediate, &not_a_ca]);

    // An issuer without CA basic constraints issues nothing.
    let stray = not_a_ca.issue("stray", sm2, Usage::Signing, None);
    let response = enrol(app, &bearer, chain(&stray, &not_a_ca)).await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("does not verify up to 国密根 CA"),
        "{problem}"
    );

    // With both CRLs, the member's chain verifies.
    let response = enrol(app, &bearer, chain(&member, &intermediate)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}
