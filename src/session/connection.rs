//! One websocket connection: welcome, the backlog after the client's last event, then live
//! events, requests and heartbeats until either side stops. The connection leaves the hub
//! when this loop ends (a send to a dead actix-ws session can still report success, so the
//! receive side is what decides).

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_ws::{CloseCode, CloseReason, Message, ProtocolError};

use super::protocol::{self, PROTOCOL_VERSION, ServerFrame};
use super::{Member, SessionService, frame_limit, hub};
use crate::web::language::Language;
use crate::web::problem_zh;

/// Events read from the table at a time while catching up.
const BACKLOG_BATCH: i64 = 500;

/// Why the server ends a connection: the code sent in the error frame, the close code, and
/// the reason.
struct Ending {
    code: &'static str,
    close: CloseCode,
    detail: String,
    field: Option<String>,
}

impl Ending {
    fn new(code: &'static str, close: CloseCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            close,
            detail: detail.into(),
            field: None,
        }
    }
}

/// Runs the connection to its end.
pub(crate) async fn run(
    sessions: Arc<SessionService>,
    member: Member,
    after: i64,
    language: Language,
    mut socket: actix_ws::Session,
    stream: actix_ws::MessageStream,
) {
    let settings = sessions.settings().clone();
    let mut stream = stream.max_frame_size(settings.max_frame_bytes);
    let send_timeout = Duration::from_secs(settings.send_timeout_secs);
    let mut announced = false;
    let ending = serve(
        &sessions,
        &member,
        after,
        &mut socket,
        &mut stream,
        Delivery {
            send_timeout,
            language,
        },
        &mut announced,
    )
    .await;
    if let Some(ending) = &ending {
        let frame = ServerFrame::Error {
            v: PROTOCOL_VERSION,
            code: ending.code.into(),
            detail: in_language(&ending.detail, language),
            field: ending.field.clone(),
        };
        let _ = tokio::time::timeout(send_timeout, socket.text(frame.to_text())).await;
        tracing::info!(session = %member.session_id, role = member.role.name().as_str(), reason = ending.code, "session connection closed by the server");
    }
    // While a clone of the session lives the response goes on, so the connection stays open
    // after the close frame until the client has answered it (below).
    let lingering = ending.is_some().then(|| socket.clone());
    let reason = ending.map(|e| CloseReason {
        code: e.close,
        description: Some(e.code.into()),
    });
    let _ = tokio::time::timeout(send_timeout, socket.close(reason)).await;
    // Only a connection the others were told of is announced as gone.
    if announced && let Err(error) = sessions.presence(&member, false).await {
        tracing::warn!(error = %error, "could not record a disconnection");
    }
    if let Some(lingering) = lingering {
        linger(&mut stream).await;
        drop(lingering);
    }
}

/// How long a connection the server ended waits for the client to answer its close.
const LINGER: Duration = Duration::from_secs(2);

/// Reads (and drops) what the client still sends until it answers the close or hangs up,
/// for at most [`LINGER`]. Closing with the client's bytes unread would reset the connection,
/// and a reset can destroy the error and close frames before the client reads them: a client
/// cut off mid-frame (one too large, say) would never learn why.
async fn linger(stream: &mut actix_ws::MessageStream) {
    let _ = tokio::time::timeout(LINGER, async {
        while let Some(message) = stream.recv().await {
            if matches!(message, Ok(Message::Close(_))) {
                return;
            }
        }
    })
    .await;
}

/// The connection's life; `Some` when the server ends it, `None` when the client did.
/// How this connection's frames go out: how long a send may take, in which language problems
/// are written.
#[derive(Clone, Copy)]
struct Delivery {
    send_timeout: Duration,
    language: Language,
}

async fn serve(
    sessions: &Arc<SessionService>,
    member: &Member,
    after: i64,
    socket: &mut actix_ws::Session,
    stream: &mut actix_ws::MessageStream,
    delivery: Delivery,
    announced: &mut bool,
) -> Option<Ending> {
    let Delivery {
        send_timeout,
        language,
    } = delivery;
    let settings = sessions.settings().clone();
    let mut subscription = match sessions
        .hub()
        .subscribe(&member.session_id, member.role)
        .await
    {
        Ok(subscription) => subscription,
        Err(error) => {
            tracing::error!(error = %error, "cannot subscribe a connection");
            return Some(Ending::new(
                "unavailable",
                CloseCode::Error,
                "the server cannot follow the session now; reconnect",
            ));
        }
    };
    let (phase, last_seq) = match sessions.welcome(member).await {
        Ok(welcome) => welcome,
        Err(error) => {
            tracing::error!(error = %error, "cannot read the session for a welcome");
            return Some(Ending::new(
                "unavailable",
                CloseCode::Error,
                "the session cannot be read now; reconnect",
            ));
        }
    };
    let welcome = ServerFrame::Welcome {
        v: PROTOCOL_VERSION,
        session_id: member.session_id.clone(),
        role: member.role.name().as_str().into(),
        seat: member.role.seat(),
        phase,
        last_seq,
    };
    if send(socket, welcome.to_text(), send_timeout).await.is_err() {
        return None;
    }
    match sessions.presence(member, true).await {
        Ok(()) => *announced = true,
        Err(error) => tracing::warn!(error = %error, "could not record a connection"),
    }
    // Catch up from the table; live events already sent are skipped by number.
    let mut sent_upto = after.max(0);
    if let Err(ending) = replay(sessions, member, socket, &mut sent_upto, send_timeout).await {
        return ending;
    }
    let synced = ServerFrame::Synced {
        v: PROTOCOL_VERSION,
        last_seq: sent_upto,
    };
    if let Err(error) = send(socket, synced.to_text(), send_timeout).await {
        return ended(error, send_timeout);
    }

    let quota = governor::Quota::per_second(nonzero(settings.messages_per_second))
        .allow_burst(nonzero(settings.message_burst));
    let limiter = governor::RateLimiter::direct(quota);
    let idle_timeout = Duration::from_secs(settings.idle_timeout_secs);
    let mut heartbeat = tokio::time::interval(Duration::from_secs(settings.heartbeat_secs));
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            incoming = stream.recv() => {
                heard = Instant::now();
                let message = match incoming {
                    None => return None,
                    Some(Ok(message)) => message,
                    Some(Err(error)) if matches!(error, ProtocolError::Overflow) || frame_limit::is_refusal(&error) => {
                        return Some(Ending::new("frame-too-large", CloseCode::Size, format!("frames are limited to {} bytes", settings.max_frame_bytes)));
                    }
                    Some(Err(error)) => {
                        return Some(Ending::new("protocol-error", CloseCode::Protocol, format!("websocket protocol error: {error}")));
                    }
                };
                match message {
                    Message::Text(text) => {
                        if limiter.check().is_err() {
                            return Some(Ending::new("flood", CloseCode::Policy, format!("more than {} frames per second", settings.messages_per_second)));
                        }
                        let frame = match protocol::parse_frame(&text) {
                            Ok(frame) => frame,
                            Err(error) => {
                                let mut ending = Ending::new("malformed-frame", CloseCode::Invalid, format!("{}: {}", error.field, error.detail));
                                ending.field = Some(error.field);
                                return Some(ending);
                            }
                        };
                        let mut reply = sessions.handle(member, frame).await;
                        if let ServerFrame::Reply { error: Some(error), .. } = &mut reply {
                            error.detail = in_language(&error.detail, language);
                        }
                        if let Err(error) = send(socket, reply.to_text(), send_timeout).await {
                            return ended(error, send_timeout);
                        }
                    }
                    Message::Binary(_) => {
                        return Some(Ending::new("binary-frame", CloseCode::Unsupported, "the protocol uses JSON text frames only"));
                    }
                    Message::Continuation(_) => {
                        return Some(Ending::new("fragmented-frame", CloseCode::Unsupported, "send each request in one frame"));
                    }
                    Message::Ping(bytes) => {
                        if limiter.check().is_err() {
                            return Some(Ending::new("flood", CloseCode::Policy, format!("more than {} frames per second", settings.messages_per_second)));
                        }
                        if socket.pong(&bytes).await.is_err() {
                            return None;
                        }
                    }
                    Message::Pong(_) | Message::Nop => {}
                    Message::Close(_) => return None,
                }
            }
            live = subscription.next() => match live {
                hub::Live::Event(event) => {
                    if event.seq <= sent_upto {
                        continue;
                    }
                    sent_upto = event.seq;
                    if let Err(error) = send(socket, event.frame.to_string(), send_timeout).await {
                        return ended(error, send_timeout);
                    }
                }
                hub::Live::Behind => {
                    if let Err(ending) = replay(sessions, member, socket, &mut sent_upto, send_timeout).await {
                        return ending;
                    }
                }
                hub::Live::Vacated => return Some(seat_vacated()),
                hub::Live::Ended => {
                    return Some(Ending::new("unavailable", CloseCode::Again, "the server stopped following the session; reconnect"));
                }
            },
            _ = heartbeat.tick() => {
                if heard.elapsed() >= idle_timeout {
                    return Some(Ending::new("heartbeat-timeout", CloseCode::Away, format!("nothing heard for {} s", idle_timeout.as_secs())));
                }
                if socket.ping(b"sealdraw").await.is_err() {
                    return None;
                }
            }
        }
    }
}

/// Sends the events after `sent_upto` that the member may see, from the table: the backlog of
/// a new connection, and what a connection that fell behind missed. `Err` carries how the
/// connection ends (after the event that vacates the member's seat, it does).
async fn replay(
    sessions: &Arc<SessionService>,
    member: &Member,
    socket: &mut actix_ws::Session,
    sent_upto: &mut i64,
    send_timeout: Duration,
) -> Result<(), Option<Ending>> {
    loop {
        let read = sessions
            .events_after(member, *sent_upto, BACKLOG_BATCH)
            .await
            .map_err(|error| {
                tracing::error!(error = %error, "cannot read a session's events");
                Some(Ending::new(
                    "unavailable",
                    CloseCode::Error,
                    "the session's events cannot be read now; reconnect",
                ))
            })?;
        for event in read.events {
            send(socket, event.frame.to_string(), send_timeout)
                .await
                .map_err(|error| ended(error, send_timeout))?;
        }
        if read.vacated {
            return Err(Some(seat_vacated()));
        }
        let done = read.last == *sent_upto;
        *sent_upto = read.last;
        if done {
            return Ok(());
        }
    }
}

fn seat_vacated() -> Ending {
    Ending::new(
        "seat-vacated",
        CloseCode::Policy,
        "your seat was vacated; a replaced member's conclusions are void",
    )
}

enum SendError {
    Closed,
    TimedOut,
}

/// A problem's detail in the connection's language (replies are stored for retries in
/// English, as the code writes them; each connection reads them in its own).
fn in_language(detail: &str, language: Language) -> String {
    match language {
        Language::Chinese => problem_zh::translate(detail).unwrap_or_else(|| detail.to_owned()),
        Language::English => detail.to_owned(),
    }
}

async fn send(
    socket: &mut actix_ws::Session,
    text: String,
    timeout: Duration,
) -> Result<(), SendError> {
    match tokio::time::timeout(timeout, socket.text(text)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(SendError::Closed),
        Err(_) => Err(SendError::TimedOut),
    }
}

/// A failed send: a closed socket ends quietly; one that would not take a frame in time is
/// a reader too slow to keep.
fn ended(error: SendError, timeout: Duration) -> Option<Ending> {
    match error {
        SendError::Closed => None,
        SendError::TimedOut => {
            metrics::counter!("session_connections_cut_slow_total").increment(1);
            Some(Ending::new(
                "too-slow",
                CloseCode::Again,
                format!(
                    "the connection took no frame for {} s; reconnect and resume from your last event",
                    timeout.as_secs()
                ),
            ))
        }
    }
}

fn nonzero(value: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(value).unwrap_or(std::num::NonZeroU32::MIN)
}
