//! Evaluation sessions over real websockets (TLS, tickets, the `sealdraw client` library): a
//! 5-member cross-site session over three venues and a 7-member distributed session from
//! check-in to a signed report, refused moves, mid-session replacement, hidden sheets, ticket
//! and Origin checks, and clients that misbehave.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use reqwest::StatusCode;
use sealdraw::auth::Role;
use sealdraw::session::protocol::{ReplyError, Request};
use sealdraw::session::rules::Phase;
use sealdraw::terminal::client::{ClientError, Endpoint, Event, SessionClient};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::draws::{DrawFixture, experts};
use crate::helpers::*;
use crate::invitations::{answer, expert_logins, invited};

const WAIT: Duration = Duration::from_secs(20);

/// A confirmed committee and its session: the experts' bearer tokens and join codes.
pub struct Committee {
    pub fx: DrawFixture,
    pub draw_id: String,
    pub session_id: String,
    pub members: Vec<Member>,
    /// Every expert with a login: (expert id, bearer token).
    pub logins: Vec<(String, String)>,
    /// Sub-venue operators' bearer tokens (cross-site).
    pub operators: Vec<String>,
    pub endpoint: Endpoint,
    /// The tenderer's representatives (also in `members`, after the experts), logged in
    /// with the logins the session's creation handed out.
    pub representatives: Vec<Member>,
    /// The answer to the session's creation (the view, and the representatives' logins).
    pub created: Value,
}

#[derive(Clone)]
pub struct Member {
    pub bearer: String,
    pub join_code: String,
}

pub enum Mode {
    CrossSite,
    Distributed,
}

pub fn bidders_and_criteria() -> Value {
    json!({
        "bidders": ["Bidder A", "Bidder B"],
        "criteria": [{"name": "technical", "max_points": 60}, {"name": "price", "max_points": 40}],
    })
}

impl Committee {
    pub async fn new(mode: Mode, size: usize, reserves: usize) -> Self {
        Self::with(mode, size, reserves, |_| {}).await
    }

    pub async fn with(
        mode: Mode,
        size: usize,
        reserves: usize,
        customise: impl FnOnce(&mut sealdraw::config::Settings) + 'static,
    ) -> Self {
        let options = TestOptions {
            customise: Box::new(customise),
            ..TestOptions::default()
        };
        Self::with_options(mode, size, reserves, options).await
    }

    pub async fn with_options(
        mode: Mode,
        size: usize,
        reserves: usize,
        options: TestOptions,
    ) -> Self {
        Self::with_subject(mode, size, reserves, options, bidders_and_criteria()).await
    }

    /// A committee whose session evaluates `subject`: its bidders, criteria and the other
    /// fields of the session request it sets (`method`, …).
    pub async fn with_subject(
        mode: Mode,
        size: usize,
        reserves: usize,
        options: TestOptions,
        subject: Value,
    ) -> Self {
        Self::with_representatives(mode, size, 0, reserves, options, subject).await
    }

    /// A committee of `size` drawn experts and `representatives` of the tenderer (招标投标法
    /// §37), planned in the draw's request and named when the session opens; each
    /// representative activates the login the session's creation handed out and logs in.
    pub async fn with_representatives(
        mode: Mode,
        size: usize,
        representatives: usize,
        reserves: usize,
        options: TestOptions,
        subject: Value,
    ) -> Self {
        let customise = options.customise;
        let options = TestOptions {
            customise: Box::new(move |settings| {
                // Every expert logs in from the test's one address.
                settings.auth.address_attempts_per_minute = 10_000;
                customise(settings);
            }),
            ..options
        };
        // The draw needs three times k + m eligible experts.
        let fx = DrawFixture::with_options(&experts(3 * (size + reserves), "A0301"), options).await;
        let logins = expert_logins(&fx).await;
        let mut body = fx.request(
            json!([{ "specialty_prefixes": ["A03"], "count": size, "reserves": reserves }]),
        );
        let mut session = subject;
        session["supervisors"] = json!(["supervisor"]);
        if representatives > 0 {
            body["committee"] = json!({"experts": size, "representatives": representatives});
            session["representatives"] = (1..=representatives)
                .map(|n| json!({"name": format!("招标人代表{n}"), "employer": "某医院", "title": "基建科科长"}))
                .collect();
        }
        let mut operators = Vec::new();
        match mode {
            Mode::CrossSite => {
                body["mode"] = json!("cross_site");
                body["project_region"] = json!("420500");
                for name in ["center-b", "center-c"] {
                    operators.push(fx.app.account_with_token(name, Role::Center).await.1);
                }
                session["venues"] = json!([
                    {"name": "襄阳市公共资源交易中心 主场", "seats": 2 + representatives},
                    {"name": "武汉 副场", "operator": "center-b", "seats": 2},
                    {"name": "宜昌 副场", "operator": "center-c", "seats": 2},
                ]);
            }
            Mode::Distributed => {
                body["mode"] = json!("distributed");
                body.as_object_mut().unwrap().remove("venue");
            }
        }
        let view = fx.drawn(&body).await;
        let draw_id = view["draw_id"].as_str().unwrap().to_owned();
        let mut members = Vec::new();
        for (bearer, invitation) in invited(&fx, &logins, "pending").await {
            let accepted: Value = answer(&fx, &bearer, &invitation, json!({"accept": true}))
                .await
                .json()
                .await
                .unwrap();
            members.push(Member {
                bearer,
                join_code: accepted["session_join_code"].as_str().unwrap().to_owned(),
            });
        }
        assert_eq!(members.len(), size);
        session["draw_id"] = json!(draw_id);
        let response = fx
            .app
            .post("/api/v1/sessions", Some(&fx.center), &session)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{}",
            response.text().await.unwrap()
        );
        let created: Value = response.json().await.unwrap();
        let session_id = created["session_id"].as_str().unwrap().to_owned();
        let mut named = Vec::new();
        for login in created["representatives"].as_array().into_iter().flatten() {
            named.push(Member {
                bearer: activate_representative(&fx.app, login).await,
                join_code: login["join_code"].as_str().unwrap().to_owned(),
            });
        }
        assert_eq!(named.len(), representatives);
        members.extend(named.iter().cloned());
        let endpoint = fx.app.session_endpoint();
        Self {
            fx,
            draw_id,
            session_id,
            members,
            logins,
            operators,
            endpoint,
            representatives: named,
            created,
        }
    }

    pub async fn ticket(&self, bearer: &str) -> reqwest::Response {
        self.fx
            .app
            .post(
                &format!("/api/v1/sessions/{}/ticket", self.session_id),
                Some(bearer),
                &json!({}),
            )
            .await
    }

    pub async fn connect_after(&self, bearer: &str, after: i64) -> SessionClient {
        self.connect_to(self.fx.app.port, bearer, after).await
    }

    /// Connects to the instance listening on `port` (tickets come from the first instance:
    /// they are in the shared database).
    pub async fn connect_to(&self, port: u16, bearer: &str, after: i64) -> SessionClient {
        let endpoint = Endpoint {
            address: format!("127.0.0.1:{port}"),
            ..self.endpoint.clone()
        };
        let response = self.ticket(bearer).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            response.text().await.unwrap()
        );
        let ticket: Value = response.json().await.unwrap();
        SessionClient::connect(
            &endpoint,
            ticket["path"].as_str().unwrap(),
            ticket["ticket"].as_str().unwrap(),
            after,
        )
        .await
        .unwrap()
    }

    pub async fn connect(&self, bearer: &str) -> SessionClient {
        self.connect_after(bearer, 0).await
    }

    pub async fn view(&self, bearer: &str) -> Value {
        let response = self
            .fx
            .app
            .get(
                &format!("/api/v1/sessions/{}", self.session_id),
                Some(bearer),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// The host, one client per member (by seat), and a supervisor, all connected.
    pub async fn everyone(&self) -> Clients {
        let host = self.connect(&self.fx.center).await;
        let supervisor = self.connect(&self.fx.supervisor).await;
        let mut experts = BTreeMap::new();
        for member in &self.members {
            let client = self.connect(&member.bearer).await;
            let seat = client.seat.unwrap();
            experts.insert(seat, (client, member.clone()));
        }
        Clients {
            host,
            supervisor,
            experts,
        }
    }
}

pub struct Clients {
    pub host: SessionClient,
    pub supervisor: SessionClient,
    pub experts: BTreeMap<u32, (SessionClient, Member)>,
}

/// A representative sets a password with the one-time code from the session's creation and
/// logs in: the bearer token.
pub async fn activate_representative(app: &TestApp, login: &Value) -> String {
    let username = login["username"].as_str().unwrap();
    let password = "the tenderer's own passphrase 7";
    let response = app
        .post(
            "/api/v1/auth/activate",
            None,
            &json!({"username": username, "code": login["activation_code"], "password": password}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app
        .post_login(&json!({"username": username, "password": password}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn ok(client: &mut SessionClient, request: Request) -> Value {
    match client.request(&request).await.unwrap() {
        Ok(result) => result,
        Err(error) => panic!("{request:?} refused: {error:?}"),
    }
}

pub async fn refused(client: &mut SessionClient, request: Request) -> ReplyError {
    match client.request(&request).await.unwrap() {
        Ok(result) => panic!("{request:?} accepted: {result}"),
        Err(error) => error,
    }
}

pub fn sheet(bidder: &str, technical: &str, price: &str) -> Request {
    Request::SubmitSheet {
        bidder: bidder.into(),
        scores: BTreeMap::from([
            ("technical".to_owned(), technical.parse().unwrap()),
            ("price".to_owned(), price.parse().unwrap()),
        ]),
        comment: None,
        evaluated_price: None,
    }
}

pub async fn advance(host: &mut SessionClient, to: Phase) -> Value {
    ok(host, Request::Advance { to }).await
}

/// A supervisor's warning to the room, which must be accepted.
pub async fn warn(supervisor: &mut SessionClient, text: impl Into<String>) -> Value {
    ok(supervisor, Request::Warn { text: text.into() }).await
}

/// Each of `signers` signs the report `report_sha256` and agrees with it.
pub async fn all_agree(signers: impl IntoIterator<Item = &mut SessionClient>, report_sha256: &str) {
    for signer in signers {
        let request = Request::Sign {
            report_sha256: report_sha256.to_owned(),
            agree: true,
            reasons: None,
            signature: None,
        };
        ok(signer, request).await;
    }
}

/// Waits until `watcher` is told that `seat` connected (or, with `connected` false, left).
pub async fn presence_change(
    watcher: &mut SessionClient,
    seat: impl Into<u64>,
    connected: bool,
) -> Result<Event, ClientError> {
    let seat = seat.into();
    watcher
        .wait_for(
            "presence",
            |d| d["seat"] == seat && d["connected"] == connected,
            WAIT,
        )
        .await
}

impl Clients {
    /// Every member checks in with their join code.
    pub async fn check_in_all(&mut self) {
        for (client, member) in self.experts.values_mut() {
            ok(
                client,
                Request::CheckIn {
                    join_code: member.join_code.clone().into(),
                },
            )
            .await;
        }
    }

    pub async fn declare_all(&mut self) {
        for (client, _) in self.experts.values_mut() {
            ok(client, Request::Declare { conflict: false }).await;
        }
    }

    pub async fn elect(&mut self, chair: u32) {
        for (client, _) in self.experts.values_mut() {
            ok(client, Request::Vote { seat: chair }).await;
        }
    }

    /// Every member scores both bidders (the seat number shifts the scores a little).
    pub async fn score_all(&mut self) {
        for (seat, (client, _)) in self.experts.iter_mut() {
            let technical = format!("{}.5", 40 + seat);
            ok(client, sheet("Bidder A", &technical, "30")).await;
            ok(client, sheet("Bidder B", "45", "35.25")).await;
        }
    }

    /// Check-in, declarations and a chair (the first seat), up to an open evaluation.
    pub async fn open_evaluation(&mut self) -> u32 {
        advance(&mut self.host, Phase::CheckIn).await;
        self.check_in_all().await;
        advance(&mut self.host, Phase::Recusal).await;
        self.declare_all().await;
        advance(&mut self.host, Phase::ChairElection).await;
        let chair = *self.experts.keys().next().unwrap();
        self.elect(chair).await;
        advance(&mut self.host, Phase::Evaluation).await;
        chair
    }

    pub fn all_clients(&mut self) -> Vec<&mut SessionClient> {
        let mut all: Vec<&mut SessionClient> = vec![&mut self.host, &mut self.supervisor];
        all.extend(self.experts.values_mut().map(|(c, _)| c));
        all
    }
}

/// Runs a whole session, asserting what each step shows; returns the closed report's digest.
/// From the recusal phase to a closed session: every member declares no conflict, the first
/// seat is elected chair, everyone scores, all agree to the report; the `closed` reply.
pub async fn finish_from_recusal(clients: &mut Clients) -> Value {
    clients.declare_all().await;
    advance(&mut clients.host, Phase::ChairElection).await;
    let chair = *clients.experts.keys().next().unwrap();
    clients.elect(chair).await;
    advance(&mut clients.host, Phase::Evaluation).await;
    clients.score_all().await;
    advance(&mut clients.host, Phase::Summary).await;
    let signing = advance(&mut clients.host, Phase::Signing).await;
    let draft = signing["report_sha256"].as_str().unwrap().to_owned();
    all_agree(clients.experts.values_mut().map(|(c, _)| c), &draft).await;
    advance(&mut clients.host, Phase::Closed).await
}

pub async fn run_to_signed_report(committee: &Committee, clients: &mut Clients) -> String {
    let host = &mut clients.host;
    advance(host, Phase::CheckIn).await;
    clients.check_in_all().await;
    advance(&mut clients.host, Phase::Recusal).await;
    clients.declare_all().await;
    advance(&mut clients.host, Phase::ChairElection).await;
    let chair = *clients.experts.keys().next().unwrap();
    clients.elect(chair).await;
    let elected = clients
        .host
        .wait_for("chair_elected", |_| true, WAIT)
        .await
        .unwrap();
    assert_eq!(elected.data["seat"], chair);
    // Elected by the vote that made a majority.
    assert_eq!(elected.data["votes"], committee.members.len() / 2 + 1);
    advance(&mut clients.host, Phase::Evaluation).await;
    clients.score_all().await;

    // A supervisor's warning reaches everyone; a clarification goes out once approved.
    warn(&mut clients.supervisor, "请勿讨论投标人背景").await;
    let (asker, (asking, _)) = clients.experts.iter_mut().next().unwrap();
    let asker = *asker;
    let number = ok(
        asking,
        Request::RequestClarification {
            bidder: "Bidder B".into(),
            question: "请澄清第 3.2 节的工期安排".into(),
        },
    )
    .await["number"]
        .as_u64()
        .unwrap() as u32;
    ok(
        &mut clients.supervisor,
        Request::DecideClarification {
            number,
            approve: true,
        },
    )
    .await;

    advance(&mut clients.host, Phase::Summary).await;
    advance(&mut clients.host, Phase::Signing).await;
    let ready = clients
        .host
        .wait_for("report_ready", |_| true, WAIT)
        .await
        .unwrap();
    let draft = ready.data["report_sha256"].as_str().unwrap().to_owned();
    // Each member signs what they were sent; the last one dissents with reasons.
    let last = *clients.experts.keys().last().unwrap();
    for (seat, (client, _)) in clients.experts.iter_mut() {
        let mine = client
            .wait_for("report_ready", |_| true, WAIT)
            .await
            .unwrap();
        assert_eq!(mine.data["report_sha256"], draft.as_str());
        let request = if *seat == last {
            Request::Sign {
                report_sha256: draft.clone(),
                agree: false,
                reasons: Some("价格分计算方法与招标文件第 5 条不一致".into()),
                signature: None,
            }
        } else {
            Request::Sign {
                report_sha256: draft.clone(),
                agree: true,
                reasons: None,
                signature: None,
            }
        };
        ok(client, request).await;
    }
    let closed = advance(&mut clients.host, Phase::Closed).await;
    let digest = closed["report_sha256"].as_str().unwrap().to_owned();
    assert_ne!(
        digest, draft,
        "the signed report adds the signatures to the draft"
    );

    // Every client sees the close; replayed from the start, each role's history holds the
    // warning and the approved clarification, in order and once.
    for client in clients.all_clients() {
        let end = client.wait_for("closed", |_| true, WAIT).await.unwrap();
        assert_eq!(end.data["report_sha256"], digest.as_str());
    }
    let (_, some_member) = clients.experts.values().next().unwrap();
    for bearer in [
        &committee.fx.center,
        &committee.fx.supervisor,
        &some_member.bearer,
    ] {
        let mut replay = committee.connect(bearer).await;
        let mut history = Vec::new();
        loop {
            let event = replay.next_event(WAIT).await.unwrap();
            let closed = event.kind == "closed";
            history.push(event);
            if closed {
                break;
            }
        }
        let seqs: Vec<i64> = history.iter().map(|e| e.seq).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "in order, once: {seqs:?}"
        );
        let warnings: Vec<&Event> = history.iter().filter(|e| e.kind == "warning").collect();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].data["text"], "请勿讨论投标人背景");
        let decided = history
            .iter()
            .find(|e| e.kind == "clarification_decided")
            .expect("the approved clarification");
        assert_eq!(decided.data["number"], number);
        assert_eq!(decided.data["state"], "approved");
        assert_eq!(decided.data["seat"], asker);
        assert_no_names(&history);
        replay.close().await;
    }

    // The signed report is what the digest commits to, with the dissent's reasons.
    let response = committee
        .fx
        .app
        .get(
            &format!("/api/v1/sessions/{}/report", committee.session_id),
            Some(&committee.fx.supervisor),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["final"], true);
    assert_eq!(report["report_sha256"], digest.as_str());
    let canonical = sealdraw::audit::entry::canonical_json(&report["report"]).unwrap();
    assert_eq!(suite().hex_hash(&canonical), digest);
    let seats = report["report"]["seats"].as_array().unwrap();
    let dissent = seats.iter().find(|s| s["seat"] == last).unwrap();
    assert_eq!(dissent["signature"], "dissent");
    assert!(
        dissent["dissent_reasons"]
            .as_str()
            .unwrap()
            .contains("第 5 条")
    );
    assert_eq!(report["report"]["draft_sha256"], draft.as_str());
    assert_eq!(report["report"]["chair"], chair);

    // The closing audit entry commits to the signed report's hash.
    let entries = audit_entries(&committee.fx).await;
    let closing = entries
        .iter()
        .find(|e| e["type"] == "session.closed")
        .expect("a closing entry");
    assert_eq!(
        closing["data"][suite().digest_field("report")],
        digest.as_str()
    );
    for kind in [
        "session.created",
        "session.phase",
        "session.checked_in",
        "session.declared",
        "session.vote",
        "session.chair_elected",
        "session.sheet",
        "session.warning",
        "session.clarification_requested",
        "session.clarification_decided",
        "session.signature",
    ] {
        assert!(entries.iter().any(|e| e["type"] == kind), "no {kind} entry");
    }
    digest
}

/// Every audit entry, parsed.
pub async fn audit_entries(fx: &DrawFixture) -> Vec<Value> {
    let checkpoint = fx
        .app
        .post("/api/v1/audit/checkpoint", Some(&fx.admin), &json!({}))
        .await;
    assert!(checkpoint.status().is_success());
    let mut entries = Vec::new();
    for index in 0.. {
        let response = fx
            .app
            .get(
                &format!("/api/v1/audit/entries/{index}"),
                Some(&fx.supervisor),
            )
            .await;
        if response.status() == StatusCode::NOT_FOUND {
            break;
        }
        assert_eq!(response.status(), StatusCode::OK);
        entries.push(response.json().await.unwrap());
    }
    entries
}

/// No frame a participant received names an expert (the test pool's names start "专家").
pub fn assert_no_names(events: &[Event]) {
    for event in events {
        let text = event.data.to_string();
        assert!(!text.contains("专家"), "an event names an expert: {text}");
    }
}

#[tokio::test]
async fn a_five_member_cross_site_session_over_three_venues_runs_from_check_in_to_a_signed_report()
{
    let committee = Committee::new(Mode::CrossSite, 5, 2).await;
    let view = committee.view(&committee.fx.center).await;
    assert_eq!(view["phase"], "scheduled");
    assert_eq!(view["assignment"], "random");
    // Each member's accepted invitation now leads to the session.
    for member in &committee.members {
        let mine = committee
            .fx
            .app
            .get_json("/api/v1/me/invitations", Some(&member.bearer))
            .await;
        assert_eq!(mine[0]["state"], "accepted");
        assert_eq!(mine[0]["session_id"], committee.session_id.as_str());
    }
    assert_eq!(view["venues"].as_array().unwrap().len(), 3);
    let labels: Vec<&str> = view["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["Expert 1", "Expert 2", "Expert 3", "Expert 4", "Expert 5"]
    );
    let commitment = view["assignment_commitment"].as_str().unwrap().to_owned();

    // Host and supervisor contribute to the random seat assignment before it is revealed.
    for bearer in [&committee.fx.center, &committee.fx.supervisor] {
        let response = committee
            .fx
            .app
            .post(
                &format!("/api/v1/sessions/{}/entropy", committee.session_id),
                Some(bearer),
                &json!({"entropy": hex::encode([7u8; 32])}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let mut clients = committee.everyone().await;
    let mut operator = committee.connect(&committee.operators[0]).await;
    assert_eq!(operator.role, "operator");
    let digest = run_to_signed_report(&committee, &mut clients).await;

    // The seats went to the three venues within their capacities, and the placement is
    // recomputable from the audit entry alone (secret, contributions, seed).
    let entries = audit_entries(&committee.fx).await;
    let assigned = entries
        .iter()
        .find(|e| e["type"] == "session.seats_assigned")
        .unwrap();
    let secret = hex::decode(assigned["data"]["secret"].as_str().unwrap()).unwrap();
    assert_eq!(
        hex::encode(sealdraw::session::rules::assignment_commitment(
            suite(),
            &committee.session_id,
            &secret
        )),
        commitment
    );
    let contributions: Vec<Vec<u8>> = assigned["data"]["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| hex::decode(c.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(contributions.len(), 2);
    let seed = sealdraw::session::rules::assignment_seed(
        suite(),
        &committee.session_id,
        &secret,
        &contributions,
    );
    let placement = sealdraw::session::rules::assign_venues(suite(), &seed, 5, &[2, 2, 2]).unwrap();
    let recorded: Vec<u64> = assigned["data"]["placement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["venue"].as_u64().unwrap())
        .collect();
    assert_eq!(
        recorded,
        placement.iter().map(|v| u64::from(*v)).collect::<Vec<_>>()
    );
    let mut per_venue = [0; 3];
    for venue in &placement {
        per_venue[*venue as usize] += 1;
    }
    assert!(per_venue.iter().all(|n| *n <= 2) && per_venue.iter().sum::<i32>() == 5);

    // The sub-venue operator followed the session, and no event named anyone.
    let end = operator.wait_for("closed", |_| true, WAIT).await.unwrap();
    assert_eq!(end.data["report_sha256"], digest.as_str());
    for client in clients.all_clients() {
        assert_no_names(&client.drain_events());
    }

    // After closing, host and supervisor rate each member's conduct, once each.
    let rate = |bearer: &str, seat: u32, score: u8| {
        let body =
            json!({"seat": seat, "punctuality": score, "diligence": score, "discipline": score});
        let path = format!("/api/v1/sessions/{}/ratings", committee.session_id);
        let app = &committee.fx.app;
        let bearer = bearer.to_owned();
        async move { app.post(&path, Some(&bearer), &body).await }
    };
    assert_eq!(
        rate(&committee.fx.center, 1, 5).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        rate(&committee.fx.supervisor, 1, 4).await.status(),
        StatusCode::CREATED
    );
    assert_problem(rate(&committee.fx.center, 1, 5).await, StatusCode::CONFLICT).await;
    assert_problem(
        rate(&committee.fx.center, 2, 9).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        rate(&committee.operators[0], 2, 3).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn a_seven_member_distributed_session_runs_from_check_in_to_a_signed_report() {
    let committee = Committee::with(Mode::Distributed, 7, 1, |settings| {
        settings.session.credit_minimum_ratings = 1;
        settings.session.credit_suspend_below = 50;
    })
    .await;
    let view = committee.view(&committee.fx.center).await;
    assert_eq!(view["mode"], "distributed");
    assert_eq!(view["assignment"], "none");
    assert_eq!(view["venues"], json!([]));
    let mut clients = committee.everyone().await;
    run_to_signed_report(&committee, &mut clients).await;
    // An expert sees the session in their own list, by seat, never by name.
    let (_, member) = clients.experts.values().next().unwrap();
    let mine: Value = committee
        .fx
        .app
        .get_json("/api/v1/sessions", Some(&member.bearer))
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["phase"], "closed");
    assert_eq!(mine[0]["your_role"], "expert");
    assert!(mine[0]["your_seat"].is_u64());

    // Poor conduct ratings bring a member's credit score below the threshold: suspended from
    // draws (once, however many raters agree), which the next draw's rules apply.
    let seat = mine[0]["your_seat"].as_u64().unwrap();
    let path = format!("/api/v1/sessions/{}/ratings", committee.session_id);
    let poor = json!({"seat": seat, "punctuality": 1, "diligence": 2, "discipline": 1});
    let rated: Value = committee
        .fx
        .app
        .post(&path, Some(&committee.fx.center), &poor)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rated["suspended"], true, "{rated}");
    let rated: Value = committee
        .fx
        .app
        .post(&path, Some(&committee.fx.supervisor), &poor)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rated["suspended"], false, "already suspended: {rated}");
    // Each rater's session view lists the seats they rated (the room greys them out); a
    // member's lists none.
    let session_path = format!("/api/v1/sessions/{}", committee.session_id);
    let by_host = committee
        .fx
        .app
        .get_json(&session_path, Some(&committee.fx.center))
        .await;
    assert_eq!(by_host["rated_by_you"], json!([seat]));
    let by_member = committee
        .fx
        .app
        .get_json(&session_path, Some(&member.bearer))
        .await;
    assert!(by_member.get("rated_by_you").is_none(), "{by_member}");
    let mut next = committee
        .fx
        .request(json!([{ "specialty_prefixes": ["A03"], "count": 1, "reserves": 0 }]));
    next["mode"] = json!("distributed");
    next.as_object_mut().unwrap().remove("venue");
    let created = committee.fx.create_ok(&next).await;
    assert_eq!(
        created["strata"][0]["excluded"]["penalty"], 1,
        "{}",
        created["strata"][0]
    );
    let entries = audit_entries(&committee.fx).await;
    let penalties: Vec<&Value> = entries
        .iter()
        .filter(|e| e["type"] == "expert.penalty")
        .collect();
    assert_eq!(penalties.len(), 1);
    assert_eq!(penalties[0]["data"]["reason_code"], "low_credit");
    assert!(
        !penalties[0].to_string().contains(&committee.session_id),
        "the penalty does not name the session"
    );
}

#[tokio::test]
async fn a_refused_move_names_every_unmet_precondition_and_the_seats_concerned() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let mut clients = committee.everyone().await;
    let host = &mut clients.host;

    // Phases go one step at a time, and only the host moves them.
    let skipped = refused(
        host,
        Request::Advance {
            to: Phase::Evaluation,
        },
    )
    .await;
    assert_eq!(skipped.code, "wrong-phase");
    assert!(skipped.detail.contains("check_in"), "{}", skipped.detail);
    let (_, (expert, member)) = clients.experts.iter_mut().next().unwrap();
    let forbidden = refused(expert, Request::Advance { to: Phase::CheckIn }).await;
    assert_eq!(forbidden.code, "forbidden");
    // Not before check-in opens.
    let early = refused(
        expert,
        Request::CheckIn {
            join_code: member.join_code.clone().into(),
        },
    )
    .await;
    assert_eq!(early.code, "wrong-phase");

    advance(&mut clients.host, Phase::CheckIn).await;
    // Two members check in; the move names the other three.
    let mut checked = Vec::new();
    for (seat, (client, member)) in clients.experts.iter_mut().take(2) {
        ok(
            client,
            Request::CheckIn {
                join_code: member.join_code.clone().into(),
            },
        )
        .await;
        checked.push(*seat);
    }
    let missing = refused(&mut clients.host, Request::Advance { to: Phase::Recusal }).await;
    assert_eq!(missing.code, "precondition-failed");
    let list = missing.missing.unwrap();
    assert_eq!(list[0]["code"], "not-checked-in");
    let absent: BTreeSet<u64> = list[0]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    let expected: BTreeSet<u64> = clients
        .experts
        .keys()
        .filter(|s| !checked.contains(s))
        .map(|s| u64::from(*s))
        .collect();
    assert_eq!(absent, expected);
    assert!(missing.detail.contains("Expert"), "{}", missing.detail);

    clients.check_in_all().await;
    advance(&mut clients.host, Phase::Recusal).await;
    let missing = refused(
        &mut clients.host,
        Request::Advance {
            to: Phase::ChairElection,
        },
    )
    .await;
    assert_eq!(missing.missing.unwrap()[0]["code"], "not-declared");
    clients.declare_all().await;
    advance(&mut clients.host, Phase::ChairElection).await;
    // Votes split 2–2–1: no majority, no evaluation.
    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    for (i, (client, _)) in clients.experts.values_mut().enumerate() {
        ok(client, Request::Vote { seat: seats[i % 3] }).await;
    }
    let missing = refused(
        &mut clients.host,
        Request::Advance {
            to: Phase::Evaluation,
        },
    )
    .await;
    assert_eq!(missing.missing.unwrap()[0]["code"], "no-chair");
    // A member changes their vote: seat 0 gets a majority.
    let (_, (client, _)) = clients.experts.iter_mut().nth(1).unwrap();
    ok(client, Request::Vote { seat: seats[0] }).await;
    advance(&mut clients.host, Phase::Evaluation).await;
    let (_, (first, _)) = clients.experts.iter_mut().next().unwrap();
    ok(first, sheet("Bidder A", "50", "30")).await;
    let bad = refused(first, sheet("Bidder A", "61", "30")).await;
    assert_eq!(bad.code, "invalid-request");
    assert_eq!(bad.field.as_deref(), Some("scores.technical"));
    let bad = refused(first, sheet("Bidder Z", "1", "1")).await;
    assert_eq!(bad.field.as_deref(), Some("bidder"));
    let missing = refused(&mut clients.host, Request::Advance { to: Phase::Summary }).await;
    let list = missing.missing.unwrap();
    assert_eq!(list[0]["code"], "sheets-missing");
    assert_eq!(
        list[0]["seats"].as_array().unwrap().len(),
        5,
        "every seat lacks a sheet for Bidder B"
    );
    clients.score_all().await;
    advance(&mut clients.host, Phase::Summary).await;
    let signing = advance(&mut clients.host, Phase::Signing).await;
    let draft = signing["report_sha256"].as_str().unwrap().to_owned();
    let (_, (first, _)) = clients.experts.iter_mut().next().unwrap();
    let wrong = refused(
        first,
        Request::Sign {
            report_sha256: "00".repeat(32),
            agree: true,
            reasons: None,
            signature: None,
        },
    )
    .await;
    assert_eq!(wrong.field.as_deref(), Some("report_sha256"));
    let terse = refused(
        first,
        Request::Sign {
            report_sha256: draft.clone(),
            agree: false,
            reasons: None,
            signature: None,
        },
    )
    .await;
    assert_eq!(terse.field.as_deref(), Some("reasons"));
    ok(
        first,
        Request::Sign {
            report_sha256: draft,
            agree: true,
            reasons: None,
            signature: None,
        },
    )
    .await;
    let missing = refused(&mut clients.host, Request::Advance { to: Phase::Closed }).await;
    let list = missing.missing.unwrap();
    assert_eq!(list[0]["code"], "not-signed");
    assert_eq!(list[0]["seats"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_member_who_leaves_mid_evaluation_is_replaced_from_the_reserves_and_their_sheets_are_void()
 {
    let committee = Committee::new(Mode::Distributed, 5, 2).await;
    let mut clients = committee.everyone().await;
    clients.open_evaluation().await;
    clients.score_all().await;

    // The member of the last seat leaves; the host records it.
    let leaving = *clients.experts.keys().last().unwrap();
    let replaced = ok(
        &mut clients.host,
        Request::Replace {
            seat: leaving,
            reason: "withdrew".into(),
        },
    )
    .await;
    assert_eq!(replaced["vacated"], leaving);
    let successor_seat = replaced["successor_seat"].as_u64().unwrap() as u32;
    assert_eq!(
        successor_seat, 6,
        "the successor takes the next seat number"
    );
    let vacated = clients
        .host
        .wait_for("seat_vacated", |_| true, WAIT)
        .await
        .unwrap();
    assert_eq!(vacated.data["seat"], leaving);
    assert_eq!(vacated.data["voided_sheets"], 2);
    clients
        .host
        .wait_for("seat_added", |d| d["seat"] == successor_seat, WAIT)
        .await
        .unwrap();
    // The replaced member's connection ends, and they cannot rejoin.
    let (mut gone, gone_member) = clients.experts.remove(&leaving).unwrap();
    assert_eq!(
        gone.closed_by_server(WAIT).await.unwrap().as_deref(),
        Some("seat-vacated")
    );
    assert_problem(
        committee.ticket(&gone_member.bearer).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // Without the successor the summary cannot open.
    let missing = refused(&mut clients.host, Request::Advance { to: Phase::Summary }).await;
    let codes: Vec<&str> = missing
        .missing
        .as_ref()
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"replacement-pending"), "{codes:?}");

    // The reserve is invited, accepts, joins with their own join code, and evaluates afresh.
    let (bearer, invitation) = invited(&committee.fx, &committee.logins, "pending")
        .await
        .remove(0);
    let accepted: Value = answer(&committee.fx, &bearer, &invitation, json!({"accept": true}))
        .await
        .json()
        .await
        .unwrap();
    let mut successor = committee.connect(&bearer).await;
    assert_eq!(successor.seat, Some(successor_seat));
    ok(
        &mut successor,
        Request::CheckIn {
            join_code: accepted["session_join_code"].as_str().unwrap().into(),
        },
    )
    .await;
    ok(&mut successor, Request::Declare { conflict: false }).await;
    ok(&mut successor, sheet("Bidder A", "10", "10")).await;
    ok(&mut successor, sheet("Bidder B", "45", "35.25")).await;
    advance(&mut clients.host, Phase::Summary).await;
    let revealed = successor
        .wait_for("sheets_revealed", |_| true, WAIT)
        .await
        .unwrap();
    let bidder_a = &revealed.data["bidders"][0];
    let seats: Vec<u64> = bidder_a["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["seat"].as_u64().unwrap())
        .collect();
    assert!(
        !seats.contains(&u64::from(leaving)),
        "the replaced member's sheet is void"
    );
    assert!(seats.contains(&u64::from(successor_seat)));
    assert_eq!(seats.len(), 5);
    // The successor's low score strays from the median and is flagged.
    let flagged: Vec<u64> = bidder_a["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["deviates"] == true)
        .map(|s| s["seat"].as_u64().unwrap())
        .collect();
    assert_eq!(flagged, [u64::from(successor_seat)]);
    let view = committee.view(&committee.fx.supervisor).await;
    let old = view["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["seat"] == leaving)
        .unwrap();
    assert_eq!(old["state"], "void");
    assert_eq!(old["void_reason"], "withdrew");
}

#[tokio::test]
async fn a_member_who_declares_a_conflict_is_recused_and_a_reserve_takes_the_seat() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let mut clients = committee.everyone().await;
    advance(&mut clients.host, Phase::CheckIn).await;
    clients.check_in_all().await;
    advance(&mut clients.host, Phase::Recusal).await;
    let (seat, (client, _)) = clients.experts.iter_mut().next().unwrap();
    let seat = *seat;
    let recused = ok(client, Request::Declare { conflict: true }).await;
    assert_eq!(recused["recused"], true);
    let vacated = clients
        .supervisor
        .wait_for("seat_vacated", |_| true, WAIT)
        .await
        .unwrap();
    assert_eq!(vacated.data["seat"], seat);
    assert_eq!(vacated.data["reason"], "recused");
    let draw: Value = committee.fx.view(&committee.draw_id).await;
    let replaced: Vec<&Value> = draw["seats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["state"] == "replaced")
        .collect();
    assert_eq!(replaced.len(), 1);
    assert_eq!(replaced[0]["replaced_reason"], "recused");
    assert_eq!(
        invited(&committee.fx, &committee.logins, "pending")
            .await
            .len(),
        1,
        "the reserve is invited"
    );
}

#[tokio::test]
async fn a_hidden_sheet_is_invisible_to_other_experts_until_the_evaluation_closes() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let mut clients = committee.everyone().await;
    clients.open_evaluation().await;
    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    let (author, other) = (seats[0], seats[1]);
    ok(
        &mut clients.experts.get_mut(&author).unwrap().0,
        sheet("Bidder A", "57.75", "31"),
    )
    .await;
    // The author gets their sheet back; the other expert only learns that it is in.
    let own = clients
        .experts
        .get_mut(&author)
        .unwrap()
        .0
        .wait_for("sheet_recorded", |_| true, WAIT)
        .await
        .unwrap();
    assert_eq!(own.data["sheet"]["total_centi"], 8875);
    let theirs = &mut clients.experts.get_mut(&other).unwrap().0;
    let submitted = theirs
        .wait_for("sheet_submitted", |d| d["seat"] == author, WAIT)
        .await
        .unwrap();
    assert!(
        !submitted.data.to_string().contains("5775"),
        "{}",
        submitted.data
    );
    // A clarification the supervisor refuses never goes out: the asker and the staff see it,
    // the other experts do not (checked with the rest of their events below).
    let asking = &mut clients.experts.get_mut(&author).unwrap().0;
    let number = ok(
        asking,
        Request::RequestClarification {
            bidder: "Bidder A".into(),
            question: "请说明报价依据".into(),
        },
    )
    .await["number"]
        .as_u64()
        .unwrap() as u32;
    ok(
        &mut clients.supervisor,
        Request::DecideClarification {
            number,
            approve: false,
        },
    )
    .await;
    let decided = clients
        .experts
        .get_mut(&author)
        .unwrap()
        .0
        .wait_for("clarification_decided", |d| d["number"] == number, WAIT)
        .await
        .unwrap();
    assert_eq!(decided.data["state"], "refused");
    // Nothing else about the sheet reaches the other expert (read until a later marker).
    warn(&mut clients.supervisor, "marker").await;
    let theirs = &mut clients.experts.get_mut(&other).unwrap().0;
    theirs.wait_for("warning", |_| true, WAIT).await.unwrap();
    let mut seen = theirs.drain_events();
    // A reconnect from the start replays nothing hidden either.
    let mut replay = committee
        .connect_after(&clients.experts[&other].1.bearer, 0)
        .await;
    warn(&mut clients.supervisor, "marker 2").await;
    replay
        .wait_for("warning", |d| d["text"] == "marker 2", WAIT)
        .await
        .unwrap();
    seen.extend(replay.drain_events());
    for event in &seen {
        assert_ne!(event.kind, "sheet_recorded");
        assert!(!event.data.to_string().contains("8875"), "{:?}", event);
        assert!(!event.kind.starts_with("clarification"), "{:?}", event);
    }
    // The supervisor does not see it before the close either; after it, everyone does.
    let supervised = clients.supervisor.drain_events();
    assert!(supervised.iter().any(|e| e.kind == "sheet_submitted"));
    for event in &supervised {
        assert_ne!(event.kind, "sheet_recorded");
        assert!(!event.data.to_string().contains("8875"), "{:?}", event);
    }
    clients.score_all().await;
    advance(&mut clients.host, Phase::Summary).await;
    let theirs = &mut clients.experts.get_mut(&other).unwrap().0;
    let revealed = theirs
        .wait_for("sheets_revealed", |_| true, WAIT)
        .await
        .unwrap();
    assert!(
        revealed
            .data
            .to_string()
            .contains(&format!("\"seat\":{author}"))
    );
}

#[tokio::test]
async fn tickets_are_single_use_and_short_lived_origins_are_checked_and_join_codes_must_match() {
    let committee = Committee::with(Mode::Distributed, 5, 1, |settings| {
        settings.session.allowed_origins = vec!["https://console.example.gov.cn".into()];
    })
    .await;
    let member = committee.members[0].clone();
    let issued: Value = committee.ticket(&member.bearer).await.json().await.unwrap();
    let path = issued["path"].as_str().unwrap();
    let ticket = issued["ticket"].as_str().unwrap();
    assert_eq!(issued["expires_in"], 30);
    let client = SessionClient::connect(&committee.endpoint, path, ticket, 0)
        .await
        .unwrap();
    client.close().await;
    // Used once: refused.
    match SessionClient::connect(&committee.endpoint, path, ticket, 0).await {
        Err(ClientError::Refused { status, body }) => {
            assert_eq!(status, 401);
            assert!(body.contains("already been used"), "{body}");
        }
        other => panic!("a reused ticket was not refused: {:?}", other.err()),
    }
    // Expired after 30 s.
    let issued: Value = committee.ticket(&member.bearer).await.json().await.unwrap();
    committee.fx.app.clock.advance(Duration::from_secs(31));
    match SessionClient::connect(
        &committee.endpoint,
        path,
        issued["ticket"].as_str().unwrap(),
        0,
    )
    .await
    {
        Err(ClientError::Refused { status, body }) => {
            assert_eq!(status, 401);
            assert!(body.contains("expired"), "{body}");
        }
        other => panic!("an expired ticket was not refused: {:?}", other.err()),
    }
    // A made-up ticket, and one for another session's path.
    match SessionClient::connect(
        &committee.endpoint,
        path,
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        0,
    )
    .await
    {
        Err(ClientError::Refused { status, .. }) => assert_eq!(status, 401),
        other => panic!("a forged ticket was not refused: {:?}", other.err()),
    }
    // A browser page from an origin not on the allow-list; then one that is.
    let issued: Value = committee.ticket(&member.bearer).await.json().await.unwrap();
    let mut foreign = committee.endpoint.clone();
    foreign.origin = Some("https://evil.example.com".into());
    match SessionClient::connect(&foreign, path, issued["ticket"].as_str().unwrap(), 0).await {
        Err(ClientError::Refused { status, body }) => {
            assert_eq!(status, 403);
            assert!(body.contains("origin"), "{body}");
        }
        other => panic!("a foreign origin was not refused: {:?}", other.err()),
    }
    // Plain http on the listed console's host is another origin. (An origin that merely repeats
    // the Host header is refused too: see
    // websockets::an_origin_equal_to_the_host_is_refused_unless_it_is_on_the_allow_list.)
    let issued: Value = committee.ticket(&member.bearer).await.json().await.unwrap();
    let mut insecure = committee.endpoint.clone();
    insecure.origin = Some("http://console.example.gov.cn".into());
    match SessionClient::connect(&insecure, path, issued["ticket"].as_str().unwrap(), 0).await {
        Err(ClientError::Refused { status, .. }) => assert_eq!(status, 403),
        other => panic!("an http origin was not refused: {:?}", other.err()),
    }
    let issued: Value = committee.ticket(&member.bearer).await.json().await.unwrap();
    let mut console = committee.endpoint.clone();
    console.origin = Some("https://console.example.gov.cn".into());
    let mut client = SessionClient::connect(&console, path, issued["ticket"].as_str().unwrap(), 0)
        .await
        .unwrap();
    // A wrong join code is refused; the right one checks in.
    let mut host = committee.connect(&committee.fx.center).await;
    advance(&mut host, Phase::CheckIn).await;
    let wrong = refused(
        &mut client,
        Request::CheckIn {
            join_code: "0000000000".into(),
        },
    )
    .await;
    assert_eq!(wrong.code, "wrong-join-code");
    assert_eq!(wrong.field.as_deref(), Some("join_code"));
    let other_code = committee.members[1].join_code.clone();
    let stolen = refused(
        &mut client,
        Request::CheckIn {
            join_code: other_code.into(),
        },
    )
    .await;
    assert_eq!(
        stolen.code, "wrong-join-code",
        "another member's code is not this seat's"
    );
    ok(
        &mut client,
        Request::CheckIn {
            join_code: member.join_code.clone().into(),
        },
    )
    .await;
    // Someone outside the session gets no ticket, and learns nothing of it.
    let stranger = committee
        .logins
        .iter()
        .map(|(_, bearer)| bearer)
        .find(|b| !committee.members.iter().any(|m| &m.bearer == *b))
        .unwrap();
    assert_problem(committee.ticket(stranger).await, StatusCode::NOT_FOUND).await;
    let (_, other_center) = committee
        .fx
        .app
        .account_with_token("other-center", Role::Center)
        .await;
    assert_problem(committee.ticket(&other_center).await, StatusCode::NOT_FOUND).await;
    // Neither tickets nor join codes reach the logs (the ticket rides in the query string).
    let logs = captured_logs();
    assert!(!logs.contains(ticket), "a ticket was logged");
    for member in &committee.members {
        assert!(!logs.contains(&member.join_code), "a join code was logged");
    }
}

#[tokio::test]
async fn a_client_that_sends_garbage_oversize_frames_or_floods_is_cut_off_without_disturbing_the_others()
 {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let mut host = committee.connect(&committee.fx.center).await;
    let mut watcher = committee.connect(&committee.fx.supervisor).await;

    let mut garbage = committee.connect(&committee.members[0].bearer).await;
    garbage.send_text("{this is not json".into()).await.unwrap();
    assert_eq!(
        garbage.closed_by_server(WAIT).await.unwrap().as_deref(),
        Some("malformed-frame")
    );

    let mut wrong_shape = committee.connect(&committee.members[0].bearer).await;
    wrong_shape
        .send_text(r#"{"v":1,"id":"x","type":"vote","seat":"one"}"#.into())
        .await
        .unwrap();
    assert_eq!(
        wrong_shape.closed_by_server(WAIT).await.unwrap().as_deref(),
        Some("malformed-frame")
    );

    let mut binary = committee.connect(&committee.members[1].bearer).await;
    binary
        .send_message(Message::binary(vec![0u8, 159, 146, 150]))
        .await
        .unwrap();
    assert_eq!(
        binary.closed_by_server(WAIT).await.unwrap().as_deref(),
        Some("binary-frame")
    );

    let mut oversize = committee.connect(&committee.members[2].bearer).await;
    let huge = format!(
        r#"{{"v":1,"id":"big","type":"warn","text":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    let _ = oversize.send_text(huge).await;
    assert_eq!(
        oversize.closed_by_server(WAIT).await.unwrap().as_deref(),
        Some("frame-too-large")
    );

    let mut flood = committee.connect(&committee.members[3].bearer).await;
    for i in 0..200 {
        let frame = format!(r#"{{"v":1,"id":"f{i}","type":"vote","seat":1}}"#);
        if flood.send_text(frame).await.is_err() {
            break;
        }
    }
    assert_eq!(
        flood.closed_by_server(WAIT).await.unwrap().as_deref(),
        Some("flood")
    );

    // The others are undisturbed: the host still moves the session and everyone sees it.
    advance(&mut host, Phase::CheckIn).await;
    let moved = watcher
        .wait_for("phase_changed", |d| d["to"] == "check_in", WAIT)
        .await
        .unwrap();
    assert!(moved.seq > 0);
    // Nothing the misbehaving clients sent was applied.
    let view = committee.view(&committee.fx.center).await;
    assert!(
        view["seats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["checked_in"] == false)
    );
    let entries = audit_entries(&committee.fx).await;
    assert!(
        !entries
            .iter()
            .any(|e| e["type"] == "session.warning" || e["type"] == "session.vote")
    );
}

#[tokio::test]
async fn a_reconnecting_client_receives_every_missed_event_once_in_order_and_retries_apply_once() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let mut host = committee.connect(&committee.fx.center).await;
    let mut supervisor = committee.connect(&committee.fx.supervisor).await;
    warn(&mut supervisor, "one").await;
    let first = host
        .wait_for("warning", |d| d["text"] == "one", WAIT)
        .await
        .unwrap();
    let resume_from = host.last_seq;
    assert!(resume_from >= first.seq);
    host.close().await;
    // Meanwhile: a phase move and two warnings.
    let mut other_host_tab = committee.connect(&committee.fx.center).await;
    advance(&mut other_host_tab, Phase::CheckIn).await;
    warn(&mut supervisor, "two").await;
    warn(&mut supervisor, "three").await;
    let mut resumed = committee
        .connect_after(&committee.fx.center, resume_from)
        .await;
    let mut kinds = Vec::new();
    loop {
        let event = resumed.next_event(WAIT).await.unwrap();
        assert!(event.seq > resume_from, "event {} repeated", event.seq);
        kinds.push((
            event.kind.clone(),
            event.data["text"].as_str().map(str::to_owned),
        ));
        if event.data["text"] == "three" {
            break;
        }
    }
    let warnings: Vec<&str> = kinds.iter().filter_map(|(_, t)| t.as_deref()).collect();
    assert_eq!(warnings, ["two", "three"]);
    assert!(kinds.iter().any(|(k, _)| k == "phase_changed"));

    // A retried request (same id) gets the same answer and is applied once.
    let request = Request::Warn {
        text: "retried".into(),
    };
    let a = supervisor
        .request_with_id("warn-7", &request)
        .await
        .unwrap()
        .unwrap();
    let b = supervisor
        .request_with_id("warn-7", &request)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a, b);
    // The same id for another request is refused, not answered as if applied.
    let reused = supervisor
        .request_with_id(
            "warn-7",
            &Request::Warn {
                text: "something else".into(),
            },
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(reused.code, "conflict");
    assert!(
        reused.detail.contains("different request"),
        "{}",
        reused.detail
    );
    warn(&mut supervisor, "after").await;
    let mut retried = 0;
    loop {
        let event = resumed.next_event(WAIT).await.unwrap();
        if event.data["text"] == "retried" {
            retried += 1;
        }
        if event.data["text"] == "after" {
            break;
        }
    }
    assert_eq!(retried, 1);
    assert!(resumed.synced, "the replay ended with a synced frame");
}

#[tokio::test]
async fn a_session_is_opened_only_by_its_center_for_a_complete_remote_committee() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let fx = &committee.fx;
    let mut body = bidders_and_criteria();
    body["supervisors"] = json!(["supervisor"]);
    body["draw_id"] = json!(committee.draw_id);
    // One session per draw.
    assert_problem(
        fx.app
            .post("/api/v1/sessions", Some(&fx.center), &body)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    // Another center's draw does not exist for this center.
    let (_, other) = fx
        .app
        .account_with_token("other-center", Role::Center)
        .await;
    assert_problem(
        fx.app.post("/api/v1/sessions", Some(&other), &body).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Only centers open sessions.
    assert_problem(
        fx.app
            .post("/api/v1/sessions", Some(&fx.supervisor), &body)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Bad input is named.
    for (field, value, named) in [
        ("supervisors", json!([]), "supervisors"),
        ("supervisors", json!(["nobody"]), "supervisors[0]"),
        ("bidders", json!(["A", "A"]), "bidders[1]"),
        (
            "criteria",
            json!([{"name": "x", "max_points": 0}]),
            "criteria[0].max_points",
        ),
        ("venues", json!([{"name": "主场", "seats": 5}]), "venues"),
        ("deviation_percent", json!(0), "deviation_percent"),
        // Credit codes (GB 32100): one per bidder, each with its check character.
        (
            "bidder_credit_codes",
            json!(["91350100M000100Y43"]),
            "bidder_credit_codes",
        ),
        (
            "bidder_credit_codes",
            json!(["91350100M000100Y43", "91350100M000100Y44"]),
            "bidder_credit_codes[1]",
        ),
        (
            "bidder_credit_codes",
            json!(["91350100M000100Y43", "91350100m000100y43"]),
            "bidder_credit_codes[1]",
        ),
    ] {
        let mut bad = body.clone();
        bad[field] = value;
        let problem = assert_problem(
            fx.app
                .post("/api/v1/sessions", Some(&fx.center), &bad)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem["field"], named, "{problem}");
    }
    let mut wrong_type = body.clone();
    wrong_type["bidders"] = json!("Bidder A");
    let problem = assert_problem(
        fx.app
            .post("/api/v1/sessions", Some(&fx.center), &wrong_type)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem["field"], "bidders", "{problem}");

    // A draw whose committee is not yet confirmed has no session.
    let mut request =
        fx.request(json!([{ "specialty_prefixes": ["A03"], "count": 5, "reserves": 0 }]));
    request["mode"] = json!("distributed");
    request.as_object_mut().unwrap().remove("venue");
    let pending = fx.drawn(&request).await;
    let mut early = body.clone();
    early["draw_id"] = pending["draw_id"].clone();
    let problem = assert_problem(
        fx.app
            .post("/api/v1/sessions", Some(&fx.center), &early)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("not complete"),
        "{problem}"
    );
}

#[tokio::test]
async fn more_than_a_third_of_the_members_asking_for_time_extends_the_evaluation_at_once() {
    let committee = Committee::with(Mode::Distributed, 5, 1, |settings| {
        settings.session.extension_minutes = 45;
    })
    .await;
    let before = committee.view(&committee.fx.center).await;
    assert_eq!(before["extensions"], 0);
    let scheduled =
        chrono::DateTime::parse_from_rfc3339(before["ends_at"].as_str().unwrap()).unwrap();
    let mut clients = committee.everyone().await;
    let seats: Vec<u32> = clients.experts.keys().copied().collect();

    // Only during the evaluation, and only members ask.
    let early = refused(
        &mut clients.experts.get_mut(&seats[0]).unwrap().0,
        Request::DeclareTimeInsufficient {},
    )
    .await;
    assert_eq!(early.code, "wrong-phase", "{early:?}");
    clients.open_evaluation().await;
    let host = refused(&mut clients.host, Request::DeclareTimeInsufficient {}).await;
    assert_eq!(host.code, "forbidden", "{host:?}");

    // 1 of 5 is not more than a third; asking twice counts once.
    let first = ok(
        &mut clients.experts.get_mut(&seats[0]).unwrap().0,
        Request::DeclareTimeInsufficient {},
    )
    .await;
    assert_eq!(first["declared"], 1);
    assert_eq!(first["members"], 5);
    assert!(first.get("extended").is_none(), "{first}");
    assert_eq!(first["ends_at"], before["ends_at"]);
    let again = refused(
        &mut clients.experts.get_mut(&seats[0]).unwrap().0,
        Request::DeclareTimeInsufficient {},
    )
    .await;
    assert_eq!(again.code, "conflict", "{again:?}");

    // 2 of 5 is: the end moves 45 minutes at once, and the center's host hears it.
    let second = ok(
        &mut clients.experts.get_mut(&seats[1]).unwrap().0,
        Request::DeclareTimeInsufficient {},
    )
    .await;
    assert_eq!(second["extended"], 1, "{second}");
    assert_eq!(second["declared"], 0, "declarations start afresh");
    let extended = clients
        .host
        .wait_for("time_extended", |_| true, WAIT)
        .await
        .unwrap();
    assert_eq!(extended.data["number"], 1);
    assert_eq!(extended.data["minutes"], 45);
    assert_eq!(extended.data["declared"], 2);
    assert_eq!(extended.data["members"], 5);
    let ends_at =
        chrono::DateTime::parse_from_rfc3339(extended.data["ends_at"].as_str().unwrap()).unwrap();
    assert_eq!(ends_at - scheduled, chrono::Duration::minutes(45));
    let after = committee.view(&committee.fx.center).await;
    assert_eq!(after["extensions"], 1);
    assert_eq!(after["ends_at"], extended.data["ends_at"]);

    // A second extension needs a new third: the first seat may ask again, and alone it is
    // not enough.
    let anew = ok(
        &mut clients.experts.get_mut(&seats[0]).unwrap().0,
        Request::DeclareTimeInsufficient {},
    )
    .await;
    assert_eq!(anew["declared"], 1);
    assert!(anew.get("extended").is_none(), "{anew}");
    let third = ok(
        &mut clients.experts.get_mut(&seats[2]).unwrap().0,
        Request::DeclareTimeInsufficient {},
    )
    .await;
    assert_eq!(third["extended"], 2, "{third}");
    assert_eq!(committee.view(&committee.fx.center).await["extensions"], 2);

    let entries = audit_entries(&committee.fx).await;
    let declared = entries
        .iter()
        .filter(|e| e["type"] == "session.time_declared")
        .count();
    assert_eq!(declared, 4);
    let extensions: Vec<&Value> = entries
        .iter()
        .filter(|e| e["type"] == "session.time_extended")
        .collect();
    assert_eq!(extensions.len(), 2);
    assert_eq!(extensions[0]["data"]["minutes"], 45);
    assert_eq!(extensions[1]["data"]["extension"], 2);
}

#[tokio::test]
async fn a_member_who_neither_signs_nor_dissents_by_the_deadline_is_deemed_to_agree_at_closing() {
    let committee = Committee::with(Mode::Distributed, 5, 1, |settings| {
        settings.session.signing_minutes = 1;
    })
    .await;
    let mut clients = committee.everyone().await;
    clients.open_evaluation().await;
    clients.score_all().await;
    advance(&mut clients.host, Phase::Summary).await;
    advance(&mut clients.host, Phase::Signing).await;
    let ready = clients
        .host
        .wait_for("report_ready", |_| true, WAIT)
        .await
        .unwrap();
    let draft = ready.data["report_sha256"].as_str().unwrap().to_owned();
    let deadline = ready.data["signing_deadline"].as_str().unwrap().to_owned();
    assert_eq!(
        committee.view(&committee.fx.center).await["signing_deadline"],
        deadline.as_str()
    );
    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    let silent = *seats.last().unwrap();
    for seat in &seats[..3] {
        let (client, _) = clients.experts.get_mut(seat).unwrap();
        ok(
            client,
            Request::Sign {
                report_sha256: draft.clone(),
                agree: true,
                reasons: None,
                signature: None,
            },
        )
        .await;
    }
    let (dissenter, _) = clients.experts.get_mut(&seats[3]).unwrap();
    ok(
        dissenter,
        Request::Sign {
            report_sha256: draft.clone(),
            agree: false,
            reasons: Some("价格分计算方法与招标文件第 5 条不一致".into()),
            signature: None,
        },
    )
    .await;

    // Before the deadline the silent member holds the session open, by seat.
    let early = refused(&mut clients.host, Request::Advance { to: Phase::Closed }).await;
    assert_eq!(early.code, "precondition-failed", "{early:?}");
    let missing = serde_json::to_value(&early.missing).unwrap();
    assert_eq!(missing[0]["code"], "not-signed", "{missing}");
    assert_eq!(missing[0]["seats"], json!([silent]), "{missing}");

    // After it, closing records them as agreeing, in the report, the events and the log.
    committee.fx.app.clock.advance(Duration::from_secs(61));
    advance(&mut clients.host, Phase::Closed).await;
    let (silent_client, _) = clients.experts.get_mut(&silent).unwrap();
    let deemed = silent_client
        .wait_for("signed", |d| d["seat"] == silent, WAIT)
        .await
        .unwrap();
    assert_eq!(deemed.data["signature"], "deemed_agree");
    let report = committee
        .fx
        .app
        .get_json(
            &format!("/api/v1/sessions/{}/report", committee.session_id),
            Some(&committee.fx.center),
        )
        .await;
    assert_eq!(report["final"], true);
    let signatures: BTreeMap<u64, String> = report["report"]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["seat"].as_u64().unwrap(),
                s["signature"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(signatures[&u64::from(silent)], "deemed_agree", "{report}");
    assert_eq!(signatures[&u64::from(seats[3])], "dissent");
    assert_eq!(signatures[&u64::from(seats[0])], "agree");
    let entries = audit_entries(&committee.fx).await;
    let deemed: Vec<&Value> = entries
        .iter()
        .filter(|e| e["type"] == "session.deemed_agreement")
        .collect();
    assert_eq!(deemed.len(), 1);
    assert_eq!(deemed[0]["data"]["seat"], silent);
    assert_eq!(
        deemed[0]["data"][suite().digest_field("report")],
        draft.as_str()
    );
    assert_eq!(deemed[0]["data"]["signing_deadline"], deadline.as_str());
    assert_eq!(deemed[0]["actor"]["system"], "server", "{}", deemed[0]);
}
