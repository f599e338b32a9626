//! The callback workflow: claims (also concurrent), outcomes, cooling-off, escalations, reviews,
//! periodic rescheduling, re-planning events and the planners' exports.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::common::{TestApp, assert_error};
use crate::on_both;
use crate::orders::place;
use crate::suitability::{investor_at, product};

on_both!(
    a_reached_outcome_needs_its_record,
    planners_plan_manual_callbacks,
    my_queue_and_the_desk_summary,
    only_the_assignee_sees_how_to_reach_the_investor,
    a_confirmed_callback_confirms_the_order,
    a_denied_check_rescinds_the_order_and_escalates,
    attempts_are_spaced,
    no_outcome_before_cooling_off_ends,
    claims_respect_holders_and_separation_of_duties,
    concurrent_claims_have_one_winner,
    outcomes_must_answer_every_check,
    a_completed_periodic_callback_schedules_the_next,
    compliance_reviews_and_resolves,
    the_list_filters_and_masks,
    the_plan_and_report_export,
    re_rating_a_product_calls_back_holders_now_mismatched,
    a_lowered_level_calls_back_every_holding,
);

/// An order on a fresh C3 investor and R3 product, cooling-off over; returns (investor, order).
pub async fn settled_order(app: &TestApp) -> (String, Value) {
    let investor = investor_at(app, "C3", "1980-01-01", None).await;
    let r3 = product(app, &format!("P{}", uuid::Uuid::now_v7().simple()), "R3").await;
    let o = place(app, &investor, &r3, Duration::hours(25), json!([])).await;
    (investor, o)
}

pub fn callback_of(order: &Value, kind: &str) -> String {
    order["callbacks"]
        .as_array()
        .expect("cbs")
        .iter()
        .find(|c| c["kind"] == kind)
        .and_then(|c| c["id"].as_str())
        .expect("callback")
        .to_string()
}

pub async fn checks_of(app: &TestApp, callback: &str) -> Vec<String> {
    let (_, cb) = app
        .get(&format!("/v1/callbacks/{callback}"), "compliance")
        .await;
    cb["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["code"].as_str().map(str::to_string))
        .collect()
}

pub fn answers(codes: &[String], deny: Option<&str>) -> Value {
    let mut m = Map::new();
    for c in codes {
        m.insert(c.clone(), json!(Some(c.as_str()) != deny));
    }
    Value::Object(m)
}

pub async fn claim(app: &TestApp, callback: &str, who: &str) -> (StatusCode, Value) {
    app.post(&format!("/v1/callbacks/{callback}/claim"), who, json!({}))
        .await
}

/// Records an outcome; a reached one without `recording_ref` gets one (the refusal without it
/// is tested on its own, in `a_reached_outcome_needs_its_record`).
pub async fn outcome(
    app: &TestApp,
    callback: &str,
    who: &str,
    mut body: Value,
) -> (StatusCode, Value) {
    if body["reached"] == true && body.get("recording_ref").is_none() {
        body["recording_ref"] = json!("录音/2026/默认.wav");
    }
    app.post(&format!("/v1/callbacks/{callback}/outcome"), who, body)
        .await
}

async fn a_reached_outcome_needs_its_record(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    claim(&app, &cb, "planner").await;
    let codes = checks_of(&app, &cb).await;
    let path = format!("/v1/callbacks/{cb}/outcome");
    for (method, reference) in [
        ("phone", Value::Null),
        ("video", json!(" ")),
        ("letter", Value::Null),
        ("email", Value::Null),
    ] {
        let body = json!({"method": method, "reached": true, "answers": answers(&codes, None), "recording_ref": reference});
        let got = app.post(&path, "planner", body).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("recording_ref"),
        );
    }
    assert_eq!(order_status(&app, &order).await, "cooling_off");
    // An attempt that reached nobody has nothing to record.
    let body = json!({"method": "phone", "reached": false});
    assert_eq!(app.post(&path, "planner", body).await.0, StatusCode::OK);
    let body = json!({"method": "letter", "reached": true, "answers": answers(&codes, None), "recording_ref": "函件/2026/0042"});
    let (status, out) = app.post(&path, "planner", body).await;
    assert_eq!(status, StatusCode::OK, "{out}");
}

async fn order_status(app: &TestApp, order: &Value) -> String {
    let (_, o) = app
        .get(
            &format!("/v1/orders/{}", order["id"].as_str().unwrap_or("")),
            "sales",
        )
        .await;
    o["status"].as_str().unwrap_or("").to_string()
}

async fn a_confirmed_callback_confirms_the_order(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    let (status, claimed) = claim(&app, &cb, "planner").await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["assignee"]["name"], "planner");
    let codes = checks_of(&app, &cb).await;
    let (status, out) = outcome(&app, &cb, "planner", json!({"method": "phone", "reached": true, "answers": answers(&codes, None), "notes": "已确认", "recording_ref": "rec/2026/1.mp3"})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["callback"]["status"], "completed");
    assert_eq!(out["order_status"], "confirmed");
    assert_eq!(out["escalation"], Value::Null);
    assert_eq!(order_status(&app, &order).await, "confirmed");
    let again = outcome(
        &app,
        &cb,
        "planner",
        json!({"method": "phone", "reached": true, "answers": answers(&codes, None)}),
    )
    .await;
    assert_error(&again, StatusCode::CONFLICT, "callback_closed", None);
}

async fn a_denied_check_rescinds_the_order_and_escalates(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    claim(&app, &cb, "planner").await;
    let codes = checks_of(&app, &cb).await;
    let (status, out) = outcome(&app, &cb, "planner", json!({"method": "phone", "reached": true, "answers": answers(&codes, Some("loss_possibility_known"))})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["callback"]["status"], "failed");
    assert_eq!(out["order_status"], "rescinded");
    assert_eq!(out["escalation"]["reason"], "failed_checks");
    assert_eq!(
        out["escalation"]["failed_checks"],
        json!(["loss_possibility_known"])
    );
    assert_eq!(order_status(&app, &order).await, "rescinded");
    // The order's other callbacks are cancelled: nobody calls back on a void order.
    let periodic = callback_of(&order, "periodic");
    // (Read by compliance: a planner sees only the callbacks they work.)
    let (_, p) = app
        .get(&format!("/v1/callbacks/{periodic}"), "compliance")
        .await;
    assert_eq!(p["status"], "cancelled");
    let (_, open) = app.get("/v1/escalations", "compliance").await;
    assert_eq!(open["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(open["items"][0]["order_id"], order["id"]);
}

/// Three unreached attempts, spaced and on two days by default: here with no gap and one day,
/// since a test cannot wait hours (the spacing is tested in `attempts_are_spaced`).
async fn three_unreached_attempts_escalate(backend: crate::common::Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.policy.callbacks.attempt_gap_minutes = 0;
        c.policy.callbacks.attempt_min_days = 1;
    })
    .await;
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    claim(&app, &cb, "planner").await;
    for attempt in 1..=3 {
        let (status, out) = outcome(
            &app,
            &cb,
            "planner",
            json!({"method": "phone", "reached": false, "notes": "无人接听"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{out}");
        assert_eq!(out["callback"]["attempts"], attempt);
        if attempt < 3 {
            assert_eq!(out["callback"]["status"], "open");
            assert_eq!(out["escalation"], Value::Null);
        } else {
            assert_eq!(out["callback"]["status"], "escalated");
            assert_eq!(out["escalation"]["reason"], "unreachable");
        }
    }
    assert_eq!(
        order_status(&app, &order).await,
        "rescinded",
        "an impossible confirmation voids the order (refund due)"
    );
    let (_, open) = app.get("/v1/escalations", "compliance").await;
    assert_eq!(open["items"][0]["reason"], "unreachable");
}

async fn no_outcome_before_cooling_off_ends(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3F", "R3").await;
    // Signed and paid 24 h minus 2 s ago: cooling-off ends in 2 seconds.
    let early = place(
        &app,
        &investor,
        &r3,
        Duration::hours(24) - Duration::seconds(2),
        json!([]),
    )
    .await;
    let cb = callback_of(&early, "confirmation");
    claim(&app, &cb, "planner").await;
    let codes = checks_of(&app, &cb).await;
    let body = json!({"method": "phone", "reached": true, "answers": answers(&codes, None)});
    let got = outcome(&app, &cb, "planner", body.clone()).await;
    assert_error(&got, StatusCode::CONFLICT, "cooling_off_not_over", None);
    let got = outcome(
        &app,
        &cb,
        "planner",
        json!({"method": "phone", "reached": false}),
    )
    .await;
    assert_error(&got, StatusCode::CONFLICT, "cooling_off_not_over", None);
    // An order whose own cooling-off is over waits while another of the investor's cools off:
    // its callbacks move to the end of that window, and no outcome is taken before.
    let late = place(
        &app,
        &investor,
        &r3,
        Duration::hours(24) + Duration::seconds(1),
        json!([]),
    )
    .await;
    let cb = callback_of(&late, "confirmation");
    let (_, detail) = app.get(&format!("/v1/callbacks/{cb}"), "planner").await;
    assert_eq!(detail["due_from"], early["cooling_off_ends_at"], "{detail}");
    claim(&app, &cb, "planner").await;
    let got = outcome(&app, &cb, "planner", body.clone()).await;
    assert_error(&got, StatusCode::CONFLICT, "cooling_off_not_over", None);
    // One second after its cooling-off ended, for an investor with no other window open: accepted.
    let other = investor_at(&app, "C3", "1980-01-01", None).await;
    let late = place(
        &app,
        &other,
        &r3,
        Duration::hours(24) + Duration::seconds(1),
        json!([]),
    )
    .await;
    let cb = callback_of(&late, "confirmation");
    claim(&app, &cb, "planner").await;
    let (status, out) = outcome(&app, &cb, "planner", body).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["order_status"], "confirmed");
}

async fn claims_respect_holders_and_separation_of_duties(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    let got = outcome(
        &app,
        &cb,
        "planner",
        json!({"method": "phone", "reached": false}),
    )
    .await;
    assert_error(&got, StatusCode::CONFLICT, "not_claimed", None);
    assert_eq!(claim(&app, &cb, "planner").await.0, StatusCode::OK);
    assert_eq!(
        claim(&app, &cb, "planner").await.0,
        StatusCode::OK,
        "claiming again is harmless"
    );
    assert_error(
        &claim(&app, &cb, "planner2").await,
        StatusCode::CONFLICT,
        "already_claimed",
        None,
    );
    let got = outcome(
        &app,
        &cb,
        "planner2",
        json!({"method": "phone", "reached": false}),
    )
    .await;
    assert_error(&got, StatusCode::FORBIDDEN, "not_assignee", None);
    // A planner who also sells, and sold to this investor, may not call them back.
    let (_, dual) = suitability::store::staff::issue_token(
        &app.db,
        "sells-and-plans",
        &[
            suitability::domain::Role::Sales,
            suitability::domain::Role::Planner,
        ],
        Duration::days(1),
    )
    .await
    .expect("token");
    let investor = app
        .client
        .post(format!("{}/v1/investors", app.base))
        .bearer_auth(&dual)
        .json(&json!({"kind": "individual", "name": "王五", "id_number": crate::common::resident_id("1970-01-01"), "birth_date": "1970-01-01", "financial_assets": 5000000, "evidence": crate::common::proofs()}))
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .expect("json");
    let qs = crate::assessments::options_for(&app, "individual", "1970-01-01").await;
    let id = investor["id"].as_str().expect("id");
    // The dual-role member owns the investor, so they assess and sell.
    let as_dual = |path: String, body: Value| {
        app.client
            .post(format!("{}{path}", app.base))
            .bearer_auth(&dual)
            .json(&body)
            .send()
    };
    let a = as_dual(format!("/v1/investors/{id}/assessments"), json!({"questionnaire_id": "individual", "answers": crate::assessments::answers_scoring(&qs, 45)})).await.expect("sent");
    assert_eq!(a.status(), StatusCode::CREATED);
    let r3 = product(&app, "R3SOD", "R3").await;
    // Signed now: the dual-role member assessed the investor just now (an order cannot rest on
    // an assessment taken after it was signed).
    let t = crate::orders::ago(Duration::zero());
    let o: Value = as_dual(
        "/v1/orders".into(),
        crate::orders::order_body(id, &r3, &t, &t, json!([])),
    )
    .await
    .expect("sent")
    .json()
    .await
    .expect("json");
    let cb = callback_of(&o, "confirmation");
    let resp = app
        .client
        .post(format!("{}/v1/callbacks/{cb}/claim", app.base))
        .bearer_auth(&dual)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "separation_of_duties");
    assert_error(
        &claim(&app, "nothing", "planner").await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
}

async fn concurrent_claims_have_one_winner(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    let mut tokens = Vec::new();
    for i in 0..8 {
        let (_, t) = suitability::store::staff::issue_token(
            &app.db,
            &format!("racer{i}"),
            &[suitability::domain::Role::Planner],
            Duration::days(1),
        )
        .await
        .expect("token");
        tokens.push(t);
    }
    let handles: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            let (client, url) = (
                app.client.clone(),
                format!("{}/v1/callbacks/{cb}/claim", app.base),
            );
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(t)
                    .send()
                    .await
                    .expect("sent")
                    .status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.expect("task"));
    }
    let winners = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let losers = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((winners, losers), (1, 7), "{statuses:?}");
    let (_, got) = app.get(&format!("/v1/callbacks/{cb}"), "compliance").await;
    assert!(
        got["assignee"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("racer"))
    );
}

async fn outcomes_must_answer_every_check(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    claim(&app, &cb, "planner").await;
    let codes = checks_of(&app, &cb).await;
    let mut partial = answers(&codes, None);
    partial
        .as_object_mut()
        .expect("map")
        .remove("identity_confirmed");
    let mut extra = answers(&codes, None);
    extra["made_up"] = json!(true);
    let cases = [
        (
            json!({"method": "phone", "reached": true, "answers": partial}),
            "answers.identity_confirmed",
        ),
        (
            json!({"method": "phone", "reached": true, "answers": extra}),
            "answers.made_up",
        ),
        (
            json!({"method": "pigeon", "reached": true, "answers": answers(&codes, None)}),
            "method",
        ),
    ];
    for (body, field) in cases {
        let got = outcome(&app, &cb, "planner", body).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    let (_, detail) = app.get(&format!("/v1/callbacks/{cb}"), "planner").await;
    assert_eq!(detail["status"], "open");
    assert_eq!(detail["outcomes"], json!([]));
}

async fn a_completed_periodic_callback_schedules_the_next(app: TestApp) {
    let investor = investor_at(&app, "C5", "1980-01-01", None).await;
    let r5 = product(&app, "R5F", "R5").await;
    // Bought four months ago: the first quarterly callback is due.
    let o = place(
        &app,
        &investor,
        &r5,
        Duration::days(122),
        json!(["dual_recording"]),
    )
    .await;
    let periodic = callback_of(&o, "periodic");
    claim(&app, &periodic, "planner").await;
    let codes = checks_of(&app, &periodic).await;
    assert!(
        codes.contains(&"risk_tolerance_matches".to_string()),
        "{codes:?}"
    );
    let (status, out) = outcome(
        &app,
        &periodic,
        "planner",
        json!({"method": "video", "reached": true, "answers": answers(&codes, None)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["callback"]["status"], "completed");
    let next = &out["next"];
    assert_eq!(next["kind"], "periodic");
    assert_eq!(next["reason"], "quarterly");
    assert_eq!(next["status"], "open");
    let due = chrono::DateTime::parse_from_rfc3339(next["due_from"].as_str().expect("due"))
        .expect("time");
    let days = (due.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
    assert!((88..=92).contains(&days), "{days}");
}

async fn compliance_reviews_and_resolves(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    claim(&app, &cb, "planner").await;
    let codes = checks_of(&app, &cb).await;
    let (_, out) = outcome(&app, &cb, "planner", json!({"method": "phone", "reached": true, "answers": answers(&codes, Some("no_return_promised"))})).await;
    let (status, review) = app
        .post(
            &format!("/v1/callbacks/{cb}/reviews"),
            "compliance",
            json!({"verdict": "approved", "comment": "已复核录音，销售人员承诺收益属实"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{review}");
    let got = app
        .post(
            &format!("/v1/callbacks/{cb}/reviews"),
            "planner",
            json!({"verdict": "approved", "comment": "x"}),
        )
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "forbidden", None);
    let got = app
        .post(
            &format!("/v1/callbacks/{cb}/reviews"),
            "compliance",
            json!({"verdict": "approved", "comment": "  "}),
        )
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("comment"),
    );
    let (_, detail) = app.get(&format!("/v1/callbacks/{cb}"), "compliance").await;
    assert_eq!(detail["reviews"].as_array().map(Vec::len), Some(1));
    assert_eq!(detail["outcomes"][0]["result"], "failed");
    let esc = out["escalation"]["id"].as_str().expect("escalation");
    let (status, resolved) = app
        .post(
            &format!("/v1/escalations/{esc}/resolve"),
            "compliance",
            json!({"note": "已退款并处理销售人员"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["resolution_note"], "已退款并处理销售人员");
    let again = app
        .post(
            &format!("/v1/escalations/{esc}/resolve"),
            "compliance",
            json!({"note": "again"}),
        )
        .await;
    assert_error(&again, StatusCode::CONFLICT, "already_resolved", None);
    let (_, open) = app.get("/v1/escalations", "compliance").await;
    assert_eq!(open["items"], json!([]));
    let (_, all) = app
        .get("/v1/escalations?include_resolved=true", "compliance")
        .await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(1));
    assert_error(
        &app.get("/v1/escalations", "planner").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
}

async fn the_list_filters_and_masks(app: TestApp) {
    settled_order(&app).await;
    settled_order(&app).await;
    let (status, all) = app.get("/v1/callbacks", "planner").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["items"].as_array().map(Vec::len), Some(4));
    let item = &all["items"][0];
    assert_eq!(item["investor"]["phone"], "138****8000");
    assert!(item["product"]["code"].is_string() && item["checks"][0]["question"].is_string());
    let (_, confirmations) = app
        .get("/v1/callbacks?kind=confirmation&status=open", "planner")
        .await;
    assert_eq!(confirmations["items"].as_array().map(Vec::len), Some(2));
    let now = chrono::Utc::now().to_rfc3339().replace('+', "%2B");
    let (_, due) = app
        .get(&format!("/v1/callbacks?due_before={now}"), "planner")
        .await;
    assert_eq!(
        due["items"].as_array().map(Vec::len),
        Some(2),
        "only the confirmations are due now"
    );
    let (_, page) = app.get("/v1/callbacks?limit=3", "planner").await;
    let after = page["next_after"].as_str().expect("more");
    let (_, rest) = app
        .get(&format!("/v1/callbacks?limit=3&after={after}"), "planner")
        .await;
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
    assert_error(
        &app.get("/v1/callbacks?kind=weekly", "planner").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("kind"),
    );
    assert_error(
        &app.get("/v1/callbacks", "sales").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
}

async fn the_plan_and_report_export(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let resp = app
        .client
        .get(format!("{}/v1/callbacks/plan?format=csv", app.base))
        .bearer_auth(app.token("planner"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let text = resp.text().await.expect("text");
    let header = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("");
    for col in [
        "序号",
        "客户名称",
        "回访方式",
        "回访目的",
        "回访主题",
        "计划时间",
        "首次/常规",
        "回访事项",
    ] {
        assert!(header.contains(col), "{header}");
    }
    assert!(
        text.contains("投资冷静期后回访确认")
            && text.contains("首次")
            && text.contains("测试投资者"),
        "{text}"
    );
    let resp = app
        .client
        .get(format!("{}/v1/callbacks/plan?format=xlsx", app.base))
        .bearer_auth(app.token("planner"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("bytes");
    assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip archive");
    // One failed confirmation, then the report of the last day.
    let cb = callback_of(&order, "confirmation");
    claim(&app, &cb, "planner").await;
    let codes = checks_of(&app, &cb).await;
    outcome(&app, &cb, "planner", json!({"method": "phone", "reached": true, "answers": answers(&codes, Some("fees_as_agreed"))})).await;
    let (status, report) = app.get("/v1/callbacks/report", "compliance").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["outcomes"], 1);
    assert_eq!(report["by_kind"]["confirmation"], 1);
    assert_eq!(report["by_method"]["phone"], 1);
    assert_eq!(report["by_result"]["failed"], 1);
    assert_eq!(report["failed_checks"]["fees_as_agreed"], 1);
    assert_eq!(report["escalations_opened"], 1);
    assert_error(
        &app.get("/v1/callbacks/plan?format=pdf", "planner").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("format"),
    );
}

async fn re_rating_a_product_calls_back_holders_now_mismatched(app: TestApp) {
    let c3 = investor_at(&app, "C3", "1980-01-01", None).await;
    let c5 = investor_at(&app, "C5", "1980-01-01", None).await;
    let p = product(&app, "RERATE", "R3").await;
    place(&app, &c3, &p, Duration::hours(30), json!([])).await;
    place(&app, &c5, &p, Duration::hours(30), json!([])).await;
    let (status, _) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/v1/products/{p}"),
            Some("risk"),
            Some(&json!({"risk_rating": "R4"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, specials) = app.get("/v1/callbacks?kind=special", "planner").await;
    let items = specials["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        1,
        "only the C3 holder is now above tolerance: {specials}"
    );
    assert_eq!(items[0]["reason"], "product_rerated");
    assert_eq!(items[0]["investor"]["id"], c3.as_str());
    let codes: Vec<&str> = items[0]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert!(codes.contains(&"rerating_informed"));
    // Lowering a rating calls nobody.
    app.request(
        reqwest::Method::PATCH,
        &format!("/v1/products/{p}"),
        Some("risk"),
        Some(&json!({"risk_rating": "R2"})),
    )
    .await;
    let (_, specials) = app.get("/v1/callbacks?kind=special", "planner").await;
    assert_eq!(specials["items"].as_array().map(Vec::len), Some(1));
}

async fn a_lowered_level_calls_back_every_holding(app: TestApp) {
    let investor = investor_at(&app, "C4", "1980-01-01", None).await;
    let a = product(&app, "HOLD-A", "R2").await;
    let b = product(&app, "HOLD-B", "R3").await;
    place(&app, &investor, &a, Duration::hours(30), json!([])).await;
    place(&app, &investor, &b, Duration::hours(30), json!([])).await;
    let qs = crate::assessments::options(&app, "individual").await;
    let path = format!("/v1/investors/{investor}/assessments");
    // Re-assessed at the same level: nothing happens.
    app.post(&path, "sales", json!({"questionnaire_id": "individual", "answers": crate::assessments::answers_scoring(&qs, 70)})).await;
    let (_, specials) = app.get("/v1/callbacks?kind=special", "planner").await;
    assert_eq!(specials["items"], json!([]));
    // Lowered to C2: both holdings are called back within 30 days.
    let (status, _) = app.post(&path, "sales", json!({"questionnaire_id": "individual", "answers": crate::assessments::answers_scoring(&qs, 30)})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, specials) = app.get("/v1/callbacks?kind=special", "planner").await;
    let items = specials["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{specials}");
    for item in items {
        assert_eq!(item["reason"], "level_lowered");
        let from = chrono::DateTime::parse_from_rfc3339(item["due_from"].as_str().unwrap_or(""))
            .expect("t");
        let by =
            chrono::DateTime::parse_from_rfc3339(item["due_by"].as_str().unwrap_or("")).expect("t");
        assert_eq!((by - from).num_days(), 30);
    }
}

/// Claims an order's confirmation callback as `planner` and confirms every check; returns the
/// outcome's status and body.
pub async fn confirm(app: &TestApp, order: &Value, recording_ref: &str) -> (StatusCode, Value) {
    let cb = callback_of(order, "confirmation");
    claim(app, &cb, "planner").await;
    let codes = checks_of(app, &cb).await;
    outcome(app, &cb, "planner", json!({"method": "phone", "reached": true, "answers": answers(&codes, None), "recording_ref": recording_ref})).await
}

async fn only_the_assignee_sees_how_to_reach_the_investor(app: TestApp) {
    let (investor, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    let path = format!("/v1/callbacks/{cb}/contact");
    let got = app.get(&path, "planner").await;
    assert_error(&got, StatusCode::FORBIDDEN, "not_assignee", None);
    claim(&app, &cb, "planner").await;
    let (status, contact) = app.get(&path, "planner").await;
    assert_eq!(status, StatusCode::OK, "{contact}");
    assert_eq!(contact["phone"], "13800138000");
    assert_eq!(contact["email"], "investor@example.cn");
    let got = app.get(&path, "planner2").await;
    assert_error(&got, StatusCode::FORBIDDEN, "not_assignee", None);
    for who in ["sales", "compliance"] {
        assert_eq!(app.get(&path, who).await.0, StatusCode::FORBIDDEN, "{who}");
    }
    let (_, page) = app
        .get(
            &format!("/v1/audit?entity=investor&entity_id={investor}"),
            "compliance",
        )
        .await;
    let reveals = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["action"] == "investor.reveal")
        .count();
    assert_eq!(reveals, 1);
}

mod three_unreached_attempts {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::three_unreached_attempts_escalate(crate::common::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::three_unreached_attempts_escalate(crate::common::Backend::Postgres).await
    }
}

/// An unreached attempt within 4 hours of the last is refused (the burst that voided an order);
/// with no gap, three attempts on one day do not escalate: they must span two days.
async fn attempts_are_spaced(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    claim(&app, &cb, "planner").await;
    let miss = json!({"method": "phone", "reached": false, "notes": "无人接听"});
    let (status, _) = outcome(&app, &cb, "planner", miss.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let got = outcome(&app, &cb, "planner", miss.clone()).await;
    assert_error(&got, StatusCode::CONFLICT, "attempt_too_soon", None);
    // After a failed call the agent may write instead: a reached letter is not an attempt.
    let codes = checks_of(&app, &cb).await;
    let letter = json!({"method": "letter", "reached": true, "answers": answers(&codes, None), "recording_ref": "函件/2026/1"});
    let (status, out) = outcome(&app, &cb, "planner", letter).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["order_status"], "confirmed");
}

async fn one_day_of_attempts_does_not_escalate(backend: crate::common::Backend) {
    let app = TestApp::spawn_with(backend, |c| c.policy.callbacks.attempt_gap_minutes = 0).await;
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    claim(&app, &cb, "planner").await;
    let miss = json!({"method": "phone", "reached": false});
    for attempt in 1..=4 {
        let (status, out) = outcome(&app, &cb, "planner", miss.clone()).await;
        assert_eq!(status, StatusCode::OK, "{out}");
        assert_eq!(out["callback"]["status"], "open", "attempt {attempt}");
        assert_eq!(out["escalation"], Value::Null);
    }
    assert_eq!(order_status(&app, &order).await, "cooling_off");
}

mod one_day_of_attempts {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::one_day_of_attempts_does_not_escalate(crate::common::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::one_day_of_attempts_does_not_escalate(crate::common::Backend::Postgres).await
    }
}

async fn my_queue_and_the_desk_summary(app: TestApp) {
    let (_, first) = settled_order(&app).await;
    let (_, second) = settled_order(&app).await;
    let (a, b) = (
        callback_of(&first, "confirmation"),
        callback_of(&second, "confirmation"),
    );
    claim(&app, &b, "planner").await;
    claim(&app, &a, "planner").await;
    let (status, mine) = app.get("/v1/callbacks?assignee=me", "planner").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let ids: Vec<&str> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2, "{mine}");
    let dues: Vec<&str> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["due_by"].as_str())
        .collect();
    let mut sorted = dues.clone();
    sorted.sort();
    assert_eq!(dues, sorted, "soonest due_by first");
    let (_, theirs) = app.get("/v1/callbacks?assignee=me", "planner2").await;
    assert_eq!(
        theirs["items"].as_array().map(Vec::len),
        Some(0),
        "{theirs}"
    );
    let got = app.get("/v1/callbacks?assignee=planner2", "planner").await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("assignee"),
    );
    let got = app
        .get(&format!("/v1/callbacks?assignee=me&after={a}"), "planner")
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("after"),
    );
    let codes = checks_of(&app, &a).await;
    let body = json!({"method": "phone", "reached": true, "answers": answers(&codes, None)});
    assert_eq!(outcome(&app, &a, "planner", body).await.0, StatusCode::OK);
    let (status, summary) = app.get("/v1/callbacks/summary", "compliance").await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let confirmation = &summary["by_kind"]["confirmation"];
    assert_eq!(confirmation["open"], 1, "{summary}");
    assert_eq!(confirmation["claimed"], 1, "{summary}");
    assert_eq!(confirmation["due_today"], 1, "{summary}");
    assert_eq!(confirmation["overdue"], 0, "{summary}");
    assert_eq!(confirmation["awaiting_review"], 1, "{summary}");
    let review = json!({"verdict": "approved", "comment": "已审阅"});
    assert_eq!(
        app.post(&format!("/v1/callbacks/{a}/reviews"), "compliance", review)
            .await
            .0,
        StatusCode::CREATED
    );
    let (_, summary) = app.get("/v1/callbacks/summary", "compliance").await;
    assert_eq!(
        summary["by_kind"]["confirmation"]["awaiting_review"], 0,
        "{summary}"
    );
    assert_eq!(
        app.get("/v1/callbacks/summary", "sales").await.0,
        StatusCode::FORBIDDEN
    );
}

async fn planners_plan_manual_callbacks(app: TestApp) {
    let (investor, order) = settled_order(&app).await;
    let due_by = (chrono::Utc::now() + Duration::days(5)).to_rfc3339();
    let body = json!({"investor_id": investor, "order_id": order["id"], "reason": "market_turmoil",
        "checks": ["identity_confirmed", "loss_possibility_known"], "due_by": due_by});
    let (status, cb) = app.post("/v1/callbacks", "compliance", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{cb}");
    assert_eq!(cb["kind"], "special");
    assert_eq!(cb["reason"], "market_turmoil");
    assert_eq!(cb["order_id"], order["id"]);
    let codes: Vec<&str> = cb["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert_eq!(codes, ["identity_confirmed", "loss_possibility_known"]);
    assert_eq!(
        claim(&app, cb["id"].as_str().expect("id"), "planner")
            .await
            .0,
        StatusCode::OK
    );
    // Without a holding, and by a planner.
    let none = json!({"investor_id": investor, "reason": "address_check", "checks": ["identity_confirmed"], "due_by": due_by});
    assert_eq!(
        app.post("/v1/callbacks", "planner", none.clone()).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        app.post("/v1/callbacks", "sales", none.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (other, _) = settled_order(&app).await;
    for (change, field) in [
        (json!({"reason": "Market Turmoil"}), "reason"),
        (json!({"checks": []}), "checks"),
        (json!({"checks": ["no_such_check"]}), "checks[0]"),
        (
            json!({"checks": ["identity_confirmed", "identity_confirmed"]}),
            "checks[1]",
        ),
        (json!({"due_by": "2020-01-01T00:00:00Z"}), "due_by"),
        (json!({"investor_id": other}), "order_id"),
    ] {
        let mut bad = body.clone();
        for (k, v) in change.as_object().expect("object") {
            bad[k] = v.clone();
        }
        let got = app.post("/v1/callbacks", "compliance", bad).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    let mut unknown = body.clone();
    unknown["investor_id"] = json!("00000000-0000-0000-0000-000000000000");
    assert_eq!(
        app.post("/v1/callbacks", "compliance", unknown).await.0,
        StatusCode::NOT_FOUND
    );
}
