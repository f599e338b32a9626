//! Compiled and interpreted rules give identical outcomes: the comparison an upload runs (every
//! rule test and a 4,096-case mix), and the fact sets tests use (the mix and a grid of the
//! boundary values of every fact the shipped rules read).

use rust_decimal::Decimal;

use super::{CompiledRuleSet, Facts, InvestorFacts, OrderFacts, ProductFacts};

/// Cases of the mix an upload compares.
pub const MIX_CASES: usize = 4_096;

/// `None` when the compiled and the interpreted evaluation agree on `facts` (outcome, or error
/// with its position and message); otherwise what differs.
pub fn difference(rules: &CompiledRuleSet, facts: &Facts) -> Option<String> {
    if rules.fully_interpreted() {
        return None;
    }
    let compiled = rules.evaluate(facts);
    let interpreted = rules.evaluate_interpreted(facts);
    // Where the clock stops an evaluation depends on the machine, not the rules.
    let out_of_time = |r: &Result<_, super::RuleError>| {
        r.as_ref()
            .is_err_and(|e| e.message.starts_with("stopped: took longer than"))
    };
    if out_of_time(&compiled) && out_of_time(&interpreted) {
        return None;
    }
    (compiled != interpreted).then(|| {
        format!(
            "the compiled rules differ from the interpreter: compiled {}, interpreted {}",
            brief(&compiled),
            brief(&interpreted)
        )
    })
}

fn brief(r: &Result<super::decision::Outcome, super::RuleError>) -> String {
    match r {
        Ok(o) => serde_json::to_string(o).unwrap_or_else(|e| e.to_string()),
        Err(e) => format!("error {e}"),
    }
}

/// The time to check a rule set ran out.
#[derive(Debug)]
pub struct OverBudget;

/// The first difference on the mix, with the facts it shows on; `Err` once `over_budget` says
/// the time to check the set has run out.
pub fn difference_on_mix(
    rules: &CompiledRuleSet,
    over_budget: impl Fn() -> bool,
) -> Result<Option<String>, OverBudget> {
    if rules.fully_interpreted() {
        return Ok(None);
    }
    for f in mix(MIX_CASES) {
        if over_budget() {
            return Err(OverBudget);
        }
        if let Some(d) = difference(rules, &f) {
            let facts = serde_json::to_string(&f).unwrap_or_default();
            return Ok(Some(format!("{d}; facts {facts}")));
        }
    }
    Ok(None)
}

/// A deterministic mix: mostly ordinary qualified individuals with valid assessments, with the
/// minority cases (professionals, the lowest category, expired assessments, the elderly,
/// complaints, large and too-small amounts) at plausible rates.
pub fn mix(n: usize) -> Vec<Facts> {
    let mut seed: u64 = 0x5eed_1234_abcd_9876;
    let mut next = move |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    (0..n)
        .map(|_| {
            let professional = next(10) == 0;
            let level = if next(50) == 0 { 0 } else { 1 + next(5) as i64 };
            let valid = level > 0 && next(20) != 0;
            let age = 25 + next(55) as i64;
            let rating = 1 + next(5) as i64;
            let amount = match next(20) {
                0 => Decimal::from(999_999),
                1 => Decimal::from(12_000_000),
                _ => Decimal::from(1_000_000 + 100_000 * next(40) as i64),
            };
            facts_of(
                InvestorFacts {
                    investor_type: if professional {
                        "professional"
                    } else {
                        "ordinary"
                    }
                    .into(),
                    level,
                    lowest_category: level == 1 && next(3) == 0,
                    assessment_valid: valid,
                    assessment_age_days: if valid { next(1000) as i64 } else { 1200 },
                    age,
                    qualified: next(20) != 0,
                    classification_valid: !professional || next(20) != 0,
                    qualification_evidence_age_days: match next(40) {
                        0 => -1,
                        1 => 200,
                        _ => next(180) as i64,
                    },
                    assessment_flags: if next(25) == 0 {
                        vec!["answers_contradict_facts".into()]
                    } else {
                        Vec::new()
                    },
                    open_complaints: i64::from(next(30) == 0),
                    ..Default::default()
                },
                rating,
                amount,
                next(4) != 0,
            )
        })
        .collect()
}

/// Every combination of the boundary values of the facts the shipped rules read
/// (1,036,800 cases), lazily.
pub fn grid() -> impl Iterator<Item = Facts> {
    let kinds = ["individual", "institution"];
    let types = ["ordinary", "professional"];
    let ages = [-1, 17, 18, 59, 60];
    let evidence = [-1, 180, 181];
    let flags: [&[&str]; 3] = [
        &[],
        &["answers_contradict_facts"],
        &["level_raised_on_retake"],
    ];
    let amounts = [
        Decimal::new(99_999_999, 2),
        Decimal::from(1_000_000),
        Decimal::from(10_000_000),
    ];
    let mut out = Vec::new();
    for kind in kinds {
        for t in types {
            for level in 0..=5 {
                for lowest in [false, true] {
                    for valid in [false, true] {
                        for age in ages {
                            out.push((kind, t, level, lowest, valid, age));
                        }
                    }
                }
            }
        }
    }
    out.into_iter()
        .flat_map(move |(kind, t, level, lowest, valid, age)| {
            let mut rest = Vec::new();
            for qualified in [false, true] {
                for classified in [false, true] {
                    for e in evidence {
                        for f in flags {
                            for complaints in [0, 1] {
                                for rating in 1..=5 {
                                    for amount in amounts {
                                        for first in [false, true] {
                                            rest.push((
                                                qualified, classified, e, f, complaints, rating,
                                                amount, first,
                                            ));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            rest.into_iter().map(
                move |(qualified, classified, e, f, complaints, rating, amount, first)| {
                    facts_of(
                        InvestorFacts {
                            kind: kind.into(),
                            investor_type: t.into(),
                            level,
                            lowest_category: lowest,
                            assessment_valid: valid,
                            assessment_age_days: if valid { 100 } else { 1200 },
                            age,
                            qualified,
                            classification_valid: classified,
                            qualification_evidence_age_days: e,
                            assessment_flags: f.iter().map(|&x| x.into()).collect(),
                            open_complaints: complaints,
                            ..Default::default()
                        },
                        rating,
                        amount,
                        first,
                    )
                },
            )
        })
}

/// The facts of one case: the investor as generated, a product of `rating`, an order of `amount`.
fn facts_of(investor: InvestorFacts, rating: i64, amount: Decimal, first_purchase: bool) -> Facts {
    let mut facts = Facts {
        investor,
        product: ProductFacts {
            rating,
            ..Default::default()
        },
        order: OrderFacts {
            amount,
            first_purchase,
        },
    };
    facts.normalise_names();
    facts
}
