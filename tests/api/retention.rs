//! Retention: nothing about investors, assessments, decisions, orders or callbacks can be deleted
//! through the API; the store refuses changes to append-only records; the archive export writes
//! every record with a manifest.

use std::process::Command;

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, assert_error};
use crate::on_both;
use crate::orders::place;
use crate::suitability::{investor_at, product};
use suitability::store::Db;

on_both!(nothing_can_be_deleted_and_the_archive_exports_everything);

async fn nothing_can_be_deleted_and_the_archive_exports_everything(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3F", "R3").await;
    let order = place(&app, &investor, &r3, Duration::hours(2), json!([])).await;
    let order_id = order["id"].as_str().expect("id");
    let cb = order["callbacks"][0]["id"].as_str().expect("cb");
    let (_, doc) = app.get("/openapi.json", "admin").await;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        assert!(item.get("delete").is_none(), "DELETE {path} exists");
    }
    for path in [
        format!("/v1/investors/{investor}"),
        format!("/v1/orders/{order_id}"),
        format!("/v1/callbacks/{cb}"),
        format!("/v1/products/{r3}"),
    ] {
        let got = app
            .request(Method::DELETE, &path, Some("admin"), None)
            .await;
        assert_error(
            &got,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            None,
        );
    }
    // Append-only records are guarded by the database itself.
    let refused = match &app.db {
        suitability::store::Db::Sqlite(p, _) => {
            sqlx::query("DELETE FROM decisions")
                .execute(p)
                .await
                .is_err()
                && sqlx::query("UPDATE assessments SET score = 0")
                    .execute(p)
                    .await
                    .is_err()
        }
        suitability::store::Db::Postgres(p) => {
            sqlx::query("DELETE FROM decisions")
                .execute(p)
                .await
                .is_err()
                && sqlx::query("UPDATE assessments SET score = 0")
                    .execute(p)
                    .await
                    .is_err()
        }
    };
    assert!(refused);

    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(env!("CARGO_BIN_EXE_suitability"))
        .args(["archive", "export", "--out"])
        .arg(dir.path())
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    let rows = |t: &str| {
        manifest["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .find(|x| x["table"] == t)
            .and_then(|x| x["rows"].as_u64())
    };
    // Every table of the schema is in the archive, or deliberately left out of it.
    let tables: Vec<(String,)> = match &app.db {
        Db::Sqlite(p, _) => sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(p)
        .await
        .expect("tables"),
        Db::Postgres(p) => sqlx::query_as(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .fetch_all(p)
        .await
        .expect("tables"),
    };
    for (t,) in &tables {
        assert!(
            suitability::archive::NOT_EXPORTED.contains(&t.as_str()) || rows(t).is_some(),
            "table {t} is neither archived nor excluded"
        );
    }
    assert_eq!(rows("investors"), Some(1));
    assert_eq!(rows("orders"), Some(1));
    assert_eq!(rows("decisions"), Some(1));
    assert!(rows("audit_log").unwrap_or(0) > 5);
    let investors = std::fs::read_to_string(dir.path().join("investors.jsonl")).expect("file");
    let row: Value = serde_json::from_str(investors.lines().next().expect("a row")).expect("json");
    assert_eq!(row["id"], investor.as_str());
    assert!(
        row["id_number"]
            .as_str()
            .is_some_and(|v| v.starts_with("v1:")),
        "personal data stays sealed in the archive"
    );
}
