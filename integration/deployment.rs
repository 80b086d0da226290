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

// ---------------------------------------------------------------------------------------------
// Prometheus alert rules (docs/deploy/alerts.yml)
// ---------------------------------------------------------------------------------------------

const ALERT_RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/deploy/alerts.yml");
const ALERT_TESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/deploy/alerts.test.yml");

/// Metrics the rules name that sealdraw does not export, with where they come from.
const EXPORTED_BY_OTHERS: [(&str, &str); 5] = [
    ("up", "Prometheus, per scrape target"),
    ("node_filesystem_avail_bytes", "node_exporter"),
    ("node_filesystem_size_bytes", "node_exporter"),
    // Exported by sealdraw, but only on PostgreSQL with a standby to report on.
    (
        "sealdraw_db_sync_standbys",
        "PostgreSQL replication gauges, checked by the failover drill",
    ),
    (
        "sealdraw_db_standby_replay_lag_bytes",
        "PostgreSQL replication gauges, checked by the failover drill",
    ),
];

fn promtool(args: &[&str]) {
    let output = std::process::Command::new("promtool")
        .args(args)
        .output()
        .expect("promtool runs (Debian package prometheus; the test command installs it)");
    assert!(
        output.status.success(),
        "promtool {}:\n{}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_alert_rules_are_valid_and_each_fires_when_it_should_and_only_then() {
    promtool(&["check", "rules", ALERT_RULES]);
    promtool(&["test", "rules", ALERT_TESTS]);
}

/// Every `expr:` of the rule file, continuation lines included.
fn rule_expressions(rules: &str) -> Vec<String> {
    let mut expressions = Vec::new();
    let mut lines = rules.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line.trim_start().strip_prefix("expr:") else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let mut expression = rest.trim().trim_start_matches(['|', '>']).to_owned();
        while let Some(next) = lines.peek() {
            let deeper = next.len() - next.trim_start().len() > indent;
            if !deeper && !next.trim().is_empty() {
                break;
            }
            expression.push(' ');
            expression.push_str(next.trim());
            lines.next();
        }
        expressions.push(expression);
    }
    expressions
}

/// The metric names in a PromQL expression: identifiers that are not functions (followed by
/// `(`), keywords, label names (inside `{}` or after `by`/`without`/`on`/`ignoring`),
/// durations (inside `[]`) or strings.
fn metric_names(expression: &str) -> std::collections::BTreeSet<String> {
    // Keywords, and the aggregations, which may be followed by `by (…)` instead of their
    // parenthesis.
    const KEYWORDS: &str = "and or unless bool offset \
         sum min max avg group stddev stdvar count count_values bottomk topk quantile";
    // Followed by a list of label names.
    const GROUPING: &str = "by without on ignoring group_left group_right";
    let mut names = std::collections::BTreeSet::new();
    let chars: Vec<char> = expression.chars().collect();
    let (mut at, mut depth_braces, mut depth_brackets) = (0, 0, 0);
    let mut grouping = false;
    while at < chars.len() {
        let c = chars[at];
        match c {
            '"' | '\'' => {
                at += 1;
                while at < chars.len() && chars[at] != c {
                    at += if chars[at] == '\\' { 2 } else { 1 };
                }
            }
            '{' => depth_braces += 1,
            '}' => depth_braces -= 1,
            '[' => depth_brackets += 1,
            ']' => depth_brackets -= 1,
            ')' => grouping = false,
            _ if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = at;
                while at < chars.len()
                    && (chars[at].is_ascii_alphanumeric() || chars[at] == '_' || chars[at] == ':')
                {
                    at += 1;
                }
                let word: String = chars[start..at].iter().collect();
                let next = chars[at..].iter().find(|c| !c.is_whitespace());
                let preceded_by_digit = start > 0 && chars[start - 1].is_ascii_digit();
                if GROUPING.split_whitespace().any(|keyword| keyword == word) {
                    grouping = true;
                } else if depth_braces == 0
                    && depth_brackets == 0
                    && !grouping
                    && !preceded_by_digit
                    && next != Some(&'(')
                    && !KEYWORDS.split_whitespace().any(|keyword| keyword == word)
                {
                    names.insert(word);
                }
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    names
}

#[test]
fn metric_names_are_read_from_promql_without_functions_labels_or_durations() {
    let names = metric_names(
        r#"sum by (job, instance) (rate(a_total{status=~"5..", x="and"}[5m])) / on(job) b
           > 0.05 and predict_linear(c[6h], 4 * 86400) < 1e9 unless time() - d_seconds > 600"#,
    );
    let expected = ["a_total", "b", "c", "d_seconds"];
    assert_eq!(names.into_iter().collect::<Vec<_>>(), expected);
}

/// The names a Prometheus text exposition carries samples for.
fn exposed_names(scrape: &str) -> std::collections::BTreeSet<String> {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

fn sample(scrape: &str, name: &str) -> Option<f64> {
    scrape
        .lines()
        .find(|line| line.split(['{', ' ']).next() == Some(name))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn every_metric_the_alert_rules_name_is_exported_by_a_running_server() {
    use crate::helpers::*;
    use sealdraw::audit::{Actor, AuditEntry};
    use sealdraw::auth::Role;
    use sealdraw::clock::Clock;

    let rules = std::fs::read_to_string(ALERT_RULES).unwrap();
    let named: std::collections::BTreeSet<String> = rule_expressions(&rules)
        .iter()
        .flat_map(|expression| metric_names(expression))
        .collect();
    assert!(
        named.len() > 10,
        "too few metrics read from the rules: {named:?}"
    );
    for (name, source) in EXPORTED_BY_OTHERS {
        assert!(
            named.contains(name),
            "{name} ({source}) is listed as an exception but no rule names it"
        );
    }
    let ours: Vec<&String> = named
        .iter()
        .filter(|name| !EXPORTED_BY_OTHERS.iter().any(|(other, _)| other == name))
        .collect();

    // A witness that never answers: the witness gauges are exported all the same, and report
    // the missing cosignature.
    let witness_dir = tempfile::tempdir().unwrap();
    let witness_key = witness_dir.path().join("witness.key");
    sealdraw::crypto::witness_key::init_witness_key(
        &witness_key,
        &sealdraw::crypto::Rng::danger_deterministic(b"alert rules"),
        suite(),
    )
    .unwrap();
    let vkey = sealdraw::audit::note::CosignatureSigner::new(
        "w1.supervisor.example",
        sealdraw::crypto::witness_key::load_witness_key(&witness_key).unwrap(),
    )
    .unwrap()
    .verifier()
    .to_string();
    let witness_ca = sealdraw::tls::dev::generate(
        &witness_dir.path().join("certs"),
        &[],
        chrono::Utc::now().timestamp_millis(),
    )
    .unwrap()
    .ca();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://localhost:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let app = spawn_app_with(TestOptions {
        customise: Box::new(move |settings| {
            settings.audit.witnesses = vec![sealdraw::config::WitnessSettings {
                name: "w1.supervisor.example".into(),
                url,
                vkey,
            }];
            settings.audit.witness_quorum = 1;
            settings.audit.witness_ca = Some(witness_ca);
            settings.audit.checkpoint_interval_secs = 1;
        }),
        ..TestOptions::default()
    })
    .await;

    // Requests (http_requests_total) and entries that the checkpointer signs.
    app.account_with_token("admin.alerts", Role::Admin).await;
    let mut tx = app.state.store.write().await.unwrap();
    let entry = AuditEntry::new("test.event", app.clock.now_millis(), Actor::System)
        .reference("test", "alert-rules");
    sealdraw::audit::append(&mut tx, &entry).await.unwrap();
    tx.commit().await.unwrap();
    let signed = app.state.audit.checkpoint_now().await.unwrap();

    let metrics_url = format!("http://{}/metrics", app.metrics_address.unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let scrape = loop {
        let scrape = reqwest::get(&metrics_url)
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let exposed = exposed_names(&scrape);
        let reported = sample(&scrape, "audit_checkpoint_size") == Some(signed.size as f64);
        if reported && ours.iter().all(|name| exposed.contains(name.as_str())) {
            break scrape;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the rules name metrics the server does not export: {:?}\n{scrape}",
            ours.iter()
                .filter(|name| !exposed.contains(name.as_str()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };

    // The gauges say what the rules read them as.
    assert_eq!(
        sample(&scrape, "audit_log_entries"),
        Some(signed.size as f64),
        "nothing waits"
    );
    let signed_at = sample(&scrape, "audit_checkpoint_signed_timestamp_seconds").unwrap();
    let now = app.clock.now_millis() as f64 / 1000.0;
    assert!(
        (now - signed_at).abs() < 60.0,
        "signed at {signed_at}, now {now}"
    );
    assert_eq!(sample(&scrape, "audit_witness_quorum"), Some(1.0));
    assert_eq!(sample(&scrape, "audit_witnesses_configured"), Some(1.0));
    assert_eq!(sample(&scrape, "audit_checkpoint_witnesses"), Some(0.0));
    assert_eq!(sample(&scrape, "notify_outbox_pending"), Some(0.0));
}

/// Each alert's runbook link names a heading of docs/OPERATIONS.md.
#[test]
fn every_alert_links_to_its_entry_in_the_operations_guide() {
    let rules = std::fs::read_to_string(ALERT_RULES).unwrap();
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/OPERATIONS.md"))
        .unwrap();
    // GitHub's anchors: lower case, spaces to hyphens, punctuation dropped.
    let mut in_code = false;
    let anchors: Vec<String> = guide
        .lines()
        .filter(|line| {
            in_code ^= line.starts_with("```");
            !in_code
        })
        .filter_map(|line| line.strip_prefix('#'))
        .map(|heading| {
            heading
                .trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let alerts = rules.matches("- alert:").count();
    let links: Vec<&str> = rules
        .lines()
        .filter_map(|line| line.trim().strip_prefix("runbook_url: docs/OPERATIONS.md#"))
        .collect();
    assert_eq!(links.len(), alerts, "every alert has a runbook_url");
    for link in links {
        assert!(
            anchors.iter().any(|anchor| anchor == link),
            "docs/OPERATIONS.md has no heading for #{link}"
        );
    }
}
