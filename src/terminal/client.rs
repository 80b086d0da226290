//! A session client on tokio-tungstenite over rustls: what `sealdraw client`, the integration
//! tests and the load benchmark use. It gets a ticket over HTTPS, opens the websocket, sends
//! requests with its own ids and waits for their replies, keeping the events that arrive
//! meanwhile in order, and remembers the last event number so a new connection resumes there.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::session::protocol::{PROTOCOL_VERSION, ReplyError, Request, ServerFrame};
use crate::session::rules::Phase;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("the server refused the websocket: HTTP {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("websocket error: {0}")]
    Socket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("the server sent something that is not protocol {PROTOCOL_VERSION}: {0}")]
    Protocol(String),
    #[error("the server closed the connection: {code}: {detail}")]
    Closed { code: String, detail: String },
    #[error("timed out waiting for {0}")]
    Timeout(String),
}

/// A numbered event as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub(crate) at: String,
    pub kind: String,
    pub data: Value,
}

/// Where a session's websocket is: the server's address and name, and the session.
#[derive(Clone)]
pub struct Endpoint {
    /// `host:port` to connect to.
    pub address: String,
    /// The name the server's certificate is checked against.
    pub server_name: String,
    pub tls: Arc<rustls::ClientConfig>,
    /// An Origin header to send (browsers always do; this client only when asked to).
    pub origin: Option<String>,
}

/// What [`SessionClient::next_incoming`] received.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    Event(Event),
    /// The answer to the request with this id.
    Reply {
        id: String,
        outcome: Result<Value, ReplyError>,
    },
}

pub struct SessionClient {
    socket: WebSocketStream<TlsStream<TcpStream>>,
    pub session_id: String,
    pub role: String,
    pub seat: Option<u32>,
    pub(crate) phase_at_welcome: Phase,
    /// The newest event number the session had when this connection started.
    pub(crate) last_seq_at_welcome: i64,
    /// The newest event number received; resume from here.
    pub last_seq: i64,
    events: VecDeque<Event>,
    /// The server keeps each answered request id of an account for the whole session and
    /// answers a repeated id from that record without applying the request, so ids must not
    /// repeat across connections: each connection numbers its requests under its own prefix.
    request_prefix: String,
    next_request: u64,
    /// The server's last error frame, if it ended the connection.
    pub(crate) server_error: Option<(String, String)>,
    /// Whether the replay of missed events has ended (the server's `synced` frame arrived).
    pub synced: bool,
}

impl SessionClient {
    /// Opens `path` (from the ticket answer) with `ticket`, resuming after event `after`.
    pub async fn connect(
        endpoint: &Endpoint,
        path: &str,
        ticket: &str,
        after: i64,
    ) -> Result<Self, ClientError> {
        let port = endpoint
            .address
            .rsplit_once(':')
            .map(|(_, port)| port)
            .ok_or_else(|| ClientError::Connect("the address needs a port".into()))?;
        let host = if endpoint.server_name.contains(':') {
            format!("[{}]", endpoint.server_name)
        } else {
            endpoint.server_name.clone()
        };
        let url = format!("wss://{host}:{port}{path}?ticket={ticket}&after={after}");
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        if let Some(origin) = &endpoint.origin {
            let value =
                HeaderValue::from_str(origin).map_err(|e| ClientError::Connect(e.to_string()))?;
            request.headers_mut().insert("origin", value);
        }
        let tcp = TcpStream::connect(&endpoint.address)
            .await
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let name = rustls::pki_types::ServerName::try_from(endpoint.server_name.clone())
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        let tls = tokio_rustls::TlsConnector::from(endpoint.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        let (socket, _) = match tokio_tungstenite::client_async(request, tls).await {
            Ok(connected) => connected,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let body = response
                    .body()
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default();
                return Err(ClientError::Refused {
                    status: response.status().as_u16(),
                    body,
                });
            }
            Err(other) => return Err(other.into()),
        };
        let mut client = Self {
            socket,
            session_id: String::new(),
            role: String::new(),
            seat: None,
            phase_at_welcome: Phase::Scheduled,
            last_seq_at_welcome: 0,
            last_seq: after,
            events: VecDeque::new(),
            request_prefix: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            next_request: 1,
            server_error: None,
            synced: false,
        };
        match client.next_frame(Duration::from_secs(10)).await? {
            ServerFrame::Welcome {
                session_id,
                role,
                seat,
                phase,
                last_seq,
                ..
            } => {
                client.session_id = session_id;
                client.role = role;
                client.seat = seat;
                client.phase_at_welcome = phase;
                client.last_seq_at_welcome = last_seq;
            }
            other => {
                return Err(ClientError::Protocol(format!(
                    "expected a welcome, got {other:?}"
                )));
            }
        }
        Ok(client)
    }

    /// Sends a request and waits for its reply; events arriving meanwhile are kept.
    pub async fn request(
        &mut self,
        request: &Request,
    ) -> Result<Result<Value, ReplyError>, ClientError> {
        let id = format!("r-{}-{}", self.request_prefix, self.next_request);
        self.next_request += 1;
        self.request_with_id(&id, request).await
    }

    /// The same with a request id of the caller's choosing (a retry reuses its id).
    pub async fn request_with_id(
        &mut self,
        id: &str,
        request: &Request,
    ) -> Result<Result<Value, ReplyError>, ClientError> {
        let mut frame = request.to_wire();
        frame.insert("v".into(), PROTOCOL_VERSION.into());
        frame.insert("id".into(), id.into());
        self.send_text(Value::Object(frame).to_string()).await?;
        loop {
            match self.next_frame(Duration::from_secs(30)).await? {
                ServerFrame::Reply {
                    id: reply_id,
                    ok,
                    result,
                    error,
                    ..
                } if reply_id == id => return Ok(reply_outcome(ok, result, error)),
                _ => continue,
            }
        }
    }

    /// Sends a raw text frame (tests send garbage with it).
    pub async fn send_text(&mut self, text: String) -> Result<(), ClientError> {
        self.socket.send(Message::text(text)).await?;
        Ok(())
    }

    /// Sends any websocket message (binary, oversize, pings).
    pub async fn send_message(&mut self, message: Message) -> Result<(), ClientError> {
        self.socket.send(message).await?;
        Ok(())
    }

    /// The next event, in order: one already received, or the next to arrive.
    pub async fn next_event(&mut self, timeout: Duration) -> Result<Event, ClientError> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(event);
            }
            self.next_frame(timeout).await?;
        }
    }

    /// The next event or reply, in the order they arrived (events already received first). For
    /// a client that reads its user's input while it listens, sending with
    /// [`SessionClient::send_text`]: [`SessionClient::request`] would hold it until the reply.
    pub(crate) async fn next_incoming(
        &mut self,
        timeout: Duration,
    ) -> Result<Incoming, ClientError> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Incoming::Event(event));
            }
            if let ServerFrame::Reply {
                id,
                ok,
                result,
                error,
                ..
            } = self.next_frame(timeout).await?
            {
                return Ok(Incoming::Reply {
                    id,
                    outcome: reply_outcome(ok, result, error),
                });
            }
        }
    }

    /// Events up to and including the first of `kind` (for which `matches` holds).
    pub async fn wait_for(
        &mut self,
        kind: &str,
        matches: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Result<Event, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(ClientError::Timeout(format!("a {kind} event")));
            }
            let event = self.next_event(left).await.map_err(|e| match e {
                ClientError::Timeout(_) => ClientError::Timeout(format!("a {kind} event")),
                other => other,
            })?;
            if event.kind == kind && matches(&event.data) {
                return Ok(event);
            }
        }
    }

    /// Every event received so far and not yet taken.
    pub fn drain_events(&mut self) -> Vec<Event> {
        self.events.drain(..).collect()
    }

    /// Reads until the server closes; returns its error frame's code, if it sent one.
    pub async fn closed_by_server(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<String>, ClientError> {
        loop {
            match self.next_frame(timeout).await {
                Ok(_) => continue,
                Err(ClientError::Closed { code, .. }) => {
                    return Ok(Some(code).filter(|c| !c.is_empty()));
                }
                Err(ClientError::Socket(_)) => return Ok(self.server_error.clone().map(|e| e.0)),
                Err(other) => return Err(other),
            }
        }
    }

    /// Closes the connection as RFC 6455 asks: a close frame, then reading until the server's
    /// answering close (for a few seconds at most). Dropping the socket with frames unread
    /// would reset the connection instead, which the server notices only at its next heartbeat.
    pub async fn close(mut self) {
        if self.socket.close(None).await.is_err() {
            return;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(Ok(_)) = self.socket.next().await {}
        })
        .await;
    }

    /// Reads one frame; events are queued, replies and welcomes returned.
    async fn next_frame(&mut self, timeout: Duration) -> Result<ServerFrame, ClientError> {
        loop {
            let message = tokio::time::timeout(timeout, self.socket.next())
                .await
                .map_err(|_| ClientError::Timeout("a frame".into()))?;
            let message = match message {
                None => {
                    let (code, detail) = self.server_error.clone().unwrap_or_default();
                    return Err(ClientError::Closed { code, detail });
                }
                Some(message) => message?,
            };
            let text = match message {
                Message::Text(text) => text,
                Message::Close(_) => {
                    let (code, detail) = self.server_error.clone().unwrap_or_default();
                    return Err(ClientError::Closed { code, detail });
                }
                _ => continue,
            };
            let frame: ServerFrame = serde_json::from_str(text.as_str())
                .map_err(|e| ClientError::Protocol(format!("{e}: {}", text.as_str())))?;
            match frame {
                ServerFrame::Event {
                    seq,
                    at,
                    kind,
                    data,
                    ..
                } => {
                    if seq <= self.last_seq {
                        return Err(ClientError::Protocol(format!(
                            "event {seq} repeated or out of order after {}",
                            self.last_seq
                        )));
                    }
                    self.last_seq = seq;
                    self.events.push_back(Event {
                        seq,
                        at,
                        kind,
                        data,
                    });
                    // Events are queued, not returned; reply waiters keep reading.
                    if self.events.len() > 100_000 {
                        return Err(ClientError::Protocol("too many unread events".into()));
                    }
                    return Ok(ServerFrame::Event {
                        v: PROTOCOL_VERSION,
                        seq,
                        at: String::new(),
                        kind: String::new(),
                        data: Value::Null,
                    });
                }
                ServerFrame::Error { code, detail, .. } => {
                    self.server_error = Some((code, detail));
                }
                synced @ ServerFrame::Synced { .. } => {
                    self.synced = true;
                    return Ok(synced);
                }
                other => return Ok(other),
            }
        }
    }
}

fn reply_outcome(
    ok: bool,
    result: Option<Value>,
    error: Option<ReplyError>,
) -> Result<Value, ReplyError> {
    if ok {
        Ok(result.unwrap_or(Value::Null))
    } else {
        Err(error.unwrap_or(ReplyError {
            code: "unknown".into(),
            detail: String::new(),
            field: None,
            missing: None,
        }))
    }
}
