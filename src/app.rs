//! Building the application from configuration: used by `main` and by the tests alike, so the
//! tests run exactly what production runs (binding port 0 there).

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::http::{AppState, auth::AuthCache, router};
use crate::questionnaire::{LoadError, load_dir};
use crate::rules::active::ActiveRules;
use crate::rules::{CompiledRuleSet, RuleError, RuleFiles};
use crate::store::{Db, StoreError, rulesets};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("questionnaire: {0}")]
    Questionnaire(#[from] LoadError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("rules: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Rules(Vec<RuleError>),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Loads and checks every file, connects and migrates the database, and binds the port.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let questionnaires = load_dir(&config.questionnaires_dir)?;
        // The shipped folder must compile even when the store already has versions: a broken
        // folder is a broken deployment.
        let shipped =
            RuleFiles::from_dir(&config.rules_dir).map_err(|e| StartError::Rules(vec![e]))?;
        CompiledRuleSet::compile(1, shipped.clone()).map_err(StartError::Rules)?;
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        let active = {
            let mut pooled = db.acquire().await?;
            let mut c = pooled.conn();
            if rulesets::seed_first(&mut c, &shipped).await? {
                tracing::info!(
                    "rule set version 1 seeded from {}",
                    config.rules_dir.display()
                );
            }
            let stored = rulesets::active(&mut c).await?.ok_or_else(|| {
                StartError::Rules(vec![RuleError::file("(store)", "no active rule set")])
            })?;
            CompiledRuleSet::compile(stored.version, stored.files).map_err(StartError::Rules)?
        };
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: config.listen.to_string(),
                    source,
                })?;
        let state = AppState {
            db,
            config: Arc::new(config),
            questionnaires: Arc::new(questionnaires),
            auth: Arc::new(AuthCache::default()),
            rules: Arc::new(ActiveRules::new(active)),
        };
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.config.listen)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = router(self.state.clone());
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        self.state.db.close().await;
        Ok(())
    }
}
