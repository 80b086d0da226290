//! Sessions on bad networks and several servers: connections cut at random points resume with
//! no gap and no repeat, silent connections are closed and shown disconnected, a reader that
//! pauses catches up on its own connection, one that stops reading is cut off without slowing
//! the others, two instances on one database share a session, and a killed instance's clients
//! finish the session on the other.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sealdraw::session::protocol::Request;
use sealdraw::session::rules::Phase;
use sealdraw::terminal::client::SessionClient;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Instance, is_postgres};
use crate::sessions::{
    Clients, Committee, Mode, advance, assert_no_names, finish_from_recusal, presence_change,
    run_to_signed_report, warn,
};

const WAIT: Duration = Duration::from_secs(20);

/// A small deterministic generator, so a failure replays the same cut points.
struct Cuts(u64);

impl Cuts {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[tokio::test]
async fn connections_cut_at_random_points_resume_with_no_gap_and_no_repeat() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let mut supervisor = committee.connect(&committee.fx.supervisor).await;
    let member = committee.members[0].bearer.clone();
    let mut reader = committee.connect(&member).await;
    let mut cuts = Cuts(0x5eed_d4a3);
    let mut received: Vec<(i64, String)> = Vec::new();
    const WARNINGS: usize = 60;
    let mut sent = 0;
    while received.iter().filter(|(_, t)| t.starts_with("w")).count() < WARNINGS {
        // The supervisor posts a few warnings; the reader reads some of what is waiting and
        // then its connection is cut without a close frame (dropped), at a random point.
        for _ in 0..cuts.next(4) + 1 {
            if sent < WARNINGS {
                warn(&mut supervisor, format!("w{sent:03}")).await;
                sent += 1;
            }
        }
        for _ in 0..cuts.next(5) {
            match reader.next_event(Duration::from_millis(300)).await {
                Ok(event) => {
                    if let Some(text) = event.data["text"].as_str() {
                        received.push((event.seq, text.to_owned()));
                    }
                }
                Err(_) => break,
            }
        }
        let resume_from = reader.last_seq;
        drop(reader);
        reader = committee.connect_after(&member, resume_from).await;
        if sent == WARNINGS {
            // Drain what is left on the last connection.
            while let Ok(event) = reader.next_event(Duration::from_millis(500)).await {
                if let Some(text) = event.data["text"].as_str() {
                    received.push((event.seq, text.to_owned()));
                }
            }
        }
    }
    let texts: Vec<String> = received.iter().map(|(_, t)| t.clone()).collect();
    let expected: Vec<String> = (0..WARNINGS).map(|i| format!("w{i:03}")).collect();
    assert_eq!(texts, expected, "every warning once, in order");
    assert!(received.windows(2).all(|w| w[0].0 < w[1].0));
}

#[tokio::test]
async fn a_silent_connection_is_closed_and_its_seat_shown_disconnected_to_host_and_supervisors() {
    let committee = Committee::with(Mode::Distributed, 5, 1, |settings| {
        settings.session.heartbeat_secs = 1;
        settings.session.idle_timeout_secs = 3;
    })
    .await;
    let mut supervisor = committee.connect(&committee.fx.supervisor).await;
    // This member's client stops reading (a sleeping laptop): it answers no ping.
    let mut sleeper = committee.connect(&committee.members[0].bearer).await;
    let seat = sleeper.seat.unwrap();
    let started = Instant::now();
    let gone = presence_change(&mut supervisor, seat, false).await.unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(2), "closed after {waited:?}");
    assert_eq!(gone.data["who"], format!("Expert {seat}"));
    // Meanwhile the supervisor, who answers pings by reading, stayed connected throughout.
    warn(&mut supervisor, "still here").await;
    // The sleeper wakes: the server has closed its connection; it reconnects and resumes.
    assert!(sleeper.closed_by_server(WAIT).await.is_ok());
    let mut back = committee
        .connect_after(&committee.members[0].bearer, sleeper.last_seq)
        .await;
    back.wait_for("warning", |d| d["text"] == "still here", WAIT)
        .await
        .unwrap();
    presence_change(&mut supervisor, seat, true).await.unwrap();
}

type RawSocket =
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

/// A websocket client with a tiny receive buffer, so that the server's writes back up quickly
/// while it reads nothing.
async fn small_buffered_socket(committee: &Committee, bearer: &str) -> RawSocket {
    let response = committee.ticket(bearer).await;
    let ticket: Value = response.json().await.unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket
        .connect(
            format!("127.0.0.1:{}", committee.fx.app.port)
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
    let tls = tokio_rustls::TlsConnector::from(committee.endpoint.tls.clone())
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    let url = format!(
        "wss://localhost:{}{}?ticket={}",
        committee.fx.app.port,
        ticket["path"].as_str().unwrap(),
        ticket["ticket"].as_str().unwrap()
    );
    let (socket, _) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    socket
}

/// The time from a warning's request to an attentive member receiving it, `n` times.
async fn fan_out_latencies(
    supervisor: &mut SessionClient,
    reader: &mut SessionClient,
    label: &str,
    n: usize,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    for i in 0..n {
        let marker = format!("{label} {i}");
        let started = Instant::now();
        warn(supervisor, marker.clone()).await;
        reader
            .wait_for("warning", |d| d["text"] == marker.as_str(), WAIT)
            .await
            .unwrap();
        latencies.push(started.elapsed());
    }
    latencies.sort();
    latencies
}

/// A five-member distributed session for floods of warnings: the supervisor may post them as
/// fast as it can, and each connection has a small queue. A reader that falls behind its queue
/// catches up from the table on its own connection; only a socket that takes no frame for
/// `send_timeout_secs` is cut off.
async fn committee_for_floods(send_timeout_secs: u64) -> Committee {
    Committee::with(Mode::Distributed, 5, 1, move |settings| {
        settings.session.outbound_queue = 16;
        settings.session.send_timeout_secs = send_timeout_secs;
        settings.session.messages_per_second = 10_000;
        settings.session.message_burst = 10_000;
    })
    .await
}

#[tokio::test]
async fn a_slow_reader_is_cut_off_while_the_others_keep_normal_latency() {
    // On a busy machine the attentive reader below may fall behind its queue; the stalled one
    // is cut off after the grace period.
    let committee = committee_for_floods(2).await;
    let mut supervisor = committee.connect(&committee.fx.supervisor).await;
    let mut reader = committee.connect(&committee.members[1].bearer).await;
    let before = fan_out_latencies(&mut supervisor, &mut reader, "before", 10).await;

    let slow_bearer = committee.members[0].bearer.clone();
    let slow = small_buffered_socket(&committee, &slow_bearer).await;
    let slow_seat = committee.view(&slow_bearer).await["your_seat"]
        .as_u64()
        .unwrap();
    // A flood of large warnings (the socket's buffers hold megabytes before a reader that
    // reads nothing blocks the server's writes); the attentive member reads all along.
    const FLOOD: usize = 800;
    let reading = tokio::spawn(async move {
        let mut received = 0;
        loop {
            let event = reader.next_event(WAIT).await.unwrap();
            if event.kind == "warning" {
                received += 1;
                if event.data["text"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{} ", FLOOD - 1))
                {
                    return (reader, received);
                }
            }
        }
    });
    let text = "请".repeat(1_990);
    for i in 0..FLOOD {
        warn(&mut supervisor, format!("{i} {text}")).await;
    }
    let (mut reader, received) = reading.await.unwrap();
    assert_eq!(
        received, FLOOD,
        "the attentive member received every warning"
    );
    let cut = presence_change(&mut supervisor, slow_seat, false)
        .await
        .expect("the stalled reader is cut off");
    assert!(cut.seq > 0);
    drop(slow);
    let _ = supervisor.drain_events();
    let after = fan_out_latencies(&mut supervisor, &mut reader, "after", 10).await;
    let (before, after) = (before[before.len() / 2], after[after.len() / 2]);
    assert!(
        after <= before * 3 + Duration::from_millis(100),
        "the attentive member's latency went from {before:?} to {after:?}"
    );
    // Cut off, the slow member resumes on a new connection and misses nothing.
    let mut resumed = committee.connect_after(&slow_bearer, 0).await;
    warn(&mut supervisor, "last").await;
    let mut warnings = 0;
    loop {
        let event = resumed.next_event(WAIT).await.unwrap();
        if event.kind == "warning" {
            warnings += 1;
            if event.data["text"] == "last" {
                break;
            }
        }
    }
    assert_eq!(warnings, 10 + FLOOD + 10 + 1);
}

#[tokio::test]
async fn a_reader_that_stops_reading_for_a_while_catches_up_on_the_same_connection() {
    // The pause below (as long as the flood takes) stays well inside this grace period.
    let committee = committee_for_floods(120).await;
    let mut supervisor = committee.connect(&committee.fx.supervisor).await;
    // A phone in a tunnel: it reads nothing while megabytes of warnings are sent, far more than
    // its queue and both sockets' buffers hold, then reads again.
    let mut paused = small_buffered_socket(&committee, &committee.members[0].bearer).await;
    const FLOOD: usize = 1_200;
    let text = "请".repeat(1_990);
    for i in 0..FLOOD {
        warn(&mut supervisor, format!("{i} {text}")).await;
    }
    let mut warnings = Vec::new();
    let mut last_seq = 0;
    while warnings.len() < FLOOD {
        let message = tokio::time::timeout(WAIT, paused.next())
            .await
            .expect("the paused reader received nothing more")
            .expect("the server closed the paused reader's connection")
            .unwrap();
        let Message::Text(frame) = message else {
            continue;
        };
        let frame: Value = serde_json::from_str(frame.as_str()).unwrap();
        assert_ne!(
            frame["type"], "error",
            "the paused reader was cut off: {frame}"
        );
        if frame["type"] == "event" {
            let seq = frame["seq"].as_i64().unwrap();
            assert!(seq > last_seq, "event {seq} after {last_seq}");
            last_seq = seq;
            if frame["kind"] == "warning" {
                let text = frame["data"]["text"].as_str().unwrap();
                warnings.push(text.split(' ').next().unwrap().parse::<usize>().unwrap());
            }
        }
    }
    assert_eq!(
        warnings,
        (0..FLOOD).collect::<Vec<_>>(),
        "every warning once, in order"
    );
}

/// Host and supervisor on the first instance, the members alternately on both.
pub(crate) async fn split_clients(committee: &Committee, second_port: u16) -> Clients {
    let host = committee.connect(&committee.fx.center).await;
    let supervisor = committee
        .connect_to(second_port, &committee.fx.supervisor, 0)
        .await;
    let mut experts = std::collections::BTreeMap::new();
    for (i, member) in committee.members.iter().enumerate() {
        let port = if i % 2 == 0 {
            second_port
        } else {
            committee.fx.app.port
        };
        let client = committee.connect_to(port, &member.bearer, 0).await;
        experts.insert(client.seat.unwrap(), (client, member.clone()));
    }
    Clients {
        host,
        supervisor,
        experts,
    }
}

#[tokio::test]
async fn two_instances_on_one_database_share_a_session_with_the_experts_split_between_them() {
    let committee = Committee::with(Mode::Distributed, 5, 1, |settings| {
        // On PostgreSQL, LISTEN/NOTIFY alone must carry the events across (the poll is slower
        // than the test's waits); instances on one SQLite file see each other by the poll.
        settings.session.poll_interval_ms = if is_postgres() { 60_000 } else { 100 };
    })
    .await;
    let second = committee.fx.app.another_instance().await;
    let mut clients = split_clients(&committee, second.port).await;
    run_to_signed_report(&committee, &mut clients).await;
    for client in clients.all_clients() {
        assert_no_names(&client.drain_events());
    }
    second.kill().await;
}

/// A five-member distributed session with `reserves`, and a second instance on the same
/// database; both poll it for the other's events every 100 ms.
async fn committee_on_two_instances(reserves: usize) -> (Committee, Instance) {
    let committee = Committee::with(Mode::Distributed, 5, reserves, |settings| {
        settings.session.poll_interval_ms = 100;
    })
    .await;
    let second = committee.fx.app.another_instance().await;
    (committee, second)
}

#[tokio::test]
async fn an_instance_killed_mid_session_loses_nothing_and_its_clients_finish_on_the_other() {
    let (committee, second) = committee_on_two_instances(1).await;
    let mut clients = split_clients(&committee, second.port).await;
    advance(&mut clients.host, Phase::CheckIn).await;
    clients.check_in_all().await;
    advance(&mut clients.host, Phase::Recusal).await;
    // The second instance dies (an update, a crash) with half the committee on it.
    second.kill().await;
    // Its clients notice, and reconnect to the first instance where they left off.
    let mut histories: std::collections::BTreeMap<u32, Vec<i64>> = Default::default();
    for (seat, (client, member)) in clients.experts.iter_mut() {
        let mut seen: Vec<i64> = Vec::new();
        while let Ok(event) = client.next_event(Duration::from_millis(200)).await {
            seen.push(event.seq);
        }
        let last = client.last_seq;
        let alive = ok_or_dead(client).await;
        if !alive {
            let fresh = committee.connect_after(&member.bearer, last).await;
            *client = fresh;
        }
        histories.insert(*seat, seen);
    }
    let supervisor_last = clients.supervisor.last_seq;
    clients.supervisor = committee
        .connect_after(&committee.fx.supervisor, supervisor_last)
        .await;
    // The session goes on to its end on the remaining instance.
    let closed = finish_from_recusal(&mut clients).await;
    // Each member's events across both connections are exactly what a fresh replay shows.
    for (seat, (client, member)) in clients.experts.iter_mut() {
        let mut seen = histories.remove(seat).unwrap();
        loop {
            let event = client.next_event(WAIT).await.unwrap();
            seen.push(event.seq);
            if event.kind == "closed" {
                assert_eq!(event.data["report_sha256"], closed["report_sha256"]);
                break;
            }
        }
        let mut replay = committee.connect(&member.bearer).await;
        let mut all = Vec::new();
        loop {
            let event = replay.next_event(WAIT).await.unwrap();
            all.push(event.seq);
            if event.kind == "closed" {
                break;
            }
        }
        // What this client saw before the first read above was consumed by earlier waits;
        // compare the tail that follows the first event it recorded.
        let first = *seen.first().unwrap_or(&0);
        let tail: Vec<i64> = all.into_iter().filter(|s| *s >= first).collect();
        assert_eq!(seen, tail, "Expert {seat}: no gap, no repeat");
    }
}

/// Whether the client's connection still works (a harmless request is answered).
async fn ok_or_dead(client: &mut SessionClient) -> bool {
    matches!(
        tokio::time::timeout(
            Duration::from_secs(5),
            client.request(&Request::Vote { seat: 0 })
        )
        .await,
        Ok(Ok(_))
    )
}

#[tokio::test]
async fn the_same_move_sent_through_two_instances_at_once_happens_exactly_once() {
    let (committee, second) = committee_on_two_instances(2).await;
    let mut first_tab = committee.connect(&committee.fx.center).await;
    let mut second_tab = committee
        .connect_to(second.port, &committee.fx.center, 0)
        .await;
    let mut watcher = committee.connect(&committee.fx.supervisor).await;
    // Two host tabs on two instances press "open check-in" at the same moment.
    let (a, b) = tokio::join!(
        first_tab.request(&Request::Advance { to: Phase::CheckIn }),
        second_tab.request(&Request::Advance { to: Phase::CheckIn }),
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    let refused = outcomes.iter().find_map(|o| o.as_ref().err()).unwrap();
    assert_eq!(refused.code, "wrong-phase");
    // And both record the same member leaving at once: one replacement, one reserve seated.
    let mut clients = split_clients(&committee, second.port).await;
    clients.check_in_all().await;
    let seat = *clients.experts.keys().next().unwrap();
    let replace = Request::Replace {
        seat,
        reason: "withdrew".into(),
    };
    let (a, b) = tokio::join!(first_tab.request(&replace), second_tab.request(&replace));
    let outcomes = [a.unwrap(), b.unwrap()];
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    let draw = committee.fx.view(&committee.draw_id).await;
    let states: Vec<&str> = draw["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == "replaced").count(),
        1,
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| **s == "reserve").count(),
        1,
        "{states:?}"
    );
    let mut moves = 0;
    let mut vacated = 0;
    while let Ok(event) = watcher.next_event(Duration::from_millis(500)).await {
        moves += usize::from(event.kind == "phase_changed");
        vacated += usize::from(event.kind == "seat_vacated");
    }
    assert_eq!((moves, vacated), (1, 1));
    second.kill().await;
}
