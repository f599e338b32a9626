//! Personal data: sealed at rest, masked in responses, revealed only to compliance and admin
//! (and audited), found by identity number through a keyed hash.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Backend, TestApp, assert_error};
use crate::on_both;

on_both!(
    personal_data_is_masked_revealed_on_request_and_found_by_id_number,
    lookups_are_audited_scoped_and_limited,
);

/// A valid resident number for 1999-12-31 (GB 11643 check digit computed).
fn id_number() -> String {
    let first17 = "44030519991231987";
    let check = suitability::domain::identity::resident_check_char(first17).expect("digits");
    format!("{first17}{check}")
}
const PHONE: &str = "13912345678";
const EMAIL: &str = "secret.person@example.cn";

async fn create(app: &TestApp) -> String {
    let (status, created) = app
        .post(
            "/v1/investors",
            "sales",
            json!({"kind": "individual", "name": "隐私测试", "id_number": id_number(), "birth_date": "1999-12-31",
                   "phone": PHONE, "email": EMAIL, "financial_assets": 3000000}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let masked = format!("4403**********{}", &id_number()[14..]);
    assert_eq!(created["id_number"], masked.as_str());
    assert_eq!(created["phone"], "139****5678");
    assert_eq!(created["email"], "s***@example.cn");
    // Beside the masked number the birth date would leave two digits to guess: only the age.
    assert!(created.get("birth_date").is_none(), "{created}");
    assert!(created["age"].is_number());
    created["id"].as_str().expect("id").to_string()
}

async fn personal_data_is_masked_revealed_on_request_and_found_by_id_number(app: TestApp) {
    let id = create(&app).await;
    let (_, masked) = app.get(&format!("/v1/investors/{id}"), "risk").await;
    assert_eq!(
        masked["id_number"],
        format!("4403**********{}", &id_number()[14..]).as_str()
    );
    assert!(masked.get("birth_date").is_none(), "{masked}");
    let got = app
        .get(&format!("/v1/investors/{id}?reveal=true"), "sales")
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "forbidden", None);
    let (status, clear) = app
        .get(&format!("/v1/investors/{id}?reveal=true"), "compliance")
        .await;
    assert_eq!(status, StatusCode::OK, "{clear}");
    assert_eq!(
        (
            clear["id_number"].as_str(),
            clear["phone"].as_str(),
            clear["email"].as_str(),
            clear["birth_date"].as_str(),
        ),
        (
            Some(id_number().as_str()),
            Some(PHONE),
            Some(EMAIL),
            Some("1999-12-31")
        )
    );
    let (_, trail) = app
        .get(
            &format!("/v1/audit?entity=investor&entity_id={id}"),
            "compliance",
        )
        .await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["investor.create", "investor.reveal"]);
    assert_eq!(trail["items"][1]["actor_roles"], "compliance");
    // The number no longer goes in a URL.
    let got = app
        .get(&format!("/v1/investors?id_number={}", id_number()), "sales")
        .await;
    assert_error(&got, StatusCode::BAD_REQUEST, "malformed_request", None);
}

async fn lookups_are_audited_scoped_and_limited(app: TestApp) {
    let id = create(&app).await;
    let lookup = |who: &'static str, number: String| {
        let app = &app;
        async move {
            app.post("/v1/investors/lookup", who, json!({"id_number": number}))
                .await
        }
    };
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["id"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Found by its owner, in lower case too; another sales person finds nothing.
    let (status, found) = lookup("sales", id_number().to_lowercase()).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(ids(&found), std::slice::from_ref(&id));
    assert_eq!(
        ids(&lookup("sales2", id_number()).await.1),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&lookup("compliance", id_number()).await.1),
        std::slice::from_ref(&id)
    );
    let (_, trail) = app
        .get("/v1/audit?entity=investor&limit=200", "compliance")
        .await;
    let lookups = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "investor.lookup")
        .count();
    assert_eq!(lookups, 3, "{trail}");
    // 30 a minute per staff member, then 429; others are not affected.
    let mut statuses = Vec::new();
    for _ in 0..29 {
        statuses.push(lookup("sales2", "000000000000000000".into()).await.0);
    }
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let got = lookup("sales2", id_number()).await;
    assert_error(
        &got,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        None,
    );
    assert_eq!(lookup("sales", id_number()).await.0, StatusCode::OK);
}

/// Every byte the database keeps: no identity number, phone or e-mail in the clear.
async fn no_plaintext_personal_data_in_the_database(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    create(&app).await;
    let number = id_number();
    let needles = [number.as_str(), PHONE, EMAIL];
    match &app.db {
        suitability::store::Db::Sqlite(p, _) => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(p)
                .await
                .expect("checkpoint");
            let path = app.database_url.trim_start_matches("sqlite://").to_string();
            let mut bytes = std::fs::read(&path).expect("db file");
            bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                text.contains("隐私测试"),
                "the file is readable (names are not personal data here)"
            );
            for n in needles {
                assert!(!text.contains(n), "{n} is in the database file");
            }
            // The key file beside the database is the owner's alone.
            let key = std::path::PathBuf::from(&path).with_extension("key");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&key)
                    .expect("key file")
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "{mode:o}");
            }
        }
        suitability::store::Db::Postgres(p) => {
            let tables: Vec<(String,)> =
                sqlx::query_as("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                    .fetch_all(p)
                    .await
                    .expect("tables");
            let mut dump = String::new();
            for (t,) in tables {
                let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT t::text FROM \"{t}\" t"
                )))
                .fetch_all(p)
                .await
                .expect("rows");
                dump.extend(rows.into_iter().map(|(r,)| r));
            }
            assert!(dump.contains("隐私测试"));
            for n in needles {
                assert!(!dump.contains(n), "{n} is stored in the clear");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_plaintext_personal_data_in_the_database_sqlite() {
    no_plaintext_personal_data_in_the_database(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_plaintext_personal_data_in_the_database_postgres() {
    no_plaintext_personal_data_in_the_database(Backend::Postgres).await;
}
