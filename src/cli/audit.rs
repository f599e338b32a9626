//! `suitability audit verify [--checkpoint FILE] | checkpoint --out FILE`.

use std::process::ExitCode;

use super::AuditCommand;
use crate::checkpoint;
use crate::store::{Db, audit_key};

pub async fn run(db: &Db, command: AuditCommand) -> Result<ExitCode, String> {
    match command {
        AuditCommand::AcceptUnkeyed => {
            let mut tx = db.begin().await.map_err(|e| e.to_string())?;
            let mut c = tx.conn();
            let key = audit_key::of(&mut c).await.map_err(|e| e.to_string())?;
            let n = audit_key::record_legacy(&mut c, &key)
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())?;
            match n {
                Some(n) => println!("{n} unkeyed entries from before keyed chains accepted"),
                None => println!("the unkeyed entries were accepted before; nothing changed"),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Checkpoint { out } => {
            let cp = checkpoint::take(db).await?;
            checkpoint::write(&cp, &out)?;
            println!(
                "checkpoint of {} entries, head {}, written to {}",
                cp.entries,
                cp.head,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify {
            checkpoint,
            rows: true,
        } => {
            let chain = Box::pin(run(
                db,
                AuditCommand::Verify {
                    checkpoint,
                    rows: false,
                },
            ))
            .await?;
            let mut pooled = db.acquire().await.map_err(|e| e.to_string())?;
            let found = crate::store::audit::verify_rows(&mut pooled.conn())
                .await
                .map_err(|e| e.to_string())?;
            for u in &found {
                println!("row {} {}: {}", u.entity, u.id, u.reason);
            }
            if found.is_empty() {
                println!("every row is explained by the trail");
                Ok(chain)
            } else {
                println!("{} rows are not explained by the trail", found.len());
                Ok(ExitCode::FAILURE)
            }
        }
        AuditCommand::Verify {
            checkpoint: None, ..
        } => {
            let mut pooled = db.acquire().await.map_err(|e| e.to_string())?;
            let result = crate::store::audit::verify(&mut pooled.conn())
                .await
                .map_err(|e| e.to_string())?;
            Ok(match result {
                Ok((n, head)) => {
                    println!("audit trail intact: {n} entries; head {head}");
                    ExitCode::SUCCESS
                }
                Err(b) => {
                    println!("audit trail broken at entry {}: {}", b.seq, b.reason);
                    ExitCode::FAILURE
                }
            })
        }
        AuditCommand::Verify {
            checkpoint: Some(path),
            ..
        } => {
            let cp = checkpoint::read(&path)?;
            Ok(match checkpoint::extends(db, &cp).await {
                Ok(n) => {
                    println!(
                        "audit trail intact: {n} entries, extending the checkpoint of {} entries",
                        cp.entries
                    );
                    ExitCode::SUCCESS
                }
                Err(why) => {
                    println!("audit trail does not extend {}: {why}", path.display());
                    ExitCode::FAILURE
                }
            })
        }
    }
}
