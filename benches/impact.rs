//! Work over every holding, on SQLite and (with `SUITABILITY_TEST_PG`) PostgreSQL: the impact
//! preview of a draft rule set at 100,000 and at 1,000,000 holdings.
//!
//! `cargo bench --bench impact` (`HOLDINGS=N` sets the larger size; the smaller is a tenth).
//! For each backend and size it seeds a fresh database (one investor per ten holdings, 50
//! products) and times, in the same run:
//! 1. streaming every holding and computing its facts (the baseline: store and decoding only);
//! 2. the full impact preview (both rule sets evaluated on every holding, compared, counted).
//!
//! It prints both, their ratio, the time per holding and the peak memory of the process, and
//! fails when a holding costs more than 1.5× at the larger size than at the smaller: work over
//! every holding must stay linear.

use std::sync::Arc;
use std::time::Instant;

use suitability::batch;
use suitability::config::Policy;
use suitability::rules::{CompiledRuleSet, RuleFiles};
use suitability::store::Db;

/// How much more a holding may cost at the larger size than at the smaller.
const MAX_SCALING: f64 = 1.5;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

async fn exec(db: &Db, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match db {
        Db::Sqlite(p, _) => sqlx::query(sql).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
    .expect("seed statement");
}

/// The seed statements of one backend: the same rows, in each dialect's own generator.
fn seed_sql(db: &Db, holdings_n: i64) -> Vec<String> {
    let investors = (holdings_n / 10).max(1);
    let staff = "INSERT INTO staff (id, name, created_at) VALUES ('s1', 'bench', '2026-01-01T00:00:00+00:00')";
    let decision = "INSERT INTO decisions (id, investor_id, product_id, purpose, ruleset_version, verdict, facts, outcome, created_by, created_at)
         VALUES ('d0', 'i00000001', 'p001', 'seed', 1, 'match', '{}', '{}', 's1', '2026-01-01T00:00:00+00:00')";
    match db {
        Db::Sqlite(..) => vec![
            staff.into(),
            format!(
                "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {investors})
         INSERT INTO investors (id, kind, investor_type, name, id_number, birth_date, phone, email, financial_assets,
           avg_income_3y, net_assets, sales_owner_id, created_at)
         SELECT printf('i%08d', n), 'individual', CASE WHEN n % 10 = 0 THEN 'professional' ELSE 'ordinary' END,
           'investor', 'x', date('1940-01-01', '+' || ((n * 7919) % 20000) || ' days'), NULL, NULL,
           CASE WHEN n % 20 = 0 THEN '1000000' ELSE '5000000' END, NULL, NULL, 's1', '2026-01-01T00:00:00+00:00'
         FROM seq"
            ),
            format!(
                "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {investors})
         INSERT INTO assessments (id, investor_id, questionnaire_id, questionnaire_version, questionnaire_hash, answers,
           breakdown, score, level, flags, assessed_at, valid_until, recorded_by, created_at)
         SELECT printf('a%08d', n), printf('i%08d', n), 'individual', 1, 'h', '{{}}', '[]', 50, 1 + (n * 31) % 5,
           CASE WHEN n % 17 = 0 THEN '[\"lowest_category\"]' ELSE '[]' END,
           strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-11-01', '-' || ((n * 13) % 1200) || ' days'),
           strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-11-01', '-' || ((n * 13) % 1200) || ' days', '+36 months'),
           's1', '2026-01-01T00:00:00+00:00'
         FROM seq"
            ),
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 50)
         INSERT INTO products (id, code, name, kind, risk_rating, min_subscription, created_by, created_at, updated_at)
         SELECT printf('p%03d', n), printf('P%03d', n), 'product', 'private_securities', 1 + n % 5, '1000000', 's1',
           '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00' FROM seq"
                .into(),
            decision.into(),
            format!(
                "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {holdings_n})
         INSERT INTO orders (id, investor_id, product_id, amount, status, signed_at, paid_at, cooling_off_ends_at,
           acknowledgments, recording_ref, decision_id, created_by, created_at, status_changed_at)
         SELECT printf('o%09d', n), printf('i%08d', 1 + (n * 7) % {investors}), printf('p%03d', 1 + n % 50),
           CAST(1000000 + (n % 20) * 100000 AS TEXT), 'confirmed', '2026-06-01T00:00:00+00:00',
           '2026-06-01T00:00:00+00:00', '2026-06-02T00:00:00+00:00', '[]', NULL, 'd0', 's1',
           '2026-06-01T00:00:00+00:00', '2026-06-01T00:00:00+00:00'
         FROM seq"
            ),
        ],
        Db::Postgres(_) => vec![
            staff.into(),
            format!(
                "INSERT INTO investors (id, kind, investor_type, name, id_number, birth_date, phone, email, financial_assets,
           avg_income_3y, net_assets, sales_owner_id, created_at)
         SELECT 'i' || lpad(n::text, 8, '0'), 'individual', CASE WHEN n % 10 = 0 THEN 'professional' ELSE 'ordinary' END,
           'investor', 'x', DATE '1940-01-01' + ((n * 7919) % 20000)::int, NULL, NULL,
           CASE WHEN n % 20 = 0 THEN '1000000' ELSE '5000000' END, NULL, NULL, 's1', TIMESTAMPTZ '2026-01-01T00:00:00+00:00'
         FROM generate_series(1::bigint, {investors}) n"
            ),
            format!(
                "INSERT INTO assessments (id, investor_id, questionnaire_id, questionnaire_version, questionnaire_hash, answers,
           breakdown, score, level, flags, assessed_at, valid_until, recorded_by, created_at)
         SELECT 'a' || lpad(n::text, 8, '0'), 'i' || lpad(n::text, 8, '0'), 'individual', 1, 'h', '{{}}', '[]', 50, 1 + (n * 31) % 5,
           CASE WHEN n % 17 = 0 THEN '[\"lowest_category\"]'::jsonb ELSE '[]'::jsonb END,
           TIMESTAMPTZ '2026-11-01T00:00:00+00:00' - ((n * 13) % 1200) * INTERVAL '1 day',
           TIMESTAMPTZ '2026-11-01T00:00:00+00:00' - ((n * 13) % 1200) * INTERVAL '1 day' + INTERVAL '36 months',
           's1', TIMESTAMPTZ '2026-01-01T00:00:00+00:00'
         FROM generate_series(1::bigint, {investors}) n"
            ),
            "INSERT INTO products (id, code, name, kind, risk_rating, min_subscription, created_by, created_at, updated_at)
         SELECT 'p' || lpad(n::text, 3, '0'), 'P' || lpad(n::text, 3, '0'), 'product', 'private_securities', 1 + n % 5,
           '1000000', 's1', TIMESTAMPTZ '2026-01-01T00:00:00+00:00', TIMESTAMPTZ '2026-01-01T00:00:00+00:00'
         FROM generate_series(1, 50) n"
                .into(),
            decision.into(),
            format!(
                "INSERT INTO orders (id, investor_id, product_id, amount, status, signed_at, paid_at, cooling_off_ends_at,
           acknowledgments, recording_ref, decision_id, created_by, created_at, status_changed_at)
         SELECT 'o' || lpad(n::text, 9, '0'), 'i' || lpad((1 + (n * 7) % {investors})::text, 8, '0'),
           'p' || lpad((1 + n % 50)::text, 3, '0'), (1000000 + (n % 20) * 100000)::text, 'confirmed',
           TIMESTAMPTZ '2026-06-01T00:00:00+00:00', TIMESTAMPTZ '2026-06-01T00:00:00+00:00',
           TIMESTAMPTZ '2026-06-02T00:00:00+00:00', '[]', NULL, 'd0', 's1',
           TIMESTAMPTZ '2026-06-01T00:00:00+00:00', TIMESTAMPTZ '2026-06-01T00:00:00+00:00'
         FROM generate_series(1::bigint, {holdings_n}) n"
            ),
            // Statistics and the visibility map, as autovacuum keeps them on a real book.
            "VACUUM ANALYZE".into(),
        ],
    }
}

/// What one run at one size measured.
struct Run {
    holdings: u64,
    baseline_s: f64,
    impact_s: f64,
}

impl Run {
    fn micros_per_holding(&self) -> f64 {
        self.impact_s * 1e6 / self.holdings as f64
    }
}

/// A fresh database of `backend` ("sqlite" or a PostgreSQL admin URL), and how to drop it after.
async fn fresh_db(backend: &str, dir: &std::path::Path, n: i64) -> (Db, Option<(String, String)>) {
    if backend == "sqlite" {
        let url = format!("sqlite://{}", dir.join(format!("impact-{n}.db")).display());
        return (Db::connect(&url).await.expect("sqlite"), None);
    }
    let name = format!("bench_{}", uuid::Uuid::now_v7().simple());
    let admin = Db::connect(backend).await.expect("connect to PostgreSQL");
    exec(&admin, &format!("CREATE DATABASE {name}")).await;
    admin.close().await;
    let (base, _) = backend.rsplit_once('/').expect("a database in the URL");
    let db = Db::connect(&format!("{base}/{name}"))
        .await
        .expect("bench database");
    (db, Some((backend.to_string(), name)))
}

async fn run(backend: &str, dir: &std::path::Path, n: i64) -> Run {
    let (db, drop_after) = fresh_db(backend, dir, n).await;
    db.migrate().await.expect("migrate");
    let t = Instant::now();
    for sql in seed_sql(&db, n) {
        exec(&db, &sql).await;
    }
    println!(
        "  seeded {n} holdings in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let rules_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let shipped = RuleFiles::from_dir(&rules_dir).expect("rules");
    let active = Arc::new(CompiledRuleSet::compile(1, shipped.clone()).expect("compiles"));
    // The draft: R4 holdings called back quarterly instead of semiannually.
    let mut draft_files = shipped;
    let rule = draft_files.0["50-callbacks.rhai"].replace(
        "decision.periodic(\"semiannual\")",
        "decision.periodic(\"quarterly\")",
    );
    draft_files.0.insert("50-callbacks.rhai".into(), rule);
    let draft = Arc::new(CompiledRuleSet::compile(2, draft_files).expect("draft compiles"));
    let policy = Policy::default();

    // Baseline: stream and decode every holding into facts, no rules.
    let t = Instant::now();
    let mut streamed = 0u64;
    let mut pages = batch::stream(db.clone(), policy.clone(), suitability::store::now());
    while let Some(page) = pages.recv().await {
        for h in page.expect("page") {
            std::hint::black_box(h);
            streamed += 1;
        }
    }
    let baseline_s = t.elapsed().as_secs_f64();
    println!("  baseline: streamed {streamed} holdings into facts in {baseline_s:.2} s");

    let t = Instant::now();
    let mut last_report = Instant::now();
    let report = batch::impact(&db, draft, active, &policy, |done, total| {
        if last_report.elapsed().as_secs() >= 5 {
            println!("    progress {done}/{total}");
            last_report = Instant::now();
        }
    })
    .await
    .expect("impact");
    let impact_s = t.elapsed().as_secs_f64();
    let run = Run {
        holdings: report.holdings,
        baseline_s,
        impact_s,
    };
    println!(
        "  impact:   {} holdings in {impact_s:.2} s ({:.0} holdings/s, {:.1} µs each; {:.2}× the baseline)",
        report.holdings,
        report.holdings as f64 / impact_s,
        run.micros_per_holding(),
        impact_s / run.baseline_s
    );
    println!(
        "            changed: any {}, verdict {}, periodic {}, checks {}, special {}; errors {}",
        report.changed.any,
        report.changed.verdict,
        report.changed.periodic,
        report.changed.checks,
        report.changed.special_callbacks,
        report.errors
    );
    println!("  peak memory so far: {:.0} MiB", peak_rss_mib());
    assert_eq!(report.holdings, n as u64);
    assert!(report.changed.periodic > 0, "the draft changes R4 holdings");
    db.close().await;
    if let Some((admin_url, name)) = drop_after {
        let admin = Db::connect(&admin_url)
            .await
            .expect("connect to PostgreSQL");
        exec(&admin, &format!("DROP DATABASE {name}")).await;
        admin.close().await;
    }
    run
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this without it, as a
    // quick check that the benchmark, and the scaling check, still work.
    let quick = !std::env::args().any(|a| a == "--bench");
    let large: i64 = std::env::var("HOLDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 20_000 } else { 1_000_000 });
    let small = (large / 10).max(1);
    let mut backends = vec!["sqlite".to_string()];
    match std::env::var("SUITABILITY_TEST_PG") {
        Ok(url) => backends.push(url),
        Err(_) => {
            println!("postgres: not run (set SUITABILITY_TEST_PG=postgres://… to include it)")
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let dir = tempfile::tempdir().expect("dir");
        for backend in &backends {
            let name = if backend == "sqlite" { "sqlite" } else { "postgres" };
            println!("{name}, {small} holdings:");
            let a = run(backend, dir.path(), small).await;
            println!("{name}, {large} holdings:");
            let b = run(backend, dir.path(), large).await;
            let scaling = b.micros_per_holding() / a.micros_per_holding();
            println!(
                "{name}: {:.1} µs per holding at {small}, {:.1} µs at {large}: {scaling:.2}× (at most {MAX_SCALING}×)",
                a.micros_per_holding(),
                b.micros_per_holding()
            );
            assert!(
                scaling <= MAX_SCALING,
                "{name}: a holding costs {scaling:.2}× as much at {large} holdings as at {small}: work over holdings is not linear"
            );
        }
    });
}
