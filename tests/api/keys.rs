//! The data key cannot be swapped silently: another key, a deleted key file, or a key file
//! others may read stop the start with a message saying which.

use suitability::app::Application;

use crate::common::{Backend, TestApp, test_config};

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
