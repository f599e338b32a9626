//! The investor's own link over HTTP, end to end without a browser: identity check, the
//! questionnaire (marked `submitted_by: investor`), the risk disclosure and the warning letter
//! signed by full name; then the letter is the order's evidence for `mismatch_warning_signed`
//! without sales copying a reference, and the bundle carries both signatures. A letter signed on
//! an assessment that has since been replaced counts for nothing.

use std::collections::HashMap;

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Client, StatusCode, redirect};
use serde_json::{Value, json};

use crate::assessments::{answers_scoring, options_for};
use crate::common::{TestApp, assert_error, credit_code};
use crate::console::{get_page, sign_in};
use crate::on_both;
use crate::suitability::product;

on_both!(
    a_warning_letter_signed_through_the_link_is_the_orders_evidence,
    an_institution_confirms_its_link_with_the_registered_phone,
);

/// A browser without a browser: keeps cookies, reads the form's CSRF field.
struct Visitor {
    client: Client,
    base: String,
    cookies: HashMap<String, String>,
}

impl Visitor {
    fn new(app: &TestApp) -> Visitor {
        let client = Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .expect("client");
        Visitor {
            client,
            base: app.base.clone(),
            cookies: HashMap::new(),
        }
    }

    fn keep(&mut self, resp: &reqwest::Response) {
        for line in resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            if let Some((k, v)) = line.split(';').next().and_then(|kv| kv.split_once('=')) {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("get");
        self.keep(&resp);
        (resp.status(), resp.text().await.unwrap_or_default())
    }

    /// Posts the form of `page` (its CSRF field) with `fields` to `path`.
    async fn post(
        &mut self,
        page: &str,
        path: &str,
        fields: &[(String, String)],
    ) -> (StatusCode, String) {
        let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
        let mut form = vec![("csrf".to_string(), page[at..at + 64].to_string())];
        form.extend_from_slice(fields);
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(&form)
            .send()
            .await
            .expect("post");
        self.keep(&resp);
        (resp.status(), resp.text().await.unwrap_or_default())
    }
}

fn f(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

async fn a_warning_letter_signed_through_the_link_is_the_orders_evidence(app: TestApp) {
    let birth = "1975-06-15";
    let (investor, id_number) = app.individual_named("王小明", birth).await;
    let r4 = product(&app, &format!("S{}", uuid::Uuid::now_v7().simple()), "R4").await;
    let (status, sent) = app
        .post(
            &format!("/v1/investors/{investor}/invitations"),
            "sales",
            json!({"product_id": r4}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let url = sent["url"].as_str().expect("url").to_string();

    let mut v = Visitor::new(&app);
    let (_, page) = v.get(&url).await;
    let last4: String = id_number
        .chars()
        .skip(id_number.chars().count() - 4)
        .collect();
    let (status, _) = v
        .post(
            &page,
            &format!("{url}/verify"),
            &[f("id_last4", &last4), f("birth_date", birth)],
        )
        .await;
    assert!(status.is_redirection() || status.is_success(), "{status}");
    let (_, page) = v.get(&url).await;
    let qs = options_for(&app, "individual", birth).await;
    let mut answers: Vec<(String, String)> = answers_scoring(&qs, 45)
        .into_iter()
        .map(|(q, o)| (q, o.as_str().unwrap_or_default().to_string()))
        .collect();
    answers.push(f("questionnaire_id", "individual"));
    let (status, body) = v.post(&page, &format!("{url}/assess"), &answers).await;
    assert!(
        status.is_redirection() || status.is_success(),
        "{status} {body}"
    );
    let (_, page) = v.get(&url).await;
    assert!(page.contains("data-field=\"level\">C3"), "{page}");
    for doc in ["risk_disclosure", "mismatch_warning"] {
        let fields = [
            f("document", doc),
            f("typed_name", "王小明"),
            f("agreed", "true"),
        ];
        let (status, body) = v.post(&page, &format!("{url}/sign"), &fields).await;
        assert!(
            status.is_redirection() || status.is_success(),
            "{doc}: {status} {body}"
        );
    }

    let (_, check) = app
        .post(
            "/v1/suitability/check",
            "sales",
            json!({"investor_id": investor, "product_id": r4, "amount": "1000000"}),
        )
        .await;
    let required: Vec<Value> = check["requirements"]
        .as_array()
        .expect("requirements")
        .clone();
    assert!(
        required.contains(&json!("mismatch_warning_signed")),
        "{check}"
    );
    // The console's order form shows the letter as done and asks for no reference for it.
    let (session, _) = sign_in(&app, app.token("sales"), false).await;
    let form_path = format!("/console/orders/new?investor={investor}&product={r4}&amount=1000000");
    let (status, _, html) = get_page(&app, &session, &form_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-field=\"warning_letter\""), "{html}");
    assert!(!html.contains("name=\"evidence.mismatch_warning_signed.warning_letter\""));
    assert!(
        html.contains("name=\"evidence.dual_recording.recording\"")
            || !required.contains(&json!("dual_recording"))
    );

    let now = chrono::Utc::now().to_rfc3339();
    let body = json!({"investor_id": investor, "product_id": r4, "amount": "1000000", "signed_at": now,
                      "paid_at": now, "acknowledgments": required, "recording_ref": "REC-1"});
    let (status, order) = app.post("/v1/orders", "sales", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let items = order["evidence"]["mismatch_warning_signed"]
        .as_array()
        .expect("attached")
        .clone();
    let kinds: Vec<&str> = items.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["warning_letter", "investor_confirmation"],
        "{order}"
    );
    assert!(items.iter().all(|e| {
        e["ref"]
            .as_str()
            .is_some_and(|r| r.starts_with("signature:"))
    }));

    let (status, bundle) = app
        .get(
            &format!("/v1/orders/{}/evidence", order["id"].as_str().expect("id")),
            "compliance",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    assert_eq!(bundle["assessment"]["submitted_by"], "investor");
    let docs: Vec<&str> = bundle["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .filter_map(|s| s["document"].as_str())
        .collect();
    assert_eq!(docs, ["risk_disclosure", "mismatch_warning"], "{bundle}");
    let letter = &bundle["signatures"][1];
    assert_eq!(letter["typed_name"], "王小明");
    assert_eq!(letter["text_hash"].as_str().map(str::len), Some(64));
    assert_eq!(
        format!("signature:{}", letter["id"].as_str().unwrap_or("")),
        items[0]["ref"].as_str().unwrap_or("")
    );

    // Sales assess again (same level): the letter warned about another assessment's level.
    let qs = options_for(&app, "individual", birth).await;
    let (status, _) = app
        .post(
            &format!("/v1/investors/{investor}/assessments"),
            "sales",
            json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, 45)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut again = body;
    again["signed_at"] = json!(chrono::Utc::now().to_rfc3339());
    again["paid_at"] = again["signed_at"].clone();
    let got = app.post("/v1/orders", "sales", again.clone()).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "evidence_missing",
        Some("evidence.mismatch_warning_signed"),
    );
    // Nor can sales name the letter themselves: a signature is found by the service.
    let letter_id = items[0]["ref"].as_str().unwrap_or("").to_string();
    again["evidence"] = json!({"mismatch_warning_signed": [
        {"kind": "warning_letter", "ref": letter_id}, {"kind": "investor_confirmation", "ref": letter_id}]});
    let got = app.post("/v1/orders", "sales", again).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("evidence.mismatch_warning_signed[0]"),
    );
}

/// An institution has no birth date and its credit code is public: its link asks for the last 4
/// digits of the registered phone instead, and cannot be sent without one.
async fn an_institution_confirms_its_link_with_the_registered_phone(app: TestApp) {
    let onboard = |phone: Option<&str>| {
        let mut body = json!({"kind": "institution", "name": "某某资产管理有限公司", "id_number": credit_code(),
                              "net_assets": "20000000"});
        if let Some(p) = phone {
            body["phone"] = json!(p);
        }
        body
    };
    let (status, bare) = app.post("/v1/investors", "sales", onboard(None)).await;
    assert_eq!(status, StatusCode::CREATED, "{bare}");
    let path = format!(
        "/v1/investors/{}/invitations",
        bare["id"].as_str().expect("id")
    );
    let got = app.post(&path, "sales", json!({})).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("phone"),
    );

    let body = onboard(Some("13912345678"));
    let id_number = body["id_number"].as_str().expect("code").to_string();
    let (status, inst) = app.post("/v1/investors", "sales", body).await;
    assert_eq!(status, StatusCode::CREATED, "{inst}");
    let path = format!(
        "/v1/investors/{}/invitations",
        inst["id"].as_str().expect("id")
    );
    let (status, sent) = app.post(&path, "sales", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let url = sent["url"].as_str().expect("url").to_string();
    let last4: String = id_number
        .chars()
        .skip(id_number.chars().count() - 4)
        .collect();

    let mut v = Visitor::new(&app);
    let (_, page) = v.get(&url).await;
    assert!(
        page.contains("name=\"phone_last4\"") && !page.contains("name=\"birth_date\""),
        "{page}"
    );
    // The credit code alone (what anyone can look up) does not pass, with or without a date.
    for wrong in [
        vec![f("id_last4", &last4)],
        vec![f("id_last4", &last4), f("birth_date", "1990-01-01")],
        vec![f("id_last4", &last4), f("phone_last4", "0000")],
    ] {
        let (_, page) = v.get(&url).await;
        let (status, _) = v.post(&page, &format!("{url}/verify"), &wrong).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (_, page) = v.get(&url).await;
    let (status, _) = v
        .post(
            &page,
            &format!("{url}/verify"),
            &[f("id_last4", &last4), f("phone_last4", "5678")],
        )
        .await;
    assert!(status.is_redirection(), "{status}");
    let (_, page) = v.get(&url).await;
    assert!(page.contains("风险承受能力评估问卷"), "{page}");
}
