//! `sealdraw draw contribute`: a draw's center or a supervisor sends randomness from this
//! machine's CSPRNG to the draw over HTTPS, with the bearer token from SEALDRAW_TOKEN.

use anyhow::{Context, bail};
use zeroize::Zeroizing;

use crate::crypto::Rng;

/// 32 bytes from the operating system's generator, sent as hex; answers a one-line summary.
pub(crate) fn contribute(
    draw_id: &str,
    server: &str,
    ca: &std::path::Path,
) -> anyhow::Result<String> {
    let token = Zeroizing::new(
        std::env::var("SEALDRAW_TOKEN")
            .context("set SEALDRAW_TOKEN to your bearer token (from POST /api/v1/auth/login)")?,
    );
    if draw_id.is_empty()
        || !draw_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        bail!("{draw_id:?} is not a draw id");
    }
    let entropy = Rng::system()
        .bytes::<32>()
        .map_err(|_| anyhow::anyhow!("the operating system's random generator failed"))?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(crate::tls::client_config(ca)?)
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("cannot build the HTTPS client")?;
    let url = format!(
        "{}/api/v1/draws/{draw_id}/entropy",
        server.trim_end_matches('/')
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (status, body) = runtime.block_on(async {
        let response = client
            .post(&url)
            .bearer_auth(token.as_str())
            .json(&serde_json::json!({ "entropy": hex::encode(entropy) }))
            .send()
            .await
            .with_context(|| format!("cannot reach {server}"))?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        anyhow::Ok((status, body))
    })?;
    if !status.is_success() {
        bail!(
            "{status}: {}",
            body["detail"]
                .as_str()
                .unwrap_or("the server refused the contribution")
        );
    }
    let seats = body["seats"].as_array().map_or(0, Vec::len);
    Ok(format!(
        "contributed 32 random bytes to draw {draw_id}: status {}, {} contribution(s), {seats} \
         candidate seat(s)",
        body["status"].as_str().unwrap_or("?"),
        body["contributions"].as_array().map_or(0, Vec::len),
    ))
}
