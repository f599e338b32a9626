//! On SQLite the check reads its facts on the request's own thread (`store::inline_read`), not
//! through sqlx: both readers must give the same row for every kind of record, including times
//! in each text form SQLite and older rows hold. (On PostgreSQL there is one reader only.)

use chrono::{Duration, Utc};
use serde_json::json;
use suitability::decide::RECENT_COMPLAINT_DAYS;
use suitability::store::{Db, holdings};

use crate::common::{Backend, TestApp, exec};
use crate::orders::place;
use crate::suitability::{investor_at, product};

/// Both readers' answers for each pair, as text (`FactRow` is `Debug`).
async fn both(app: &TestApp, investor: &str, product: &str) -> (String, String) {
    let since = Utc::now() - Duration::days(RECENT_COMPLAINT_DAYS);
    let inline = holdings::sale_facts_now(&app.db, investor, product, since)
        .await
        .expect("inline read");
    let mut pooled = app.db.acquire().await.expect("connection");
    let pooled = holdings::sale_facts(&mut pooled.conn(), investor, product, since, Utc::now())
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
    let inline = holdings::sale_facts_now(&app.db, &investor, &p, since).await;
    let err = inline.expect_err("an unreadable time");
    assert!(err.to_string().contains("liquidated_at"), "{err}");
    let mut pooled = app.db.acquire().await.expect("connection");
    let pooled = holdings::sale_facts(&mut pooled.conn(), &investor, &p, since, Utc::now()).await;
    assert!(pooled.is_err());
}
