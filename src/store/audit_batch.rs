//! Appending many audit entries at once, for writes of many rows in one go (an import's batch):
//! the same entries, chained the same way, as as many `audit::append` calls would write, in a
//! few statements instead of four per entry (each statement is a round trip to SQLite's worker
//! thread, which is what an import of 100,000 investors spends its time on).

use serde_json::Value;

use super::audit::{self, Actor, Entry, GENESIS, PG_LOCK};
use super::{Conn, StoreError, audit_key, now, row_digest};
use crate::on_conn;

/// One entry to append: action, entity, entity id, the change.
pub struct Pending {
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: String,
    pub change: Value,
    /// The row's digest when the caller read it with the row (None: read it now).
    pub row_digest: Option<String>,
}

/// Entries per INSERT (12 parameters each; SQLite takes 32,766 at most).
const CHUNK: usize = 1000;

/// Appends `pending` in order, each with its row's digest as it stands now (call it after the
/// rows are written, as `append` is).
pub async fn append_many(
    c: &mut Conn<'_>,
    actor: &Actor,
    pending: Vec<Pending>,
) -> Result<Vec<Entry>, StoreError> {
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let key = audit_key::of(c).await?;
    if let Conn::Postgres(pg) = c {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PG_LOCK)
            .execute(&mut **pg)
            .await?;
    }
    let mut digests = std::collections::HashMap::new();
    for entity in ["investor", "order", "callback", "product", "ruleset"] {
        let ids: Vec<&str> = pending
            .iter()
            .filter(|p| p.entity == entity && p.row_digest.is_none())
            .map(|p| p.entity_id.as_str())
            .collect();
        if !ids.is_empty() {
            for (id, d) in row_digest::of_many(c, entity, &ids).await? {
                digests.insert((entity, id), d);
            }
        }
    }
    let last: Option<(i64, String)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
    )
    .fetch_optional(e)
    .await)?;
    let (mut seq, mut prev) = match last {
        Some((s, h)) => (s, h),
        None => (0, GENESIS.to_string()),
    };
    let at = now();
    let mut entries = Vec::with_capacity(pending.len());
    for p in pending {
        seq += 1;
        let row_digest = p
            .row_digest
            .clone()
            .or_else(|| digests.get(&(p.entity, p.entity_id.clone())).cloned());
        let mut entry = Entry {
            seq,
            at,
            actor_id: actor.id.clone(),
            actor_roles: actor.roles.clone(),
            action: p.action.to_string(),
            entity: p.entity.to_string(),
            entity_id: p.entity_id,
            digest: audit::digest_of(&p.change),
            prev_hash: prev,
            hash: String::new(),
            keyed: true,
            row_digest,
        };
        entry.hash = audit::entry_hash(&entry, &key);
        prev = entry.hash.clone();
        entries.push(entry);
    }
    for chunk in entries.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO audit_log (seq, at, actor_id, actor_roles, action, entity, entity_id, digest, \
             prev_hash, hash, keyed, row_digest) VALUES {}",
            super::placeholders(c, chunk.len(), 12)
        );
        on_conn!(c, |e| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for x in chunk {
                q = q
                    .bind(x.seq)
                    .bind(x.at)
                    .bind(&x.actor_id)
                    .bind(&x.actor_roles)
                    .bind(&x.action)
                    .bind(&x.entity)
                    .bind(&x.entity_id)
                    .bind(&x.digest)
                    .bind(&x.prev_hash)
                    .bind(&x.hash)
                    .bind(x.keyed)
                    .bind(&x.row_digest);
            }
            q.execute(e).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(entries)
}
