//! Time is injected so that expiry, throttling and audit timestamps are deterministic in tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// Milliseconds since the Unix epoch, UTC: the one time representation stored by both backends.
pub type Millis = i64;

pub trait Clock: Send + Sync + 'static {
    fn now_millis(&self) -> Millis;

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.now_millis()).unwrap_or_default()
    }
}

pub(crate) type SharedClock = Arc<dyn Clock>;

pub(crate) struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the production clock: the one reader of the wall clock behind the Clock handle"
    )]
    fn now_millis(&self) -> Millis {
        Utc::now().timestamp_millis()
    }
}

/// A clock that tests move by hand; shared so the test and the server see the same time.
#[derive(Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn starting_at(millis: Millis) -> Self {
        Self(Arc::new(AtomicI64::new(millis)))
    }

    pub fn advance(&self, by: std::time::Duration) {
        let step = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(step, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

pub fn to_rfc3339(millis: Millis) -> String {
    DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Days since 1970-01-01 in the province's calendar (UTC+8): the day a dated count (a
/// selection, a counted event) belongs to, as people in the province would date it.
pub(crate) fn province_day(millis: Millis) -> i64 {
    (millis + 8 * 3_600_000).div_euclid(86_400_000)
}

/// A time in messages people read (problem details): RFC 3339 at Beijing's offset,
/// `2026-12-05T10:00:00+08:00`, because the province reads its clocks in Beijing time and a
/// `Z` time reads as eight hours wrong; still one instant that any parser takes.
pub fn to_beijing_rfc3339(millis: Millis) -> String {
    let time = DateTime::from_timestamp_millis(millis).unwrap_or_default();
    match chrono::FixedOffset::east_opt(8 * 3600) {
        Some(beijing) => time
            .with_timezone(&beijing)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        // Unreachable (eight hours is a valid offset); UTC is still the right instant.
        None => time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}
