//! Decisions per second on one core: the shipped rule set compiled (the default), the same set
//! in the interpreter, and the same rules written natively in Rust, over a realistic mix of
//! facts, all producing the same `Outcome`.
//!
//! `cargo bench --bench engine` (criterion; results in target/criterion). The ratios are the
//! figures to report: absolute numbers move with the machine.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use suitability::rules::catalogue::Catalogue;
use suitability::rules::decision::{Outcome, Reason, SpecialCallback, TraceEffect, TraceEntry};
use suitability::rules::{CompiledRuleSet, Facts, Frequency, Verdict, identity::mix};

const CONFIRMATION: [&str; 11] = [
    "identity_confirmed",
    "self_purchase_and_signed",
    "contract_and_risk_disclosure_understood",
    "risk_tolerance_matches",
    "fees_rights_disclosure_known",
    "loss_possibility_known",
    "cooling_off_rights_known",
    "dispute_resolution_known",
    "no_return_promised",
    "no_improper_promotion",
    "fees_as_agreed",
];

/// The shipped rules, by hand, producing the same outcome (messages included).
/// Like the engine, it shares each distinct list of checks (built once, from its own copy of
/// the catalogue).
struct Native {
    rules: Vec<rhai::ImmutableString>,
    index: std::collections::HashMap<&'static str, u16>,
    catalogue: Catalogue,
}

impl Native {
    fn new(set: &CompiledRuleSet) -> Self {
        let catalogue = set.catalogue().clone();
        let codes = CONFIRMATION.iter().chain(&[
            "mismatch_warning_understood",
            "mismatch_insisted",
            "elderly_risk_understood",
            "large_subscription_confirmed",
        ]);
        let index = codes
            .map(|&c| (c, catalogue.index_of(c).expect("a shipped check")))
            .collect();
        Native {
            rules: set.rule_names().to_vec(),
            index,
            catalogue,
        }
    }

    fn decide(&self, f: &Facts, version: i64) -> Outcome {
        let (inv, prod, order) = (&f.investor, &f.product, &f.order);
        let mut out = Outcome {
            verdict: Verdict::Match,
            reasons: Vec::new(),
            requirements: Vec::new(),
            checks: Default::default(),
            periodic: None,
            special_callbacks: Vec::new(),
            notes: Vec::new(),
            ruleset_version: version,
            trace: self
                .rules
                .iter()
                .map(|r| TraceEntry {
                    rule: r.clone(),
                    effects: Vec::new(),
                })
                .collect(),
        };
        let mut checks: Vec<&str> = Vec::new();
        let periodic = |out: &mut Outcome, rule: usize, fr: Frequency| {
            if out.periodic.is_none_or(|p| fr.months() < p.months()) {
                out.periodic = Some(fr);
            }
            out.trace[rule].effects.push(TraceEffect::Periodic(fr));
        };
        let reject = |out: &mut Outcome, rule: usize, code: &str, message: String| {
            out.verdict = Verdict::Reject;
            out.trace[rule]
                .effects
                .push(TraceEffect::Reject(code.into()));
            out.reasons.push(Reason {
                rule: self.rules[rule].clone(),
                kind: Verdict::Reject,
                code: code.into(),
                message: message.into(),
            });
        };
        let require = |out: &mut Outcome, rule: usize, item: &str| {
            out.trace[rule]
                .effects
                .push(TraceEffect::Require(item.into()));
            if !out.requirements.iter().any(|r| r.as_str() == item) {
                out.requirements.push(item.into());
            }
        };
        let check =
            |out: &mut Outcome, checks: &mut Vec<&'static str>, rule: usize, code: &'static str| {
                out.trace[rule]
                    .effects
                    .push(TraceEffect::Check(code.into()));
                if !checks.contains(&code) {
                    checks.push(code);
                }
            };
        let special = |out: &mut Outcome, rule: usize, reason: &str, days: i64, codes: &[&str]| {
            out.trace[rule]
                .effects
                .push(TraceEffect::SpecialCallback(reason.into(), days));
            out.special_callbacks.push(SpecialCallback {
                reason: reason.into(),
                due_in_days: days,
                checks: codes.iter().map(|&c| c.into()).collect(),
            });
        };
        let ordinary = inv.investor_type == "ordinary";
        // 10-eligibility
        if !inv.qualified {
            reject(&mut out, 0, "not_qualified", "投资者不符合合格投资者条件（金融资产不低于300万元或近三年年均收入不低于50万元；机构净资产不低于1000万元）".into());
        }
        if order.first_purchase && order.amount < prod.min_subscription {
            reject(
                &mut out,
                0,
                "below_minimum",
                format!(
                    "首次认购金额 {} 元低于产品最低认购金额 {} 元",
                    order.amount, prod.min_subscription
                ),
            );
        }
        if inv.kind == "individual" && inv.age >= 0 && inv.age < 18 {
            reject(
                &mut out,
                0,
                "minor",
                format!("投资者未满18周岁（{}岁），不得购买私募产品", inv.age),
            );
        }
        if inv.investor_type == "professional" && !inv.classification_valid {
            reject(
                &mut out,
                0,
                "classification_invalid",
                "专业投资者认定记录缺失或已过期，须经风控或合规重新认定".into(),
            );
        }
        if ordinary {
            if inv.qualification_evidence_age_days < 0 {
                reject(
                    &mut out,
                    0,
                    "qualification_evidence_missing",
                    "未留存合格投资者资产或收入证明材料".into(),
                );
            } else if inv.qualification_evidence_age_days > 180 {
                reject(
                    &mut out,
                    0,
                    "qualification_evidence_stale",
                    format!(
                        "合格投资者证明材料已开具 {} 天，超过180天，须更新",
                        inv.qualification_evidence_age_days
                    ),
                );
            }
        }
        // 20-assessment
        if ordinary && !inv.assessment_valid {
            if inv.level == 0 {
                reject(
                    &mut out,
                    1,
                    "no_assessment",
                    "普通投资者尚未完成风险承受能力评估".into(),
                );
            } else {
                reject(
                    &mut out,
                    1,
                    "assessment_expired",
                    format!(
                        "风险测评已过期（{} 天前），须重新评估",
                        inv.assessment_age_days
                    ),
                );
            }
            require(&mut out, 1, "reassessment");
        }
        if ordinary
            && inv.assessment_valid
            && inv.assessment_flags.iter().any(|f| {
                f.as_str() == "answers_contradict_facts" || f.as_str() == "level_raised_on_retake"
            })
        {
            require(&mut out, 1, "assessment_review");
        }
        // 30-matching
        if ordinary && inv.level > 0 {
            if inv.lowest_category {
                if prod.rating > 1 {
                    reject(
                        &mut out,
                        2,
                        "lowest_category",
                        format!(
                            "最低风险承受能力类别的投资者只能购买R1产品，本产品为 {}",
                            prod.rating_name
                        ),
                    );
                }
            } else if inv.level < prod.rating {
                out.verdict = out.verdict.max(Verdict::Mismatch);
                out.trace[2]
                    .effects
                    .push(TraceEffect::Mismatch("above_tolerance".into()));
                out.reasons.push(Reason {
                    rule: self.rules[2].clone(),
                    kind: Verdict::Mismatch,
                    code: "above_tolerance".into(),
                    message: format!(
                        "投资者风险等级 {} 低于产品风险等级 {}",
                        inv.level_name, prod.rating_name
                    )
                    .into(),
                });
                require(&mut out, 2, "mismatch_warning_signed");
                check(&mut out, &mut checks, 2, "mismatch_warning_understood");
                check(&mut out, &mut checks, 2, "mismatch_insisted");
                special(
                    &mut out,
                    2,
                    "mismatch",
                    2,
                    &["mismatch_warning_understood", "mismatch_insisted"],
                );
                periodic(&mut out, 2, Frequency::Quarterly);
            }
        }
        // 40-dual-recording
        if prod.rating >= 4 && (ordinary || inv.age >= 60) {
            require(&mut out, 3, "dual_recording");
        }
        // 50-callbacks
        let mismatch = out.verdict == Verdict::Mismatch;
        let group = if mismatch {
            "confirmation_mismatch"
        } else {
            "confirmation"
        };
        out.trace[4]
            .effects
            .push(TraceEffect::CheckGroup(group.into()));
        for code in CONFIRMATION {
            if mismatch && code == "risk_tolerance_matches" {
                continue;
            }
            if !checks.contains(&code) {
                checks.push(code);
            }
        }
        let fr = match prod.rating {
            5.. => Frequency::Quarterly,
            4 => Frequency::Semiannual,
            _ => Frequency::Annual,
        };
        periodic(&mut out, 4, fr);
        if inv.age >= 60 && prod.rating >= 4 {
            periodic(&mut out, 4, Frequency::Quarterly);
        }
        if inv.open_complaints > 0 {
            periodic(&mut out, 4, Frequency::Monthly);
        }
        // 60-special-callbacks
        if inv.age >= 60 && prod.rating >= 4 {
            special(
                &mut out,
                5,
                "elderly_high_risk",
                7,
                &["elderly_risk_understood", "loss_possibility_known"],
            );
        }
        if order.amount >= Decimal::from(10_000_000) {
            special(
                &mut out,
                5,
                "large_subscription",
                7,
                &["large_subscription_confirmed"],
            );
        }
        let indices: Vec<u16> = checks.iter().map(|c| self.index[c]).collect();
        out.checks = self.catalogue.check_list(&indices);
        out
    }
}

fn engine(c: &mut Criterion) {
    let set = CompiledRuleSet::from_dir(1, &Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"))
        .expect("rules compile");
    let native = Native::new(&set);
    let facts = mix(4096);
    // The comparison is only fair if both do the same work: check they agree on every case.
    assert!(set.fully_compiled(), "{:?}", set.compile_report());
    for f in &facts {
        let outcome = set.evaluate(f).expect("evaluates");
        assert_eq!(
            outcome,
            native.decide(f, 1),
            "native and rhai differ on {f:?}"
        );
        assert_eq!(
            Ok(outcome),
            set.evaluate_interpreted(f),
            "compiled and interpreted differ"
        );
    }
    let mut group = c.benchmark_group("decision");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("compiled_shipped_rules", |b| {
        b.iter(|| {
            i = (i + 1) % facts.len();
            black_box(set.evaluate(black_box(&facts[i])).expect("evaluates"))
        })
    });
    let mut i = 0;
    group.bench_function("interpreted_shipped_rules", |b| {
        b.iter(|| {
            i = (i + 1) % facts.len();
            black_box(
                set.evaluate_interpreted(black_box(&facts[i]))
                    .expect("evaluates"),
            )
        })
    });
    let mut i = 0;
    group.bench_function("native_rust_same_rules", |b| {
        b.iter(|| {
            i = (i + 1) % facts.len();
            black_box(native.decide(black_box(&facts[i]), 1))
        })
    });
    let mut i = 0;
    group.bench_function("compiled_with_result_cache", |b| {
        b.iter(|| {
            i = (i + 1) % facts.len();
            black_box(
                set.evaluate_cached(black_box(&facts[i]))
                    .expect("evaluates"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
