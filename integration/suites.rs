//! A deployment's cipher suite (issue 18 §1): chosen once with `sealdraw keys init --suite`,
//! recorded in the key file and the database, and a key file of the other suite refused before
//! it can append a leaf of one hash to a tree of the other. The rest of the suite runs under
//! both suites (`SEALDRAW_TEST_SUITE`, .ci/run); these tests name both explicitly.

use crate::helpers::*;
use sealdraw::crypto::Suite;

fn other_than(suite: Suite) -> Suite {
    match suite {
        Suite::Intl2024 => Suite::Gm2024,
        Suite::Gm2024 => Suite::Intl2024,
    }
}

#[tokio::test]
async fn the_database_remembers_its_suite_and_refuses_a_key_file_of_the_other() {
    let app = spawn_app().await;
    let ours = suite();
    let other = other_than(ours);
    let cli_name = match other {
        Suite::Intl2024 => "intl",
        Suite::Gm2024 => "gm",
    };

    // An operator makes a key file of the other suite; the file records it.
    let other_file = app.dir.path().join("other-keys.json");
    let made = run_cli(
        &app,
        &[
            "keys",
            "init",
            "--suite",
            cli_name,
            "--file",
            other_file.to_str().unwrap(),
        ],
        None,
    );
    assert!(made.status.success(), "{}", stdout_of(&made));
    assert!(stdout_of(&made).contains(&format!("created {} key file", other.name())));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&other_file).unwrap()).unwrap();
    assert_eq!(written["suite"], other.name());

    // The database this server made remembers its own suite: a command with the other key
    // file is refused, naming both, and writes nothing.
    let refused_dir = app.dir.path().join("refused-export");
    let refused = app
        .sealdraw_command()
        .env("SEALDRAW__KEYS__FILE", &other_file)
        .args(["audit", "export", "--out", refused_dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(&format!(
            "the database was made for the {} suite but the key file is {}",
            ours.name(),
            other.name()
        )),
        "{said}"
    );
    assert!(!refused_dir.exists(), "nothing was exported");

    // With its own key file the same command works, and the export verifies offline.
    let dir = app.dir.path().join("export");
    let exported = run_cli(
        &app,
        &["audit", "export", "--out", dir.to_str().unwrap()],
        None,
    );
    assert!(exported.status.success(), "{}", stdout_of(&exported));
    let key = std::fs::read_to_string(dir.join("key")).unwrap();
    let verified = run_cli(
        &app,
        &[
            "audit",
            "verify",
            dir.to_str().unwrap(),
            "--key",
            key.trim(),
        ],
        None,
    );
    assert!(verified.status.success(), "{}", stdout_of(&verified));
}

#[tokio::test]
async fn an_unknown_suite_is_refused_by_name_and_no_key_file_is_made() {
    let app = spawn_app().await;
    let file = app.dir.path().join("sm9-keys.json");
    let refused = run_cli(
        &app,
        &[
            "keys",
            "init",
            "--suite",
            "sm9",
            "--file",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("\"sm9\" is not a suite: use intl or gm")
    );
    assert!(!file.exists());
}

/// The verifier key the log publishes names its algorithm: type 0x01 (Ed25519) for intl2024,
/// the 0xff extension with SM2's identifier for gm2024 (docs/AUDIT-LOG.md).
#[tokio::test]
async fn the_published_verifier_key_names_the_suites_signature_type() {
    let app = spawn_app().await;
    let (_, supervisor) = app
        .account_with_token("supervisor.suite", sealdraw::auth::Role::Supervisor)
        .await;
    let vkey = app.get_text("/api/v1/audit/key", Some(&supervisor)).await;
    let data = vkey.trim().splitn(3, '+').nth(2).unwrap().to_owned();
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).unwrap();
    match suite() {
        Suite::Intl2024 => assert_eq!((bytes[0], bytes.len()), (0x01, 33)),
        Suite::Gm2024 => {
            assert_eq!(bytes[0], 0xff);
            assert!(bytes[1..].starts_with(b"sealdraw.gm/sm2-sm3\x001234567812345678\x00\x04"));
            assert_eq!(bytes.len(), 1 + 19 + 1 + 16 + 1 + 65);
        }
    }
}
