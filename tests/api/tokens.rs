//! Staff and tokens: admin lists and disables staff, lists and revokes tokens (never shown);
//! revoked, expired, disabled and deleted tokens get 401 within a second.

use std::time::Duration as StdDuration;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{TestApp, assert_error};
use crate::on_both;

on_both!(
    admin_lists_staff_and_tokens_without_the_tokens,
    revoked_disabled_expired_and_deleted_tokens_stop_within_a_second,
);

async fn admin_lists_staff_and_tokens_without_the_tokens(app: TestApp) {
    let (status, staff) = app.get("/v1/staff", "admin").await;
    assert_eq!(status, StatusCode::OK, "{staff}");
    let sales = staff["items"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == "sales"))
        .cloned();
    let sales = sales.expect("sales listed");
    assert_eq!(
        (sales["roles"].clone(), sales["disabled"].clone()),
        (json!(["sales"]), json!(false))
    );
    assert_error(
        &app.get("/v1/staff", "compliance").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    let (_, tokens) = app.get("/v1/tokens", "admin").await;
    let text = tokens.to_string();
    for who in ["sales", "admin", "risk"] {
        assert!(!text.contains(&app.token(who)[4..]), "a token is shown");
    }
    let first = &tokens["items"][0];
    for field in ["id", "staff_id", "staff_name", "created_at", "expires_at"] {
        assert!(first[field].is_string(), "{field}: {first}");
    }
    assert!(first.get("token_hash").is_none() && first.get("token").is_none());
}

async fn status_of(app: &TestApp, who: &str) -> StatusCode {
    app.get("/v1/products", who).await.0
}

async fn token_id_of(app: &TestApp, name: &str) -> String {
    let (_, tokens) = app.get("/v1/tokens", "admin").await;
    tokens["items"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["staff_name"] == name))
        .and_then(|t| t["id"].as_str())
        .expect("token listed")
        .to_string()
}

async fn revoked_disabled_expired_and_deleted_tokens_stop_within_a_second(app: TestApp) {
    // Each is used once first, so a cached entry exists when it changes.
    for who in ["sales2", "planner2", "risk2"] {
        assert_eq!(status_of(&app, who).await, StatusCode::OK);
    }
    let id = token_id_of(&app, "sales2").await;
    let (status, _) = app
        .post(&format!("/v1/tokens/{id}/revoke"), "admin", json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let planner2 = app.actor("planner2").id.clone();
    let (status, disabled) = app
        .post(&format!("/v1/staff/{planner2}/disable"), "admin", json!({}))
        .await;
    assert_eq!(
        (status, disabled["disabled"].clone()),
        (StatusCode::OK, json!(true))
    );
    let risk2 = token_id_of(&app, "risk2").await;
    match &app.db {
        suitability::store::Db::Sqlite(p, _) => {
            sqlx::query("DELETE FROM tokens WHERE id = $1")
                .bind(&risk2)
                .execute(p)
                .await
                .expect("delete");
        }
        suitability::store::Db::Postgres(p) => {
            sqlx::query("DELETE FROM tokens WHERE id = $1")
                .bind(&risk2)
                .execute(p)
                .await
                .expect("delete");
        }
    }
    tokio::time::sleep(StdDuration::from_millis(1100)).await;
    for who in ["sales2", "planner2", "risk2"] {
        assert_eq!(
            status_of(&app, who).await,
            StatusCode::UNAUTHORIZED,
            "{who}"
        );
    }
    assert_eq!(status_of(&app, "sales").await, StatusCode::OK);
    let admin = app.actor("admin").id.clone();
    let got = app
        .post(&format!("/v1/staff/{admin}/disable"), "admin", json!({}))
        .await;
    assert_error(&got, StatusCode::CONFLICT, "cannot_disable_self", None);
    // A token issued already expired never works.
    let (_, expired) = suitability::store::staff::issue_token(
        &app.db,
        "late",
        &[suitability::domain::Role::Sales],
        chrono::Duration::seconds(-1),
    )
    .await
    .expect("token");
    let resp = app
        .client
        .get(format!("{}/v1/products", app.base))
        .bearer_auth(&expired)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
