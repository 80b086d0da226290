//! The evaluation archive (issue 19 §2; docs/ARCHIVE.md): a closed session's package over
//! HTTP and the command line, verified offline by `sealdraw archive verify`, and failing with
//! the file and field named for each tamper; who may read, list and delete packages; the
//! retention period.

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use sealdraw::archive::package::{MANIFEST, Package, REPORT_JSON, REPORT_PDF};
use sealdraw::audit::entry::canonical_json;
use sealdraw::auth::Role;
use sealdraw::session::rules::Phase;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::member_signatures::{enrol, new_key, signed, to_signing};
use crate::sessions::{Committee, Mode, advance, all_agree, ok};

const DISSENT: &str = "价格分计算方法与招标文件第 5 条不一致";

/// A closed session whose members signed with their own keys (the first seat dissenting),
/// and the package of it the supervisor fetched, unpacked into a directory.
struct Archived {
    committee: Committee,
    package: Package,
    id: String,
    dir: tempfile::TempDir,
    vkey_file: std::path::PathBuf,
    /// The CA roots the verifiers are given (`--ca`).
    cas: Vec<std::path::PathBuf>,
}

async fn archived_session() -> Archived {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let app = &committee.fx.app;
    let (mut clients, draft) = to_signing(&committee).await;

    // Before it closes there is nothing to archive.
    let early = app
        .get(
            &format!("/api/v1/archives/{}", committee.session_id),
            Some(&committee.fx.supervisor),
        )
        .await;
    let problem = assert_problem(early, StatusCode::CONFLICT).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("the session is not closed"),
        "{problem}"
    );

    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    for (n, seat) in seats.iter().enumerate() {
        // Under the national suite the last member's key is SM2 (a token's, say), so that the
        // package carries and both verifiers check an sm2-sm3 signature.
        if n == seats.len() - 1 && suite() == sealdraw::crypto::Suite::Gm2024 {
            let bearer = clients.experts[seat].1.bearer.clone();
            let client = &mut clients.experts.get_mut(seat).unwrap().0;
            sign_with_sm2(app, &bearer, client, &draft).await;
            continue;
        }
        let key = new_key(&format!("archive member {n}"));
        let bearer = clients.experts[seat].1.bearer.clone();
        let key_id = enrol(app, &bearer, &key, "key_file").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let client = &mut clients.experts.get_mut(seat).unwrap().0;
        let request = if n == 0 {
            signed(client, &draft, false, Some(DISSENT), &key, &key_id)
        } else {
            signed(client, &draft, true, None, &key, &key_id)
        };
        ok(client, request).await;
    }
    advance(&mut clients.host, Phase::Closed).await;
    fetched(committee, Vec::new()).await
}

/// Enrols an SM2 key for `client`'s member and signs their agreement with it (SM2 over SM3
/// with the default identifier, as the national suite's tokens sign).
async fn sign_with_sm2(
    app: &TestApp,
    bearer: &str,
    client: &mut sealdraw::terminal::client::SessionClient,
    draft: &str,
) {
    use base64::Engine as _;
    use sm2::dsa::signature::Signer as _;
    let signing = sm2::dsa::SigningKey::from_slice("1234567812345678", &[7u8; 32]).unwrap();
    let point = signing.verifying_key().to_sec1_bytes();
    assert_eq!(point.len(), 65, "an uncompressed SM2 point");
    // SubjectPublicKeyInfo { id-ecPublicKey, the SM2 curve (1.2.156.10197.1.301) }, the point.
    let mut spki = hex::decode("3059301306072a8648ce3d020106082a811ccf5501822d034200").unwrap();
    spki.extend_from_slice(&point);
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let enrolled = app
        .post(
            "/api/v1/me/signing-keys",
            Some(bearer),
            &json!({"kind": "pkcs11", "public_key": encode(&spki), "label": "SM2 令牌"}),
        )
        .await;
    assert_eq!(enrolled.status(), StatusCode::CREATED);
    let key: Value = enrolled.json().await.unwrap();
    assert_eq!(key["algorithm"], "sm2-sm3", "{key}");
    let statement = sealdraw::session::protocol::signed_decision(
        &client.session_id,
        client.seat.unwrap(),
        draft,
        true,
        None,
    );
    let signature: sm2::dsa::Signature = signing.sign(&statement);
    let request = sealdraw::session::protocol::Request::Sign {
        report_sha256: draft.to_owned(),
        agree: true,
        reasons: None,
        signature: Some(sealdraw::session::protocol::MemberSignature {
            key_id: key["id"].as_str().unwrap().to_owned(),
            value: encode(&signature.to_bytes()),
        }),
    };
    ok(client, request).await;
}

/// The package of `committee`'s closed session as the supervisor fetches it, unpacked into a
/// directory, to be verified with the CA roots `cas`.
async fn fetched(committee: Committee, cas: Vec<std::path::PathBuf>) -> Archived {
    let app = &committee.fx.app;
    let response = app
        .get(
            &format!("/api/v1/archives/{}", committee.session_id),
            Some(&committee.fx.supervisor),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let id = response.headers()["sealdraw-archive-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let package = Package::from_zip(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(package.id(), id);

    let dir = tempfile::tempdir().unwrap();
    package.write_to(dir.path()).unwrap();
    let vkey = app
        .get_text("/api/v1/audit/key", Some(&committee.fx.supervisor))
        .await;
    let vkey_file = dir.path().with_extension("vkey");
    std::fs::write(&vkey_file, vkey).unwrap();
    Archived {
        committee,
        package,
        id,
        dir,
        vkey_file,
        cas,
    }
}

impl Archived {
    fn app(&self) -> &TestApp {
        &self.committee.fx.app
    }

    /// `sealdraw archive verify` of `dir`: its exit code and what it printed. A directory is
    /// also given to the independent `verify_archive.py` (written from docs/ARCHIVE.md), which
    /// must reach the same verdict and, on a failure, name the same file.
    fn verify(&self, dir: &Path) -> (Option<i32>, String) {
        let (code, printed) = self.verify_with_cli(dir);
        if dir.is_dir() {
            let (python_code, python_printed) = self.verify_with_python(dir);
            assert_eq!(
                python_code, code,
                "verify_archive.py disagrees with sealdraw archive verify:\n{python_printed}\n{printed}"
            );
            if code == Some(1) {
                let file = printed.split(": ").next().unwrap_or_default();
                assert!(
                    python_printed.starts_with(&format!("FAIL {file}: ")),
                    "verify_archive.py names another file than {file}: {python_printed}"
                );
            } else if code == Some(0) {
                assert!(
                    python_printed.starts_with(&format!("OK archive {}:", self.id)),
                    "{python_printed}"
                );
            }
        }
        (code, printed)
    }

    fn verify_with_python(&self, dir: &Path) -> (Option<i32>, String) {
        verify_with_python(self.app(), dir, &self.vkey_file, &self.cas)
    }

    fn verify_with_cli(&self, dir: &Path) -> (Option<i32>, String) {
        let mut args = vec![
            "archive",
            "verify",
            dir.to_str().unwrap(),
            "--key",
            self.vkey_file.to_str().unwrap(),
        ];
        for ca in &self.cas {
            args.extend(["--ca", ca.to_str().unwrap()]);
        }
        let output = run_cli(self.app(), &args, None);
        (output.status.code(), stdout_of(&output))
    }

    /// Both verifiers accept the package as fetched, with `signatures` member signatures.
    fn assert_verifies_with_signatures(&self, signatures: usize) {
        let (code, printed) = self.verify(self.dir.path());
        assert_eq!(code, Some(0), "{printed}");
        let expected = format!(
            "OK archive {}: session {}, {signatures} signatures,",
            self.id, self.committee.session_id
        );
        assert!(printed.starts_with(&expected), "{printed}");
    }

    /// A copy of the package to tamper with.
    fn copy(&self) -> tempfile::TempDir {
        let copy = tempfile::tempdir().unwrap();
        self.package.write_to(copy.path()).unwrap();
        copy
    }

    /// Verifying `dir` fails (exit 1) with a line naming `file` and `field`.
    fn assert_fails(&self, dir: &Path, file: &str, field: &str) -> String {
        let (code, printed) = self.verify(dir);
        assert_eq!(code, Some(1), "{printed}");
        let expected = if field.is_empty() {
            format!("{file}: ")
        } else {
            format!("{file}: {field}: ")
        };
        assert!(
            printed.starts_with(&expected),
            "expected {expected:?}: {printed}"
        );
        printed
    }
}

/// The independent `verify_archive.py` of the package in `dir`: its exit code and what it
/// printed.
fn verify_with_python(
    app: &TestApp,
    dir: &Path,
    vkey_file: &Path,
    cas: &[std::path::PathBuf],
) -> (Option<i32>, String) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/integration/verifier/verify_archive.py"
    );
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg(dir)
        .arg("--key")
        .arg(vkey_file)
        .arg("--font")
        .arg(&app.settings.archive.font)
        .args(
            cas.iter()
                .flat_map(|ca| [std::ffi::OsStr::new("--ca"), ca.as_os_str()]),
        )
        .output()
        .unwrap();
    (output.status.code(), stdout_of(&output))
}

fn read_json(dir: &Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

fn write_canonical(dir: &Path, name: &str, value: &Value) {
    std::fs::write(dir.join(name), canonical_json(value).unwrap()).unwrap();
}

/// The manifest made to match the files as they are now, as a tamperer who knows the format
/// would: every file's SHA-256 listed, removed files unlisted.
fn fix_manifest(dir: &Path) {
    let mut manifest = read_json(dir, MANIFEST);
    let package = Package::read_from(dir).unwrap();
    let files: serde_json::Map<String, Value> = package
        .files()
        .iter()
        .filter(|(name, _)| name.as_str() != MANIFEST)
        .map(|(name, bytes)| {
            (
                name.clone(),
                json!(sealdraw::archive::package::sha256_hex(bytes)),
            )
        })
        .collect();
    manifest["files"] = Value::Object(files);
    write_canonical(dir, MANIFEST, &manifest);
}

/// The tampers of docs/ARCHIVE.md each fail with the file and the field named, by both
/// verifiers: a changed score, a swapped signature, a removed member, a replaced proof, a PDF
/// not matching the report. Seats 1 and 2 signed with member keys.
fn assert_tampers_fail(archived: &Archived) {
    let app = archived.app();
    let report = archived.package.file(REPORT_JSON).unwrap();
    // A changed score: the manifest's hash first…
    let copy = archived.copy();
    let mut changed = read_json(copy.path(), REPORT_JSON);
    let total = changed["summary"][0]["median_total_centi"]
        .as_i64()
        .unwrap();
    changed["summary"][0]["median_total_centi"] = json!(total + 500);
    write_canonical(copy.path(), REPORT_JSON, &changed);
    archived.assert_fails(copy.path(), REPORT_JSON, "sha256");
    // …and with the manifest made to match, the closing entry's digest.
    fix_manifest(copy.path());
    let printed = archived.assert_fails(copy.path(), REPORT_JSON, "digest");
    assert!(printed.contains("(the closing entry)"), "{printed}");

    // Seat 1's signature file with seat 2's signature value.
    let copy = archived.copy();
    let mut first = read_json(copy.path(), "signatures/seat-1.json");
    let second = read_json(copy.path(), "signatures/seat-2.json");
    first["signature"] = second["signature"].clone();
    write_canonical(copy.path(), "signatures/seat-1.json", &first);
    fix_manifest(copy.path());
    archived.assert_fails(copy.path(), "signatures/seat-1.json", "signature");

    // A member removed: their signature file deleted and the manifest fixed up to match.
    let copy = archived.copy();
    std::fs::remove_file(copy.path().join("signatures/seat-2.json")).unwrap();
    fix_manifest(copy.path());
    let printed = archived.assert_fails(copy.path(), "signatures/seat-2.json", "");
    assert!(printed.contains("missing"), "{printed}");

    // The closing entry's proof replaced by another entry's.
    let copy = archived.copy();
    let manifest = read_json(copy.path(), MANIFEST);
    let indexes: Vec<u64> = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    let closing = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "session.closed")
        .unwrap()["index"]
        .as_u64()
        .unwrap();
    let other = indexes.iter().find(|i| **i != closing).unwrap();
    std::fs::copy(
        copy.path().join(format!("proofs/{other}.proof")),
        copy.path().join(format!("proofs/{closing}.proof")),
    )
    .unwrap();
    fix_manifest(copy.path());
    archived.assert_fails(copy.path(), &format!("proofs/{closing}.proof"), "index");

    // A PDF that is not this report's: one rendered from another session's report.
    let copy = archived.copy();
    let font = sealdraw::archive::pdf::FontFile::load(&app.settings.archive.font, 0).unwrap();
    let mut other_report: Value = serde_json::from_slice(report).unwrap();
    other_report["session_id"] = json!("another-session");
    let other_bytes = canonical_json(&other_report).unwrap();
    let other_digest = suite().hex_hash(&other_bytes);
    let checkpoint = std::fs::read_to_string(copy.path().join("checkpoint")).unwrap();
    let other_pdf = sealdraw::archive::pdf::render(
        &sealdraw::archive::pdf::ReadableReport {
            report: &other_report,
            report_sha256: &other_digest,
            signatures: &[],
            names: None,
            checkpoint: &checkpoint,
        },
        &font,
    )
    .unwrap();
    std::fs::write(copy.path().join(REPORT_PDF), other_pdf).unwrap();
    fix_manifest(copy.path());
    archived.assert_fails(copy.path(), REPORT_PDF, "embedded digest");
}

#[tokio::test]
async fn a_closed_sessions_archive_verifies_offline_and_each_tamper_is_named_by_file_and_field() {
    let archived = archived_session().await;
    let app = archived.app();
    let session_id = &archived.committee.session_id;

    // The package verifies, signatures and all.
    archived.assert_verifies_with_signatures(5);
    // It holds the report the closing entry digests, each member's signature, the draw's
    // record and the closing entry's proof; and no name of anyone.
    let closed = app.audit_entries_of("session.closed").await.pop().unwrap();
    let report = archived.package.file(REPORT_JSON).unwrap();
    assert_eq!(
        closed["data"][suite().digest_field("report")],
        suite().hex_hash(report)
    );
    let names: Vec<&String> = archived.package.files().keys().collect();
    for seat in 1..=5 {
        assert!(
            names.contains(&&format!("signatures/seat-{seat}.json")),
            "{names:?}"
        );
    }
    assert!(names.iter().any(|n| n.starts_with("draws/")), "{names:?}");
    assert!(archived.package.file(REPORT_PDF).is_some());

    // The command line exports the same kept package.
    let out = tempfile::tempdir().unwrap();
    let exported = out.path().join("package");
    let output = run_cli(
        app,
        &[
            "archive",
            "export",
            session_id,
            "--out",
            exported.to_str().unwrap(),
        ],
        None,
    );
    assert!(output.status.success(), "{}", stdout_of(&output));
    assert_eq!(Package::read_from(&exported).unwrap(), archived.package);
    // …and the zip verifies as well as the directory.
    let zip = out.path().join("package.zip");
    std::fs::write(&zip, archived.package.to_zip().unwrap()).unwrap();
    assert_eq!(archived.verify(&zip).0, Some(0));

    assert_tampers_fail(&archived);

    // Names: only after publication, only for a supervisor, rendered on request and never
    // kept (the kept package is unchanged, and still nameless).
    let draw_id = &archived.committee.draw_id;
    let fx = &archived.committee.fx;
    let named = format!("/api/v1/archives/{session_id}/named-report");
    assert_problem(
        app.get(&named, Some(&fx.supervisor)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let requested = app
        .post(
            &format!("/api/v1/draws/{draw_id}/publication"),
            Some(&fx.center),
            &json!({"reason": "中标候选人公示需要公布评标委员会名单"}),
        )
        .await;
    assert_eq!(requested.status(), StatusCode::CREATED);
    let approved = app
        .post(
            &format!("/api/v1/draws/{draw_id}/publication/approve"),
            Some(&fx.supervisor),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    assert_problem(
        app.get(&named, Some(&fx.admin)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let reads = app.audit_entries_of("draw.committee_read").await.len();
    let response = app.get(&named, Some(&fx.supervisor)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = response.bytes().await.unwrap();
    assert_eq!(
        app.audit_entries_of("draw.committee_read").await.len(),
        reads + 1
    );
    let members = app
        .get_json(
            &format!("/api/v1/draws/{draw_id}/committee"),
            Some(&fx.supervisor),
        )
        .await;
    let pdf_file = out.path().join("named.pdf");
    std::fs::write(&pdf_file, &pdf).unwrap();
    let text = std::process::Command::new("pdftotext")
        .args([pdf_file.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    let first_name = members[0]["name"].as_str().unwrap();
    assert!(
        text.contains(first_name),
        "{first_name} not in the named report"
    );
    let kept = app
        .get(
            &format!("/api/v1/archives/{session_id}"),
            Some(&fx.supervisor),
        )
        .await;
    let kept = Package::from_zip(&kept.bytes().await.unwrap()).unwrap();
    assert_eq!(kept, archived.package);
    for (name, bytes) in kept.files() {
        assert!(
            !String::from_utf8_lossy(bytes).contains(first_name),
            "{name} holds a member's name"
        );
    }
    let unnamed = std::process::Command::new("pdftotext")
        .args([exported.join(REPORT_PDF).to_str().unwrap(), "-"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&unnamed.stdout).contains(first_name));

    // A file added, and a file listed but gone, are named too.
    let copy = archived.copy();
    std::fs::write(copy.path().join("notes.txt"), "added").unwrap();
    archived.assert_fails(copy.path(), "notes.txt", "");
    // The wrong log key cannot vouch for it; an unreadable key is "cannot verify" (2).
    let output = run_cli(
        app,
        &[
            "archive",
            "verify",
            archived.dir.path().to_str().unwrap(),
            "--key",
            "not a key",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2), "{}", stdout_of(&output));
}

#[tokio::test]
async fn archives_are_for_supervisors_in_jurisdiction_and_admins_and_kept_until_they_expire() {
    // The report's font is a copy the test can take away and put back.
    let fonts = tempfile::tempdir().unwrap();
    let font = fonts.path().join("report-font.ttc");
    std::fs::copy(sealdraw::config::ArchiveSettings::default().font, &font).unwrap();
    let configured = font.clone();
    let committee = Committee::with(Mode::Distributed, 5, 1, move |settings| {
        settings.archive.font = configured;
    })
    .await;
    let fx = &committee.fx;
    let app = &fx.app;
    let path = format!("/api/v1/archives/{}", committee.session_id);

    // Decisions without member keys, and the session closed.
    let (mut clients, draft) = to_signing(&committee).await;
    all_agree(clients.experts.values_mut().map(|(c, _)| c), &draft).await;
    advance(&mut clients.host, Phase::Closed).await;

    // A trading center may not (its operators may not see the committee's keys and
    // decisions gathered like this), nor an expert, nor a supervisor outside jurisdiction,
    // who is answered as for an unknown id.
    assert_problem(
        app.get(&path, Some(&fx.center)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let expert = &committee.members[0].bearer;
    assert_problem(app.get(&path, Some(expert)).await, StatusCode::FORBIDDEN).await;
    let (_, outsider) = app
        .account_with_token("sup-elsewhere", Role::Supervisor)
        .await;
    let scoped = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/accounts/sup-elsewhere/scope",
            Some(&fx.admin),
        )
        .json(&json!({"regions": ["420500"]}))
        .send()
        .await
        .unwrap();
    assert!(scoped.status().is_success(), "{}", scoped.status());
    assert_problem(app.get(&path, Some(&outsider)).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.get("/api/v1/archives/no-such-session", Some(&fx.admin))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(app.audit_entries_of("archive.stored").await.is_empty());

    // Without its font the server cannot render the readable report: a clear 503, and
    // nothing is kept.
    let kept_font = std::fs::read(&font).unwrap();
    std::fs::remove_file(&font).unwrap();
    let unrendered = assert_problem(
        app.get(&path, Some(&fx.admin)).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert!(
        unrendered["detail"]
            .as_str()
            .unwrap()
            .contains("readable report cannot be rendered"),
        "{unrendered}"
    );
    assert!(app.audit_entries_of("archive.stored").await.is_empty());
    let archive_dir = app.settings.archive.dir_in(&app.settings.data_dir);
    assert!(
        !archive_dir.exists() || std::fs::read_dir(&archive_dir).unwrap().next().is_none(),
        "a package was kept without its PDF"
    );
    std::fs::write(&font, kept_font).unwrap();

    // An admin's request builds and keeps it, once.
    let response = app.get(&path, Some(&fx.admin)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let id = response.headers()["sealdraw-archive-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let again = app.get(&path, Some(&fx.supervisor)).await;
    assert_eq!(again.headers()["sealdraw-archive-id"], id.as_str());
    let stored = app.audit_entries_of("archive.stored").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["refs"]["archive"], id.as_str());
    let kept = archive_dir.join(&id);
    assert!(kept.join(MANIFEST).is_file());

    // The listing: the supervisor in jurisdiction sees it, the one outside does not, a
    // center may not list.
    let listed = app.get_json("/api/v1/archives", Some(&fx.supervisor)).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["subject_id"], committee.session_id.as_str());
    let expires = listed[0]["expires_at"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get_json("/api/v1/archives", Some(&outsider)).await,
        json!([])
    );
    assert_problem(
        app.get("/api/v1/archives", Some(&fx.center)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let after_last = app
        .get_json(&format!("/api/v1/archives?before={id}"), Some(&fx.admin))
        .await;
    assert_eq!(after_last, json!([]));

    // Deleting before the retention period ends is refused and changes nothing; a
    // supervisor may never delete.
    let delete = |bearer: &str| {
        app.request(
            reqwest::Method::DELETE,
            &format!("/api/v1/archives/{id}"),
            Some(bearer),
        )
        .send()
    };
    assert_problem(delete(&fx.supervisor).await.unwrap(), StatusCode::FORBIDDEN).await;
    let early = assert_problem(delete(&fx.admin).await.unwrap(), StatusCode::CONFLICT).await;
    assert!(
        early["detail"].as_str().unwrap().contains(&expires),
        "{early}"
    );
    assert!(kept.join(MANIFEST).is_file());
    assert!(app.audit_entries_of("archive.deleted").await.is_empty());

    // Fifteen years on (and a day), an admin deletes it: audited, its files gone, and it is
    // neither listed nor made again.
    app.clock
        .advance(Duration::from_secs((15 * 366 + 1) * 24 * 3600));
    let (_, admin) = app.account_with_token("archivist", Role::Admin).await;
    let response = delete(&admin).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let deleted = app.audit_entries_of("archive.deleted").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["refs"]["archive"], id.as_str());
    assert_eq!(deleted[0]["actor"]["role"], "admin");
    assert!(!kept.exists());
    assert_eq!(
        app.get_json("/api/v1/archives", Some(&admin)).await,
        json!([])
    );
    assert_problem(app.get(&path, Some(&admin)).await, StatusCode::GONE).await;
    assert_problem(delete(&admin).await.unwrap(), StatusCode::GONE).await;
}

#[tokio::test]
async fn an_on_site_evaluations_draw_is_archived_with_its_replacements_and_verifies() {
    let fx = crate::draws::DrawFixture::new(&crate::draws::experts(12, "A0301")).await;
    let app = &fx.app;
    let body = fx.request(json!([{ "specialty_prefixes": ["A03"], "count": 2, "reserves": 2 }]));
    let id = fx.drawn(&body).await["draw_id"]
        .as_str()
        .unwrap()
        .to_owned();
    fx.confirm_all(&id).await;
    let view = fx.view(&id).await;
    let seated = view["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state"] == "confirmed")
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    fx.vacate(&id, &seated, "withdrew").await;

    // The command line builds and keeps it (an operator's act in the log); the API answers
    // the kept package.
    let out = tempfile::tempdir().unwrap();
    let exported = out.path().join("package");
    let output = run_cli(
        app,
        &[
            "archive",
            "export",
            &id,
            "--out",
            exported.to_str().unwrap(),
        ],
        None,
    );
    assert!(output.status.success(), "{}", stdout_of(&output));
    let stored = app.audit_entries_of("archive.stored").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["actor"], json!({"system": "command-line"}));
    assert_eq!(stored[0]["refs"]["draw"], id.as_str());
    // A directory that is not empty is refused and left as it was.
    let output = run_cli(
        app,
        &[
            "archive",
            "export",
            &id,
            "--out",
            exported.to_str().unwrap(),
        ],
        None,
    );
    assert!(!output.status.success());
    assert!(
        stdout_of(&output).contains("is not empty"),
        "{}",
        stdout_of(&output)
    );

    let response = app
        .get(&format!("/api/v1/archives/{id}"), Some(&fx.supervisor))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let package = Package::from_zip(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(Package::read_from(&exported).unwrap(), package);
    assert_eq!(app.audit_entries_of("archive.stored").await.len(), 1);
    let manifest: Value = serde_json::from_slice(package.file(MANIFEST).unwrap()).unwrap();
    assert_eq!(manifest["subject"], json!({"kind": "draw", "draw_id": id}));
    let kinds: Vec<&str> = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"draw.intent"), "{kinds:?}");
    assert!(kinds.contains(&"draw.replacement"), "{kinds:?}");
    assert!(package.file(REPORT_JSON).is_none());

    let dir = tempfile::tempdir().unwrap();
    package.write_to(dir.path()).unwrap();
    let vkey_file = dir.path().with_extension("vkey");
    std::fs::write(
        &vkey_file,
        app.get_text("/api/v1/audit/key", Some(&fx.supervisor))
            .await,
    )
    .unwrap();
    let verify = |dir: &Path| {
        run_cli(
            app,
            &[
                "archive",
                "verify",
                dir.to_str().unwrap(),
                "--key",
                vkey_file.to_str().unwrap(),
            ],
            None,
        )
    };
    let output = verify(dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout_of(&output));
    assert!(
        stdout_of(&output).starts_with(&format!("OK archive {}: draw {id},", package.id())),
        "{}",
        stdout_of(&output)
    );
    let (code, printed) = verify_with_python(app, dir.path(), &vkey_file, &[]);
    assert_eq!(code, Some(0), "{printed}");
    assert!(
        printed.starts_with(&format!("OK archive {}: draw {id},", package.id())),
        "{printed}"
    );

    // The replacement's entry removed from the package (and its manifest fixed up) is caught
    // by the draw record's own chain of entries… and the record changed is named as a file.
    let copy = tempfile::tempdir().unwrap();
    package.write_to(copy.path()).unwrap();
    let record_path = package
        .files()
        .keys()
        .find(|name| name.starts_with("draws/"))
        .unwrap()
        .clone();
    let mut record = read_json(copy.path(), &record_path);
    record["entries"].as_array_mut().unwrap().pop();
    std::fs::write(
        copy.path().join(&record_path),
        serde_json::to_vec(&record).unwrap(),
    )
    .unwrap();
    fix_manifest(copy.path());
    let output = verify(copy.path());
    assert_eq!(output.status.code(), Some(1), "{}", stdout_of(&output));
    assert!(
        stdout_of(&output).starts_with(&format!("{record_path}: ")),
        "{}",
        stdout_of(&output)
    );
    let (code, printed) = verify_with_python(app, copy.path(), &vkey_file, &[]);
    assert_eq!(code, Some(1), "{printed}");
    assert!(
        printed.starts_with(&format!("FAIL {record_path}: ")),
        "{printed}"
    );

    // A draw not yet drawn has nothing to archive yet.
    let created = fx
        .create_ok(
            &fx.request(json!([{ "specialty_prefixes": ["A03"], "count": 2, "reserves": 0 }])),
        )
        .await;
    let waiting = created["draw_id"].as_str().unwrap();
    let problem = assert_problem(
        app.get(&format!("/api/v1/archives/{waiting}"), Some(&fx.supervisor))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("no result yet"),
        "{problem}"
    );
}

/// Issue 19's "Done when": one distributed session whose five members sign every way there
/// is — three with WebCrypto keys made in the console (two Chromium, one Firefox), one with
/// the real `sealdraw client` and a key file, one with a certificate from a test CA (a revoked
/// certificate refused at enrolment first) — closes, and its archive verifies with both
/// verifiers given the CA's root, fails each tamper with the right message, and keeps the
/// certificate's signature valid when the CA revokes the certificate after the signature.
#[tokio::test]
async fn one_evaluation_signed_in_browsers_by_the_client_and_with_a_certificate_verifies_archived()
{
    use crate::browser::Browser;
    use crate::console_signing::WebMember;
    use crate::member_certificates::TestCa;

    let ca_dir = tempfile::tempdir().unwrap();
    let mut ca = TestCa::new(ca_dir.path(), "测试数字证书认证中心");
    let trusted = ca.trusted();
    let committee = Committee::with(Mode::Distributed, 5, 1, move |settings| {
        settings.signing_keys.trusted_cas = vec![trusted];
    })
    .await;
    let app = &committee.fx.app;
    let (mut clients, draft) = to_signing(&committee).await;
    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    let bearer = |seat: u32| clients.experts[&seat].1.bearer.clone();

    // (a) Three members make keys on their devices in the console: a phone, a Chromium
    // laptop and a Firefox laptop.
    let mut browsers = Vec::new();
    for (n, browser) in [
        Browser::phone(app).await,
        Browser::start(app).await,
        Browser::firefox(app).await,
    ]
    .into_iter()
    .enumerate()
    {
        let member = WebMember::log_in(browser, &committee, &bearer(seats[n]), seats[n]).await;
        let key = member.make_key(&committee, &format!("设备 {n}")).await;
        assert_eq!(key["status"], "active");
        browsers.push(member);
    }

    // (b) One signs with `sealdraw client` and a key file it made.
    let key_dir = tempfile::tempdir().unwrap();
    let passphrase = crate::member_signatures::KEY_FILE_PASSPHRASE;
    let (key_file, _, printed) =
        crate::member_signatures::key_file_made_by_the_client(app, key_dir.path());
    let enrolled = app
        .post(
            "/api/v1/me/signing-keys",
            Some(&bearer(seats[3])),
            &json!({"kind": "key_file", "public_key": printed["public_key"], "label": "sealdraw client"}),
        )
        .await;
    assert_eq!(enrolled.status(), StatusCode::CREATED);
    let file_key_id = enrolled.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // (c) One enrols a certificate from the CA, after a revoked one is refused.
    ca.revoke(99);
    let enrol_certificate = |chain: String| {
        let bearer = bearer(seats[4]);
        async move {
            app.post(
                "/api/v1/me/signing-keys",
                Some(&bearer),
                &json!({"kind": "certificate", "certificate_chain": chain, "label": "CA 证书"}),
            )
            .await
        }
    };
    let revoked = ca.issue_for_signing(99);
    let problem = assert_problem(
        enrol_certificate(revoked.chain_pem.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("has been revoked"),
        "{problem}"
    );
    let issued = ca.issue_for_signing(7);
    let response = enrol_certificate(issued.chain_pem.clone()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let certificate_key_id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Everyone signs: in the browsers, with the client, with the certificate's key.
    for member in &browsers {
        member.open_room(&committee.session_id).await;
        member.agree().await;
    }
    let output = crate::member_signatures::client_signing(
        &committee,
        &bearer(seats[3]),
        &format!("sign {draft}\n"),
        key_file.to_str().unwrap(),
        &file_key_id,
        &[("SEALDRAW_SIGNING_KEY_PASSPHRASE", passphrase)],
    )
    .await;
    assert!(output.status.success(), "{output:?}");
    let client = &mut clients.experts.get_mut(&seats[4]).unwrap().0;
    let request = issued.sign(client, &draft, &certificate_key_id);
    ok(client, request).await;
    advance(&mut clients.host, Phase::Closed).await;

    // Were the CA to date the revocation before the signature (a backdated revocation), the
    // package could not verify: the server says so and keeps nothing.
    ca.revoke(7);
    let refused = committee
        .fx
        .app
        .get(
            &format!("/api/v1/archives/{}", committee.session_id),
            Some(&committee.fx.supervisor),
        )
        .await;
    let problem = assert_problem(refused, StatusCode::CONFLICT).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("the package would not verify, so nothing was kept: signatures/seat-")
            && detail.contains("certificate_chain")
            && detail.contains("was revoked at"),
        "{problem}"
    );
    assert!(
        committee
            .fx
            .app
            .audit_entries_of("archive.stored")
            .await
            .is_empty()
    );

    // The CA revokes the certificate after the signature (its CRL dates the revocation next
    // year): the server's CRL now lists it, and the archive must still hold the signature.
    ca.revoke_later(7);
    drop(browsers);
    let archived = fetched(committee, vec![ca.root.clone()]).await;
    archived.assert_verifies_with_signatures(5);
    let kinds: Vec<String> = (1..=5)
        .map(|seat| {
            read_json(archived.dir.path(), &format!("signatures/seat-{seat}.json"))["key_kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for kind in ["webcrypto", "key_file", "certificate"] {
        assert!(kinds.iter().any(|k| k == kind), "{kinds:?}");
    }
    let certificate_seat = seats[4];
    let certificate_file = format!("signatures/seat-{certificate_seat}.json");
    let signature = read_json(archived.dir.path(), &certificate_file);
    assert_eq!(signature["certificate_authority"], "测试数字证书认证中心");
    assert_eq!(signature["certificate_chain"].as_array().unwrap().len(), 1);
    let crls: Vec<String> = archived
        .package
        .files()
        .keys()
        .filter(|name| name.starts_with("crls/"))
        .cloned()
        .collect();
    assert_eq!(crls.len(), 1, "{crls:?}");

    // Without a CA root to anchor it, the certificate's signature does not verify.
    let unanchored = Archived {
        cas: Vec::new(),
        ..archived
    };
    let printed = unanchored.assert_fails(
        unanchored.dir.path(),
        &certificate_file,
        "certificate_chain",
    );
    assert!(printed.contains("--ca"), "{printed}");
    let archived = Archived {
        cas: vec![ca.root.clone()],
        ..unanchored
    };

    assert_tampers_fail(&archived);

    // The member's certificate swapped for another the CA issued.
    let copy = archived.copy();
    let mut tampered = read_json(copy.path(), &certificate_file);
    let other = sealdraw::crypto::archived_certificate::certificates_from_file(
        revoked.chain_pem.as_bytes(),
    )
    .unwrap();
    {
        use base64::Engine as _;
        tampered["certificate_chain"][0] =
            json!(base64::engine::general_purpose::STANDARD.encode(&other[0]));
    }
    write_canonical(copy.path(), &certificate_file, &tampered);
    fix_manifest(copy.path());
    let printed = archived.assert_fails(copy.path(), &certificate_file, "certificate_chain[0]");
    assert!(printed.contains("another key"), "{printed}");

    // The CRL replaced by the CA's own later one dating the revocation before the signature.
    ca.revoke(7);
    let copy = archived.copy();
    for name in &crls {
        std::fs::remove_file(copy.path().join(name)).unwrap();
    }
    let crl =
        sealdraw::crypto::archived_certificate::crls_from_file(&std::fs::read(&ca.crl).unwrap())
            .unwrap()
            .remove(0);
    std::fs::write(
        copy.path().join(sealdraw::archive::package::crl_path(&crl)),
        &crl,
    )
    .unwrap();
    fix_manifest(copy.path());
    let printed = archived.assert_fails(copy.path(), &certificate_file, "certificate_chain[0]");
    assert!(printed.contains("was revoked at"), "{printed}");
}

/// A member's certificate from a CA with an SM2 root (the national suite's CAs sign with SM2
/// over SM3): the package carries its chain and the CA's CRL, and both verifiers check the
/// SM2 signatures on them as of the signing time (a revocation after it is the P-256 test's:
/// OpenSSL dates revocations by the wall clock, the test server's clock is its own). The
/// member's key is SM2 under the national suite, P-256 otherwise.
#[tokio::test]
async fn a_certificate_of_an_sm2_ca_is_archived_and_verified_as_of_its_signing() {
    use crate::member_sm2::{Sm2Ca, Usage};

    let ca_dir = tempfile::tempdir().unwrap();
    let ca = Sm2Ca::new(ca_dir.path(), "国密测试认证中心");
    let trusted = ca.trusted();
    let committee = Committee::with(Mode::Distributed, 5, 1, move |settings| {
        settings.signing_keys.trusted_cas = vec![trusted];
    })
    .await;
    let app = &committee.fx.app;
    let (mut clients, draft) = to_signing(&committee).await;
    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    let sm2_key = suite() == sealdraw::crypto::Suite::Gm2024;
    let issued = ca.issue("member", sm2_key, Usage::Signing, None);
    let bearer = clients.experts[&seats[0]].1.bearer.clone();
    let response = app
        .post(
            "/api/v1/me/signing-keys",
            Some(&bearer),
            &json!({"kind": "certificate", "certificate_chain": issued.chain_pem, "label": "国密证书"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let key_id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = &mut clients.experts.get_mut(&seats[0]).unwrap().0;
    let statement = sealdraw::session::protocol::signed_decision(
        &client.session_id,
        client.seat.unwrap(),
        &draft,
        true,
        None,
    );
    let request = sealdraw::session::protocol::Request::Sign {
        report_sha256: draft.clone(),
        agree: true,
        reasons: None,
        signature: Some(sealdraw::session::protocol::MemberSignature {
            key_id,
            value: {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(issued.key.sign(&statement))
            },
        }),
    };
    ok(client, request).await;
    all_agree(
        clients
            .experts
            .iter_mut()
            .filter(|(seat, _)| **seat != seats[0])
            .map(|(_, (client, _))| client),
        &draft,
    )
    .await;
    advance(&mut clients.host, Phase::Closed).await;

    let archived = fetched(committee, vec![ca.root.clone()]).await;
    let (code, printed) = archived.verify(archived.dir.path());
    assert_eq!(code, Some(0), "{printed}");
    let file = format!("signatures/seat-{}.json", seats[0]);
    let signature = read_json(archived.dir.path(), &file);
    assert_eq!(signature["key_kind"], "certificate");
    assert_eq!(
        signature["algorithm"],
        if sm2_key {
            "sm2-sm3"
        } else {
            "ecdsa-p256-sha256"
        }
    );
    assert_eq!(signature["certificate_authority"], "国密测试认证中心");

    // The CA's CRL re-signed by another SM2 key under the same name does not count.
    let impostor_dir = tempfile::tempdir().unwrap();
    let impostor = Sm2Ca::new(impostor_dir.path(), "国密测试认证中心");
    let copy = archived.copy();
    let crl = archived
        .package
        .files()
        .keys()
        .find(|name| name.starts_with("crls/"))
        .unwrap()
        .clone();
    std::fs::remove_file(copy.path().join(&crl)).unwrap();
    let forged = sealdraw::crypto::archived_certificate::crls_from_file(
        &std::fs::read(&impostor.trusted().crl).unwrap(),
    )
    .unwrap()
    .remove(0);
    let forged_path = sealdraw::archive::package::crl_path(&forged);
    std::fs::write(copy.path().join(&forged_path), &forged).unwrap();
    fix_manifest(copy.path());
    archived.assert_fails(copy.path(), &forged_path, "signature");
}
