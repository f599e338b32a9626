//! `suitability token create | list | revoke`: the same workflow functions as the API's admin
//! endpoints.

use std::process::ExitCode;

use crate::domain::Role;
use crate::store::Db;
use crate::workflow::staff;

#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Create the staff member if needed and print a new token alone on the last line.
    Create {
        #[arg(long)]
        name: String,
        /// Comma-separated: sales, risk, planner, compliance, admin.
        #[arg(long = "role", value_name = "ROLE[,ROLE…]")]
        roles: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = crate::store::staff::DEFAULT_TOKEN_DAYS)]
        expires_in_days: i64,
    },
    /// Every token: id, staff member, created, expires, last used, revoked (never the token).
    List,
    /// Revoke a token by id: it gets 401 within a second on every instance.
    Revoke { id: String },
}

pub async fn run(db: &Db, command: TokenCommand) -> Result<ExitCode, String> {
    match command {
        TokenCommand::Create {
            name,
            roles,
            expires_in_days,
        } => create(db, &name, &roles, expires_in_days).await,
        TokenCommand::List => list(db).await,
        TokenCommand::Revoke { id } => revoke(db, &id).await,
    }
    .map(|()| ExitCode::SUCCESS)
}

async fn create(db: &Db, name: &str, roles: &str, days: i64) -> Result<(), String> {
    let roles = Role::parse_list(roles)?;
    let (member, token) = staff::issue(db, name, &roles, days)
        .await
        .map_err(|e| e.to_string())?;
    let names: Vec<&str> = member.roles.iter().map(|r| r.as_str()).collect();
    println!(
        "staff {} ({}) roles: {}; token valid {days} days",
        member.name,
        member.id,
        names.join(",")
    );
    println!("{token}");
    Ok(())
}

async fn list(db: &Db) -> Result<(), String> {
    let mut pooled = db.acquire().await.map_err(|e| e.to_string())?;
    let tokens = staff::tokens(&mut pooled.conn())
        .await
        .map_err(|e| e.to_string())?;
    println!("id\tstaff\tcreated_at\texpires_at\tlast_used_at\trevoked_at");
    let time =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or("-".to_string(), |t| t.to_rfc3339());
    for t in tokens.items {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            t.id,
            t.staff_name,
            t.created_at.to_rfc3339(),
            t.expires_at.to_rfc3339(),
            time(t.last_used_at),
            time(t.revoked_at)
        );
    }
    Ok(())
}

async fn revoke(db: &Db, id: &str) -> Result<(), String> {
    let mut tx = db.begin().await.map_err(|e| e.to_string())?;
    staff::revoke(&mut tx.conn(), None, id)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    println!("token {id} revoked");
    Ok(())
}
