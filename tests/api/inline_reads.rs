//! On SQLite the check reads its facts on the request's own thread (`store::inline_read`), not
//! through sqlx: both readers must give the same row for the records a sale's facts come from,
//! including times in other text forms than the service writes (every form is compared with
//! sqlx's own decoder in `store::inline_read`'s tests). On PostgreSQL there is one reader only.

use chrono::{Duration, Utc};
use serde_json::json;
use suitability::decide::RECENT_COMPLAINT_DAYS;
use suitability::store::{Db, holdings};

use crate::common::{Backend, TestApp, exec};
use crate::orders::place;
use crate::suitability::{investor_at, product};

/// Both readers' answers for each pair at one instant, as text (`FactRow` is `Debug`). The
/// inline one is read by the inline reader itself: it may not hand the read to the pool here.
async fn both(app: &TestApp, investor: &str, product: &str) -> (String, String) {
    let now = Utc::now();
    let since = now - Duration::days(RECENT_COMPLAINT_DAYS);
    let Db::Sqlite(_, reads) = &app.db else {
        panic!("SQLite")
    };
    let inline = holdings::sale_facts_inline(reads, (investor, product), since, now)
        .map_err(|e| format!("{e:?}"))
        .expect("read on this thread");
    let mut pooled = app.db.acquire().await.expect("connection");
    let pooled = holdings::sale_facts(&mut pooled.conn(), investor, product, since, now)
        .await
        .expect("pooled read");
    (format!("{inline:?}"), format!("{pooled:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inline_reader_reads_what_sqlx_reads() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert!(matches!(app.db, Db::Sqlite(..)));
    let held = investor_at(&app, "C4", "1980-01-01", None).await;
    let bare = app.individual("1990-05-06").await;
    let r3 = product(&app, "INL3", "R3").await;
    let r5 = product(&app, "INL5", "R5").await;
    // Wound up at a time written with a `Z`.
    let closed = product(&app, "INLZ", "R1").await;
    let gone = product(&app, "INLX", "R2").await;
    let order = place(&app, &held, &r3, Duration::hours(2), json!([])).await;
    let (status, complaint) = app
        .post(
            "/v1/complaints",
            "sales",
            json!({"investor_id": held, "order_id": order["id"], "channel": "phone",
                   "category": "mis_selling", "content": "客户反映销售人员承诺保本",
                   "received_at": (Utc::now() - Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{complaint}");
    // Rows as other writers leave them: a confirmed holding, a lapsing professional status in
    // SQLite's own time format, a wound-up product, an
    // investor with no birth date.
    let order_id = order["id"].as_str().expect("id");
    for sql in [
        format!("UPDATE orders SET status = 'confirmed' WHERE id = '{order_id}'"),
        format!(
            "UPDATE investors SET investor_type = 'professional', classified_until = \
             '2031-02-03 04:05:06' WHERE id = '{held}'"
        ),
        format!(
            "UPDATE products SET liquidated_at = '2026-01-02T03:04:05.123456+00:00' WHERE id = '{gone}'"
        ),
        format!("UPDATE products SET liquidated_at = '2026-01-02T03:04:05Z' WHERE id = '{closed}'"),
        format!(
            "UPDATE investors SET birth_date = NULL, civil_capacity = 'limited' WHERE id = '{bare}'"
        ),
    ] {
        exec(&app, &sql).await;
    }
    let mut rows = 0;
    for investor in [held.as_str(), bare.as_str(), "no-such-investor"] {
        for p in [&r3, &r5, &gone, &closed, "no-such-product"] {
            let (inline, pooled) = both(&app, investor, p).await;
            assert_eq!(inline, pooled, "{investor} {p}");
            rows += usize::from(inline.starts_with("Some"));
        }
    }
    assert_eq!(rows, 8, "two investors and four products exist");
    let (inline, _) = both(&app, &held, &r3).await;
    for seen in [
        "holds_product: true",
        "investor_type: \"professional\"",
        "open_complaints: 1",
        "evidence_issued_on: Some(",
        "classified_until: Some(2031-02-03T04:05:06Z)",
    ] {
        assert!(inline.contains(seen), "{seen} in {inline}");
    }
}

/// A time the reader cannot read is an error of the store, named, not a row read differently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_value_is_an_error_on_both_paths() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let p = product(&app, "INLB", "R3").await;
    exec(
        &app,
        &format!("UPDATE products SET liquidated_at = 'last Tuesday' WHERE id = '{p}'"),
    )
    .await;
    let since = Utc::now() - Duration::days(RECENT_COMPLAINT_DAYS);
    let Db::Sqlite(_, reads) = &app.db else {
        panic!("SQLite")
    };
    let inline = holdings::sale_facts_inline(reads, (&investor, &p), since, Utc::now());
    let err = match inline {
        Err(Some(e)) => e.to_string(),
        other => panic!("not an error of the store: {other:?}"),
    };
    assert!(err.contains("liquidated_at"), "{err}");
    let via_check = holdings::sale_facts_now(&app.db, (&investor, &p), since, Utc::now()).await;
    assert!(via_check.is_err());
    let mut pooled = app.db.acquire().await.expect("connection");
    let pooled = holdings::sale_facts(&mut pooled.conn(), &investor, &p, since, Utc::now()).await;
    assert!(pooled.is_err());
}
