//! The callback desk's sweeps and records (issue: the callback desk, points 8 and 10): overdue
//! callbacks escalate once and stay workable; the record of 回访记录表 (respondent, satisfaction,
//! opinions, open issues tracked until closed); review verdicts, a returned record recorded
//! again, late reviews listed; the plan's method and preparer; the report's new sections; and
//! the scripts (话术, point 7) from the rule set.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::callbacks::{answers, callback_of, checks_of, claim, outcome, settled_order};
use crate::common::{TestApp, assert_error, credit_code, exec};
use crate::on_both;

on_both!(
    overdue_callbacks_escalate_once_and_stay_workable,
    an_institutions_record_names_who_answered,
    satisfaction_and_issues_are_checked_and_tracked,
    a_returned_record_is_recorded_again,
    late_reviews_are_listed,
    the_plan_has_its_method_and_preparer,
    scripts_come_from_the_rule_set,
);

async fn sweep(app: &TestApp) -> usize {
    suitability::app::sweep_overdue(&app.state)
        .await
        .expect("sweep")
}

fn all_yes(codes: &[String]) -> Value {
    json!({"method": "phone", "reached": true, "answers": answers(codes, None)})
}

async fn overdue_callbacks_escalate_once_and_stay_workable(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    let periodic = callback_of(&order, "periodic");
    assert_eq!(sweep(&app).await, 0, "nothing is past due yet");
    exec(
        &app,
        &format!(
            "UPDATE callbacks SET due_by = '2001-01-01T00:00:00+00:00' WHERE id IN ('{cb}', '{periodic}')"
        ),
    )
    .await;
    assert_eq!(sweep(&app).await, 2);
    assert_eq!(sweep(&app).await, 0, "each callback escalates once");
    let (_, listed) = app.get("/v1/callbacks?status=overdue", "compliance").await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2, "{listed}");
    assert!(ids.contains(&cb.as_str()) && ids.contains(&periodic.as_str()));
    let (_, escalations) = app.get("/v1/escalations", "compliance").await;
    let of = |id: &str| {
        escalations["items"]
            .as_array()
            .expect("escalations")
            .iter()
            .find(|e| e["callback_id"] == id)
            .cloned()
            .expect("an escalation")
    };
    let e = of(&cb);
    assert_eq!(e["reason"], "overdue");
    assert!(
        e["instruction"]
            .as_str()
            .is_some_and(|t| t.contains("raising account")),
        "{e}"
    );
    assert_eq!(of(&periodic)["instruction"], Value::Null);
    let (_, summary) = app.get("/v1/callbacks/summary", "compliance").await;
    assert_eq!(
        summary["by_kind"]["confirmation"]["overdue"], 1,
        "{summary}"
    );
    // The order is not confirmed by default; the overdue confirmation can still be done.
    let (_, o) = app
        .get(
            &format!("/v1/orders/{}", order["id"].as_str().expect("id")),
            "sales",
        )
        .await;
    assert_eq!(o["status"], "cooling_off");
    assert_eq!(claim(&app, &cb, "planner").await.0, StatusCode::OK);
    let codes = checks_of(&app, &cb).await;
    let (status, done) = outcome(&app, &cb, "planner", all_yes(&codes)).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["callback"]["status"], "completed");
    assert_eq!(done["order_status"], "confirmed");
}

/// A manual callback for a new institution, claimed by `planner`.
async fn institution_callback(app: &TestApp) -> String {
    let body = json!({"kind": "institution", "name": "某某投资有限公司", "id_number": credit_code(),
        "net_assets": "30000000"});
    let (status, org) = app.post("/v1/investors", "sales", body).await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    let due_by = (Utc::now() + Duration::days(5)).to_rfc3339();
    let body = json!({"investor_id": org["id"], "reason": "annual_review",
        "checks": ["identity_confirmed"], "due_by": due_by});
    let (status, cb) = app.post("/v1/callbacks", "compliance", body).await;
    assert_eq!(status, StatusCode::CREATED, "{cb}");
    let id = cb["id"].as_str().expect("id").to_string();
    assert_eq!(claim(app, &id, "planner").await.0, StatusCode::OK);
    id
}

async fn an_institutions_record_names_who_answered(app: TestApp) {
    let cb = institution_callback(&app).await;
    let body = json!({"method": "phone", "reached": true, "answers": {"identity_confirmed": true}});
    let got = outcome(&app, &cb, "planner", body.clone()).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("respondent"),
    );
    let fields: Vec<&str> = got.1["error"]["details"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert!(fields.contains(&"respondent_title"), "{}", got.1);
    let mut named = body;
    named["respondent"] = json!("李四");
    named["respondent_title"] = json!("财务总监");
    let (status, done) = outcome(&app, &cb, "planner", named).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["outcome"]["respondent"], "李四");
    assert_eq!(done["outcome"]["respondent_title"], "财务总监");
}

async fn satisfaction_and_issues_are_checked_and_tracked(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    claim(&app, &cb, "planner").await;
    let codes = checks_of(&app, &cb).await;
    let mut bad = all_yes(&codes);
    bad["satisfaction"] = json!({"service": 5, "responsiveness": 0, "overall": 6});
    bad["open_issues"] = json!(["寄送季报", " "]);
    let got = outcome(&app, &cb, "planner", bad).await;
    assert_eq!(got.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", got.1);
    let fields: Vec<&str> = got.1["error"]["details"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    for f in [
        "satisfaction.responsiveness",
        "satisfaction.overall",
        "open_issues[1]",
    ] {
        assert!(fields.contains(&f), "{f}: {}", got.1);
    }
    let unreached = json!({"method": "phone", "reached": false, "open_issues": ["x"],
        "satisfaction": {"service": 5, "responsiveness": 5, "overall": 5}});
    let got = outcome(&app, &cb, "planner", unreached).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("satisfaction"),
    );
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("open_issues"),
    );
    let mut good = all_yes(&codes);
    good["satisfaction"] = json!({"service": 5, "responsiveness": 4, "overall": 3});
    good["opinions"] = json!("希望提供更多产品资料");
    good["open_issues"] = json!(["寄送季报"]);
    let (status, done) = outcome(&app, &cb, "planner", good).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let issue = done["open_issues"][0]["id"]
        .as_str()
        .expect("an issue")
        .to_string();
    let (_, open) = app.get("/v1/callbacks/issues", "planner").await;
    assert!(
        open["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["id"] == issue.as_str()),
        "{open}"
    );
    let (_, others) = app.get("/v1/callbacks/issues", "planner2").await;
    assert_eq!(
        others["items"],
        json!([]),
        "another planner's issues are not theirs"
    );
    let path = format!("/v1/callbacks/issues/{issue}/close");
    let got = app.post(&path, "planner", json!({"resolution": ""})).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("resolution"),
    );
    let (status, closed) = app
        .post(&path, "planner", json!({"resolution": "季报已寄出"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["resolution"], "季报已寄出");
    let again = app
        .post(&path, "planner", json!({"resolution": "再次"}))
        .await;
    assert_error(&again, StatusCode::CONFLICT, "already_closed", None);
    let (_, open) = app.get("/v1/callbacks/issues", "compliance").await;
    assert_eq!(open["items"], json!([]));
    let (_, all) = app
        .get("/v1/callbacks/issues?status=all", "compliance")
        .await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(1));
    let review = json!({"verdict": "approved", "comment": "记录完整"});
    let (status, _) = app
        .post(&format!("/v1/callbacks/{cb}/reviews"), "compliance", review)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, report) = app.get("/v1/callbacks/report", "compliance").await;
    assert_eq!(report["satisfaction"]["rated"], 1, "{report}");
    assert_eq!(report["satisfaction"]["responsiveness"], 4.0);
    assert_eq!(report["opinions"][0]["text"], "希望提供更多产品资料");
    assert_eq!(report["open_issues_raised"], 1);
    assert_eq!(report["open_issues_still_open"], 0);
    assert_eq!(report["reviews_by_verdict"]["approved"], 1);
    // A planner gets the counts, not the investors' own words.
    let (_, theirs) = app.get("/v1/callbacks/report", "planner").await;
    assert_eq!(theirs["open_issues_raised"], 1, "{theirs}");
    assert_eq!(theirs["opinions"], json!([]));
    assert_eq!(theirs["open_issues"], json!([]));
    let long = app
        .get(
            "/v1/callbacks/report?from=2024-01-01T00:00:00Z",
            "compliance",
        )
        .await;
    assert_error(
        &long,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("from"),
    );
}

async fn a_returned_record_is_recorded_again(app: TestApp) {
    let (_, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    let path = format!("/v1/callbacks/{cb}/reviews");
    let early = json!({"verdict": "approved", "comment": "尚未回访"});
    let got = app.post(&path, "compliance", early).await;
    assert_error(&got, StatusCode::CONFLICT, "not_recorded", None);
    claim(&app, &cb, "planner").await;
    let codes = checks_of(&app, &cb).await;
    assert_eq!(
        outcome(&app, &cb, "planner", all_yes(&codes)).await.0,
        StatusCode::OK
    );
    let got = app
        .post(
            &path,
            "compliance",
            json!({"verdict": "maybe", "comment": "x"}),
        )
        .await;
    assert_eq!(got.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", got.1);
    let back = json!({"verdict": "returned", "comment": "未记录满意度，请补充"});
    let (status, review) = app.post(&path, "compliance", back).await;
    assert_eq!(status, StatusCode::CREATED, "{review}");
    assert_eq!(review["verdict"], "returned");
    let (_, detail) = app.get(&format!("/v1/callbacks/{cb}"), "planner").await;
    assert_eq!(detail["status"], "open", "{detail}");
    assert_eq!(detail["assignee"]["id"], app.actor("planner").id.as_str());
    assert_eq!(detail["outcomes"].as_array().map(Vec::len), Some(1));
    let mut again = all_yes(&codes);
    again["satisfaction"] = json!({"service": 5, "responsiveness": 5, "overall": 5});
    let (status, done) = outcome(&app, &cb, "planner", again).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let (_, detail) = app.get(&format!("/v1/callbacks/{cb}"), "compliance").await;
    assert_eq!(detail["status"], "completed");
    assert_eq!(
        detail["outcomes"].as_array().map(Vec::len),
        Some(2),
        "the first record stays as it was"
    );
    let (_, o) = app
        .get(
            &format!("/v1/orders/{}", order["id"].as_str().expect("id")),
            "sales",
        )
        .await;
    assert_eq!(o["status"], "confirmed");
    let periodic = o["callbacks"]
        .as_array()
        .map(|cbs| cbs.iter().filter(|c| c["kind"] == "periodic").count());
    assert_eq!(periodic, Some(1), "{o}");
    let ok = json!({"verdict": "approved", "comment": "已补充"});
    assert_eq!(
        app.post(&path, "compliance", ok.clone()).await.0,
        StatusCode::CREATED
    );
    // One verdict per record.
    let again = app.post(&path, "compliance", ok).await;
    assert_error(&again, StatusCode::CONFLICT, "already_reviewed", None);

    // A failed confirmation has rescinded its order and escalated: it is not returned.
    let (_, order) = settled_order(&app).await;
    let failed = callback_of(&order, "confirmation");
    claim(&app, &failed, "planner").await;
    let codes = checks_of(&app, &failed).await;
    let no = json!({"method": "phone", "reached": true,
        "answers": answers(&codes, Some(codes[0].as_str()))});
    assert_eq!(
        outcome(&app, &failed, "planner", no).await.0,
        StatusCode::OK
    );
    let back = json!({"verdict": "returned", "comment": "请重新回访"});
    let got = app
        .post(
            &format!("/v1/callbacks/{failed}/reviews"),
            "compliance",
            back,
        )
        .await;
    assert_error(&got, StatusCode::CONFLICT, "not_returnable", None);
}

async fn late_reviews_are_listed(app: TestApp) {
    let mut closed = Vec::new();
    for _ in 0..2 {
        let (_, order) = settled_order(&app).await;
        let cb = callback_of(&order, "confirmation");
        claim(&app, &cb, "planner").await;
        let codes = checks_of(&app, &cb).await;
        outcome(&app, &cb, "planner", all_yes(&codes)).await;
        closed.push(cb);
    }
    let (status, pending) = app.get("/v1/callbacks/reviews/pending", "compliance").await;
    assert_eq!(status, StatusCode::OK, "{pending}");
    assert_eq!(pending, json!([]), "closed just now: not late");
    // The first closed ten days ago (at least six working days).
    let old = (Utc::now() - Duration::days(10)).to_rfc3339();
    exec(
        &app,
        &format!(
            "UPDATE callbacks SET closed_at = '{old}' WHERE id = '{}'",
            closed[0]
        ),
    )
    .await;
    let (_, pending) = app.get("/v1/callbacks/reviews/pending", "compliance").await;
    assert_eq!(pending.as_array().map(Vec::len), Some(1), "{pending}");
    assert_eq!(pending[0]["callback"]["id"], closed[0].as_str());
    assert!(pending[0]["review_due_by"].is_string());
    let review = json!({"verdict": "approved", "comment": "迟到的审阅"});
    app.post(
        &format!("/v1/callbacks/{}/reviews", closed[0]),
        "compliance",
        review,
    )
    .await;
    let (_, pending) = app.get("/v1/callbacks/reviews/pending", "compliance").await;
    assert_eq!(pending, json!([]));
    assert_error(
        &app.get("/v1/callbacks/reviews/pending", "planner").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
}

async fn the_plan_has_its_method_and_preparer(app: TestApp) {
    let (investor, order) = settled_order(&app).await;
    let due_by = (Utc::now() + Duration::days(5)).to_rfc3339();
    let body = json!({"investor_id": investor, "reason": "home_visit", "planned_method": "visit",
        "checks": ["identity_confirmed"], "due_by": due_by});
    let (status, cb) = app.post("/v1/callbacks", "compliance", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{cb}");
    assert_eq!(cb["planned_method"], "visit");
    let mut wrong = body;
    wrong["planned_method"] = json!("pigeon");
    assert_error(
        &app.post("/v1/callbacks", "compliance", wrong).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("planned_method"),
    );
    // An overdue confirmation is still on the plan.
    let confirmation = callback_of(&order, "confirmation");
    exec(
        &app,
        &format!(
            "UPDATE callbacks SET due_by = '2001-01-01T00:00:00+00:00' WHERE id = '{confirmation}'"
        ),
    )
    .await;
    sweep(&app).await;
    let (status, _, csv) = app
        .raw(
            Method::GET,
            "/v1/callbacks/plan",
            Some("planner"),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let header = csv.lines().next().expect("header");
    assert!(header.contains("编制人"), "{header}");
    assert!(csv.contains("上门拜访"), "{csv}");
    assert!(
        csv.contains(&app.actor("planner").name),
        "the preparer is the caller"
    );
    assert!(csv.contains("overdue"), "{csv}");
}

async fn scripts_come_from_the_rule_set(app: TestApp) {
    let (investor, order) = settled_order(&app).await;
    let cb = callback_of(&order, "confirmation");
    let (_, detail) = app.get(&format!("/v1/callbacks/{cb}"), "planner").await;
    let (_, person) = app
        .get(&format!("/v1/investors/{investor}"), "compliance")
        .await;
    let opening = detail["script"]["opening"].as_str().expect("opening");
    let name = person["name"].as_str().expect("name");
    assert!(opening.contains(&format!("{name}先生/女士")), "{opening}");
    assert!(opening.contains(detail["product"]["name"].as_str().expect("product")));
    assert!(opening.contains("投资冷静期后回访确认"), "{opening}");
    let first_opening = opening.to_string();
    assert!(
        detail["script"]["closing"]
            .as_str()
            .is_some_and(|c| c.contains("感谢"))
    );
    let org = institution_callback(&app).await;
    let (_, detail) = app.get(&format!("/v1/callbacks/{org}"), "planner").await;
    let opening = detail["script"]["opening"].as_str().expect("opening");
    assert!(
        opening.contains("职务") && opening.contains("您的投资"),
        "{opening}"
    );

    // An attempt keeps the script it was made with.
    assert_eq!(claim(&app, &cb, "planner").await.0, StatusCode::OK);
    let (status, body) = outcome(
        &app,
        &cb,
        "planner",
        json!({"method": "phone", "reached": false}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A broken script is refused at upload, at its file; a new one reaches the desk on activation.
    let mut files = crate::rulesets::shipped_files();
    files.insert(
        "scripts.toml".into(),
        "firm = \"甲\"\n[individual]\nopening = \"您好{name}\"\nclosing = \"再见\"\n[institution]\nopening = \"您好\"\nclosing = \"再见\"\n".into(),
    );
    let (status, refused) = app
        .post(
            "/v1/rulesets",
            "risk",
            json!({"files": files, "note": "bad script"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("scripts.toml"), "{refused}");
    assert!(refused.to_string().contains("{name}"), "{refused}");
    files.insert(
        "scripts.toml".into(),
        "firm = \"甲资管\"\n[individual]\nopening = \"{investor}您好，{firm}回访。\"\nclosing = \"再见\"\n[institution]\nopening = \"您好\"\nclosing = \"再见\"\n".into(),
    );
    let (status, created) = app
        .post(
            "/v1/rulesets",
            "risk",
            json!({"files": files, "note": "new script"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let v = created["version"].as_i64().expect("version");
    let (status, _) = app
        .post(&format!("/v1/rulesets/{v}/activate"), "risk2", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, detail) = app.get(&format!("/v1/callbacks/{cb}"), "planner").await;
    assert_eq!(
        detail["script"]["opening"],
        format!("{name}您好，甲资管回访。")
    );
    // The record of the earlier attempt still says what was read then.
    let kept = &detail["outcomes"][0]["script"];
    assert_eq!(kept["opening"], first_opening.as_str(), "{detail}");
    assert!(
        kept["closing"].as_str().is_some_and(|c| c.contains("感谢")),
        "{detail}"
    );
}
