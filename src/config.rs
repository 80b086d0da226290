//! Typed settings: built-in defaults, then a TOML file (`--config` or `SEALDRAW_CONFIG`), then
//! environment overrides `SEALDRAW__SECTION__KEY`. Secrets are wrapped so that `Debug` and logs
//! show them redacted. Switches that weaken security are named `danger_*`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    #[default]
    Production,
    /// Generates development certificates and keys on first start and prints a bootstrap admin
    /// credential. Never for real data.
    Dev,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub profile: Profile,
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub tls: TlsSettings,
    pub database: DatabaseSettings,
    pub keys: KeySettings,
    pub auth: AuthSettings,
    pub telemetry: TelemetrySettings,
    pub audit: AuditSettings,
    pub draw: DrawSettings,
    pub notify: NotifySettings,
    pub session: SessionSettings,
    pub analytics: AnalyticsSettings,
    pub archive: ArchiveSettings,
    pub signing_keys: SigningKeySettings,
    pub pool: PoolSettings,
    pub fees: FeeSettings,
}

/// The pool's management rules (issue 22 §2; docs/POOL.md, "Training, assessment and tiers").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolSettings {
    pub training: TrainingSettings,
    pub assessment: AssessmentSettings,
}

/// Continuing training (培训).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingSettings {
    /// Hours an expert completes in any twelve months to stay current (draws may require it:
    /// `draw.require_training_current`), and the annual assessment's training target.
    pub required_hours_per_year: u32,
}

impl Default for TrainingSettings {
    fn default() -> Self {
        Self {
            required_hours_per_year: 8,
        }
    }
}

/// The annual assessment's formula (年度考核): weights, deductions and tier thresholds, all in
/// points of a 0-100 score (docs/POOL.md gives the formula).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssessmentSettings {
    /// The weights of the year's mean rating and of training done against the requirement in
    /// the base score (their weighted mean).
    pub rating_weight: u32,
    pub training_weight: u32,
    /// Added per attendance, up to `attendance_bonus_cap` in all.
    pub attendance_points: u32,
    pub attendance_bonus_cap: u32,
    /// Taken off per decline, per no-show and per penalty imposed in the year.
    pub decline_points: u32,
    pub no_show_points: u32,
    pub penalty_points: u32,
    /// A score of at least `tier_a_from` proposes tier A, at least `tier_b_from` B, else C.
    pub tier_a_from: u32,
    pub tier_b_from: u32,
}

impl Default for AssessmentSettings {
    fn default() -> Self {
        Self {
            rating_weight: 80,
            training_weight: 20,
            attendance_points: 1,
            attendance_bonus_cap: 5,
            decline_points: 2,
            no_show_points: 5,
            penalty_points: 10,
            tier_a_from: 90,
            tier_b_from: 70,
        }
    }
}

impl PoolSettings {
    fn validate(&self, problems: &mut Vec<String>) {
        if !(1..=200).contains(&self.training.required_hours_per_year) {
            problems.push("pool.training.required_hours_per_year must be from 1 to 200".into());
        }
        let a = &self.assessment;
        if a.rating_weight + a.training_weight == 0
            || a.rating_weight > 100
            || a.training_weight > 100
        {
            problems.push(
                "pool.assessment.rating_weight and training_weight must each be from 0 to 100, \
                 not both 0"
                    .into(),
            );
        }
        if [
            a.attendance_points,
            a.attendance_bonus_cap,
            a.decline_points,
            a.no_show_points,
            a.penalty_points,
        ]
        .iter()
        .any(|points| *points > 100)
        {
            problems.push(
                "pool.assessment's attendance, decline, no-show and penalty points must be from \
                 0 to 100"
                    .into(),
            );
        }
        if !(a.tier_b_from < a.tier_a_from && a.tier_a_from <= 100) {
            problems.push(
                "pool.assessment.tier_b_from must be below tier_a_from, and tier_a_from at most 100"
                    .into(),
            );
        }
    }
}

/// The deployment's fee standard for evaluation experts (评审费, docs/FEES.md): rates and caps
/// in fen (integers: money is never a float). `fees` checks it (`check-config` and the start
/// name every bad value) and publishes it with its digest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeeSettings {
    /// The length of a half day, in hours: a member's time is counted in started blocks of
    /// this length, two blocks making a day.
    pub half_day_hours: i64,
    /// The rates wherever no region of `regions` applies.
    pub default_rates: FeeRateSettings,
    /// Rates of particular prefectures (six-digit prefecture-level codes of Hubei).
    pub regions: Vec<RegionFeeRateSettings>,
    /// The most a member's transport to and from an evaluation may be reimbursed.
    pub transport_cap_fen: i64,
    /// The most one night's accommodation may be reimbursed.
    pub accommodation_night_cap_fen: i64,
    /// The most nights of accommodation one evaluation may pay for.
    pub max_nights: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeRateSettings {
    pub half_day_fen: i64,
    pub day_fen: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionFeeRateSettings {
    pub region: String,
    pub half_day_fen: i64,
    pub day_fen: i64,
}

impl Default for FeeSettings {
    fn default() -> Self {
        Self {
            half_day_hours: 4,
            default_rates: FeeRateSettings {
                half_day_fen: 40_000,
                day_fen: 70_000,
            },
            regions: Vec::new(),
            transport_cap_fen: 100_000,
            accommodation_night_cap_fen: 40_000,
            max_nights: 3,
        }
    }
}

/// Members' signing keys (issue 19 §1; docs/CRYPTO.md, "Members' certificates").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigningKeySettings {
    /// The outside CAs (CA互认) whose certificates members may enrol as signing keys; none by
    /// default, when only bare keys are enrolled.
    pub trusted_cas: Vec<TrustedCaSettings>,
}

/// One trusted CA: its root certificate (PEM or DER) and the file of its CRLs, which admins
/// replace as the CA publishes new ones (read again whenever it changes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedCaSettings {
    /// How admins and refusals name it ("某省数字证书认证中心").
    pub name: String,
    pub root: PathBuf,
    /// One or more PEM `X509 CRL` blocks (the root's, and those of intermediates under it that
    /// issue members' certificates), or one DER CRL.
    pub crl: PathBuf,
}

impl SigningKeySettings {
    /// The names; the files themselves are read by `check-config` and at start-up
    /// (`crypto::member_certificate`), where they are parsed.
    fn validate(&self, problems: &mut Vec<String>) {
        let mut names = std::collections::BTreeSet::new();
        for ca in &self.trusted_cas {
            if ca.name.trim().is_empty() || ca.name.chars().count() > 100 {
                problems.push(
                    "signing_keys.trusted_cas: each CA needs a name of 1–100 characters".into(),
                );
            }
            if !names.insert(ca.name.as_str()) {
                problems.push(format!(
                    "signing_keys.trusted_cas: the name {:?} is used twice",
                    ca.name
                ));
            }
        }
    }
}

/// The evaluation archive (issue 19 §2; docs/ARCHIVE.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveSettings {
    /// The CJK font the readable report is typeset in (face 0 of a TrueType collection is
    /// used): Debian's fonts-wqy-microhei by default. The verifier renders the report again and
    /// compares bytes, so a package verifies only with the font it was made with.
    pub font: PathBuf,
    /// Where packages are kept, one directory per package named by its id; default
    /// `data_dir/archive`.
    pub dir: Option<PathBuf>,
    /// How long a package is kept before an admin may delete it: procurement files are kept at
    /// least fifteen years (政府采购法 §42).
    pub retention_years: u32,
}

impl Default for ArchiveSettings {
    fn default() -> Self {
        Self {
            font: PathBuf::from("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
            dir: None,
            retention_years: 15,
        }
    }
}

impl ArchiveSettings {
    /// Where packages are kept under `data_dir`.
    pub fn dir_in(&self, data_dir: &Path) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| data_dir.join("archive"))
    }

    fn validate(&self, problems: &mut Vec<String>) {
        if self.retention_years < 15 {
            problems.push(format!(
                "archive.retention_years: {} is below the 15 years procurement files are kept \
                 (政府采购法 §42)",
                self.retention_years
            ));
        }
        if self.retention_years > 100 {
            problems.push(format!(
                "archive.retention_years: {} is more than 100 years",
                self.retention_years
            ));
        }
        if let Some(dir) = &self.dir
            && dir.exists()
            && !dir.is_dir()
        {
            problems.push(format!(
                "archive.dir: {} exists and is not a directory",
                dir.display()
            ));
        }
        if let Err(error) = std::fs::File::open(&self.font) {
            problems.push(format!(
                "archive.font: cannot read {} ({error}); install fonts-wqy-microhei or name \
                 another CJK font",
                self.font.display()
            ));
        }
    }
}

/// Supervision's statistics (issue 21; docs/ANALYTICS.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsSettings {
    /// The province's goal for the share of qualifying projects evaluated remotely (远程异地评标)
    /// in each prefecture and year, in percent.
    pub remote_share_target_percent: u32,
    /// Prefectures (four-digit region codes) the goal does not apply to: Wuhan (4201) in the
    /// province's plan. They are still counted and shown.
    pub remote_share_excluded_prefectures: Vec<String>,
    /// How far back the signal run reads (root draws created within), in days: five years.
    pub signal_window_days: u32,
    /// How often the server runs the signals by itself, in hours; 0 leaves it to admins
    /// (`POST /api/v1/signal-runs`).
    pub signal_run_interval_hours: u32,
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        Self {
            remote_share_target_percent: 20,
            remote_share_excluded_prefectures: vec!["4201".into()],
            signal_window_days: 1827,
            signal_run_interval_hours: 24,
        }
    }
}

impl AnalyticsSettings {
    fn validate(&self, problems: &mut Vec<String>) {
        if !(1..=100).contains(&self.remote_share_target_percent) {
            problems.push("analytics.remote_share_target_percent must be from 1 to 100".into());
        }
        if !(1..=5500).contains(&self.signal_window_days) {
            problems
                .push("analytics.signal_window_days must be from 1 to 5500 (fifteen years)".into());
        }
        if self.signal_run_interval_hours > 24 * 31 {
            problems.push("analytics.signal_run_interval_hours must be from 0 to 744".into());
        }
        for code in &self.remote_share_excluded_prefectures {
            if code.len() != 4
                || !code.starts_with("42")
                || !code.chars().all(|c| c.is_ascii_digit())
            {
                problems.push(format!(
                    "analytics.remote_share_excluded_prefectures: {code:?} is not a Hubei \
                     prefecture's four-digit code, such as \"4201\""
                ));
            }
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub address: String,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    pub max_body_bytes: usize,
    /// Whole-request deadline, from the first byte to the response.
    pub request_timeout_secs: u64,
    /// Time allowed for a client to send its request head (cuts off slow-header clients).
    pub client_header_timeout_secs: u64,
    pub(crate) keep_alive_secs: u64,
    pub max_connections: usize,
    pub(crate) shutdown_timeout_secs: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Refuse TLS 1.2 clients.
    pub tls13_only: bool,
    /// PEM bundle of the CAs that issue trading-center client certificates. Enables mutual TLS.
    pub client_ca: Option<PathBuf>,
    /// The national-algorithm (TLCP, GB/T 38636) gateways in front of the server, by the
    /// SHA-256 fingerprint (64 lowercase hex digits) of the client certificate each presents
    /// here over mutual TLS. Only a connection authenticated with one of these may forward its
    /// own client's certificate (`X-Forwarded-Client-Cert`); SECURITY.md, "Transport".
    pub gateways: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` (default, under the data directory) or `postgres://…`.
    pub url: Option<SecretString>,
    pub max_connections: u32,
    pub(crate) acquire_timeout_secs: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeySettings {
    /// Key file made by `sealdraw keys init`. Keep it off the database's disks and backups.
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    pub token_idle_minutes: i64,
    pub token_absolute_hours: i64,
    pub(crate) argon2_memory_kib: u32,
    pub(crate) argon2_iterations: u32,
    pub(crate) argon2_parallelism: u32,
    /// Failed logins of one username from one client address (an IPv6 /64) before each further
    /// attempt from there waits (429 with `Retry-After`).
    pub failures_before_delay: u32,
    /// The first wait; each further failure from that address doubles it.
    pub failure_delay_secs: u64,
    pub(crate) max_failure_delay_secs: u64,
    /// Failed logins of one username from all addresses within `failure_window_secs` beyond which
    /// an attempt is judged only from an address that has logged in to the account within
    /// `known_address_days`, or with a one-time code (an account without TOTP then waits for
    /// the window to pass). OWASP ASVS 2.2.1: at most 100 failures an hour per account.
    pub account_failures_per_window: u32,
    /// How long failures count: the window of the per-username budget, and the quiet time after
    /// which an address starts again without delays.
    pub failure_window_secs: i64,
    pub(crate) known_address_days: i64,
    /// Login attempts allowed per client address per minute, whatever the username.
    pub address_attempts_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetrySettings {
    /// `json` (default) or `pretty`.
    pub(crate) log_format: String,
    pub(crate) log_filter: String,
    /// Prometheus scrape address; empty disables metrics.
    pub metrics_address: String,
    /// Allows the metrics listener on a non-loopback address.
    pub(crate) danger_metrics_on_public_address: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    /// The checkpoint origin line: names this deployment's log, e.g. `sealdraw.hubei.gov.cn/log`.
    pub origin: String,
    pub checkpoint_interval_secs: u64,
    /// Witnesses (c2sp.org/tlog-witness) every new checkpoint is submitted to, typically run by
    /// independent supervisory bodies.
    pub witnesses: Vec<WitnessSettings>,
    /// Cosignatures a checkpoint needs to satisfy verifiers' policy. Below it the log still
    /// signs and serves checkpoints, and warns.
    pub witness_quorum: usize,
    /// PEM bundle of the CA(s) that issue the witnesses' HTTPS certificates; the only roots the
    /// witness client trusts. Required when witnesses are configured.
    pub witness_ca: Option<PathBuf>,
    /// How long one witness may take to answer before the log gives up on it for this checkpoint.
    pub(crate) witness_timeout_secs: u64,
    /// PostgreSQL with a standby: sign a checkpoint only over entries a synchronous standby has
    /// replayed, so that no failover can lose signed entries (docs/OPERATIONS.md, "Failover").
    pub require_sync_standby: bool,
}

/// The draw's rules (DESIGN §5). Every value here is committed, through the filter hash or the
/// intent, in each draw that used it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DrawSettings {
    /// A stratum needs at least this multiple of k + m eligible experts, or the draw is refused:
    /// narrowing conditions until few remain is naming experts indirectly.
    pub min_eligible_multiple: u32,
    /// A draw is accepted at most this long before the evaluation starts…
    pub(crate) earliest_hours_before: i64,
    /// …and at least this long before (linked replacement draws are exempt: a seat must be filled).
    pub(crate) latest_minutes_before: i64,
    /// How long contributions are accepted after the intent; then the draw runs with what came.
    pub contribution_timeout_secs: i64,
    /// When true the draw waits for a supervisor's contribution (or the timeout) even after the
    /// center has contributed; when false the center's contribution completes the draw at once.
    pub await_supervisor: bool,
    /// Whether a cross-site draw excludes the project's own city (the project region's first
    /// four digits) from every stratum. True by default: cross-site evaluation exists to bring
    /// experts from elsewhere. A deployment whose remote cross-site sessions seat some experts
    /// in the project's own prefecture sets it false and names the regions per stratum instead.
    pub exclude_project_region: bool,
    /// Experts this old or older in the evaluation year are not drawn.
    pub(crate) age_limit_years: i32,
    /// A past employer counts as a conflict if the tie ended within this many years.
    pub(crate) avoidance_years: i32,
    /// At most this many seats in the rolling window; 0 turns the cap off.
    pub frequency_cap: u32,
    pub frequency_window_days: i64,
    /// 招标投标法 §37: at least this many years in the field. A stratum may ask for more, never
    /// less.
    pub min_years: u32,
    /// 招标投标法 §37: at least this title rank (1 中级, 2 副高级, 3 正高级; the statute's
    /// "senior title" is 2). A stratum may ask for more, never less.
    pub min_title: u32,
    /// Whether draws exclude experts behind on training (`training_behind`; docs/POOL.md). Off
    /// by default: a deployment has no training on record when it upgrades, and would
    /// otherwise exclude every expert of more than a year the day it does.
    pub require_training_current: bool,
}

impl Default for DrawSettings {
    fn default() -> Self {
        Self {
            min_eligible_multiple: 3,
            earliest_hours_before: 24,
            latest_minutes_before: 30,
            contribution_timeout_secs: 120,
            await_supervisor: false,
            exclude_project_region: true,
            age_limit_years: 70,
            avoidance_years: 3,
            frequency_cap: 8,
            frequency_window_days: 30,
            min_years: 8,
            min_title: 2,
            require_training_current: false,
        }
    }
}

/// Which gateway delivers notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NotifyGateway {
    /// Development: appends each message as a JSON line to a file, the phone number masked.
    #[default]
    Log,
    /// HTTPS POST of signed JSON to the province's voice/SMS platform.
    Webhook,
}

/// Notifying experts (docs/NOTIFY.md): the outbox's delivery worker and its gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySettings {
    pub gateway: NotifyGateway,
    /// Where the `log` gateway appends; default `data_dir/notifications.jsonl`.
    pub(crate) log_file: Option<PathBuf>,
    /// The platform's endpoint; `https://` only.
    pub webhook_url: Option<String>,
    /// The HMAC-SHA256 key shared with the platform (at least 32 bytes).
    pub webhook_secret: Option<SecretString>,
    /// PEM bundle of the CA(s) that issue the platform's HTTPS certificate; the only roots the
    /// webhook client trusts.
    pub webhook_ca: Option<PathBuf>,
    /// How long one delivery may take before it counts as failed and is retried.
    pub timeout_secs: u64,
    /// Attempts before a notification is given up as `failed`.
    pub max_attempts: u32,
    /// The first retry waits this long; each further one twice as long…
    pub backoff_base_ms: u64,
    /// …but never longer than this.
    pub backoff_cap_secs: u64,
    /// A worker's claim on a notification while it sends. A crashed worker's claim expires
    /// after this, and another worker (or the restarted one) sends again with the same
    /// idempotency key. Must exceed `timeout_secs`.
    pub lease_secs: u64,
    /// How often the worker looks for notifications that are due.
    pub poll_interval_ms: u64,
    /// How long an invited expert has to answer.
    pub(crate) answer_deadline_minutes: i64,
    /// The help line given in every message (template parameter `hotline`); empty for none.
    pub hotline: String,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            gateway: NotifyGateway::Log,
            log_file: None,
            webhook_url: None,
            webhook_secret: None,
            webhook_ca: None,
            timeout_secs: 10,
            max_attempts: 10,
            backoff_base_ms: 1_000,
            backoff_cap_secs: 300,
            lease_secs: 60,
            poll_interval_ms: 1_000,
            answer_deadline_minutes: 15,
            hotline: String::new(),
        }
    }
}

/// The shortest webhook secret accepted: 256 bits, as much as the HMAC's output.
pub(crate) const WEBHOOK_SECRET_MIN_BYTES: usize = 32;

impl NotifySettings {
    /// Where the `log` gateway writes.
    pub(crate) fn log_path(&self, data_dir: &Path) -> PathBuf {
        self.log_file
            .clone()
            .unwrap_or_else(|| data_dir.join("notifications.jsonl"))
    }

    fn validate(&self, problems: &mut Vec<String>) {
        if self.gateway == NotifyGateway::Webhook {
            match self.webhook_url.as_deref().map(reqwest::Url::parse) {
                None => problems
                    .push("notify.webhook_url is required with gateway = \"webhook\"".into()),
                Some(Ok(url))
                    if url.scheme() == "https"
                        && url.host().is_some()
                        && url.username().is_empty()
                        && url.password().is_none()
                        && url.fragment().is_none() => {}
                Some(_) => problems.push(
                    "notify.webhook_url must be an https:// URL without credentials or fragment"
                        .into(),
                ),
            }
            match &self.webhook_secret {
                Some(secret) if secret.expose_secret().len() >= WEBHOOK_SECRET_MIN_BYTES => {}
                _ => problems.push(format!(
                    "notify.webhook_secret is required with gateway = \"webhook\" and must be \
                     at least {WEBHOOK_SECRET_MIN_BYTES} bytes"
                )),
            }
            match &self.webhook_ca {
                None => problems.push(
                    "notify.webhook_ca is required with gateway = \"webhook\" (the PEM CA \
                     bundle that issues the platform's HTTPS certificate)"
                        .into(),
                ),
                Some(ca) if !ca.is_file() => problems.push(format!(
                    "notify.webhook_ca: {} does not exist",
                    ca.display()
                )),
                Some(_) => {}
            }
        }
        for (name, value) in [
            ("notify.timeout_secs", self.timeout_secs),
            ("notify.max_attempts", u64::from(self.max_attempts)),
            ("notify.backoff_base_ms", self.backoff_base_ms),
            ("notify.backoff_cap_secs", self.backoff_cap_secs),
            ("notify.poll_interval_ms", self.poll_interval_ms),
        ] {
            if value == 0 {
                problems.push(format!("{name} must be greater than 0"));
            }
        }
        if self.lease_secs <= self.timeout_secs {
            problems.push(
                "notify.lease_secs must exceed notify.timeout_secs (a claim must outlive the \
                 delivery it covers)"
                    .into(),
            );
        }
        if !(1..=24 * 60).contains(&self.answer_deadline_minutes) {
            problems.push("notify.answer_deadline_minutes must be from 1 to 1440".into());
        }
        if self.hotline.chars().count() > 32 || self.hotline.chars().any(char::is_control) {
            problems.push(
                "notify.hotline must be at most 32 characters without control characters".into(),
            );
        }
    }
}

/// Evaluation sessions over websockets (docs/SESSIONS.md, docs/PROTOCOL.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// How long a websocket ticket is valid (single use).
    pub(crate) ticket_secs: i64,
    /// Origins (`https://host[:port]`) whose pages may open session websockets. A request
    /// without an Origin header (a non-browser client) is accepted on its ticket alone.
    pub allowed_origins: Vec<String>,
    /// The server pings every connection this often…
    pub heartbeat_secs: u64,
    /// …and closes one it has heard nothing from (not even a pong) for this long.
    pub idle_timeout_secs: u64,
    /// The largest frame a client may send (refused by its declared length).
    pub(crate) max_frame_bytes: usize,
    /// Websocket connections one account may hold open on one instance at a time (tabs,
    /// devices); an upgrade beyond them is refused (429) without spending its ticket.
    pub(crate) max_connections_per_account: usize,
    /// Frames per second a client may send on average, and in a burst; a flood is cut off.
    pub messages_per_second: u32,
    pub message_burst: u32,
    /// Events, and bytes of them, queued for one connection. What does not fit the connection
    /// reads from the table once it has sent its queue, so these bound memory, not patience.
    pub outbound_queue: usize,
    pub(crate) outbound_queue_bytes: usize,
    /// The grace period of a slow reader: a connection whose socket takes no frame for this
    /// long is cut off (`too-slow`) and resumes on a new one.
    pub send_timeout_secs: u64,
    /// How often an instance checks the sessions it follows for events other instances wrote
    /// (PostgreSQL also notifies at once; the poll covers notifications lost in a reconnect,
    /// and is how instances sharing one SQLite file see each other).
    pub poll_interval_ms: u64,
    /// A sheet deviates when its total is further than this from the median (percent).
    pub(crate) deviation_percent: u32,
    /// The credit score is the mean of the expert's last `credit_window` ratings, once there
    /// are at least `credit_minimum_ratings`; below `credit_suspend_below` (0–100) the expert
    /// is suspended from draws for `credit_suspension_days`.
    pub(crate) credit_window: i64,
    pub credit_minimum_ratings: usize,
    pub credit_suspend_below: i64,
    pub(crate) credit_suspension_days: i64,
    /// Below `credit_remove_below` (0–100, and below `credit_suspend_below`) the pool's hourly
    /// sweep removes the expert for good (docs/POOL.md, "Exit on the rules"): removal is final,
    /// so it sits well under the suspension that comes first and that credit repair can lift.
    pub credit_remove_below: i64,
    /// Credit repair (docs/POOL.md): a rating below `credit_repair_below` points (0–100) is a
    /// negative item its expert may ask to have repaired, once `credit_repair_wait_days` have
    /// passed since it was given.
    pub credit_repair_below: i64,
    pub credit_repair_wait_days: i64,
    /// How long the evaluation is extended when more than a third of the committee declares
    /// the time insufficient (实施条例 §48).
    pub extension_minutes: u32,
    /// How long members have to sign or dissent once the report is ready; whoever has done
    /// neither by then is deemed to agree (实施条例 §53 ¶2) when the host closes the session.
    pub signing_minutes: u32,
    /// Whether a tenderer's representative (招标人代表) may be elected the committee's chair;
    /// by default only a drawn expert may, and a vote for a representative is refused.
    pub representative_may_chair: bool,
    /// Whether a member's agreement or dissent must carry their signature with an enrolled
    /// key (issue 19 §1); off by default, when a signature is optional but checked if sent.
    pub require_member_signatures: bool,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            ticket_secs: 30,
            allowed_origins: Vec::new(),
            heartbeat_secs: 15,
            idle_timeout_secs: 45,
            max_frame_bytes: 16 * 1024,
            max_connections_per_account: 8,
            messages_per_second: 20,
            message_burst: 40,
            outbound_queue: 256,
            outbound_queue_bytes: 1024 * 1024,
            send_timeout_secs: 10,
            poll_interval_ms: 1_000,
            deviation_percent: 20,
            credit_window: 10,
            credit_minimum_ratings: 3,
            credit_suspend_below: 40,
            credit_suspension_days: 180,
            credit_remove_below: 20,
            credit_repair_below: 60,
            credit_repair_wait_days: 180,
            extension_minutes: 60,
            signing_minutes: 60,
            representative_may_chair: false,
            require_member_signatures: false,
        }
    }
}

impl SessionSettings {
    fn validate(&self, problems: &mut Vec<String>) {
        if !(5..=300).contains(&self.ticket_secs) {
            problems.push("session.ticket_secs must be from 5 to 300".into());
        }
        for origin in &self.allowed_origins {
            let parsed = reqwest::Url::parse(origin);
            let canonical = parsed
                .as_ref()
                .map(|url| url.origin().ascii_serialization())
                .unwrap_or_default();
            if canonical != *origin || !origin.starts_with("https://") {
                problems.push(format!(
                    "session.allowed_origins: {origin} must be an https origin such as \
                     https://console.example.gov.cn (no path, no trailing slash)"
                ));
            }
        }
        for (name, value) in [
            ("session.heartbeat_secs", self.heartbeat_secs),
            ("session.idle_timeout_secs", self.idle_timeout_secs),
            ("session.send_timeout_secs", self.send_timeout_secs),
            ("session.poll_interval_ms", self.poll_interval_ms),
            (
                "session.messages_per_second",
                u64::from(self.messages_per_second),
            ),
            ("session.message_burst", u64::from(self.message_burst)),
            ("session.outbound_queue", self.outbound_queue as u64),
            (
                "session.outbound_queue_bytes",
                self.outbound_queue_bytes as u64,
            ),
            (
                "session.max_connections_per_account",
                self.max_connections_per_account as u64,
            ),
        ] {
            if value == 0 {
                problems.push(format!("{name} must be greater than 0"));
            }
        }
        if self.idle_timeout_secs <= self.heartbeat_secs {
            problems.push("session.idle_timeout_secs must exceed session.heartbeat_secs".into());
        }
        if !(1024..=1024 * 1024).contains(&self.max_frame_bytes) {
            problems.push("session.max_frame_bytes must be from 1024 to 1048576".into());
        }
        if !(1..=100).contains(&self.deviation_percent) {
            problems.push("session.deviation_percent must be from 1 to 100".into());
        }
        if self.credit_window < 1 || self.credit_minimum_ratings < 1 {
            problems
                .push("session.credit_window and credit_minimum_ratings must be at least 1".into());
        }
        if !(5..=1440).contains(&self.extension_minutes) {
            problems.push("session.extension_minutes must be from 5 to 1440".into());
        }
        if !(1..=1440).contains(&self.signing_minutes) {
            problems.push("session.signing_minutes must be from 1 to 1440".into());
        }
        if !(0..=100).contains(&self.credit_suspend_below) || self.credit_suspension_days < 1 {
            problems.push(
                "session.credit_suspend_below must be 0-100 and credit_suspension_days at least 1"
                    .into(),
            );
        }
        if !(0..=100).contains(&self.credit_remove_below)
            || self.credit_remove_below >= self.credit_suspend_below.max(1)
        {
            problems.push(
                "session.credit_remove_below must be 0-100 and below credit_suspend_below: removal is final, a suspension comes first"
                    .into(),
            );
        }
        if !(0..=100).contains(&self.credit_repair_below) || self.credit_repair_wait_days < 0 {
            problems.push(
                "session.credit_repair_below must be 0-100 and credit_repair_wait_days at least 0"
                    .into(),
            );
        }
    }
}

/// One witness: `{ name = "…", url = "https://…", vkey = "…" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessSettings {
    /// The witness's key name, as in its vkey.
    pub name: String,
    /// Its submission prefix: `add-checkpoint` is posted to `<url>/add-checkpoint`.
    pub url: String,
    /// Its cosignature verifier key (type 0x04), as `sealdraw witness key` prints it.
    pub vkey: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            profile: Profile::Production,
            data_dir: PathBuf::from("data"),
            server: ServerSettings::default(),
            tls: TlsSettings::default(),
            database: DatabaseSettings::default(),
            keys: KeySettings::default(),
            auth: AuthSettings::default(),
            telemetry: TelemetrySettings::default(),
            audit: AuditSettings::default(),
            draw: DrawSettings::default(),
            notify: NotifySettings::default(),
            session: SessionSettings::default(),
            analytics: AnalyticsSettings::default(),
            archive: ArchiveSettings::default(),
            signing_keys: SigningKeySettings::default(),
            fees: FeeSettings::default(),
            pool: PoolSettings::default(),
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            address: "127.0.0.1:8443".into(),
            workers: 0,
            max_body_bytes: 256 * 1024,
            request_timeout_secs: 30,
            client_header_timeout_secs: 5,
            keep_alive_secs: 30,
            max_connections: 10_000,
            shutdown_timeout_secs: 30,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 16,
            acquire_timeout_secs: 5,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            token_idle_minutes: 30,
            token_absolute_hours: 12,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            failures_before_delay: 5,
            failure_delay_secs: 1,
            max_failure_delay_secs: 15 * 60,
            account_failures_per_window: 100,
            failure_window_secs: 3600,
            known_address_days: 90,
            address_attempts_per_minute: 30,
        }
    }
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            log_format: "json".into(),
            log_filter: "info".into(),
            metrics_address: "127.0.0.1:9464".into(),
            danger_metrics_on_public_address: false,
        }
    }
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            origin: "sealdraw.example/log".into(),
            checkpoint_interval_secs: 5,
            witnesses: Vec::new(),
            witness_quorum: 0,
            witness_ca: None,
            witness_timeout_secs: 5,
            require_sync_standby: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SettingsError {
    #[error("cannot read settings: {0}")]
    Load(#[from] config::ConfigError),
    #[error("settings are not valid:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
}

/// The minimum the argon2id parameters may be lowered to (OWASP's recommended floor).
pub(crate) const ARGON2_MIN_MEMORY_KIB: u32 = 19 * 1024;
pub(crate) const ARGON2_MIN_ITERATIONS: u32 = 2;

impl Settings {
    /// Defaults, then the file (if any), then `SEALDRAW__…` variables.
    pub(crate) fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("SEALDRAW")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        let settings: Settings = builder.build()?.try_deserialize()?;
        Ok(settings)
    }

    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("sealdraw.db").display()),
        }
    }

    /// Where the server keeps a copy of the newest checkpoint it signed, outside the database
    /// (`audit::AuditLog`): a restored database cannot carry it back in time.
    pub(crate) fn checkpoint_copy(&self) -> PathBuf {
        self.data_dir.join("audit").join("latest-checkpoint")
    }

    pub(crate) fn key_file(&self) -> PathBuf {
        self.keys
            .file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys.json"))
    }

    /// Where certificates come from: configured paths, or the dev profile's generated ones.
    pub(crate) fn certificate_paths(&self) -> Option<(PathBuf, PathBuf)> {
        match (&self.tls.cert, &self.tls.key, self.profile) {
            (Some(cert), Some(key), _) => Some((cert.clone(), key.clone())),
            (None, None, Profile::Dev) => Some((
                PathBuf::from("certs/dev/server.pem"),
                PathBuf::from("certs/dev/server-key.pem"),
            )),
            _ => None,
        }
    }

    /// Only what `migrate` needs.
    pub(crate) fn validate_database(&self) -> Result<(), SettingsError> {
        let url = self.database_url();
        if url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://")
        {
            Ok(())
        } else {
            Err(SettingsError::Invalid(vec![
                "database.url must start with sqlite: or postgres://".into(),
            ]))
        }
    }

    /// Every problem at once, each naming the setting and what is expected.
    pub(crate) fn validate(&self) -> Result<(), SettingsError> {
        let mut problems = Vec::new();
        if self.server.address.parse::<SocketAddr>().is_err() {
            problems.push(format!(
                "server.address {:?} is not an IP:port address",
                self.server.address
            ));
        }
        for (name, value) in [
            ("server.max_body_bytes", self.server.max_body_bytes as u64),
            (
                "server.request_timeout_secs",
                self.server.request_timeout_secs,
            ),
            (
                "server.client_header_timeout_secs",
                self.server.client_header_timeout_secs,
            ),
            ("server.max_connections", self.server.max_connections as u64),
            (
                "database.max_connections",
                u64::from(self.database.max_connections),
            ),
            (
                "audit.checkpoint_interval_secs",
                self.audit.checkpoint_interval_secs,
            ),
        ] {
            if value == 0 {
                problems.push(format!("{name} must be greater than 0"));
            }
        }
        match (&self.tls.cert, &self.tls.key) {
            (Some(_), None) | (None, Some(_)) => {
                problems.push("tls.cert and tls.key must be set together".into())
            }
            (None, None) if self.profile == Profile::Production => problems.push(
                "tls.cert and tls.key are required (only profile = \"dev\" generates certificates)"
                    .into(),
            ),
            _ => {}
        }
        if self.profile == Profile::Production {
            for (name, path) in [("tls.cert", &self.tls.cert), ("tls.key", &self.tls.key)] {
                if let Some(path) = path
                    && !path.is_file()
                {
                    problems.push(format!("{name}: {} does not exist", path.display()));
                }
            }
        }
        if let Some(ca) = &self.tls.client_ca
            && !ca.is_file()
        {
            problems.push(format!("tls.client_ca: {} does not exist", ca.display()));
        }
        if !self.tls.gateways.is_empty() && self.tls.client_ca.is_none() {
            problems.push(
                "tls.gateways: a gateway is known by its client certificate; set tls.client_ca"
                    .into(),
            );
        }
        for (i, gateway) in self.tls.gateways.iter().enumerate() {
            if gateway.len() != 64
                || !gateway
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            {
                problems.push(format!(
                    "tls.gateways[{i}]: must be a certificate's SHA-256 fingerprint, 64 lowercase hex digits"
                ));
            }
        }
        let url = self.database_url();
        if self.audit.require_sync_standby && url.starts_with("sqlite:") {
            problems.push(
                "audit.require_sync_standby needs PostgreSQL with a synchronous standby; SQLite \
                 has no standby"
                    .into(),
            );
        }
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            problems.push("database.url must start with sqlite: or postgres://".into());
        }
        if self.auth.argon2_memory_kib < ARGON2_MIN_MEMORY_KIB {
            problems.push(format!(
                "auth.argon2_memory_kib must be at least {ARGON2_MIN_MEMORY_KIB}"
            ));
        }
        if self.auth.argon2_iterations < ARGON2_MIN_ITERATIONS {
            problems.push(format!(
                "auth.argon2_iterations must be at least {ARGON2_MIN_ITERATIONS}"
            ));
        }
        if self.auth.argon2_parallelism == 0 {
            problems.push("auth.argon2_parallelism must be at least 1".into());
        }
        if self.auth.token_idle_minutes <= 0 || self.auth.token_absolute_hours <= 0 {
            problems.push("auth token lifetimes must be positive".into());
        }
        if self.auth.failures_before_delay == 0
            || self.auth.account_failures_per_window == 0
            || self.auth.address_attempts_per_minute == 0
        {
            problems.push("auth throttling limits must be at least 1".into());
        }
        if self.auth.failure_delay_secs == 0
            || self.auth.max_failure_delay_secs < self.auth.failure_delay_secs
            || self.auth.failure_window_secs <= 0
            || self.auth.known_address_days < 0
        {
            problems.push(
                "auth.failure_delay_secs must be at least 1 and at most max_failure_delay_secs, \
                 failure_window_secs positive and known_address_days not negative"
                    .into(),
            );
        }
        if !matches!(self.telemetry.log_format.as_str(), "json" | "pretty") {
            problems.push("telemetry.log_format must be \"json\" or \"pretty\"".into());
        }
        if !self.telemetry.metrics_address.is_empty() {
            match self.telemetry.metrics_address.parse::<SocketAddr>() {
                Err(_) => problems.push(format!(
                    "telemetry.metrics_address {:?} is not an IP:port address",
                    self.telemetry.metrics_address
                )),
                Ok(addr)
                    if !addr.ip().is_loopback()
                        && !self.telemetry.danger_metrics_on_public_address =>
                {
                    problems.push(
                        "telemetry.metrics_address must be a loopback address (metrics are not \
                         authenticated); set telemetry.danger_metrics_on_public_address to override"
                            .into(),
                    )
                }
                Ok(_) => {}
            }
        }
        if self.audit.origin.trim().is_empty() || self.audit.origin.contains(['\n', '+', ' ']) {
            problems.push(
                "audit.origin must be a non-empty single word without '+' (e.g. host/log)".into(),
            );
        }
        self.audit.validate_witnesses(&mut problems);
        self.draw.validate(&mut problems);
        self.notify.validate(&mut problems);
        self.session.validate(&mut problems);
        self.analytics.validate(&mut problems);
        self.archive.validate(&mut problems);
        self.signing_keys.validate(&mut problems);
        self.pool.validate(&mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SettingsError::Invalid(problems))
        }
    }
}

impl DrawSettings {
    fn validate(&self, problems: &mut Vec<String>) {
        if self.min_eligible_multiple == 0 {
            problems.push("draw.min_eligible_multiple must be at least 1".into());
        }
        if self.latest_minutes_before < 0
            || self.earliest_hours_before <= 0
            || self.latest_minutes_before >= self.earliest_hours_before * 60
        {
            problems.push(
                "draw.latest_minutes_before must be at least 0 and less than \
                 draw.earliest_hours_before (which must be positive)"
                    .into(),
            );
        }
        if !(1..=3600).contains(&self.contribution_timeout_secs) {
            problems.push("draw.contribution_timeout_secs must be from 1 to 3600".into());
        }
        if !(18..=120).contains(&self.age_limit_years) {
            problems.push("draw.age_limit_years must be from 18 to 120".into());
        }
        if !(0..=50).contains(&self.avoidance_years) {
            problems.push("draw.avoidance_years must be from 0 to 50".into());
        }
        if !(1..=3660).contains(&self.frequency_window_days) {
            problems.push("draw.frequency_window_days must be from 1 to 3660".into());
        }
        // The pool's own bounds (an import takes 0-70 years and titles 1-3): a floor outside
        // them would exclude everyone or mean nothing.
        if self.min_years > 70 {
            problems.push("draw.min_years must be from 0 to 70".into());
        }
        if !(1..=3).contains(&self.min_title) {
            problems.push(
                "draw.min_title must be 1 (中级), 2 (副高级, the statute's senior title) or 3 (正高级)"
                    .into(),
            );
        }
    }
}

impl AuditSettings {
    fn validate_witnesses(&self, problems: &mut Vec<String>) {
        use crate::audit::note::CosignatureVerifier;
        let mut verifiers: Vec<CosignatureVerifier> = Vec::new();
        for (position, witness) in self.witnesses.iter().enumerate() {
            let at = format!("audit.witnesses[{position}] ({})", witness.name);
            match witness.vkey.parse::<CosignatureVerifier>() {
                Err(e) => problems.push(format!(
                    "{at}: vkey is not a cosignature/v1 verifier key (type 0x04): {e}"
                )),
                Ok(verifier) if verifier.name() != witness.name => problems.push(format!(
                    "{at}: name must equal the vkey's key name {:?}",
                    verifier.name()
                )),
                Ok(verifier) => {
                    // One key counted under two names would fill two quorum places.
                    if verifiers.iter().any(|v| {
                        v.public_key() == verifier.public_key() || v.name() == verifier.name()
                    }) {
                        problems.push(format!(
                            "{at}: the same witness name or key is listed twice"
                        ));
                    }
                    verifiers.push(verifier);
                }
            }
            match reqwest::Url::parse(&witness.url) {
                Ok(url)
                    if url.scheme() == "https"
                        && url.host().is_some()
                        && url.query().is_none()
                        && url.fragment().is_none() => {}
                _ => problems.push(format!(
                    "{at}: url {:?} must be an https:// URL without query or fragment",
                    witness.url
                )),
            }
        }
        if self.witness_quorum > self.witnesses.len() {
            problems.push(format!(
                "audit.witness_quorum {} exceeds the {} configured witnesses",
                self.witness_quorum,
                self.witnesses.len()
            ));
        }
        if !self.witnesses.is_empty() {
            match &self.witness_ca {
                None => problems.push(
                    "audit.witness_ca is required when witnesses are configured (the PEM CA \
                     bundle that issues their HTTPS certificates)"
                        .into(),
                ),
                Some(ca) if !ca.is_file() => {
                    problems.push(format!("audit.witness_ca: {} does not exist", ca.display()))
                }
                Some(_) => {}
            }
            if self.witness_timeout_secs == 0 {
                problems.push("audit.witness_timeout_secs must be greater than 0".into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_for_the_dev_profile_but_production_needs_certificates() {
        let mut settings = Settings::default();
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("tls.cert and tls.key are required"), "{err}");
        settings.profile = Profile::Dev;
        settings.validate().unwrap();
    }

    #[test]
    fn the_readable_reports_font_must_be_readable() {
        let mut settings = Settings {
            profile: Profile::Dev,
            ..Settings::default()
        };
        settings.archive.font = PathBuf::from("/nonexistent/sealdraw-test-font.ttc");
        let err = settings.validate().unwrap_err().to_string();
        assert!(
            err.contains("archive.font: cannot read /nonexistent"),
            "{err}"
        );
    }

    #[test]
    fn waiting_for_a_synchronous_standby_needs_postgresql() {
        let mut settings = Settings {
            profile: Profile::Dev,
            ..Settings::default()
        };
        settings.audit.require_sync_standby = true;
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("audit.require_sync_standby"), "{err}");
        settings.database.url = Some(SecretString::from(
            "postgres://sealdraw@db-a:5432,db-b:5432/sealdraw?target_session_attrs=read-write",
        ));
        settings.validate().unwrap();
    }

    #[test]
    fn every_problem_is_reported_by_name() {
        let mut settings = Settings {
            profile: Profile::Dev,
            ..Settings::default()
        };
        settings.server.address = "nonsense".into();
        settings.auth.argon2_memory_kib = 1024;
        settings.telemetry.metrics_address = "0.0.0.0:9000".into();
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("server.address"), "{err}");
        assert!(err.contains("argon2_memory_kib"), "{err}");
        assert!(err.contains("danger_metrics_on_public_address"), "{err}");
    }

    #[test]
    fn the_statutory_floor_defaults_to_the_statute_and_stays_within_the_pools_bounds() {
        let mut settings = Settings {
            profile: Profile::Dev,
            ..Settings::default()
        };
        assert_eq!((settings.draw.min_years, settings.draw.min_title), (8, 2));
        settings.draw.min_years = 71;
        settings.draw.min_title = 0;
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("draw.min_years"), "{err}");
        assert!(err.contains("draw.min_title"), "{err}");
        settings.draw.min_title = 4;
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("draw.min_title"), "{err}");
    }

    #[test]
    fn witness_settings_are_checked() {
        // A cosignature verifier key (type 0x04) for the public key 03…03, written out.
        let vkey = "w1.example+a6090492+BAMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMD".to_owned();
        let witness = |name: &str, url: &str, vkey: &str| WitnessSettings {
            name: name.into(),
            url: url.into(),
            vkey: vkey.into(),
        };
        let mut settings = Settings {
            profile: Profile::Dev,
            ..Settings::default()
        };
        settings.audit.witnesses = vec![
            witness("w1.example", "https://w1.example/witness", &vkey),
            witness("w2.example", "http://w2.example", &vkey),
            witness(
                "w3.example",
                "https://w3.example",
                "w3.example+00000000+AAAA",
            ),
        ];
        settings.audit.witness_quorum = 4;
        let err = settings.validate().unwrap_err().to_string();
        assert!(
            err.contains("audit.witnesses[1] (w2.example): name must equal"),
            "{err}"
        );
        assert!(err.contains("must be an https:// URL"), "{err}");
        assert!(
            err.contains("audit.witnesses[2] (w3.example): vkey"),
            "{err}"
        );
        assert!(err.contains("witness_quorum 4 exceeds"), "{err}");
        assert!(err.contains("audit.witness_ca is required"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "").unwrap();
        settings.audit.witnesses.truncate(1);
        settings.audit.witness_quorum = 1;
        settings.audit.witness_ca = Some(ca);
        settings.validate().unwrap();
    }

    #[test]
    fn notify_webhook_settings_are_checked() {
        let mut settings = Settings {
            profile: Profile::Dev,
            ..Settings::default()
        };
        settings.notify.gateway = NotifyGateway::Webhook;
        settings.notify.lease_secs = settings.notify.timeout_secs;
        settings.notify.max_attempts = 0;
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("notify.webhook_url is required"), "{err}");
        assert!(err.contains("notify.webhook_secret is required"), "{err}");
        assert!(err.contains("notify.webhook_ca is required"), "{err}");
        assert!(err.contains("notify.lease_secs must exceed"), "{err}");
        assert!(err.contains("notify.max_attempts must be greater"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "").unwrap();
        settings.notify.lease_secs = 60;
        settings.notify.max_attempts = 5;
        settings.notify.webhook_url = Some("http://sms.example/send".into());
        settings.notify.webhook_secret = Some(SecretString::from("short"));
        settings.notify.webhook_ca = Some(ca);
        let err = settings.validate().unwrap_err().to_string();
        assert!(
            err.contains("notify.webhook_url must be an https://"),
            "{err}"
        );
        assert!(err.contains("at least 32 bytes"), "{err}");
        assert!(!err.contains("short"), "{err}");

        settings.notify.webhook_url = Some("https://sms.example/send".into());
        settings.notify.webhook_secret = Some(SecretString::from("s".repeat(32)));
        settings.validate().unwrap();
        assert!(!format!("{settings:?}").contains(&"s".repeat(32)));
    }

    #[test]
    fn the_shipped_example_configuration_loads_and_states_the_defaults() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sealdraw.example.toml");
        let mut loaded = Settings::load(Some(Path::new(path))).unwrap();
        let defaults = Settings::default();
        assert_eq!(loaded.server.address, defaults.server.address);
        assert_eq!(
            loaded.auth.argon2_memory_kib,
            defaults.auth.argon2_memory_kib
        );
        assert_eq!(
            loaded.audit.checkpoint_interval_secs,
            defaults.audit.checkpoint_interval_secs
        );
        assert_eq!(loaded.notify.gateway, defaults.notify.gateway);
        assert_eq!(loaded.notify.max_attempts, defaults.notify.max_attempts);
        assert_eq!(
            loaded.notify.answer_deadline_minutes,
            defaults.notify.answer_deadline_minutes
        );
        assert_eq!(loaded.draw.min_years, defaults.draw.min_years);
        assert_eq!(loaded.draw.min_title, defaults.draw.min_title);
        assert_eq!(
            loaded.draw.require_training_current,
            defaults.draw.require_training_current
        );
        assert_eq!(
            loaded.pool.training.required_hours_per_year,
            defaults.pool.training.required_hours_per_year
        );
        assert_eq!(
            loaded.pool.assessment.tier_a_from,
            defaults.pool.assessment.tier_a_from
        );
        assert_eq!(
            loaded.pool.assessment.penalty_points,
            defaults.pool.assessment.penalty_points
        );
        loaded.profile = Profile::Dev;
        loaded.validate().unwrap();
    }

    #[test]
    fn the_assessment_settings_are_checked_and_training_is_not_required_by_default() {
        let mut settings = Settings {
            profile: Profile::Dev,
            ..Settings::default()
        };
        settings.validate().unwrap();
        assert!(!settings.draw.require_training_current);
        assert_eq!(settings.pool.training.required_hours_per_year, 8);
        settings.pool.training.required_hours_per_year = 0;
        settings.pool.assessment.tier_b_from = 95;
        settings.pool.assessment.rating_weight = 0;
        settings.pool.assessment.training_weight = 0;
        let err = settings.validate().unwrap_err().to_string();
        for named in [
            "pool.training.required_hours_per_year",
            "pool.assessment.tier_b_from",
            "pool.assessment.rating_weight",
        ] {
            assert!(err.contains(named), "{named}: {err}");
        }
    }

    #[test]
    fn database_password_is_redacted_in_debug_output() {
        let settings = Settings {
            database: DatabaseSettings {
                url: Some(SecretString::from("postgres://u:hunter2@db/x")),
                ..DatabaseSettings::default()
            },
            ..Settings::default()
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
