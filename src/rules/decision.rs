//! The decision a rule set builds. Rules call methods on `decision`; each call appends one
//! effect (no strings are formatted on the hot path), and `finish` turns the effects into the
//! outcome of the contract: verdict, reasons, requirements, checks, periodic frequency, special
//! callbacks and a per-rule trace.

use std::sync::Arc;

use rhai::{Array, Engine, EvalAltResult, INT, ImmutableString, Position};

use super::catalogue::Catalogue;
pub use super::outcome::{
    CheckItem, Frequency, NoteEntry, Outcome, Reason, SpecialCallback, TraceEffect, TraceEntry,
    Verdict,
};

/// Most calls on `decision` one evaluation may make (a decision is stored and shown whole).
pub const MAX_EFFECTS: usize = 256;

/// Longest a special callback may be deferred.
pub const MAX_DUE_IN_DAYS: INT = 366;

#[derive(Debug, Clone, PartialEq)]
enum Effect {
    Reject(ImmutableString, ImmutableString),
    Mismatch(ImmutableString, ImmutableString),
    Require(ImmutableString),
    Check(u16),
    CheckGroup(ImmutableString),
    Periodic(Frequency),
    Special(ImmutableString, INT, Vec<u16>),
    Note(ImmutableString),
}

thread_local! {
    /// The index of the rule file running on this thread, set by the engine between files so
    /// that no per-rule lookup of `decision` in the scope is needed.
    static CURRENT_RULE: std::cell::Cell<u16> = const { std::cell::Cell::new(0) };
}

pub(crate) fn set_current_rule(i: u16) {
    CURRENT_RULE.with(|c| c.set(i));
}

/// The `decision` object rules call.
#[derive(Debug, Clone)]
pub struct Decision {
    verdict: Verdict,
    effects: Vec<(u16, Effect)>,
    catalogue: Arc<Catalogue>,
}

type CallResult = Result<(), Box<EvalAltResult>>;

fn fail(message: String) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(message.into(), Position::NONE))
}

/// Longest reason message or note, in characters: shown to sales, stored with every decision.
pub const MAX_TEXT_CHARS: usize = 500;

/// A text shown to people (a reason's message, a note): at most `MAX_TEXT_CHARS`, no control
/// or bidirectional characters.
fn plain(method: &str, text: &str) -> CallResult {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(fail(format!(
            "{method}: the text is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    match text.chars().find(|c| crate::domain::text::is_forbidden(*c)) {
        None => Ok(()),
        Some(c) => Err(fail(format!(
            "{method}: the text holds {}",
            crate::domain::text::describe(c)
        ))),
    }
}

fn code_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Decision {
    pub fn new(catalogue: Arc<Catalogue>) -> Self {
        Decision {
            verdict: Verdict::Match,
            effects: Vec::with_capacity(16),
            catalogue,
        }
    }

    fn push(&mut self, e: Effect) -> CallResult {
        if self.effects.len() >= MAX_EFFECTS {
            return Err(fail(format!(
                "more than {MAX_EFFECTS} calls on decision in one evaluation"
            )));
        }
        self.effects.push((CURRENT_RULE.with(|c| c.get()), e));
        Ok(())
    }

    fn reject(&mut self, code: ImmutableString, message: ImmutableString) -> CallResult {
        if !code_like(&code) {
            return Err(fail(format!(
                "reject: code '{code}' must be lower_snake_case"
            )));
        }
        plain("reject", &message)?;
        self.verdict = Verdict::Reject;
        self.push(Effect::Reject(code, message))
    }

    fn mismatch(&mut self, code: ImmutableString, message: ImmutableString) -> CallResult {
        if !code_like(&code) {
            return Err(fail(format!(
                "mismatch: code '{code}' must be lower_snake_case"
            )));
        }
        plain("mismatch", &message)?;
        self.verdict = self.verdict.max(Verdict::Mismatch);
        self.push(Effect::Mismatch(code, message))
    }

    fn require(&mut self, item: ImmutableString) -> CallResult {
        if !code_like(&item) {
            return Err(fail(format!(
                "require: item '{item}' must be lower_snake_case"
            )));
        }
        self.push(Effect::Require(item))
    }

    fn check_index(&self, code: &str) -> Result<u16, Box<EvalAltResult>> {
        self.catalogue.index_of(code).ok_or_else(|| {
            fail(format!(
                "unknown check code '{code}': it is not in checks.toml"
            ))
        })
    }

    fn check(&mut self, code: ImmutableString) -> CallResult {
        let i = self.check_index(&code)?;
        self.push(Effect::Check(i))
    }

    fn check_group(&mut self, name: ImmutableString) -> CallResult {
        if self.catalogue.group(&name).is_none() {
            return Err(fail(format!(
                "unknown check group '{name}': it is not in checks.toml [groups]"
            )));
        }
        self.push(Effect::CheckGroup(name))
    }

    fn periodic(&mut self, frequency: ImmutableString) -> CallResult {
        let f = frequency.parse::<Frequency>().map_err(fail)?;
        self.push(Effect::Periodic(f))
    }

    fn special_callback(
        &mut self,
        reason: ImmutableString,
        due_in_days: INT,
        checks: Array,
    ) -> CallResult {
        if !code_like(&reason) {
            return Err(fail(format!(
                "special_callback: reason '{reason}' must be lower_snake_case"
            )));
        }
        if !(0..=MAX_DUE_IN_DAYS).contains(&due_in_days) {
            return Err(fail(format!(
                "special_callback: due_in_days must be 0..={MAX_DUE_IN_DAYS}, got {due_in_days}"
            )));
        }
        let mut indices = Vec::with_capacity(checks.len());
        for c in checks {
            let code = c.into_immutable_string().map_err(|t| {
                fail(format!(
                    "special_callback: check codes must be strings, got {t}"
                ))
            })?;
            indices.push(self.check_index(&code)?);
        }
        self.push(Effect::Special(reason, due_in_days, indices))
    }

    fn note(&mut self, text: ImmutableString) -> CallResult {
        plain("note", &text)?;
        self.push(Effect::Note(text))
    }

    /// Builds the outcome; `rules` names the rule files by index. Strings are shared, not
    /// copied, and the trace is kept structured (it is printed only when serialised).
    pub fn finish(self, rules: &[ImmutableString], ruleset_version: i64) -> Outcome {
        let name = |i: u16| rules.get(usize::from(i)).cloned().unwrap_or_default();
        let mut out = Outcome {
            verdict: self.verdict,
            reasons: Vec::new(),
            requirements: Vec::new(),
            checks: Vec::new(),
            periodic: None,
            special_callbacks: Vec::new(),
            notes: Vec::new(),
            ruleset_version,
            trace: rules
                .iter()
                .map(|r| TraceEntry {
                    rule: r.clone(),
                    effects: Vec::new(),
                })
                .collect(),
        };
        let mut checks: Vec<u16> = Vec::with_capacity(16);
        let mut add_check = |i: u16| {
            if !checks.contains(&i) {
                checks.push(i);
            }
        };
        let cat = &self.catalogue;
        for (rule, effect) in self.effects {
            let trace = match effect {
                Effect::Reject(code, message) => {
                    out.reasons.push(Reason {
                        rule: name(rule),
                        kind: Verdict::Reject,
                        code: code.clone(),
                        message,
                    });
                    TraceEffect::Reject(code)
                }
                Effect::Mismatch(code, message) => {
                    out.reasons.push(Reason {
                        rule: name(rule),
                        kind: Verdict::Mismatch,
                        code: code.clone(),
                        message,
                    });
                    TraceEffect::Mismatch(code)
                }
                Effect::Require(item) => {
                    if !out.requirements.contains(&item) {
                        out.requirements.push(item.clone());
                    }
                    TraceEffect::Require(item)
                }
                Effect::Check(i) => {
                    add_check(i);
                    TraceEffect::Check(cat.shared(i).0.clone())
                }
                Effect::CheckGroup(group) => {
                    for &i in cat.group(&group).unwrap_or(&[]) {
                        add_check(i);
                    }
                    TraceEffect::CheckGroup(group)
                }
                Effect::Periodic(f) => {
                    if out.periodic.is_none_or(|p| f.months() < p.months()) {
                        out.periodic = Some(f);
                    }
                    TraceEffect::Periodic(f)
                }
                Effect::Special(reason, due_in_days, idx) => {
                    let codes = idx.iter().map(|&i| cat.shared(i).0.clone()).collect();
                    out.special_callbacks.push(SpecialCallback {
                        reason: reason.clone(),
                        due_in_days,
                        checks: codes,
                    });
                    TraceEffect::SpecialCallback(reason, due_in_days)
                }
                Effect::Note(text) => {
                    out.notes.push(NoteEntry {
                        rule: name(rule),
                        text: text.clone(),
                    });
                    TraceEffect::Note(text)
                }
            };
            if let Some(entry) = out.trace.get_mut(usize::from(rule)) {
                entry.effects.push(trace);
            }
        }
        out.checks = checks
            .into_iter()
            .map(|i| {
                let (code, question) = cat.shared(i);
                CheckItem {
                    code: code.clone(),
                    question: question.clone(),
                }
            })
            .collect();
        out
    }
}

/// Registers `Decision` and its methods.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Decision>("Decision");
    engine.register_fn("reject", Decision::reject);
    engine.register_fn("mismatch", Decision::mismatch);
    engine.register_fn("require", Decision::require);
    engine.register_fn("check", Decision::check);
    engine.register_fn("check_group", Decision::check_group);
    engine.register_fn("periodic", Decision::periodic);
    engine.register_fn("special_callback", Decision::special_callback);
    engine.register_fn("note", Decision::note);
    engine.register_get("verdict", |d: &mut Decision| {
        ImmutableString::from(d.verdict.as_str())
    });
}
