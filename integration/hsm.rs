//! Keys in a PKCS#11 module (issue 18 §3), against a real SoftHSM2 token: the master sealing
//! key and the log key are made in the token and cannot be read out of it, the server seals,
//! opens and signs there, rotation works, and a module that stops answering makes the affected
//! actions fail closed, without a software fallback, until it answers again. These tests hold
//! their keys in the module whatever `SEALDRAW_TEST_KEYS` says; the test command also runs the
//! whole suite once with every server's keys in SoftHSM2.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::audit::{log_key, text};
use crate::helpers::*;
use sealdraw::audit::checkpoint::open_checkpoint;
use sealdraw::audit::note::NoteVerifier;
use sealdraw::auth::Role;
use sealdraw::crypto::KeyRing;

async fn spawn_app_with_keys_in_module() -> TestApp {
    spawn_app_with(TestOptions {
        keys_in_module: true,
        ..TestOptions::default()
    })
    .await
}

fn key_file_json(app: &TestApp) -> Value {
    let path = app.settings.keys.file.as_ref().unwrap();
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A session of this test on the server's token, as another application of the module
/// would have; the library is the one the server loaded (PKCS#11 libraries are per process).
fn token_session() -> Session {
    let context = Pkcs11::new(SOFTHSM_LIBRARY).unwrap();
    match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) => {}
        Err(cryptoki::error::Error::Pkcs11(
            cryptoki::error::RvError::CryptokiAlreadyInitialized,
            _,
        )) => {}
        Err(other) => panic!("C_Initialize: {other}"),
    }
    let label = &softhsm_token().config.token;
    let slot = context
        .get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|slot| context.get_token_info(*slot).unwrap().label().trim_end() == label)
        .expect("the test's token is present");
    context.open_rw_session(slot).unwrap()
}

fn login(session: &Session) {
    let pin = std::fs::read_to_string(&softhsm_token().config.pin_file).unwrap();
    match session.login(UserType::User, Some(&AuthPin::from(pin))) {
        Ok(()) => {}
        Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::UserAlreadyLoggedIn, _)) => {}
        Err(other) => panic!("C_Login: {other}"),
    }
}

fn object(session: &Session, class: ObjectClass, hex_id: &str) -> cryptoki::object::ObjectHandle {
    let found = session
        .find_objects(&[
            Attribute::Class(class),
            Attribute::Id(hex::decode(hex_id).unwrap()),
        ])
        .unwrap();
    assert_eq!(found.len(), 1, "one {class:?} with id {hex_id}");
    found[0]
}

#[tokio::test]
async fn keys_made_in_the_module_seal_open_and_sign_there_and_cannot_be_read_out() {
    let app = spawn_app_with_keys_in_module().await;

    // The key file names the module and object ids; no key material, and the MAC keys only
    // sealed under the module's master key.
    let file = key_file_json(&app);
    assert_eq!(file["format"], "sealdraw-keys-pkcs11/v1");
    assert_eq!(
        file["module"]["token"],
        softhsm_token().config.token.as_str()
    );
    let raw = std::fs::read_to_string(app.settings.keys.file.as_ref().unwrap()).unwrap();
    assert!(
        !raw.contains("\"key\"") && !raw.contains("\"seed\""),
        "{raw}"
    );
    let sealing_id = file["active_sealing"].as_str().unwrap().to_owned();
    for mac_key in ["index_key", "token_key"] {
        let sealed = base64_decode(file[mac_key].as_str().unwrap());
        assert!(
            sealed.len() > 32 + 28,
            "{mac_key} is sealed, not a bare key"
        );
        assert_eq!(
            &sealed[2..2 + sealing_id.len()],
            sealing_id.as_bytes(),
            "{mac_key} is sealed under the module's master key"
        );
    }

    // Sealing and opening in the module: an admin's TOTP secret is sealed when the account is
    // made and opened at each login.
    let (_, admin) = app.account_with_token("admin.hsm", Role::Admin).await;
    let created = create_supervisor(&app, &admin).await;
    assert_eq!(created.status(), StatusCode::CREATED);

    // Signing in the module: the checkpoint verifies under the published key, which is the
    // public half of the token's key pair.
    let note = signed_checkpoint(&app, &admin).await;
    let verifier = log_key(&app, &admin).await;
    open_checkpoint(
        &note,
        &app.settings.audit.origin,
        std::slice::from_ref(&verifier),
        None,
    )
    .expect("the checkpoint verifies");
    let session = token_session();
    login(&session);
    let log_object = file["log_signing"][0]["object"].as_str().unwrap();
    let public = object(&session, ObjectClass::PUBLIC_KEY, log_object);
    let Attribute::EcPoint(point) = session
        .get_attributes(public, &[AttributeType::EcPoint])
        .unwrap()
        .remove(0)
    else {
        panic!("an EC point");
    };
    let vkey = text(&app, "/api/v1/audit/key", &admin).await;
    let published = base64_decode(vkey.trim().splitn(3, '+').nth(2).unwrap());
    assert_eq!(published[0], 0x01, "an Ed25519 vkey");
    assert_eq!(&published[1..], &point[point.len() - 32..]);

    // Neither private key can be read out: the token refuses their values.
    let sealing_object = file["sealing"][0]["object"].as_str().unwrap();
    for (class, id) in [
        (ObjectClass::SECRET_KEY, sealing_object),
        (ObjectClass::PRIVATE_KEY, log_object),
    ] {
        let key = object(&session, class, id);
        let value = session
            .get_attribute_info(key, &[AttributeType::Value])
            .unwrap();
        assert!(
            matches!(value.as_slice(), [AttributeInfo::Sensitive]),
            "{class:?} {id}: {value:?}"
        );
    }

    // `keys check` reports the same, and says so.
    let output = run_cli(&app, &["keys", "check"], None);
    let stdout = stdout_of(&output);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "{sealing_id}: sensitive=true never_extractable=true generated_in_module=true \
             extractable=false"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("all 2 keys are held in the module and cannot leave it"),
        "{stdout}"
    );
}

#[tokio::test]
async fn keys_rotate_and_rotate_log_make_their_new_keys_in_the_module() {
    let app = spawn_app_with_keys_in_module().await;
    let admin_account = app.create_account("admin.hsm", Role::Admin).await;
    let old_sealing = key_file_json(&app)["active_sealing"]
        .as_str()
        .unwrap()
        .to_owned();

    let output = run_cli(&app, &["keys", "rotate"], None);
    let stdout = stdout_of(&output);
    assert!(output.status.success(), "{stdout}");
    let file = key_file_json(&app);
    let new_sealing = file["active_sealing"].as_str().unwrap().to_owned();
    assert_ne!(new_sealing, old_sealing);
    assert!(
        stdout.contains(&format!("sealing key {new_sealing} is active")),
        "{stdout}"
    );
    // The admin's TOTP secret, re-sealed under the new module key, still opens at login.
    app.login(&admin_account).await;
    assert_eq!(
        app.audit_entries_of("keys.sealing_rotated").await[0]["data"]["key_id"],
        new_sealing.as_str()
    );

    let output = run_cli(&app, &["keys", "rotate-log"], None);
    assert!(output.status.success(), "{}", stdout_of(&output));
    let keys = KeyRing::load(app.settings.keys.file.as_ref().unwrap()).unwrap();
    assert_eq!(keys.log_keys().iter().filter(|k| k.is_active()).count(), 2);

    // A restarted server signs with both keys of the module.
    let app = app.restart(|_| {}).await;
    let admin = app.login(&admin_account).await;
    let note = signed_checkpoint(&app, &admin).await;
    let vkeys = text(&app, "/api/v1/audit/key", &admin).await;
    assert_eq!(vkeys.lines().count(), 2, "{vkeys}");
    for line in vkeys.lines() {
        let verifier: NoteVerifier = line.parse().unwrap();
        open_checkpoint(&note, &app.settings.audit.origin, &[verifier], None)
            .expect("each key signed");
    }

    let output = run_cli(&app, &["keys", "check"], None);
    let stdout = stdout_of(&output);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("all 4 keys are held in the module and cannot leave it"),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_module_that_stops_answering_fails_closed_and_the_server_recovers_with_it() {
    init_logs();
    let app = spawn_app_with_keys_in_module().await;
    let (_, admin) = app.account_with_token("admin.hsm", Role::Admin).await;
    let entries = app.entries_written_by_requests().await;

    // The module drops the server's login (as a restarted HSM does) and will not take it again
    // (its PIN is gone).
    let session = token_session();
    login(&session);
    let pin_file = &softhsm_token().config.pin_file;
    let parked = pin_file.with_extension("parked");
    std::fs::rename(pin_file, &parked).unwrap();
    session.logout().unwrap();

    // Sealing a new admin's TOTP secret needs the module: refused, nothing written.
    let created = create_supervisor(&app, &admin).await;
    let problem = assert_problem(created, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(
        problem["type"], "urn:sealdraw:problem:key-module-unavailable",
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("the key module (HSM) is unavailable, so nothing was done"),
        "{problem}"
    );
    assert_eq!(app.entries_written_by_requests().await, entries);
    assert!(
        !app.usernames(&admin)
            .await
            .contains(&"supervisor.hsm".to_owned())
    );
    // Signing needs it too: no checkpoint over the pending entries.
    let before = text(&app, "/api/v1/audit/checkpoint", &admin).await;
    let refused = app
        .post("/api/v1/audit/checkpoint", Some(&admin), &json!({}))
        .await;
    assert_problem(refused, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(text(&app, "/api/v1/audit/checkpoint", &admin).await, before);
    let logs = captured_logs();
    assert!(
        logs.contains("cannot read the key module's PIN file"),
        "{logs}"
    );
    assert!(
        !logs.contains("sealdraw-test-user"),
        "the PIN is never logged"
    );

    // The module answers again: the same requests succeed, with no restart.
    std::fs::rename(&parked, pin_file).unwrap();
    let created = create_supervisor(&app, &admin).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_ne!(signed_checkpoint(&app, &admin).await, before);
}

#[tokio::test]
async fn a_key_file_naming_a_missing_token_or_key_is_refused_at_start() {
    let app = spawn_app_with_keys_in_module().await;
    let path = app.settings.keys.file.as_ref().unwrap();
    let original = key_file_json(&app);

    let mut absent_token = original.clone();
    absent_token["module"]["token"] = "no-such-token".into();
    std::fs::write(path, absent_token.to_string()).unwrap();
    let error = KeyRing::load(path).err().unwrap().to_string();
    assert_eq!(
        error,
        "no token labelled \"no-such-token\" is present in the key module"
    );
    let output = run_cli(&app, &["keys", "check"], None);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no token labelled \"no-such-token\""),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut lost_key = original.clone();
    lost_key["log_signing"][0]["object"] = "00112233445566778899aabbccddeeff".into();
    std::fs::write(path, lost_key.to_string()).unwrap();
    let error = KeyRing::load(path).err().unwrap().to_string();
    assert_eq!(
        error,
        "the key module holds no public key with id 00112233445566778899aabbccddeeff"
    );

    // A server on that key file does not start.
    std::fs::write(path, lost_key.to_string()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let started = sealdraw::startup::Application::build_on(
        app.settings.clone(),
        listener,
        std::sync::Arc::new(app.clock.clone()),
        sealdraw::crypto::Rng::danger_deterministic(b"restart"),
    )
    .await;
    let error = format!("{:#}", started.err().unwrap());
    assert!(
        error.contains("the key module holds no public key"),
        "{error}"
    );

    // And a national-suite deployment cannot put its keys in a PKCS#11 module.
    let refused = KeyRing::init_module_file(
        &app.dir.path().join("gm.json"),
        &sealdraw::crypto::Rng::danger_deterministic(b"gm"),
        "2026-12-05T00:00:00Z",
        sealdraw::crypto::Suite::Gm2024,
        &softhsm_token().config,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(refused.contains("SM mechanisms"), "{refused}");
}

/// An admin makes a supervisor account, whose TOTP secret is sealed under the master key.
async fn create_supervisor(app: &TestApp, admin: &str) -> reqwest::Response {
    app.post(
        "/api/v1/accounts",
        Some(admin),
        &json!({"username": "supervisor.hsm", "role": "supervisor", "password": PASSWORD}),
    )
    .await
}

/// Signs a checkpoint now (the log key signs in the module) and returns its note.
async fn signed_checkpoint(app: &TestApp, admin: &str) -> String {
    let signed = app
        .post("/api/v1/audit/checkpoint", Some(admin), &json!({}))
        .await;
    assert_eq!(signed.status(), StatusCode::OK);
    signed.text().await.unwrap()
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}
