//! Orders: decisions, requirements, cooling-off, callbacks created, idempotency, atomicity.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, assert_error};
use crate::on_both;
use crate::suitability::{investor_at, product};

on_both!(
    a_matching_order_cools_off_and_plans_its_callbacks,
    a_mismatch_needs_its_acknowledgments_and_plans_a_special_callback,
    a_rejected_order_is_422_with_the_decision,
    a_retried_order_with_the_same_key_returns_the_first_result,
    bad_orders_are_refused_and_store_nothing,
    an_additional_subscription_is_not_held_to_the_minimum,
);

async fn an_additional_subscription_is_not_held_to_the_minimum(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3F", "R3").await;
    let (_, first) = crate::suitability::check(&app, &investor, &r3, json!("500000")).await;
    assert_eq!(first["verdict"], "reject");
    assert_eq!(first["facts"]["order"]["first_purchase"], true);
    let order = place(&app, &investor, &r3, Duration::hours(25), json!([])).await;
    // While the first order may still be rescinded, a top-up is still a first purchase.
    let (_, cooling) = crate::suitability::check(&app, &investor, &r3, json!("500000")).await;
    assert_eq!(cooling["verdict"], "reject");
    let (status, _) = crate::callbacks::confirm(&app, &order, "tel/2.wav").await;
    assert_eq!(status, StatusCode::OK);
    let (_, more) = crate::suitability::check(&app, &investor, &r3, json!("500000")).await;
    assert_eq!(more["facts"]["order"]["first_purchase"], false);
    assert_eq!(more["verdict"], "match", "{more}");
}

pub fn ago(d: Duration) -> String {
    (Utc::now() - d).to_rfc3339()
}

/// An order body acknowledging `acks`, with the evidence the shipped catalogue asks for each.
pub fn order_body(investor: &str, product: &str, signed: &str, paid: &str, acks: Value) -> Value {
    let mut evidence = serde_json::Map::new();
    for ack in acks
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let items = match ack {
            "dual_recording" => json!([{"kind": "recording", "ref": "双录/test.mp4"}]),
            "mismatch_warning_signed" => json!([
                {"kind": "warning_letter", "ref": "警示函/test.pdf"},
                {"kind": "investor_confirmation", "ref": "确认书/test.pdf"}
            ]),
            _ => continue,
        };
        evidence.insert(ack.to_string(), items);
    }
    json!({"investor_id": investor, "product_id": product, "amount": "1000000", "signed_at": signed, "paid_at": paid, "acknowledgments": acks, "evidence": evidence})
}

/// Places an order signed and paid `age` ago, acknowledging `acks`.
pub async fn place(
    app: &TestApp,
    investor: &str,
    product: &str,
    age: Duration,
    acks: Value,
) -> Value {
    let t = ago(age);
    let (status, body) = app
        .post(
            "/v1/orders",
            "sales",
            order_body(investor, product, &t, &t, acks),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .expect("a time")
}

async fn count_orders(app: &TestApp, investor: &str) -> usize {
    let (_, list) = app
        .get(&format!("/v1/investors/{investor}/orders"), "sales")
        .await;
    list["items"].as_array().map(Vec::len).unwrap_or(usize::MAX)
}

async fn a_matching_order_cools_off_and_plans_its_callbacks(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3F", "R3").await;
    let signed = ago(Duration::hours(5));
    let paid = ago(Duration::hours(2));
    let (status, o) = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r3, &signed, &paid, json!([])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    assert_eq!(o["status"], "cooling_off");
    assert_eq!(o["amount"], "1000000");
    // Cooling-off runs 24 hours from the later of signing and payment.
    let ends = time(&o["cooling_off_ends_at"]);
    let expected = time(&json!(paid)) + Duration::hours(24);
    assert!(
        (ends - expected).num_milliseconds().abs() < 1,
        "{ends} vs {expected}"
    );
    assert_eq!(o["decision"]["verdict"], "match");
    assert_eq!(o["decision"]["ruleset_version"], 1);
    let cbs = o["callbacks"].as_array().expect("callbacks");
    let confirmation = cbs
        .iter()
        .find(|c| c["kind"] == "confirmation")
        .expect("confirmation");
    assert_eq!(time(&confirmation["due_from"]), ends);
    assert_eq!(time(&confirmation["due_by"]), ends + Duration::days(3));
    assert_eq!(confirmation["checks"].as_array().map(Vec::len), Some(11));
    assert!(
        confirmation["checks"][0]["question"]
            .as_str()
            .is_some_and(|q| !q.is_empty())
    );
    let periodic = cbs
        .iter()
        .find(|c| c["kind"] == "periodic")
        .expect("periodic");
    assert_eq!(periodic["reason"], "annual");
    assert!(time(&periodic["due_from"]) > ends + Duration::days(360));
    assert_eq!(cbs.len(), 2, "no special callbacks for a plain match");
    let id = o["id"].as_str().expect("id");
    let (status, got) = app.get(&format!("/v1/orders/{id}"), "compliance").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["status"], "cooling_off");
    assert_eq!(got["callbacks"].as_array().map(Vec::len), Some(2));
    assert_eq!(count_orders(&app, &investor).await, 1);
}

async fn a_mismatch_needs_its_acknowledgments_and_plans_a_special_callback(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r4 = product(&app, "R4F", "R4").await;
    let t = ago(Duration::hours(1));
    let got = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r4, &t, &t, json!(["dual_recording"])),
        )
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "requirements_missing",
        Some("acknowledgments"),
    );
    assert_eq!(
        got.1["error"]["missing"],
        json!(["mismatch_warning_signed"])
    );
    assert_eq!(got.1["error"]["decision"]["verdict"], "mismatch");
    assert_eq!(count_orders(&app, &investor).await, 0);
    let o = place(
        &app,
        &investor,
        &r4,
        Duration::hours(1),
        json!(["mismatch_warning_signed", "dual_recording"]),
    )
    .await;
    let special = o["callbacks"]
        .as_array()
        .expect("cbs")
        .iter()
        .find(|c| c["kind"] == "special")
        .cloned()
        .expect("special");
    assert_eq!(special["reason"], "mismatch");
    assert_eq!(
        time(&special["due_by"]) - time(&special["due_from"]),
        Duration::days(2)
    );
    let codes: Vec<&str> = special["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert_eq!(codes, ["mismatch_warning_understood", "mismatch_insisted"]);
    let periodic = o["callbacks"]
        .as_array()
        .expect("cbs")
        .iter()
        .find(|c| c["kind"] == "periodic")
        .cloned()
        .expect("p");
    assert_eq!(periodic["reason"], "quarterly");
}

async fn a_rejected_order_is_422_with_the_decision(app: TestApp) {
    let investor = app.individual("1980-01-01").await; // never assessed
    let r1 = product(&app, "R1F", "R1").await;
    let t = ago(Duration::hours(1));
    let got = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r1, &t, &t, json!(["reassessment"])),
        )
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "suitability_rejected",
        None,
    );
    assert_eq!(got.1["error"]["decision"]["verdict"], "reject");
    assert_eq!(
        got.1["error"]["decision"]["reasons"][0]["code"],
        "no_assessment"
    );
    assert_eq!(count_orders(&app, &investor).await, 0);
}

async fn a_retried_order_with_the_same_key_returns_the_first_result(app: TestApp) {
    let investor = investor_at(&app, "C4", "1980-01-01", None).await;
    let r3 = product(&app, "R3F", "R3").await;
    let t = ago(Duration::hours(1));
    let body = order_body(&investor, &r3, &t, &t, json!([]));
    let send = |b: Value, key: &'static str| {
        app.client
            .post(format!("{}/v1/orders", app.base))
            .bearer_auth(app.token("sales"))
            .header("Idempotency-Key", key)
            .json(&b)
            .send()
    };
    let first = send(body.clone(), "order-42").await.expect("sent");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let again = send(body.clone(), "order-42").await.expect("sent");
    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Value = again.json().await.expect("json");
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first, again);
    assert_eq!(count_orders(&app, &investor).await, 1);
    let mut other = body.clone();
    other["amount"] = json!("2000000");
    let reused = send(other, "order-42").await.expect("sent");
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let reused: Value = reused.json().await.expect("json");
    assert_eq!(reused["error"]["code"], "idempotency_key_reused");
    // Concurrent retries with one key still create one order.
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let (client, url, token, b) = (
                app.client.clone(),
                format!("{}/v1/orders", app.base),
                app.token("sales").to_string(),
                body.clone(),
            );
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .header("Idempotency-Key", "order-43")
                    .json(&b)
                    .send()
                    .await;
                r.expect("sent").json::<Value>().await.expect("json")
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for h in handles {
        let v = h.await.expect("task");
        ids.insert(v["id"].as_str().unwrap_or("?").to_string());
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(count_orders(&app, &investor).await, 2);
}

async fn bad_orders_are_refused_and_store_nothing(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3F", "R3").await;
    let t = ago(Duration::hours(1));
    let future = (Utc::now() + Duration::hours(2)).to_rfc3339();
    let cases = [
        (
            order_body(&investor, &r3, &future, &t, json!([])),
            "signed_at",
        ),
        (
            order_body(&investor, &r3, &t, &future, json!([])),
            "paid_at",
        ),
        (
            json!({"investor_id": investor, "product_id": r3, "amount": "-5", "signed_at": t, "paid_at": t}),
            "amount",
        ),
        (
            json!({"investor_id": investor, "product_id": r3, "amount": "5", "paid_at": t}),
            "signed_at",
        ),
        (
            order_body(&investor, &r3, &t, &t, json!(["Not A Code"])),
            "acknowledgments[0]",
        ),
    ];
    for (body, field) in cases {
        let got = app.post("/v1/orders", "sales", body).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    let got = app
        .post(
            "/v1/orders",
            "sales",
            order_body("nobody", &r3, &t, &t, json!([])),
        )
        .await;
    assert_error(&got, StatusCode::NOT_FOUND, "not_found", None);
    let got = app
        .post(
            "/v1/orders",
            "planner",
            order_body(&investor, &r3, &t, &t, json!([])),
        )
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "forbidden", None);
    assert_eq!(count_orders(&app, &investor).await, 0);
}

/// A failure at the last step (the callbacks) leaves no order and no decision behind.
async fn nothing_is_half_written_when_a_step_fails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3F", "R3").await;
    match &app.db {
        suitability::store::Db::Sqlite(p, _) => {
            sqlx::query("CREATE TRIGGER sabotage BEFORE INSERT ON callbacks BEGIN SELECT RAISE(ABORT, 'sabotage'); END")
                .execute(p)
                .await
                .expect("trigger");
        }
        suitability::store::Db::Postgres(p) => {
            sqlx::query("CREATE FUNCTION sabotage() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'sabotage'; END $$")
                .execute(p)
                .await
                .expect("fn");
            sqlx::query("CREATE TRIGGER sabotage BEFORE INSERT ON callbacks FOR EACH ROW EXECUTE FUNCTION sabotage()")
                .execute(p)
                .await
                .expect("trigger");
        }
    }
    let t = ago(Duration::hours(1));
    let got = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r3, &t, &t, json!([])),
        )
        .await;
    assert_error(
        &got,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        None,
    );
    assert!(
        !got.1.to_string().contains("sabotage"),
        "database messages stay out of responses"
    );
    assert_eq!(count_orders(&app, &investor).await, 0);
    let decisions: (i64,) = match &app.db {
        suitability::store::Db::Sqlite(p, _) => sqlx::query_as("SELECT COUNT(*) FROM decisions")
            .fetch_one(p)
            .await
            .expect("q"),
        suitability::store::Db::Postgres(p) => sqlx::query_as("SELECT COUNT(*) FROM decisions")
            .fetch_one(p)
            .await
            .expect("q"),
    };
    assert_eq!(decisions.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_half_written_when_a_step_fails_sqlite() {
    nothing_is_half_written_when_a_step_fails(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_half_written_when_a_step_fails_postgres() {
    nothing_is_half_written_when_a_step_fails(Backend::Postgres).await;
}
