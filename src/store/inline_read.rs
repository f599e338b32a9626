//! SQLite reads run on the request's own thread, for the hottest read (the check's facts).
//!
//! Why: sqlx runs each SQLite connection on a worker thread of its own, so a query is a hand-off
//! there and back, and returning the connection to the pool is another (sqlx pings it). The
//! query itself takes microseconds; the hand-offs, each a futex wake and a context switch, cost
//! several times that (a profile of the check under load put a quarter of the CPU in kernel task
//! switching). Here a few read-only connections of our own run the statement where the request
//! already is.
//!
//! Bounded: a reader never waits for SQLite (busy timeout 0: in WAL mode readers do not wait for
//! writers, and on the rare `SQLITE_BUSY` the caller takes the pooled path, which waits); it
//! cannot write (`query_only`); the statement is an indexed lookup of one row.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags, Row};

use super::StoreError;

/// Idle connections kept: more than the cores, as requests on every runtime thread read at once.
const MAX_IDLE: usize = 8;

/// A value bound to a `$n` placeholder.
pub enum Arg<'a> {
    Text(&'a str),
    Time(DateTime<Utc>),
}

/// The read-only connections of one SQLite file (none for an in-memory database, which another
/// connection would not see: every read then takes the pooled path).
pub struct InlineReads {
    path: Option<PathBuf>,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for InlineReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineReads")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl InlineReads {
    pub fn for_file(path: &Path, in_memory: bool) -> InlineReads {
        let usable = !in_memory && !path.as_os_str().is_empty() && path != Path::new(":memory:");
        InlineReads {
            path: usable.then(|| path.to_path_buf()),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `sql` (a `'static` text: statements are prepared once per connection and kept) with
    /// `$n` bound to `args[n - 1]`, and decodes its first row. `Ok(None)`: no row. `Err(None)`:
    /// not read here (busy, or no file), the caller reads through the pool.
    pub fn first_row<T>(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
        decode: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, Option<StoreError>> {
        let Some(path) = &self.path else {
            return Err(None);
        };
        let conn = match self.take() {
            Some(c) => c,
            None => open(path).map_err(fallback)?,
        };
        let read = run(&conn, sql, args, decode);
        // A connection whose statement failed is dropped rather than trusted again.
        if read.is_ok()
            && let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(conn);
        }
        read.map_err(fallback)
    }

    fn take(&self) -> Option<Connection> {
        self.idle.lock().ok()?.pop()
    }
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
    // `$n` names, as sqlx binds them: the n-th argument, wherever and however often it appears.
    for i in 1..=stmt.parameter_count() {
        let n = stmt
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(i);
        match args.get(n.wrapping_sub(1)) {
            Some(Arg::Text(s)) => stmt.raw_bind_parameter(i, s)?,
            // The text sqlx writes for a time, so that comparisons with stored times hold.
            Some(Arg::Time(t)) => {
                stmt.raw_bind_parameter(i, t.to_rfc3339_opts(SecondsFormat::AutoSi, false))?
            }
            None => return Err(rusqlite::Error::InvalidParameterCount(n, args.len())),
        }
    }
    let mut rows = stmt.raw_query();
    match rows.next()? {
        Some(row) => decode(row).map(Some),
        None => Ok(None),
    }
}

/// Busy or locked: read through the pool instead. Anything else is an error of the store.
fn fallback(e: rusqlite::Error) -> Option<StoreError> {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => None,
        _ => Some(StoreError::Inline(e.to_string())),
    }
}

/// Reads a row's columns in order, each as sqlx's SQLite decoder reads it, so that both paths
/// give the same row (a test compares them). By position, not by name: a name lookup compares
/// every column's name and cost more than the value. Debug builds check each name, so a column
/// list that changes order fails every test that reads through here.
pub struct Columns<'r, 's> {
    row: &'r Row<'s>,
    next: usize,
}

impl<'r, 's> Columns<'r, 's> {
    pub fn new(row: &'r Row<'s>) -> Self {
        Columns { row, next: 0 }
    }

    fn value(&mut self, name: &str) -> rusqlite::Result<ValueRef<'r>> {
        let i = self.next;
        self.next += 1;
        debug_assert_eq!(self.row.as_ref().column_name(i).ok(), Some(name));
        self.row.get_ref(i)
    }

    pub fn opt_text(&mut self, name: &str) -> rusqlite::Result<Option<String>> {
        Ok(match self.value(name)? {
            ValueRef::Null => None,
            ValueRef::Text(t) | ValueRef::Blob(t) => Some(
                std::str::from_utf8(t)
                    .map_err(|e| bad(name, e))?
                    .to_string(),
            ),
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(_) => return Err(bad(name, "a real where text was expected")),
        })
    }

    pub fn text(&mut self, name: &str) -> rusqlite::Result<String> {
        self.opt_text(name)?.ok_or_else(|| bad(name, "null"))
    }

    pub fn opt_int(&mut self, name: &str) -> rusqlite::Result<Option<i64>> {
        match self.value(name)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(i) => Ok(Some(i)),
            _ => Err(bad(name, "not an integer")),
        }
    }

    pub fn int(&mut self, name: &str) -> rusqlite::Result<i64> {
        self.opt_int(name)?.ok_or_else(|| bad(name, "null"))
    }

    pub fn opt_date(&mut self, name: &str) -> rusqlite::Result<Option<NaiveDate>> {
        self.opt_text(name)?
            .map(|s| NaiveDate::parse_from_str(&s, "%F").map_err(|e| bad(name, e)))
            .transpose()
    }

    pub fn opt_json<T: serde::de::DeserializeOwned>(
        &mut self,
        name: &str,
    ) -> rusqlite::Result<Option<T>> {
        self.opt_text(name)?
            .map(|s| serde_json::from_str(&s).map_err(|e| bad(name, e)))
            .transpose()
    }

    pub fn opt_time(&mut self, name: &str) -> rusqlite::Result<Option<DateTime<Utc>>> {
        self.opt_text(name)?
            .map(|s| sqlite_time(&s).ok_or_else(|| bad(name, format!("'{s}' is not a time"))))
            .transpose()
    }
}

fn bad(name: &str, what: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{name}: {what}").into(),
    )
}

/// A time as sqlx reads SQLite text: RFC 3339, else SQLite's own formats (naive ones are UTC).
fn sqlite_time(value: &str) -> Option<DateTime<Utc>> {
    const FORMATS: [&str; 12] = [
        "%F %T%.f",
        "%F %R",
        "%F %RZ",
        "%F %R%:z",
        "%F %T%.fZ",
        "%F %T%.f%:z",
        "%FT%R",
        "%FT%RZ",
        "%FT%R%:z",
        "%FT%T%.f",
        "%FT%T%.fZ",
        "%FT%T%.f%:z",
    ];
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    FORMATS.iter().find_map(|f| {
        DateTime::<FixedOffset>::parse_from_str(value, f)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                NaiveDateTime::parse_from_str(value, f)
                    .ok()
                    .map(|t| Utc.from_utc_datetime(&t))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_sqlx_reads_them() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 16, 30, 5).unwrap();
        for text in [
            "2026-03-01T16:30:05+00:00",
            "2026-03-02T00:30:05+08:00",
            "2026-03-01 16:30:05",
            "2026-03-01T16:30:05Z",
            "2026-03-01 16:30:05.000",
        ] {
            assert_eq!(sqlite_time(text), Some(t), "{text}");
        }
        assert_eq!(sqlite_time("1 March"), None);
    }

    /// A database another connection holds exclusively answers `BUSY` at once: the reader hands
    /// the read back (`Err(None)`, the caller takes the pool, which waits) instead of failing or
    /// waiting on the request's thread; a real error is an error.
    #[test]
    fn busy_means_read_elsewhere_and_errors_stay_errors() {
        let dir = std::env::temp_dir().join(format!("inline-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("busy.db");
        let _ = std::fs::remove_file(&path);
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x');")
            .unwrap();
        let reads = InlineReads::for_file(&path, false);
        let read = |sql| reads.first_row(sql, &[], |r| Columns::new(r).text("v"));
        assert_eq!(read("SELECT v FROM t").ok().flatten().as_deref(), Some("x"));
        writer.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let started = std::time::Instant::now();
        assert!(matches!(read("SELECT v FROM t"), Err(None)));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        writer.execute_batch("COMMIT").unwrap();
        assert!(matches!(read("SELECT v FROM t"), Ok(Some(_))));
        assert!(matches!(read("SELECT nope FROM t"), Err(Some(_))));
        // The readers cannot write.
        let write = read("INSERT INTO t VALUES ('y') RETURNING v");
        assert!(
            matches!(&write, Err(Some(e)) if e.to_string().contains("readonly")),
            "{write:?}"
        );
        let count: i64 = writer
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 1);
        let memory = InlineReads::for_file(Path::new(":memory:"), true);
        assert!(matches!(
            memory.first_row("SELECT 1 AS v", &[], |r| Columns::new(r).text("v")),
            Err(None)
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn placeholders_bind_by_number_wherever_they_appear() {
        let conn = Connection::open_in_memory().unwrap();
        let got = run(
            &conn,
            "SELECT $2 || $1 || $2 AS v",
            &[Arg::Text("a"), Arg::Text("b")],
            |r| Columns::new(r).text("v"),
        )
        .unwrap();
        assert_eq!(got.as_deref(), Some("bab"));
        let missing = run(&conn, "SELECT $3 AS v", &[Arg::Text("a")], |r| {
            Columns::new(r).text("v")
        });
        assert!(missing.is_err());
    }
}
