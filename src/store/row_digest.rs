//! Digests of the rows that change in place (orders, investors, callbacks, products, rule
//! sets). Every audit entry about such a row carries the row's digest as it was after the
//! change, so a row edited behind the service's back, or written without an entry, shows:
//! its current digest matches no entry (`suitability audit verify --rows`).
//!
//! The digest covers every column in its stored form: SQLite's `quote()` of each column in
//! table order, PostgreSQL's text of the whole row (sqlx sessions run with UTC and ISO dates,
//! so the text is the same for the service and the CLI).

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use sha2::{Digest, Sha256};

use super::{Conn, StoreError};
use crate::hex::hex;
use crate::on_conn;

/// (audit entity, table, key column) of every row that changes in place.
pub const TABLES: &[(&str, &str, &str)] = &[
    ("investor", "investors", "id"),
    ("order", "orders", "id"),
    ("callback", "callbacks", "id"),
    ("product", "products", "id"),
    ("ruleset", "rulesets", "version"),
];

fn table_of(entity: &str) -> Option<(&'static str, &'static str)> {
    TABLES
        .iter()
        .find(|(e, _, _)| *e == entity)
        .map(|(_, t, k)| (*t, *k))
}

/// A table's columns in table order, as the database lists them now.
pub async fn columns(c: &mut Conn<'_>, table: &str) -> Result<Vec<String>, StoreError> {
    let sql = match c {
        Conn::Sqlite(_) => "SELECT name FROM pragma_table_info($1) ORDER BY cid",
        Conn::Postgres(_) => {
            // The table the service's queries resolve (its search path), in `t::text`'s order.
            "SELECT attname::text FROM pg_attribute \
             WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        }
    };
    let cols: Vec<(String,)> = on_conn!(c, |e| sqlx::query_as(sql).bind(table).fetch_all(e).await)?;
    Ok(cols.into_iter().map(|(n,)| n).collect())
}

/// The expression of a row as text over `cols`: what the digest covers. With every column in
/// table order it is the row's text (`t::text` on PostgreSQL is the same as `ROW(every column)`).
fn text_over(c: &Conn<'_>, cols: &[String]) -> String {
    if cols.is_empty() {
        return "''".into();
    }
    match c {
        Conn::Sqlite(_) => cols
            .iter()
            .map(|n| format!("quote(t.\"{n}\")"))
            .collect::<Vec<_>>()
            .join(" || ',' || "),
        Conn::Postgres(_) => format!(
            "ROW({})::text",
            cols.iter()
                .map(|n| format!("t.\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn expressions() -> &'static RwLock<HashMap<&'static str, String>> {
    static EXPRS: OnceLock<RwLock<HashMap<&'static str, String>>> = OnceLock::new();
    EXPRS.get_or_init(Default::default)
}

/// The SQLite expression of a table's row as text (read once: columns change only by a
/// migration, before the service writes anything).
async fn sqlite_row_text(c: &mut Conn<'_>, table: &'static str) -> Result<String, StoreError> {
    let cache = expressions();
    if let Some(e) = cache.read().ok().and_then(|m| m.get(table).cloned()) {
        return Ok(e);
    }
    let cols = columns(c, table).await?;
    let expr = text_over(c, &cols);
    if let Ok(mut m) = cache.write() {
        m.insert(table, expr.clone());
    }
    Ok(expr)
}

/// The condition finding the row whose key is `$1` (text): a text key is compared as it is, so
/// its index finds the row (a cast on the column would read the whole table on every audited
/// write); the one integer key (a rule set's version) is compared as text in a small table.
fn key_is(key: &str, backend: &str) -> String {
    match (key, backend) {
        ("version", "sqlite") => format!("CAST(t.{key} AS TEXT) = $1"),
        ("version", _) => format!("t.{key}::text = $1"),
        _ => format!("t.{key} = $1"),
    }
}

fn digest(entity: &str, id: &str, row: &str) -> String {
    hex(&Sha256::digest(
        format!("{entity}\u{1f}{id}\u{1f}{row}").as_bytes(),
    ))
}

/// The digest of `entity` `id` as stored now; None if the entity has no such table or the row
/// does not exist.
pub async fn of(c: &mut Conn<'_>, entity: &str, id: &str) -> Result<Option<String>, StoreError> {
    let Some((table, key)) = table_of(entity) else {
        return Ok(None);
    };
    let row: Option<(String,)> = match c {
        Conn::Sqlite(_) => {
            let expr = sqlite_row_text(c, table).await?;
            let sql = format!(
                "SELECT {expr} FROM {table} t WHERE {}",
                key_is(key, "sqlite")
            );
            on_conn!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(e)
                .await)?
        }
        Conn::Postgres(_) => {
            let sql = format!(
                "SELECT t::text FROM {table} t WHERE {}",
                key_is(key, "postgres")
            );
            on_conn!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(e)
                .await)?
        }
    };
    Ok(row.map(|(r,)| digest(entity, id, &r)))
}

/// The digests of several rows of `entity` (text keys), by id; ids without a row are absent.
pub async fn of_many(
    c: &mut Conn<'_>,
    entity: &str,
    ids: &[&str],
) -> Result<HashMap<String, String>, StoreError> {
    let mut out = HashMap::new();
    let Some((table, key)) = table_of(entity) else {
        return Ok(out);
    };
    if key == "version" {
        for id in ids {
            if let Some(d) = of(c, entity, id).await? {
                out.insert(id.to_string(), d);
            }
        }
        return Ok(out);
    }
    for chunk in ids.chunks(500) {
        let list = super::in_list(c, chunk.len());
        let sql = match c {
            Conn::Sqlite(_) => {
                let expr = sqlite_row_text(c, table).await?;
                format!("SELECT t.{key}, {expr} FROM {table} t WHERE t.{key} IN ({list})")
            }
            Conn::Postgres(_) => {
                format!("SELECT t.{key}, t::text FROM {table} t WHERE t.{key} IN ({list})")
            }
        };
        let rows: Vec<(String, String)> = on_conn!(c, |e| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(e).await
        })?;
        for (id, row) in rows {
            let d = digest(entity, &id, &row);
            out.insert(id, d);
        }
    }
    Ok(out)
}

/// Every row of `entity`'s table with its current digest, in key order.
pub async fn all(c: &mut Conn<'_>, entity: &str) -> Result<Vec<(String, String)>, StoreError> {
    let Some((table, key)) = table_of(entity) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, String)> = match c {
        Conn::Sqlite(_) => {
            let expr = sqlite_row_text(c, table).await?;
            let sql =
                format!("SELECT CAST(t.{key} AS TEXT), {expr} FROM {table} t ORDER BY t.{key}");
            on_conn!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(e)
                .await)?
        }
        Conn::Postgres(_) => {
            let sql = format!("SELECT t.{key}::text, t::text FROM {table} t ORDER BY t.{key}");
            on_conn!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(e)
                .await)?
        }
    };
    Ok(rows
        .into_iter()
        .map(|(id, row)| {
            let d = digest(entity, &id, &row);
            (id, d)
        })
        .collect())
}

/// One row across a schema change: its digest over the earlier columns (what it was sealed
/// with), over every column now, and the text of the columns added since.
pub struct Across {
    pub id: String,
    pub before: String,
    pub now: String,
    pub added: String,
}

/// Every row of `entity`'s table across a schema change from `before` to `now` columns (both
/// read in one statement, so an edit committed meanwhile cannot slip between them), in key order.
pub async fn across_change(
    c: &mut Conn<'_>,
    entity: &str,
    before: &[String],
    now: &[String],
    added: &[String],
) -> Result<Vec<Across>, StoreError> {
    let Some((table, key)) = table_of(entity) else {
        return Ok(Vec::new());
    };
    let (b, a) = (text_over(c, before), text_over(c, added));
    let (all, id) = match c {
        Conn::Sqlite(_) => (text_over(c, now), format!("CAST(t.{key} AS TEXT)")),
        Conn::Postgres(_) => ("t::text".to_string(), format!("t.{key}::text")),
    };
    let sql = format!("SELECT {id}, {b}, {all}, {a} FROM {table} t ORDER BY t.{key}");
    let rows: Vec<(String, String, String, String)> =
        on_conn!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(e)
            .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, b, n, a)| Across {
            before: digest(entity, &id, &b),
            now: digest(entity, &id, &n),
            added: a,
            id,
        })
        .collect())
}
