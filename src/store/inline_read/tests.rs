use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;

use super::columns::sqlite_time;
use super::{Arg, Columns, InlineReads, run};

/// Every time format sqlx's SQLite decoder accepts, read by sqlx itself and by the reader.
#[tokio::test]
async fn times_read_as_sqlx_reads_them() {
    use sqlx::Connection as _;
    let mut sqlx = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .unwrap();
    let t = Utc.with_ymd_and_hms(2026, 3, 1, 16, 30, 5).unwrap();
    let texts = [
        "2026-03-01T16:30:05+00:00",
        "2026-03-01T16:30:05.123456+00:00",
        "2026-03-02T00:30:05+08:00",
        "2026-03-01T16:30:05Z",
        "2026-03-01 16:30:05",
        "2026-03-01 16:30:05.000",
        "2026-03-01 16:30",
        "2026-03-01 16:30Z",
        "2026-03-02 00:30+08:00",
        "2026-03-01 16:30:05.5Z",
        "2026-03-02 00:30:05+08:00",
        "2026-03-01T16:30",
        "2026-03-01T16:30Z",
        "2026-03-02T00:30+08:00",
        "2026-03-01T16:30:05",
        "2026-03-01T16:30:05.25Z",
        "2026-03-02T00:30:05.1+08:00",
        "1 March",
        "2026-03-01",
        "",
    ];
    let mut read = 0;
    for text in texts {
        let by_sqlx: Option<DateTime<Utc>> = sqlx::query_scalar("SELECT $1")
            .bind(text)
            .fetch_one(&mut sqlx)
            .await
            .ok();
        assert_eq!(sqlite_time(text), by_sqlx, "{text}");
        read += usize::from(by_sqlx.is_some());
    }
    assert_eq!(read, texts.len() - 3, "sqlx reads all but the last three");
    assert_eq!(sqlite_time(texts[0]), Some(t));
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("inline-read-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("db.sqlite")
}

/// A WAL database another connection holds exclusively answers `BUSY` at once: the reader hands
/// the read back (`Err(None)`, the caller takes the pool, which waits) instead of failing or
/// waiting on the request's thread, and keeps its connection; a real error is an error; the
/// readers cannot write; closed readers read nothing.
#[test]
fn busy_means_read_elsewhere_and_errors_stay_errors() {
    let path = scratch("busy");
    let url = format!("sqlite://{}", path.display());
    let writer = Connection::open(&path).unwrap();
    writer
        .execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x');",
        )
        .unwrap();
    let reads = InlineReads::for_url(&url, &path);
    let read = |sql| reads.first_row(sql, &[], |r| Columns::new(r).text("v"));
    // Exclusive locking in WAL mode (taken while no other connection is open): the writer keeps
    // the file to itself until it goes back to normal locking and touches the database again.
    writer
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO t VALUES ('y');",
        )
        .unwrap();
    let started = std::time::Instant::now();
    assert!(matches!(read("SELECT v FROM t"), Err(None)));
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(
        reads.idle().len(),
        1,
        "a busy database is no fault of the connection"
    );
    writer
        .execute_batch("COMMIT; PRAGMA locking_mode = NORMAL; SELECT COUNT(*) FROM t;")
        .unwrap();
    assert_eq!(read("SELECT v FROM t").ok().flatten().as_deref(), Some("x"));
    let count = read("SELECT COUNT(*) AS v FROM t");
    assert!(
        matches!(count, Err(Some(_))),
        "an integer is not text: {count:?}"
    );
    assert_eq!(
        reads.idle().len(),
        0,
        "a connection whose statement failed is dropped"
    );
    assert!(matches!(read("SELECT v FROM t ORDER BY v DESC"), Ok(Some(v)) if v == "y"));
    assert!(matches!(read("SELECT nope FROM t"), Err(Some(_))));
    let write = read("INSERT INTO t VALUES ('z') RETURNING v");
    assert!(
        matches!(&write, Err(Some(e)) if e.to_string().contains("readonly")),
        "{write:?}"
    );
    let count: i64 = writer
        .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 2);
    reads.close();
    assert!(matches!(read("SELECT v FROM t"), Err(None)));
    assert_eq!(reads.idle().len(), 0);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

/// Only a plain file is read inline: an in-memory database or a URL with options that change
/// how SQLite opens or locks it is read through the pool.
#[test]
fn only_plain_files_are_read_inline() {
    let path = scratch("plain");
    Connection::open(&path).unwrap();
    let file = path.display();
    let readable = |url: &str, p: &Path| {
        InlineReads::for_url(url, p)
            .first_row("SELECT 'x' AS v", &[], |r| Columns::new(r).text("v"))
            .is_ok()
    };
    assert!(readable(&format!("sqlite://{file}"), &path));
    assert!(readable(&format!("sqlite://{file}?mode=rwc"), &path));
    assert!(!readable(
        &format!("sqlite://{file}?vfs=unix-dotfile"),
        &path
    ));
    assert!(!readable(&format!("sqlite://{file}?immutable=true"), &path));
    assert!(!readable("sqlite::memory:", Path::new(":memory:")));
    assert!(!readable("sqlite://?mode=memory", Path::new("")));
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn placeholders_bind_by_number_wherever_they_appear() {
    let conn = Connection::open_in_memory().unwrap();
    let text = |r: &rusqlite::Row<'_>| Columns::new(r).text("v");
    let args = [Arg::Text("a"), Arg::Text("b")];
    let got = run(&conn, "SELECT $2 || $1 || $2 AS v", &args, text).unwrap();
    assert_eq!(got.as_deref(), Some("bab"));
    let got = run(&conn, "SELECT ?2 || ?1 AS v", &args, text).unwrap();
    assert_eq!(got.as_deref(), Some("ba"));
    assert!(run(&conn, "SELECT $3 AS v", &args, text).is_err());
    assert!(run(&conn, "SELECT :name AS v", &args, text).is_err());
    assert!(run(&conn, "SELECT $0 AS v", &args, text).is_err());
}
