//! `sealdraw backup`: an online copy of the embedded SQLite database, verified before it is
//! called a backup. PostgreSQL installations back up with pgBackRest instead
//! (docs/OPERATIONS.md, "Backups and restore").

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use secrecy::SecretString;

use super::Installation;
use crate::audit::{AuditLog, export};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::private_files;
use crate::startup;

pub(super) fn run(installation: Installation, out: &Path) -> anyhow::Result<()> {
    let Installation { settings, runtime } = installation;
    runtime.block_on(backup(settings, out))
}

/// Copies the database into `out` and verifies the copy's audit log end to end, with the
/// checkpoint the server keeps outside the database; `out` appears only once all of it passed.
async fn backup(settings: Settings, out: &Path) -> anyhow::Result<()> {
    let url = settings.database_url();
    if !url.starts_with("sqlite:") {
        bail!(
            "sealdraw backup copies the embedded SQLite database; this installation runs on \
             PostgreSQL, which is backed up with pgBackRest (WAL archiving to an off-site \
             repository, full and incremental backups, point-in-time restore): see \
             docs/OPERATIONS.md, \"Backups and restore\""
        );
    }
    if out.exists() {
        bail!(
            "{} exists: a backup never replaces a file, choose a new name",
            out.display()
        );
    }
    let started = Instant::now();
    // Read before copying: the server commits a checkpoint before saving it here, so the copy,
    // taken after, holds every entry this checkpoint covers and must extend it.
    let saved = read_saved_checkpoint(&settings.checkpoint_copy())?;

    let staging = staging_dir(out)?;
    let result = copy_and_verify(&settings, &staging, saved.as_deref()).await;
    let finished = result.and_then(|report| {
        let copy = staging.join("sealdraw.db");
        // A write-ahead log left with pages in it would hold committed pages the main file
        // lacks, and would not travel with it.
        let wal = companion(&copy, "-wal");
        if std::fs::metadata(&wal).is_ok_and(|metadata| metadata.len() > 0) {
            bail!("the copy's write-ahead log was not merged into it; the copy is incomplete");
        }
        std::fs::File::open(&copy)
            .and_then(|file| file.sync_all())
            .with_context(|| format!("cannot flush {}", copy.display()))?;
        std::fs::rename(&copy, out)
            .with_context(|| format!("cannot move the copy to {}", out.display()))?;
        Ok(report)
    });
    // The staging directory held the copy while it was checked; nothing in it is kept.
    let _ = std::fs::remove_dir_all(&staging);
    let report = finished?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or_default();
    println!(
        "backed up to {} ({bytes} bytes) in {:.2} s: {} audit entries and {} hash tiles verify \
         against the copy's signed checkpoint (size {}){}",
        out.display(),
        started.elapsed().as_secs_f64(),
        report.entries,
        report.hash_tiles,
        report.size,
        match report.extends.first() {
            Some(size) =>
                format!(", which extends the checkpoint saved outside the database (size {size})"),
            None => String::new(),
        }
    );
    Ok(())
}

/// The checkpoint the server keeps outside the database, if it has signed one.
fn read_saved_checkpoint(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// A private directory beside `out` for the copy while it is checked: on the same file system,
/// so that the checked copy becomes `out` by a rename.
fn staging_dir(out: &Path) -> anyhow::Result<PathBuf> {
    let name = out
        .file_name()
        .with_context(|| format!("{} names no file", out.display()))?;
    let mut staging_name = std::ffi::OsString::from(".");
    staging_name.push(name);
    staging_name.push(format!(".{}.partial", std::process::id()));
    let staging = out.with_file_name(staging_name);
    if let Some(parent) = out.parent() {
        private_files::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    private_files::create_dir_all(&staging)
        .with_context(|| format!("cannot create {}", staging.display()))?;
    Ok(staging)
}

async fn copy_and_verify(
    settings: &Settings,
    staging: &Path,
    saved: Option<&str>,
) -> anyhow::Result<export::VerifyReport> {
    let copy = staging.join("sealdraw.db");
    // Mode 0600 before the first byte is copied: `VACUUM INTO` keeps the file it is given.
    private_files::create_file(&copy)
        .with_context(|| format!("cannot create {}", copy.display()))?;
    let live = startup::connect_store(settings).await?;
    let copied = live.copy_sqlite_into(&copy).await;
    live.close().await;
    copied.context("cannot copy the database")?;

    let mut copy_settings = settings.clone();
    copy_settings.database.url = Some(SecretString::from(format!("sqlite://{}", copy.display())));
    let store = startup::connect_store(&copy_settings).await?;
    // The log over the copy checks its tree against a private copy of the saved checkpoint,
    // as the restored server will; the server's own file is left alone.
    let saved_copy = staging.join("latest-checkpoint");
    if let Some(text) = saved {
        std::fs::write(&saved_copy, text)
            .with_context(|| format!("cannot write {}", saved_copy.display()))?;
    }
    let keys = startup::load_keys(settings)?;
    let log = AuditLog::new(
        store.clone(),
        Arc::new(SystemClock),
        &keys,
        &settings.audit.origin,
    )?
    .with_checkpoint_copy(saved_copy);
    // Signs the entries written since the server's last checkpoint into the copy: the same
    // tree the server signs at that size, so the backup is covered by a checkpoint to its end.
    let exported = export::export(&log, &staging.join("export")).await;
    let verifiers = log.verifiers().to_vec();
    drop(log);
    let merged = store.merge_sqlite_wal().await;
    store.close().await;
    exported.context("the copy's audit log does not check out")?;
    merged.context("cannot merge the copy's write-ahead log into it")?;
    let saved: Vec<String> = saved.map(str::to_owned).into_iter().collect();
    export::verify_dir(&staging.join("export"), &verifiers, None, &saved)
        .context("the copy's audit log does not verify")
}

fn companion(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
