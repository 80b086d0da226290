//! Members sign the report in the console with WebCrypto keys (issue 19 §1): three members,
//! each in a browser of their own (two headless Chromium, one headless Firefox), make a
//! non-extractable key on their device, which the server enrols; one revokes theirs as a lost
//! device, is refused when signing with it, makes another that an admin approves in the
//! console, and signs. Every stored signature verifies with the member's key and names it, and
//! the room shows each seat's decision and what stands behind it. The bytes the console signs
//! are held to the server's own `signed_decision` by the vectors the console's Node tests use.

use sealdraw::auth::Role;
use sealdraw::crypto::member_key::MemberPublicKey;
use sealdraw::session::protocol::{Request, signed_decision};
use sealdraw::session::rules::Phase;
use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::TestAccount;
use crate::sessions::{Committee, Mode, advance, ok};

/// The console's Node tests (integration/console_js/signed-decision.test.mjs) build these
/// vectors' bytes in JavaScript; here the server's function must build the very same ones.
#[test]
fn the_console_signs_the_bytes_the_server_builds_for_awkward_reasons() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/integration/console_js/vectors/signed-decisions.json"
    );
    let vectors: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(vectors.len() >= 8);
    for vector in &vectors {
        let bytes = signed_decision(
            vector["session"].as_str().unwrap(),
            vector["seat"].as_u64().unwrap() as u32,
            vector["report_sha256"].as_str().unwrap(),
            vector["agree"].as_bool().unwrap(),
            vector["reasons"].as_str(),
        );
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            vector["signed"].as_str().unwrap(),
            "{}",
            vector["case"]
        );
    }
}

/// A member of the committee as a browser sees them.
pub(crate) struct WebMember {
    browser: Browser,
    bearer: String,
    account_id: String,
    seat: u32,
}

impl WebMember {
    /// Logs `bearer`'s account in through the console's form.
    pub(crate) async fn log_in(
        browser: Browser,
        committee: &Committee,
        bearer: &str,
        seat: u32,
    ) -> Self {
        let me = committee.fx.app.get_json("/api/v1/me", Some(bearer)).await;
        let account = TestAccount {
            username: me["username"].as_str().unwrap().to_owned(),
            role: Role::Expert,
            totp_secret: None,
        };
        browser.login(&committee.fx.app, &account).await;
        WebMember {
            browser,
            bearer: bearer.to_owned(),
            account_id: me["account_id"].as_str().unwrap().to_owned(),
            seat,
        }
    }

    /// Makes a key on the device in the console; the server's view of it.
    pub(crate) async fn make_key(&self, committee: &Committee, label: &str) -> Value {
        self.browser.open("/console/#/signing/keys").await;
        self.browser
            .wait_for("#device-key[data-state='none']")
            .await;
        self.browser.fill("#signing-key-label", label).await;
        self.browser.click("#create-signing-key").await;
        self.browser
            .wait_for("#device-key:not([data-state='none'])")
            .await;
        let keys = self.keys(committee).await;
        let key = keys
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["label"] == label)
            .unwrap_or_else(|| panic!("{label} is enrolled: {keys}"))
            .clone();
        assert_eq!(key["kind"], "webcrypto");
        assert_eq!(
            self.browser.text("#device-key-id").await,
            key["id"].as_str().unwrap()
        );
        assert_eq!(
            self.browser.text("#device-key-fingerprint").await,
            key["fingerprint"].as_str().unwrap(),
            "the fingerprint the console shows is the server's"
        );
        key
    }

    async fn keys(&self, committee: &Committee) -> Value {
        committee
            .fx
            .app
            .get_json("/api/v1/me/signing-keys", Some(&self.bearer))
            .await
    }

    /// What `exportKey` of the device's private key does in the page.
    async fn export_private_key(&self) -> String {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             const open = indexedDB.open('sealdraw-signing-key-{}', 1);
             open.onerror = () => done('no database');
             open.onsuccess = () => {{
               const get = open.result.transaction('keys').objectStore('keys').get('device');
               get.onsuccess = async () => {{
                 const key = get.result.privateKey;
                 try {{
                   await crypto.subtle.exportKey('pkcs8', key);
                   done('exported');
                 }} catch (error) {{
                   done(`refused ${{error.name}} extractable=${{key.extractable}}`);
                 }}
               }};
             }};",
            self.account_id
        );
        self.browser
            .webdriver()
            .execute_async(&script, Vec::new())
            .await
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub(crate) async fn open_room(&self, session_id: &str) {
        self.browser
            .open(&format!("/console/#/session/room?id={session_id}"))
            .await;
        self.browser
            .wait_for("#report-verified[data-verified='true']")
            .await;
    }

    pub(crate) async fn agree(&self) {
        self.browser.click("#sign-report").await;
        self.browser.click("#confirm-yes").await;
        self.browser.wait_for_gone("#confirm-dialog").await;
    }
}

/// A dissent whose reasons the console must sign exactly as the server reads them: quotes, a
/// backslash, Chinese and an emoji.
const DISSENT: &str = "投标人B的\"施工组织设计\"缺少安全措施 \\ 第3.2条；😀 see C:\\bids";

#[tokio::test]
async fn three_members_sign_the_report_with_webcrypto_keys_in_chromium_and_firefox() {
    let committee = Committee::new(Mode::Distributed, 5, 0).await;
    let app = &committee.fx.app;
    let mut clients = committee.everyone().await;
    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    let bearer_of = |seat: u32| clients.experts[&seat].1.bearer.clone();
    let (seat_a, seat_b, seat_c, seat_d, seat_e) =
        (seats[0], seats[1], seats[2], seats[3], seats[4]);

    // Three members in three browsers: A on a phone (the expert's screens are checked at
    // 390×844), B in Chromium, C in Firefox.
    let a = WebMember::log_in(
        Browser::phone(app).await,
        &committee,
        &bearer_of(seat_a),
        seat_a,
    )
    .await;
    let b = WebMember::log_in(
        Browser::start(app).await,
        &committee,
        &bearer_of(seat_b),
        seat_b,
    )
    .await;
    let c = WebMember::log_in(
        Browser::firefox(app).await,
        &committee,
        &bearer_of(seat_c),
        seat_c,
    )
    .await;

    // Each makes a key on their device; a first key is in force at once.
    let key_a = a.make_key(&committee, "手机").await;
    assert_eq!(key_a["status"], "active");
    a.browser.wait_for("#device-key[data-state='active']").await;
    a.browser.screenshot("signing-keys").await;
    let first_b = b.make_key(&committee, "office laptop").await;
    let key_c = c.make_key(&committee, "firefox laptop").await;
    assert_eq!(key_c["status"], "active");
    let enrolled = app.audit_entries_of("signing_key.enrolled").await;
    assert_eq!(enrolled.len(), 3);

    // The private half cannot leave the browser, in either engine.
    for member in [&a, &c] {
        let export = member.export_private_key().await;
        assert!(
            export.starts_with("refused") && export.ends_with("extractable=false"),
            "{export}"
        );
    }
    // The key is kept on the device: after a reload the page shows the same key and offers no
    // new one.
    for member in [&a, &c] {
        member.browser.open("/console/#/signing/keys").await;
        member
            .browser
            .wait_for("#device-key[data-state='active']")
            .await;
        // Marked first, so that only the reloaded page can answer the wait below.
        member
            .browser
            .execute("document.body.dataset.before = 'reload'; location.reload();")
            .await;
        member
            .browser
            .wait_for("body:not([data-before]) #device-key[data-state='active']")
            .await;
        assert!(
            member
                .browser
                .execute("return document.querySelector('#create-signing-key') === null;")
                .await
                .as_bool()
                .unwrap()
        );
    }
    assert_eq!(
        a.browser.text("#device-key-id").await,
        key_a["id"].as_str().unwrap()
    );
    assert_eq!(
        c.browser.text("#device-key-id").await,
        key_c["id"].as_str().unwrap()
    );

    // B loses the laptop and revokes its key from the list of the account's keys.
    let first_b_id = first_b["id"].as_str().unwrap().to_owned();
    b.browser.open("/console/#/signing/keys").await;
    b.browser
        .click(&format!("#revoke-signing-key-{first_b_id}"))
        .await;
    b.browser.click("#confirm-yes").await;
    b.browser
        .wait_for("#device-key[data-state='revoked']")
        .await;
    b.browser
        .wait_for(&format!("#signing-key-{first_b_id}[data-status='revoked']"))
        .await;
    assert_eq!(app.audit_entries_of("signing_key.revoked").await.len(), 1);

    // The session up to signing; the members' other acts go through session clients.
    clients.open_evaluation().await;
    clients.score_all().await;
    advance(&mut clients.host, Phase::Summary).await;
    let draft = advance(&mut clients.host, Phase::Signing).await["report_sha256"]
        .as_str()
        .unwrap()
        .to_owned();

    // A agrees, signed with the phone's key.
    a.open_room(&committee.session_id).await;
    a.browser
        .wait_for("#signing-key-note[data-state='active']")
        .await;
    a.browser
        .execute("document.getElementById('signing-key-note').scrollIntoView()")
        .await;
    a.browser.screenshot("session-signing-with-key").await;
    a.agree().await;
    a.browser
        .wait_for("#my-signature[data-signature='agree']")
        .await;

    // B still holds the revoked key on the device: the server refuses its signature, and the
    // console says why and where to go.
    b.open_room(&committee.session_id).await;
    b.browser
        .wait_for("#signing-key-note[data-state='revoked']")
        .await;
    b.agree().await;
    let refusal = b
        .browser
        .wait_for_text("#actions-region .error", "已被吊销")
        .await;
    assert!(refusal.contains("签名密钥"), "{refusal}");
    assert!(
        b.browser
            .execute("return document.querySelector('#my-signature') === null;")
            .await
            .as_bool()
            .unwrap(),
        "nothing is signed"
    );
    // B removes the revoked key and makes a new one: a further key waits for an admin.
    b.browser.open("/console/#/signing/keys").await;
    b.browser.click("#forget-device-key").await;
    let second_b = b.make_key(&committee, "new laptop").await;
    assert_eq!(second_b["status"], "pending");
    b.browser
        .wait_for("#device-key[data-state='pending']")
        .await;
    let second_b_id = second_b["id"].as_str().unwrap().to_owned();

    // An admin approves it in their console.
    let admin_account = app.create_account("keys-admin", Role::Admin).await;
    let admin = Browser::start(app).await;
    admin.login(app, &admin_account).await;
    admin.open("/console/#/signing/review").await;
    admin
        .wait_for(&format!("#review-key-{second_b_id}[data-status='pending']"))
        .await;
    admin
        .click(&format!("#approve-signing-key-{second_b_id}"))
        .await;
    admin
        .wait_for(&format!("#review-key-{second_b_id}[data-status='active']"))
        .await;
    assert!(
        admin
            .execute(&format!(
                "return document.querySelector('#review-key-{first_b_id}') === null;"
            ))
            .await
            .as_bool()
            .unwrap(),
        "a revoked key is not listed for review"
    );
    assert_eq!(app.audit_entries_of("signing_key.approved").await.len(), 1);
    // The list is the admins': a member asking for it is refused.
    let listed = app.get("/api/v1/signing-keys", Some(&b.bearer)).await;
    assert_eq!(listed.status(), reqwest::StatusCode::FORBIDDEN);
    let listed = app
        .get_json("/api/v1/signing-keys", Some(&committee.fx.admin))
        .await;
    let listed_b = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == second_b_id.as_str())
        .unwrap();
    assert_eq!(listed_b["account_id"], b.account_id.as_str());
    assert_eq!(listed_b["status"], "active");

    // B signs with the approved key.
    b.open_room(&committee.session_id).await;
    b.browser
        .wait_for("#signing-key-note[data-state='active']")
        .await;
    b.agree().await;
    b.browser
        .wait_for("#my-signature[data-signature='agree']")
        .await;

    // C dissents, in Firefox, with reasons holding quotes, a backslash, Chinese and an emoji.
    c.open_room(&committee.session_id).await;
    c.browser
        .wait_for("#signing-key-note[data-state='active']")
        .await;
    c.browser.fill("#dissent-reasons", DISSENT).await;
    c.browser.click("#dissent-submit").await;
    c.browser.click("#confirm-yes").await;
    c.browser
        .wait_for("#my-signature[data-signature='dissent']")
        .await;

    // D agrees without a signature (sealdraw client, no key); E has not decided yet.
    let d = &mut clients.experts.get_mut(&seat_d).unwrap().0;
    ok(
        d,
        Request::Sign {
            report_sha256: draft.clone(),
            agree: true,
            reasons: None,
            signature: None,
        },
    )
    .await;

    // The server kept each browser's signature under the key that made it, and each verifies
    // with that key over the decision.
    let mut tx = app.state.store.read().await.unwrap();
    let stored = tx.member_signatures(&committee.session_id).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(stored.len(), 3, "{stored:?}");
    for (member, key, agree, reasons) in [
        (&a, &key_a, true, None),
        (&b, &second_b, true, None),
        (&c, &key_c, false, Some(DISSENT)),
    ] {
        let row = stored
            .iter()
            .find(|s| s.seat as u32 == member.seat)
            .unwrap_or_else(|| panic!("seat {} signed", member.seat));
        assert_eq!(row.key_id, key["id"].as_str().unwrap());
        assert_eq!(row.key_fingerprint, key["fingerprint"].as_str().unwrap());
        let public_key = MemberPublicKey::parse(key["public_key"].as_str().unwrap()).unwrap();
        let statement = signed_decision(&committee.session_id, member.seat, &draft, agree, reasons);
        assert!(
            public_key.verify(&statement, &row.signature),
            "seat {}'s signature verifies",
            member.seat
        );
    }
    let entries = app.audit_entries_of("session.signature").await;
    assert_eq!(entries.len(), 4);
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["refs"]["signing_key"].is_string())
            .count(),
        3
    );

    // The room shows every seat's decision and what stands behind it.
    let row = |seat: u32| format!("#signature-status-{seat}");
    a.browser
        .wait_for(&format!(
            "{}[data-decision='agree'][data-signed='false']",
            row(seat_d)
        ))
        .await;
    for (seat, key, decision) in [
        (seat_a, &key_a, "agree"),
        (seat_b, &second_b, "agree"),
        (seat_c, &key_c, "dissent"),
    ] {
        a.browser
            .wait_for(&format!(
                "{}[data-decision='{decision}'][data-signed='true'][data-fingerprint='{}']",
                row(seat),
                key["fingerprint"].as_str().unwrap()
            ))
            .await;
    }
    a.browser
        .wait_for(&format!("{}[data-decision='undecided']", row(seat_e)))
        .await;
    let dissent = a.browser.text(&row(seat_c)).await;
    assert!(
        dissent.contains("😀") && dissent.contains("\"施工组织设计\""),
        "{dissent}"
    );
    let signed_a = a.browser.text(&row(seat_a)).await;
    assert!(
        signed_a.contains("已验证签名")
            && signed_a.contains("浏览器密钥")
            && signed_a.contains(&key_a["fingerprint"].as_str().unwrap()[..16]),
        "{signed_a}"
    );
    a.browser
        .execute("document.getElementById('signature-status').scrollIntoView()")
        .await;
    a.browser.screenshot("session-signature-status").await;
    // The session's supervisor reads the same, beside the report (the admin's browser, now
    // with the supervisor's login).
    admin
        .execute(&format!(
            "sessionStorage.setItem('sealdraw.token', '{}'); location.hash = '#/session/room?id={}'; location.reload();",
            committee.fx.supervisor, committee.session_id
        ))
        .await;
    admin
        .wait_for("#report #report-document #report-ranking")
        .await;
    admin
        .wait_for(&format!(
            "{}[data-decision='dissent'][data-signed='true'][data-fingerprint='{}']",
            row(seat_c),
            key_c["fingerprint"].as_str().unwrap()
        ))
        .await;
    admin
        .wait_for(&format!("{}[data-decision='undecided']", row(seat_e)))
        .await;

    // E agrees and the host closes: the members read the report and its signatures.
    let e = &mut clients.experts.get_mut(&seat_e).unwrap().0;
    ok(
        e,
        Request::Sign {
            report_sha256: draft.clone(),
            agree: true,
            reasons: None,
            signature: None,
        },
    )
    .await;
    advance(&mut clients.host, Phase::Closed).await;
    c.browser.wait_for("#phase[data-phase='closed']").await;
    c.browser
        .wait_for("#report #report-document #report-ranking")
        .await;
    c.browser
        .wait_for(&format!(
            "{}[data-decision='agree'][data-signed='false']",
            row(seat_e)
        ))
        .await;
    let final_report = app
        .get_json(
            &format!("/api/v1/sessions/{}/report", committee.session_id),
            Some(&committee.fx.supervisor),
        )
        .await;
    assert_eq!(final_report["final"], true);

    // A member's language is the console's: no untranslated key reached the page.
    let text = a.browser.text("body").await;
    assert!(!text.contains("signing."), "{text}");
    for browser in [&a.browser, &b.browser, &admin] {
        let log = browser.console_log().await;
        assert!(
            !log.iter().any(|line| line.starts_with("SEVERE")
                && !line.contains("ERR_")
                && !line.contains("/ws?")),
            "{log:#?}"
        );
    }
}

/// Where the server requires members' signatures, a member whose device has no key is told
/// what to do on the signing screen, and the console sends nothing the server must refuse.
#[tokio::test]
async fn without_a_key_on_the_device_the_console_says_what_to_do_where_signatures_are_required() {
    let committee = Committee::with(Mode::Distributed, 5, 0, |settings| {
        settings.session.require_member_signatures = true;
    })
    .await;
    let app = &committee.fx.app;
    let mut clients = committee.everyone().await;
    let seat = *clients.experts.keys().next().unwrap();
    let bearer = clients.experts[&seat].1.bearer.clone();
    clients.open_evaluation().await;
    clients.score_all().await;
    advance(&mut clients.host, Phase::Summary).await;
    advance(&mut clients.host, Phase::Signing).await;

    let member = WebMember::log_in(Browser::phone(app).await, &committee, &bearer, seat).await;
    member.open_room(&committee.session_id).await;
    let note = member
        .browser
        .wait_for_text("#signing-key-note[data-state='none']", "签名密钥")
        .await;
    assert!(note.contains("要求"), "{note}");
    member.browser.wait_for("#sign-report[disabled]").await;
    member.browser.wait_for("#dissent-submit[disabled]").await;
    member
        .browser
        .execute("document.getElementById('signing-key-note').scrollIntoView()")
        .await;
    member
        .browser
        .screenshot("session-signing-key-required")
        .await;
    // The way out: the keys page, where the device makes one.
    member.browser.click("#to-signing-keys").await;
    member
        .browser
        .wait_for("#device-key[data-state='none'] #create-signing-key")
        .await;
    let view = committee.view(&bearer).await;
    assert_eq!(view["member_signatures_required"], true);
    assert!(
        view["seats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["signed"].is_null()),
        "nothing is signed: {view}"
    );
}
