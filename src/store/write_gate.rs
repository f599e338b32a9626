//! One queue per SQLite database file for the writers of this process.
//!
//! SQLite lets one writer in at a time. Without a queue, every writer of a busy service sits in
//! `BEGIN IMMEDIATE`, holding a pooled connection, retrying after growing sleeps (SQLite's busy
//! handler) in no particular order: under a mixed load some orders waited seconds behind later
//! ones, and the readers found the pool drained by waiting writers. Here writers wait their turn
//! first-come first-served (tokio's mutex is fair) *before* they take a connection, so a write
//! waits about as long as the writes queued ahead of it take, and readers keep their
//! connections. `BEGIN IMMEDIATE` and the busy timeout still order this process against others
//! (the CLI, a second instance).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{Mutex as Queue, OwnedMutexGuard};

/// The turn of one write transaction; the next writer goes when it is dropped.
pub type Turn = OwnedMutexGuard<()>;

/// The queue of the database file `path` (the same file opened by several pools of one process
/// shares one queue).
pub fn queue(path: PathBuf) -> Arc<Queue<()>> {
    static QUEUES: OnceLock<Mutex<HashMap<PathBuf, Arc<Queue<()>>>>> = OnceLock::new();
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let mut queues = QUEUES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    queues.entry(path).or_default().clone()
}
