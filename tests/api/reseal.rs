//! A migration that adds a column changes every existing row's digest; a start (or `suitability
//! audit reseal`) re-seals the rows that still matched their latest audit entry, and only those:
//! a row edited behind the service's back before the change stays flagged.
//!
//! After the schema change everything runs in the binary, never in this process: the SQLite row
//! expression is read once per process, and other tests' databases share it.

use crate::common::{TestApp, cli, exec};
use crate::on_both;
use crate::suitability::{investor_at, product};

on_both!(a_schema_change_reseals_rows_that_matched_and_only_those);

/// The rows `audit verify --rows` names, as "entity id" lines.
fn flagged(app: &TestApp) -> Vec<String> {
    let (_, out) = cli(&app.database_url, &["audit", "verify", "--rows"]);
    let mut rows: Vec<String> = out
        .lines()
        .filter_map(|l| l.strip_prefix("row "))
        .filter_map(|l| l.split(':').next())
        .map(String::from)
        .collect();
    rows.sort();
    rows
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
    assert_eq!(flagged(&app), Vec::<String>::new());
    let (ok, out) = cli(&app.database_url, &["audit", "reseal"]);
    assert!(ok && out.contains("no table changed"), "{out}");

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
    let before = flagged(&app);
    for row in [format!("order {order}"), format!("product {kept}")] {
        assert!(
            before.contains(&row),
            "the added column flags {row}: {before:?}"
        );
    }

    let (ok, out) = cli(&app.database_url, &["audit", "reseal"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("products: columns added note; 1 rows re-sealed, 1 left as they were"),
        "{out}"
    );
    assert!(
        out.contains("orders: columns added channel; 1 rows re-sealed, 0 left as they were"),
        "{out}"
    );
    assert!(!out.contains("investors:"), "{out}");
    // Only the edited row is still flagged; the chain, with its re-seal entries, verifies.
    assert_eq!(flagged(&app), vec![format!("product {edited}")]);
    let (ok, out) = cli(&app.database_url, &["audit", "verify"]);
    assert!(ok, "{out}");
    // Once is enough.
    let (ok, out) = cli(&app.database_url, &["audit", "reseal"]);
    assert!(ok && out.contains("no table changed"), "{out}");
    // An edit of the new column is caught from then on.
    exec(
        &app,
        &format!("UPDATE products SET note = 'x' WHERE id = '{kept}'"),
    )
    .await;
    let mut expected = vec![format!("product {edited}"), format!("product {kept}")];
    expected.sort();
    assert_eq!(flagged(&app), expected);
}
