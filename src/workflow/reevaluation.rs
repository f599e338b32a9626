//! The background re-evaluation of every holding after a rule set is activated: holdings stream
//! a page at a time, each page is evaluated on every core, and each holding that now calls for a
//! special callback it has not had gets one (planned by `events::plan_rule_specials`, the same
//! code as every other path), and each whose periodic frequency changed has its next periodic
//! callback re-planned (`callbacks::frequency`, as every other event), with the decision stored. Progress is kept in the job row, where
//! every instance can read it.
//!
//! [`Reevaluation::step`] does one page, so tests drive the job step by step; [`Reevaluation::run`]
//! is what the service spawns.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::Receiver;

use super::callbacks::frequency;
use super::{Result, WorkflowError, events};
use crate::batch::{self, Holding, par_map};
use crate::config::{CallbackPolicy, Policy};
use crate::domain::state::{DecisionPurpose, JobStatus};
use crate::rules::CompiledRuleSet;
use crate::store::decisions::{self, StoredDecision};
use crate::store::rulesets::{self, Job};
use crate::store::{Db, StoreError, holdings, new_id, now};

/// A running re-evaluation: the pages still to come (read ahead by `batch::stream`), where it
/// is, and its job row.
pub struct Reevaluation {
    set: Arc<CompiledRuleSet>,
    callbacks: CallbackPolicy,
    at: DateTime<Utc>,
    pages: Receiver<std::result::Result<Vec<Holding>, StoreError>>,
    /// The last order id of the previous page.
    after: String,
    pub job: Job,
}

impl Reevaluation {
    /// Starts reading the holdings for `job` (whose total the activation counted).
    pub fn new(db: &Db, set: Arc<CompiledRuleSet>, policy: Policy, job: Job) -> Self {
        let at = now();
        Reevaluation {
            set,
            callbacks: policy.callbacks.clone(),
            at,
            pages: batch::stream(db.clone(), policy, at),
            after: String::new(),
            job,
        }
    }

    /// Re-evaluates the next page of holdings in one transaction; false when none were left.
    /// (The page was read while the previous one was evaluated and written.)
    pub async fn step(&mut self, db: &Db) -> Result<bool> {
        let Some(page) = self.pages.recv().await else {
            return Ok(false);
        };
        let page = std::sync::Arc::new(page?);
        let Some(last) = page.last() else {
            return Ok(false);
        };
        let from = std::mem::replace(&mut self.after, last.order_id.clone());
        let (set, p) = (self.set.clone(), page.clone());
        // On blocking threads, never the runtime's: requests keep being served meanwhile.
        let outcomes =
            tokio::task::spawn_blocking(move || par_map(&p, |h| set.evaluate_cached(&h.facts)))
                .await
                .map_err(|e| {
                    WorkflowError::Internal(format!("an evaluation thread was lost: {e}"))
                })?;
        let mut tx = db.begin().await?;
        let existing: HashSet<(String, String)> =
            holdings::special_reasons(&mut tx.conn(), &from, &self.after)
                .await?
                .into_iter()
                .collect();
        let periodics = holdings::periodic_plans(&mut tx.conn(), &from, &self.after).await?;
        for (h, outcome) in page.iter().zip(outcomes) {
            self.job.processed += 1;
            let Ok(outcome) = outcome else { continue };
            let missing = events::missing_specials(h.held(), &outcome, &existing);
            let refrequency = outcome.periodic.is_some_and(|f| {
                let planned = periodics.get(&h.order_id);
                planned.is_none_or(|p| {
                    p.iter()
                        .all(|(reason, overdue)| !overdue && reason != f.as_str())
                })
            });
            if missing.is_empty() && !refrequency {
                continue;
            }
            self.job.changed += 1;
            let decision = StoredDecision {
                id: new_id(),
                investor_id: h.investor_id.clone(),
                product_id: h.product_id.clone(),
                purpose: DecisionPurpose::Activation,
                ruleset_version: self.set.version,
                facts: h.facts.clone(),
                outcome: (*outcome).clone(),
                created_by: None,
                created_at: self.at,
                assessment_id: h.assessment_id.clone(),
            };
            decisions::insert(&mut tx.conn(), &decision).await?;
            let catalogue = self.set.catalogue();
            let planned = events::plan_rule_specials(
                &mut tx.conn(),
                catalogue,
                h.held(),
                &decision,
                &missing,
                self.at,
            )
            .await?;
            self.job.callbacks += planned as i64;
            if refrequency {
                let policy = &self.callbacks;
                let at = self.at;
                frequency::follow(
                    &mut tx.conn(),
                    catalogue,
                    policy,
                    None,
                    h.held(),
                    &decision,
                    at,
                )
                .await?;
            }
        }
        self.job.updated_at = now();
        rulesets::update_job(&mut tx.conn(), &self.job).await?;
        tx.commit().await?;
        tracing::info!(
            version = self.set.version,
            processed = self.job.processed,
            total = self.job.total,
            "re-evaluating holdings"
        );
        Ok(true)
    }

    /// Runs every step, then records the job as done or failed.
    pub async fn run(mut self, db: Db) {
        let result = loop {
            match self.step(&db).await {
                Ok(true) => continue,
                Ok(false) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.job.status = match &result {
            Ok(()) => JobStatus::Done,
            Err(_) => JobStatus::Failed,
        };
        self.job.error = result.err().map(|e| e.to_string());
        self.job.updated_at = now();
        if let Some(e) = &self.job.error {
            tracing::error!(version = self.set.version, error = %e, "re-evaluation failed");
        }
        let recorded = match db.acquire().await {
            Ok(mut pooled) => rulesets::update_job(&mut pooled.conn(), &self.job).await,
            Err(e) => Err(e),
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, "cannot record the re-evaluation job");
        }
    }
}
