//! PostgreSQL with two roles: `suitability migrate --app-role ROLE` as the owner, `serve` as a
//! role with data rights only, which cannot drop or disable the trail's triggers, truncate, or
//! change the schema.

use std::process::Command;

use suitability::app::Application;
use suitability::store::Db;

use crate::common::{Backend, fresh_database_url, key_env, test_config};

/// `url` with `user` as the login.
fn as_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{user}@{host}")
}

async fn run(db: &Db, sql: &str) -> Result<(), String> {
    let Db::Postgres(p) = db else {
        unreachable!("PostgreSQL only")
    };
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(p)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_as_a_role_with_data_rights_only() {
    let dir = tempfile::tempdir().expect("dir");
    let owner_url = fresh_database_url(Backend::Postgres, dir.path()).await;
    let role = format!("app_{}", uuid::Uuid::now_v7().simple());
    let owner = Db::connect(&owner_url).await.expect("owner connects");
    run(&owner, &format!("CREATE ROLE {role} LOGIN"))
        .await
        .expect("role");
    let out = Command::new(env!("CARGO_BIN_EXE_suitability"))
        .args(["migrate", "--app-role", &role])
        .env("DATABASE_URL", &owner_url)
        .envs(key_env(&owner_url))
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The service starts and works as the data role.
    let app_url = as_user(&owner_url, &role);
    let app = Application::build(test_config(&app_url))
        .await
        .expect("serve as the data role");
    let (member, _) = suitability::store::staff::issue_token(
        &app.state().db,
        "roles-test",
        &[suitability::domain::Role::Sales],
        chrono::Duration::days(1),
    )
    .await
    .expect("writes rows and the trail");
    assert_eq!(member.name, "roles-test");
    // What someone with only the service's credentials cannot do.
    let data = Db::connect(&app_url).await.expect("data role connects");
    for sql in [
        "DROP TRIGGER audit_log_no_update ON audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "TRUNCATE audit_log",
        "DELETE FROM audit_log",
        "UPDATE rulesets SET files = '{}'",
        "CREATE TABLE smuggled (a int)",
        "DROP TABLE investors",
        "DELETE FROM _sqlx_migrations",
    ] {
        assert!(run(&data, sql).await.is_err(), "the data role could: {sql}");
    }
    // A pending migration stops the data role's start with what to do.
    run(
        &owner,
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .await
    .expect("owner edits the bookkeeping");
    let e = match Application::build(test_config(&app_url)).await {
        Ok(_) => panic!("started with a pending migration"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("suitability migrate"), "{e}");
    data.close().await;
    owner.close().await;
}
