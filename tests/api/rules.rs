//! The rules engine on its own: the sandbox, hostile rules, compile errors, isolation.

use std::collections::BTreeMap;

use suitability::rules::{CompiledRuleSet, Facts, RuleFiles};

fn shipped() -> RuleFiles {
    RuleFiles::from_dir(&crate::common::repo_path("rules")).expect("rules folder")
}

/// The shipped set plus one extra rule file.
fn with_rule(name: &str, source: &str) -> RuleFiles {
    let mut files = shipped();
    files.0.insert(name.to_string(), source.to_string());
    files
}

fn run(
    files: RuleFiles,
) -> Result<suitability::rules::decision::Outcome, suitability::rules::RuleError> {
    let set = CompiledRuleSet::compile(7, files).expect("compiles");
    set.evaluate(&Facts::default())
}

#[test]
fn the_shipped_rule_set_passes_its_own_tests() {
    let set = CompiledRuleSet::compile(1, shipped()).expect("compiles");
    let report = suitability::rules::testing::run(&set);
    assert_eq!(report.failed, 0, "{:#?}", report.failures);
    assert!(report.passed >= 50, "{}", report.passed);
}

#[test]
fn endless_recursion_fails_cleanly_naming_the_rule() {
    let err = run(with_rule("70-hostile.rhai", "fn f(x) { f(x + 1) }\nf(1);")).expect_err("fails");
    assert_eq!(err.file, "70-hostile.rhai");
    assert!(err.message.contains("nested deeper"), "{err}");
    assert!(err.line.is_some());
}

#[test]
fn a_loop_building_a_huge_string_fails_cleanly() {
    let err = run(with_rule(
        "70-hostile.rhai",
        "let s = \"x\";\nloop { s += s; }",
    ))
    .expect_err("fails");
    assert_eq!(err.file, "70-hostile.rhai");
    assert!(err.message.to_lowercase().contains("string"), "{err}");
    assert_eq!(err.line, Some(2));
}

#[test]
fn an_endless_loop_is_stopped() {
    let err = run(with_rule("70-hostile.rhai", "let n = 0;\nloop { n += 1; }")).expect_err("fails");
    assert!(err.message.contains("operations"), "{err}");
    let err = run(with_rule(
        "70-hostile.rhai",
        "let a = [];\nloop { a.push(1); }",
    ))
    .expect_err("fails");
    assert!(err.message.to_lowercase().contains("array"), "{err}");
}

#[test]
fn an_unknown_check_code_fails_naming_the_rule_and_code() {
    let err = run(with_rule(
        "70-typo.rhai",
        "decision.check(\"identity_confirmd\");",
    ))
    .expect_err("fails");
    assert_eq!(err.file, "70-typo.rhai");
    assert!(
        err.message.contains("identity_confirmd") && err.message.contains("checks.toml"),
        "{err}"
    );
    let err = run(with_rule(
        "70-typo.rhai",
        "decision.special_callback(\"x\", 2, [\"nope\"]);",
    ))
    .expect_err("fails");
    assert!(err.message.contains("nope"), "{err}");
    let err = run(with_rule("70-typo.rhai", "decision.periodic(\"weekly\");")).expect_err("fails");
    assert!(err.message.contains("weekly"), "{err}");
}

#[test]
fn compile_errors_name_file_line_and_column() {
    let errors = CompiledRuleSet::compile(
        2,
        with_rule("70-broken.rhai", "// ok\nlet x = investor.level +* 2;\n"),
    )
    .expect_err("does not compile");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].file, "70-broken.rhai");
    assert_eq!(errors[0].line, Some(2));
    assert!(errors[0].column.is_some());
    let mut files = shipped();
    files.0.remove("checks.toml");
    let errors = CompiledRuleSet::compile(2, files).expect_err("no catalogue");
    assert_eq!(errors[0].file, "checks.toml");
}

#[test]
fn facts_and_the_decision_cannot_be_replaced_or_changed() {
    for source in ["investor.level = 5;", "decision = 1;", "investor = 1;"] {
        let err = run(with_rule("05-tamper.rhai", source)).expect_err(source);
        assert_eq!(err.file, "05-tamper.rhai", "{source}: {err}");
    }
}

#[test]
fn the_sandbox_has_no_modules_eval_or_clock() {
    for (source, named) in [
        ("import \"os\" as os;", "import"),
        ("eval(\"1\");", "eval"),
        ("let t = timestamp();", "timestamp"),
        ("print(open_file(\"/etc/passwd\"));", "open_file"),
        ("sleep(1000000);", "sleep"),
        ("exit(1);", "exit"),
    ] {
        let mut files = BTreeMap::new();
        files.insert(
            "checks.toml".to_string(),
            shipped().0["checks.toml"].clone(),
        );
        files.insert("10-x.rhai".to_string(), source.to_string());
        // Refused either when compiled or when run, with an error that names what was refused.
        let error = match CompiledRuleSet::compile(3, RuleFiles(files))
            .map(|s| s.evaluate(&Facts::default()))
        {
            Ok(Ok(_)) => panic!("{source} should not run"),
            Ok(Err(e)) => e.to_string(),
            Err(errors) => errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        };
        assert!(
            error.contains("10-x.rhai") && error.contains(named),
            "{source}: {error}"
        );
    }
}

#[test]
fn variables_do_not_leak_between_rules() {
    let mut files = shipped();
    files.0.insert("01-a.rhai".into(), "let secret = 1;".into());
    files.0.insert(
        "02-b.rhai".into(),
        "if secret == 1 { decision.note(\"leak\"); }".into(),
    );
    let err = CompiledRuleSet::compile(4, files)
        .expect("compiles")
        .evaluate(&Facts::default())
        .expect_err("unknown var");
    assert_eq!(err.file, "02-b.rhai");
    assert!(err.message.contains("secret"), "{err}");
}

#[test]
fn the_decision_follows_precedence_and_the_most_frequent_periodic() {
    let mut files = shipped();
    files.0.insert(
        "70-extra.rhai".into(),
        "decision.mismatch(\"x\", \"m\"); decision.periodic(\"monthly\"); decision.periodic(\"annual\"); decision.note(\"n\");"
            .into(),
    );
    let set = CompiledRuleSet::compile(5, files).expect("compiles");
    let facts = Facts {
        investor: suitability::rules::InvestorFacts {
            qualified: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let out = set.evaluate(&facts).expect("runs");
    assert_eq!(
        out.verdict.as_str(),
        "reject",
        "reject wins over a later mismatch"
    );
    assert_eq!(out.periodic.map(|p| p.as_str()), Some("monthly"));
    assert_eq!(out.ruleset_version, 5);
    let extra = out
        .trace
        .iter()
        .find(|t| t.rule.as_str() == "70-extra")
        .expect("trace");
    let effects: Vec<String> = extra.effects.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        effects,
        [
            "mismatch x",
            "periodic monthly",
            "periodic annual",
            "note n"
        ]
    );
}

#[test]
fn a_rule_cannot_flood_the_decision() {
    let err = run(with_rule(
        "70-flood.rhai",
        "for i in 0..1000 { decision.note(\"x\"); }",
    ))
    .expect_err("capped");
    assert_eq!(err.file, "70-flood.rhai");
    assert!(err.message.contains("256"), "{err}");
}
