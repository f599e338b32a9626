//! Work over every holding: the impact preview of a draft rule set, and the streaming and
//! parallel evaluation that `workflow::reevaluation` shares after an activation. Holdings stream
//! from the store a page at a time (bounded memory); each page is evaluated on every core;
//! outcomes are memoised on identical facts.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Policy;
use crate::decide::{facts_of, product_facts};
use crate::rules::decision::Outcome;
use crate::rules::{CompiledRuleSet, Facts, ProductFacts, RuleError};
use crate::store::holdings::{self, HoldingRow};
use crate::store::{Db, StoreError};

/// Holdings per page read from the store.
pub const PAGE: i64 = 5_000;

#[derive(Debug, Clone)]
pub struct Holding {
    pub order_id: String,
    pub investor_id: String,
    pub product_id: String,
    pub cooling_off_ends_at: DateTime<Utc>,
    pub facts: Facts,
    /// The assessment the facts come from.
    pub assessment_id: Option<String>,
}

impl Holding {
    /// The holding as callbacks are planned on it.
    pub fn held(&self) -> crate::callbacks::planner::Held<'_> {
        crate::callbacks::planner::Held {
            order_id: &self.order_id,
            investor_id: &self.investor_id,
            product_id: &self.product_id,
            cooling_off_ends_at: self.cooling_off_ends_at,
        }
    }
}

/// Every product's facts by id, for a pass over the holdings.
pub async fn product_facts_by_id(
    c: &mut crate::store::Conn<'_>,
) -> Result<HashMap<String, ProductFacts>, StoreError> {
    holdings::products(c)
        .await?
        .iter()
        .map(|p| Ok((p.product_id.clone(), product_facts(p)?)))
        .collect()
}

/// The facts of a stored holding as of `at`, its product's facts taken from `products`.
pub fn holding(
    row: HoldingRow,
    products: &HashMap<String, ProductFacts>,
    policy: &Policy,
    at: DateTime<Utc>,
) -> Result<Holding, StoreError> {
    let amount = row
        .amount
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("amount: {e}")))?;
    let product = products.get(&row.product_id).cloned().ok_or_else(|| {
        StoreError::Corrupt(format!(
            "holding {} names an unknown product {}",
            row.order_id, row.product_id
        ))
    })?;
    let facts = facts_of(
        &row.investor,
        product,
        row.holds_product,
        amount,
        policy,
        at,
    )?;
    Ok(Holding {
        order_id: row.order_id,
        investor_id: row.investor.investor_id,
        product_id: row.product_id,
        cooling_off_ends_at: row.cooling_off_ends_at,
        facts,
        assessment_id: row.investor.assessment_id,
    })
}

/// Evaluates `f` over `items` on every core, keeping the order.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(1);
    if threads == 1 || items.len() < 64 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// What an outcome says that a holder would notice.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = BatchSummary)]
pub struct Summary {
    pub verdict: String,
    pub periodic: Option<String>,
    pub checks: BTreeSet<String>,
    pub special_callbacks: BTreeSet<String>,
}

impl Summary {
    pub fn of(o: &Outcome) -> Self {
        Summary {
            verdict: o.verdict.as_str().to_string(),
            periodic: o.periodic.map(|p| p.as_str().to_string()),
            checks: o.checks.iter().map(|c| c.code.to_string()).collect(),
            special_callbacks: o
                .special_callbacks
                .iter()
                .map(|s| s.reason.to_string())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImpactExample {
    pub order_id: String,
    pub investor_id: String,
    pub product_id: String,
    /// What changes: verdict, periodic, checks, special_callbacks.
    pub changes: Vec<String>,
    pub active: Summary,
    pub draft: Summary,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImpactCounts {
    pub verdict: u64,
    pub periodic: u64,
    pub checks: u64,
    pub special_callbacks: u64,
    /// Holdings with at least one change.
    pub any: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImpactReport {
    pub draft_version: i64,
    pub active_version: i64,
    pub holdings: u64,
    pub changed: ImpactCounts,
    /// Verdict moves, e.g. "match→mismatch": count.
    pub verdict_moves: BTreeMap<String, u64>,
    /// Up to `MAX_EXAMPLES` changed holdings.
    pub examples: Vec<ImpactExample>,
    /// Holdings on which a rule failed (under either version), and the first such error.
    pub errors: u64,
    pub first_error: Option<RuleError>,
    /// True when the preview stopped early: a rule failed on `MAX_ERRORS` holdings.
    pub stopped: bool,
    pub elapsed_ms: u128,
}

pub const MAX_EXAMPLES: usize = 20;
/// A preview stops after this many holdings on which a rule failed: the draft needs fixing,
/// and each failure may have cost the sandbox's 100 ms.
pub const MAX_ERRORS: u64 = 1_000;

fn compare(active: &Outcome, draft: &Outcome) -> Vec<String> {
    let mut changes = Vec::new();
    if active.verdict != draft.verdict {
        changes.push("verdict".to_string());
    }
    if active.periodic != draft.periodic {
        changes.push("periodic".to_string());
    }
    let codes = |o: &Outcome| {
        o.checks
            .iter()
            .map(|c| c.code.clone())
            .collect::<HashSet<_>>()
    };
    if codes(active) != codes(draft) {
        changes.push("checks".to_string());
    }
    let specials = |o: &Outcome| {
        o.special_callbacks
            .iter()
            .map(|s| (s.reason.clone(), s.due_in_days))
            .collect::<HashSet<_>>()
    };
    if specials(active) != specials(draft) {
        changes.push("special_callbacks".to_string());
    }
    changes
}

/// Pages read ahead of the evaluation: enough to keep both sides busy, bounded in memory.
const READ_AHEAD: usize = 2;

/// Every current holding with its facts as of `at`, a page at a time, read by a task of its own
/// so that the store is read while the previous page is evaluated. The channel closes after the
/// last page, or after the first error (which it passes on).
pub fn stream(
    db: Db,
    policy: Policy,
    at: DateTime<Utc>,
) -> tokio::sync::mpsc::Receiver<Result<Vec<Holding>, StoreError>> {
    let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
    tokio::spawn(async move {
        let since = at - chrono::Duration::days(crate::decide::RECENT_COMPLAINT_DAYS);
        let mut after = String::new();
        let mut products = HashMap::new();
        loop {
            let page = async {
                let mut pooled = db.acquire().await?;
                let mut rows = holdings::page(&mut pooled.conn(), &after, PAGE, since).await?;
                // A reviewer's rejection is rare: the page's query does not look for one, so
                // the investors whose latest assessment was rejected are read again here.
                let rejected = holdings::rejected_assessments(&mut pooled.conn()).await?;
                for row in &mut rows {
                    if row
                        .investor
                        .assessment_id
                        .as_ref()
                        .is_some_and(|a| rejected.contains(a))
                    {
                        let id = row.investor.investor_id.clone();
                        if let Some(usable) =
                            holdings::investor_sources(&mut pooled.conn(), &id, since).await?
                        {
                            row.investor = usable;
                        }
                    }
                }
                // Loaded on the first page, and again if a product was created since.
                if rows.iter().any(|r| !products.contains_key(&r.product_id)) {
                    products = product_facts_by_id(&mut pooled.conn()).await?;
                }
                rows.into_iter()
                    .map(|r| holding(r, &products, &policy, at))
                    .collect::<Result<Vec<_>, _>>()
            }
            .await;
            match page {
                Ok(p) if p.is_empty() => return,
                Ok(p) => {
                    after = p.last().map(|h| h.order_id.clone()).unwrap_or_default();
                    // The receiver gone means nobody wants the rest.
                    if tx.send(Ok(p)).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    rx
}

/// Evaluates the draft and the active set on every current holding and counts what changes.
/// `progress` is told (processed, total) after each page.
pub async fn impact(
    db: &Db,
    draft: Arc<CompiledRuleSet>,
    active: Arc<CompiledRuleSet>,
    policy: &Policy,
    mut progress: impl FnMut(u64, u64),
) -> Result<ImpactReport, StoreError> {
    let started = Instant::now();
    let at = crate::store::now();
    let total = {
        let mut pooled = db.acquire().await?;
        holdings::count(&mut pooled.conn()).await? as u64
    };
    let mut report = ImpactReport {
        draft_version: draft.version,
        active_version: active.version,
        holdings: 0,
        changed: ImpactCounts::default(),
        verdict_moves: BTreeMap::new(),
        examples: Vec::new(),
        errors: 0,
        first_error: None,
        stopped: false,
        elapsed_ms: 0,
    };
    let mut pages = stream(db.clone(), policy.clone(), at);
    while let Some(page) = pages.recv().await {
        let page = Arc::new(page?);
        let (d, a, p) = (draft.clone(), active.clone(), page.clone());
        // On blocking threads, never the runtime's: requests keep being served meanwhile.
        let results = tokio::task::spawn_blocking(move || {
            par_map(&p, |h| {
                let before = a.evaluate_cached(&h.facts);
                let after = d.evaluate_cached(&h.facts);
                match (before, after) {
                    (Ok(b), Ok(n)) => {
                        let changes = compare(&b, &n);
                        Ok((changes, b, n))
                    }
                    (Err(e), _) | (_, Err(e)) => Err(e),
                }
            })
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("an evaluation thread was lost: {e}")))?;
        for (h, r) in page.iter().zip(results) {
            report.holdings += 1;
            match r {
                Err(e) => {
                    report.errors += 1;
                    report.first_error.get_or_insert(e);
                }
                Ok((changes, b, n)) if !changes.is_empty() => {
                    let c = &mut report.changed;
                    c.any += 1;
                    for ch in &changes {
                        match ch.as_str() {
                            "verdict" => c.verdict += 1,
                            "periodic" => c.periodic += 1,
                            "checks" => c.checks += 1,
                            _ => c.special_callbacks += 1,
                        }
                    }
                    if b.verdict != n.verdict {
                        *report
                            .verdict_moves
                            .entry(format!("{}→{}", b.verdict.as_str(), n.verdict.as_str()))
                            .or_default() += 1;
                    }
                    if report.examples.len() < MAX_EXAMPLES {
                        report.examples.push(ImpactExample {
                            order_id: h.order_id.clone(),
                            investor_id: h.investor_id.clone(),
                            product_id: h.product_id.clone(),
                            changes,
                            active: Summary::of(&b),
                            draft: Summary::of(&n),
                        });
                    }
                }
                Ok(_) => {}
            }
        }
        progress(report.holdings, total);
        if report.errors >= MAX_ERRORS {
            report.stopped = true;
            break;
        }
    }
    report.elapsed_ms = started.elapsed().as_millis();
    Ok(report)
}
