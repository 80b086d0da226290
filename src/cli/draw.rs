//! `sealdraw draw …`: offline, so it needs neither settings nor a database nor the key file.
//! `verify` checks a published draw record; `contribute` sends this machine's randomness to a
//! draw with [`crate::terminal::entropy`].

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;

use super::{EXIT_UNUSABLE_INPUT, vkey_text};
use crate::audit::note::NoteVerifier;
use crate::terminal::entropy;

#[derive(Subcommand)]
pub(super) enum DrawCommand {
    /// Verify a published draw record (GET /api/v1/draws/{id}/record) against the audit log's
    /// verifier key(s): the draw itself (DRAW-SPEC §9) and the log proofs of its intent, result
    /// and replacements (§9a). Exit 0 verified, 1 verification failed, 2 unusable input.
    Verify {
        /// The record's JSON file; `-` reads standard input.
        record: PathBuf,
        /// A log verifier key (vkey text, or a file holding it); repeat during a key rotation.
        #[arg(long = "vkey")]
        vkeys: Vec<String>,
        /// A file of log verifier keys, one per line, as `sealdraw audit key` prints them.
        #[arg(long = "vkey-file")]
        vkey_files: Vec<PathBuf>,
    },
    /// Contribute randomness to a draw from this machine's CSPRNG (the draw's center, or a
    /// supervisor). The bearer token is read from the SEALDRAW_TOKEN environment variable, never
    /// from the command line, where other users could see it.
    Contribute {
        /// The draw's id.
        draw_id: String,
        /// The server, e.g. https://sealdraw.example:8443
        #[arg(long)]
        server: String,
        /// PEM bundle of the CA(s) that issue the server's certificate: the only roots trusted.
        #[arg(long)]
        ca: PathBuf,
    },
}

pub(super) fn run(command: DrawCommand) -> ExitCode {
    let (record, vkeys, vkey_files) = match command {
        DrawCommand::Verify {
            record,
            vkeys,
            vkey_files,
        } => (record, vkeys, vkey_files),
        DrawCommand::Contribute {
            draw_id,
            server,
            ca,
        } => {
            return match entropy::contribute(&draw_id, &server, &ca) {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error:#}");
                    ExitCode::FAILURE
                }
            };
        }
    };
    let input = read_record(&record).and_then(|bytes| {
        // Not JSON at all is unusable input (exit 2), like an unreadable file; a JSON record
        // of the wrong shape is a verification failure naming its field (exit 1).
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .with_context(|| format!("{} is not JSON", record.display()))?;
        Ok((bytes, draw_vkeys(&vkeys, &vkey_files)?))
    });
    let (bytes, verifiers) = match input {
        Ok(input) => input,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(EXIT_UNUSABLE_INPUT);
        }
    };
    let verified = crate::draw::published::AnyRecord::from_json(&bytes)
        .and_then(|record| record.verify(&verifiers));
    match verified {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::FAILURE
        }
    }
}

fn read_record(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .context("cannot read the record from standard input")?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn draw_vkeys(vkeys: &[String], files: &[PathBuf]) -> anyhow::Result<Vec<NoteVerifier>> {
    let mut texts = vkeys
        .iter()
        .map(|key| vkey_text(key))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        texts.extend(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned),
        );
    }
    if texts.is_empty() {
        bail!("no log verifier key: give --vkey VKEY or --vkey-file FILE");
    }
    texts
        .iter()
        .map(|text| {
            text.parse()
                .with_context(|| format!("unusable verifier key {text:?}"))
        })
        .collect()
}
