//! What a product change would do to its holdings, before risk staff confirm it: the change is
//! made by the real workflow (`products::update`, with every re-evaluation and callback it
//! plans) inside a transaction that is then rolled back, so the preview and the change cannot
//! disagree. Each holding is decided before and after to count verdict and frequency changes.

use serde::Serialize;

use super::products::{self, ProductChange};
use super::{Ctx, Result, sale};
use crate::rules::decision::Verdict;
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
    let mut tx = db.begin().await?;
    let held = orders::holdings_of_product(&mut tx.conn(), id).await?;
    let before = decisions(&mut tx.conn(), ctx, &held).await?;
    let callbacks_before = count_callbacks(&mut tx.conn(), &held).await?;
    products::update(&mut tx.conn(), ctx, actor, id, change).await?;
    let after = decisions(&mut tx.conn(), ctx, &held).await?;
    let callbacks_after = count_callbacks(&mut tx.conn(), &held).await?;
    // Nothing of the preview stays: not the change, its decisions, callbacks or audit entries.
    tx.rollback().await?;
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

async fn count_callbacks(c: &mut Conn<'_>, held: &[orders::Order]) -> Result<usize> {
    let mut n = 0;
    for o in held {
        n += crate::store::callbacks::for_order(c, &o.id).await?.len();
    }
    Ok(n)
}
