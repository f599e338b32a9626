//! The binary's `token create`: the token alone on the last line of stdout, usable at once.

use std::process::Command;

use reqwest::StatusCode;

use crate::common::{Backend, TestApp, fresh_database_url};

fn token_create(database_url: &str, name: &str, roles: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_suitability"))
        .args(["token", "create", "--name", name, "--role", roles])
        .env("DATABASE_URL", database_url)
        .output()
        .expect("binary runs")
}

async fn token_create_prints_a_working_token_on_the_last_line(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let out = token_create(&app.database_url, "carol", "risk,compliance");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    let token = stdout.lines().last().expect("a line").trim().to_string();
    assert!(token.starts_with("sut_") && token.len() > 40, "{stdout}");
    let resp = app
        .client
        .get(format!("{}/v1/questionnaires", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    // The role list is enforced: risk+compliance may not onboard investors.
    let resp = app
        .client
        .post(format!("{}/v1/investors", app.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Only the hash is stored.
    let stored: Vec<(String,)> = match &app.db {
        suitability::store::Db::Sqlite(p) => sqlx::query_as("SELECT token_hash FROM tokens")
            .fetch_all(p)
            .await
            .expect("q"),
        suitability::store::Db::Postgres(p) => sqlx::query_as("SELECT token_hash FROM tokens")
            .fetch_all(p)
            .await
            .expect("q"),
    };
    assert!(
        stored
            .iter()
            .all(|(h,)| h != &token && !h.contains(&token[4..]))
    );
}

async fn token_create_refuses_unknown_roles(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database_url(backend, dir.path()).await;
    let out = token_create(&url, "dave", "sales,boss");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role 'boss'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_create_sqlite() {
    token_create_prints_a_working_token_on_the_last_line(Backend::Sqlite).await;
    token_create_refuses_unknown_roles(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_create_postgres() {
    token_create_prints_a_working_token_on_the_last_line(Backend::Postgres).await;
    token_create_refuses_unknown_roles(Backend::Postgres).await;
}

#[tokio::test]
async fn an_invalid_questionnaire_stops_the_start_naming_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    let qdir = dir.path().join("q");
    std::fs::create_dir(&qdir).expect("mkdir");
    std::fs::write(qdir.join("broken.toml"), "id = \"x\"\nversion = 1\ntitle = \"t\"\napplies_to = \"individual\"\nquestions = []\nbands = []\n")
        .expect("write");
    let mut config = crate::common::test_config(&format!(
        "sqlite://{}",
        dir.path().join("db.sqlite").display()
    ));
    config.questionnaires_dir = qdir;
    let err = suitability::app::Application::build(config)
        .await
        .err()
        .expect("start refused");
    let text = err.to_string();
    assert!(
        text.contains("broken.toml") && text.contains("at least one question"),
        "{text}"
    );
}
