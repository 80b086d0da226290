//! The gateways that carry a message out of sealdraw.
//!
//! `webhook`: `POST` of JSON `{"id", "phone", "template", "params"}` to the platform over HTTPS,
//! trusting only the configured CA, with
//!
//! - `Idempotency-Key: <outbox id>` (the same on every attempt for one notification),
//! - `X-Sealdraw-Timestamp: <unix seconds>`,
//! - `X-Sealdraw-Signature: hex(HMAC-SHA256(secret, timestamp ‖ "." ‖ body))`.
//!
//! A 2xx answer is acceptance; 408, 429, 5xx and transport errors are retried; any other 4xx is
//! a permanent refusal. The answer's body is never read into logs or reasons (a platform may
//! echo the phone number).
//!
//! `log`: appends one JSON line per message to a file (mode 0600), the phone number masked but
//! for its last four digits. For development only: the file is the message channel, so it holds
//! the template parameters, including one-time codes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use zeroize::Zeroizing;

use super::TemplateParams;
use crate::clock::{Millis, to_rfc3339};
use crate::config::{NotifyGateway, NotifySettings};
use crate::tls;

pub(crate) const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
pub const TIMESTAMP_HEADER: &str = "X-Sealdraw-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Sealdraw-Signature";

/// One message as the worker hands it to a gateway. No `Debug`: it holds the phone number.
pub(crate) struct Message {
    /// The outbox id: the idempotency key.
    pub id: String,
    pub(crate) phone: Zeroizing<String>,
    pub template: String,
    pub params: TemplateParams,
}

/// Why a send did not succeed. Reasons are short and hold no secret (no phone, no parameter,
/// no answer body): they go into the outbox row, the audit entry and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendError {
    /// Worth trying again later.
    Retry(String),
    /// The platform refused the message itself; trying again would not help.
    Permanent(String),
}

impl SendError {
    pub(crate) fn reason(&self) -> &str {
        match self {
            Self::Retry(reason) | Self::Permanent(reason) => reason,
        }
    }
}

pub enum Gateway {
    Webhook {
        url: reqwest::Url,
        secret: SecretString,
        client: reqwest::Client,
    },
    Log {
        path: PathBuf,
    },
}

impl Gateway {
    /// From `[notify]` settings (already validated).
    pub(crate) fn from_settings(
        settings: &NotifySettings,
        data_dir: &Path,
    ) -> anyhow::Result<Self> {
        match settings.gateway {
            NotifyGateway::Log => Ok(Self::Log {
                path: settings.log_path(data_dir),
            }),
            NotifyGateway::Webhook => {
                let url = settings
                    .webhook_url
                    .as_deref()
                    .context("notify.webhook_url is required")?;
                let url = reqwest::Url::parse(url).context("notify.webhook_url")?;
                let secret = settings
                    .webhook_secret
                    .clone()
                    .context("notify.webhook_secret is required")?;
                let ca = settings
                    .webhook_ca
                    .as_deref()
                    .context("notify.webhook_ca is required")?;
                let timeout = Duration::from_secs(settings.timeout_secs);
                let client = reqwest::Client::builder()
                    .use_preconfigured_tls(tls::client_config(ca)?)
                    .https_only(true)
                    .redirect(reqwest::redirect::Policy::none())
                    .connect_timeout(timeout)
                    .timeout(timeout)
                    .build()
                    .context("cannot build the notification webhook's HTTPS client")?;
                Ok(Self::Webhook {
                    url,
                    secret,
                    client,
                })
            }
        }
    }

    /// A bounded label for metrics and audit entries.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Webhook { .. } => "webhook",
            Self::Log { .. } => "log",
        }
    }

    /// Sends one message; `now` stamps the signature (webhook) or the line (log).
    pub(crate) async fn send(&self, message: &Message, now: Millis) -> Result<(), SendError> {
        match self {
            Self::Webhook {
                url,
                secret,
                client,
            } => send_webhook(client, url, secret, message, now).await,
            Self::Log { path } => append_line(path, message, now).await,
        }
    }
}

#[derive(Serialize)]
struct WebhookBody<'a> {
    id: &'a str,
    phone: &'a str,
    template: &'a str,
    params: &'a std::collections::BTreeMap<String, String>,
}

/// The signature over `timestamp` and `body` the platform checks, as lower-case hex.
pub(crate) fn signature(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    hex::encode(crate::crypto::interop_hmac_sha256(
        secret,
        &[timestamp.as_bytes(), b".", body],
    ))
}

/// The signature the platform puts on a callback to us (a keypad answer): the same HMAC, over
/// `"callback." timestamp "." body`, so no message we sign can be replayed back to us as one.
pub fn callback_signature(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    signature(secret, &format!("callback.{timestamp}"), body)
}

async fn send_webhook(
    client: &reqwest::Client,
    url: &reqwest::Url,
    secret: &SecretString,
    message: &Message,
    now: Millis,
) -> Result<(), SendError> {
    let body = Zeroizing::new(
        serde_json::to_vec(&WebhookBody {
            id: &message.id,
            phone: &message.phone,
            template: &message.template,
            params: message.params.as_map(),
        })
        .map_err(|_| SendError::Permanent("the message cannot be encoded".into()))?,
    );
    let timestamp = now.div_euclid(1000).to_string();
    let signature = signature(secret.expose_secret().as_bytes(), &timestamp, &body);
    // reqwest takes the body by value into a buffer it does not wipe; that copy lives only for
    // the request.
    let response = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(IDEMPOTENCY_KEY, &message.id)
        .header(TIMESTAMP_HEADER, timestamp)
        .header(SIGNATURE_HEADER, signature)
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| SendError::Retry(transport_reason(e)))?;
    let status = response.status();
    drop(response);
    if status.is_success() {
        Ok(())
    } else if status == reqwest::StatusCode::REQUEST_TIMEOUT
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || !status.is_client_error()
    {
        Err(SendError::Retry(format!("status {}", status.as_u16())))
    } else {
        Err(SendError::Permanent(format!(
            "refused with status {}",
            status.as_u16()
        )))
    }
}

/// reqwest's error without the URL, with its causes (refused connection, untrusted
/// certificate), cut short.
fn transport_reason(error: reqwest::Error) -> String {
    let prefix = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else {
        "transport"
    };
    let error = error.without_url();
    let mut text = format!("{prefix}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    short(&text)
}

/// At most 200 characters, no control characters.
pub(crate) fn short(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[derive(Serialize)]
struct LogLine<'a> {
    id: &'a str,
    time: String,
    phone: &'a str,
    template: &'a str,
    params: &'a std::collections::BTreeMap<String, String>,
}

async fn append_line(path: &Path, message: &Message, now: Millis) -> Result<(), SendError> {
    let masked = mask_phone(&message.phone);
    let mut line = Zeroizing::new(
        serde_json::to_vec(&LogLine {
            id: &message.id,
            time: to_rfc3339(now),
            phone: &masked,
            template: &message.template,
            params: message.params.as_map(),
        })
        .map_err(|_| SendError::Permanent("the message cannot be encoded".into()))?,
    );
    line.push(b'\n');
    let io = |e: std::io::Error| SendError::Retry(short(&format!("log file: {e}")));
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        tokio::fs::create_dir_all(parent).await.map_err(io)?;
    }
    let mut options = tokio::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await.map_err(io)?;
    file.write_all(&line).await.map_err(io)?;
    file.sync_data().await.map_err(io)?;
    Ok(())
}

/// `*******1234`: only the last four digits stay.
pub(crate) fn mask_phone(phone: &str) -> String {
    let count = phone.chars().count();
    phone
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < count { '*' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{mask_phone, signature};

    #[test]
    fn phones_are_masked_but_for_the_last_four_digits() {
        assert_eq!(mask_phone("13912345678"), "*******5678");
        assert_eq!(mask_phone("123"), "123");
    }

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        let secret = [7u8; 32];
        let one = signature(&secret, "1764000000", b"{}");
        assert_eq!(one.len(), 64);
        assert_ne!(one, signature(&secret, "1764000001", b"{}"));
        assert_ne!(one, signature(&secret, "1764000000", b"{ }"));
        assert_eq!(
            one,
            hex::encode(crate::crypto::interop_hmac_sha256(
                &secret,
                &[b"1764000000.{}"]
            ))
        );
    }
}
