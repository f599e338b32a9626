//! `suitability audit verify [--checkpoint FILE] [--rows] | reseal | checkpoint --out FILE`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::checkpoint;
use crate::store::{Db, audit_key};

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Walk the keyed chain end to end; exits non-zero, naming the first bad entry, if any entry
    /// was altered, removed or reordered, or the trail no longer extends `--checkpoint`.
    Verify {
        /// A checkpoint file (`audit checkpoint`, or the service's data/checkpoints/).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Also report every order, investor, callback, product and rule set whose current
        /// content no audit entry explains (edited in the database, or written without one).
        #[arg(long)]
        rows: bool,
    },
    /// Once, after upgrading a database whose trail predates keyed chains: accept (signed) the
    /// entries there are now as the unkeyed ones; never raised afterwards.
    AcceptUnkeyed,
    /// Re-seal rows after a migration added columns (the service does it at every start): each
    /// row whose digest over the earlier columns still matches its latest entry gets a
    /// `row.reseal` entry; an edited row stays flagged.
    Reseal,
    /// Verify the trail and write a signed checkpoint (entries, head hash, time) to keep
    /// outside the database.
    Checkpoint {
        #[arg(long)]
        out: PathBuf,
    },
}

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
        AuditCommand::Reseal => {
            let mut tx = db.begin().await.map_err(|e| e.to_string())?;
            let done = crate::store::reseal::after_migrations(&mut tx.conn())
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())?;
            for r in &done {
                println!(
                    "{}: columns added {}; {} rows re-sealed, {} left as they were",
                    r.table,
                    r.added.join(", "),
                    r.rows,
                    r.left
                );
            }
            if done.is_empty() {
                println!("no table changed since its rows were sealed");
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
