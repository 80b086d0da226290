//! The deployment files shipped in `docs/deploy`: the hardened systemd unit (issue 20 §4) is
//! scored by systemd's own offline analysis, not by reading it.

/// systemd-analyze's exposure score (0 safest, 10 least safe); "OK" ends at 3.9.
const MOST_EXPOSURE: f64 = 2.0;

#[test]
fn the_systemd_unit_runs_the_server_unprivileged_and_scores_as_hardened() {
    let unit = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/deploy/sealdraw.service");
    let text = std::fs::read_to_string(unit).unwrap();
    let settings: Vec<&str> = text
        .lines()
        .filter(|line| !line.starts_with('#') && line.contains('='))
        .collect();
    for required in [
        "User=sealdraw",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "StateDirectoryMode=0700",
        "UMask=0077",
        "CapabilityBoundingSet=",
        "ExecStart=/usr/local/bin/sealdraw --config /etc/sealdraw/sealdraw.toml serve",
    ] {
        assert!(settings.contains(&required), "the unit lacks {required}");
    }

    let output = std::process::Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager", unit])
        .output()
        .expect("systemd-analyze runs (Debian package systemd; the test command installs it)");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    let score: f64 = report
        .lines()
        .find_map(|line| {
            line.split("Overall exposure level for sealdraw.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|score| score.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no exposure score in:\n{report}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    assert!(
        score <= MOST_EXPOSURE,
        "exposure {score} > {MOST_EXPOSURE}:\n{report}"
    );
}

/// The unit's command line is one the real binary accepts.
#[test]
fn the_units_command_line_is_the_binarys() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sealdraw"))
        .args(["--config", "/etc/sealdraw/sealdraw.toml", "serve", "--help"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
