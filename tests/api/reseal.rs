//! A migration that adds a column changes every existing row's digest; the next start re-seals
//! the rows that still matched their latest audit entry, and only those: a row edited behind the
//! service's back before the change stays flagged.

use suitability::store::audit;
use suitability::store::reseal::{self, Resealed};

use crate::common::{TestApp, cli, exec};
use crate::on_both;
use crate::suitability::{investor_at, product};

on_both!(a_schema_change_reseals_rows_that_matched_and_only_those);

async fn unexplained(app: &TestApp) -> Vec<(String, String)> {
    let mut pooled = app.db.acquire().await.expect("conn");
    let mut rows: Vec<(String, String)> = audit::verify_rows(&mut pooled.conn())
        .await
        .expect("rows")
        .into_iter()
        .map(|u| (u.entity.to_string(), u.id))
        .collect();
    rows.sort();
    rows
}

async fn reseal(app: &TestApp) -> Vec<Resealed> {
    let mut tx = app.db.begin().await.expect("tx");
    let done = reseal::after_migrations(&mut tx.conn())
        .await
        .expect("reseal");
    tx.commit().await.expect("commit");
    done
}

async fn a_schema_change_reseals_rows_that_matched_and_only_those(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let kept = product(&app, "RS-1", "R3").await;
    let edited = product(&app, "RS-2", "R3").await;
    let order = crate::orders::place(
        &app,
        &investor,
        &kept,
        chrono::Duration::hours(25),
        serde_json::json!([]),
    )
    .await;
    let order = order["id"].as_str().expect("order").to_string();
    assert_eq!(unexplained(&app).await, Vec::new());
    // The start recorded the columns; nothing changed since.
    assert_eq!(reseal(&app).await, Vec::new());

    // An edit behind the service's back, then a migration adding a column to two tables.
    exec(
        &app,
        &format!("UPDATE products SET name = 'edited' WHERE id = '{edited}'"),
    )
    .await;
    exec(
        &app,
        "ALTER TABLE products ADD COLUMN note TEXT DEFAULT 'n'",
    )
    .await;
    exec(&app, "ALTER TABLE orders ADD COLUMN channel TEXT").await;
    let flagged = unexplained(&app).await;
    for row in [
        ("order".to_string(), order.clone()),
        ("product".to_string(), kept.clone()),
    ] {
        assert!(
            flagged.contains(&row),
            "the added column flags {row:?}: {flagged:?}"
        );
    }

    let done = reseal(&app).await;
    let of = |table: &str| done.iter().find(|r| r.table == table).cloned();
    let products = of("products").expect("products re-sealed");
    assert_eq!(products.added, vec!["note".to_string()]);
    assert_eq!((products.rows, products.left), (1, 1), "{done:?}");
    let orders = of("orders").expect("orders re-sealed");
    assert_eq!((orders.rows, orders.left), (1, 0), "{done:?}");
    assert!(of("investors").is_none(), "{done:?}");
    // Only the edited row is still flagged; the chain, with its re-seal entries, verifies.
    assert_eq!(
        unexplained(&app).await,
        vec![("product".to_string(), edited.clone())]
    );
    let (ok, out) = cli(&app.database_url, &["audit", "verify"]);
    assert!(ok, "{out}");
    // Once is enough: a second start finds nothing to do.
    assert_eq!(reseal(&app).await, Vec::new());

    // The service digests the new columns from then on.
    let (status, body) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/v1/products/{kept}"),
            Some("risk"),
            Some(&serde_json::json!({"risk_rating": "R4"})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    exec(
        &app,
        &format!("UPDATE products SET note = 'x' WHERE id = '{kept}'"),
    )
    .await;
    assert_eq!(
        unexplained(&app).await,
        vec![
            ("product".to_string(), kept.clone()),
            ("product".to_string(), edited.clone())
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>(),
        "an edit of the new column is caught"
    );
}
