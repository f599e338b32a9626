//! `suitability serve`: its options (each also from the environment) and the start.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::app::Application;
use crate::config::{Config, DEFAULT_LISTEN};

/// Where the shipped files are and how long an assessment lasts: `serve` and `import` alike.
#[derive(clap::Args)]
pub struct Setup {
    /// Folder of questionnaire files (assessments are scored on them).
    #[arg(
        long,
        env = "SUITABILITY_QUESTIONNAIRES_DIR",
        default_value = "questionnaires"
    )]
    pub questionnaires_dir: PathBuf,
    /// Folder of the rule set that seeds version 1 on an empty store.
    #[arg(long, env = "SUITABILITY_RULES_DIR", default_value = "rules")]
    pub rules_dir: PathBuf,
    /// Months a questionnaire result stays valid.
    #[arg(
        long,
        env = "SUITABILITY_ASSESSMENT_VALIDITY_MONTHS",
        default_value_t = 36
    )]
    pub assessment_validity_months: u32,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The address and port to listen on.
    #[arg(long, env = "SUITABILITY_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    pub setup: Setup,
    /// Days an order's signing or payment date may lie in the past.
    #[arg(long, env = "SUITABILITY_MAX_BACKDATE_DAYS", default_value_t = 90)]
    pub max_backdate_days: u32,
    /// Least minutes between two unreached callback attempts.
    #[arg(long, env = "SUITABILITY_ATTEMPT_GAP_MINUTES", default_value_t = 240)]
    pub attempt_gap_minutes: u32,
    /// Different days the unreached attempts must span before a callback escalates.
    #[arg(long, env = "SUITABILITY_ATTEMPT_MIN_DAYS", default_value_t = 2)]
    pub attempt_min_days: u32,
    /// Folder the service writes audit checkpoints to.
    #[arg(
        long,
        env = "SUITABILITY_CHECKPOINT_DIR",
        default_value = "data/checkpoints"
    )]
    pub checkpoint_dir: PathBuf,
    /// Minutes between checkpoints (0: none).
    #[arg(long, env = "SUITABILITY_CHECKPOINT_MINUTES", default_value_t = 10)]
    pub checkpoint_minutes: u64,
    /// Seconds between overdue sweeps, which also run at start (0: none).
    #[arg(long, env = "SUITABILITY_OVERDUE_SWEEP_SECONDS", default_value_t = 60)]
    pub overdue_sweep_seconds: u64,
    /// Minutes a console session may stay idle before it is over.
    #[arg(long, env = "SUITABILITY_CONSOLE_IDLE_MINUTES", default_value_t = 480)]
    pub console_idle_minutes: u32,
    /// Mark console cookies Secure (TLS terminates in front of the service).
    #[arg(long, env = "SUITABILITY_CONSOLE_SECURE_COOKIES")]
    pub console_secure_cookies: bool,
    /// Hours after sign-in a console session ends, however busy.
    #[arg(long, env = "SUITABILITY_CONSOLE_LIFETIME_HOURS", default_value_t = 12)]
    pub console_lifetime_hours: u32,
    /// The address investors reach the service at; their links start with it.
    #[arg(long, env = "SUITABILITY_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Reverse proxies (comma-separated addresses) whose X-Forwarded-For is believed.
    #[arg(long, env = "SUITABILITY_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The bearer token a Prometheus scraper sends to `GET /metrics` (at least 32
    /// characters); without it metrics are not served.
    #[arg(long, env = "SUITABILITY_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// Builds the configuration from the options and runs the service until a signal.
pub async fn run(
    a: ServeArgs,
    database_url: String,
    key: crate::vault::KeySource,
) -> Result<ExitCode, String> {
    if a.metrics_token
        .as_ref()
        .is_some_and(|t| t.chars().count() < 32)
    {
        return Err("SUITABILITY_METRICS_TOKEN must be at least 32 characters".into());
    }
    let mut config = Config::with_database(database_url);
    config.listen = a.listen;
    config.questionnaires_dir = a.setup.questionnaires_dir;
    config.rules_dir = a.setup.rules_dir;
    config.policy.assessment_validity_months = a.setup.assessment_validity_months;
    config.policy.max_backdate_days = a.max_backdate_days;
    config.policy.callbacks.attempt_gap_minutes = a.attempt_gap_minutes;
    config.policy.callbacks.attempt_min_days = a.attempt_min_days;
    config.data_key = key;
    config.checkpoints = (a.checkpoint_minutes > 0).then(|| {
        (
            a.checkpoint_dir,
            std::time::Duration::from_secs(a.checkpoint_minutes * 60),
        )
    });
    config.console.idle = chrono::Duration::minutes(i64::from(a.console_idle_minutes.max(1)));
    config.console.secure_cookies = a.console_secure_cookies;
    config.console.lifetime = chrono::Duration::hours(i64::from(a.console_lifetime_hours.max(1)));
    config.console.public_url = a.public_url;
    config.console.trusted_proxies = a.trusted_proxies;
    config.overdue_sweep = (a.overdue_sweep_seconds > 0)
        .then(|| std::time::Duration::from_secs(a.overdue_sweep_seconds));
    config.metrics_token = a.metrics_token;
    let app = Application::build(config)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(addr = %app.local_addr(), backend = app.state().db.backend(), "ready");
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// An `http(s)://host[:port]` address without path, query or credentials.
fn parse_public_url(raw: &str) -> Result<String, String> {
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or("must start with https:// or http://")?;
    let host = rest.trim_end_matches('/');
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    {
        return Err(
            "must be a scheme and host (and port) only, e.g. https://invest.example.com".into(),
        );
    }
    Ok(raw.trim_end_matches('/').to_string())
}
