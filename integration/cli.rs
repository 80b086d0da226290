//! The `sealdraw` binary's operational subcommands, run as an operator would, against the
//! test's own database, keys and certificates.

use std::path::Path;
use std::process::{Output, Stdio};

use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::helpers::*;
use sealdraw::auth::{Role, totp};
use sealdraw::clock::Clock;

/// The binary with a clean environment, pointed at the test's database, keys and certificates.
fn sealdraw(app: &TestApp) -> Command {
    let mut command = bare_sealdraw(app.dir.path());
    command
        .env("SEALDRAW__DATABASE__URL", &app.database_url)
        .env(
            "SEALDRAW__KEYS__FILE",
            app.settings.keys.file.as_ref().unwrap(),
        )
        .env("SEALDRAW__TLS__CERT", app.certs.server_cert())
        .env("SEALDRAW__TLS__KEY", app.certs.server_key());
    command
}

fn bare_sealdraw(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sealdraw"));
    command
        .env_clear()
        .current_dir(dir)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    // SoftHSM2 finds its tokens through this variable, as a deployment's unit sets it.
    if let Some(conf) = std::env::var_os("SOFTHSM2_CONF") {
        command.env("SOFTHSM2_CONF", conf);
    }
    command
}

async fn run(command: &mut Command, stdin: Option<&str>) -> Output {
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        // A command that refuses its arguments exits without reading: a broken pipe is fine.
        let _ = pipe.write_all(input.as_bytes()).await;
    }
    tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("sealdraw did not finish")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn account_exists(app: &TestApp, username: &str) -> bool {
    let mut tx = app.state.store.read().await.unwrap();
    let account = tx.account_by_username(username).await.unwrap();
    tx.rollback().await.unwrap();
    account.is_some()
}

#[tokio::test]
async fn user_add_reads_the_password_from_stdin_prints_a_totp_secret_and_the_account_logs_in() {
    let app = spawn_app().await;
    let password = "a supervisor's own passphrase";
    let output = run(
        sealdraw(&app).args([
            "user",
            "add",
            "--role",
            "supervisor",
            "--username",
            "cli.zhou",
        ]),
        Some(&format!("{password}\n")),
    )
    .await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(!stdout.contains(password) && !stderr.contains(password));

    // The base32 secret is on the line after the heading; the otpauth URI carries it too.
    let lines: Vec<&str> = stdout.lines().collect();
    let heading = lines
        .iter()
        .position(|line| line.starts_with("TOTP secret"))
        .unwrap_or_else(|| panic!("no TOTP secret printed: {stdout}"));
    let secret = lines[heading + 1].trim();
    assert!(stdout.contains(&format!("secret={secret}")), "{stdout}");
    let secret = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();

    let code = totp::current_code(&secret, app.clock.now_millis()).unwrap();
    let response = app.attempt_login("cli.zhou", password, Some(&code)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let token = response.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me: serde_json::Value = app.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(me["role"], "supervisor");
}

#[tokio::test]
async fn user_add_gives_a_supervisor_a_jurisdiction_and_refuses_one_that_cannot_be() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("cli.admin", Role::Admin).await;
    let output = run(
        sealdraw(&app).args([
            "user",
            "add",
            "--role",
            "supervisor",
            "--username",
            "cli.xiangyang",
            "--scope-region",
            "420600",
            "--scope-region",
            "420502",
            "--scope-industry",
            "water",
        ]),
        Some("a supervisor's own passphrase\n"),
    )
    .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let accounts = app.get_json("/api/v1/accounts", Some(&admin)).await;
    let created = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "cli.xiangyang")
        .unwrap();
    assert_eq!(
        created["scope"],
        serde_json::json!({"regions": ["420502", "4206"], "industries": ["water"]})
    );
    let set = app.audit_entries_of("account.scope_set").await;
    assert_eq!(set.len(), 1);
    assert_eq!(
        set[0]["actor"],
        serde_json::json!({"system": "command-line"})
    );

    for (args, named, username) in [
        (
            ["supervisor", "--scope-region", "42"],
            "--scope-region",
            "cli.province",
        ),
        (
            ["supervisor", "--scope-industry", "roads"],
            "--scope-industry",
            "cli.roads",
        ),
        (
            ["expert", "--scope-industry", "water"],
            "scope",
            "cli.expert",
        ),
    ] {
        let output = run(
            sealdraw(&app)
                .args(["user", "add", "--username", username, "--role"])
                .args(args),
            Some("a supervisor's own passphrase\n"),
        )
        .await;
        assert!(!output.status.success(), "{username}");
        assert!(
            text(&output.stderr).contains(named),
            "{}",
            text(&output.stderr)
        );
        assert!(!account_exists(&app, username).await);
    }
}

#[tokio::test]
async fn user_add_takes_no_password_from_arguments_and_none_from_empty_stdin() {
    let app = spawn_app().await;
    let output = run(
        sealdraw(&app).args([
            "user",
            "add",
            "--role",
            "expert",
            "--username",
            "cli.argv",
            "--password",
            "a password in argv",
        ]),
        Some("a password on stdin\n"),
    )
    .await;
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("--password"));
    assert!(!account_exists(&app, "cli.argv").await);

    let output = run(
        sealdraw(&app).args(["user", "add", "--role", "expert", "--username", "cli.empty"]),
        Some(""),
    )
    .await;
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("no password"));
    assert!(!account_exists(&app, "cli.empty").await);
}

#[tokio::test]
async fn user_disable_ends_the_accounts_tokens_and_enable_lets_it_log_in_again() {
    let app = spawn_app().await;
    let (expert, token) = app.account_with_token("cli.expert", Role::Expert).await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status(),
        StatusCode::OK
    );

    let output = run(sealdraw(&app).args(["user", "disable", "cli.expert"]), None).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    app.assert_token_ended(&token).await;
    let refused = app.attempt_login("cli.expert", PASSWORD, None).await;
    assert_problem(refused, StatusCode::UNAUTHORIZED).await;

    let output = run(sealdraw(&app).args(["user", "enable", "cli.expert"]), None).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    app.login(&expert).await;

    let output = run(
        sealdraw(&app).args(["user", "disable", "nobody.here"]),
        None,
    )
    .await;
    assert!(!output.status.success());
}

#[tokio::test]
async fn check_config_names_each_broken_setting_and_fails() {
    let app = spawn_app().await;
    let output = run(sealdraw(&app).arg("check-config"), None).await;
    assert!(
        output.status.success(),
        "the test's own settings are valid: {}",
        text(&output.stderr)
    );

    for (variable, value, named) in [
        ("SEALDRAW__SERVER__ADDRESS", "nonsense", "server.address"),
        (
            "SEALDRAW__AUTH__ARGON2_MEMORY_KIB",
            "1024",
            "auth.argon2_memory_kib",
        ),
        (
            "SEALDRAW__TELEMETRY__METRICS_ADDRESS",
            "0.0.0.0:9464",
            "telemetry.metrics_address",
        ),
        ("SEALDRAW__TLS__CERT", "/nonexistent/server.pem", "tls.cert"),
        ("SEALDRAW__SERVER__ADRESS", "127.0.0.1:8443", "adress"),
    ] {
        let output = run(
            sealdraw(&app).arg("check-config").env(variable, value),
            None,
        )
        .await;
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{variable}={value} passed");
        assert!(stderr.contains(named), "{variable}={value}: {stderr}");
    }
}

#[tokio::test]
async fn dev_certs_writes_a_ca_and_a_server_certificate_with_a_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    let output = run(
        bare_sealdraw(dir.path()).args(["dev-certs", "--out", out.to_str().unwrap()]),
        None,
    )
    .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    for file in ["ca.pem", "server.pem", "server-key.pem"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("server-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "server key mode {mode:o}");
    }

    // The files belong together: the server certificate verifies for localhost against the
    // CA, and the key is the certificate's.
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(out.join("ca.pem")).unwrap())
        .unwrap();
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        roots.into(),
        sealdraw::tls::provider(),
    )
    .build()
    .unwrap();
    let server = CertificateDer::from_pem_file(out.join("server.pem")).unwrap();
    verifier
        .verify_server_cert(
            &server,
            &[],
            &ServerName::try_from("localhost").unwrap(),
            &[],
            UnixTime::now(),
        )
        .unwrap();
    sealdraw::tls::server_config(&sealdraw::tls::TlsOptions {
        cert: &out.join("server.pem"),
        key: &out.join("server-key.pem"),
        tls13_only: false,
        client_ca: None,
    })
    .unwrap();
}

/// Split custody for recovery (issue 20 §3): any threshold of the shares rebuild the key file,
/// byte for byte, and a server runs on the rebuilt one; one share fewer, a damaged share or a
/// share of another split is refused by name and writes nothing.
#[tokio::test]
async fn keys_split_into_shares_any_threshold_rebuild_the_key_file_and_fewer_are_refused() {
    let app = spawn_app().await;
    let admin = app.create_account("admin.custody", Role::Admin).await;
    let key_file = app.settings.keys.file.clone().unwrap();
    let shares_dir = app.dir.path().join("shares");
    let split = run_cli(
        &app,
        &["keys", "split", "--shares", "5", "--threshold", "3"]
            .into_iter()
            .chain(["--out", shares_dir.to_str().unwrap()])
            .collect::<Vec<_>>(),
        None,
    );
    let stdout = stdout_of(&split);
    assert!(split.status.success(), "{stdout}");
    let share = |i: usize| shares_dir.join(format!("keys.share-{i}-of-5.json"));
    for i in 1..=5 {
        assert!(stdout.contains(share(i).to_str().unwrap()), "{stdout}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(share(i)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "share {i} is readable by others");
        }
    }
    let recover = |shares: &[std::path::PathBuf], out: &Path| {
        let mut args = vec!["keys".to_owned(), "recover".to_owned()];
        args.extend(shares.iter().map(|p| p.display().to_string()));
        args.extend(["--out".to_owned(), out.display().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_cli(&app, &args, None)
    };

    // Any three: the same bytes as the key file.
    let rebuilt = app.dir.path().join("rebuilt.json");
    let output = recover(&[share(2), share(4), share(5)], &rebuilt);
    assert!(output.status.success(), "{}", stdout_of(&output));
    assert_eq!(
        std::fs::read(&rebuilt).unwrap(),
        std::fs::read(&key_file).unwrap()
    );

    // Two: refused, nothing written.
    let refused = app.dir.path().join("refused.json");
    let output = recover(&[share(1), share(3)], &refused);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        stderr.contains("this split needs 3 different shares; 2 given"),
        "{stderr}"
    );
    assert!(!refused.exists());

    // A share with one changed character is named.
    let damaged = app.dir.path().join("damaged.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(share(3)).unwrap()).unwrap();
    let text = json["share"].as_str().unwrap().to_owned();
    let flipped = if text.starts_with('A') { "B" } else { "A" };
    json["share"] = format!("{flipped}{}", &text[1..]).into();
    std::fs::write(&damaged, json.to_string()).unwrap();
    let output = recover(&[share(1), share(2), damaged.clone()], &refused);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!(
            "{}: its checksum does not match its contents",
            damaged.display()
        )),
        "{stderr}"
    );

    // A share of another split is named too.
    let other_dir = app.dir.path().join("other");
    let output = run_cli(
        &app,
        &[
            "keys",
            "split",
            "--shares",
            "3",
            "--threshold",
            "2",
            "--out",
        ]
        .into_iter()
        .chain([other_dir.to_str().unwrap()])
        .collect::<Vec<_>>(),
        None,
    );
    assert!(output.status.success());
    let foreign = other_dir.join("keys.share-1-of-3.json");
    let output = recover(&[share(1), share(2), foreign.clone()], &refused);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!("{} is a share of split", foreign.display())),
        "{stderr}"
    );
    assert!(!refused.exists());

    // A server on the rebuilt key file opens what the old one sealed (the admin's TOTP secret).
    let app = app
        .restart(|settings| settings.keys.file = Some(rebuilt))
        .await;
    app.login(&admin).await;
}
