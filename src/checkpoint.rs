//! Checkpoints of the audit trail, kept outside the database: the number of entries, the head
//! hash, the time, and a signature (HMAC under the chain key). A trail that was truncated,
//! emptied or rewritten no longer extends a checkpoint taken before, which `audit verify
//! --checkpoint FILE` reports; the service writes one every few minutes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::hex::hex;
use crate::store::audit_key::{self, ChainKey};
use crate::store::{Db, audit};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub entries: i64,
    pub head: String,
    pub at: DateTime<Utc>,
    pub signature: String,
}

fn signature(key: &ChainKey, entries: i64, head: &str, at: DateTime<Utc>) -> String {
    let text = format!(
        "suitability checkpoint v1\u{1f}{entries}\u{1f}{head}\u{1f}{}",
        at.to_rfc3339_opts(SecondsFormat::Micros, true)
    );
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0).expect("HMAC takes any key length");
    mac.update(text.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Verifies the trail and signs where it ends now.
pub async fn take(db: &Db) -> Result<Checkpoint, String> {
    let mut pooled = db.acquire().await.map_err(|e| e.to_string())?;
    let mut c = pooled.conn();
    let key = audit_key::of(&mut c).await.map_err(|e| e.to_string())?;
    let (entries, head) = audit::verify(&mut c)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|b| format!("the trail is broken at entry {}: {}", b.seq, b.reason))?;
    let at = crate::store::now();
    Ok(Checkpoint {
        signature: signature(&key, entries, &head, at),
        entries,
        head,
        at,
    })
}

/// Writes `cp` to `path` (created or replaced whole: written beside it, then renamed).
pub fn write(cp: &Checkpoint, path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(cp).map_err(|e| e.to_string())?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text + "\n").map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn read(path: &Path) -> Result<Checkpoint, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Whether the trail, intact, extends `cp`: its signature is ours, the trail holds at least its
/// entries, and the entry it ended at is still the same. Returns the trail's length.
pub async fn extends(db: &Db, cp: &Checkpoint) -> Result<i64, String> {
    let mut pooled = db.acquire().await.map_err(|e| e.to_string())?;
    let mut c = pooled.conn();
    let key = audit_key::of(&mut c).await.map_err(|e| e.to_string())?;
    if signature(&key, cp.entries, &cp.head, cp.at) != cp.signature {
        return Err(
            "the checkpoint's signature does not match: not written with this key, or edited"
                .into(),
        );
    }
    let (entries, _) = audit::verify(&mut c)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|b| format!("the trail is broken at entry {}: {}", b.seq, b.reason))?;
    if entries < cp.entries {
        return Err(format!(
            "the trail holds {entries} entries, but the checkpoint of {} saw {}: entries were removed",
            cp.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            cp.entries
        ));
    }
    if cp.entries > 0 {
        let at = audit::hash_of(&mut c, cp.entries)
            .await
            .map_err(|e| e.to_string())?;
        if at.as_deref() != Some(cp.head.as_str()) {
            return Err(format!(
                "entry {} is not the one the checkpoint saw: the trail was rewritten",
                cp.entries
            ));
        }
    }
    Ok(entries)
}

/// Writes a checkpoint to `dir` every `every`, named by its time, until the task is dropped.
pub async fn every(db: Db, dir: PathBuf, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match take(&db).await {
            Ok(cp) => {
                let name = format!("checkpoint-{}.json", cp.at.format("%Y%m%dT%H%M%SZ"));
                match write(&cp, &dir.join(&name)) {
                    Ok(()) => {
                        tracing::info!(entries = cp.entries, file = %name, "audit checkpoint written")
                    }
                    Err(e) => tracing::error!(error = %e, "cannot write the audit checkpoint"),
                }
            }
            Err(e) => tracing::error!(error = %e, "no audit checkpoint"),
        }
    }
}
