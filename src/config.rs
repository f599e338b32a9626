//! Typed configuration: defaults that need no set-up, every value overridable from the
//! environment (see the README's configuration table). Policy numbers that regulators may change
//! live here, not in code paths.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, Months, NaiveDate, Utc};

use crate::domain::investor::QualificationThresholds;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/suitability.db";

/// Calendar dates (ages, "today") are taken in China Standard Time, where the firms operate.
pub fn business_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

pub fn business_today() -> NaiveDate {
    Utc::now().with_timezone(&business_offset()).date_naive()
}

/// `t` plus `months` calendar months as counted in China: an assessment made at 01:00 on 31
/// January (17:00 on the 30th in UTC) is valid until 28 February, China time, not 1 March.
/// Clamped at month end, as chrono does; `None` past the representable range.
pub fn add_business_months(t: DateTime<Utc>, months: u32) -> Option<DateTime<Utc>> {
    t.with_timezone(&business_offset())
        .checked_add_months(Months::new(months))
        .map(|local| local.with_timezone(&Utc))
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub rules_dir: PathBuf,
    pub questionnaires_dir: PathBuf,
    pub policy: Policy,
    /// How often an instance checks the store for a newly activated rule set.
    pub ruleset_poll: std::time::Duration,
    /// Where and how often the service writes audit checkpoints; None: it does not (tests; an
    /// operator who takes them with `audit checkpoint` from outside).
    pub checkpoints: Option<(PathBuf, std::time::Duration)>,
    /// The key that seals personal data (default for SQLite: a key file beside the database).
    pub data_key: crate::vault::KeySource,
    /// How often the overdue sweep runs (also once at start); None: never (tests drive it).
    pub overdue_sweep: Option<std::time::Duration>,
    pub console: ConsoleConfig,
    /// The bearer token `GET /metrics` asks for; None: metrics are not served (404).
    pub metrics_token: Option<String>,
}

/// The browser console's sessions.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// A session idle longer than this is over.
    pub idle: chrono::Duration,
    /// A session is over this long after sign-in, however busy (the cookie's Max-Age too).
    pub lifetime: chrono::Duration,
    /// Mark cookies `Secure` even without `X-Forwarded-Proto: https` (TLS in front).
    pub secure_cookies: bool,
    /// The address investors reach the service at (`https://invest.example.com`): links sent to
    /// them start with it. Without it, a link takes the host the staff member's request named.
    pub public_url: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed: the client address recorded with a
    /// signature is the nearest address in that header not among them. Anyone else's header is
    /// ignored, so a client cannot choose the address its signature records.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            idle: chrono::Duration::hours(8),
            lifetime: chrono::Duration::hours(12),
            secure_cookies: false,
            public_url: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Business policy values with regulatory defaults.
#[derive(Debug, Clone)]
pub struct Policy {
    pub qualification: QualificationThresholds,
    /// The criteria of professional status and of an application for it (regulation.md §1).
    pub professional: crate::domain::classification::ProfessionalThresholds,
    /// How long a professional classification holds before it must be renewed.
    pub classification_validity_months: u32,
    /// A proof of assets or income older than this proves nothing for a classification.
    pub qualification_evidence_max_age_days: u32,
    /// How long a questionnaire result stays valid (at most 3 years under 募集行为管理办法).
    pub assessment_validity_months: u32,
    /// No product may set a lower minimum subscription (私募 1,000,000 under 暂行办法 第十二条).
    pub min_subscription_floor: crate::domain::Money,
    pub callbacks: CallbackPolicy,
    /// Retakes: at most `max_assessments_per_window` assessments of one investor in
    /// `retake_window_days` (recorded, not back-dated), and a raised level within the window is
    /// flagged for review.
    pub retake_window_days: u32,
    pub max_assessments_per_window: usize,
    /// How far back an order's `signed_at` and `paid_at` may lie (a paper contract entered late),
    /// in days; older dates are refused as typing errors or backdating.
    pub max_backdate_days: u32,
}

/// Callback timing (regulation.md §3, §5).
#[derive(Debug, Clone)]
pub struct CallbackPolicy {
    /// Cooling-off after the later of signing and payment; never under 24 hours.
    pub cooling_off_hours: u32,
    /// The confirmation callback is due within this many days after cooling-off ends.
    pub confirmation_window_days: u32,
    /// A periodic callback is due within this many days after its date.
    pub periodic_window_days: u32,
    /// Special callbacks raised by events (re-rating, lowered level) are due within this many days.
    pub event_due_days: u32,
    /// Attempts to reach an investor before the callback escalates.
    pub max_attempts: i64,
    /// The least time between two unreached attempts (a retry at once is not a second try).
    pub attempt_gap_minutes: u32,
    /// The unreached attempts must fall on at least this many different days to escalate.
    pub attempt_min_days: u32,
}

/// The longest a questionnaire result may stay valid: 3 years (募集行为管理办法).
pub const MAX_ASSESSMENT_VALIDITY_MONTHS: u32 = 36;

impl Policy {
    /// What no configuration may set: a validity beyond the regulatory 36 months, or none.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_ASSESSMENT_VALIDITY_MONTHS).contains(&self.assessment_validity_months) {
            return Err(format!(
                "SUITABILITY_ASSESSMENT_VALIDITY_MONTHS is {}: it must be 1 to {MAX_ASSESSMENT_VALIDITY_MONTHS} (an assessment is valid at most 3 years)",
                self.assessment_validity_months
            ));
        }
        if self.callbacks.cooling_off_hours < MIN_COOLING_OFF_HOURS {
            return Err(format!(
                "the cooling-off period is {} hours: it must be at least {MIN_COOLING_OFF_HOURS}",
                self.callbacks.cooling_off_hours
            ));
        }
        Ok(())
    }
}

/// The regulatory minimum of the cooling-off period.
pub const MIN_COOLING_OFF_HOURS: u32 = 24;

impl Default for CallbackPolicy {
    fn default() -> Self {
        Self {
            cooling_off_hours: MIN_COOLING_OFF_HOURS,
            confirmation_window_days: 3,
            periodic_window_days: 30,
            event_due_days: 30,
            max_attempts: 3,
            attempt_gap_minutes: 240,
            attempt_min_days: 2,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            qualification: QualificationThresholds::default(),
            professional: Default::default(),
            classification_validity_months: 24,
            qualification_evidence_max_age_days: 180,
            assessment_validity_months: 36,
            min_subscription_floor: crate::domain::Money::from_yuan(1_000_000),
            callbacks: CallbackPolicy::default(),
            max_backdate_days: 90,
            retake_window_days: 30,
            max_assessments_per_window: 3,
        }
    }
}

impl Config {
    /// The defaults, pointing at `database_url`; used by tests and as the base of the CLI's values.
    pub fn with_database(database_url: impl Into<String>) -> Self {
        Self {
            listen: DEFAULT_LISTEN
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080))),
            database_url: database_url.into(),
            rules_dir: PathBuf::from("rules"),
            questionnaires_dir: PathBuf::from("questionnaires"),
            policy: Policy::default(),
            ruleset_poll: std::time::Duration::from_secs(2),
            checkpoints: None,
            overdue_sweep: Some(std::time::Duration::from_secs(60)),
            console: ConsoleConfig::default(),
            data_key: crate::vault::KeySource::default(),
            metrics_token: None,
        }
    }
}
