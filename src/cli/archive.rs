//! `sealdraw archive …`: an evaluation's archive package (docs/ARCHIVE.md). `export` reaches
//! the installation's database and keys as `sealdraw audit export` does, and writes the
//! package (the kept one, or one built and kept now) to a directory; `verify` is offline and
//! needs neither settings nor a database, only the log's key and the report's font.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;

use super::{EXIT_UNUSABLE_INPUT, Installation, vkey_text};
use crate::archive::package::Package;
use crate::archive::pdf::FontFile;
use crate::archive::service::{ArchiveService, Reader};
use crate::audit::note::NoteVerifier;
use crate::clock::SystemClock;
use crate::config::{ArchiveSettings, Settings};
use crate::crypto::Rng;
use crate::deps::Deps;
use crate::startup;

#[derive(Subcommand)]
pub(super) enum ArchiveCommand {
    /// Write the archive package of a closed session (or of an on-site evaluation's draw) to a
    /// directory: the kept package, or one built, verified and kept now.
    Export {
        /// A session id, or the draw id of an on-site evaluation.
        id: String,
        /// The directory to write; it must not exist or be empty.
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a package offline (a directory, or its zip), trusting only the log's key and
    /// the font. Exit 0 verified, 1 verification failed (the line printed names the file and
    /// the field), 2 cannot verify (the package, the key or the font unreadable).
    Verify {
        /// The package's directory, or a zip of it.
        package: PathBuf,
        /// The log's verifier key (vkey text, or a file holding it); repeat during a key
        /// rotation.
        #[arg(long = "key", required = true)]
        keys: Vec<String>,
        /// The font the readable report was rendered with (face 0).
        #[arg(long, default_value_os_t = ArchiveSettings::default().font)]
        font: PathBuf,
        /// A CA root (PEM or DER) that anchors members' certificate chains; repeat for each
        /// CA. Without one, a signature made with a certificate key does not verify.
        #[arg(long = "ca")]
        cas: Vec<PathBuf>,
    },
}

pub(super) fn run(config: Option<&Path>, command: ArchiveCommand) -> anyhow::Result<ExitCode> {
    match command {
        ArchiveCommand::Export { id, out } => {
            let Installation { settings, runtime } = Installation::open(config)?;
            runtime.block_on(export(settings, &id, &out))?;
            Ok(ExitCode::SUCCESS)
        }
        ArchiveCommand::Verify {
            package,
            keys,
            font,
            cas,
        } => Ok(verify(&package, &keys, &font, &cas)),
    }
}

async fn export(settings: Settings, id: &str, out: &Path) -> anyhow::Result<()> {
    if out.exists()
        && std::fs::read_dir(out)
            .with_context(|| format!("cannot read {}", out.display()))?
            .next()
            .is_some()
    {
        anyhow::bail!(
            "{} is not empty: a package is written into a new or empty directory",
            out.display()
        );
    }
    let deps = Deps {
        store: startup::connect_store(&settings).await?,
        clock: Arc::new(SystemClock),
        rng: Rng::system(),
        keys: Arc::new(startup::load_keys(&settings)?),
    };
    let audit = Arc::new(super::audit::command_line_log(&settings, &deps.store)?);
    // The draw service only reads here (the published record); its seating hook never runs.
    let draws = startup::draw_service(&deps, audit.clone(), &settings);
    let archives = ArchiveService::new(
        &deps,
        audit,
        draws,
        &settings.archive,
        &settings.signing_keys.trusted_cas,
        &settings.data_dir,
    );
    let (view, package) = archives.package(Reader::CommandLine, id).await?;
    package.write_to(out)?;
    println!(
        "archive {} of {} {} ({} files, {} bytes) written to {}; kept until {}",
        view.id,
        view.subject_kind,
        view.subject_id,
        package.files().len(),
        view.bytes,
        out.display(),
        view.expires_at
    );
    Ok(())
}

/// `sealdraw archive verify`, with the exit codes of the other verify commands.
fn verify(path: &Path, keys: &[String], font: &Path, cas: &[PathBuf]) -> ExitCode {
    type Inputs = (Package, Vec<NoteVerifier>, FontFile, Vec<Vec<u8>>);
    let inputs = || -> anyhow::Result<Inputs> {
        let package = if path.is_dir() {
            Package::read_from(path)?
        } else {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Package::from_zip(&bytes)?
        };
        let keys = keys
            .iter()
            .map(|key| {
                let text = vkey_text(key)?;
                text.parse::<NoteVerifier>()
                    .with_context(|| format!("unusable log key {text:?}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let font = FontFile::load(font, 0)?;
        let mut roots = Vec::new();
        for ca in cas {
            let bytes =
                std::fs::read(ca).with_context(|| format!("cannot read {}", ca.display()))?;
            roots.extend(
                crate::crypto::archived_certificate::certificates_from_file(&bytes)
                    .map_err(|problem| anyhow::anyhow!("{}: {problem}", ca.display()))?,
            );
        }
        Ok((package, keys, font, roots))
    };
    let (package, keys, font, roots) = match inputs() {
        Ok(inputs) => inputs,
        Err(error) => {
            eprintln!("cannot verify: {error:#}");
            return ExitCode::from(EXIT_UNUSABLE_INPUT);
        }
    };
    match crate::archive::verify::verify(&package, &keys, &font, &roots) {
        Ok(verified) => {
            println!("{verified}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::FAILURE
        }
    }
}
