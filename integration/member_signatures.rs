//! Members' signing keys (issue 19 §1): enrolment, a further key waiting for an admin,
//! revocation, and the report signed with the member's own key — refused with another
//! member's key, a tampered signature or a revoked key — and `sealdraw client`'s key file.

use reqwest::StatusCode;
use sealdraw::crypto::Rng;
use sealdraw::crypto::member_key::{MemberPublicKey, MemberSigningKey, Passphrase};
use sealdraw::session::protocol::{MemberSignature, Request, signed_decision};
use sealdraw::session::rules::Phase;
use sealdraw::terminal::client::SessionClient;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::sessions::{Committee, Mode, advance, ok, refused};

/// The passphrase the tests' key files are made with.
pub(crate) const KEY_FILE_PASSPHRASE: &str = "correct horse battery staple";

/// `sealdraw client signing-key init` as a member runs it: a key file `member.key` in `dir`
/// under [`KEY_FILE_PASSPHRASE`] (read from the file `passphrase` beside it). Returns the key
/// file, the passphrase file and what the command printed (the public key to enrol).
pub(crate) fn key_file_made_by_the_client(
    app: &TestApp,
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, Value) {
    let file = dir.join("member.key");
    let passphrase_file = dir.join("passphrase");
    std::fs::write(&passphrase_file, format!("{KEY_FILE_PASSPHRASE}\n")).unwrap();
    let output = init_key_file(app, &file, &passphrase_file);
    assert!(output.status.success(), "{output:?}");
    let printed: Value = serde_json::from_str(stdout_of(&output).trim()).unwrap();
    (file, passphrase_file, printed)
}

fn init_key_file(
    app: &TestApp,
    file: &std::path::Path,
    passphrase_file: &std::path::Path,
) -> std::process::Output {
    run_cli(
        app,
        &[
            "client",
            "signing-key",
            "init",
            "--out",
            file.to_str().unwrap(),
            "--passphrase-file",
            passphrase_file.to_str().unwrap(),
        ],
        None,
    )
}

pub fn new_key(seed: &str) -> MemberSigningKey {
    MemberSigningKey::generate(&Rng::danger_deterministic(seed.as_bytes())).unwrap()
}

pub async fn enrol(app: &TestApp, bearer: &str, key: &MemberSigningKey, kind: &str) -> Value {
    let response = app
        .post(
            "/api/v1/me/signing-keys",
            Some(bearer),
            &json!({"kind": kind, "public_key": key.public_key().to_base64(), "label": "laptop"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// A `sign` request for `client`'s seat, signed with `key` enrolled as `key_id`.
pub fn signed(
    client: &SessionClient,
    report: &str,
    agree: bool,
    reasons: Option<&str>,
    key: &MemberSigningKey,
    key_id: &str,
) -> Request {
    let statement = signed_decision(
        &client.session_id,
        client.seat.unwrap(),
        report,
        agree,
        reasons,
    );
    Request::Sign {
        report_sha256: report.to_owned(),
        agree,
        reasons: reasons.map(str::to_owned),
        signature: Some(MemberSignature {
            key_id: key_id.to_owned(),
            value: base64_of(&key.sign(&statement)),
        }),
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The committee's session up to signing: the clients and the draft's digest.
pub async fn to_signing(committee: &Committee) -> (crate::sessions::Clients, String) {
    let mut clients = committee.everyone().await;
    clients.open_evaluation().await;
    clients.score_all().await;
    advance(&mut clients.host, Phase::Summary).await;
    let reply = advance(&mut clients.host, Phase::Signing).await;
    let draft = reply["report_sha256"].as_str().unwrap().to_owned();
    (clients, draft)
}

#[tokio::test]
async fn signing_keys_sign_the_report_and_other_keys_tampered_or_revoked_ones_are_refused() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let app = &committee.fx.app;
    let (mut clients, draft) = to_signing(&committee).await;
    let seats: Vec<u32> = clients.experts.keys().copied().collect();

    // Each member enrols a key of their own; the first is in force at once, and logged with
    // its fingerprint only.
    let mut keys = Vec::new();
    for (n, seat) in seats.iter().enumerate() {
        let key = new_key(&format!("member {n}"));
        let bearer = clients.experts[seat].1.bearer.clone();
        let view = enrol(app, &bearer, &key, "key_file").await;
        assert_eq!(view["status"], "active");
        assert_eq!(view["fingerprint"], key.public_key().fingerprint());
        keys.push((key, view["id"].as_str().unwrap().to_owned(), bearer));
    }
    let enrolled = app.audit_entries_of("signing_key.enrolled").await;
    assert_eq!(enrolled.len(), seats.len());
    assert_eq!(
        enrolled[0]["data"]["fingerprint"],
        keys[0].0.public_key().fingerprint()
    );
    assert!(!enrolled[0].to_string().contains("PRIVATE"));

    // Another member's key, a tampered signature and a signature over another decision are
    // refused naming the field, and write nothing.
    let (first, second) = (seats[0], seats[1]);
    let before = app.entries_written_by_requests().await;
    {
        let client = &mut clients.experts.get_mut(&first).unwrap().0;
        let theirs = signed(client, &draft, true, None, &keys[1].0, &keys[1].1);
        let error = refused(client, theirs).await;
        assert_eq!(error.code, "invalid-request");
        assert_eq!(
            error.field.as_deref(),
            Some("signature.key_id"),
            "{error:?}"
        );

        let mut tampered = signed(client, &draft, true, None, &keys[0].0, &keys[0].1);
        if let Request::Sign {
            signature: Some(signature),
            ..
        } = &mut tampered
        {
            let mut value = signature.value.clone().into_bytes();
            value[5] = if value[5] == b'A' { b'B' } else { b'A' };
            signature.value = String::from_utf8(value).unwrap();
        }
        let error = refused(client, tampered).await;
        assert_eq!(error.field.as_deref(), Some("signature.value"), "{error:?}");
        assert!(error.detail.contains("does not verify"), "{error:?}");

        // Signed as a dissent, sent as an agreement.
        let reasons = "价格分计算方法与招标文件第 5 条不一致";
        let mut switched = signed(client, &draft, false, Some(reasons), &keys[0].0, &keys[0].1);
        if let Request::Sign { agree, reasons, .. } = &mut switched {
            *agree = true;
            *reasons = None;
        }
        let error = refused(client, switched).await;
        assert_eq!(error.field.as_deref(), Some("signature.value"), "{error:?}");

        let error = refused(
            client,
            Request::Sign {
                report_sha256: draft.clone(),
                agree: true,
                reasons: None,
                signature: Some(MemberSignature {
                    key_id: keys[0].1.clone(),
                    value: "not a signature".into(),
                }),
            },
        )
        .await;
        assert_eq!(error.field.as_deref(), Some("signature.value"), "{error:?}");
    }
    assert_eq!(app.entries_written_by_requests().await, before);

    // A member's own key signs; the signature is stored with the decision and its hash and
    // the key's fingerprint are in the audit entry.
    let client = &mut clients.experts.get_mut(&first).unwrap().0;
    ok(
        client,
        signed(client, &draft, true, None, &keys[0].0, &keys[0].1),
    )
    .await;
    let entry = app
        .audit_entries_of("session.signature")
        .await
        .pop()
        .unwrap();
    assert_eq!(
        entry["data"]["signing_key_fingerprint"],
        keys[0].0.public_key().fingerprint()
    );
    assert_eq!(entry["refs"]["signing_key"], keys[0].1.as_str());
    let mut tx = app.state.store.read().await.unwrap();
    let stored = tx.member_signatures(&committee.session_id).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].seat as u32, first);
    assert_eq!(stored[0].key_id, keys[0].1);
    assert_eq!(hex::encode(&stored[0].report_sha256), draft);
    let statement = signed_decision(&committee.session_id, first, &draft, true, None);
    assert!(
        keys[0]
            .0
            .public_key()
            .verify(&statement, &stored[0].signature)
    );
    assert_eq!(
        entry["data"]["member_signature_sha256"],
        hex::encode(sealdraw::crypto::member_key::digest(&stored[0].signature))
    );

    // The second member revokes their key (a lost laptop): it signs nothing after.
    let revoked = app
        .post(
            &format!("/api/v1/signing-keys/{}/revoke", keys[1].1),
            Some(&keys[1].2),
            &json!({}),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let revoked: Value = revoked.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked["revoked_at"].is_string());
    assert_eq!(app.audit_entries_of("signing_key.revoked").await.len(), 1);
    let client = &mut clients.experts.get_mut(&second).unwrap().0;
    let error = refused(
        client,
        signed(client, &draft, true, None, &keys[1].0, &keys[1].1),
    )
    .await;
    assert_eq!(error.field.as_deref(), Some("signature.key_id"));
    assert!(error.detail.contains("revoked"), "{error:?}");

    // Someone else's key cannot be revoked by them (it reads as unknown); the first member's
    // signature stays valid after its key is revoked later.
    let response = app
        .post(
            &format!("/api/v1/signing-keys/{}/revoke", keys[0].1),
            Some(&keys[2].2),
            &json!({}),
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
    let response = app
        .post(
            &format!("/api/v1/signing-keys/{}/revoke", keys[0].1),
            Some(&committee.fx.admin),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut tx = app.state.store.read().await.unwrap();
    assert_eq!(
        tx.member_signatures(&committee.session_id)
            .await
            .unwrap()
            .len(),
        1
    );
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn a_further_signing_key_waits_for_an_admins_approval() {
    let app = spawn_app().await;
    let (_, expert) = app
        .account_with_token("expert.keys", sealdraw::auth::Role::Expert)
        .await;
    let (_, admin) = app
        .account_with_token("admin.keys", sealdraw::auth::Role::Admin)
        .await;

    let first = enrol(&app, &expert, &new_key("first"), "webcrypto").await;
    assert_eq!(first["status"], "active");
    let second = enrol(&app, &expert, &new_key("second"), "pkcs11").await;
    assert_eq!(second["status"], "pending");
    let second_id = second["id"].as_str().unwrap();

    // The member cannot approve their own key; an admin does, once.
    let path = format!("/api/v1/signing-keys/{second_id}/approve");
    let response = app.post(&path, Some(&expert), &json!({})).await;
    assert_problem(response, StatusCode::FORBIDDEN).await;
    let response = app.post(&path, Some(&admin), &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let approved: Value = response.json().await.unwrap();
    assert_eq!(approved["status"], "active");
    assert!(approved["approved_by"].is_string());
    let response = app.post(&path, Some(&admin), &json!({})).await;
    assert_problem(response, StatusCode::CONFLICT).await;
    let entries = app.audit_entries_of("signing_key.approved").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["data"]["fingerprint"], second["fingerprint"]);

    let own: Value = app.get_json("/api/v1/me/signing-keys", Some(&expert)).await;
    assert_eq!(own.as_array().unwrap().len(), 2);

    // The same key twice, an admin enrolling, and keys that are not P-256 are refused; none
    // writes anything.
    let before = app.entries_written_by_requests().await;
    let response = app
        .post(
            "/api/v1/me/signing-keys",
            Some(&expert),
            &json!({"kind": "key_file", "public_key": new_key("first").public_key().to_base64(), "label": "again"}),
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT).await;
    let ed25519 = "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=";
    for (body, field) in [
        (
            json!({"kind": "key_file", "public_key": ed25519, "label": "x"}),
            "public_key",
        ),
        (
            json!({"kind": "key_file", "public_key": "@@@", "label": "x"}),
            "public_key",
        ),
        (
            json!({"kind": "certificate", "public_key": new_key("c").public_key().to_base64(), "label": "x"}),
            "certificate_chain",
        ),
        (
            json!({"kind": "key_file", "public_key": new_key("l").public_key().to_base64(), "label": ""}),
            "label",
        ),
    ] {
        let response = app
            .post("/api/v1/me/signing-keys", Some(&expert), &body)
            .await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    let response = app
        .post(
            "/api/v1/me/signing-keys",
            Some(&admin),
            &json!({"kind": "key_file", "public_key": new_key("a").public_key().to_base64(), "label": "x"}),
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN).await;
    assert_eq!(app.entries_written_by_requests().await, before);
}

#[tokio::test]
async fn member_signatures_can_be_required_and_a_cli_key_file_signs() {
    let committee = Committee::with(Mode::Distributed, 5, 1, |settings| {
        settings.session.require_member_signatures = true;
    })
    .await;
    let app = &committee.fx.app;
    let (mut clients, draft) = to_signing(&committee).await;
    let seat = *clients.experts.keys().next().unwrap();
    let bearer = clients.experts[&seat].1.bearer.clone();

    // Without a signature, a decision is refused.
    let client = &mut clients.experts.get_mut(&seat).unwrap().0;
    let error = refused(
        client,
        Request::Sign {
            report_sha256: draft.clone(),
            agree: true,
            reasons: None,
            signature: None,
        },
    )
    .await;
    assert_eq!(error.field.as_deref(), Some("signature"), "{error:?}");

    // `sealdraw client signing-key init` writes a key file only its owner can read and prints
    // the public key to enrol.
    let dir = tempfile::tempdir().unwrap();
    let (file, passphrase, printed) = key_file_made_by_the_client(app, dir.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let pem = std::fs::read_to_string(&file).unwrap();
    // The label is built, so that no tracked file holds a private key's PEM header.
    let label = concat!("ENCRYPTED ", "PRIVATE KEY");
    assert!(pem.starts_with(&format!("-----BEGIN {label}-----")));
    // It is never overwritten.
    let again = init_key_file(app, &file, &passphrase);
    assert!(!again.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), pem);

    let response = app
        .post(
            "/api/v1/me/signing-keys",
            Some(&bearer),
            &json!({"kind": "key_file", "public_key": printed["public_key"], "label": "sealdraw client"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["fingerprint"], printed["fingerprint"]);

    // The file opens under its passphrase only, and its key signs the member's dissent.
    assert!(
        MemberSigningKey::from_encrypted_pem(&pem, &Passphrase::new("wrong passphrase".into()))
            .is_err()
    );
    let key =
        MemberSigningKey::from_encrypted_pem(&pem, &Passphrase::new(KEY_FILE_PASSPHRASE.into()))
            .unwrap();
    let client = &mut clients.experts.get_mut(&seat).unwrap().0;
    let reasons = "价格分计算方法与招标文件第 5 条不一致";
    let request = signed(
        client,
        &draft,
        false,
        Some(reasons),
        &key,
        view["id"].as_str().unwrap(),
    );
    assert_eq!(ok(client, request).await["signature"], "dissent");
    let entry = app
        .audit_entries_of("session.signature")
        .await
        .pop()
        .unwrap();
    assert_eq!(
        entry["data"]["signing_key_fingerprint"],
        printed["fingerprint"]
    );
}

/// Runs `sealdraw client` for the member `bearer` with `script`, signing with `signing_key`
/// (a key file or `pkcs11:…`) enrolled as `key_id`, the passphrase or PIN in `env`; `--strict`,
/// so that a refused request fails the run.
pub(crate) async fn client_signing(
    committee: &Committee,
    bearer: &str,
    script: &str,
    signing_key: &str,
    key_id: &str,
    env: &[(&str, &str)],
) -> std::process::Output {
    let app = &committee.fx.app;
    let file = app
        .dir
        .path()
        .join(format!("script-{}.txt", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, script).unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sealdraw"));
    command
        .args(["client", "--server", &app.address, "--ca"])
        .arg(app.certs.ca())
        .args(["--session", &committee.session_id, "--strict", "--script"])
        .arg(&file)
        .args(["--signing-key", signing_key, "--signing-key-id", key_id])
        .args(["--pkcs11-library", SOFTHSM_LIBRARY])
        .env_clear()
        .env("SEALDRAW_TOKEN", bearer)
        .envs(env.iter().copied())
        .current_dir(app.dir.path())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    // SoftHSM2 finds its tokens through the test command's configuration.
    if let Some(conf) = std::env::var_os("SOFTHSM2_CONF") {
        command.env("SOFTHSM2_CONF", conf);
    }
    tokio::time::timeout(std::time::Duration::from_secs(120), command.output())
        .await
        .expect("sealdraw client did not finish")
        .unwrap()
}

#[tokio::test]
async fn sealdraw_client_signs_the_report_with_a_key_file_and_with_a_pkcs11_token_key() {
    let committee = Committee::with(Mode::Distributed, 5, 1, |settings| {
        settings.session.require_member_signatures = true;
    })
    .await;
    let app = &committee.fx.app;
    let (clients, draft) = to_signing(&committee).await;
    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    let bearer = |seat: u32| clients.experts[&seat].1.bearer.clone();
    let dir = tempfile::tempdir().unwrap();
    let softhsm_env = |command: &mut std::process::Command| {
        if let Some(conf) = std::env::var_os("SOFTHSM2_CONF") {
            command.env("SOFTHSM2_CONF", conf);
        }
    };

    // A key file, made by `signing-key init` and enrolled.
    let (file, _, file_key) = key_file_made_by_the_client(app, dir.path());

    // A key generated on the member's PKCS#11 token, the PIN from the environment; asked
    // again, the token's key of that label is the same key.
    let token = &softhsm_token().config;
    let pin = std::fs::read_to_string(&token.pin_file).unwrap();
    let address = format!("pkcs11:{}/member signing key", token.token);
    let init_on_token = |pin: &str| {
        let mut command = app.sealdraw_command();
        command
            .args(["client", "signing-key", "init", "--pkcs11", &address])
            .args(["--pkcs11-library", SOFTHSM_LIBRARY])
            .env("SEALDRAW_PKCS11_PIN", pin);
        softhsm_env(&mut command);
        command.output().unwrap()
    };
    let output = init_on_token(&pin);
    assert!(output.status.success(), "{output:?}");
    let token_key: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {output:?}"));
    assert_eq!(token_key["kind"], "pkcs11");
    let output = init_on_token(&pin);
    assert!(output.status.success(), "{output:?}");
    let again: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {output:?}"));
    assert_eq!(again["public_key"], token_key["public_key"]);
    // A wrong PIN opens nothing, and says so.
    let output = init_on_token("not the pin");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("refused the login"),
        "{output:?}"
    );

    let mut ids = Vec::new();
    for (seat, printed, kind) in [
        (seats[0], &file_key, "key_file"),
        (seats[1], &token_key, "pkcs11"),
    ] {
        let view = app
            .post(
                "/api/v1/me/signing-keys",
                Some(&bearer(seat)),
                &json!({"kind": kind, "public_key": printed["public_key"], "label": "sealdraw client"}),
            )
            .await;
        assert_eq!(view.status(), StatusCode::CREATED);
        let view: Value = view.json().await.unwrap();
        assert_eq!(view["fingerprint"], printed["fingerprint"]);
        ids.push(view["id"].as_str().unwrap().to_owned());
    }

    // The real client signs each member's agreement: with the key file (its passphrase from
    // the environment) and inside the token (its PIN from the environment).
    let script = format!("sign {draft}\n");
    let output = client_signing(
        &committee,
        &bearer(seats[0]),
        &script,
        file.to_str().unwrap(),
        &ids[0],
        &[("SEALDRAW_SIGNING_KEY_PASSPHRASE", KEY_FILE_PASSPHRASE)],
    )
    .await;
    assert!(output.status.success(), "{output:?}");
    let output = client_signing(
        &committee,
        &bearer(seats[1]),
        &script,
        &address,
        &ids[1],
        &[("SEALDRAW_PKCS11_PIN", &pin)],
    )
    .await;
    assert!(output.status.success(), "{output:?}");

    // The server verified and stored both, each under its key.
    let mut tx = app.state.store.read().await.unwrap();
    let stored = tx.member_signatures(&committee.session_id).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(stored.len(), 2, "{stored:?}");
    for (seat, printed, id) in [
        (seats[0], &file_key, &ids[0]),
        (seats[1], &token_key, &ids[1]),
    ] {
        let row = stored.iter().find(|row| row.seat as u32 == seat).unwrap();
        assert_eq!(&row.key_id, id);
        let public = MemberPublicKey::parse(printed["public_key"].as_str().unwrap()).unwrap();
        let statement = signed_decision(&committee.session_id, seat, &draft, true, None);
        assert!(public.verify(&statement, &row.signature));
    }
}
