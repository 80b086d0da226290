//! `sealdraw client`: the arguments; the client itself is [`crate::terminal::participant`].
//! `sealdraw client signing-key init` makes a member's key file, or a key on their PKCS#11
//! token (issue 19 §1).

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use crate::crypto::Rng;
use crate::crypto::member_key::{MemberPublicKey, MemberSigningKey, Passphrase};
use crate::crypto::member_token::{MemberSigner, MemberTokenKey, TokenKeyAddress};

/// Where a key file's passphrase may be given to a script instead of typed.
const PASSPHRASE_VARIABLE: &str = "SEALDRAW_SIGNING_KEY_PASSPHRASE";
/// Where a token's user PIN may be given to a script instead of typed (never an argument,
/// which every user of the machine can read in the process list).
const PIN_VARIABLE: &str = "SEALDRAW_PKCS11_PIN";

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
    /// Sign `sign` and `dissent` with this key file (from `signing-key init`), or with the
    /// key on a PKCS#11 token named `pkcs11:<token label>/<key label>` (its PIN from
    /// SEALDRAW_PKCS11_PIN, or asked for).
    #[arg(long, requires = "signing_key_id")]
    signing_key: Option<String>,
    /// The token's PKCS#11 library (its vendor's module), for a `pkcs11:` signing key.
    #[arg(long, env = "SEALDRAW_PKCS11_LIBRARY")]
    pkcs11_library: Option<PathBuf>,
    /// The id the server gave the key file's public key at enrolment
    /// (POST /api/v1/me/signing-keys).
    #[arg(long, requires = "signing_key")]
    signing_key_id: Option<String>,
    /// Read the key file's passphrase from this file (its first line) instead of asking
    /// (or SEALDRAW_SIGNING_KEY_PASSPHRASE).
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
    /// Make a new ECDSA P-256 key in a passphrase-protected PKCS#8 file (mode 0600), or on a
    /// PKCS#11 token (or take the token's key of that label), and print its public key and
    /// fingerprint, to enrol with POST /api/v1/me/signing-keys.
    Init {
        /// The key file to write; an existing file is never overwritten.
        #[arg(long, required_unless_present = "pkcs11", conflicts_with = "pkcs11")]
        out: Option<PathBuf>,
        /// The token key instead, `pkcs11:<token label>/<key label>` (the PIN from
        /// SEALDRAW_PKCS11_PIN, or asked for).
        #[arg(long)]
        pkcs11: Option<String>,
        /// The token's PKCS#11 library.
        #[arg(long, env = "SEALDRAW_PKCS11_LIBRARY", requires = "pkcs11")]
        pkcs11_library: Option<PathBuf>,
        /// Read the passphrase from this file (its first line) instead of asking twice.
        #[arg(long, conflicts_with = "pkcs11")]
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
            out: Some(out),
            passphrase_file,
            ..
        })) => return init_key_file(&out, passphrase_file.as_deref(), &Rng::system()),
        Some(ClientCommand::SigningKey(SigningKeyCommand::Init {
            pkcs11: Some(address),
            pkcs11_library,
            ..
        })) => {
            let address = token_address(&address)?;
            let library = pkcs11_library.context(
                "name the token's PKCS#11 library with --pkcs11-library or SEALDRAW_PKCS11_LIBRARY",
            )?;
            let (key, generated) = MemberTokenKey::open_or_generate(
                &library,
                &address,
                token_pin(&address)?,
                &Rng::system(),
            )?;
            if !generated {
                eprintln!("the token already holds {address}; its public key:");
            }
            print_public_key("pkcs11", key.public_key())?;
            drop(key);
            crate::crypto::module::finalize_all();
            return Ok(ExitCode::SUCCESS);
        }
        Some(ClientCommand::SigningKey(SigningKeyCommand::Init { .. })) => {
            anyhow::bail!("name the key file (--out) or the token key (--pkcs11)")
        }
        Some(ClientCommand::SigningKey(SigningKeyCommand::Show {
            file,
            passphrase_file,
        })) => {
            let key = read_key_file(&file, passphrase_file.as_deref())?;
            print_public_key("key_file", &key.public_key())?;
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    let token = Zeroizing::new(
        std::env::var("SEALDRAW_TOKEN")
            .context("set SEALDRAW_TOKEN to your bearer token (from POST /api/v1/auth/login)")?,
    );
    let signer = match (&args.signing_key, args.signing_key_id) {
        (Some(key), Some(id)) => match TokenKeyAddress::parse(key) {
            Some(address) => {
                let address = address.map_err(anyhow::Error::msg)?;
                let library = args.pkcs11_library.clone().context(
                    "name the token's PKCS#11 library with --pkcs11-library or \
                     SEALDRAW_PKCS11_LIBRARY",
                )?;
                let key = MemberTokenKey::open(&library, &address, token_pin(&address)?)?;
                Some((MemberSigner::Token(key), id))
            }
            None => Some((
                MemberSigner::KeyFile(read_key_file(
                    Path::new(key),
                    args.passphrase_file.as_deref(),
                )?),
                id,
            )),
        },
        _ => None,
    };
    let uses_token = matches!(signer, Some((MemberSigner::Token(_), _)));
    let outcome = crate::terminal::participant::run(
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
    );
    if uses_token {
        // The token's sessions are closed before the process exits (module.rs says why).
        crate::crypto::module::finalize_all();
    }
    outcome
}

fn token_address(text: &str) -> anyhow::Result<TokenKeyAddress> {
    TokenKeyAddress::parse(text)
        .unwrap_or_else(|| Err(format!("{text:?} is not pkcs11:<token label>/<key label>")))
        .map_err(anyhow::Error::msg)
}

/// The token's user PIN: from SEALDRAW_PKCS11_PIN, or typed on the terminal.
fn token_pin(address: &TokenKeyAddress) -> anyhow::Result<Zeroizing<String>> {
    if let Ok(pin) = std::env::var(PIN_VARIABLE) {
        return Ok(Zeroizing::new(pin));
    }
    let mut pin = prompt(&format!("user PIN of token {:?}: ", address.token))?;
    while pin.ends_with('\n') || pin.ends_with('\r') {
        pin.pop();
    }
    Ok(pin)
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
    print_public_key("key_file", &key.public_key())?;
    Ok(ExitCode::SUCCESS)
}

fn read_key_file(file: &Path, passphrase_file: Option<&Path>) -> anyhow::Result<MemberSigningKey> {
    let pem = Zeroizing::new(
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?,
    );
    let passphrase = match passphrase_file {
        Some(source) => passphrase_from_file(source)?,
        None => match std::env::var(PASSPHRASE_VARIABLE) {
            Ok(passphrase) => Passphrase::new(passphrase),
            Err(_) => {
                Passphrase::new(prompt(&format!("passphrase of {}: ", file.display()))?.to_string())
            }
        },
    };
    Ok(MemberSigningKey::from_encrypted_pem(&pem, &passphrase)?)
}

/// The public half as enrolment takes it, on one JSON line.
fn print_public_key(kind: &str, public: &MemberPublicKey) -> anyhow::Result<()> {
    let line = serde_json::json!({
        "kind": kind,
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
