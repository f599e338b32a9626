//! Building the application from configuration: used by `main` and by the tests alike, so the
//! tests run exactly what production runs (binding port 0 there).

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::http::{AppState, auth::AuthCache, router};
use crate::questionnaire::{LoadError, load_dir};
use crate::rules::active::ActiveRules;
use crate::rules::{CompiledRuleSet, RuleError, RuleFiles};
use crate::store::{Db, StoreError, investors, rulesets};
use crate::vault::KeySource;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("questionnaire: {0}")]
    Questionnaire(#[from] LoadError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("rules: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Rules(Vec<RuleError>),
    #[error("{0}")]
    Key(#[from] crate::keys::KeyError),
    #[error("policy: {0}")]
    Policy(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

/// The configured data key, or by default a key file beside the SQLite database.
pub fn key_source(config: &Config) -> KeySource {
    let mut source = config.data_key.clone();
    let sqlite_path = config
        .database_url
        .strip_prefix("sqlite://")
        .or_else(|| config.database_url.strip_prefix("sqlite:"));
    if source.key_hex.is_none()
        && source.key_file.is_none()
        && let Some(path) = sqlite_path
    {
        let path = path.split('?').next().unwrap_or(path);
        source.key_file = Some(std::path::PathBuf::from(path).with_extension("key"));
    }
    source
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Loads and checks every file, connects and migrates the database, and binds the port.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        config.policy.check().map_err(StartError::Policy)?;
        // Installed before anything is counted (once per process).
        crate::http::metrics::handle();
        let questionnaires = load_dir(&config.questionnaires_dir)?;
        // The shipped folder must compile even when the store already has versions: a broken
        // folder is a broken deployment.
        let shipped =
            RuleFiles::from_dir(&config.rules_dir).map_err(|e| StartError::Rules(vec![e]))?;
        CompiledRuleSet::compile(1, shipped.clone()).map_err(StartError::Rules)?;
        let db = Db::connect(&config.database_url).await?;
        db.migrate_if_needed().await?;
        // First the key: everything after may write the audit trail, which it chains.
        let vault = crate::keys::open_vault(&db, &key_source(&config)).await?;
        let active = active_rules(&db, &shipped, &config.rules_dir).await?;
        {
            let mut tx = db.begin().await?;
            let sealed = investors::seal_legacy(&mut tx.conn(), &vault).await?;
            for id in &sealed {
                let change = serde_json::json!({"sealed": ["id_number", "phone", "email"]});
                crate::store::audit::append(
                    &mut tx.conn(),
                    &crate::store::audit::Actor::system(),
                    "investor.seal",
                    "investor",
                    id,
                    &change,
                )
                .await?;
            }
            tx.commit().await?;
            if !sealed.is_empty() {
                tracing::info!(
                    investors = sealed.len(),
                    "sealed personal data stored before encryption"
                );
            }
        }
        reseal_after_migrations(&db).await?;
        keep_questionnaires(&db, &questionnaires).await?;
        {
            let mut pooled = db.acquire().await?;
            let t = crate::store::now();
            let n = crate::store::imports::interrupt_stale(
                &mut pooled.conn(),
                t - crate::workflow::imports::jobs::STALE,
                t,
            )
            .await?;
            if n > 0 {
                tracing::warn!(jobs = n, "imports cut off by the last stop marked failed");
            }
        }
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: config.listen.to_string(),
                    source,
                })?;
        let state = AppState::new(crate::http::Shared {
            db,
            config: Arc::new(config),
            questionnaires: Arc::new(questionnaires),
            auth: Arc::new(AuthCache::default()),
            rules: Arc::new(ActiveRules::new(active)),
            vault: Arc::new(vault),
            lookups: Arc::new(crate::workflow::ratelimit::RateLimiter::new(
                crate::workflow::investors::LOOKUPS_PER_MINUTE,
                std::time::Duration::from_secs(60),
            )),
            imports: crate::workflow::imports::jobs::gate(),
        });
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

    /// Serves until `shutdown` resolves, then finishes the requests in flight. Meanwhile it
    /// follows the store's active rule set, so an activation on any instance reaches this one.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = router(self.state.clone());
        let follower = tokio::spawn(follow_active_rules(self.state.clone()));
        let checkpoints = self.state.config.checkpoints.clone().map(|(dir, every)| {
            tokio::spawn(crate::checkpoint::every(self.state.db.clone(), dir, every))
        });
        let sweeper = self
            .state
            .config
            .overdue_sweep
            .map(|every| tokio::spawn(sweep_overdue_every(self.state.clone(), every)));
        // The peer address is kept for the investor's signatures (their IP as evidence).
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        follower.abort();
        if let Some(task) = sweeper {
            task.abort();
        }
        if let Some(task) = checkpoints {
            task.abort();
        }
        self.state.db.close().await;
        served
    }
}

/// The active rule set, compiled; on an empty store version 1 is seeded from `shipped` first
/// (seeded and recorded together, so the trail explains version 1 like any other).
pub async fn active_rules(
    db: &Db,
    shipped: &RuleFiles,
    from: &std::path::Path,
) -> Result<CompiledRuleSet, StartError> {
    let mut tx = db.begin().await?;
    if rulesets::seed_first(&mut tx.conn(), shipped).await? {
        let change = serde_json::json!({"files": shipped, "from": from});
        crate::store::audit::append(
            &mut tx.conn(),
            &crate::store::audit::Actor::system(),
            "ruleset.seed",
            "ruleset",
            "1",
            &change,
        )
        .await?;
        tracing::info!("rule set version 1 seeded from {}", from.display());
    }
    tx.commit().await?;
    let mut pooled = db.acquire().await?;
    let mut c = pooled.conn();
    let stored = rulesets::active(&mut c)
        .await?
        .ok_or_else(|| StartError::Rules(vec![RuleError::file("(store)", "no active rule set")]))?;
    CompiledRuleSet::compile(stored.version, stored.files).map_err(StartError::Rules)
}

/// Keeps every questionnaire presented with its text, for the client archive.
pub async fn keep_questionnaires(
    db: &Db,
    questionnaires: &crate::questionnaire::QuestionnaireSet,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    for q in questionnaires.all() {
        let source = questionnaires.source(&q.content_hash).unwrap_or_default();
        crate::store::questionnaires::keep(&mut tx.conn(), q, source).await?;
    }
    tx.commit().await
}

/// Runs the overdue sweep at once and then every `every`, while the service runs.
async fn sweep_overdue_every(state: AppState, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match sweep_overdue(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(escalated = n, "overdue callbacks escalated"),
            Err(e) => tracing::warn!(error = %e, "the overdue sweep failed"),
        }
    }
}

/// Marks every callback past its deadline overdue, with its escalation, a batch per
/// transaction; returns how many it marked.
pub async fn sweep_overdue(state: &AppState) -> Result<usize, String> {
    use crate::workflow::callbacks::overdue;
    let mut total = 0;
    loop {
        let mut tx = state.db.begin().await.map_err(|e| e.to_string())?;
        let opened = overdue::sweep(&mut tx.conn(), crate::store::now())
            .await
            .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        total += opened.len();
        if (opened.len() as i64) < overdue::BATCH {
            return Ok(total);
        }
    }
}

/// Polls the store for the active rule-set version and swaps it in when it changes. Polling
/// works the same on SQLite and PostgreSQL; the interval bounds how stale an instance can be.
async fn follow_active_rules(state: AppState) {
    let mut tick = tokio::time::interval(state.config.ruleset_poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = sync_active_rules(&state).await {
            tracing::warn!(error = %e, "cannot follow the active rule set");
        }
    }
}

/// Loads the store's active version into this instance if it differs from the one in use.
pub async fn sync_active_rules(state: &AppState) -> Result<(), String> {
    let stored = {
        let mut pooled = state.db.acquire().await.map_err(|e| e.to_string())?;
        let mut c = pooled.conn();
        match rulesets::active_version(&mut c)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(v) if v != state.rules.get().version => {
                rulesets::get(&mut c, v).await.map_err(|e| e.to_string())?
            }
            _ => return Ok(()),
        }
    };
    let Some(stored) = stored else { return Ok(()) };
    let set = state
        .rules
        .compiled(stored.version, || stored.files.clone())
        .map_err(|errors| {
            format!(
                "active version {} does not compile: {errors:?}",
                stored.version
            )
        })?;
    state.rules.set(set);
    tracing::info!(version = stored.version, "switched to the active rule set");
    Ok(())
}

/// Re-seals the rows a migration added columns to (`store::reseal`), in one transaction.
async fn reseal_after_migrations(db: &Db) -> Result<(), StartError> {
    let mut tx = db.begin().await?;
    let done = crate::store::reseal::after_migrations(&mut tx.conn()).await?;
    tx.commit().await?;
    for r in done {
        tracing::info!(table = r.table, added = ?r.added, rows = r.rows, "rows re-sealed after a schema change");
        if r.left > 0 {
            tracing::warn!(
                table = r.table,
                rows = r.left,
                "rows that did not match their audit entry before the schema change stay flagged"
            );
        }
    }
    Ok(())
}
