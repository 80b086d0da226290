//! `sealdraw serve`, `migrate`, `check-config` and `dev-certs`: the server itself, its database
//! and settings, and development certificates.

use std::path::Path;
use std::sync::Arc;

use super::Installation;
use crate::clock::{Clock, SharedClock, SystemClock};
use crate::config::{Profile, Settings};
use crate::crypto::Rng;
use crate::startup::{self, Application};

pub(super) fn serve(installation: Installation, dev: bool) -> anyhow::Result<()> {
    let Installation {
        mut settings,
        runtime,
    } = installation;
    if dev {
        settings.profile = Profile::Dev;
        if std::env::var_os("SEALDRAW__TELEMETRY__LOG_FORMAT").is_none() {
            settings.telemetry.log_format = "pretty".into();
        }
    }
    crate::telemetry::init_logging(
        &settings.telemetry.log_filter,
        &settings.telemetry.log_format,
        std::io::stdout,
    );
    runtime.block_on(run_until_stopped(settings))
}

async fn run_until_stopped(settings: Settings) -> anyhow::Result<()> {
    let clock: SharedClock = Arc::new(SystemClock);
    let dev = settings.profile == Profile::Dev;
    let mut application = Application::build(settings, clock, Rng::system()).await?;
    if dev {
        let bootstrap = application.take_bootstrap_admin();
        startup::print_dev_banner(application.address(), bootstrap.as_ref());
    }
    application.run_until_stopped().await?;
    Ok(())
}

pub(super) fn migrate(installation: Installation) -> anyhow::Result<()> {
    let Installation { settings, runtime } = installation;
    runtime.block_on(async {
        settings.validate_database()?;
        startup::connect_store(&settings).await?;
        println!("migrations applied");
        Ok(())
    })
}

pub(super) fn check_config(installation: Installation) -> anyhow::Result<()> {
    let settings = installation.settings;
    settings.validate()?;
    crate::startup::member_certificate_authorities(&settings)?;
    crate::startup::fee_standard(&settings)?;
    println!(
        "settings are valid (profile {:?}, database {})",
        settings.profile,
        redacted_url(&settings)
    );
    Ok(())
}

fn redacted_url(settings: &Settings) -> String {
    let url = settings.database_url();
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url,
    }
}

pub(super) fn dev_certs(out: &Path, clients: &[String]) -> anyhow::Result<()> {
    let names: Vec<&str> = clients.iter().map(String::as_str).collect();
    let certificates = crate::tls::dev::generate(out, &names, SystemClock.now_millis())
        .map_err(anyhow::Error::msg)?;
    println!(
        "wrote development certificates to {}",
        certificates.dir.display()
    );
    println!("  CA to trust: {}", certificates.ca().display());
    Ok(())
}
