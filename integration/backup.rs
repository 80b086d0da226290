//! `sealdraw backup` (issue 20 §3): an online copy of the embedded SQLite database taken while
//! the server writes, restored, verified, and the restored log's refusal to sign over the
//! entries the copy lacks. On PostgreSQL the command refuses and points at pgBackRest, whose
//! restore is drilled in `drills::backup`.

use std::path::Path;

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::*;
use sealdraw::auth::Role;

/// `count` audited acts: accounts created by an admin.
pub(crate) async fn create_accounts(app: &TestApp, admin: &str, count: usize) {
    for _ in 0..count {
        let response = app
            .post(
                "/api/v1/accounts",
                Some(admin),
                &json!({"username": format!("expert.{}", uuid::Uuid::new_v4().simple()), "role": "expert", "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
}

/// Has the server sign a checkpoint now; saves it in `file` as a supervisor would and returns
/// its size.
pub(crate) async fn sign_checkpoint(app: &TestApp, admin: &str, file: &Path) -> u64 {
    let response = app
        .post("/api/v1/audit/checkpoint", Some(admin), &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let note = response.text().await.unwrap();
    std::fs::write(file, &note).unwrap();
    note.lines().nth(1).unwrap().parse().unwrap()
}

fn assert_refused_for_postgres(output: &std::process::Output, out: &Path) {
    let said = stdout_of(output);
    assert!(!output.status.success(), "{said}");
    assert!(
        said.contains("runs on PostgreSQL")
            && said.contains("pgBackRest")
            && said.contains("docs/OPERATIONS.md"),
        "{said}"
    );
    assert!(!out.exists(), "a refused backup wrote {}", out.display());
}

#[tokio::test]
async fn a_backup_taken_while_the_server_writes_restores_verifies_and_refuses_to_sign_over_lost_entries()
 {
    let app = spawn_app().await;
    let (account, admin) = app.account_with_token("admin.one", Role::Admin).await;
    create_accounts(&app, &admin, 5).await;
    let before = app.dir.path().join("checkpoint-before");
    let before_size = sign_checkpoint(&app, &admin, &before).await;

    // The copy is taken while the server goes on writing.
    let out = app.dir.path().join("backups").join("sealdraw.db");
    let mut command = app.sealdraw_command();
    command.args(["backup", "--out", out.to_str().unwrap()]);
    let backup = tokio::task::spawn_blocking(move || command.output().unwrap());
    create_accounts(&app, &admin, 5).await;
    let output = backup.await.unwrap();

    if is_postgres() {
        assert_refused_for_postgres(&output, &out);
        return;
    }
    let said = stdout_of(&output);
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains(&format!(
            "extends the checkpoint saved outside the database (size {before_size})"
        )),
        "{said}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the backup is readable by others");
    }
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["sealdraw.db"], "the staging files stayed");

    // Acts after the backup, covered by a checkpoint the server also keeps outside the database.
    create_accounts(&app, &admin, 4).await;
    let after = app.dir.path().join("checkpoint-after");
    let after_size = sign_checkpoint(&app, &admin, &after).await;

    // The database is lost; the backup is copied into place and the server started on it.
    let restored = app.dir.path().join("restored.db");
    std::fs::copy(&out, &restored).unwrap();
    let restored_url = format!("sqlite://{}", restored.display());
    let url = restored_url.clone();
    let mut app = app
        .restart(move |settings| settings.database.url = Some(SecretString::from(url)))
        .await;
    app.database_url = restored_url;

    // The restored log verifies end to end and extends what was signed before the backup…
    let key = app.dir.path().join("log.vkey");
    let printed = run_cli(&app, &["audit", "key"], None);
    assert!(printed.status.success(), "{}", stdout_of(&printed));
    std::fs::write(&key, &printed.stdout).unwrap();
    let export = app.dir.path().join("restored-export");
    let exported = run_cli(
        &app,
        &["audit", "export", "--out", export.to_str().unwrap()],
        None,
    );
    assert!(exported.status.success(), "{}", stdout_of(&exported));
    let verify = |since: &Path| {
        run_cli(
            &app,
            &[
                "audit",
                "verify",
                export.to_str().unwrap(),
                "--key",
                key.to_str().unwrap(),
                "--since",
                since.to_str().unwrap(),
            ],
            None,
        )
    };
    let verified = verify(&before);
    assert!(verified.status.success(), "{}", stdout_of(&verified));
    let restored_size: u64 = {
        let text = stdout_of(&verified);
        let (_, rest) = text.split_once("signed checkpoint (size ").unwrap();
        rest.split(',').next().unwrap().parse().unwrap()
    };
    assert!(
        before_size <= restored_size && restored_size + 2 < after_size,
        "sizes: before {before_size}, restored {restored_size}, after {after_size}"
    );
    // …but offline, a verifier holding the later checkpoint sees the entries it lacks.
    let shrunk = verify(&after);
    assert_eq!(shrunk.status.code(), Some(1), "{}", stdout_of(&shrunk));
    assert!(stdout_of(&shrunk).contains("the log shrank"));

    // The restored server serves (a login is an audited act), and online it refuses to sign
    // a tree that does not extend the checkpoint it kept outside the database.
    let admin = app.login(&account).await;
    let refused = app
        .post("/api/v1/audit/checkpoint", Some(&admin), &json!({}))
        .await;
    assert_problem(refused, StatusCode::INTERNAL_SERVER_ERROR).await;
    let logs = captured_logs();
    assert!(
        logs.contains(&format!(
            "the log holds {} entries but the checkpoint saved outside the database",
            restored_size + 1
        )) && logs.contains(&format!("was signed for {after_size}")),
        "{logs}"
    );
}

#[tokio::test]
async fn a_backup_never_replaces_a_file_and_postgresql_is_pointed_at_pgbackrest() {
    let app = spawn_app().await;
    let out = app.dir.path().join("existing.db");
    if is_postgres() {
        let output = run_cli(&app, &["backup", "--out", out.to_str().unwrap()], None);
        assert_refused_for_postgres(&output, &out);
        return;
    }
    std::fs::write(&out, b"an older backup").unwrap();
    let output = run_cli(&app, &["backup", "--out", out.to_str().unwrap()], None);
    assert!(!output.status.success());
    assert!(
        stdout_of(&output).contains("a backup never replaces a file"),
        "{}",
        stdout_of(&output)
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"an older backup");
}
