//! The test harness: a real server on a free port per test, with a fresh database of its own
//! (a SQLite file in a temporary folder, or a new PostgreSQL database on the cluster that
//! `SUITABILITY_TEST_PG` names), and one helper per HTTP verb.

use std::collections::HashMap;
use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::Value;
use suitability::app::Application;
use suitability::config::Config;
use suitability::domain::Role;
use suitability::http::AppState;
use suitability::store::staff::Staff;
use suitability::store::{Db, staff};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub database_url: String,
    /// The running service's state, for tests that call the workflows in process.
    pub state: AppState,
    /// The standard test staff, as the workflows take their actor.
    pub staff: HashMap<&'static str, Staff>,
    tokens: HashMap<&'static str, String>,
    _dir: tempfile::TempDir,
}

/// Runs each listed `async fn name(app: TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::TestApp::spawn($crate::common::Backend::Postgres).await).await
            }
        }
    )*};
}

/// A valid resident identity number (GB 11643) for someone born on `birth_date` (YYYY-MM-DD),
/// different at every call, so tests never onboard one person twice by accident.
pub fn resident_id(birth_date: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seq = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 1000;
    let first17 = format!("110101{}{seq:03}", birth_date.replace('-', ""));
    let check = suitability::domain::identity::resident_check_char(&first17).expect("17 digits");
    format!("{first17}{check}")
}

/// A valid unified social credit code (GB 32100), different at every call.
pub fn credit_code() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seq = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let first17 = format!("91310000MA{seq:07}");
    let check = suitability::domain::identity::credit_code_check_char(&first17).expect("17 chars");
    format!("{first17}{check}")
}

/// The data key the tests' PostgreSQL databases are sealed with (SQLite ones have a key file
/// beside the database), as the CLI takes it from the environment.
pub fn key_env(database_url: &str) -> Vec<(&'static str, String)> {
    if database_url.starts_with("postgres") {
        vec![("SUITABILITY_DATA_KEY", "7e".repeat(32))]
    } else {
        Vec::new()
    }
}

/// Runs the binary with `args` on `database_url` (and its data key): success, stdout + stderr.
pub fn cli(database_url: &str, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_suitability"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .envs(key_env(database_url))
        .output()
        .expect("binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs raw SQL on the test database, as someone with database access would.
pub async fn exec(app: &TestApp, sql: &str) {
    match &app.db {
        Db::Sqlite(p, _) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await
                .expect(sql);
        }
        Db::Postgres(p) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await
                .expect(sql);
        }
    }
}

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A database URL of `backend` that no other test uses.
pub async fn fresh_database_url(backend: Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("test.db").display()),
        Backend::Postgres => {
            let admin = std::env::var("SUITABILITY_TEST_PG").unwrap_or_else(|_| {
                panic!(
                    "the PostgreSQL suite needs SUITABILITY_TEST_PG=postgres://… (an empty cluster); \
                     `.ci/run` starts a throwaway one and sets it. Filter with `cargo test sqlite` to run only SQLite."
                )
            });
            let name = format!("t_{}", uuid::Uuid::now_v7().simple());
            let db = Db::connect(&admin)
                .await
                .expect("connect to SUITABILITY_TEST_PG");
            if let Db::Postgres(pool) = &db {
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(pool)
                    .await
                    .expect("create test database");
            }
            db.close().await;
            let (base, _) = admin
                .rsplit_once('/')
                .expect("a database in SUITABILITY_TEST_PG");
            format!("{base}/{name}")
        }
    }
}

pub fn test_config(database_url: &str) -> Config {
    let mut config = Config::with_database(database_url);
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.questionnaires_dir = repo_path("questionnaires");
    config.rules_dir = repo_path("rules");
    // Tests of periodic callbacks place orders signed a year and more ago; the 90-day default is
    // tested on its own (input::order_dates_before_2000_or_long_past_are_refused).
    config.policy.max_backdate_days = 3650;
    // Orders signed long ago have callbacks past due at once: tests run the sweep themselves.
    config.overdue_sweep = None;
    config.metrics_token = Some("metrics-token-for-the-tests-0123456789".into());
    if database_url.starts_with("postgres") {
        // SQLite gets a key file beside the database by default; PostgreSQL needs a configured key.
        config.data_key.key_hex = Some("7e".repeat(32));
    }
    config
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let database_url = fresh_database_url(backend, dir.path()).await;
        let mut config = test_config(&database_url);
        adjust(&mut config);
        let app = Application::build(config)
            .await
            .expect("application builds");
        let base = format!("http://{}", app.local_addr());
        let db = app.state().db.clone();
        let state = app.state().clone();
        tokio::spawn(app.run_until(std::future::pending()));
        let mut tokens = HashMap::new();
        let mut people = HashMap::new();
        for (name, role) in [
            ("sales", Role::Sales),
            ("sales2", Role::Sales),
            ("risk", Role::Risk),
            ("risk2", Role::Risk),
            ("planner", Role::Planner),
            ("planner2", Role::Planner),
            ("compliance", Role::Compliance),
            ("admin", Role::Admin),
        ] {
            let (member, token) = staff::issue_token(&db, name, &[role], chrono::Duration::days(1))
                .await
                .expect("token");
            tokens.insert(name, token);
            people.insert(name, member);
        }
        TestApp {
            base,
            client: reqwest::Client::new(),
            db,
            database_url,
            state,
            staff: people,
            tokens,
            _dir: dir,
        }
    }

    /// The token of one of the standard test staff: sales, sales2, risk, risk2, planner,
    /// planner2, compliance, admin.
    pub fn actor(&self, who: &str) -> &Staff {
        self.staff
            .get(who)
            .unwrap_or_else(|| panic!("no test staff '{who}'"))
    }

    pub fn token(&self, who: &str) -> &str {
        self.tokens
            .get(who)
            .unwrap_or_else(|| panic!("no test staff '{who}'"))
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        who: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(who) = who {
            req = req.bearer_auth(self.token(who));
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    /// A request with a raw body and Content-Type, for tests of how bodies are read; the status,
    /// headers and body text.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        who: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .body(body);
        if let Some(who) = who {
            req = req.bearer_auth(self.token(who));
        }
        if let Some(ct) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        (status, headers, resp.text().await.expect("body"))
    }

    pub async fn get(&self, path: &str, who: &str) -> (StatusCode, Value) {
        self.request(reqwest::Method::GET, path, Some(who), None)
            .await
    }

    pub async fn post(&self, path: &str, who: &str, body: Value) -> (StatusCode, Value) {
        self.request(reqwest::Method::POST, path, Some(who), Some(&body))
            .await
    }

    /// Creates an ordinary individual investor (as `sales`) and returns its id.
    pub async fn individual(&self, birth_date: &str) -> String {
        self.individual_named("测试投资者", birth_date).await.0
    }

    /// Creates an ordinary individual investor named `name` (as `sales`); returns its id and
    /// identity number.
    pub async fn individual_named(&self, name: &str, birth_date: &str) -> (String, String) {
        let id_number = resident_id(birth_date);
        let (status, body) = self
            .post(
                "/v1/investors",
                "sales",
                serde_json::json!({
                    "kind": "individual", "name": name, "id_number": id_number,
                    "birth_date": birth_date, "phone": "13800138000", "email": "investor@example.cn",
                    "financial_assets": "5000000", "avg_income_3y": "600000",
                    "evidence": proofs()
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (body["id"].as_str().expect("id").to_string(), id_number)
    }
}

/// A date `days` ago (YYYY-MM-DD).
pub fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// Proofs of assets renewed every 140 days over the last 600: whenever a test signs an order (up
/// to 400 days back), the newest proof issued by then is under 180 days old, as the shipped
/// rules ask.
pub fn proofs() -> serde_json::Value {
    (0..5)
        .map(|n| {
            serde_json::json!({"kind": "asset_proof", "ref": format!("档案/资产证明/{n:04}"),
                "issued_at": days_ago(30 + 140 * n)})
        })
        .collect()
}

/// Asserts an error response: status, code, and (when given) that `field` is among the details.
pub fn assert_error(
    got: &(StatusCode, Value),
    status: StatusCode,
    code: &str,
    field: Option<&str>,
) {
    let (s, body) = got;
    assert_eq!(*s, status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    if let Some(field) = field {
        let details = body["error"]["details"].as_array().expect("details");
        assert!(
            details.iter().any(|d| d["field"] == field),
            "no detail for {field}: {body}"
        );
    }
}
