//! The audit trail: appended in the transaction of the write it records, chained by keyed hashes.
//!
//! hash(n) = HMAC-SHA256(chain key, hash(n-1) ␟ seq ␟ at ␟ actor ␟ roles ␟ action ␟ entity ␟ id ␟
//! digest), with the first entry chained to 64 zeros. The chain key is derived from the data key
//! and never stored (`audit_key`), so whoever can edit the database cannot write a chain that
//! verifies. Entries from before keys (`keyed = false`) carry the plain SHA-256 and come first.
//! Appends are serialised (SQLite write transactions are exclusive; PostgreSQL takes a
//! transaction-scoped advisory lock), so the chain never forks.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use hmac::{Hmac, Mac};

use super::audit_key::{self, ChainKey};
use super::staff::Staff;
use super::{Conn, StoreError, now};
use crate::hex::hex;
use crate::on_conn;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The advisory lock that serialises appends on PostgreSQL.
pub(super) const PG_LOCK: i64 = 0x5355_4954_4142;

/// Who did it: a staff member, or the service itself (`None`: the CLI, seeding, background jobs).
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub id: Option<String>,
    pub roles: String,
}

impl Actor {
    pub fn staff(s: &Staff) -> Actor {
        Actor {
            id: Some(s.id.clone()),
            roles: s
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    pub fn system() -> Actor {
        Actor {
            id: None,
            roles: "system".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Entry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<String>,
    pub actor_roles: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// SHA-256 of the change as recorded.
    pub digest: String,
    pub prev_hash: String,
    pub hash: String,
    /// Whether `hash` is keyed (every entry since keys were introduced).
    pub keyed: bool,
    /// The digest of the row the entry changed, as it was after the change (`row_digest`).
    pub row_digest: Option<String>,
}

/// The hash an entry must carry: keyed under `key`, or (old entries) plain SHA-256.
pub fn entry_hash(e: &Entry, key: &ChainKey) -> String {
    let text = hashed_text(e);
    if e.keyed {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&key.0).expect("HMAC takes any key length");
        mac.update(text.as_bytes());
        hex(&mac.finalize().into_bytes())
    } else {
        hex(&Sha256::digest(text.as_bytes()))
    }
}

fn hashed_text(e: &Entry) -> String {
    let at = e.at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let parts = [
        e.prev_hash.as_str(),
        &e.seq.to_string(),
        &at,
        e.actor_id.as_deref().unwrap_or(""),
        &e.actor_roles,
        &e.action,
        &e.entity,
        &e.entity_id,
        &e.digest,
    ];
    let mut text = parts.join("\u{1f}");
    // Covered by the keyed hash whenever there is one (entries before row digests had none).
    if let Some(row) = &e.row_digest {
        text.push('\u{1f}');
        text.push_str(row);
    }
    text
}

pub fn digest_of(change: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(change).unwrap_or_default();
    hex(&Sha256::digest(&bytes))
}

/// Appends one entry for a write made in the same transaction.
pub async fn append(
    c: &mut Conn<'_>,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    change: &impl Serialize,
) -> Result<Entry, StoreError> {
    let row_digest = super::row_digest::of(c, entity, entity_id).await?;
    append_entry(c, actor, action, entity, entity_id, change, row_digest).await
}

async fn append_entry(
    c: &mut Conn<'_>,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    change: &impl Serialize,
    row_digest: Option<String>,
) -> Result<Entry, StoreError> {
    let key = audit_key::of(c).await?;
    if let Conn::Postgres(pg) = c {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PG_LOCK)
            .execute(&mut **pg)
            .await?;
    }
    let last: Option<(i64, String)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
    )
    .fetch_optional(e)
    .await)?;
    let (seq, prev_hash) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let mut entry = Entry {
        seq,
        at: now(),
        actor_id: actor.id.clone(),
        actor_roles: actor.roles.clone(),
        action: action.to_string(),
        entity: entity.to_string(),
        entity_id: entity_id.to_string(),
        digest: digest_of(change),
        prev_hash,
        hash: String::new(),
        keyed: true,
        row_digest,
    };
    entry.hash = entry_hash(&entry, &key);
    let sql = "INSERT INTO audit_log (seq, at, actor_id, actor_roles, action, entity, entity_id, digest, prev_hash, hash, keyed, row_digest) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(entry.seq)
        .bind(entry.at)
        .bind(&entry.actor_id)
        .bind(&entry.actor_roles)
        .bind(&entry.action)
        .bind(&entry.entity)
        .bind(&entry.entity_id)
        .bind(&entry.digest)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .bind(entry.keyed)
        .bind(&entry.row_digest)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(entry)
}

/// Filters of the audit list; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub after_seq: i64,
    pub limit: i64,
}

pub async fn list(c: &mut Conn<'_>, f: &Filter) -> Result<Vec<Entry>, StoreError> {
    let sql = if matches!(c, Conn::Postgres(_)) {
        // PostgreSQL cannot add 0 to a timestamp; an open upper bound is written differently.
        "SELECT seq, at, actor_id, actor_roles, action, entity, entity_id, digest, prev_hash, hash, keyed, row_digest FROM audit_log \
         WHERE entity = COALESCE($1, entity) AND entity_id = COALESCE($2, entity_id) \
         AND COALESCE(actor_id, '') = COALESCE($3, COALESCE(actor_id, '')) \
         AND at >= COALESCE($4, at) AND ($5::timestamptz IS NULL OR at < $5) AND seq > $6 ORDER BY seq LIMIT $7"
    } else {
        "SELECT seq, at, actor_id, actor_roles, action, entity, entity_id, digest, prev_hash, hash, keyed, row_digest FROM audit_log \
         WHERE entity = COALESCE($1, entity) AND entity_id = COALESCE($2, entity_id) \
         AND COALESCE(actor_id, '') = COALESCE($3, COALESCE(actor_id, '')) \
         AND at >= COALESCE($4, at) AND ($5 IS NULL OR at < $5) AND seq > $6 ORDER BY seq LIMIT $7"
    };
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(&f.entity)
        .bind(&f.entity_id)
        .bind(&f.actor_id)
        .bind(f.from)
        .bind(f.to)
        .bind(f.after_seq)
        .bind(f.limit)
        .fetch_all(e)
        .await)?)
}

/// Entries about any of `ids` (of any entity), in order.
pub async fn for_entities(c: &mut Conn<'_>, ids: &[String]) -> Result<Vec<Entry>, StoreError> {
    let mut out = Vec::new();
    for id in ids {
        let f = Filter {
            entity_id: Some(id.clone()),
            limit: 10_000,
            ..Filter::default()
        };
        out.extend(list(c, &f).await?);
    }
    out.sort_by_key(|e| e.seq);
    out.dedup_by_key(|e| e.seq);
    Ok(out)
}

/// The hash of entry `seq`, if there is one.
pub async fn hash_of(c: &mut Conn<'_>, seq: i64) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT hash FROM audit_log WHERE seq = $1"
    )
    .bind(seq)
    .fetch_optional(e)
    .await)?;
    Ok(row.map(|(h,)| h))
}

/// The first broken link of the chain, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Break {
    pub seq: i64,
    pub reason: String,
}

/// Walks the whole trail in order, a page at a time. Returns the number of entries checked and
/// the head hash, or the first entry that was altered, removed or reordered. (Removing the
/// newest entries leaves a shorter valid chain: keep the head hash outside the database to
/// detect that.)
pub async fn verify(c: &mut Conn<'_>) -> Result<Result<(i64, String), Break>, StoreError> {
    let key = audit_key::of(c).await?;
    let legacy = audit_key::legacy_entries(c, &key).await?;
    let mut seen_keyed = false;
    let mut expected_prev = GENESIS.to_string();
    let mut expected_seq = 1;
    let mut after = 0;
    loop {
        let page = list(
            c,
            &Filter {
                after_seq: after,
                limit: 5_000,
                ..Filter::default()
            },
        )
        .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in page {
            if e.seq != expected_seq {
                return Ok(Err(Break {
                    seq: expected_seq,
                    reason: format!("entry {expected_seq} is missing (next is {})", e.seq),
                }));
            }
            if e.prev_hash != expected_prev {
                return Ok(Err(Break {
                    seq: e.seq,
                    reason: "does not follow the entry before it (removed or reordered)".into(),
                }));
            }
            if !e.keyed && (seen_keyed || e.seq > legacy) {
                return Ok(Err(Break {
                    seq: e.seq,
                    reason: "unkeyed, but not among the entries from before keyed chains \
                             (rewritten; or, after upgrading, run `suitability audit accept-unkeyed` once)"
                        .into(),
                }));
            }
            seen_keyed |= e.keyed;
            if entry_hash(&e, &key) != e.hash {
                return Ok(Err(Break {
                    seq: e.seq,
                    reason: "its content does not match its hash (altered, or another key)".into(),
                }));
            }
            expected_prev = e.hash;
            expected_seq += 1;
        }
    }
    Ok(Ok((expected_seq - 1, expected_prev)))
}

/// A row whose current content no audit entry explains.
#[derive(Debug, Clone, PartialEq)]
pub struct Unexplained {
    pub entity: &'static str,
    pub id: String,
    pub reason: String,
}

/// Every row that changes in place, against the row digest of the latest entry about it.
pub async fn verify_rows(c: &mut Conn<'_>) -> Result<Vec<Unexplained>, StoreError> {
    let mut found = Vec::new();
    for (entity, _, _) in super::row_digest::TABLES {
        let latest = latest_row_digests(c, entity).await?;
        for (id, digest) in super::row_digest::all(c, entity).await? {
            let reason = match latest.get(&id) {
                None => "no audit entry records it".to_string(),
                Some((seq, d)) if *d != digest => {
                    format!("changed since its last audit entry ({seq})")
                }
                Some(_) => continue,
            };
            found.push(Unexplained { entity, id, reason });
        }
    }
    Ok(found)
}

/// The row digest of the latest entry about each row of `entity`, with that entry's number.
pub async fn latest_row_digests(
    c: &mut Conn<'_>,
    entity: &str,
) -> Result<std::collections::HashMap<String, (i64, String)>, StoreError> {
    let recorded: Vec<(String, i64, String)> = on_conn!(c, |e| {
        sqlx::query_as(
            "SELECT entity_id, seq, row_digest FROM audit_log WHERE entity = $1 AND row_digest IS NOT NULL ORDER BY seq"
        )
        .bind(entity)
        .fetch_all(e)
        .await
    })?;
    Ok(recorded
        .into_iter()
        .map(|(id, seq, d)| (id, (seq, d)))
        .collect())
}
