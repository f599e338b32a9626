//! The records compliance and admin keep: the client archive (with the questionnaire as the
//! investor saw it and a digest anyone can recompute), the self-check report (JSON and XLSX),
//! the trail's verification, tokens issued by an admin, and a product change previewed without
//! changing anything.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{TestApp, assert_error};
use crate::on_both;
use crate::orders::place;
use crate::suitability::{investor_at, product};
use suitability::store::Db;

on_both!(
    the_client_archive_holds_everything_under_a_digest,
    the_self_check_counts_sales_warnings_and_recordings,
    the_trail_verifies_and_a_rewrite_is_found,
    an_admin_issues_a_token_shown_once,
    a_product_change_is_previewed_without_changing_anything,
);

fn recomputed(doc: &Value) -> (String, String) {
    let mut rest = doc.clone();
    let digest = rest
        .as_object_mut()
        .and_then(|m| m.remove("digest"))
        .and_then(|d| d.as_str().map(str::to_string))
        .expect("digest");
    let hex: String = Sha256::digest(serde_json::to_vec(&rest).expect("json"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (digest, hex)
}

async fn the_client_archive_holds_everything_under_a_digest(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r4 = product(&app, "R4A", "R4").await;
    let acks = json!(["mismatch_warning_signed", "dual_recording"]);
    let order = place(&app, &investor, &r4, Duration::hours(1), acks).await;
    let path = format!("/v1/investors/{investor}/archive");
    let (status, a) = app.get(&path, "compliance").await;
    assert_eq!(status, StatusCode::OK, "{a}");
    let (digest, hex) = recomputed(&a);
    assert_eq!(digest, hex, "the digest covers the rest of the archive");
    // Identity masked; the assessment with the questionnaire exactly as presented.
    assert!(
        a["investor"]["id_number"]
            .as_str()
            .expect("id")
            .contains('*')
    );
    let taken = &a["assessments"][0];
    assert_eq!(taken["level"], "C3");
    let hash = taken["questionnaire_hash"].as_str().expect("hash");
    let q = &a["questionnaires"][hash];
    assert_eq!(q["content_hash"], hash);
    let first = taken["answers"]
        .as_object()
        .expect("answers")
        .keys()
        .next()
        .cloned();
    let first = first.expect("an answer");
    let questions = q["questions"].as_array().expect("questions");
    assert!(
        questions
            .iter()
            .any(|x| x["id"] == first.as_str() && x["text"].is_string())
    );
    // The order with the decision it rests on, its callbacks, and the trail of all of them.
    assert_eq!(a["orders"][0]["order"]["id"], order["id"]);
    assert_eq!(a["orders"][0]["decision"]["outcome"]["verdict"], "mismatch");
    assert!(a["callbacks"].as_array().expect("callbacks").len() >= 2);
    let actions: Vec<&str> = a["audit"]
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for wanted in [
        "investor.create",
        "assessment.create",
        "order.create",
        "callback.plan",
    ] {
        assert!(actions.contains(&wanted), "{wanted} not in {actions:?}");
    }
    // The store keeps the questionnaire's file text, which its hash covers: anyone can check it.
    let sql = "SELECT source FROM questionnaire_versions WHERE content_hash = $1";
    let kept: (String,) = match &app.db {
        Db::Sqlite(p, _) => sqlx::query_as(sql)
            .bind(hash)
            .fetch_one(p)
            .await
            .expect("kept"),
        Db::Postgres(p) => sqlx::query_as(sql)
            .bind(hash)
            .fetch_one(p)
            .await
            .expect("kept"),
    };
    let rehashed: String = Sha256::digest(kept.0.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(rehashed, hash);
    // Reading it again gives the same digest: it holds no time of its own.
    assert_eq!(app.get(&path, "compliance").await.1["digest"], a["digest"]);
    // Sales, planners and risk are not shown archives (they hold the audit entries); an unknown
    // investor is 404.
    assert_eq!(app.get(&path, "sales").await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&path, "risk").await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&path, "planner").await.0, StatusCode::FORBIDDEN);
    let missing = app.get("/v1/investors/nope/archive", "compliance").await;
    assert_error(&missing, StatusCode::NOT_FOUND, "not_found", None);
}

async fn the_self_check_counts_sales_warnings_and_recordings(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3S", "R3").await;
    let r4 = product(&app, "R4S", "R4").await;
    place(&app, &investor, &r3, Duration::hours(2), json!([])).await;
    let acks = json!(["mismatch_warning_signed", "dual_recording"]);
    place(&app, &investor, &r4, Duration::hours(1), acks).await;
    let (status, r) = app.get("/v1/reports/self-check", "compliance").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["sales"]["total"], 2);
    assert_eq!(r["sales"]["by_verdict"], json!({"match": 1, "mismatch": 1}));
    assert_eq!(r["sales"]["mismatch_warning_signed"], 1);
    assert_eq!(r["sales"]["dual_recorded"], 1);
    assert!(r["investors_by_level"]["C3"].as_i64() >= Some(1), "{r}");
    assert!(r["products_by_rating"]["R4"].as_i64() >= Some(1), "{r}");
    // A period before any sale counts none.
    let (_, empty) = app
        .get(
            "/v1/reports/self-check?from=2020-01-01T00:00:00Z&to=2020-06-30T00:00:00Z",
            "compliance",
        )
        .await;
    assert_eq!(empty["sales"]["total"], 0);
    // The workbook.
    let resp = app
        .client
        .get(format!("{}/v1/reports/self-check?format=xlsx", app.base))
        .bearer_auth(app.token("compliance"))
        .send()
        .await
        .expect("workbook");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("bytes");
    assert_eq!(&bytes[..2], b"PK", "an XLSX workbook is a zip");
    // Refusals.
    let bad = app
        .get("/v1/reports/self-check?format=pdf", "compliance")
        .await;
    assert_error(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("format"),
    );
    let long = "/v1/reports/self-check?from=2020-01-01T00:00:00Z&to=2022-01-01T00:00:00Z";
    let bad = app.get(long, "compliance").await;
    assert_error(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("to"),
    );
    assert_eq!(
        app.get("/v1/reports/self-check", "sales").await.0,
        StatusCode::FORBIDDEN
    );
}

async fn the_trail_verifies_and_a_rewrite_is_found(app: TestApp) {
    investor_at(&app, "C3", "1980-01-01", None).await;
    let (status, v) = app.get("/v1/audit/verify", "compliance").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["intact"], true, "{v}");
    assert!(v["entries"].as_i64() > Some(3));
    assert_eq!(
        app.get("/v1/audit/verify", "risk").await.0,
        StatusCode::FORBIDDEN
    );
    // A row changed in place, behind the trail's back, is found though the chain holds.
    let p = product(&app, "R3V", "R3").await;
    let sql = format!("UPDATE products SET risk_rating = 1 WHERE id = '{p}'");
    crate::common::exec(&app, &sql).await;
    let (_, v) = app.get("/v1/audit/verify", "compliance").await;
    assert_eq!(v["intact"], false, "{v}");
    assert_eq!(v["broken_at"], Value::Null, "{v}");
    let rows = v["unexplained_rows"].as_array().expect("rows");
    assert!(
        rows.iter()
            .any(|r| r.as_str().is_some_and(|r| r.contains(&p))),
        "{v}"
    );
    // Someone with database access rewrites an entry: the walk names it.
    let lift: &[&str] = match app.db {
        Db::Sqlite(..) => &["DROP TRIGGER audit_log_no_update"],
        Db::Postgres(_) => &["ALTER TABLE audit_log DISABLE TRIGGER USER"],
    };
    for s in lift {
        crate::common::exec(&app, s).await;
    }
    crate::common::exec(
        &app,
        "UPDATE audit_log SET action = 'investor.view' WHERE seq = 2",
    )
    .await;
    let (_, v) = app.get("/v1/audit/verify", "compliance").await;
    assert_eq!(v["intact"], false, "{v}");
    assert_eq!(v["broken_at"], 2, "{v}");
}

async fn an_admin_issues_a_token_shown_once(app: TestApp) {
    let body = json!({"name": "新回访员", "roles": ["planner"], "expires_in_days": 30});
    let (status, issued) = app.post("/v1/tokens", "admin", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let token = issued["token"].as_str().expect("token").to_string();
    assert_eq!(issued["staff"]["roles"], json!(["planner"]));
    // It works at once, for what the role may do.
    let resp = app
        .client
        .get(format!("{}/v1/callbacks", app.base))
        .bearer_auth(&token)
        .send();
    assert_eq!(resp.await.expect("call").status(), StatusCode::OK);
    // Never shown again; its issue is on the trail under the admin's name.
    let (_, tokens) = app.get("/v1/tokens", "admin").await;
    assert!(!tokens.to_string().contains(&token));
    let (_, trail) = app.get("/v1/audit?entity=staff", "compliance").await;
    let admin = &app.actor("admin").id;
    assert!(
        trail["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["action"] == "token.create" && e["actor_id"] == admin.as_str()),
        "{trail}"
    );
    // Refusals change nothing: no roles, too long, an unknown field, a role the member's own
    // roles exclude (sales cannot also make callbacks), a disabled member, a caller not admin.
    let mixed = json!({"name": "sales", "roles": ["planner"]});
    let mixed = app.post("/v1/tokens", "admin", mixed).await;
    assert_error(
        &mixed,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("roles"),
    );
    let sales2 = app.actor("sales2").id.clone();
    let off = app
        .post(&format!("/v1/staff/{sales2}/disable"), "admin", json!({}))
        .await;
    assert_eq!(off.0, StatusCode::OK, "{}", off.1);
    let disabled = app
        .post(
            "/v1/tokens",
            "admin",
            json!({"name": "sales2", "roles": ["sales"]}),
        )
        .await;
    assert_error(&disabled, StatusCode::CONFLICT, "staff_disabled", None);
    let none = app
        .post("/v1/tokens", "admin", json!({"name": "x", "roles": []}))
        .await;
    assert_error(
        &none,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("roles"),
    );
    let long = json!({"name": "x", "roles": ["sales"], "expires_in_days": 400});
    let long = app.post("/v1/tokens", "admin", long).await;
    assert_error(
        &long,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("expires_in_days"),
    );
    let unknown = json!({"name": "x", "roles": ["sales"], "admin": true});
    assert_eq!(
        app.post("/v1/tokens", "admin", unknown).await.0.as_u16() / 100,
        4
    );
    assert_eq!(
        app.post("/v1/tokens", "sales", body).await.0,
        StatusCode::FORBIDDEN
    );
    let ids = |v: &Value| -> Vec<Value> {
        v["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| t["id"].clone())
            .collect()
    };
    let (_, after) = app.get("/v1/tokens", "admin").await;
    assert_eq!(ids(&after), ids(&tokens));
}

async fn callbacks_of(app: &TestApp, order: &str) -> usize {
    let (_, o) = app.get(&format!("/v1/orders/{order}"), "sales").await;
    o["callbacks"].as_array().map_or(0, Vec::len)
}

async fn a_product_change_is_previewed_without_changing_anything(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3P", "R3").await;
    let order = place(&app, &investor, &r3, Duration::hours(2), json!([])).await;
    let order = order["id"].as_str().expect("id").to_string();
    let before = callbacks_of(&app, &order).await;
    let (_, trail) = app.get("/v1/audit?limit=1000", "compliance").await;
    let path = format!("/v1/products/{r3}/impact");
    let (status, i) = app.post(&path, "risk", json!({"risk_rating": "R5"})).await;
    assert_eq!(status, StatusCode::OK, "{i}");
    assert_eq!(i["holdings"], 1);
    assert_eq!(i["verdict_changed"], 1);
    assert_eq!(i["no_longer_match"], 1);
    let planned = i["special_callbacks"].as_u64().expect("count") as usize;
    assert!(planned >= 1, "{i}");
    // Nothing changed: the rating, the callbacks, the trail.
    let (_, p) = app.get(&format!("/v1/products/{r3}"), "risk").await;
    assert_eq!(p["risk_rating"], "R3");
    assert_eq!(callbacks_of(&app, &order).await, before);
    let (_, same) = app.get("/v1/audit?limit=1000", "compliance").await;
    assert_eq!(same["items"], trail["items"]);
    // The change itself does what the preview said.
    let rerate = json!({"risk_rating": "R5"});
    let patch = app
        .request(
            reqwest::Method::PATCH,
            &format!("/v1/products/{r3}"),
            Some("risk"),
            Some(&rerate),
        )
        .await;
    assert_eq!(patch.0, StatusCode::OK, "{}", patch.1);
    assert_eq!(callbacks_of(&app, &order).await, before + planned);
    // A bad change is refused as the change itself would be; sales may not preview.
    let bad = app.post(&path, "risk", json!({"risk_rating": "R9"})).await;
    assert_error(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("risk_rating"),
    );
    assert_eq!(
        app.post(&path, "sales", json!({})).await.0,
        StatusCode::FORBIDDEN
    );
}
