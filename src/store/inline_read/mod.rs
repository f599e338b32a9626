//! SQLite reads run on the request's own thread, for the hottest read (the check's facts).
//!
//! Why: sqlx runs each SQLite connection on a worker thread of its own, so a query is a hand-off
//! there and back, and returning the connection to the pool is another (sqlx pings it). The
//! query itself takes microseconds; the hand-offs, each a futex wake and a context switch, cost
//! several times that (a profile of the check under load put a quarter of the CPU in kernel task
//! switching). Here a few read-only connections of our own run the statement where the request
//! already is.
//!
//! Bounded: a reader does not wait for locks (busy timeout 0: in WAL mode readers do not wait
//! for writers; on `SQLITE_BUSY`, `LOCKED` or `PROTOCOL`, or when a connection cannot be opened,
//! the caller takes the pooled path, which waits). SQLite's own WAL retry loop may still sleep
//! briefly under heavy checkpoint contention. It cannot write (`query_only`); the statement is an
//! indexed lookup of one row; at most one connection per runtime thread is in use at once (the
//! read has no await).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags, Row};

use super::StoreError;

mod columns;
pub use columns::Columns;

#[cfg(test)]
mod tests;

/// A value bound to a `$n` placeholder.
pub enum Arg<'a> {
    Text(&'a str),
    Time(DateTime<Utc>),
    /// Written as sqlx writes a date: `YYYY-MM-DD`.
    Date(chrono::NaiveDate),
}

/// The read-only connections of one SQLite file. None for a database another connection could
/// not open the same way (in memory, or a URL with options such as `vfs=` or `immutable=`): every
/// read then takes the pooled path.
pub struct InlineReads {
    path: Option<PathBuf>,
    idle: Mutex<Vec<Connection>>,
    /// Idle connections kept: twice the runtime's threads, so a burst never reopens one.
    max_idle: usize,
    closed: AtomicBool,
}

impl std::fmt::Debug for InlineReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineReads")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl InlineReads {
    /// The readers for the pool opened from `url` on the file `path` (as sqlx parsed it).
    pub fn for_url(url: &str, path: &Path) -> InlineReads {
        let path = opens_alike(url, path)
            .then(|| std::path::absolute(path).ok())
            .flatten();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        InlineReads {
            path,
            idle: Mutex::new(Vec::new()),
            max_idle: 2 * cores,
            closed: AtomicBool::new(false),
        }
    }

    /// Closes the idle connections; later reads take the pooled path (closed too).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.idle().clear();
    }

    /// Runs `sql` (a `'static` text: statements are prepared once per connection and kept) with
    /// `$n` bound to `args[n - 1]`, and decodes its first row. `Ok(None)`: no row. `Err(None)`:
    /// not read here (busy, cannot open, no file, closed), the caller reads through the pool.
    pub fn first_row<T>(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
        decode: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, Option<StoreError>> {
        let Some(path) = self
            .path
            .as_deref()
            .filter(|_| !self.closed.load(Ordering::SeqCst))
        else {
            return Err(None);
        };
        let conn = match self.idle().pop() {
            Some(c) => c,
            // The pool reports whatever keeps the file from opening.
            None => open(path).map_err(|_| None)?,
        };
        let read = run(&conn, sql, args, decode).map_err(fallback);
        // A connection whose statement failed is dropped rather than trusted again, unless it
        // only found the database busy.
        if matches!(read, Ok(_) | Err(None)) {
            let mut idle = self.idle();
            if idle.len() < self.max_idle && !self.closed.load(Ordering::SeqCst) {
                idle.push(conn);
            }
        }
        read
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // A list of connections stays valid whatever panicked while it was held.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether a plain open of `path` reaches the same database as sqlx's pool for `url`: a file,
/// with no URL option but the open mode (a `vfs` would lock differently, `immutable` would not
/// lock at all, and an in-memory database is private to its connection).
fn opens_alike(url: &str, path: &Path) -> bool {
    let plain_options = url.split_once('?').is_none_or(|(_, query)| {
        query
            .split('&')
            .all(|kv| matches!(kv, "" | "mode=rw" | "mode=rwc"))
    });
    plain_options && !path.as_os_str().is_empty() && path != Path::new(":memory:")
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    // The pool created the file; a reader never creates one.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::ZERO)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

fn run<T>(
    conn: &Connection,
    sql: &'static str,
    args: &[Arg<'_>],
    decode: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    // `$n` and `?n` name the n-th argument wherever and however often they appear, as sqlx binds
    // them; a bare `?` takes its position. Any other name is a mistake in the query.
    for i in 1..=stmt.parameter_count() {
        let n = match stmt.parameter_name(i) {
            None => Some(i),
            Some(name) => name
                .strip_prefix(['$', '?'])
                .and_then(|n| n.parse::<usize>().ok()),
        };
        match n.and_then(|n| args.get(n.checked_sub(1)?)) {
            Some(Arg::Text(s)) => stmt.raw_bind_parameter(i, s)?,
            // The text sqlx writes for a time, so that comparisons with stored times hold.
            Some(Arg::Time(t)) => {
                stmt.raw_bind_parameter(i, t.to_rfc3339_opts(SecondsFormat::AutoSi, false))?
            }
            Some(Arg::Date(d)) => stmt.raw_bind_parameter(i, d.format("%F").to_string())?,
            None => return Err(rusqlite::Error::InvalidParameterCount(i, args.len())),
        }
    }
    let mut rows = stmt.raw_query();
    match rows.next()? {
        Some(row) => decode(row).map(Some),
        None => Ok(None),
    }
}

/// Busy, locked, or SQLite's WAL retry given up: read through the pool instead. Anything else is
/// an error of the store.
fn fallback(e: rusqlite::Error) -> Option<StoreError> {
    match e.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::FileLockingProtocolFailed,
        ) => None,
        _ => Some(StoreError::Inline(e.to_string())),
    }
}
