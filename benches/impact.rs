//! The impact preview of a draft rule set over 1,000,000 holdings on SQLite.
//!
//! `cargo bench --bench impact` (set `HOLDINGS` for another size). Seeds a fresh database with
//! 100,000 investors, 50 products and the holdings, then times, in the same run:
//! 1. streaming every holding and computing its facts (the baseline: store and decoding only);
//! 2. the full impact preview (both rule sets evaluated on every holding, compared, counted).
//!
//! It prints both, their ratio, the throughput and the peak memory of the process.

use std::sync::Arc;
use std::time::Instant;

use suitability::batch;
use suitability::config::Policy;
use suitability::rules::{CompiledRuleSet, RuleFiles};
use suitability::store::{Db, holdings};

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
    if let Db::Sqlite(p) = db {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(p)
            .await
            .expect(sql);
    }
}

async fn seed(db: &Db, holdings_n: i64) {
    let investors = (holdings_n / 10).max(1);
    exec(db, "INSERT INTO staff (id, name, created_at) VALUES ('s1', 'bench', '2026-01-01T00:00:00+00:00')").await;
    exec(db, &format!(
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {investors})
         INSERT INTO investors (id, kind, investor_type, name, id_number, birth_date, phone, email, financial_assets,
           avg_income_3y, net_assets, sales_owner_id, created_at)
         SELECT printf('i%08d', n), 'individual', CASE WHEN n % 10 = 0 THEN 'professional' ELSE 'ordinary' END,
           'investor', 'x', date('1940-01-01', '+' || ((n * 7919) % 20000) || ' days'), NULL, NULL,
           CASE WHEN n % 20 = 0 THEN '1000000' ELSE '5000000' END, NULL, NULL, 's1', '2026-01-01T00:00:00+00:00'
         FROM seq")).await;
    exec(db, &format!(
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {investors})
         INSERT INTO assessments (id, investor_id, questionnaire_id, questionnaire_version, questionnaire_hash, answers,
           breakdown, score, level, flags, assessed_at, valid_until, recorded_by, created_at)
         SELECT printf('a%08d', n), printf('i%08d', n), 'individual', 1, 'h', '{{}}', '[]', 50, 1 + (n * 31) % 5,
           CASE WHEN n % 17 = 0 THEN '[\"lowest_category\"]' ELSE '[]' END,
           strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-11-01', '-' || ((n * 13) % 1200) || ' days'),
           strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-11-01', '-' || ((n * 13) % 1200) || ' days', '+36 months'),
           's1', '2026-01-01T00:00:00+00:00'
         FROM seq")).await;
    exec(db,
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 50)
         INSERT INTO products (id, code, name, kind, risk_rating, min_subscription, created_by, created_at, updated_at)
         SELECT printf('p%03d', n), printf('P%03d', n), 'product', 'private_securities', 1 + n % 5, '1000000', 's1',
           '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00' FROM seq").await;
    exec(db,
        "INSERT INTO decisions (id, investor_id, product_id, purpose, ruleset_version, verdict, facts, outcome, created_by, created_at)
         VALUES ('d0', 'i00000001', 'p001', 'seed', 1, 'match', '{}', '{}', 's1', '2026-01-01T00:00:00+00:00')").await;
    exec(db, &format!(
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {holdings_n})
         INSERT INTO orders (id, investor_id, product_id, amount, status, signed_at, paid_at, cooling_off_ends_at,
           acknowledgments, recording_ref, decision_id, created_by, created_at, status_changed_at)
         SELECT printf('o%09d', n), printf('i%08d', 1 + (n * 7) % {investors}), printf('p%03d', 1 + n % 50),
           CAST(1000000 + (n % 20) * 100000 AS TEXT), 'confirmed', '2026-06-01T00:00:00+00:00',
           '2026-06-01T00:00:00+00:00', '2026-06-02T00:00:00+00:00', '[]', NULL, 'd0', 's1',
           '2026-06-01T00:00:00+00:00', '2026-06-01T00:00:00+00:00'
         FROM seq")).await;
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this without it, as a
    // quick check that the benchmark still works.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n: i64 = std::env::var("HOLDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 2_000 } else { 1_000_000 });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let dir = tempfile::tempdir().expect("dir");
        let db = Db::connect(&format!(
            "sqlite://{}",
            dir.path().join("impact.db").display()
        ))
        .await
        .expect("db");
        db.migrate().await.expect("migrate");
        let t = Instant::now();
        seed(&db, n).await;
        println!("seeded {n} holdings in {:.1} s", t.elapsed().as_secs_f64());

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
        let mut pooled = db.acquire().await.expect("conn");
        let mut after = String::new();
        let mut streamed = 0u64;
        let at = suitability::store::now();
        loop {
            let rows = holdings::page(
                &mut pooled.conn(),
                &after,
                batch::PAGE,
                at - chrono::Duration::days(90),
            )
            .await
            .expect("page");
            let Some(last) = rows.last() else { break };
            after = last.order_id.clone();
            for r in rows {
                std::hint::black_box(batch::holding(r, &policy, at).expect("facts"));
                streamed += 1;
            }
        }
        drop(pooled);
        let baseline = t.elapsed().as_secs_f64();
        println!("baseline: streamed {streamed} holdings into facts in {baseline:.2} s");

        let t = Instant::now();
        let mut last_report = Instant::now();
        let report = batch::impact(&db, draft, active, &policy, |done, total| {
            if last_report.elapsed().as_secs() >= 5 {
                println!("  progress {done}/{total}");
                last_report = Instant::now();
            }
        })
        .await
        .expect("impact");
        let impact = t.elapsed().as_secs_f64();
        println!(
            "impact:   {} holdings in {impact:.2} s ({:.0} holdings/s)",
            report.holdings,
            report.holdings as f64 / impact
        );
        println!(
            "          changed: any {}, verdict {}, periodic {}, checks {}, special {}; errors {}",
            report.changed.any,
            report.changed.verdict,
            report.changed.periodic,
            report.changed.checks,
            report.changed.special_callbacks,
            report.errors
        );
        println!("ratio impact / baseline: {:.2}", impact / baseline);
        println!("peak memory: {:.0} MiB", peak_rss_mib());
        assert_eq!(report.holdings, n as u64);
        assert!(report.changed.periodic > 0, "the draft changes R4 holdings");
    });
}
