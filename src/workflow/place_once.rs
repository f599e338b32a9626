//! Placing an order at most once per idempotency key: a retry with the same key and the same
//! request gets the first answer again; the same key with another request is refused. The API
//! (`Idempotency-Key` header) and the console's order form (a key in the form) both place orders
//! through here.

use serde_json::Value;

use super::sale::{self, NewOrder};
use super::{Ctx, Result, WorkflowError};
use crate::domain::FieldProblem;
use crate::store::Db;
use crate::store::idempotency::{self, Stored};
use crate::store::staff::Staff;

/// The longest idempotency key.
pub const MAX_KEY: usize = 200;

fn reused() -> WorkflowError {
    WorkflowError::Unprocessable {
        code: "idempotency_key_reused",
        problems: vec![FieldProblem::new(
            "Idempotency-Key",
            "used before with another body",
        )],
    }
}

fn replay(stored: Stored, hash: &str) -> Result<(u16, Value)> {
    if stored.request_hash != hash {
        return Err(reused());
    }
    Ok((stored.status, stored.response))
}

/// Checks a key as given: 1 to 200 visible characters once trimmed.
pub fn key(raw: &str, field: &str) -> Result<String> {
    let key = raw.trim();
    if key.is_empty() || key.len() > MAX_KEY || key.chars().any(char::is_control) {
        return Err(WorkflowError::field(
            field,
            format!("must be 1 to {MAX_KEY} visible characters"),
        ));
    }
    Ok(key.to_string())
}

/// Places `new` unless `key` placed an order already; `request_hash` identifies the request (a
/// replay must be the same request). Returns the status and the order as JSON.
pub async fn place(
    db: &Db,
    ctx: &Ctx<'_>,
    actor: &Staff,
    key: Option<&str>,
    request_hash: &str,
    new: NewOrder,
) -> Result<(u16, Value)> {
    if let Some(key) = key
        && let Some(stored) =
            idempotency::get(&mut db.acquire().await?.conn(), &actor.id, key).await?
    {
        return replay(stored, request_hash);
    }
    let mut tx = db.begin().await?;
    let placed = sale::place_order(&mut tx.conn(), ctx, actor, new).await?;
    let response =
        serde_json::to_value(&placed).map_err(|e| WorkflowError::Internal(e.to_string()))?;
    if let Some(key) = key {
        let stored = Stored {
            request_hash: request_hash.to_string(),
            status: 201,
            response: response.clone(),
        };
        if let Err(e) = idempotency::put(&mut tx.conn(), &actor.id, key, &stored).await {
            // A concurrent retry with the same key won: drop this attempt and answer with its result.
            drop(tx);
            if e.unique_violation().is_some()
                && let Some(stored) =
                    idempotency::get(&mut db.acquire().await?.conn(), &actor.id, key).await?
            {
                return replay(stored, request_hash);
            }
            return Err(e.into());
        }
    }
    tx.commit().await?;
    Ok((201, response))
}
