//! Hostile rules: each reproduction of the safety issue, ending in a clean failure that names the
//! rule, with the evaluation's memory measured by the process's counting allocator.

use std::sync::{Arc, Mutex};

use suitability::memory::Mark;
use suitability::rules::{CompiledRuleSet, Facts, RuleError, RuleFiles};

/// The most one evaluation may hold, as the issue states it.
const LIMIT: usize = 16 << 20;

fn shipped() -> RuleFiles {
    RuleFiles::from_dir(&crate::common::repo_path("rules")).expect("rules folder")
}

fn with_rule(source: &str) -> RuleFiles {
    let mut files = shipped();
    files.0.insert("70-hostile.rhai".into(), source.to_string());
    files
}

fn compile_errors(source: &str) -> Vec<RuleError> {
    CompiledRuleSet::compile(7, with_rule(source)).expect_err("refused at compile time")
}

/// Evaluates the shipped set plus `source` on default facts; the error and the peak heap held.
fn run_measured(source: &str) -> (RuleError, usize) {
    let set = CompiledRuleSet::compile(7, with_rule(source)).expect("compiles");
    let mark = Mark::now();
    let err = set.evaluate(&Facts::default()).expect_err("the rule fails");
    (err, mark.peak())
}

#[test]
fn currying_a_pointer_with_itself_is_not_in_the_language() {
    let errors = compile_errors(
        "fn g(a){1}\nlet f=Fn(\"g\");let i=0;while i<27{f=f.curry(f);i+=1;}\ndecision.note(\"x\");",
    );
    assert_eq!(errors[0].file, "70-hostile.rhai");
    assert_eq!(errors[0].line, Some(2), "{errors:?}");
}

#[test]
fn closures_cannot_capture_and_grow() {
    // Without captures a closure cannot see `g`, so it cannot hold the previous one.
    let (err, _) = run_measured(
        "let f = || 1;\nlet i = 0;\nwhile i < 100 { let g = f; f = || g; i += 1; }\nf.call();",
    );
    assert_eq!(
        (err.file.as_str(), err.line),
        ("70-hostile.rhai", Some(4)),
        "{err}"
    );
    assert!(err.message.contains("not found: g"), "{err}");
}

#[test]
fn growing_a_map_by_index_with_long_keys_stops_within_the_budget() {
    let (err, peak) = run_measured(
        "let s = \"x\"; while s.len() < 2048 { s += s; }\n\
         let m = #{}; let i = 0;\n\
         while i < 100000 { m[s + i] = s + i; i += 1; }",
    );
    assert_eq!(err.file, "70-hostile.rhai");
    assert!(err.message.contains("stopped: held more than"), "{err}");
    assert!(peak <= LIMIT, "held {} MiB", peak >> 20);
}

#[test]
fn a_map_nested_in_itself_stops_within_the_budget() {
    let (err, peak) = run_measured(
        "let m = #{a: \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}; let i = 0;\n\
         while i < 60 { m[\"k\" + i] = m; i += 1; }",
    );
    assert_eq!(err.file, "70-hostile.rhai");
    // The nested copies' strings count against the string limit, which stops it first.
    assert!(peak <= LIMIT, "held {} MiB: {err}", peak >> 20);
}

#[test]
fn an_array_doubling_itself_stops_within_the_budget() {
    let (err, peak) = run_measured("let a = [\"x\"];\nloop { a = [a, a]; }");
    assert_eq!(err.line, Some(2), "{err}");
    assert!(peak <= LIMIT, "held {} MiB: {err}", peak >> 20);
}

#[test]
fn a_function_named_like_a_decision_method_or_fact_is_refused_at_its_line() {
    for name in ["reject", "note", "check_group", "investor", "decision"] {
        let errors = compile_errors(&format!(
            "// shadows\n\nfn {name}(a, b) {{ 1 }}\nlet x = 1;"
        ));
        let e = &errors[0];
        assert_eq!(
            (e.file.as_str(), e.line),
            ("70-hostile.rhai", Some(3)),
            "{errors:?}"
        );
        assert!(e.message.contains(name), "{e}");
    }
    // Any other name is fine.
    CompiledRuleSet::compile(7, with_rule("fn helper(a) { a + 1 }\nlet x = helper(1);"))
        .expect("compiles");
}

#[test]
fn bidi_and_control_characters_in_a_source_are_refused_at_line_and_column() {
    let errors = compile_errors("let a = 1;\n// looks harmless \u{202E} reversed\n");
    let e = &errors[0];
    assert_eq!((e.line, e.column), (Some(2), Some(19)), "{errors:?}");
    assert!(e.message.contains("U+202E"), "{e}");
    let errors = compile_errors("let a = \"\u{1b}[2J\";");
    assert!(errors[0].message.contains("U+001B"), "{errors:?}");
    let mut files = shipped();
    files.0.insert(
        "checks.toml".into(),
        format!("{}\n# \u{2066}\n", files.0["checks.toml"]),
    );
    let errors = CompiledRuleSet::compile(7, files).expect_err("refused");
    assert_eq!(errors[0].file, "checks.toml", "{errors:?}");
}

#[test]
fn a_reason_or_note_built_with_a_bidi_character_fails_the_rule() {
    for call in [
        "decision.reject(\"x\", \"ok \" + c + \"kcab\")",
        "decision.mismatch(\"x\", c)",
        "decision.note(\"n\" + c)",
    ] {
        let source = format!("let c = \"\\u202E\";\n{call};");
        let (err, _) = run_measured(&source);
        assert_eq!(
            (err.file.as_str(), err.line),
            ("70-hostile.rhai", Some(2)),
            "{call}: {err}"
        );
        assert!(err.message.contains("U+202E"), "{err}");
    }
}

/// A writer the test's subscriber logs into.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_printed_line_cannot_forge_another_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let set = CompiledRuleSet::compile(
        7,
        with_rule("print(\"done\\n2026-12-02T10:00:00Z  INFO suitability: order placed\");"),
    )
    .expect("compiles");
    tracing::subscriber::with_default(subscriber, || {
        set.evaluate(&Facts::default()).expect("evaluates");
    });
    let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].contains("rule printed") && lines[0].contains("\\n2026"),
        "{text}"
    );
}

#[test]
fn testing_stops_when_the_time_budget_runs_out() {
    use suitability::rules::testing::{Budget, run_within};
    let mut files = with_rule("if product.code == \"SPIN\" { let n = 0; loop { n += 1; } }");
    let case = "[[case]]\nname = \"spins\"\nproduct = { code = \"SPIN\" }\n[case.expect]\nerror = \"stopped\"\n";
    files.0.insert("tests/spin.toml".into(), case.repeat(20));
    let set = CompiledRuleSet::compile(7, files).expect("compiles");
    let budget = Budget {
        cases: 1_000,
        time: std::time::Duration::from_millis(150),
    };
    let started = std::time::Instant::now();
    let limit = run_within(&set, budget, started).expect_err("over budget");
    assert!(limit.contains("longer than"), "{limit}");
    // Each case may take the sandbox's 100 ms: the run stops within one case of the budget.
    assert!(
        started.elapsed() < std::time::Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_let_cannot_replace_the_decision_or_a_fact() {
    for name in ["decision", "investor"] {
        let errors = compile_errors(&format!(
            "// sneaky\nlet {name} = #{{ reject: 1 }};\ndecision.reject(\"x\", \"y\");"
        ));
        let e = &errors[0];
        assert_eq!(
            (e.file.as_str(), e.line),
            ("70-hostile.rhai", Some(2)),
            "{errors:?}"
        );
    }
}

#[test]
fn a_thrown_text_cannot_forge_a_log_line_or_hide_its_direction() {
    let (err, _) = run_measured("throw \"x\\n2026-05-01T09:00:00Z  INFO order placed \\u202E\";");
    assert!(
        !err.message.contains('\n') && !err.message.contains('\u{202E}'),
        "{:?}",
        err.message
    );
    assert!(
        err.message.contains("\\u{a}") && err.message.contains("\\u{202e}"),
        "{:?}",
        err.message
    );
}

#[test]
fn a_note_longer_than_500_characters_fails_the_rule() {
    let (err, _) =
        run_measured("let s = \"x\"; while s.len() < 501 { s += \"y\"; }\ndecision.note(s);");
    assert!(err.message.contains("longer than 500"), "{err}");
}
