//! A trail that cannot be rewritten: the chain is keyed, so recomputing it after an edit does
//! not verify; checkpoints kept outside the database catch truncation, emptying and rewriting;
//! the service writes them on its own.

use suitability::store::audit::{self, Entry};
use suitability::store::audit_key::ChainKey;

use crate::common::{Backend, TestApp, cli, exec};
use crate::suitability::{investor_at, product};

async fn lift_guards(app: &TestApp, backend: Backend) {
    let stmts: &[&str] = match backend {
        Backend::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
        Backend::Postgres => &[
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
            "ALTER TABLE audit_log DISABLE TRIGGER USER",
        ],
    };
    for s in stmts {
        exec(app, s).await;
    }
}

async fn entries(app: &TestApp) -> Vec<Entry> {
    let mut pooled = app.db.acquire().await.expect("conn");
    let f = audit::Filter {
        limit: 100_000,
        ..Default::default()
    };
    audit::list(&mut pooled.conn(), &f).await.expect("entries")
}

/// What an attacker with the database but not the key does: edit entry 10 and recompute every
/// hash from there on, as plain SHA-256 (`keyed` false) or as an HMAC under a guessed key.
async fn rewrite_forward(app: &TestApp, keyed: bool) {
    rewrite_from(app, 10, keyed).await
}

async fn rewrite_from(app: &TestApp, from: i64, keyed: bool) {
    let guess = ChainKey([0x42; 32]);
    let mut prev = audit::GENESIS.to_string();
    for mut e in entries(app).await {
        if e.seq < from {
            prev = e.hash.clone();
            continue;
        }
        if e.seq == from.max(10) {
            e.actor_roles = "admin".into();
        }
        e.prev_hash = prev.clone();
        e.keyed = keyed;
        e.hash = audit::entry_hash(&e, &guess);
        prev = e.hash.clone();
        let flag = if keyed { "TRUE" } else { "FALSE" };
        let flag = if matches!(app.db, suitability::store::Db::Sqlite(..)) {
            if keyed { "1" } else { "0" }
        } else {
            flag
        };
        exec(app, &format!(
            "UPDATE audit_log SET actor_roles = '{}', prev_hash = '{}', hash = '{}', keyed = {flag} WHERE seq = {}",
            e.actor_roles, e.prev_hash, e.hash, e.seq
        ))
        .await;
    }
}

async fn busy_app(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    investor_at(&app, "C3", "1980-01-01", None).await;
    product(&app, "TRL", "R3").await;
    app
}

async fn a_recomputed_chain_does_not_verify(backend: Backend) {
    for keyed in [false, true] {
        let app = busy_app(backend).await;
        lift_guards(&app, backend).await;
        rewrite_forward(&app, keyed).await;
        let (ok, out) = cli(&app.database_url, &["audit", "verify"]);
        assert!(
            !ok && out.contains("broken at entry 10"),
            "keyed {keyed}: {out}"
        );
    }
}

async fn checkpoints_catch_truncation_emptying_and_rewriting(backend: Backend) {
    for attack in ["truncate", "empty", "rewrite", "none"] {
        let app = busy_app(backend).await;
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("cp.json");
        let path = file.to_str().expect("utf-8");
        let (ok, out) = cli(&app.database_url, &["audit", "checkpoint", "--out", path]);
        assert!(ok, "{out}");
        // More entries after the checkpoint: the trail still extends it.
        product(&app, "TRL2", "R2").await;
        let n = entries(&app).await.len();
        lift_guards(&app, backend).await;
        match attack {
            "truncate" => {
                exec(
                    &app,
                    &format!("DELETE FROM audit_log WHERE seq > {}", n - 4),
                )
                .await
            }
            "empty" => exec(&app, "DELETE FROM audit_log").await,
            "rewrite" => rewrite_forward(&app, false).await,
            _ => {}
        }
        let (ok, out) = cli(
            &app.database_url,
            &["audit", "verify", "--checkpoint", path],
        );
        if attack == "none" {
            assert!(ok && out.contains("extending the checkpoint"), "{out}");
        } else {
            assert!(!ok && out.contains("does not extend"), "{attack}: {out}");
        }
        // Without the checkpoint, truncation and emptying leave a chain that verifies: that is
        // what the checkpoint is for.
        if attack == "truncate" || attack == "empty" {
            let (ok, _) = cli(&app.database_url, &["audit", "verify"]);
            assert!(ok, "{attack}: the shorter chain itself is consistent");
        }
    }
}

async fn an_edited_checkpoint_is_refused(backend: Backend) {
    let app = busy_app(backend).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("cp.json");
    let path = file.to_str().expect("utf-8");
    assert!(cli(&app.database_url, &["audit", "checkpoint", "--out", path]).0);
    let mut cp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    cp["entries"] = serde_json::json!(1);
    std::fs::write(&file, cp.to_string()).expect("write");
    let (ok, out) = cli(
        &app.database_url,
        &["audit", "verify", "--checkpoint", path],
    );
    assert!(!ok && out.contains("signature"), "{out}");
}

async fn the_service_writes_checkpoints_on_its_own(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let cps = dir.path().join("checkpoints");
    let cps2 = cps.clone();
    let app = TestApp::spawn_with(backend, move |c| {
        c.checkpoints = Some((cps2, std::time::Duration::from_millis(300)));
    })
    .await;
    investor_at(&app, "C3", "1980-01-01", None).await;
    let mut found = None;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        found = std::fs::read_dir(&cps)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
            .map(|e| e.path());
        if found.is_some() {
            break;
        }
    }
    let file = found.expect("a checkpoint was written");
    let (ok, out) = cli(
        &app.database_url,
        &[
            "audit",
            "verify",
            "--checkpoint",
            file.to_str().expect("utf-8"),
        ],
    );
    assert!(ok, "{out}");
}

macro_rules! both {
    ($($name:ident),*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(crate::common::Backend::Postgres).await
            }
        }
    )*};
}

/// The whole trail rewritten as entries from before keyed chains, the marker of how many
/// there were deleted: still no verification.
async fn a_trail_rewritten_as_unkeyed_does_not_verify(backend: Backend) {
    let app = busy_app(backend).await;
    lift_guards(&app, backend).await;
    rewrite_from(&app, 1, false).await;
    exec(&app, "DELETE FROM meta WHERE name = 'audit_legacy'").await;
    let (ok, out) = cli(&app.database_url, &["audit", "verify"]);
    assert!(!ok && out.contains("broken at entry 1"), "{out}");
    // Not even twice: opening the database does not accept them.
    let (ok, out) = cli(&app.database_url, &["audit", "verify"]);
    assert!(!ok, "{out}");
}

both!(
    a_trail_rewritten_as_unkeyed_does_not_verify,
    a_recomputed_chain_does_not_verify,
    checkpoints_catch_truncation_emptying_and_rewriting,
    an_edited_checkpoint_is_refused,
    the_service_writes_checkpoints_on_its_own
);

/// Stored rule files are immutable in the database itself; only the status moves.
async fn stored_rule_files_cannot_be_edited_or_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for sql in [
        "UPDATE rulesets SET files = '{}' WHERE version = 1",
        "UPDATE rulesets SET note = 'rewritten' WHERE version = 1",
        "DELETE FROM rulesets WHERE version = 1",
    ] {
        let refused = match &app.db {
            suitability::store::Db::Sqlite(p, _) => sqlx::query(sql).execute(p).await.is_err(),
            suitability::store::Db::Postgres(p) => sqlx::query(sql).execute(p).await.is_err(),
        };
        assert!(refused, "{sql} was allowed");
    }
    exec(
        &app,
        "UPDATE rulesets SET retired_at = activated_at WHERE version = 1",
    )
    .await;
}

both!(stored_rule_files_cannot_be_edited_or_deleted);

/// Every row a flow changes is explained by the trail, and a row edited in the database, or
/// written without an entry, is reported.
async fn rows_are_explained_by_the_trail_and_edits_are_reported(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let p = product(&app, "ROW3", "R3").await;
    let order = crate::orders::place(
        &app,
        &investor,
        &p,
        chrono::Duration::hours(25),
        serde_json::json!([]),
    )
    .await;
    let (status, body) = crate::callbacks::confirm(&app, &order, "tel/row.wav").await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let (status, body) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/v1/products/{p}"),
            Some("risk"),
            Some(&serde_json::json!({"risk_rating": "R4"})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let complaint = serde_json::json!({"investor_id": investor, "channel": "phone", "category": "service",
        "content": "x", "received_at": chrono::Utc::now().to_rfc3339()});
    let (_, c) = app.post("/v1/complaints", "sales", complaint).await;
    let cid = c["id"].as_str().expect("complaint");
    let (status, body) = app
        .post(
            &format!("/v1/complaints/{cid}/resolve"),
            "compliance",
            serde_json::json!({"resolution": "已处理"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let files = crate::rulesets::files_with_annual_review();
    let (status, up) = app
        .post(
            "/v1/rulesets",
            "risk",
            serde_json::json!({"files": files, "note": "rows"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{up}");
    let (status, act) = app
        .post("/v1/rulesets/2/activate", "risk2", serde_json::json!({}))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{act}");
    // A second order whose confirmation fails: rescinded, its other callbacks cancelled.
    let p2 = product(&app, "ROW2", "R3").await;
    let second = crate::orders::place(
        &app,
        &investor,
        &p2,
        chrono::Duration::hours(25),
        serde_json::json!([]),
    )
    .await;
    let cb = second["callbacks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["kind"] == "confirmation"))
        .and_then(|c| c["id"].as_str())
        .expect("confirmation")
        .to_string();
    let (status, _) = app
        .post(
            &format!("/v1/callbacks/{cb}/claim"),
            "planner",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let (_, detail) = app.get(&format!("/v1/callbacks/{cb}"), "planner").await;
    let mut answers = serde_json::Map::new();
    for (i, check) in detail["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .enumerate()
    {
        answers.insert(
            check["code"].as_str().expect("code").to_string(),
            serde_json::json!(i != 0),
        );
    }
    let body = serde_json::json!({"method": "phone", "reached": true, "answers": answers, "recording_ref": "tel/2.wav"});
    let (status, out) = app
        .post(&format!("/v1/callbacks/{cb}/outcome"), "planner", body)
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{out}");
    let unexplained = {
        let mut pooled = app.db.acquire().await.expect("conn");
        audit::verify_rows(&mut pooled.conn()).await.expect("rows")
    };
    assert_eq!(unexplained, Vec::new(), "after the flow");
    // Edits behind the service's back.
    let oid = order["id"].as_str().expect("order");
    exec(
        &app,
        &format!("UPDATE orders SET amount = '1' WHERE id = '{oid}'"),
    )
    .await;
    exec(&app, &format!("UPDATE investors SET sales_owner_id = (SELECT id FROM staff WHERE name = 'sales2') WHERE id = '{investor}'")).await;
    let (ok, out) = cli(&app.database_url, &["audit", "verify", "--rows"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("row order {oid}: changed since")),
        "{out}"
    );
    assert!(
        out.contains(&format!("row investor {investor}: changed since")),
        "{out}"
    );
    assert!(out.contains("2 rows are not explained"), "{out}");
}

both!(rows_are_explained_by_the_trail_and_edits_are_reported);
