//! `sealdraw client`: the arguments; the client itself is [`crate::terminal::participant`].
//! `sealdraw client signing-key init` makes a member's key file (issue 19 §1).

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use crate::crypto::Rng;
use crate::crypto::member_key::{MemberSigningKey, Passphrase};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(super) struct ClientArgs {
    #[command(subcommand)]
    command: Option<ClientCommand>,
    /// The server, e.g. https://sealdraw.example:8443
    #[arg(long, required = true)]
    server: Option<String>,
    /// PEM bundle of the CA(s) that issue the server's certificate: then the only roots
    /// trusted. Without it, the platform's roots.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// The session's id.
    #[arg(long, required = true)]
    session: Option<String>,
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
    /// Sign `sign` and `dissent` with this key file (from `signing-key init`).
    #[arg(long, requires = "signing_key_id")]
    signing_key: Option<PathBuf>,
    /// The id the server gave the key file's public key at enrolment
    /// (POST /api/v1/me/signing-keys).
    #[arg(long, requires = "signing_key")]
    signing_key_id: Option<String>,
    /// Read the key file's passphrase from this file (its first line) instead of asking.
    #[arg(long, requires = "signing_key")]
    passphrase_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ClientCommand {
    /// A committee member's key for signing evaluation reports.
    #[command(subcommand)]
    SigningKey(SigningKeyCommand),
}

#[derive(Subcommand)]
enum SigningKeyCommand {
    /// Make a new ECDSA P-256 key in a passphrase-protected PKCS#8 file (mode 0600) and print
    /// its public key and fingerprint, to enrol with POST /api/v1/me/signing-keys.
    Init {
        /// The key file to write; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
        /// Read the passphrase from this file (its first line) instead of asking twice.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// Print a key file's public key and fingerprint (asks for its passphrase).
    Show {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
}

pub(super) fn run(args: ClientArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(ClientCommand::SigningKey(SigningKeyCommand::Init {
            out,
            passphrase_file,
        })) => return init_key_file(&out, passphrase_file.as_deref(), &Rng::system()),
        Some(ClientCommand::SigningKey(SigningKeyCommand::Show {
            file,
            passphrase_file,
        })) => {
            let key = read_key_file(&file, passphrase_file.as_deref())?;
            print_public_key(&key)?;
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    let token = Zeroizing::new(
        std::env::var("SEALDRAW_TOKEN")
            .context("set SEALDRAW_TOKEN to your bearer token (from POST /api/v1/auth/login)")?,
    );
    let signer = match (&args.signing_key, args.signing_key_id) {
        (Some(file), Some(id)) => Some((read_key_file(file, args.passphrase_file.as_deref())?, id)),
        _ => None,
    };
    crate::terminal::participant::run(
        crate::terminal::participant::Options {
            server: args.server.context("--server is required")?,
            ca: args.ca,
            session: args.session.context("--session is required")?,
            after: args.after,
            origin: args.origin,
            script: args.script,
            strict: args.strict,
            signer,
        },
        token,
    )
}

fn init_key_file(
    out: &Path,
    passphrase_file: Option<&Path>,
    rng: &Rng,
) -> anyhow::Result<ExitCode> {
    if out.exists() {
        anyhow::bail!("{} exists; a key file is never overwritten", out.display());
    }
    let passphrase = match passphrase_file {
        Some(file) => passphrase_from_file(file)?,
        None => {
            let first = prompt("passphrase for the new key file: ")?;
            let again = prompt("the same passphrase again: ")?;
            if first.as_str() != again.as_str() {
                anyhow::bail!("the two passphrases differ; nothing was written");
            }
            Passphrase::new(first.to_string())
        }
    };
    let key = MemberSigningKey::generate(rng)?;
    let pem = key.to_encrypted_pem(&passphrase, rng)?;
    crate::crypto::member_key::write_key_file(out, &pem)
        .with_context(|| format!("cannot write {}", out.display()))?;
    print_public_key(&key)?;
    Ok(ExitCode::SUCCESS)
}

fn read_key_file(file: &Path, passphrase_file: Option<&Path>) -> anyhow::Result<MemberSigningKey> {
    let pem = Zeroizing::new(
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?,
    );
    let passphrase = match passphrase_file {
        Some(source) => passphrase_from_file(source)?,
        None => {
            Passphrase::new(prompt(&format!("passphrase of {}: ", file.display()))?.to_string())
        }
    };
    Ok(MemberSigningKey::from_encrypted_pem(&pem, &passphrase)?)
}

/// The public half as enrolment takes it, on one JSON line.
fn print_public_key(key: &MemberSigningKey) -> anyhow::Result<()> {
    let public = key.public_key();
    let line = serde_json::json!({
        "kind": "key_file",
        "algorithm": crate::crypto::member_key::ALGORITHM,
        "public_key": public.to_base64(),
        "fingerprint": public.fingerprint(),
    });
    writeln!(std::io::stdout(), "{line}")?;
    Ok(())
}

fn passphrase_from_file(file: &Path) -> anyhow::Result<Passphrase> {
    let text = Zeroizing::new(
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?,
    );
    let first = text.lines().next().unwrap_or_default();
    Ok(Passphrase::new(first.to_owned()))
}

/// Asks on the terminal, not on standard input, which carries the session's commands. The
/// terminal's echo is turned off with `stty` while the passphrase is typed.
fn prompt(question: &str) -> anyhow::Result<Zeroizing<String>> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("no terminal to ask for the passphrase on; use --passphrase-file")?;
    eprint!("{question}");
    let echo = |on: bool| {
        std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(
                tty.try_clone()
                    .map(std::process::Stdio::from)
                    .unwrap_or(std::process::Stdio::null()),
            )
            .status()
    };
    let _ = echo(false);
    let mut line = Zeroizing::new(String::new());
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    let _ = echo(true);
    eprintln!();
    read.context("cannot read the passphrase")?;
    Ok(line)
}
