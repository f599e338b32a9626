//! `suitability backup --out FILE`: a consistent copy of the SQLite database taken while the
//! service runs (`VACUUM INTO` reads one snapshot, so writers never see a half copy), made
//! readable by its owner only, then checked: opened with the same data key and its audit trail
//! walked end to end. PostgreSQL is backed up with its own tools (README, Operations).

use std::path::Path;
use std::process::ExitCode;

use crate::store::Db;
use crate::vault::KeySource;

pub async fn run(url: &str, key: KeySource, out: &Path) -> Result<ExitCode, String> {
    if url.starts_with("postgres") {
        return Err("backup copies SQLite databases; for PostgreSQL use pg_dump (see the README's Operations section)".into());
    }
    if out.exists() {
        return Err(format!(
            "{} exists: a backup never overwrites a file",
            out.display()
        ));
    }
    let target = out
        .to_str()
        .ok_or_else(|| format!("{}: the path must be UTF-8", out.display()))?;
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    let Db::Sqlite(pool, _) = &db else {
        return Err("not a SQLite database".into());
    };
    let started = std::time::Instant::now();
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(pool)
        .await
        .map_err(|e| format!("the copy failed: {e}"))?;
    db.close().await;
    restrict(out)?;
    let copied = started.elapsed();
    // The copy must open with the same key and hold a trail that verifies.
    let copy = Db::connect(&format!("sqlite://{target}"))
        .await
        .map_err(|e| e.to_string())?;
    let checked = async {
        crate::keys::open_vault(&copy, &key)
            .await
            .map_err(|e| format!("the copy does not open with the data key: {e}"))?;
        let mut pooled = copy.acquire().await.map_err(|e| e.to_string())?;
        crate::store::audit::verify(&mut pooled.conn())
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    copy.close().await;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    match checked? {
        Ok((entries, head)) => {
            println!(
                "backup {} ({bytes} bytes) in {} ms; audit trail intact: {entries} entries, head {head}",
                out.display(),
                copied.as_millis()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(b) => {
            println!(
                "backup {} written, but its audit trail is broken at entry {}: {}",
                out.display(),
                b.seq,
                b.reason
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The copy holds (sealed) personal data: its owner only.
fn restrict(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}
