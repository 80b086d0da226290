//! `sealdraw audit …`: the log's verifier keys, its export, and the offline verification of an
//! export, of a proof and of the draws an export records.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::{EXIT_UNUSABLE_INPUT, Installation, vkey_text};
use crate::audit::note::{CosignatureVerifier, NoteVerifier, WitnessPolicy};
use crate::audit::{AuditLog, export};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::startup;

#[derive(Subcommand)]
pub(super) enum AuditCommand {
    /// Print the log's verifier key(s) in signed-note vkey form.
    Key,
    /// Sign pending entries, then write the checkpoint, keys, tiles and entry bundles to a directory.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify an export offline, trusting only the given log key (and witnesses). Exit 0
    /// verified, 1 verification failed, 2 cannot verify (a file missing or unreadable, a key
    /// unusable).
    Verify {
        dir: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// A checkpoint saved earlier; the export must extend it (repeatable).
        #[arg(long = "since")]
        since: Vec<PathBuf>,
    },
    /// Verify an export, then review every draw in it: tenders with more than one root draw,
    /// root draws without their result, and broken chains of draw-family entries. Exits 1 when
    /// it finds any (docs/DRAW-SPEC.md §9b).
    Draws {
        dir: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Verify a tlog-proof file offline.
    VerifyProof {
        file: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// The entry's bytes; by default the entry carried in the proof.
        #[arg(long)]
        entry: Option<PathBuf>,
    },
}

#[derive(Args)]
pub(super) struct TrustArgs {
    /// The log's verifier key (vkey text, or a file holding it); repeat during a key rotation.
    #[arg(long = "key", required = true)]
    keys: Vec<String>,
    /// A witness's cosignature verifier key (vkey text or file); repeatable.
    #[arg(long = "witness")]
    witnesses: Vec<String>,
    /// How many of the witnesses must have cosigned.
    #[arg(long, default_value_t = 0)]
    quorum: usize,
}

impl TrustArgs {
    fn log_keys(&self) -> anyhow::Result<Vec<NoteVerifier>> {
        self.keys
            .iter()
            .map(|key| Ok(vkey_text(key)?.parse()?))
            .collect()
    }

    fn policy(&self) -> anyhow::Result<Option<WitnessPolicy>> {
        if self.quorum == 0 {
            return Ok(None);
        }
        let witnesses = self
            .witnesses
            .iter()
            .map(|key| Ok(vkey_text(key)?.parse::<CosignatureVerifier>()?))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Some(WitnessPolicy::new(witnesses, self.quorum)?))
    }
}

pub(super) fn run(installation: Installation, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let Installation { settings, runtime } = installation;
    runtime.block_on(audit(settings, command))
}

/// The audit log as the command line appends to and signs it, with the keys the key file holds
/// now (which is what matters around a rotation).
pub(super) fn command_line_log(
    settings: &Settings,
    store: &crate::store::Store,
) -> anyhow::Result<AuditLog> {
    let keys = startup::load_keys(settings)?;
    Ok(AuditLog::new(
        store.clone(),
        Arc::new(SystemClock),
        &keys,
        &settings.audit.origin,
    )?
    .with_checkpoint_copy(settings.checkpoint_copy())
    .requiring_sync_standby(settings.audit.require_sync_standby))
}

async fn audit(settings: Settings, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Key => {
            let log = command_line_log(&settings, &startup::connect_store(&settings).await?)?;
            print!("{}", log.vkeys());
        }
        AuditCommand::Export { out } => {
            let log = command_line_log(&settings, &startup::connect_store(&settings).await?)?;
            let summary = export::export(&log, &out).await?;
            println!(
                "exported {} entries ({} files) to {}",
                summary.size,
                summary.files,
                out.display()
            );
        }
        AuditCommand::Verify { dir, trust, since } => {
            return Ok(audit_verify(&dir, &trust, &since));
        }
        AuditCommand::Draws { dir, trust } => {
            let report =
                export::verify_dir(&dir, &trust.log_keys()?, trust.policy()?.as_ref(), &[])?;
            let entries = export::read_entries(&dir, report.size)?;
            let review = crate::draw::log_review::review(report.suite, &entries);
            println!("{review}");
            if !review.is_clean() {
                anyhow::bail!("the review of the log's draws found the problems listed above");
            }
        }
        AuditCommand::VerifyProof { file, trust, entry } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let entry = entry
                .map(|path| {
                    std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
                })
                .transpose()?;
            let (index, size, _) =
                export::verify_proof_file(&text, &trust.log_keys()?, trust.policy()?, entry)?;
            println!("OK: entry {index} is in the log of size {size} signed by the given key");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `sealdraw audit verify`. Exit 0 verified; 1 verification failed (an altered entry or tile, a
/// bad signature, a log that shrank or was rewritten); 2 cannot verify (a file missing or
/// unreadable, a key unusable), which says nothing either way.
fn audit_verify(dir: &std::path::Path, trust: &TrustArgs, since: &[PathBuf]) -> ExitCode {
    let inputs = || -> anyhow::Result<_> {
        let saved = since
            .iter()
            .map(|path| {
                std::fs::read_to_string(path).map_err(|source| export::ExportError::Read {
                    path: path.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((saved, trust.log_keys()?, trust.policy()?))
    };
    let verified = inputs().and_then(|(saved, keys, policy)| {
        Ok(export::verify_dir(dir, &keys, policy.as_ref(), &saved)?)
    });
    match verified {
        Ok(report) => {
            println!(
                "OK: {} entries and {} hash tiles verify against the signed checkpoint (size {}, {} witness cosignatures){}",
                report.entries,
                report.hash_tiles,
                report.size,
                report.witnesses,
                if report.extends.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; it extends the saved checkpoints of sizes {:?}",
                        report.extends
                    )
                }
            );
            ExitCode::SUCCESS
        }
        Err(error)
            if error
                .downcast_ref::<export::ExportError>()
                .is_none_or(export::ExportError::is_unreadable) =>
        {
            eprintln!("cannot verify: {error:#}");
            ExitCode::from(EXIT_UNUSABLE_INPUT)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
