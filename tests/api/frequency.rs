//! Frequencies follow the facts (issue: the callback desk, point 3): a re-rating, a complaint
//! opened and resolved, a level change and a rule-set activation each re-plan the holding's next
//! periodic callback, sooner for a higher frequency and later for a lower one, with an audit
//! entry.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both;
use crate::orders::place;
use crate::suitability::{investor_at, product};

on_both!(
    rerating_and_complaints_replan_the_next_periodic_callback,
    an_activation_replans_frequencies,
);

/// The order's periodic callback still to do: (id, frequency, due_from).
async fn next_periodic(app: &TestApp, order: &str) -> (String, String, DateTime<Utc>) {
    let (_, o) = app.get(&format!("/v1/orders/{order}"), "sales").await;
    let open: Vec<&Value> = o["callbacks"]
        .as_array()
        .expect("callbacks")
        .iter()
        .filter(|c| c["kind"] == "periodic" && c["status"] == "open")
        .collect();
    assert_eq!(open.len(), 1, "one periodic callback to do: {o}");
    let due = DateTime::parse_from_rfc3339(open[0]["due_from"].as_str().expect("due"))
        .expect("time")
        .with_timezone(&Utc);
    (
        open[0]["id"].as_str().expect("id").to_string(),
        open[0]["reason"].as_str().expect("reason").to_string(),
        due,
    )
}

fn days_from_now(t: DateTime<Utc>) -> i64 {
    (t - Utc::now()).num_days()
}

async fn rerating_and_complaints_replan_the_next_periodic_callback(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let code = format!("F{}", uuid::Uuid::now_v7().simple());
    let fund = product(&app, &code, "R3").await;
    let order = place(&app, &investor, &fund, Duration::hours(25), json!([])).await;
    let order = order["id"].as_str().expect("id").to_string();
    let (id, freq, due) = next_periodic(&app, &order).await;
    assert_eq!(freq, "annual");
    assert!(days_from_now(due) > 300, "a year away: {due}");

    // R3 → R5: a mismatch now, called back quarterly from the end of cooling-off.
    let (status, _) = app
        .request(
            Method::PATCH,
            &format!("/v1/products/{fund}"),
            Some("risk"),
            Some(&json!({"risk_rating": "R5"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (same, freq, due) = next_periodic(&app, &order).await;
    assert_eq!((same.as_str(), freq.as_str()), (id.as_str(), "quarterly"));
    assert!((80..=95).contains(&days_from_now(due)), "{due}");

    // A complaint: monthly, a month after cooling-off.
    let body = json!({"investor_id": investor, "channel": "phone", "category": "mis_selling",
        "content": "客户反映销售人员承诺保本", "received_at": (Utc::now() - Duration::hours(1)).to_rfc3339()});
    let (status, complaint) = app.post("/v1/complaints", "sales", body).await;
    assert_eq!(status, StatusCode::CREATED, "{complaint}");
    let (_, freq, due) = next_periodic(&app, &order).await;
    assert_eq!(freq, "monthly");
    assert!((25..=31).contains(&days_from_now(due)), "{due}");

    // Resolved: quarterly again, later.
    let cid = complaint["id"].as_str().expect("id");
    let assignee = app.actor("compliance").id.clone();
    let (status, _) = app
        .post(
            &format!("/v1/complaints/{cid}/assign"),
            "compliance",
            json!({"assignee_id": assignee}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, resolved) = app
        .post(
            &format!("/v1/complaints/{cid}/resolve"),
            "compliance",
            json!({"resolution": "已核实并处理"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    let (_, freq, due) = next_periodic(&app, &order).await;
    assert_eq!(freq, "quarterly");
    assert!((80..=95).contains(&days_from_now(due)), "{due}");

    // Each change is on the trail.
    let (_, trail) = app
        .get(
            &format!("/v1/audit?entity=callback&entity_id={id}"),
            "compliance",
        )
        .await;
    // (The trail keeps a digest of each change; who made it shows.)
    let replans: Vec<&str> = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "callback.replan")
        .filter_map(|e| e["actor_roles"].as_str())
        .collect();
    assert_eq!(replans, ["risk", "sales", "compliance"], "{trail}");
}

async fn an_activation_replans_frequencies(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let body = json!({"code": "PEQ", "name": "股权一号", "kind": "private_equity", "risk_rating": "R3",
        "min_subscription": 1000000});
    let (status, pe) = app.post("/v1/products", "risk", body).await;
    assert_eq!(status, StatusCode::CREATED, "{pe}");
    let pe = pe["id"].as_str().expect("id").to_string();
    let order = place(&app, &investor, &pe, Duration::hours(25), json!([])).await;
    let order = order["id"].as_str().expect("id").to_string();
    assert_eq!(next_periodic(&app, &order).await.1, "annual");
    let mut files = crate::rulesets::shipped_files();
    files.insert(
        "65-private-equity.rhai".into(),
        "// Private equity is called back every quarter.\nif product.kind == \"private_equity\" {\n    decision.periodic(\"quarterly\");\n}\n".into(),
    );
    files.insert(
        "tests/private-equity.toml".into(),
        "[[case]]\nname = \"private equity quarterly\"\nproduct = { kind = \"private_equity\" }\n[case.expect]\nperiodic = \"quarterly\"\n".into(),
    );
    let (status, created) = app
        .post(
            "/v1/rulesets",
            "risk",
            json!({"files": files, "note": "pe quarterly"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let v = created["version"].as_i64().expect("version");
    let (status, _) = app
        .post(&format!("/v1/rulesets/{v}/activate"), "risk2", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let started = Instant::now();
    loop {
        let (_, jobs) = app.get(&format!("/v1/rulesets/{v}/jobs"), "risk").await;
        if jobs["items"][0]["status"] != "running" {
            assert_eq!(jobs["items"][0]["status"], "done", "{jobs}");
            break;
        }
        assert!(started.elapsed() < StdDuration::from_secs(20), "{jobs}");
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let (_, freq, due) = next_periodic(&app, &order).await;
    assert_eq!(freq, "quarterly");
    assert!((80..=95).contains(&days_from_now(due)), "{due}");
}
