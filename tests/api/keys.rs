//! The data key cannot be swapped silently: another key, a deleted key file, or a key file
//! others may read stop the start with a message saying which.

use suitability::app::Application;

use crate::common::{Backend, TestApp, cli, test_config};

async fn start_error(config: suitability::config::Config) -> String {
    match Application::build(config).await {
        Ok(_) => panic!("the start was not refused"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_refuses_another_key_a_missing_key_file_and_a_readable_one() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.individual("1980-01-01").await;
    let path = app.database_url.trim_start_matches("sqlite://").to_string();
    let key_file = std::path::PathBuf::from(&path).with_extension("key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [path.clone(), format!("{path}-wal")] {
            let mode = std::fs::metadata(&file).expect("file").permissions().mode();
            assert_eq!(mode & 0o077, 0, "{file} is {:o}", mode & 0o777);
        }
    }
    // Another key.
    let mut config = test_config(&app.database_url);
    config.data_key.key_hex = Some("8f".repeat(32));
    let e = start_error(config).await;
    assert!(e.contains("not the one this database"), "{e}");
    // The key file deleted: no new key is made for sealed data.
    let saved = std::fs::read(&key_file).expect("key file");
    std::fs::remove_file(&key_file).expect("removed");
    let e = start_error(test_config(&app.database_url)).await;
    assert!(e.contains("is missing"), "{e}");
    assert!(!key_file.exists(), "a new key file was created");
    // Restored but readable by others.
    std::fs::write(&key_file, &saved).expect("restored");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = start_error(test_config(&app.database_url)).await;
        assert!(e.contains("may be read by others"), "{e}");
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    // The right key starts.
    Application::build(test_config(&app.database_url))
        .await
        .expect("the right key starts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refuses_another_key_or_none() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.individual("1980-01-01").await;
    let mut config = test_config(&app.database_url);
    config.data_key.key_hex = Some("8f".repeat(32));
    let e = start_error(config).await;
    assert!(e.contains("not the one this database"), "{e}");
    let mut config = test_config(&app.database_url);
    config.data_key.key_hex = None;
    let e = start_error(config).await;
    assert!(e.contains("no key configured"), "{e}");
    Application::build(test_config(&app.database_url))
        .await
        .expect("the right key starts");
}

fn new_key_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("new.key");
    std::fs::write(&path, format!("{}\n", "5a".repeat(32))).expect("key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    path
}

/// `keys rotate`: interrupted after one investor, resumed, finished; then only the new key
/// starts, every investor opens and is found by number, and the trail still verifies against
/// a checkpoint taken before.
async fn rotation_reseals_everything_and_resumes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut ids = Vec::new();
    for year in ["1970-01-01", "1980-01-01", "1990-01-01"] {
        ids.push(app.individual(year).await);
    }
    let (_, before) = app
        .get(
            &format!("/v1/investors/{}?reveal=true", ids[1]),
            "compliance",
        )
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let cp = dir.path().join("cp.json");
    assert!(
        cli(
            &app.database_url,
            &["audit", "checkpoint", "--out", cp.to_str().expect("utf-8")]
        )
        .0
    );
    let new_file = new_key_file(dir.path());
    // An interrupted run: the rotation is marked and one investor re-sealed.
    let new_vault = suitability::vault::Vault::from_key([0x5a; 32]);
    {
        let old = suitability::vault::Vault::load(
            &suitability::app::key_source(&test_config(&app.database_url)),
            false,
        )
        .expect("old key");
        let mut tx = app.db.begin().await.expect("tx");
        suitability::store::meta::set(&mut tx.conn(), "key_rotation_to", &new_vault.fingerprint())
            .await
            .expect("mark");
        suitability::store::investors::reseal_page(&mut tx.conn(), &old, &new_vault, "", 1)
            .await
            .expect("one");
        tx.commit().await.expect("commit");
    }
    let e = start_error(test_config(&app.database_url)).await;
    assert!(e.contains("rotation") && e.contains("under way"), "{e}");
    let (ok, out) = cli(
        &app.database_url,
        &[
            "keys",
            "rotate",
            "--new-key-file",
            new_file.to_str().expect("utf-8"),
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("re-sealed 3/3"), "{out}");
    // The old key no longer starts; the new one does, and everything opens.
    let e = start_error(test_config(&app.database_url)).await;
    assert!(e.contains("not the one this database"), "{e}");
    let mut config = test_config(&app.database_url);
    config.data_key.key_hex = Some("5a".repeat(32));
    let rotated = Application::build(config)
        .await
        .expect("starts with the new key");
    let state = rotated.state().clone();
    let admin = app.actor("compliance").clone();
    let ctx = state.ctx();
    let mut pooled = state.db.acquire().await.expect("conn");
    for id in &ids {
        suitability::workflow::investors::get(&mut pooled.conn(), &ctx, &admin, id, true)
            .await
            .expect("opens under the new key");
    }
    let again =
        suitability::workflow::investors::get(&mut pooled.conn(), &ctx, &admin, &ids[1], true)
            .await
            .expect("opens");
    assert_eq!(Some(again.id_number.as_str()), before["id_number"].as_str());
    let q = suitability::workflow::investors::Lookup {
        id_number: again.id_number.clone(),
        id_type: None,
    };
    let found = suitability::workflow::investors::lookup(&mut pooled.conn(), &ctx, &admin, q)
        .await
        .expect("lookup");
    assert_eq!(found.items.len(), 1, "the lookup hash was recomputed");
    let unexplained = suitability::store::audit::verify_rows(&mut pooled.conn())
        .await
        .expect("rows");
    assert_eq!(unexplained, Vec::new(), "every re-sealed row has its entry");
    drop(pooled);
    // The CLI with the new key: the trail extends the checkpoint taken under the old one.
    let env_url = [
        ("DATABASE_URL", app.database_url.clone()),
        ("SUITABILITY_DATA_KEY", "5a".repeat(32)),
    ];
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_suitability"))
        .args([
            "audit",
            "verify",
            "--checkpoint",
            cp.to_str().expect("utf-8"),
        ])
        .envs(env_url)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_sqlite() {
    rotation_reseals_everything_and_resumes(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_postgres() {
    rotation_reseals_everything_and_resumes(Backend::Postgres).await
}
