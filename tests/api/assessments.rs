//! Scoring the shipped individual questionnaire: the published table, multiple choice, the
//! knock-out, the band edges, validation, back-dating and validity.

use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::common::{TestApp, assert_error};
use crate::on_both;

on_both!(
    band_edges_map_scores_to_levels,
    highest_and_lowest_answers_score_100_and_the_minimum,
    multiple_choice_scores_the_highest_option,
    the_knock_out_forces_c1_and_lowest_category,
    bad_answers_are_named_and_nothing_is_stored,
    only_risk_and_admin_may_back_date,
    the_latest_assessment_by_date_is_the_level_valid_or_not,
);

/// A question id with its options as (id, points, knock_out).
pub type Question = (String, Vec<(String, i64, bool)>);

/// The questionnaire's options per question that an investor born on `1980-01-01` (the tests'
/// usual investor, declaring 5,000,000 of financial assets) may choose without contradicting
/// their facts.
pub async fn options(app: &TestApp, id: &str) -> Vec<Question> {
    options_for(app, id, "1980-01-01").await
}

/// The same for an investor born on `birth_date` (YYYY-MM-DD) with 5,000,000 of financial assets.
pub async fn options_for(app: &TestApp, id: &str, birth_date: &str) -> Vec<Question> {
    let born = chrono::NaiveDate::parse_from_str(birth_date, "%Y-%m-%d").expect("date");
    let today = chrono::Utc::now().date_naive();
    let mut age = i64::from(chrono::Datelike::year(&today) - chrono::Datelike::year(&born));
    if (
        chrono::Datelike::month(&today),
        chrono::Datelike::day(&today),
    ) < (chrono::Datelike::month(&born), chrono::Datelike::day(&born))
    {
        age -= 1;
    }
    let consistent = |o: &Value| {
        let ages_ok = o["age_range"].as_array().is_none_or(|r| {
            (r[0].as_i64().unwrap_or(0)..=r[1].as_i64().unwrap_or(0)).contains(&age)
        });
        let assets_ok = o["assets_below"].as_i64().is_none_or(|b| b > 5_000_000);
        ages_ok && assets_ok
    };
    all_options(app, id, consistent).await
}

/// Every option of the questionnaire, contradicting or not.
pub async fn all_options(app: &TestApp, id: &str, keep: impl Fn(&Value) -> bool) -> Vec<Question> {
    let (_, q) = app.get(&format!("/v1/questionnaires/{id}"), "sales").await;
    q["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|question| {
            let opts = question["options"]
                .as_array()
                .expect("options")
                .iter()
                .filter(|o| keep(o))
                .map(|o| {
                    (
                        o["id"].as_str().unwrap_or("").to_string(),
                        o["points"].as_i64().unwrap_or(0),
                        o["knock_out"] == true,
                    )
                })
                .collect();
            (question["id"].as_str().unwrap_or("").to_string(), opts)
        })
        .collect()
}

/// Single-option answers (no knock-out) that sum exactly to `target`, found by dynamic programming.
/// The flags of an assessment about its grading, without the contradictions between the
/// answers and the investor's facts (the helper answers by points, not by the investor's age).
pub fn grading_flags(body: &Value) -> Vec<String> {
    body["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|f| *f != "answers_contradict_facts" && !f.starts_with("contradiction:"))
        .map(String::from)
        .collect()
}

pub fn answers_scoring(qs: &[Question], target: i64) -> Map<String, Value> {
    let n = qs.len();
    let t = target as usize;
    // reach[i][s]: the option chosen at question i-1 to reach sum s with the first i questions.
    let mut reach: Vec<Vec<Option<usize>>> = vec![vec![None; t + 1]; n + 1];
    let mut possible = vec![vec![false; t + 1]; n + 1];
    possible[0][0] = true;
    for i in 0..n {
        for s in 0..=t {
            if !possible[i][s] {
                continue;
            }
            for (k, (_, points, knock_out)) in qs[i].1.iter().enumerate() {
                let next = s + *points as usize;
                if !knock_out && next <= t && !possible[i + 1][next] {
                    possible[i + 1][next] = true;
                    reach[i + 1][next] = Some(k);
                }
            }
        }
    }
    assert!(possible[n][t], "no answers score {target}");
    let mut out = Map::new();
    let mut s = t;
    for i in (1..=n).rev() {
        let k = reach[i][s].expect("path");
        let (qid, opts) = &qs[i - 1];
        out.insert(qid.clone(), json!(opts[k].0));
        s -= opts[k].1 as usize;
    }
    out
}

async fn assess(app: &TestApp, investor: &str, answers: Map<String, Value>) -> (StatusCode, Value) {
    app.post(
        &format!("/v1/investors/{investor}/assessments"),
        "sales",
        json!({"questionnaire_id": "individual", "answers": answers}),
    )
    .await
}

async fn band_edges_map_scores_to_levels(app: TestApp) {
    let qs = options(&app, "individual").await;
    let edges = [
        (19, "C1"),
        (20, "C2"),
        (36, "C2"),
        (37, "C3"),
        (53, "C3"),
        (54, "C4"),
        (82, "C4"),
        (83, "C5"),
    ];
    for (score, level) in edges {
        // An investor each: one investor retaking eight times would be coaching (and refused).
        let investor = app.individual("1985-03-03").await;
        let (status, body) = assess(&app, &investor, answers_scoring(&qs, score)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["score"], score);
        assert_eq!(body["level"], level, "score {score}");
        assert_eq!(grading_flags(&body), Vec::<String>::new());
        let breakdown_total: i64 = body["breakdown"]
            .as_array()
            .expect("breakdown")
            .iter()
            .map(|b| b["points"].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(breakdown_total, score);
    }
}

async fn highest_and_lowest_answers_score_100_and_the_minimum(app: TestApp) {
    let qs = all_options(&app, "individual", |_| true).await;
    let investor = app.individual("1985-03-03").await;
    let best: Map<String, Value> = qs
        .iter()
        .map(|(q, opts)| {
            let top = opts
                .iter()
                .max_by_key(|o| o.1)
                .map(|o| o.0.clone())
                .unwrap_or_default();
            (q.clone(), json!(top))
        })
        .collect();
    let (status, body) = assess(&app, &investor, best).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (body["score"].as_i64(), body["level"].as_str()),
        (Some(100), Some("C5"))
    );
    assert_eq!(body["questionnaire_version"], 3);
    assert_eq!(body["questionnaire_hash"].as_str().map(str::len), Some(64));
    let (_, investor_view) = app.get(&format!("/v1/investors/{investor}"), "sales").await;
    assert_eq!(investor_view["assessment"]["level"], "C5");
    assert_eq!(investor_view["assessment"]["score"], 100);
    assert_eq!(investor_view["assessment"]["valid"], true);
}

async fn multiple_choice_scores_the_highest_option(app: TestApp) {
    let qs = options(&app, "individual").await;
    let investor = app.individual("1985-03-03").await;
    // Base: a known total of 40 with single answers, then q9 (bank deposits 0 / futures 4 /
    // complex products 6) answered with several options.
    let mut answers = answers_scoring(&qs, 40);
    let q9_before = qs[8]
        .1
        .iter()
        .find(|o| Value::String(o.0.clone()) == answers["q9"])
        .map(|o| o.1)
        .expect("q9");
    answers.insert("q9".into(), json!(["a", "d", "b"]));
    let (status, body) = assess(&app, &investor, answers).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["score"].as_i64(), Some(40 - q9_before + 4));
    let q9 = body["breakdown"]
        .as_array()
        .expect("breakdown")
        .iter()
        .find(|b| b["question"] == "q9")
        .cloned()
        .expect("q9");
    assert_eq!(q9["points"], 4);
    assert_eq!(q9["options"], json!(["a", "d", "b"]));
}

async fn the_knock_out_forces_c1_and_lowest_category(app: TestApp) {
    let qs = options(&app, "individual").await;
    let investor = app.individual("1985-03-03").await;
    let mut answers = answers_scoring(&qs, 90);
    answers.insert("q15".into(), json!("a"));
    let (status, body) = assess(&app, &investor, answers).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["level"], "C1");
    assert_eq!(grading_flags(&body), ["lowest_category"]);
    assert!(
        body["score"].as_i64().unwrap_or(0) > 19,
        "the score is kept, the level is forced"
    );
}

async fn bad_answers_are_named_and_nothing_is_stored(app: TestApp) {
    let qs = options(&app, "individual").await;
    let investor = app.individual("1985-03-03").await;
    let base = answers_scoring(&qs, 50);
    let with = |k: &str, v: Value| {
        let mut a = base.clone();
        a.insert(k.into(), v);
        json!({"questionnaire_id": "individual", "answers": a})
    };
    let mut missing = base.clone();
    missing.remove("q7");
    let cases = vec![
        (with("q3", json!("z")), "answers.q3"),
        (with("q99", json!("a")), "answers.q99"),
        (
            json!({"questionnaire_id": "individual", "answers": missing}),
            "answers.q7",
        ),
        (with("q1", json!(["a", "b"])), "answers.q1"),
        (with("q9", json!([])), "answers.q9"),
        (with("q9", json!(["a", "a"])), "answers.q9"),
        (with("q2", json!(3)), "answers.q2"),
        (
            json!({"questionnaire_id": "institution", "answers": base.clone()}),
            "questionnaire_id",
        ),
        (
            json!({"questionnaire_id": "nope", "answers": base.clone()}),
            "questionnaire_id",
        ),
        (json!({"answers": base.clone()}), "questionnaire_id"),
    ];
    let path = format!("/v1/investors/{investor}/assessments");
    for (body, field) in cases {
        let got = app.post(&path, "sales", body).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    let got = app
        .post(
            &path,
            "sales",
            json!({"questionnaire_id": "individual", "answers": base.clone()}),
        )
        .await;
    assert_eq!(got.0, StatusCode::CREATED);
    let (_, list) = app.get(&path, "sales").await;
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(1),
        "only the good one was stored"
    );
    let got = app
        .post(
            "/v1/investors/nobody/assessments",
            "sales",
            json!({"questionnaire_id": "individual", "answers": base}),
        )
        .await;
    assert_error(&got, StatusCode::NOT_FOUND, "not_found", None);
}

async fn only_risk_and_admin_may_back_date(app: TestApp) {
    let qs = options(&app, "individual").await;
    let investor = app.individual("1985-03-03").await;
    let path = format!("/v1/investors/{investor}/assessments");
    let body = json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, 60), "assessed_at": "2025-06-01T08:00:00Z"});
    let got = app.post(&path, "sales", body.clone()).await;
    assert_error(&got, StatusCode::FORBIDDEN, "forbidden", None);
    for who in ["risk", "admin"] {
        let (status, created) = app.post(&path, who, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["assessed_at"], "2025-06-01T08:00:00Z");
        assert_eq!(created["valid_until"], "2028-06-01T08:00:00Z");
    }
    let future = json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, 60), "assessed_at": "2099-01-01T00:00:00Z"});
    let got = app.post(&path, "risk", future).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("assessed_at"),
    );
}

async fn the_latest_assessment_by_date_is_the_level_valid_or_not(app: TestApp) {
    let qs = options(&app, "individual").await;
    let investor = app.individual("1985-03-03").await;
    let path = format!("/v1/investors/{investor}/assessments");
    // A paper record from four years ago: expired.
    let old = json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, 90), "assessed_at": "2022-01-10T02:00:00Z"});
    assert_eq!(app.post(&path, "risk", old).await.0, StatusCode::CREATED);
    let (_, view) = app.get(&format!("/v1/investors/{investor}"), "sales").await;
    assert_eq!(view["assessment"]["level"], "C5");
    assert_eq!(view["assessment"]["valid"], false);
    // Today's assessment becomes the level.
    assert_eq!(
        assess(&app, &investor, answers_scoring(&qs, 40)).await.0,
        StatusCode::CREATED
    );
    // A later-imported but older paper record does not displace it.
    let older = json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, 25), "assessed_at": "2025-01-10T02:00:00Z"});
    assert_eq!(app.post(&path, "admin", older).await.0, StatusCode::CREATED);
    let (_, view) = app.get(&format!("/v1/investors/{investor}"), "sales").await;
    assert_eq!(view["assessment"]["level"], "C3");
    assert_eq!(view["assessment"]["score"], 40);
    assert_eq!(view["assessment"]["valid"], true);
}
