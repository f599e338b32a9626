//! Token authentication with a short-lived in-memory cache: the hot endpoints would otherwise pay
//! two queries per request for a token that rarely changes. An entry lives `TTL`, so a revoked
//! token stops working within that time on every instance.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::store::staff::{self, Staff};
use crate::store::{Db, StoreError};

const TTL: Duration = Duration::from_secs(10);
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct AuthCache {
    entries: RwLock<HashMap<String, (Staff, Instant)>>,
}

impl AuthCache {
    pub async fn authenticate(&self, db: &Db, token: &str) -> Result<Option<Staff>, StoreError> {
        let key = staff::hash_token(token);
        if let Ok(map) = self.entries.read()
            && let Some((staff, at)) = map.get(&key)
            && at.elapsed() < TTL
        {
            return Ok(Some(staff.clone()));
        }
        let found = staff::authenticate(db, &key).await?;
        if let (Some(staff), Ok(mut map)) = (&found, self.entries.write()) {
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, (_, at)| at.elapsed() < TTL);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
            }
            map.insert(key, (staff.clone(), Instant::now()));
        }
        Ok(found)
    }
}
