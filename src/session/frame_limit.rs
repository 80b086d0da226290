//! Refuses a client's websocket frame by the length its header declares, before any of its
//! payload is read.
//!
//! actix-http's websocket codec (3.11, under actix-ws) compares a frame's length with
//! `max_frame_size` only once the whole declared frame has arrived, buffering it meanwhile, and
//! has no setting to compare earlier: a participant who declared a gigabyte and streamed it grew
//! the server by as much (issue 17). So the request payload passes through [`FrameLimit`] on its
//! way to actix-ws: it follows the frame boundaries in the bytes going by (reading only the
//! headers, 2–14 bytes each, and counting off payloads without looking at them) and, at the
//! first header that declares more than the limit, passes on the bytes before that header and
//! then ends the stream with [`PayloadError::Overflow`]. actix-ws reports that error
//! ([`is_refusal`] recognises it) and the connection is closed with 1009 (message too big). No
//! byte of a refused frame's payload is passed on or kept (what follows the refusal is read and
//! dropped while the connection closes), so a connection holds at most one frame of the
//! permitted size however much a client declares.
//!
//! Parsing the headers a second time costs a few comparisons per frame; replacing actix-ws's
//! message stream would mean keeping a copy of its codec instead.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_ws::ProtocolError;
use futures_util::Stream;

/// The request payload of a websocket, cut at the first frame declared longer than `limit`.
pub(crate) struct FrameLimit<S> {
    payload: S,
    limit: u64,
    state: State,
}

enum State {
    /// Reading a frame header: its bytes so far.
    Header { bytes: [u8; 14], seen: usize },
    /// Inside a payload: bytes still to pass before the next header.
    Payload { remaining: u64 },
    /// A header declared too much; the bytes before it have been passed on.
    Refusing,
    /// The refusal has been reported: what arrives now is read and dropped while the
    /// connection closes (`connection::linger`), so that the client can read the close.
    Refused,
}

impl State {
    fn header() -> Self {
        State::Header {
            bytes: [0; 14],
            seen: 0,
        }
    }
}

/// A complete frame header's length (2 to 14 bytes) and the payload length it declares, or
/// `None` while `header` is too short to tell.
fn declared(header: &[u8]) -> Option<(usize, u64)> {
    let second = *header.get(1)?;
    let masked = if second & 0x80 != 0 { 4 } else { 0 };
    let (extended, length) = match second & 0x7f {
        126 => (
            2,
            u64::from(u16::from_be_bytes(header.get(2..4)?.try_into().ok()?)),
        ),
        127 => (8, u64::from_be_bytes(header.get(2..10)?.try_into().ok()?)),
        short => (0, u64::from(short)),
    };
    Some((2 + extended + masked, length))
}

impl<S> FrameLimit<S> {
    pub(crate) fn new(payload: S, limit: usize) -> Self {
        Self {
            payload,
            limit: limit as u64,
            state: State::header(),
        }
    }

    /// Follows the frames in `chunk`. `Err(keep)` when a header declares more than the limit:
    /// `keep` bytes of the chunk come before that header (0 when it began in an earlier chunk).
    fn follow(&mut self, chunk: &[u8]) -> Result<(), usize> {
        let mut at = 0;
        while at < chunk.len() {
            match &mut self.state {
                State::Payload { remaining } => {
                    let passed = (*remaining).min((chunk.len() - at) as u64);
                    *remaining -= passed;
                    at += passed as usize;
                    if *remaining == 0 {
                        self.state = State::header();
                    }
                }
                State::Header { bytes, seen } => {
                    let started = at.saturating_sub(*seen);
                    bytes[*seen] = chunk[at];
                    *seen += 1;
                    at += 1;
                    // The length is known before the masking key has arrived: refuse at once.
                    if let Some((header_length, length)) = declared(&bytes[..*seen]) {
                        if length > self.limit {
                            return Err(started);
                        }
                        if *seen == header_length {
                            self.state = if length == 0 {
                                State::header()
                            } else {
                                State::Payload { remaining: length }
                            };
                        }
                    }
                }
                State::Refusing | State::Refused => return Err(0),
            }
        }
        Ok(())
    }
}

impl<S> Stream for FrameLimit<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.state {
            State::Refusing => {
                this.state = State::Refused;
                return Poll::Ready(Some(Err(PayloadError::Overflow)));
            }
            State::Refused => loop {
                match ready!(Pin::new(&mut this.payload).poll_next(cx)) {
                    Some(Ok(_)) => {}
                    other => return Poll::Ready(other),
                }
            },
            State::Header { .. } | State::Payload { .. } => {}
        }
        let item = ready!(Pin::new(&mut this.payload).poll_next(cx));
        Poll::Ready(match item {
            Some(Ok(chunk)) => match this.follow(&chunk) {
                Ok(()) => Some(Ok(chunk)),
                Err(0) => {
                    this.state = State::Refused;
                    Some(Err(PayloadError::Overflow))
                }
                Err(keep) => {
                    this.state = State::Refusing;
                    Some(Ok(chunk.slice(..keep)))
                }
            },
            other => other,
        })
    }
}

/// Whether actix-ws's error is [`FrameLimit`]'s refusal (it wraps payload errors in an I/O
/// error).
pub(crate) fn is_refusal(error: &ProtocolError) -> bool {
    match error {
        ProtocolError::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<PayloadError>())
            .is_some_and(|inner| matches!(inner, PayloadError::Overflow)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    /// A masked client frame header declaring `length`.
    fn header(length: u64) -> Vec<u8> {
        let mut bytes = vec![0x81];
        match length {
            0..=125 => bytes.push(0x80 | length as u8),
            126..=0xffff => {
                bytes.push(0x80 | 126);
                bytes.extend_from_slice(&(length as u16).to_be_bytes());
            }
            _ => {
                bytes.push(0x80 | 127);
                bytes.extend_from_slice(&length.to_be_bytes());
            }
        }
        bytes.extend_from_slice(&[1, 2, 3, 4]);
        bytes
    }

    fn frame(length: usize) -> Vec<u8> {
        let mut bytes = header(length as u64);
        bytes.extend(std::iter::repeat_n(b'x', length));
        bytes
    }

    /// What comes out when `chunks` go in: the bytes passed on, and whether it ended refused.
    async fn through(chunks: Vec<Vec<u8>>, limit: usize) -> (Vec<u8>, bool) {
        let payload = futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|chunk| Ok::<_, PayloadError>(Bytes::from(chunk))),
        );
        let mut limited = FrameLimit::new(payload, limit);
        let mut passed = Vec::new();
        while let Some(item) = limited.next().await {
            match item {
                Ok(bytes) => passed.extend_from_slice(&bytes),
                Err(PayloadError::Overflow) => {
                    assert!(limited.next().await.is_none(), "no byte after the refusal");
                    return (passed, true);
                }
                Err(other) => panic!("unexpected {other}"),
            }
        }
        (passed, false)
    }

    #[tokio::test]
    async fn frames_within_the_limit_pass_unchanged_however_they_are_split() {
        let stream: Vec<u8> = [
            frame(0),
            frame(125),
            frame(126),
            frame(1_000),
            frame(16_384),
        ]
        .concat();
        for size in [1, 2, 3, 7, 14, 1_000, stream.len()] {
            let chunks = stream.chunks(size).map(<[u8]>::to_vec).collect();
            assert_eq!(
                through(chunks, 16_384).await,
                (stream.clone(), false),
                "{size}"
            );
        }
    }

    #[tokio::test]
    async fn a_header_declaring_too_much_ends_the_stream_after_the_frames_before_it() {
        let good = [frame(10), frame(300)].concat();
        let mut stream = good.clone();
        stream.extend(header(1 << 30));
        stream.extend(std::iter::repeat_n(0u8, 100_000));
        for size in [1, 5, 13, 4_096, stream.len()] {
            let chunks = stream.chunks(size).map(<[u8]>::to_vec).collect();
            let (passed, refused) = through(chunks, 16_384).await;
            assert!(refused, "{size}");
            // At most the refused header's bytes up to its length field went on; no payload.
            assert!(passed.starts_with(&good), "{size}");
            assert!(passed.len() <= good.len() + 10, "{size}: {}", passed.len());
        }
    }

    #[tokio::test]
    async fn each_length_encoding_is_compared_with_the_limit() {
        for (length, refused) in [(125, false), (126, true), (1_024, true), (70_000, true)] {
            let (_, was) = through(vec![frame(length)], 125).await;
            assert_eq!(was, refused, "{length}");
        }
        // A 64-bit length with its top bit set (invalid) is a refusal too, not a wrap-around.
        let mut huge = vec![0x81, 0x80 | 127];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(through(vec![huge], 16_384).await.1);
    }

    #[test]
    fn only_the_limits_refusal_is_recognised() {
        let refusal = ProtocolError::Io(std::io::Error::other(PayloadError::Overflow));
        assert!(is_refusal(&refusal));
        let other = ProtocolError::Io(std::io::Error::other(PayloadError::Incomplete(None)));
        assert!(!is_refusal(&other));
        assert!(!is_refusal(&ProtocolError::Overflow));
    }
}
