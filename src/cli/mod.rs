//! The command line: `serve`, `token create`, and the tools rule authors and auditors run.
//! Every option also comes from the environment. Logs go to stderr so that stdout carries only
//! what a command is asked to print (a token, a report).

mod audit;
mod backup;
mod import;
mod rules;
mod tokens;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::Application;
use crate::config::{Config, DEFAULT_DATABASE_URL, DEFAULT_LISTEN};
use crate::store::Db;

#[derive(Parser)]
#[command(
    name = "suitability",
    version,
    about = "Investor suitability and client callbacks"
)]
struct Cli {
    /// Database: a sqlite:// file (created on first use) or a postgres:// URL.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    /// The key sealing personal data (and chaining the audit trail): 64 hex characters.
    #[arg(
        long,
        global = true,
        env = "SUITABILITY_DATA_KEY",
        hide_env_values = true
    )]
    data_key: Option<String>,
    /// A file holding that key (created for an empty database); default for SQLite: beside the
    /// database.
    #[arg(long, global = true, env = "SUITABILITY_DATA_KEY_FILE")]
    data_key_file: Option<PathBuf>,
    /// Log lines as text (default) or as one JSON object per line (for a log collector).
    #[arg(
        long,
        global = true,
        env = "SUITABILITY_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve {
        #[arg(long, env = "SUITABILITY_LISTEN", default_value = DEFAULT_LISTEN)]
        listen: std::net::SocketAddr,
        /// Folder of questionnaire files.
        #[arg(
            long,
            env = "SUITABILITY_QUESTIONNAIRES_DIR",
            default_value = "questionnaires"
        )]
        questionnaires_dir: PathBuf,
        /// Folder of the rule set that seeds version 1.
        #[arg(long, env = "SUITABILITY_RULES_DIR", default_value = "rules")]
        rules_dir: PathBuf,
        /// Months a questionnaire result stays valid.
        #[arg(
            long,
            env = "SUITABILITY_ASSESSMENT_VALIDITY_MONTHS",
            default_value_t = 36
        )]
        assessment_validity_months: u32,
        /// Days an order's signing or payment date may lie in the past.
        #[arg(long, env = "SUITABILITY_MAX_BACKDATE_DAYS", default_value_t = 90)]
        max_backdate_days: u32,
        /// Least minutes between two unreached callback attempts.
        #[arg(long, env = "SUITABILITY_ATTEMPT_GAP_MINUTES", default_value_t = 240)]
        attempt_gap_minutes: u32,
        /// Different days the unreached attempts must span before a callback escalates.
        #[arg(long, env = "SUITABILITY_ATTEMPT_MIN_DAYS", default_value_t = 2)]
        attempt_min_days: u32,
        /// Folder the service writes audit checkpoints to.
        #[arg(
            long,
            env = "SUITABILITY_CHECKPOINT_DIR",
            default_value = "data/checkpoints"
        )]
        checkpoint_dir: PathBuf,
        /// Minutes between checkpoints (0: none).
        #[arg(long, env = "SUITABILITY_CHECKPOINT_MINUTES", default_value_t = 10)]
        checkpoint_minutes: u64,
        /// Seconds between overdue sweeps, which also run at start (0: none).
        #[arg(long, env = "SUITABILITY_OVERDUE_SWEEP_SECONDS", default_value_t = 60)]
        overdue_sweep_seconds: u64,
        /// Minutes a console session may stay idle before it is over.
        #[arg(long, env = "SUITABILITY_CONSOLE_IDLE_MINUTES", default_value_t = 480)]
        console_idle_minutes: u32,
        /// Mark console cookies Secure (TLS terminates in front of the service).
        #[arg(long, env = "SUITABILITY_CONSOLE_SECURE_COOKIES")]
        console_secure_cookies: bool,
        /// Hours after sign-in a console session ends, however busy.
        #[arg(long, env = "SUITABILITY_CONSOLE_LIFETIME_HOURS", default_value_t = 12)]
        console_lifetime_hours: u32,
        /// The address investors reach the service at; their links start with it.
        #[arg(long, env = "SUITABILITY_PUBLIC_URL", value_parser = parse_public_url)]
        public_url: Option<String>,
        /// Reverse proxies (comma-separated addresses) whose X-Forwarded-For is believed.
        #[arg(long, env = "SUITABILITY_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// The bearer token a Prometheus scraper sends to `GET /metrics` (at least 32
        /// characters); without it metrics are not served.
        #[arg(long, env = "SUITABILITY_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
    },
    /// Apply the database migrations (on PostgreSQL as the owner), and optionally give the
    /// service's own role data rights only.
    Migrate {
        /// A PostgreSQL role `serve` will log in as: granted read and write on rows, no DDL.
        #[arg(long)]
        app_role: Option<String>,
    },
    /// The data key.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Staff tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Retention: export every record for the archive (nothing is deleted through the API).
    Archive {
        #[command(subcommand)]
        command: ArchiveCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Copy the SQLite database while the service runs (one consistent snapshot), 0600, then
    /// check the copy: it opens with the data key and its audit trail verifies.
    Backup {
        /// The file to write (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Bring in an existing book from a CSV (UTF-8) or XLSX file, headers named as the API's
    /// fields or in Chinese (README, Imports); bad rows go to FILE.errors.csv beside it; the
    /// same file twice adds nothing.
    Import {
        /// investors, holdings or assessments
        #[arg(value_parser = parse_import_kind)]
        kind: crate::workflow::imports::ImportKind,
        /// The CSV or XLSX file.
        file: PathBuf,
        /// Check every row (each runs and is rolled back); write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The risk or admin staff member the import is recorded under.
        #[arg(long = "as", value_name = "NAME", env = "SUITABILITY_IMPORT_AS")]
        staff: String,
        /// Investors: the sales owner (name or id) of rows without a sales_owner column.
        #[arg(long)]
        sales_owner: Option<String>,
        /// Folder of questionnaire files (assessments are scored on them).
        #[arg(
            long,
            env = "SUITABILITY_QUESTIONNAIRES_DIR",
            default_value = "questionnaires"
        )]
        questionnaires_dir: PathBuf,
        /// Folder of the rule set that seeds version 1 on an empty store (as `serve`).
        #[arg(long, env = "SUITABILITY_RULES_DIR", default_value = "rules")]
        rules_dir: PathBuf,
        /// Months a questionnaire result stays valid (as the service is run).
        #[arg(
            long,
            env = "SUITABILITY_ASSESSMENT_VALIDITY_MONTHS",
            default_value_t = 36
        )]
        assessment_validity_months: u32,
    },
    /// Rule sets, for rule authors.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand)]
enum ArchiveCommand {
    /// Write every table as JSON Lines with a manifest of row counts and digests.
    Export {
        /// The folder to write (created if needed).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the keyed chain end to end; exits non-zero, naming the first bad entry, if any entry
    /// was altered, removed or reordered, or the trail no longer extends `--checkpoint`.
    Verify {
        /// A checkpoint file (`audit checkpoint`, or the service's data/checkpoints/).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Also report every order, investor, callback, product and rule set whose current
        /// content no audit entry explains (edited in the database, or written without one).
        #[arg(long)]
        rows: bool,
    },
    /// Once, after upgrading a database whose trail predates keyed chains: accept (signed) the
    /// entries there are now as the unkeyed ones; never raised afterwards.
    AcceptUnkeyed,
    /// Verify the trail and write a signed checkpoint (entries, head hash, time) to keep
    /// outside the database.
    Checkpoint {
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Compile a rule folder and run its tests (`tests/*.toml`); exits non-zero on any failure.
    Test {
        /// The rule folder.
        #[arg(default_value = "rules")]
        dir: PathBuf,
    },
    /// Upload a rule folder as a new draft version (compiled and tested by the service too).
    Publish {
        /// The rule folder.
        #[arg(default_value = "rules")]
        dir: PathBuf,
        /// The service, e.g. http://127.0.0.1:8080
        #[arg(long, env = "SUITABILITY_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// A risk or admin token.
        #[arg(long, env = "SUITABILITY_TOKEN", hide_env_values = true)]
        token: String,
        /// What changed and why.
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Re-seal all personal data under a new key (64 hex characters in FILE, mode 0600), in
    /// batches with progress; run again with the same file to resume after an interruption.
    /// The service must be stopped; afterwards start it with the new key.
    Rotate {
        #[arg(long)]
        new_key_file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create the staff member if needed and print a new token alone on the last line.
    Create {
        #[arg(long)]
        name: String,
        /// Comma-separated: sales, risk, planner, compliance, admin.
        #[arg(long = "role", value_name = "ROLE[,ROLE…]")]
        roles: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = crate::store::staff::DEFAULT_TOKEN_DAYS)]
        expires_in_days: i64,
    },
    /// Every token: id, staff member, created, expires, last used, revoked (never the token).
    List,
    /// Revoke a token by id: it gets 401 within a second on every instance.
    Revoke { id: String },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // An import would log every row it onboards: its progress bar and report say enough.
    let default_filter = if matches!(cli.command, Command::Import { .. }) {
        "info,sqlx=warn,suitability::workflow=warn"
    } else {
        "info,sqlx=warn"
    };
    init_tracing(cli.log_format, default_filter);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat, default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // JSON lines carry the request's span (its id, method, path, staff) on every event.
    let _ = match format {
        LogFormat::Text => logs.try_init(),
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// Connects, migrates and opens the data key as `serve` would (the audit trail needs it).
async fn open(
    url: &str,
    key_hex: Option<String>,
    key_file: Option<PathBuf>,
) -> Result<(Db, crate::vault::Vault), String> {
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    db.migrate_if_needed().await.map_err(|e| e.to_string())?;
    let mut config = Config::with_database(url);
    config.data_key = crate::vault::KeySource { key_hex, key_file };
    let vault = crate::keys::open_vault(&db, &crate::app::key_source(&config))
        .await
        .map_err(|e| e.to_string())?;
    Ok((db, vault))
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Archive {
            command: ArchiveCommand::Export { out },
        } => {
            let db = Db::connect(&cli.database_url)
                .await
                .map_err(|e| e.to_string())?;
            db.migrate().await.map_err(|e| e.to_string())?;
            let manifest = crate::archive::export(&db, &out).await?;
            db.close().await;
            for t in &manifest.tables {
                println!("{:<24} {:>9} rows  {}", t.table, t.rows, t.sha256);
            }
            println!("exported to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { out } => {
            let mut config = Config::with_database(&cli.database_url);
            config.data_key = crate::vault::KeySource {
                key_hex: cli.data_key,
                key_file: cli.data_key_file,
            };
            // The source's key (for SQLite, by default the file beside the source database).
            let key = crate::app::key_source(&config);
            backup::run(&cli.database_url, key, &out).await
        }
        Command::Audit { command } => {
            let (db, _) = open(&cli.database_url, cli.data_key, cli.data_key_file).await?;
            let result = audit::run(&db, command).await;
            db.close().await;
            result
        }
        Command::Import {
            kind,
            file,
            dry_run,
            staff,
            sales_owner,
            questionnaires_dir,
            rules_dir,
            assessment_validity_months,
        } => {
            let (db, vault) = open(&cli.database_url, cli.data_key, cli.data_key_file).await?;
            let policy = crate::config::Policy {
                assessment_validity_months,
                ..Default::default()
            };
            let args = import::Args {
                kind,
                file,
                dry_run,
                staff,
                sales_owner,
                questionnaires_dir,
                rules_dir,
                policy,
            };
            let result = import::run(&db, &vault, args).await;
            db.close().await;
            result
        }
        Command::Rules {
            command: RulesCommand::Test { dir },
        } => rules::rules_test(&dir),
        Command::Rules {
            command:
                RulesCommand::Publish {
                    dir,
                    url,
                    token,
                    note,
                },
        } => rules::rules_publish(&dir, &url, &token, &note).await,
        Command::Serve {
            listen,
            questionnaires_dir,
            rules_dir,
            assessment_validity_months,
            max_backdate_days,
            attempt_gap_minutes,
            attempt_min_days,
            checkpoint_dir,
            checkpoint_minutes,
            overdue_sweep_seconds,
            console_idle_minutes,
            console_secure_cookies,
            console_lifetime_hours,
            public_url,
            trusted_proxies,
            metrics_token,
        } => {
            if metrics_token
                .as_ref()
                .is_some_and(|t| t.chars().count() < 32)
            {
                return Err("SUITABILITY_METRICS_TOKEN must be at least 32 characters".into());
            }
            let mut config = Config::with_database(cli.database_url);
            config.listen = listen;
            config.questionnaires_dir = questionnaires_dir;
            config.rules_dir = rules_dir;
            config.policy.assessment_validity_months = assessment_validity_months;
            config.policy.max_backdate_days = max_backdate_days;
            config.policy.callbacks.attempt_gap_minutes = attempt_gap_minutes;
            config.policy.callbacks.attempt_min_days = attempt_min_days;
            config.data_key = crate::vault::KeySource {
                key_hex: cli.data_key,
                key_file: cli.data_key_file,
            };
            config.checkpoints = (checkpoint_minutes > 0).then(|| {
                (
                    checkpoint_dir,
                    std::time::Duration::from_secs(checkpoint_minutes * 60),
                )
            });
            config.console.idle = chrono::Duration::minutes(i64::from(console_idle_minutes.max(1)));
            config.console.secure_cookies = console_secure_cookies;
            config.console.lifetime =
                chrono::Duration::hours(i64::from(console_lifetime_hours.max(1)));
            config.console.public_url = public_url;
            config.console.trusted_proxies = trusted_proxies;
            config.overdue_sweep = (overdue_sweep_seconds > 0)
                .then(|| std::time::Duration::from_secs(overdue_sweep_seconds));
            config.metrics_token = metrics_token;
            let app = Application::build(config)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(addr = %app.local_addr(), backend = app.state().db.backend(), "ready");
            app.run_until(shutdown_signal())
                .await
                .map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys {
            command: KeysCommand::Rotate { new_key_file },
        } => {
            let db = Db::connect(&cli.database_url)
                .await
                .map_err(|e| e.to_string())?;
            db.migrate_if_needed().await.map_err(|e| e.to_string())?;
            let mut config = Config::with_database(&cli.database_url);
            config.data_key = crate::vault::KeySource {
                key_hex: cli.data_key,
                key_file: cli.data_key_file,
            };
            let source = crate::app::key_source(&config);
            let n = crate::keys::rotate(&db, &source, &new_key_file, |done, total| {
                eprintln!("re-sealed {done}/{total} investors");
            })
            .await
            .map_err(|e| e.to_string())?;
            db.close().await;
            println!(
                "{n} investors re-sealed; start the service with the key in {}",
                new_key_file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { app_role } => {
            let db = Db::connect(&cli.database_url)
                .await
                .map_err(|e| e.to_string())?;
            db.migrate().await.map_err(|e| e.to_string())?;
            if let Some(role) = app_role {
                db.grant_data_rights(&role)
                    .await
                    .map_err(|e| e.to_string())?;
                println!("granted data rights (no DDL) to {role}");
            }
            db.close().await;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { command } => {
            let (db, _) = open(&cli.database_url, cli.data_key, cli.data_key_file).await?;
            let result = tokens::run(&db, command).await;
            db.close().await;
            result
        }
    }
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

fn parse_import_kind(s: &str) -> Result<crate::workflow::imports::ImportKind, String> {
    s.parse()
}
