//! The binary's `token create | list | revoke`: the token alone on the last line of stdout,
//! usable at once; listed without it; revoked.

use std::process::Command;

use reqwest::StatusCode;

use crate::common::{Backend, TestApp, cli, fresh_database_url};

fn token_create(database_url: &str, name: &str, roles: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_suitability"))
        .args(["token", "create", "--name", name, "--role", roles])
        .env("DATABASE_URL", database_url)
        .envs(crate::common::key_env(database_url))
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
        suitability::store::Db::Sqlite(p, _) => sqlx::query_as("SELECT token_hash FROM tokens")
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

/// `token list` shows ids and times but never a token; `token revoke ID` stops it within a
/// second; `--expires-in-days` is bounded.
async fn token_list_and_revoke(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let url = app.database_url.clone();
    let (ok, created) = cli(
        &url,
        &[
            "token",
            "create",
            "--name",
            "erin",
            "--role",
            "risk",
            "--expires-in-days",
            "7",
        ],
    );
    assert!(ok, "{created}");
    let token = created.lines().last().expect("token").trim().to_string();
    let (ok, listed) = cli(&url, &["token", "list"]);
    assert!(ok, "{listed}");
    assert!(!listed.contains(&token[4..]), "the list shows a token");
    let line = listed
        .lines()
        .find(|l| l.contains("\terin\t"))
        .expect("erin listed")
        .to_string();
    let id = line.split('\t').next().expect("id").to_string();
    let get = |t: String| {
        let app = &app;
        async move {
            app.client
                .get(format!("{}/v1/products", app.base))
                .bearer_auth(t)
                .send()
                .await
                .expect("sent")
                .status()
        }
    };
    assert_eq!(get(token.clone()).await, StatusCode::OK);
    let (ok, out) = cli(&url, &["token", "revoke", &id]);
    assert!(ok, "{out}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(get(token).await, StatusCode::UNAUTHORIZED);
    let (ok, out) = cli(
        &url,
        &[
            "token",
            "create",
            "--name",
            "x",
            "--role",
            "risk",
            "--expires-in-days",
            "0",
        ],
    );
    assert!(!ok && out.contains("expires_in_days"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_create_sqlite() {
    token_create_prints_a_working_token_on_the_last_line(Backend::Sqlite).await;
    token_create_refuses_unknown_roles(Backend::Sqlite).await;
    token_list_and_revoke(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_create_postgres() {
    token_create_prints_a_working_token_on_the_last_line(Backend::Postgres).await;
    token_create_refuses_unknown_roles(Backend::Postgres).await;
    token_list_and_revoke(Backend::Postgres).await;
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

/// A validity beyond the regulation's 36 months (or a cooling-off under 24 hours) refuses to
/// start, through the binary as well.
#[tokio::test]
async fn a_validity_over_36_months_refuses_to_start() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let mut config = crate::common::test_config(&url);
    config.policy.assessment_validity_months = 120;
    let err = suitability::app::Application::build(config)
        .await
        .err()
        .expect("start refused");
    assert!(err.to_string().contains("at most 3 years"), "{err}");
    let mut config = crate::common::test_config(&url);
    config.policy.callbacks.cooling_off_hours = 12;
    let err = suitability::app::Application::build(config)
        .await
        .err()
        .expect("start refused");
    assert!(err.to_string().contains("at least 24"), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_suitability"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        .env("SUITABILITY_ASSESSMENT_VALIDITY_MONTHS", "120")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 3 years"));
}
