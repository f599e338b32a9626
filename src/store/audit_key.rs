//! Which key chains a database's audit trail. The key is derived from the data key and never
//! stored; a process registers it for a database when it opens that database with its key
//! (`register`), and every append and verification looks it up by the database it runs on. A
//! database without a registered key cannot be appended to: the trail fails closed.
//!
//! (A registry and not a parameter: appends happen inside every write of every workflow, and
//! tests run many databases, each with its own key, in one process.)

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use super::{Conn, Db, StoreError};
use crate::on_conn;

/// A chain key. Never printed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChainKey(pub [u8; 32]);

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(…)")
    }
}

fn registry() -> &'static RwLock<HashMap<String, ChainKey>> {
    static KEYS: OnceLock<RwLock<HashMap<String, ChainKey>>> = OnceLock::new();
    KEYS.get_or_init(Default::default)
}

/// What names the database a connection is on: the SQLite file, or the PostgreSQL database
/// with its server.
async fn identity(c: &mut Conn<'_>) -> Result<String, StoreError> {
    let (id,): (String,) = match c {
        Conn::Sqlite(_) => on_conn!(c, |e| sqlx::query_as(
            "SELECT 'sqlite:' || file FROM pragma_database_list WHERE name = 'main'"
        )
        .fetch_one(e)
        .await)?,
        Conn::Postgres(_) => on_conn!(c, |e| sqlx::query_as(
            "SELECT 'postgres:' || COALESCE(inet_server_addr()::text, 'local') || ':' || \
             COALESCE(inet_server_port()::text, '') || '/' || current_database()"
        )
        .fetch_one(e)
        .await)?,
    };
    Ok(id)
}

/// Registers `key` as the chain key of `db`.
pub async fn register(db: &Db, key: ChainKey) -> Result<(), StoreError> {
    let mut pooled = db.acquire().await?;
    let id = identity(&mut pooled.conn()).await?;
    if let Ok(mut map) = registry().write() {
        map.insert(id, key);
    }
    Ok(())
}

/// The chain key of the database `c` is on.
pub async fn of(c: &mut Conn<'_>) -> Result<ChainKey, StoreError> {
    let id = identity(c).await?;
    registry()
        .read()
        .ok()
        .and_then(|map| map.get(&id).copied())
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "no audit key for {id}: open the database with its data key first"
            ))
        })
}

/// The signed count of entries written before chains were keyed (`meta.audit_legacy`), set
/// only by an operator with the key (`suitability audit accept-unkeyed`, once after upgrading a
/// database that has such entries). Unkeyed entries are accepted only up to it: an attacker
/// who rewrote the trail as plain SHA-256 entries cannot raise it without the key, and
/// deleting it leaves none accepted.
pub async fn legacy_entries(c: &mut Conn<'_>, key: &ChainKey) -> Result<i64, StoreError> {
    let Some(value) = super::meta::get(c, LEGACY).await? else {
        return Ok(0);
    };
    let Some((n, sig)) = value.split_once(':') else {
        return Ok(0);
    };
    let n: i64 = n.parse().unwrap_or(0);
    Ok(if sign_count(key, n) == sig { n } else { 0 })
}

/// Records (signed) how many entries are unkeyed now; the count, or None if one was recorded
/// before (it is never raised).
pub async fn record_legacy(c: &mut Conn<'_>, key: &ChainKey) -> Result<Option<i64>, StoreError> {
    if super::meta::get(c, LEGACY).await?.is_some() {
        return Ok(None);
    }
    let (n,): (i64,) = on_conn!(c, |e| sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE NOT keyed"
    )
    .fetch_one(e)
    .await)?;
    super::meta::set(c, LEGACY, &format!("{n}:{}", sign_count(key, n))).await?;
    Ok(Some(n))
}

const LEGACY: &str = "audit_legacy";

fn sign_count(key: &ChainKey, n: i64) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key.0).expect("HMAC takes any key length");
    mac.update(format!("suitability unkeyed audit entries v1\u{1f}{n}").as_bytes());
    crate::hex::hex(&mac.finalize().into_bytes())
}
