//! The shipped questionnaires, as served.

use reqwest::StatusCode;

use crate::common::{TestApp, assert_error};
use crate::on_both;

on_both!(
    questionnaires_are_listed_and_served_in_full,
    an_unknown_questionnaire_is_404
);

/// regulation.md §Q, question by question: the points of each option in order.
pub const PUBLISHED_POINTS: [&[i64]; 20] = [
    &[3, 2, 1, 1, 0],
    &[1, 3, 4, 5, 6],
    &[3, 2, 1, 0],
    &[0, 1, 2, 3],
    &[5, 5, 5, 0],
    &[1, 2, 3, 5],
    &[1, 2, 3, 4],
    &[1, 3, 4, 6],
    &[0, 1, 2, 4, 6],
    &[1, 2, 3, 4, 0],
    &[1, 3, 5],
    &[2, 4, 5, 6, 6],
    &[0, 1, 3, 5, 6],
    &[0, 2, 3, 4],
    &[0, 2, 4, 6],
    &[7, 5, 4, 3, 1],
    &[5, 7, 3, 2, 0],
    &[5, 3, 1],
    &[1, 2, 4, 5],
    &[4, 3, 2, 1, 0],
];

async fn questionnaires_are_listed_and_served_in_full(app: TestApp) {
    let (status, list) = app.get("/v1/questionnaires", "sales").await;
    assert_eq!(status, StatusCode::OK);
    let items = list["items"].as_array().expect("items");
    let ids: Vec<&str> = items.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids, ["individual", "institution"]);
    for item in items {
        assert!(
            item["version"].is_i64() && item["title"].is_string() && item["applies_to"].is_string()
        );
    }
    let (status, q) = app.get("/v1/questionnaires/individual", "risk").await;
    assert_eq!(status, StatusCode::OK);
    let questions = q["questions"].as_array().expect("questions");
    assert_eq!(questions.len(), 20);
    for (i, (question, published)) in questions.iter().zip(PUBLISHED_POINTS).enumerate() {
        assert_eq!(question["id"], format!("q{}", i + 1));
        assert!(question["text"].as_str().is_some_and(|t| !t.is_empty()));
        let points: Vec<i64> = question["options"]
            .as_array()
            .expect("options")
            .iter()
            .map(|o| o["points"].as_i64().expect("points"))
            .collect();
        assert_eq!(points, published, "question {}", i + 1);
        let multiple = question["multiple"].as_bool().expect("multiple");
        assert_eq!(multiple, i == 8 || i == 11, "question {} multiple", i + 1);
        for (j, option) in question["options"]
            .as_array()
            .expect("options")
            .iter()
            .enumerate()
        {
            assert!(option["id"].is_string() && option["text"].is_string());
            assert_eq!(
                option["knock_out"],
                i == 14 && j == 0,
                "knock-out on q{} option {j}",
                i + 1
            );
        }
    }
    let bands: Vec<(String, i64, i64)> = q["bands"]
        .as_array()
        .expect("bands")
        .iter()
        .map(|b| {
            (
                b["level"].as_str().unwrap_or("").to_string(),
                b["min"].as_i64().unwrap_or(-1),
                b["max"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let expected = [
        ("C1", 0, 19),
        ("C2", 20, 36),
        ("C3", 37, 53),
        ("C4", 54, 82),
        ("C5", 83, 100),
    ];
    assert_eq!(bands, expected.map(|(l, a, b)| (l.to_string(), a, b)));
    let (_, inst) = app.get("/v1/questionnaires/institution", "sales").await;
    assert_eq!(inst["applies_to"], "institution");
    assert_eq!(inst["sample"], true);
}

async fn an_unknown_questionnaire_is_404(app: TestApp) {
    let got = app.get("/v1/questionnaires/nope", "sales").await;
    assert_error(&got, StatusCode::NOT_FOUND, "not_found", None);
}
