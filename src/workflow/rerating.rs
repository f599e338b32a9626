//! What a product change would do to its holdings, before risk staff confirm it: the change is
//! made by the real workflow (`products::update`, with every re-evaluation and callback it
//! plans) inside a transaction that is then rolled back, so the preview and the change cannot
//! disagree. Each holding is decided before and after to count verdict and frequency changes.

use serde::Serialize;

use super::products::{self, ProductChange};
use tracing::Instrument;

use super::{Ctx, Result, WorkflowError, sale};
use crate::domain::state::CallbackKind;
use crate::rules::decision::Verdict;
use crate::rules::pool::QUEUE_DEADLINE;
use crate::store::staff::Staff;
use crate::store::{Conn, Db, now, orders};

/// The effect of a product change on the holdings of the product.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RerateImpact {
    pub holdings: usize,
    /// Holdings whose verdict would change (e.g. match to mismatch).
    pub verdict_changed: usize,
    /// Holdings that would no longer be a match.
    pub no_longer_match: usize,
    /// Holdings whose periodic callback frequency would change.
    pub periodic_changed: usize,
    /// Special callbacks the change would plan (`product_rerated`).
    pub special_callbacks: usize,
}

type Seen = Vec<(Verdict, Option<String>)>;

async fn decisions(c: &mut Conn<'_>, ctx: &Ctx<'_>, held: &[orders::Order]) -> Result<Seen> {
    let mut seen = Vec::with_capacity(held.len());
    for o in held {
        let d = sale::decide(c, ctx, &o.investor_id, &o.product_id, o.amount, now()).await?;
        let periodic = d.outcome.periodic.map(|f| f.to_string());
        seen.push((d.outcome.verdict, periodic));
    }
    Ok(seen)
}

/// Applies `change` to product `id` in a transaction that is rolled back, and reports what it
/// would change. Refuses exactly as the change itself would.
pub async fn preview(
    db: &Db,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
    change: ProductChange,
) -> Result<RerateImpact> {
    // The rolled-back transaction holds the write lock (SQLite) and the trail's lock (PostgreSQL)
    // while it runs: one preview at a time, the rest told to retry (503) rather than queue.
    static PREVIEWING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = tokio::time::timeout(QUEUE_DEADLINE, PREVIEWING.lock())
        .await
        .map_err(|_| WorkflowError::Busy)?;
    // What holds now is read outside the transaction, to keep the locks as short as can be.
    let (held, before, callbacks_before) = {
        let mut pooled = db.acquire().await?;
        let held = orders::holdings_of_product(&mut pooled.conn(), id).await?;
        let before = decisions(&mut pooled.conn(), ctx, &held).await?;
        let specials = count_specials(&mut pooled.conn(), &held).await?;
        (held, before, specials)
    };
    let mut tx = db.begin().await?;
    let span = tracing::info_span!("product_change_preview", product = %id);
    let made = async {
        products::update(&mut tx.conn(), ctx, actor, id, change).await?;
        let after = decisions(&mut tx.conn(), ctx, &held).await?;
        let specials = count_specials(&mut tx.conn(), &held).await?;
        Ok::<_, WorkflowError>((after, specials))
    }
    .instrument(span)
    .await;
    // Nothing of the preview stays: not the change, its decisions, callbacks or audit entries.
    tx.rollback().await?;
    let (after, callbacks_after) = made?;
    let pairs = || before.iter().zip(after.iter());
    Ok(RerateImpact {
        holdings: held.len(),
        verdict_changed: pairs().filter(|(b, a)| b.0 != a.0).count(),
        no_longer_match: pairs()
            .filter(|(b, a)| b.0 == Verdict::Match && a.0 != Verdict::Match)
            .count(),
        periodic_changed: pairs().filter(|(b, a)| b.1 != a.1).count(),
        special_callbacks: callbacks_after.saturating_sub(callbacks_before),
    })
}

/// The special callbacks of the holdings (periodic re-plans are not counted).
async fn count_specials(c: &mut Conn<'_>, held: &[orders::Order]) -> Result<usize> {
    let mut n = 0;
    for o in held {
        let cbs = crate::store::callbacks::for_order(c, &o.id).await?;
        n += cbs
            .iter()
            .filter(|cb| cb.kind == CallbackKind::Special)
            .count();
    }
    Ok(n)
}
