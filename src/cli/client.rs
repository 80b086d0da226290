//! `sealdraw client`: the arguments; the client itself is [`crate::terminal::participant`].

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use zeroize::Zeroizing;

#[derive(Args)]
pub(super) struct ClientArgs {
    /// The server, e.g. https://sealdraw.example:8443
    #[arg(long)]
    server: String,
    /// PEM bundle of the CA(s) that issue the server's certificate: then the only roots
    /// trusted. Without it, the platform's roots.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// The session's id.
    #[arg(long)]
    session: String,
    /// Resume after this event number (events after it are replayed first).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
    after: i64,
    /// An Origin header to send (only needed where the server checks one).
    #[arg(long)]
    origin: Option<String>,
    /// Run the commands of this file, each after the previous one is answered (as with
    /// standard input that is not a terminal).
    #[arg(long)]
    script: Option<PathBuf>,
    /// With a script: exit with status 1 at the first refused request or bad line.
    #[arg(long)]
    strict: bool,
}

pub(super) fn run(args: ClientArgs) -> anyhow::Result<ExitCode> {
    let token = Zeroizing::new(
        std::env::var("SEALDRAW_TOKEN")
            .context("set SEALDRAW_TOKEN to your bearer token (from POST /api/v1/auth/login)")?,
    );
    crate::terminal::participant::run(
        crate::terminal::participant::Options {
            server: args.server,
            ca: args.ca,
            session: args.session,
            after: args.after,
            origin: args.origin,
            script: args.script,
            strict: args.strict,
        },
        token,
    )
}
