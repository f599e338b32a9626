//! Token authentication with a short-lived in-memory cache: the hot endpoints would otherwise pay
//! two queries per request for a token that rarely changes. An entry lives `TTL`, so a revoked
//! token, a disabled member or a deleted row stops working within that time on every instance;
//! an expired token stops at once (the entry holds the expiry).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::store::staff::{self, Staff};
use crate::store::{Db, StoreError};

const TTL: Duration = Duration::from_secs(1);
const MAX_ENTRIES: usize = 10_000;

/// A cached member: when looked up, and when their token expires.
type Entry = (Staff, Instant, DateTime<Utc>);

#[derive(Default)]
pub struct AuthCache {
    entries: RwLock<HashMap<String, Entry>>,
}

impl AuthCache {
    pub async fn authenticate(&self, db: &Db, token: &str) -> Result<Option<Staff>, StoreError> {
        let key = staff::hash_token(token);
        if let Ok(map) = self.entries.read()
            && let Some((staff, at, expires)) = map.get(&key)
            && at.elapsed() < TTL
            && *expires > Utc::now()
        {
            return Ok(Some(staff.clone()));
        }
        let found = staff::authenticate(db, &key).await?;
        if let Ok(mut map) = self.entries.write() {
            match &found {
                None => {
                    map.remove(&key);
                }
                Some((staff, expires)) => {
                    if map.len() >= MAX_ENTRIES {
                        map.retain(|_, (_, at, _)| at.elapsed() < TTL);
                        if map.len() >= MAX_ENTRIES {
                            map.clear();
                        }
                    }
                    map.insert(key, (staff.clone(), Instant::now(), *expires));
                }
            }
        }
        Ok(found.map(|(staff, _)| staff))
    }
}
