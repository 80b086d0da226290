//! Disaster-recovery drills: each starts the reference deployment's real components (PostgreSQL
//! clusters, Patroni and etcd, pgBackRest) on loopback, standing in for two sites and an
//! off-site store, and runs sealdraw against them. They are slow and start clusters of their
//! own, so the test command runs them once (`.ci/run`, "disaster-recovery drills"), not in each
//! of the suite's four runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod backup;
mod failover;

/// PostgreSQL's binaries: `SEALDRAW_PG_BIN` (the test command sets it), else the newest under
/// /usr/lib/postgresql.
pub fn pg_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("SEALDRAW_PG_BIN").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL binaries under /usr/lib/postgresql")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry
                .file_name()
                .to_string_lossy()
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .expect("a PostgreSQL version under /usr/lib/postgresql")
        .1
}

/// PostgreSQL refuses to run as root: as root, the drills run its tools (and Patroni and
/// pgBackRest, which run it) as the `postgres` user.
pub fn as_postgres(program: impl AsRef<std::ffi::OsStr>) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// A directory for one drill's clusters, writable by whoever runs PostgreSQL, removed on drop.
pub struct DrillDir(tempfile::TempDir);

impl DrillDir {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sealdraw-drill")
            .tempdir()
            .unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// A subdirectory made by the PostgreSQL user, so that it owns it.
    pub fn subdir(&self, name: &str) -> PathBuf {
        let dir = self.path().join(name);
        let output = as_postgres("mkdir").arg("-p").arg(&dir).output().unwrap();
        assert_success(&output, "mkdir");
        dir
    }
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
