//! The audit trail: every write recorded, filters, and tamper detection by `suitability audit verify`.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Backend, TestApp, assert_error, exec};
use crate::on_both;
use crate::orders::place;
use crate::suitability::{investor_at, product};

on_both!(writes_are_in_the_audit_trail_with_who_and_what);

fn verify(database_url: &str) -> (bool, String) {
    crate::common::cli(database_url, &["audit", "verify"])
}

async fn writes_are_in_the_audit_trail_with_who_and_what(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3F", "R3").await;
    let order = place(&app, &investor, &r3, Duration::hours(2), json!([])).await;
    let (status, page) = app
        .get(
            &format!("/v1/audit?entity=investor&entity_id={investor}"),
            "compliance",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().expect("items");
    let actions: Vec<&str> = items.iter().filter_map(|i| i["action"].as_str()).collect();
    assert_eq!(actions, ["investor.create", "investor.evidence"]);
    assert_eq!(items[0]["action"], "investor.create");
    assert_eq!(items[0]["actor_roles"], "sales");
    assert_eq!(items[0]["digest"].as_str().map(str::len), Some(64));
    let (_, orders) = app
        .get(
            &format!(
                "/v1/audit?entity=order&entity_id={}",
                order["id"].as_str().unwrap_or("")
            ),
            "admin",
        )
        .await;
    assert_eq!(orders["items"][0]["action"], "order.create");
    let (_, all) = app.get("/v1/audit?limit=1000", "compliance").await;
    let actions: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "token.create",
        "investor.create",
        "assessment.create",
        "product.create",
        "order.create",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let seqs: Vec<i64> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let (_, first_two) = app.get("/v1/audit?limit=2", "compliance").await;
    let after = first_two["next_after"].as_i64().expect("more");
    let (_, rest) = app
        .get(&format!("/v1/audit?after={after}&limit=1000"), "compliance")
        .await;
    assert_eq!(rest["items"][0]["seq"], after + 1);
    assert_error(
        &app.get("/v1/audit", "sales").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
}

/// Alters, removes or reorders a row directly in the database and sees `audit verify` name it.
async fn tampering_is_caught(backend: Backend) {
    // What someone with write access to the database would do first: lift the append-only guard.
    let drop_guard = match backend {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete",
        Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
    };
    for tamper in ["alter", "remove", "reorder"] {
        let app = TestApp::spawn(backend).await;
        investor_at(&app, "C3", "1980-01-01", None).await;
        product(&app, "R3F", "R3").await;
        let (ok, out) = verify(&app.database_url);
        assert!(ok && out.contains("intact"), "{out}");
        // The database itself refuses changes to the trail.
        let refused = match &app.db {
            suitability::store::Db::Sqlite(p, _) => {
                sqlx::query("UPDATE audit_log SET actor_roles = 'admin' WHERE seq = 3")
                    .execute(p)
                    .await
                    .is_err()
            }
            suitability::store::Db::Postgres(p) => {
                sqlx::query("UPDATE audit_log SET actor_roles = 'admin' WHERE seq = 3")
                    .execute(p)
                    .await
                    .is_err()
            }
        };
        assert!(refused, "the trigger refuses updates");
        for stmt in drop_guard.split("; ") {
            exec(&app, stmt).await;
        }
        match tamper {
            "alter" => {
                exec(
                    &app,
                    "UPDATE audit_log SET actor_roles = 'admin' WHERE seq = 10",
                )
                .await
            }
            "remove" => exec(&app, "DELETE FROM audit_log WHERE seq = 10").await,
            _ => {
                exec(&app, "UPDATE audit_log SET seq = -1 WHERE seq = 10").await;
                exec(&app, "UPDATE audit_log SET seq = 10 WHERE seq = 11").await;
                exec(&app, "UPDATE audit_log SET seq = 11 WHERE seq = -1").await;
            }
        }
        let (ok, out) = verify(&app.database_url);
        assert!(!ok, "{tamper}: {out}");
        assert!(out.contains("broken at entry 10"), "{tamper}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_is_caught_sqlite() {
    tampering_is_caught(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_is_caught_postgres() {
    tampering_is_caught(Backend::Postgres).await;
}
