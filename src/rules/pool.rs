//! Where evaluations run: a few blocking threads (about one per core) behind a queue with a
//! deadline, never the async runtime's threads. A hostile rule can then hold at most these
//! threads for its 100 ms each, and `/health` and every request that needs no rule stay fast;
//! when every slot stays taken past the deadline the caller is told the service is busy.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::decision::Outcome;
use super::engine::CompiledRuleSet;
use super::{Facts, RuleError};

/// How long a request waits for a free evaluation slot before it is answered `busy`.
pub const QUEUE_DEADLINE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("every rule evaluation slot stayed busy for {} ms", QUEUE_DEADLINE.as_millis())]
    Busy,
    #[error("an evaluation thread was lost: {0}")]
    Lost(String),
}

/// The evaluation slots.
pub struct Pool {
    slots: Arc<Semaphore>,
    deadline: Duration,
}

impl Pool {
    pub fn new(slots: usize, deadline: Duration) -> Pool {
        Pool {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            deadline,
        }
    }

    /// The process's pool: one slot per core.
    pub fn global() -> &'static Pool {
        static POOL: OnceLock<Pool> = OnceLock::new();
        POOL.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            Pool::new(cores, QUEUE_DEADLINE)
        })
    }

    /// Runs `work` on a blocking thread once a slot is free. The slot stays taken until `work`
    /// ends, even if the caller stops waiting (a client that hangs up frees nothing early).
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let slot = tokio::time::timeout(self.deadline, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| PoolError::Busy)?
            .map_err(|e| PoolError::Lost(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(|e| PoolError::Lost(e.to_string()))
    }

    /// Evaluates `set` on `facts` in a slot; the facts come back with the result.
    pub async fn evaluate(
        &self,
        set: Arc<CompiledRuleSet>,
        facts: Facts,
    ) -> Result<(Facts, Result<Outcome, RuleError>), PoolError> {
        // A small fully compiled set decides in microseconds and cannot run away (no loops; its
        // worst case is bounded when it compiles): handing it to a blocking thread would cost
        // more than the evaluation. If it bails, the interpreter finishes it in the pool.
        if set.runs_inline() {
            let started = std::time::Instant::now();
            if let Some(outcome) = set.evaluate_compiled(&facts) {
                let seconds = started.elapsed().as_secs_f64();
                crate::http::metrics::rule_evaluated(
                    set.version,
                    outcome.verdict.as_str(),
                    seconds,
                );
                return Ok((facts, Ok(outcome)));
            }
        }
        self.run(move || evaluate_now(&set, facts)).await
    }
}

/// Evaluates and records the evaluation's metrics.
fn evaluate_now(set: &CompiledRuleSet, facts: Facts) -> (Facts, Result<Outcome, RuleError>) {
    let started = std::time::Instant::now();
    let outcome = set.evaluate(&facts);
    let result = match &outcome {
        Ok(o) => o.verdict.as_str(),
        Err(_) => "error",
    };
    let seconds = started.elapsed().as_secs_f64();
    crate::http::metrics::rule_evaluated(set.version, result, seconds);
    (facts, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_pool_answers_busy_after_its_deadline_and_frees_its_slot_after() {
        let pool = Arc::new(Pool::new(1, Duration::from_millis(50)));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let holder = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(move || wait.recv().is_ok()).await })
        };
        // Until the holder has its slot, a second run could take it instead.
        while pool.slots.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.run(|| 1).await, Err(PoolError::Busy));
        release.send(()).expect("holder waits");
        assert_eq!(holder.await.expect("joined"), Ok(true));
        assert_eq!(pool.run(|| 2).await, Ok(2));
    }
}
