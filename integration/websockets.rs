//! The session websocket against a participant who attacks it (issue 17): a frame header that
//! declares a gigabyte, more simultaneous connections than one account needs, and an Origin that
//! merely repeats the Host header.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use sealdraw::terminal::client::{ClientError, SessionClient};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestOptions;
use crate::sessions::{Committee, Mode, warn};

const WAIT: Duration = Duration::from_secs(20);
const MIB: usize = 1024 * 1024;

type TlsStream = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// Opens the session's websocket by hand (TLS, then the upgrade request written out), so the
/// test can write frame headers no websocket library would. Returns the stream and whatever
/// arrived after the response head.
async fn upgraded_by_hand(committee: &Committee, bearer: &str) -> (TlsStream, Vec<u8>) {
    let ticket: Value = committee.ticket(bearer).await.json().await.unwrap();
    let port = committee.fx.app.port;
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(committee.endpoint.tls.clone())
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    let request = format!(
        "GET {}?ticket={}&after=0 HTTP/1.1\r\nHost: localhost:{port}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        ticket["path"].as_str().unwrap(),
        ticket["ticket"].as_str().unwrap(),
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let head_end = loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(WAIT, tls.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the server closed before answering the upgrade");
        received.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).into_owned();
    assert!(head.starts_with("HTTP/1.1 101"), "not upgraded: {head}");
    (tls, received.split_off(head_end))
}

/// The next frame the server sends (servers do not mask): its opcode and payload, or `None`
/// once the connection ends.
async fn server_frame(
    reader: &mut (impl AsyncRead + Unpin),
    buffer: &mut Vec<u8>,
) -> Option<(u8, Vec<u8>)> {
    loop {
        if buffer.len() >= 2 {
            let (length, header) = match buffer[1] & 0x7f {
                126 if buffer.len() >= 4 => {
                    (u16::from_be_bytes([buffer[2], buffer[3]]) as usize, 4)
                }
                127 if buffer.len() >= 10 => (
                    u64::from_be_bytes(buffer[2..10].try_into().unwrap()) as usize,
                    10,
                ),
                126 | 127 => (usize::MAX, 0),
                short => (short as usize, 2),
            };
            if header > 0 && buffer.len() >= header + length {
                let opcode = buffer[0] & 0x0f;
                let payload = buffer[header..header + length].to_vec();
                buffer.drain(..header + length);
                return Some((opcode, payload));
            }
        }
        let mut chunk = [0u8; 16 * 1024];
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// This process's resident memory (the server runs in it).
fn resident_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test]
async fn a_frame_declaring_a_gigabyte_is_refused_at_its_header_and_what_follows_is_not_buffered() {
    // Alone in its process: the memory measured is the server's answer to this client.
    let committee = Committee::with_options(
        Mode::Distributed,
        5,
        1,
        TestOptions {
            measures_time: true,
            ..TestOptions::default()
        },
    )
    .await;
    let (stream, mut buffer) = upgraded_by_hand(&committee, &committee.members[0].bearer).await;
    let (mut reader, mut writer) = tokio::io::split(stream);
    let closed = Arc::new(tokio::sync::Notify::new());
    let close_code = tokio::spawn({
        let closed = closed.clone();
        async move {
            let mut code = None;
            while let Some((opcode, payload)) = server_frame(&mut reader, &mut buffer).await {
                if opcode == 0x8 {
                    code = payload
                        .get(..2)
                        .map(|bytes| u16::from_be_bytes([bytes[0], bytes[1]]));
                    closed.notify_one();
                }
            }
            // The connection itself has ended too.
            closed.notify_one();
            code
        }
    });

    // A masked text frame that declares 1 GiB, then its "payload" a mebibyte at a time.
    const STREAMED: usize = 128 * MIB;
    let baseline = resident_bytes();
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&(1u64 << 30).to_be_bytes());
    header.extend_from_slice(&[0x5a, 0xa5, 0x3c, 0xc3]);
    writer.write_all(&header).await.unwrap();
    let chunk = vec![0x20u8; MIB];
    let mut sent = 0;
    let mut peak = baseline;
    let mut refused_while_streaming = false;
    while sent < STREAMED {
        tokio::select! {
            written = writer.write_all(&chunk) => {
                if written.is_err() {
                    refused_while_streaming = true;
                    break;
                }
                sent += chunk.len();
            }
            _ = closed.notified() => {
                refused_while_streaming = true;
                break;
            }
        }
        peak = peak.max(resident_bytes());
    }
    // A wide margin: buffering what was streamed would need the whole of it.
    let growth = peak.saturating_sub(baseline);
    assert!(
        growth < 32 * MIB,
        "the server's memory grew by {} MiB while {} MiB were streamed",
        growth / MIB,
        sent / MIB
    );
    assert!(
        refused_while_streaming,
        "the server took all {} MiB of the declared gigabyte without refusing it",
        STREAMED / MIB
    );
    let code = tokio::time::timeout(WAIT, close_code)
        .await
        .expect("the server never ended the connection")
        .unwrap();
    assert_eq!(code, Some(1009), "closed as message too big");

    // The other participants are undisturbed.
    let mut supervisor = committee.connect(&committee.fx.supervisor).await;
    let mut member = committee.connect(&committee.members[1].bearer).await;
    warn(&mut supervisor, "still here").await;
    member
        .wait_for("warning", |d| d["text"] == "still here", WAIT)
        .await
        .unwrap();
}

/// Opens the websocket with a ticket already minted, keeping the refusal as a value.
async fn open_with(
    committee: &Committee,
    endpoint: &sealdraw::terminal::client::Endpoint,
    ticket: &Value,
) -> Result<SessionClient, ClientError> {
    SessionClient::connect(
        endpoint,
        ticket["path"].as_str().unwrap(),
        ticket["ticket"].as_str().unwrap(),
        0,
    )
    .await
    .inspect(|client| assert_eq!(client.session_id, committee.session_id))
}

#[tokio::test]
async fn an_account_holds_at_most_eight_session_connections_and_a_refused_upgrade_keeps_its_ticket()
{
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let bearer = &committee.members[0].bearer;
    let mut open = Vec::new();
    for _ in 0..8 {
        open.push(committee.connect(bearer).await);
    }
    let ticket: Value = committee.ticket(bearer).await.json().await.unwrap();
    match open_with(&committee, &committee.endpoint, &ticket).await {
        Err(ClientError::Refused { status, body }) => {
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS.as_u16(), "{body}");
            let problem: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(problem["type"], "urn:sealdraw:problem:too-many-connections");
            assert!(
                problem["detail"].as_str().unwrap().contains('8'),
                "{problem}"
            );
        }
        other => panic!("a ninth connection was not refused: {:?}", other.err()),
    }
    // Another account is not affected.
    let other = committee.connect(&committee.members[1].bearer).await;
    assert!(other.seat.is_some());

    // Once a tab closes, the same ticket opens the socket: the refusal did not spend it.
    open.pop().unwrap().close().await;
    let started = std::time::Instant::now();
    let reopened = loop {
        match open_with(&committee, &committee.endpoint, &ticket).await {
            Ok(client) => break client,
            Err(ClientError::Refused { status: 429, .. }) if started.elapsed() < WAIT => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(other) => panic!("the kept ticket did not open the socket: {other}"),
        }
    };
    assert_eq!(reopened.seat, open[0].seat);
}

#[tokio::test]
async fn an_origin_equal_to_the_host_is_refused_unless_it_is_on_the_allow_list() {
    let committee = Committee::with(Mode::Distributed, 5, 1, |settings| {
        settings.session.allowed_origins = vec!["https://console.example.gov.cn".into()];
    })
    .await;
    let bearer = &committee.members[0].bearer;
    // The client sends `Host: localhost:PORT`; a page claiming that very origin is not on the
    // list, and Host says nothing about who wrote the page.
    let host_origin = format!("https://localhost:{}", committee.fx.app.port);
    let mut same_as_host = committee.endpoint.clone();
    same_as_host.origin = Some(host_origin);
    let ticket: Value = committee.ticket(bearer).await.json().await.unwrap();
    match open_with(&committee, &same_as_host, &ticket).await {
        Err(ClientError::Refused { status, body }) => {
            assert_eq!(status, 403, "{body}");
            assert!(body.contains("origin-not-allowed"), "{body}");
        }
        other => panic!("an origin equal to Host was accepted: {:?}", other.err()),
    }
    // The listed console opens the socket, with the ticket the refusal left unspent.
    let mut console = committee.endpoint.clone();
    console.origin = Some("https://console.example.gov.cn".into());
    open_with(&committee, &console, &ticket)
        .await
        .unwrap()
        .close()
        .await;
}
