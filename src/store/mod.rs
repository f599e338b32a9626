//! Persistence through sqlx on SQLite (embedded default) or PostgreSQL (several instances).
//!
//! Why this shape: sqlx's checked macros bind one database per crate, and `sqlx::Any` binds only
//! primitives, so each query is written once as runtime SQL (`$1` placeholders work on both) inside
//! the `on_conn!` macro, which expands the same body for each backend's concrete connection type.
//! One query text, two monomorphised executions, no duplicated logic.

pub mod assessments;
pub mod audit;
pub mod audit_batch;
pub mod audit_key;
pub mod callback_records;
pub mod callback_schedule;
pub mod callbacks;
pub mod classifications;
pub mod complaints;
pub mod decisions;
pub mod desk_gauges;
pub mod escalations;
pub mod holdings;
pub mod idempotency;
pub mod imports;
pub mod inline_read;
pub mod investors;
pub mod invitations;
pub mod meta;
pub mod orders;
pub mod products;
pub mod questionnaires;
pub mod reseal;
pub mod row_digest;
pub mod rulesets;
pub mod self_check;
pub mod sessions;
pub mod staff;
pub mod write_gate;

use std::path::Path;
use std::str::FromStr;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

/// How long a SQLite writer waits for its turn before it fails.
const SQLITE_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL '{0}': use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Inline(String),
}

impl StoreError {
    /// The name of the violated unique constraint, when that is what failed.
    pub fn unique_violation(&self) -> Option<String> {
        match self {
            StoreError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation() => Some(
                e.constraint()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.message().to_string()),
            ),
            _ => None,
        }
    }
}

/// The connection pool of the configured backend (on SQLite, with the readers that run the
/// hottest read on the request's own thread: `inline_read`).
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, std::sync::Arc<inline_read::InlineReads>),
    Postgres(PgPool),
}

/// A borrowed connection of either backend, from a pool or inside a transaction.
pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// A pooled connection of either backend.
pub enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// An open transaction of either backend; dropped without `commit`, it rolls back. On SQLite it
/// holds this process's write turn for its database until it ends.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, write_gate::Turn),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$e` bound to the backend's `&mut Connection` (an sqlx `Executor`).
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, |$e:ident| $body:expr) => {
        match $conn {
            $crate::store::Conn::Sqlite(c) => {
                let $e = &mut **c;
                $body
            }
            $crate::store::Conn::Postgres(c) => {
                let $e = &mut **c;
                $body
            }
        }
    };
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT);
            if let Some(parent) = opts
                .get_filename()
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                create_folder(parent)?;
            }
            create_private(opts.get_filename())?;
            let reads = inline_read::InlineReads::for_url(url, opts.get_filename());
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                // A connection to a local file does not go stale: pinging it on every checkout
                // (sqlx's default) was one more round trip to SQLite's thread per request.
                .test_before_acquire(false)
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool, std::sync::Arc::new(reads)))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(p, _) => sqlx::migrate!("migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Migrates only if a migration is pending. On PostgreSQL `serve` may run as a role with
    /// data rights only, which cannot create or alter anything: it starts when `suitability
    /// migrate` (as the owner) has applied every migration, and says so when not.
    pub async fn migrate_if_needed(&self) -> Result<(), StoreError> {
        let Db::Postgres(p) = self else {
            return self.migrate().await;
        };
        // No bookkeeping table yet: everything is pending.
        let applied: Vec<(i64,)> =
            sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(p)
                .await
                .unwrap_or_default();
        let pending = sqlx::migrate!("migrations/postgres")
            .iter()
            .any(|m| !applied.iter().any(|(v,)| *v == m.version));
        if !pending {
            return Ok(());
        }
        self.migrate().await.map_err(|e| {
            StoreError::Corrupt(format!(
                "migrations are pending and this role cannot apply them ({e}): run \
                 `suitability migrate` with the owner's DATABASE_URL first"
            ))
        })
    }

    /// Gives `role` the rights `serve` needs on PostgreSQL and nothing more: read and write the
    /// rows of every table (the append-only ones refuse changes by trigger, which a role that
    /// does not own the table cannot drop or disable), no DDL, no TRUNCATE.
    pub async fn grant_data_rights(&self, role: &str) -> Result<(), StoreError> {
        let Db::Postgres(p) = self else {
            return Err(StoreError::Corrupt("roles are a PostgreSQL matter".into()));
        };
        if role.is_empty() || !role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(StoreError::Corrupt(format!(
                "'{role}' is not a plain role name"
            )));
        }
        for sql in [
            format!("GRANT USAGE ON SCHEMA public TO {role}"),
            format!("REVOKE CREATE ON SCHEMA public FROM {role}"),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
            ),
            format!("REVOKE TRUNCATE ON ALL TABLES IN SCHEMA public FROM {role}"),
            format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
            // The migrations' bookkeeping is the owner's: the service only reads it.
            format!("REVOKE INSERT, UPDATE, DELETE ON _sqlx_migrations FROM {role}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await?;
        }
        Ok(())
    }

    /// The pool's open connections and how many of them are idle.
    pub fn pool_sizes(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(p, _) => (p.size(), p.num_idle()),
            Db::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(..) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn acquire(&self) -> Result<Pooled, StoreError> {
        Ok(match self {
            Db::Sqlite(p, _) => Pooled::Sqlite(p.acquire().await?),
            Db::Postgres(p) => Pooled::Postgres(p.acquire().await?),
        })
    }

    /// Opens a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
    /// a deferred transaction that reads and then writes fails with SQLITE_BUSY when another
    /// writer got in between, instead of waiting its turn.
    /// Writers of this process queue first, in arrival order (see `write_gate`).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(p, _) => {
                let queue = write_gate::queue(p.connect_options().get_filename().to_path_buf());
                // As long as SQLite's own busy timeout would have let it wait.
                let turn = tokio::time::timeout(SQLITE_BUSY_TIMEOUT, queue.lock_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A trivial round trip, for readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut c = self.acquire().await?;
        on_conn!(&mut c.conn(), |e| sqlx::query("SELECT 1")
            .execute(e)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, reads) => {
                reads.close();
                p.close().await
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

impl Pooled {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl Tx {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t, _) => Conn::Sqlite(t),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            // The turn passes on once the commit is done.
            Tx::Sqlite(t, _turn) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Undoes everything done in the transaction (a preview made by the real workflow).
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t, _turn) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

fn create_folder(path: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(path).map_err(|source| StoreError::Folder {
        path: path.display().to_string(),
        source,
    })
}

/// Creates the SQLite file, empty, readable by its owner only (SQLite would create it with the
/// process's umask, usually 0644; its WAL and shared-memory files take the file's mode).
fn create_private(path: &Path) -> Result<(), StoreError> {
    if path.as_os_str().is_empty() || path == Path::new(":memory:") || path.exists() {
        return Ok(());
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Folder {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Serialises, until the transaction ends, every transaction that takes the lock on `key`: on
/// PostgreSQL a transaction-scoped advisory lock; SQLite's write transaction holds the whole
/// database already.
pub async fn lock_key(c: &mut Conn<'_>, key: &str) -> Result<(), StoreError> {
    if let Conn::Postgres(pg) = c {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(key)
            .execute(&mut **pg)
            .await?;
    }
    Ok(())
}

/// The parameters of a multi-row statement: `rows` groups of `cols`, as `(…), (…)`. PostgreSQL
/// numbers them (`$1`, `$2`, …); SQLite gets plain `?`: it takes `$1` as a *name*, and binding
/// thousands of named parameters looks each name up among all the others.
pub fn placeholders(c: &Conn<'_>, rows: usize, cols: usize) -> String {
    let numbered = matches!(c, Conn::Postgres(_));
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for k in 0..cols {
            if k > 0 {
                out.push_str(", ");
            }
            if numbered {
                out.push('$');
                out.push_str(&(r * cols + k + 1).to_string());
            } else {
                out.push('?');
            }
        }
        out.push(')');
    }
    out
}

/// The parameters of an `IN (…)` list of `n` values, as [`placeholders`] writes them.
pub fn in_list(c: &Conn<'_>, n: usize) -> String {
    let list = placeholders(c, 1, n);
    list[1..list.len() - 1].to_string()
}

/// A new time-ordered id (UUID v7), so that ordering by id follows creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Now, truncated to microseconds: PostgreSQL keeps microseconds, and a value must read back
/// exactly as it was written on both backends.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    truncate_micros(chrono::Utc::now())
}

pub fn truncate_micros(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}
