//! Holdings (orders cooling off or confirmed) with everything their facts need, a page at a
//! time in order-id order, so batch work streams instead of loading everything.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::on_conn;

/// What an investor's facts are computed from: the investor, their latest assessment, their
/// complaints.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvestorSources {
    pub investor_id: String,
    /// Who sells to the investor: lets a sale's decision check who may see it without asking.
    pub sales_owner_id: String,
    pub kind: String,
    pub investor_type: String,
    pub birth_date: Option<NaiveDate>,
    /// "full", "limited", "none"; null (rows from before) is full.
    pub civil_capacity: Option<String>,
    pub financial_assets: Option<String>,
    pub avg_income_3y: Option<String>,
    pub net_assets: Option<String>,
    /// The assessment the facts come from (None without one).
    pub assessment_id: Option<String>,
    pub level: Option<i64>,
    pub flags: Option<Json<Vec<String>>>,
    pub assessed_at: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub open_complaints: i64,
    pub complaints_90d: i64,
    /// When the newest proof of assets or income was issued.
    pub evidence_issued_on: Option<NaiveDate>,
    /// Until when the latest granted classification holds (null: none, or an ordinary one).
    pub classified_until: Option<DateTime<Utc>>,
}

/// What a product's facts are computed from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductSources {
    pub product_id: String,
    pub product_code: String,
    pub product_kind: String,
    pub risk_rating: i64,
    pub min_subscription: String,
    /// When the product was wound up: it is sold no more.
    pub liquidated_at: Option<DateTime<Utc>>,
}

/// Everything the facts of a sale are computed from, read in one query.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FactRow {
    #[sqlx(flatten)]
    pub investor: InvestorSources,
    #[sqlx(flatten)]
    pub product: ProductSources,
    /// Whether the investor holds the product already (a confirmed order: one still cooling off
    /// may yet be rescinded, so it does not make a top-up exempt from the minimum).
    pub holds_product: bool,
}

/// A holding with its investor's sources; its product's facts are computed once per product
/// (there are few products and many holdings, and every column read costs an allocation).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HoldingRow {
    pub order_id: String,
    pub amount: String,
    pub cooling_off_ends_at: DateTime<Utc>,
    pub product_id: String,
    #[sqlx(flatten)]
    pub investor: InvestorSources,
    pub holds_product: bool,
}

/// The columns of `InvestorSources` over `investors i` and the latest assessment `a`; the start of the recent-complaint window (the placeholder `$since`); `$evidence` is the expression of when the newest
/// proof was issued (the column kept on the investor, or a subquery as of a past signing).
macro_rules! investor_columns {
    ($evidence:expr, $since:literal) => {
        investor_columns!($evidence, $since, "i.investor_type, i.classified_until")
    };
    ($evidence:expr, $since:literal, $classification:expr) => {
        concat!(
            "i.id AS investor_id, i.sales_owner_id, i.kind, ",
            $classification,
            ", i.birth_date, i.civil_capacity, i.financial_assets, \
             i.avg_income_3y, i.net_assets, a.id AS assessment_id, a.level, a.flags, a.assessed_at, a.valid_until, \
             (SELECT COUNT(*) FROM complaints k WHERE k.investor_id = i.id AND k.status = 'open') AS open_complaints, \
             (SELECT COUNT(*) FROM complaints k WHERE k.investor_id = i.id AND k.received_at >= ",
            $since,
            ") AS complaints_90d, ",
            $evidence,
            " AS evidence_issued_on"
        )
    };
}

/// The investor's type and classification as of `$4` (a signing), from the latest classification
/// granted by then (`k`, joined by `classification_as_of!`): ordinary before the first one (sales
/// onboard ordinary investors only). An investor with no classification at all keeps the type
/// stored on it (records from before classifications were kept). Professional only if so both
/// then and now: a sale entered after the investor asked to be treated as ordinary, backdated
/// to before it, is decided as ordinary.
/// Whether the investor has any granted classification (else its stored type predates them).
macro_rules! any_granted {
    () => {
        "WHEN EXISTS (SELECT 1 FROM classifications k3 WHERE k3.investor_id = i.id AND k3.outcome = 'granted')"
    };
}

macro_rules! classification_columns_as_of {
    () => {
        concat!(
            "CASE WHEN i.investor_type = 'professional' AND \
                  (CASE WHEN k.id IS NOT NULL THEN k.investor_type ",
            any_granted!(),
            " THEN 'ordinary' ELSE i.investor_type END) = 'professional' \
                  THEN 'professional' ELSE 'ordinary' END AS investor_type, \
             CASE WHEN k.id IS NOT NULL THEN k.valid_until ",
            any_granted!(),
            " THEN NULL ELSE i.classified_until END AS classified_until"
        )
    };
}

macro_rules! classification_as_of {
    () => {
        " LEFT JOIN classifications k ON k.id = (SELECT k2.id FROM classifications k2 WHERE k2.investor_id = i.id \
         AND k2.outcome = 'granted' AND k2.decided_at <= $4 ORDER BY k2.decided_at DESC, k2.id DESC LIMIT 1)"
    };
}

/// When the newest proof issued on or before `$5` was issued: the signing's date in China, where proofs are
/// dated (a proof dated the day of a signing at 07:00 China time, 23:00 the day before in UTC,
/// backs it).
macro_rules! evidence_as_of {
    () => {
        "(SELECT MAX(q.issued_at) FROM qualification_evidence q WHERE q.investor_id = i.id AND q.issued_at <= $5)"
    };
}

/// The columns of `ProductSources` over `products p`.
macro_rules! product_columns {
    () => {
        "p.id AS product_id, p.code AS product_code, p.kind AS product_kind, p.risk_rating, p.min_subscription, \
         p.liquidated_at"
    };
}

/// Whether investor `i` holds the product `$product` (a column expression) already.
macro_rules! holds_product {
    ($product:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM orders h WHERE h.investor_id = i.id AND h.product_id = ",
            $product,
            " AND h.status = 'confirmed')"
        )
    };
}

/// The assessment `$a` was not rejected by a risk reviewer (a rejected one is never used).
macro_rules! not_rejected {
    ($a:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM assessment_reviews r WHERE r.assessment_id = ",
            $a,
            ".id AND r.verdict = 'rejected')"
        )
    };
}

/// The latest assessment, rejected or not: batch work replaces the rare investor whose latest
/// was rejected (`batch::stream`), and a filter here would cost every holding a probe.
macro_rules! latest_assessment {
    () => {
        " LEFT JOIN assessments a ON a.id = (SELECT a2.id FROM assessments a2 WHERE a2.investor_id = i.id \
           ORDER BY a2.assessed_at DESC, a2.id DESC LIMIT 1)"
    };
}

/// The latest assessment a reviewer did not reject.
macro_rules! latest_usable_assessment {
    () => {
        concat!(
            " LEFT JOIN assessments a ON a.id = (SELECT a2.id FROM assessments a2 WHERE a2.investor_id = i.id AND ",
            not_rejected!("a2"),
            " ORDER BY a2.assessed_at DESC, a2.id DESC LIMIT 1)"
        )
    };
}

/// The latest assessment taken at or before `$4`: what a sale signed then was decided on.
macro_rules! assessment_as_of {
    () => {
        concat!(
            " LEFT JOIN assessments a ON a.id = (SELECT a2.id FROM assessments a2 WHERE a2.investor_id = i.id AND ",
            not_rejected!("a2"),
            " AND a2.assessed_at <= $4 ORDER BY a2.assessed_at DESC, a2.id DESC LIMIT 1)"
        )
    };
}

/// The same on PostgreSQL as a lateral join, which its planner runs once per row (the join
/// through a scalar subquery it runs twice: once for the memoise key, once for the match). SQLite
/// has no LATERAL; its planner runs the subquery once already.
macro_rules! latest_assessment_lateral {
    () => {
        " LEFT JOIN LATERAL (SELECT a2.id, a2.level, a2.flags, a2.assessed_at, a2.valid_until FROM assessments a2 \
           WHERE a2.investor_id = i.id ORDER BY a2.assessed_at DESC, a2.id DESC LIMIT 1) a ON TRUE"
    };
}

macro_rules! sale_sql {
    ($($classification:expr)?; $($join:expr)?) => {
        concat!(
            "SELECT ",
            investor_columns!(evidence_as_of!(), "$3" $(, $classification)?),
            ", ",
            product_columns!(),
            ", ",
            holds_product!("p.id"),
            " AS holds_product FROM investors i JOIN products p ON p.id = $2",
            assessment_as_of!(),
            $($join,)?
            " WHERE i.id = $1"
        )
    };
}

/// A sale's facts as of a past signing: `$1` investor, `$2` product, `$3` start of the
/// complaint window, `$4` the signing, `$5` its date in China.
const SALE_AS_OF: &str = sale_sql!(classification_columns_as_of!(); classification_as_of!());
/// The same as of now: the classification is the one stored on the investor (each granted one
/// is written there), so a check, the hottest query, reads it without the history.
const SALE_NOW: &str = sale_sql!(;);

mod inline;
pub use inline::{sale_facts_inline, sale_facts_now};

/// The facts' sources for a sale as of `as_of` (the assessment is the latest taken by then, the
/// classification the latest granted by then, the proof the newest issued by then), in one
/// round trip; None if the investor or the product does not exist.
pub async fn sale_facts(
    c: &mut Conn<'_>,
    investor_id: &str,
    product_id: &str,
    complaints_since: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> Result<Option<FactRow>, StoreError> {
    let sql = if as_of >= super::now() - chrono::Duration::seconds(1) {
        SALE_NOW
    } else {
        SALE_AS_OF
    };
    sale_facts_by(c, sql, (investor_id, product_id), complaints_since, as_of).await
}

/// `sale_facts` with the query chosen by the caller.
async fn sale_facts_by(
    c: &mut Conn<'_>,
    sql: &'static str,
    (investor_id, product_id): (&str, &str),
    complaints_since: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> Result<Option<FactRow>, StoreError> {
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .bind(product_id)
        .bind(complaints_since)
        .bind(as_of)
        // The day the decision takes as today (`decide::facts_of_row` caps it at now).
        .bind(business_date(as_of.min(super::now())))
        .fetch_optional(e)
        .await)?)
}

/// The date of `t` in China, where the firms date their documents.
fn business_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&crate::config::business_offset())
        .date_naive()
}

/// The next `limit` holdings after order id `after`.
pub async fn page(
    c: &mut Conn<'_>,
    after: &str,
    limit: i64,
    complaints_since: DateTime<Utc>,
) -> Result<Vec<HoldingRow>, StoreError> {
    macro_rules! page_sql {
        ($latest:expr) => {
            concat!(
                "SELECT o.id AS order_id, o.amount, o.cooling_off_ends_at, o.product_id, ",
                investor_columns!("i.proof_issued_on", "$3"),
                // A confirmed holding is itself what makes its product held: look further only
                // for one still cooling off (a seek saved on nearly every holding).
                ", CASE WHEN o.status = 'confirmed' THEN TRUE ELSE ",
                holds_product!("o.product_id"),
                " END AS holds_product FROM orders o JOIN investors i ON i.id = o.investor_id",
                $latest,
                " WHERE o.status IN ('cooling_off', 'confirmed') AND o.id > $1 ORDER BY o.id LIMIT $2"
            )
        };
    }
    // Work over every holding runs this page by page: it is the one query whose text differs.
    let sql = match c {
        Conn::Sqlite(_) => page_sql!(latest_assessment!()),
        Conn::Postgres(_) => page_sql!(latest_assessment_lateral!()),
    };
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(after)
        .bind(limit)
        .bind(complaints_since)
        .fetch_all(e)
        .await)?)
}

/// One investor's sources as of now, on their latest assessment a reviewer did not reject.
pub async fn investor_sources(
    c: &mut Conn<'_>,
    investor_id: &str,
    complaints_since: DateTime<Utc>,
) -> Result<Option<InvestorSources>, StoreError> {
    let sql = concat!(
        "SELECT ",
        investor_columns!("i.proof_issued_on", "$2"),
        " FROM investors i",
        latest_usable_assessment!(),
        " WHERE i.id = $1"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .bind(complaints_since)
        .fetch_optional(e)
        .await)?)
}

/// The assessments risk reviewers rejected (few): batch work looks again at the investors whose
/// latest assessment is one of them.
pub async fn rejected_assessments(
    c: &mut Conn<'_>,
) -> Result<std::collections::HashSet<String>, StoreError> {
    let sql = "SELECT assessment_id FROM assessment_reviews WHERE verdict = 'rejected'";
    let rows: Vec<(String,)> = on_conn!(c, |e| sqlx::query_as(sql).fetch_all(e).await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Every product's sources, for batch work over holdings.
pub async fn products(c: &mut Conn<'_>) -> Result<Vec<ProductSources>, StoreError> {
    let sql = concat!("SELECT ", product_columns!(), " FROM products p");
    Ok(on_conn!(c, |e| sqlx::query_as(sql).fetch_all(e).await)?)
}

pub async fn count(c: &mut Conn<'_>) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_conn!(c, |e| sqlx::query_as(
        "SELECT COUNT(*) FROM orders WHERE status IN ('cooling_off', 'confirmed')"
    )
    .fetch_one(e)
    .await)?;
    Ok(n)
}

/// Per order in (`from`, `to`]: the (frequency, overdue) of each periodic callback still to do and
/// not yet tried (as `callback_schedule::workable_periodics`).
pub async fn periodic_plans(
    c: &mut Conn<'_>,
    from: &str,
    to: &str,
) -> Result<std::collections::HashMap<String, Vec<(String, bool)>>, StoreError> {
    let sql = "SELECT c.order_id, c.reason, c.status FROM callbacks c WHERE c.kind = 'periodic' \
               AND c.status IN ('open', 'overdue') AND c.order_id > $1 AND c.order_id <= $2 \
               AND NOT EXISTS (SELECT 1 FROM callback_outcomes o WHERE o.callback_id = c.id)";
    let rows: Vec<(String, String, String)> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .fetch_all(e)
        .await)?;
    let mut plans: std::collections::HashMap<String, Vec<(String, bool)>> = Default::default();
    for (order, reason, status) in rows {
        plans
            .entry(order)
            .or_default()
            .push((reason, status == "overdue"));
    }
    Ok(plans)
}

/// The (order, reason) pairs of special callbacks already planned for orders in (`from`, `to`].
pub async fn special_reasons(
    c: &mut Conn<'_>,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let sql = "SELECT order_id, reason FROM callbacks WHERE kind = 'special' AND order_id > $1 AND order_id <= $2";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .fetch_all(e)
        .await)?)
}
