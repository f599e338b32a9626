//! Separation of duties (issue: the callback desk, point 1): nobody in sales works a callback,
//! nobody who sold to the investor either, a review is never by the record's agent, a complaint
//! never goes to a seller, and no token carries both sales and planner. One test per refusal.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, cli};
use crate::on_both;
use crate::orders::place;
use crate::suitability::{investor_at, product};
use suitability::domain::Role;

on_both!(
    nobody_in_sales_claims_or_records_a_callback,
    a_review_is_never_by_the_agent_who_recorded,
    a_complaint_never_goes_to_a_seller_of_the_investor,
    no_token_carries_both_sales_and_planner,
);

/// A staff member with `roles` and their token (made in the store, as an older version of the
/// service, or a database administrator, could have).
async fn member(app: &TestApp, name: &str, roles: &[Role]) -> (String, String) {
    let (m, token) =
        suitability::store::staff::issue_token(&app.db, name, roles, chrono::Duration::days(1))
            .await
            .expect("token");
    (m.id, token)
}

async fn as_token(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("sent");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn confirmation(order: &Value) -> String {
    order["callbacks"]
        .as_array()
        .expect("callbacks")
        .iter()
        .find(|c| c["kind"] == "confirmation")
        .and_then(|c| c["id"].as_str())
        .expect("confirmation")
        .to_string()
}

async fn settled(app: &TestApp, code: &str) -> (String, Value) {
    let investor = investor_at(app, "C3", "1980-01-01", None).await;
    let p = product(app, code, "R3").await;
    let order = place(app, &investor, &p, Duration::hours(30), json!([])).await;
    (investor, order)
}

async fn nobody_in_sales_claims_or_records_a_callback(app: TestApp) {
    let (_, order) = settled(&app, "SOD1").await;
    let cb = confirmation(&order);
    // Sales and planner at once, and never sold to this investor: still refused.
    let (_, token) = member(&app, "both", &[Role::Sales, Role::Planner]).await;
    let got = as_token(
        &app,
        &token,
        &format!("/v1/callbacks/{cb}/claim"),
        json!({}),
    )
    .await;
    assert_eq!(got.0, StatusCode::FORBIDDEN, "{}", got.1);
    assert_eq!(got.1["error"]["code"], "separation_of_duties");
    // Claimed by a planner, then recorded by the dual member: refused before anything else.
    let (status, _) = app
        .post(&format!("/v1/callbacks/{cb}/claim"), "planner", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let body = json!({"method": "phone", "reached": false});
    let got = as_token(&app, &token, &format!("/v1/callbacks/{cb}/outcome"), body).await;
    assert_eq!(got.0, StatusCode::FORBIDDEN, "{}", got.1);
    assert_eq!(got.1["error"]["code"], "separation_of_duties");
}

async fn a_review_is_never_by_the_agent_who_recorded(app: TestApp) {
    let (_, order) = settled(&app, "SOD2").await;
    let cb = confirmation(&order);
    let (_, token) = member(
        &app,
        "agent-and-supervisor",
        &[Role::Planner, Role::Compliance],
    )
    .await;
    let got = as_token(
        &app,
        &token,
        &format!("/v1/callbacks/{cb}/claim"),
        json!({}),
    )
    .await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.1);
    let codes = crate::callbacks::checks_of(&app, &cb).await;
    let body = json!({"method": "phone", "reached": true, "recording_ref": "rec/sod2.mp3",
        "answers": crate::callbacks::answers(&codes, None)});
    let got = as_token(&app, &token, &format!("/v1/callbacks/{cb}/outcome"), body).await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.1);
    let review = json!({"verdict": "approved", "comment": "本人复核"});
    let got = as_token(
        &app,
        &token,
        &format!("/v1/callbacks/{cb}/reviews"),
        review.clone(),
    )
    .await;
    assert_eq!(got.0, StatusCode::FORBIDDEN, "{}", got.1);
    assert_eq!(got.1["error"]["code"], "separation_of_duties");
    let (status, _) = app
        .post(&format!("/v1/callbacks/{cb}/reviews"), "compliance", review)
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn a_complaint_never_goes_to_a_seller_of_the_investor(app: TestApp) {
    let (investor, order) = settled(&app, "SOD3").await;
    let body = json!({"investor_id": investor, "order_id": order["id"], "channel": "phone",
        "category": "mis_selling", "content": "客户反映销售人员承诺保本",
        "received_at": (Utc::now() - Duration::hours(1)).to_rfc3339()});
    let (status, complaint) = app.post("/v1/complaints", "compliance", body).await;
    assert_eq!(status, StatusCode::CREATED, "{complaint}");
    let path = format!(
        "/v1/complaints/{}/assign",
        complaint["id"].as_str().expect("id")
    );
    let owner = app.actor("sales").id.clone();
    let got = app
        .post(&path, "compliance", json!({"assignee_id": owner}))
        .await;
    assert_eq!(got.0, StatusCode::FORBIDDEN, "{}", got.1);
    assert_eq!(got.1["error"]["code"], "separation_of_duties");
    // Reassigned to another sales person, the investor's seller is still the one who sold.
    let new_owner = json!({"staff_id": app.actor("sales2").id});
    let (status, _) = app
        .post(
            &format!("/v1/investors/{investor}/owner"),
            "compliance",
            new_owner,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let got = app
        .post(&path, "compliance", json!({"assignee_id": owner}))
        .await;
    assert_eq!(got.1["error"]["code"], "separation_of_duties", "{}", got.1);
    let got = app
        .post(
            &path,
            "compliance",
            json!({"assignee_id": app.actor("sales2").id}),
        )
        .await;
    assert_eq!(got.1["error"]["code"], "separation_of_duties", "{}", got.1);
    let got = app
        .post(
            &path,
            "compliance",
            json!({"assignee_id": app.actor("compliance").id}),
        )
        .await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.1);
}

async fn no_token_carries_both_sales_and_planner(app: TestApp) {
    let (ok, out) = cli(
        &app.database_url,
        &[
            "token",
            "create",
            "--name",
            "双重",
            "--role",
            "sales,planner",
        ],
    );
    assert!(!ok, "{out}");
    assert!(out.contains("sales and planner"), "{out}");
    let (ok, out) = cli(
        &app.database_url,
        &[
            "token",
            "create",
            "--name",
            "回访",
            "--role",
            "planner,compliance",
        ],
    );
    assert!(ok, "{out}");
}
