//! The rule compiler: which files compile, why others do not, and compiled outcomes identical
//! to the interpreter's (outcome, or error with file, position and message) on every construct
//! of the subset, on the failures rhai reports, on oversized facts and on the boundary grid.

use proptest::prelude::*;
use rust_decimal::Decimal;
use suitability::rules::compile::FileReport;
use suitability::rules::identity::{difference, grid, mix};
use suitability::rules::{CompiledRuleSet, Facts, RuleFiles};

fn shipped() -> RuleFiles {
    RuleFiles::from_dir(&crate::common::repo_path("rules")).expect("rules folder")
}

fn with_rule(source: &str) -> CompiledRuleSet {
    let mut files = shipped();
    files.0.insert("70-extra.rhai".into(), source.to_string());
    CompiledRuleSet::compile(7, files).expect("compiles")
}

fn report_of(set: &CompiledRuleSet, file: &str) -> FileReport {
    set.compile_report()
        .into_iter()
        .find(|(f, _)| f == file)
        .map(|(_, r)| r)
        .expect("the file is in the set")
}

/// Facts that reach the corners: the mix, the defaults, extreme numbers and oversized texts.
fn probes() -> Vec<Facts> {
    let mut out = mix(64);
    out.push(Facts::default());
    let mut f = Facts::default();
    f.investor.age = -1;
    f.investor.level = 0;
    f.order.amount = Decimal::MAX;
    out.push(f);
    let mut f = Facts::default();
    f.investor.age = i64::MAX;
    f.investor.open_complaints = 3;
    f.order.amount = Decimal::new(99_999_999, 2);
    out.push(f);
    let mut f = Facts::default();
    f.investor.level_name = "C".repeat(5_000).into();
    out.push(f);
    let mut f = Facts::default();
    f.investor.age = 99;
    out.push(f);
    let mut f = Facts::default();
    f.investor.assessment_flags = (0..300).map(|i| format!("flag{i}").into()).collect();
    out.push(f);
    out
}

fn assert_identical(set: &CompiledRuleSet) {
    for f in probes() {
        if let Some(d) = difference(set, &f) {
            panic!("{d}\nfacts: {f:?}");
        }
    }
}

#[test]
fn every_shipped_file_compiles() {
    let set = CompiledRuleSet::compile(1, shipped()).expect("compiles");
    for (file, report) in set.compile_report() {
        assert_eq!(report, FileReport::Compiled, "{file}");
    }
    assert!(set.fully_compiled());
    assert_identical(&set);
}

/// Each construct of the subset, and each way rhai fails inside it, compiled and compared.
#[test]
fn each_construct_compiles_and_agrees_with_the_interpreter() {
    let long = "长".repeat(501);
    let a3000 = "a".repeat(3_000);
    let flood = "decision.note(\"x\");\n".repeat(300);
    let snippets = [
        "if investor.age + 1 > 40 && investor.age - 1 < 90 { decision.note(`a ${investor.age * 2} ${investor.age / 3} ${investor.age % 7}`); }",
        "let x = investor.age * 9223372036854775807; decision.note(\"overflow\");",
        "let x = 10 / investor.open_complaints; decision.note(\"divided\");",
        "let x = 10 % investor.open_complaints; decision.note(\"remainder\");",
        "if order.amount * 1.5 > 1000000 { decision.note(`${order.amount * 1.5} / ${order.amount / 3} ${order.amount - 0.10}`); }",
        "let d = order.amount / (order.amount - order.amount); decision.note(\"decimal zero\");",
        "let d = order.amount + 1; decision.note(`${d}`);",
        "if order.amount >= 999999.99 { decision.note(\"at least\"); }",
        "if product.min_subscription == 1000000 { decision.note(\"equal across scale\"); }",
        "if investor.kind != \"institution\" && investor.level_name <= \"C3\" && product.rating_name > \"R1\" { decision.note(\"strings\"); }",
        "if investor.qualified == true || investor.lowest_category != false { decision.note(\"booleans\"); }",
        "let n = -investor.age; if n < 0 { decision.note(`${n} ${-order.amount}`); }",
        "if \"divid\" in investor.kind || \"C\" in investor.level_name { decision.note(\"substring\"); }",
        "if \"retake\" in investor.assessment_flags { decision.note(\"in\"); }",
        "if !(\"answers_contradict_facts\" in investor.assessment_flags) { decision.note(\"not in\"); }",
        "decision.note(`${investor.qualified} ${product.min_subscription} ${999999.990} ${investor.level_name}`);",
        &format!("let s = `{a3000}${{investor.kind}}{a3000}`; decision.note(\"long\");"),
        "decision.reject(`${investor.level_name}`, \"upper-case code\");",
        "decision.mismatch(`code_${investor.level}`, `message ${investor.age}`);",
        "if investor.age > 100 { decision.check(\"no_such_check\"); } decision.check(\"identity_confirmed\");",
        "decision.check(\"no_such_check\");",
        "decision.check_group(\"confirmation\"); decision.check_group(`confirm${\"ation\"}`);",
        "decision.periodic(\"weekly\");",
        "decision.periodic(if_periodic);",
        &format!("decision.note(\"{long}\");"),
        &flood,
        "if decision.verdict == \"reject\" { decision.note(\"rejected so far\"); } else { decision.note(decision.verdict); }",
        "let a = 1; if investor.age > 30 { let b = a + investor.age; decision.note(`${b}`); } else { let b = \"young\"; decision.note(b); }",
        "let big = investor.age > 59; let name = investor.level_name; if big { decision.note(name); }",
        "decision.special_callback(`x${investor.level}`, investor.level, [\"identity_confirmed\"]);",
        "decision.special_callback(\"flags\", 1, investor.assessment_flags);",
        "decision.special_callback(\"late\", 400, []);",
        "decision.special_callback(\"nums\", 1, [1, 2]);",
        "decision.require(\"dual_recording\"); decision.require(product.rating_name);",
        "investor.age + 1; order.amount * 2; decision.note(\"expression statements\");",
        "if investor.age > 200 { decision.note(`${investor.salary}`); }",
    ];
    let mut interpreted = Vec::new();
    for (i, source) in snippets.iter().enumerate() {
        let set = with_rule(source);
        if let FileReport::Interpreted(why) = report_of(&set, "70-extra.rhai") {
            interpreted.push((i, why.to_string()));
        }
        if let Some(f) = probes().iter().find(|f| difference(&set, f).is_some()) {
            panic!(
                "snippet {i} `{source}`: {}",
                difference(&set, f).unwrap_or_default()
            );
        }
    }
    // Only those that read something that does not exist, or pass numbers as check codes,
    // fall back to the interpreter.
    let fallbacks: Vec<usize> = interpreted.iter().map(|(i, _)| *i).collect();
    assert_eq!(fallbacks, [23, 32, 35], "{interpreted:#?}");
}

#[test]
fn a_file_outside_the_subset_is_interpreted_and_says_why() {
    let cases = [
        ("let i = 0;\nwhile i < 3 { i += 1; }", "`while`", 2),
        (
            "fn helper() { 1 }\ndecision.note(\"x\");",
            "function definition `fn helper`",
            0,
        ),
        (
            "decision.note(\"a\");\nprint(\"hello\");",
            "call of `print`",
            2,
        ),
        (
            "if investor.kind.len() > 3 { decision.note(\"x\"); }",
            "method `len`",
            1,
        ),
        (
            "if investor.kind == 3 { decision.note(\"x\"); }",
            "comparison of a string with an integer",
            1,
        ),
        ("let m = #{a: 1};", "map", 1),
        // The sandbox forbids shadowing, whatever the text check before compiling sees.
        (
            "if investor.age == 99 { let /**/ order = 1; decision.note(\"x\"); }",
            "second `let order`",
            1,
        ),
    ];
    for (source, construct, line) in cases {
        let set = with_rule(source);
        let FileReport::Interpreted(why) = report_of(&set, "70-extra.rhai") else {
            panic!("`{source}` compiled");
        };
        assert!(why.to_string().contains(construct), "{source}: {why}");
        if line > 0 {
            assert_eq!(why.line, Some(line), "{source}: {why}");
        }
        // The other files still compile, and the mixed set agrees with the interpreter.
        assert_eq!(report_of(&set, "30-matching.rhai"), FileReport::Compiled);
        assert_identical(&set);
    }
}

/// Mixed sets: an interpreted file between compiled ones sees the decision so far, its
/// failure names it, and its variables do not leak into the next file.
#[test]
fn interpreted_files_run_between_compiled_ones() {
    let mut files = shipped();
    files.0.insert(
        "35-loop.rhai".into(),
        "let n = 0;\nfor i in 0..3 { n += 1; }\nif decision.verdict == \"mismatch\" { decision.note(`loop ${n}`); }".into(),
    );
    files.0.insert(
        "36-after.rhai".into(),
        "if investor.age > 150 { decision.note(`${n}`); }".into(),
    );
    files.0.insert(
        "37-fail.rhai".into(),
        "if investor.age == 99 { decision.check(\"no_such_check\"); }".into(),
    );
    let set = CompiledRuleSet::compile(7, files).expect("compiles");
    assert!(!set.fully_compiled() && !set.fully_interpreted());
    assert_identical(&set);
    let mut f = Facts::default();
    f.product.rating = 5;
    f.normalise_names();
    let outcome = set.evaluate(&f).expect("evaluates");
    assert_eq!(outcome.notes.len(), 1, "{outcome:?}");
    f.investor.age = 160;
    let err = set.evaluate(&f).expect_err("`n` does not leak");
    assert_eq!(err.file, "36-after.rhai", "{err}");
    assert_eq!(Err(err), set.evaluate_interpreted(&f));
    // A compiled file that bails after an interpreted one: the interpreter takes over from it.
    f.investor.age = 99;
    let err = set.evaluate(&f).expect_err("an unknown check");
    assert_eq!(err.file, "37-fail.rhai", "{err}");
    assert_eq!(Err(err), set.evaluate_interpreted(&f));
}

/// Compiled code has no clock: a file whose worst case (work on long texts) could take long
/// is interpreted under the sandbox's, and only a small set runs without the evaluation pool.
#[test]
fn costly_text_work_is_left_to_the_interpreter() {
    let shipped_set = CompiledRuleSet::compile(1, shipped()).expect("compiles");
    assert!(shipped_set.runs_inline(), "{}", shipped_set.compiled_cost());
    let s = "a".repeat(4_000);
    let t = format!("{}b", "a".repeat(1_999));
    let source = format!(
        "let s = \"{s}\";\nlet t = \"{t}\";\ndecision.note(\"x\");\nif investor.complaints_90d == 7 {{\n{}}}",
        "t in s;\n".repeat(3_000)
    );
    let set = with_rule(&source);
    let FileReport::Interpreted(why) = report_of(&set, "70-extra.rhai") else {
        panic!("compiled");
    };
    assert!(why.to_string().contains("long texts"), "{why}");
    assert!(!set.runs_inline());
    assert_identical(&set);
}

/// Text grows piece by piece under the limit, as in rhai: a long interpolation stops at the
/// first piece past it instead of building the whole text first.
#[test]
fn a_long_interpolation_stops_at_the_limit() {
    let source = format!(
        "let s = \"{}\";\nif investor.complaints_90d == 7 {{ decision.note(`{}`); }}",
        "a".repeat(4_000),
        "${s}".repeat(2_000)
    );
    let set = with_rule(&source);
    assert_eq!(report_of(&set, "70-extra.rhai"), FileReport::Compiled);
    let mut f = Facts::default();
    f.investor.complaints_90d = 7;
    let mark = suitability::memory::Mark::now();
    let compiled = set.evaluate(&f);
    assert!(mark.peak() < 4 << 20, "held {} bytes", mark.peak());
    assert!(compiled.is_err());
    assert_eq!(compiled, set.evaluate_interpreted(&f));
}

/// Constants are not folded when a file compiles: nested constant texts cannot ask for
/// gigabytes at upload; they are built when the rule runs, under the limits.
#[test]
fn nested_constant_texts_are_not_folded_at_compile_time() {
    let source = format!(
        "const A = \"{}\";\nconst B = `{}`;\nconst C = `{}`;\nconst D = `{}`;\ndecision.note(D);",
        "a".repeat(4_000),
        "${A}".repeat(16),
        "${B}".repeat(16),
        "${C}".repeat(16)
    );
    let mark = suitability::memory::Mark::now();
    let set = with_rule(&source);
    assert!(
        mark.peak() < 16 << 20,
        "held {} bytes compiling",
        mark.peak()
    );
    let err = set.evaluate(&Facts::default()).expect_err("too long");
    assert!(err.message.contains("too large"), "{err}");
    assert_eq!(Err(err), set.evaluate_interpreted(&Facts::default()));
}

/// A stride through the boundary grid in every run; the whole grid (1,036,800 cases) with
/// `cargo test --release --test api compiled_rules_agree_on_the_whole_grid -- --ignored`.
#[test]
fn compiled_rules_agree_on_the_grid() {
    let set = CompiledRuleSet::compile(1, shipped()).expect("compiles");
    let mut n = 0;
    for f in grid().step_by(101) {
        if let Some(d) = difference(&set, &f) {
            panic!("{d}\nfacts: {f:?}");
        }
        n += 1;
    }
    assert!(n > 10_000, "{n}");
}

#[test]
#[ignore = "about 10 s in release, minutes in debug: run with --release"]
fn compiled_rules_agree_on_the_whole_grid() {
    let set = CompiledRuleSet::compile(1, shipped()).expect("compiles");
    let mut n = 0;
    for f in grid() {
        if let Some(d) = difference(&set, &f) {
            panic!("{d}\nfacts: {f:?}");
        }
        n += 1;
    }
    assert_eq!(n, 1_036_800);
}

fn text() -> impl Strategy<Value = rhai::ImmutableString> {
    prop_oneof![
        Just("".to_string()),
        Just("ordinary".to_string()),
        Just("professional".to_string()),
        Just("individual".to_string()),
        Just("institution".to_string()),
        "[a-zA-Z0-9_ 长]{0,12}",
    ]
    .prop_map(Into::into)
}

fn facts() -> impl Strategy<Value = Facts> {
    let int = prop_oneof![-2i64..400, Just(i64::MIN), Just(i64::MAX)];
    let amount = prop_oneof![
        (0i64..2_000_000_000).prop_map(|c| Decimal::new(c, 2)),
        Just(Decimal::MAX),
        Just(Decimal::ZERO),
    ];
    let flags = prop::collection::vec(
        prop_oneof![
            Just("answers_contradict_facts".to_string()),
            Just("level_raised_on_retake".to_string()),
            "[a-z_]{1,8}",
        ],
        0..4,
    );
    (
        (
            text(),
            text(),
            -1i64..7,
            any::<bool>(),
            any::<bool>(),
            int.clone(),
        ),
        (any::<bool>(), any::<bool>(), int.clone(), flags, 0i64..3),
        (-1i64..7, amount.clone(), amount, any::<bool>(), text()),
    )
        .prop_map(
            |(
                (kind, t, level, lowest, valid, age),
                (q, c, ev, flags, compl),
                (rating, min, amount, first, level_name),
            )| {
                let mut f = Facts::default();
                f.investor.kind = kind;
                f.investor.investor_type = t;
                f.investor.level = level;
                f.investor.lowest_category = lowest;
                f.investor.assessment_valid = valid;
                f.investor.age = age;
                f.investor.qualified = q;
                f.investor.classification_valid = c;
                f.investor.qualification_evidence_age_days = ev;
                f.investor.assessment_flags = flags.into_iter().map(Into::into).collect();
                f.investor.open_complaints = compl;
                f.investor.level_name = level_name;
                f.product.rating = rating;
                f.product.min_subscription = min;
                f.order.amount = amount;
                f.order.first_purchase = first;
                f
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    /// Any facts, in range or not: the compiled shipped rules give what the interpreter gives.
    #[test]
    fn compiled_rules_agree_on_any_facts(f in facts()) {
        static SET: std::sync::OnceLock<CompiledRuleSet> = std::sync::OnceLock::new();
        let set = SET.get_or_init(|| CompiledRuleSet::compile(1, shipped()).expect("compiles"));
        prop_assert_eq!(difference(set, &f), None);
    }
}
