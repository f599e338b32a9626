//! The back office in the browser: a risk officer edits the rules (a syntax error shown at its
//! line, a failing test with expected and actual), saves a draft, previews its impact; a second
//! officer activates it and the check uses the new version; risk previews a product's re-rating;
//! compliance resolves an escalation, approves a callback record, opens the evidence bundle (its
//! digest the API's), the client archive, the self-check report and the verified trail; admin
//! issues a token, revokes it, and the token's next API call is 401.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::driver::Browser;

/// Sets a form field's value as typing would, for the editor's large textareas.
async fn set_text(b: &Browser, name: &str, value: &str) {
    b.client
        .execute(
            "var el = document.querySelector('[name=\"' + arguments[0] + '\"]');
             el.value = arguments[1]; el.dispatchEvent(new Event('input'));",
            vec![json!(name), json!(value)],
        )
        .await
        .expect("sets the text");
}

async fn value_of(b: &Browser, name: &str) -> String {
    let v = b
        .client
        .execute(
            "return document.querySelector('[name=\"' + arguments[0] + '\"]').value;",
            vec![json!(name)],
        )
        .await
        .expect("reads the value");
    v.as_str().expect("text").to_string()
}

const RULE: &str = "files.50-callbacks.rhai";
const TESTS: [&str; 2] = ["files.tests/callbacks.toml", "files.tests/matching.toml"];

pub async fn risk_compliance_and_admin_work(
    app: &TestApp,
    b: &Browser,
    investor: &str,
    order: &str,
) {
    rules_are_edited_tested_and_activated_by_two_officers(app, b, investor).await;
    a_rerating_is_previewed_before_it_is_confirmed(app, b, order).await;
    compliance_works_its_inbox_and_shows_the_evidence(app, b, investor, order).await;
    admin_revokes_a_token(app, b).await;
}

async fn rules_are_edited_tested_and_activated_by_two_officers(
    app: &TestApp,
    b: &Browser,
    investor: &str,
) {
    b.sign_in(app.token("risk")).await;
    b.open("/console/rulesets").await;
    assert_eq!(b.h1().await, "规则版本");
    b.follow("a[href=\"/console/rulesets/new\"]").await;
    assert_eq!(b.h1().await, "编辑规则草稿");
    let original = value_of(b, RULE).await;
    assert!(
        original
            .lines()
            .nth(19)
            .is_some_and(|l| l.contains("\"semiannual\""))
    );
    // R4 holdings called back quarterly, typed with a mistake on line 20.
    let broken = original.replace(
        "decision.periodic(\"semiannual\");",
        "decision.periodic(\"quarterly\";",
    );
    set_text(b, RULE, &broken).await;
    b.submit("form.editor").await;
    let at = format!("li[data-problem=\"{RULE}\"][data-line=\"20\"]");
    assert!(
        b.exists(&at).await,
        "the error is shown at its file and line"
    );
    assert!(
        b.exists(".code-editor .gutter .err").await,
        "and marked in the editor's gutter"
    );
    b.screenshot("rule-editor-error").await;
    // Fixed, the rule runs: the set's own test of R4's frequency now fails, said plainly.
    let changed = original.replace(
        "decision.periodic(\"semiannual\");",
        "decision.periodic(\"quarterly\");",
    );
    set_text(b, RULE, &changed).await;
    b.submit("form.editor").await;
    let row = "table.failures tr[data-file=\"tests/callbacks.toml\"]";
    assert_eq!(
        b.text(&format!("{row} [data-field=expected]")).await,
        "semiannual"
    );
    assert_eq!(
        b.text(&format!("{row} [data-field=actual]")).await,
        "quarterly"
    );
    b.screenshot("rule-editor-failing-test").await;
    // The tests follow the new policy: compiled, tested, saved as a draft.
    for file in TESTS {
        let tests = value_of(b, file)
            .await
            .replace("periodic = \"semiannual\"", "periodic = \"quarterly\"");
        set_text(b, file, &tests).await;
    }
    b.fill("note", "R4 持仓改为每季度回访").await;
    b.submit("form.editor").await;
    assert!(b.exists("[data-field=tests_passed]").await);
    // Each file says how it will run: the shipped rules are all compiled.
    assert!(
        b.exists("[data-field=run_modes] li[data-file=\"50-callbacks.rhai\"][data-mode=compiled]")
            .await
    );
    assert!(
        !b.exists("[data-field=run_modes] li[data-mode=interpreted]")
            .await
    );
    b.screenshot("rule-editor-tests-passed").await;
    b.follow("form.editor button[value=save]").await;
    assert_eq!(b.h1().await, "规则版本 v2");
    assert!(b.exists("[data-field=status] [data-status=draft]").await);
    assert!(
        b.exists("section[data-diff=\"50-callbacks.rhai\"]").await,
        "the diff names the file"
    );
    b.screenshot("ruleset-draft").await;
    b.follow("a[href=\"/console/rulesets/2/impact\"]").await;
    assert_eq!(
        b.text("[data-field=changed_periodic]").await,
        "1",
        "the R4 holding"
    );
    assert!(
        b.exists("button[type=submit][disabled][aria-describedby=four-eyes]")
            .await
    );
    b.screenshot("ruleset-impact").await;
    // A second officer activates it; the check now runs on version 2.
    b.sign_in(app.token("risk2")).await;
    b.open("/console/rulesets/2").await;
    b.submit("form.activate").await;
    assert!(b.exists("[data-field=status] [data-status=active]").await);
    let (_, active) = app.get("/v1/rulesets/active", "risk").await;
    assert_eq!(active["version"], 2);
    let (_, products) = app.get("/v1/products", "risk").await;
    let product = products["items"][0]["id"]
        .as_str()
        .expect("a product")
        .to_string();
    b.open(&format!(
        "/console/investors/{investor}/check?product_id={product}&amount=1000000"
    ))
    .await;
    assert_eq!(b.text("[data-field=ruleset_version]").await, "2");
    b.open("/console/questionnaires").await;
    assert!(
        b.exists("section[data-questionnaire] tr[data-band=C5]")
            .await
    );
}

async fn a_rerating_is_previewed_before_it_is_confirmed(app: &TestApp, b: &Browser, order: &str) {
    let (_, o) = app.get(&format!("/v1/orders/{order}"), "risk").await;
    let product = o["product_id"].as_str().expect("product").to_string();
    b.open("/console/products").await;
    assert_eq!(b.h1().await, "产品");
    b.follow(&format!("tr[data-product=\"{product}\"] a")).await;
    b.choose("risk_rating", "R5").await;
    b.submit(&format!("form[action=\"/console/products/{product}\"]"))
        .await;
    assert_eq!(b.text("[data-field=holdings]").await, "1");
    assert_eq!(
        b.text("[data-field=no_longer_match]").await,
        "1",
        "C4 cannot hold R5 as a match"
    );
    assert_eq!(
        b.text("[data-field=risk_rating]").await,
        "R4",
        "nothing changed yet"
    );
    b.screenshot("product-rerating-preview").await;
    let (_, p) = app.get(&format!("/v1/products/{product}"), "risk").await;
    assert_eq!(p["risk_rating"], "R4");
}

async fn compliance_works_its_inbox_and_shows_the_evidence(
    app: &TestApp,
    b: &Browser,
    investor: &str,
    order: &str,
) {
    // A special callback fails a check: an escalation for compliance.
    let due_by = (Utc::now() + Duration::days(5)).to_rfc3339();
    let body = json!({"investor_id": investor, "order_id": order, "reason": "market_turmoil",
        "checks": ["identity_confirmed", "loss_possibility_known"], "due_by": due_by});
    let (status, cb) = app.post("/v1/callbacks", "compliance", body).await;
    assert_eq!(status, StatusCode::CREATED, "{cb}");
    let special = cb["id"].as_str().expect("id").to_string();
    let claimed = app
        .post(
            &format!("/v1/callbacks/{special}/claim"),
            "planner",
            json!({}),
        )
        .await;
    assert_eq!(claimed.0, StatusCode::OK, "{}", claimed.1);
    let failed = json!({"method": "phone", "reached": true, "recording_ref": "录音/2026/12/0002.wav",
        "answers": {"identity_confirmed": true, "loss_possibility_known": false}, "notes": "投资者称不了解可能亏损"});
    let (status, out) = app
        .post(
            &format!("/v1/callbacks/{special}/outcome"),
            "planner",
            failed,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");

    b.sign_in(app.token("compliance")).await;
    b.open("/console/escalations").await;
    assert_eq!(b.h1().await, "合规上报");
    let (_, open) = app.get("/v1/escalations", "compliance").await;
    let escalation = open["items"][0]["id"]
        .as_str()
        .expect("an escalation")
        .to_string();
    let form = format!("form[action=\"/console/escalations/{escalation}/resolve\"]");
    b.submit(&form).await;
    assert!(
        b.exists("[data-error-for=note]").await,
        "a resolution needs its note"
    );
    b.fill("note", "已与投资者重新讲解产品风险，投资者确认知悉")
        .await;
    b.submit(&form).await;
    b.open("/console/escalations?all=1").await;
    let card = format!("section[data-escalation=\"{escalation}\"]");
    assert_eq!(
        b.text(&format!("{card} [data-field=state]")).await,
        "已处理"
    );
    b.screenshot("escalations").await;

    // The supervisor's review of the confirmation record.
    b.open("/console/reviews").await;
    assert_eq!(b.h1().await, "待主管审阅");
    let (_, detail) = app.get(&format!("/v1/orders/{order}"), "compliance").await;
    let confirmation = detail["callbacks"]
        .as_array()
        .expect("callbacks")
        .iter()
        .find(|c| c["kind"] == "confirmation")
        .and_then(|c| c["id"].as_str())
        .expect("the confirmation")
        .to_string();
    b.follow(&format!("tr[data-callback=\"{confirmation}\"] a"))
        .await;
    b.click("input[name=verdict][value=approved]").await;
    b.fill("comment", "录音完整，要素齐全").await;
    b.submit("form#review").await;
    let (_, cb) = app
        .get(&format!("/v1/callbacks/{confirmation}"), "compliance")
        .await;
    assert_eq!(cb["reviews"][0]["verdict"], "approved", "{cb}");

    // The evidence of the sale: the page's digest is the API's.
    b.open(&format!("/console/orders/{order}/evidence")).await;
    assert!(b.h1().await.starts_with("销售证据"));
    let shown = b.text("[data-field=digest]").await;
    let (_, bundle) = app
        .get(&format!("/v1/orders/{order}/evidence"), "compliance")
        .await;
    assert_eq!(Value::String(shown), bundle["digest"]);
    assert!(
        b.exists("ol.presented li.chosen").await,
        "the questionnaire as presented"
    );
    b.screenshot("evidence").await;
    b.open(&format!("/console/investors/{investor}/archive"))
        .await;
    assert_eq!(b.text("[data-field=name]").await, "王小明");
    assert_eq!(b.text("[data-field=digest]").await.len(), 64);
    b.screenshot("client-archive").await;
    b.open("/console/reports/self-check").await;
    assert_eq!(b.text("[data-field=sales_total]").await, "1");
    assert!(b.exists("figure svg rect").await);
    b.screenshot("self-check").await;
    b.open("/console/audit?verify=1").await;
    assert!(b.exists("[data-field=trail][data-intact=true]").await);
    b.screenshot("audit").await;
    // A complaint taken by phone, then resolved (which plans its follow-up callback).
    b.open("/console/complaints").await;
    assert_eq!(b.h1().await, "投诉");
    b.fill("investor_id", investor).await;
    b.choose("channel", "phone").await;
    // The intake's own category (the archive's filter has one too).
    b.click("#new-category option[value=service]").await;
    let received = (Utc::now() - Duration::hours(3))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    b.set_value("received_at", &received).await;
    b.fill("content", "回访电话时间不合适").await;
    b.submit("form[action=\"/console/complaints\"][method=post]")
        .await;
    let (_, lines) = app
        .get(
            &format!("/v1/investors/{investor}/complaints"),
            "compliance",
        )
        .await;
    let complaint = lines["items"][0]["id"]
        .as_str()
        .expect("the complaint")
        .to_string();
    let card = format!("section[data-complaint=\"{complaint}\"]");
    assert_eq!(
        b.text(&format!("{card} [data-field=state]")).await,
        "处理中"
    );
    b.fill("resolution", "已致歉并约定回访时段").await;
    b.submit(&format!(
        "form[action=\"/console/complaints/{complaint}/resolve\"]"
    ))
    .await;
    assert_eq!(
        b.text(&format!("{card} [data-field=state]")).await,
        "已办结"
    );
    assert!(
        b.exists("figure svg rect").await,
        "the archive's chart by category"
    );
    b.screenshot("complaints").await;
}

async fn admin_revokes_a_token(app: &TestApp, b: &Browser) {
    b.sign_in(app.token("admin")).await;
    b.open("/console/staff").await;
    assert_eq!(b.h1().await, "人员与令牌");
    b.fill("name", "临时回访员").await;
    b.click("input[name=roles][value=planner]").await;
    b.submit("form[action=\"/console/staff/tokens\"]").await;
    let token = b.text("[data-field=token]").await;
    assert!(token.starts_with("sut_"));
    let call = |t: String| async move {
        app.client
            .get(format!("{}/v1/callbacks", app.base))
            .bearer_auth(t)
            .send()
            .await
            .expect("call")
            .status()
    };
    assert_eq!(call(token.clone()).await, StatusCode::OK);
    let (_, tokens) = app.get("/v1/tokens", "admin").await;
    let id = tokens["items"]
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["staff_name"] == "临时回访员")
        .and_then(|t| t["id"].as_str())
        .expect("the new token")
        .to_string();
    b.screenshot("staff").await;
    b.submit(&format!(
        "form[action=\"/console/staff/tokens/{id}/revoke\"]"
    ))
    .await;
    assert_eq!(
        b.text(&format!("tr[data-token=\"{id}\"] [data-field=token_state]"))
            .await,
        "已吊销"
    );
    // A token is cached for at most a second after its last check (the contract's "within a
    // second"): ask after that.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(call(token).await, StatusCode::UNAUTHORIZED);
}
