//! Complaints to follow-up callback, the rules seeing open complaints, the archive; and the
//! evidence bundle of a sale whose digest and replay both verify.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{TestApp, assert_error};
use crate::on_both;
use crate::orders::place;
use crate::suitability::{check, investor_at, product};

on_both!(
    a_resolved_complaint_gets_a_followup_callback_and_the_rules_see_it,
    the_archive_counts_by_category_and_period,
    an_evidence_bundle_verifies_by_digest_and_replay,
);

async fn complain(app: &TestApp, investor: &str, order: Option<&str>, category: &str) -> Value {
    let (status, c) = app
        .post(
            "/v1/complaints",
            "sales",
            json!({"investor_id": investor, "order_id": order, "channel": "phone", "category": category,
                   "content": "客户反映销售人员承诺保本", "received_at": (Utc::now() - Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c
}

async fn a_resolved_complaint_gets_a_followup_callback_and_the_rules_see_it(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3F", "R3").await;
    let (_, before) = check(&app, &investor, &r3, json!(1000000)).await;
    assert_eq!(before["periodic"], "annual");
    let complaint = complain(&app, &investor, None, "mis_selling").await;
    assert_eq!(complaint["status"], "open");
    let id = complaint["id"].as_str().expect("id");
    // An open complaint: the shipped rules raise the periodic frequency to monthly.
    let (_, during) = check(&app, &investor, &r3, json!(1000000)).await;
    assert_eq!(during["facts"]["investor"]["open_complaints"], 1);
    assert_eq!(during["facts"]["investor"]["complaints_90d"], 1);
    assert_eq!(during["periodic"], "monthly");
    let (status, assigned) = app
        .post(
            &format!("/v1/complaints/{id}/assign"),
            "compliance",
            json!({"assignee_id": assigned_to(&app).await}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{assigned}");
    let (status, resolved) = app
        .post(
            &format!("/v1/complaints/{id}/resolve"),
            "compliance",
            json!({"resolution": "已核实并向客户说明，销售人员已处理"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    let due_by =
        chrono::DateTime::parse_from_rfc3339(resolved["followup_due_by"].as_str().expect("due"))
            .expect("t");
    let days = (due_by.with_timezone(&Utc) - Utc::now()).num_days();
    assert!(
        (8..=11).contains(&days),
        "7 working days span 9 to 11 calendar days: {days}"
    );
    let (_, specials) = app.get("/v1/callbacks?kind=special", "planner").await;
    let item = specials["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["reason"] == "complaint_followup")
        .cloned()
        .expect("followup");
    assert_eq!(item["complaint_id"], id);
    assert_eq!(item["order_id"], Value::Null);
    let codes: Vec<&str> = item["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        ["identity_confirmed", "complaint_resolution_satisfied"]
    );
    // The follow-up is worked like any callback; a dissatisfied investor escalates.
    let cb = item["id"].as_str().expect("cb");
    assert_eq!(
        app.post(&format!("/v1/callbacks/{cb}/claim"), "planner", json!({}))
            .await
            .0,
        StatusCode::OK
    );
    let (status, out) = app
        .post(
            &format!("/v1/callbacks/{cb}/outcome"),
            "planner",
            json!({"method": "phone", "reached": true, "recording_ref": "录音/投诉回访/1.wav",
            "answers": {"identity_confirmed": true, "complaint_resolution_satisfied": false}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["order_status"], Value::Null);
    assert_eq!(
        out["escalation"]["failed_checks"],
        json!(["complaint_resolution_satisfied"])
    );
    // Resolved: the frequency falls back; the 90-day count stays.
    let (_, after) = check(&app, &investor, &r3, json!(1000000)).await;
    assert_eq!(after["periodic"], "annual");
    assert_eq!(after["facts"]["investor"]["complaints_90d"], 1);
    let again = app
        .post(
            &format!("/v1/complaints/{id}/resolve"),
            "compliance",
            json!({"resolution": "x"}),
        )
        .await;
    assert_error(&again, StatusCode::CONFLICT, "complaint_resolved", None);
    let bad = app.post("/v1/complaints", "sales", json!({"investor_id": investor, "channel": "pigeon", "category": "x", "content": "", "received_at": "2099-01-01T00:00:00Z"})).await;
    for field in ["channel", "category", "content", "received_at"] {
        assert_error(
            &bad,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
}

async fn assigned_to(app: &TestApp) -> String {
    let (_, me) = app
        .get("/v1/audit?entity=staff&limit=1000", "compliance")
        .await;
    // Any staff id will do: the last token created (the admin), from the trail.
    me["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["entity_id"].as_str())
        .next_back()
        .expect("a staff id")
        .to_string()
}

async fn the_archive_counts_by_category_and_period(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    complain(&app, &investor, None, "mis_selling").await;
    complain(&app, &investor, None, "fees").await;
    complain(&app, &investor, None, "fees").await;
    let (status, archive) = app.get("/v1/complaints/archive", "compliance").await;
    assert_eq!(status, StatusCode::OK, "{archive}");
    assert_eq!(archive["total"], 3);
    assert_eq!(archive["by_category"], json!({"fees": 2, "mis_selling": 1}));
    assert_eq!(archive["open"], 3);
    let (_, fees) = app
        .get("/v1/complaints/archive?category=fees", "compliance")
        .await;
    assert_eq!(fees["total"], 2);
    let long_ago = (Utc::now() - Duration::days(800))
        .to_rfc3339()
        .replace('+', "%2B");
    let a_year_ago = (Utc::now() - Duration::days(400))
        .to_rfc3339()
        .replace('+', "%2B");
    let (_, old) = app
        .get(
            &format!("/v1/complaints/archive?from={long_ago}&to={a_year_ago}"),
            "compliance",
        )
        .await;
    assert_eq!(old["total"], 0);
    assert_error(
        &app.get("/v1/complaints/archive", "sales").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
}

async fn an_evidence_bundle_verifies_by_digest_and_replay(app: TestApp) {
    let investor = investor_at(&app, "C2", "1962-05-05", None).await;
    let r4 = product(&app, "R4F", "R4").await;
    let order = place(
        &app,
        &investor,
        &r4,
        Duration::hours(30),
        json!(["mismatch_warning_signed", "dual_recording"]),
    )
    .await;
    let order_id = order["id"].as_str().expect("id");
    let (status, _) = crate::callbacks::confirm(&app, &order, "tel/1.wav").await;
    assert_eq!(status, StatusCode::OK);
    let cb = order["callbacks"]
        .as_array()
        .expect("cbs")
        .iter()
        .find(|c| c["kind"] == "confirmation")
        .and_then(|c| c["id"].as_str())
        .expect("cb");
    app.post(
        &format!("/v1/callbacks/{cb}/reviews"),
        "compliance",
        json!({"verdict": "approved", "comment": "录音已复核"}),
    )
    .await;
    complain(&app, &investor, Some(order_id), "service").await;

    let (status, bundle) = app
        .get(&format!("/v1/orders/{order_id}/evidence"), "compliance")
        .await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    assert_eq!(bundle["order"]["status"], "confirmed");
    assert_eq!(
        bundle["order"]["acknowledgments"],
        json!(["mismatch_warning_signed", "dual_recording"])
    );
    assert_eq!(bundle["assessment"]["level"], "C2");
    assert_eq!(bundle["assessment"]["questionnaire_version"], 3);
    assert_eq!(bundle["assessment"]["questionnaire_file_unchanged"], true);
    assert!(bundle["assessment"]["answers"]["q1"].is_array());
    assert_eq!(bundle["decision"]["outcome"]["verdict"], "mismatch");
    assert_eq!(bundle["decision"]["ruleset_version"], 1);
    assert!(bundle["decision"]["outcome"]["trace"].is_array());
    assert!(bundle["cooling_off"]["ends_at"].is_string());
    let cbs = bundle["callbacks"].as_array().expect("callbacks");
    let c = cbs
        .iter()
        .find(|c| c["kind"] == "confirmation")
        .expect("confirmation");
    assert_eq!(c["outcomes"][0]["recording_ref"], "tel/1.wav");
    assert_eq!(c["reviews"][0]["comment"], "录音已复核");
    assert_eq!(bundle["complaints"].as_array().map(Vec::len), Some(1));
    let masked = bundle["investor"]["id_number"].as_str().unwrap_or_default();
    assert!(
        masked.starts_with("1101**********") && masked.len() == 18,
        "{masked}"
    );
    let actions: Vec<&str> = bundle["audit"]
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "investor.create",
        "assessment.create",
        "order.create",
        "callback.claim",
        "callback.outcome",
        "order.confirmed",
        "callback.review",
    ] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
    // The replay matches.
    assert_eq!(bundle["replay"]["identical"], true);
    // The digest covers the rest of the bundle, and asking again gives the same bundle.
    let mut rest = bundle.clone();
    let digest = rest
        .as_object_mut()
        .and_then(|m| m.remove("digest"))
        .expect("digest");
    let recomputed: String = Sha256::digest(serde_json::to_vec(&rest).expect("json"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(digest, recomputed);
    let (_, again) = app
        .get(&format!("/v1/orders/{order_id}/evidence"), "compliance")
        .await;
    assert_eq!(again["digest"], digest);
    // Any change to the bundle's content changes the digest.
    let mut altered = rest.clone();
    altered["order"]["amount"] = json!("1");
    let altered_digest: String = Sha256::digest(serde_json::to_vec(&altered).expect("json"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_ne!(altered_digest, digest);
    assert_error(
        &app.get(&format!("/v1/orders/{order_id}/evidence"), "sales")
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
}
