//! The security headers on the answers that never reach the application.
//!
//! actix-http writes a few answers by itself, below every middleware: `408` when a request head
//! is too slow, `431` when it is too large, `400` when it does not parse. They carried no
//! security headers. This stream, between TLS and actix-http, adds them: such an answer is
//! always the last thing written on its connection, a bare head with no body, and the only
//! head without the headers [`crate::web::security_headers`] puts on every application response.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection's byte stream that adds [`crate::web::SECURITY_HEADERS`] to bare answers.
pub(crate) struct SecuredStream<T> {
    inner: T,
    /// A rewritten answer not yet fully written to `inner`.
    pending: Vec<u8>,
}

impl<T> SecuredStream<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self {
            inner,
            pending: Vec::new(),
        }
    }

    pub(crate) fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: AsyncWrite + Unpin> SecuredStream<T> {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let written = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..written);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for SecuredStream<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for SecuredStream<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        match with_security_headers(buf) {
            Some(secured) => {
                // The caller's bytes are taken whole; the rewritten ones follow on the next
                // write, flush or shutdown if they do not all go now.
                this.pending = secured;
                if let Poll::Ready(Err(error)) = this.poll_pending(cx) {
                    return Poll::Ready(Err(error));
                }
                Poll::Ready(Ok(buf.len()))
            }
            None => Pin::new(&mut this.inner).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// `buf` with the security headers added to its last response head, if that head ends `buf`,
/// answers with an error status and lacks them (one of actix-http's own answers).
fn with_security_headers(buf: &[u8]) -> Option<Vec<u8>> {
    const END: &[u8] = b"\r\n\r\n";
    if !buf.ends_with(END) {
        return None;
    }
    let start = buf.windows(7).rposition(|window| window == b"HTTP/1.")?;
    let head = &buf[start..];
    let status = head.get(9)?;
    let only_blank_line_at_end = head.windows(4).position(|w| w == END) == Some(head.len() - 4);
    if !matches!(status, b'4' | b'5') || !only_blank_line_at_end {
        return None;
    }
    // Any one of the headers tells an application response.
    let marker = b"\r\nx-content-type-options:";
    if head
        .to_ascii_lowercase()
        .windows(marker.len())
        .any(|window| window == marker)
    {
        return None;
    }
    let mut secured = Vec::with_capacity(buf.len() + 512);
    secured.extend_from_slice(&buf[..buf.len() - 2]);
    for (name, value) in crate::web::SECURITY_HEADERS {
        secured.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    secured.extend_from_slice(b"\r\n");
    Some(secured)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: &[u8] = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\ndate: Wed, 25 Nov 2026 00:00:00 GMT\r\n\r\n";

    #[test]
    fn a_bare_error_answer_gets_the_headers_before_its_blank_line() {
        let secured = String::from_utf8(with_security_headers(TIMEOUT).unwrap()).unwrap();
        assert!(secured.starts_with("HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n"));
        assert!(
            secured.ends_with("cache-control: no-store\r\n\r\n"),
            "{secured}"
        );
        assert_eq!(secured.matches("\r\n\r\n").count(), 1);
        for (name, value) in crate::web::SECURITY_HEADERS {
            assert!(
                secured.contains(&format!("\r\n{name}: {value}\r\n")),
                "{name}"
            );
        }
    }

    #[test]
    fn only_the_last_head_of_a_write_is_rewritten() {
        let mut both = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec();
        both.extend_from_slice(TIMEOUT);
        let secured = with_security_headers(&both).unwrap();
        assert!(secured.starts_with(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 408"));
    }

    #[test]
    fn application_answers_and_bodies_are_left_alone() {
        let application = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nX-Content-Type-Options: nosniff\r\n\r\n";
        assert!(with_security_headers(application).is_none());
        assert!(with_security_headers(b"HTTP/1.1 204 No Content\r\n\r\n").is_none());
        assert!(with_security_headers(b"{\"a\":1}").is_none());
        assert!(with_security_headers(b"HTTP/1.1 400 Bad\r\n\r\ntail\r\n\r\n").is_none());
    }
}
