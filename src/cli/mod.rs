//! The command line: `serve`, `token create`, and the tools rule authors and auditors run.
//! Every option also comes from the environment. Logs go to stderr so that stdout carries only
//! what a command is asked to print (a token, a report).

mod audit;
mod backup;
mod import;
mod rules;
mod serve;
mod tokens;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, DEFAULT_DATABASE_URL};
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
    Serve(serve::ServeArgs),
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
        command: tokens::TokenCommand,
    },
    /// Retention: export every record for the archive (nothing is deleted through the API).
    Archive {
        #[command(subcommand)]
        command: ArchiveCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
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
        #[command(flatten)]
        setup: serve::Setup,
    },
    /// Rule sets, for rule authors.
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
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
pub enum KeysCommand {
    /// Re-seal all personal data under a new key (64 hex characters in FILE, mode 0600), in
    /// batches with progress; run again with the same file to resume after an interruption.
    /// The service must be stopped; afterwards start it with the new key.
    Rotate {
        #[arg(long)]
        new_key_file: PathBuf,
    },
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
            setup,
        } => {
            let (db, vault) = open(&cli.database_url, cli.data_key, cli.data_key_file).await?;
            let policy = crate::config::Policy {
                assessment_validity_months: setup.assessment_validity_months,
                ..Default::default()
            };
            let serve::Setup {
                questionnaires_dir,
                rules_dir,
                ..
            } = setup;
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
            command: rules::RulesCommand::Test { dir },
        } => rules::rules_test(&dir),
        Command::Rules {
            command:
                rules::RulesCommand::Publish {
                    dir,
                    url,
                    token,
                    note,
                },
        } => rules::rules_publish(&dir, &url, &token, &note).await,
        Command::Serve(args) => {
            let key = crate::vault::KeySource {
                key_hex: cli.data_key,
                key_file: cli.data_key_file,
            };
            serve::run(args, cli.database_url, key).await
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

fn parse_import_kind(s: &str) -> Result<crate::workflow::imports::ImportKind, String> {
    s.parse()
}
