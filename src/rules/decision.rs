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

use super::effect::Effect;
pub use super::effect::{MAX_DUE_IN_DAYS, MAX_TEXT_CHARS};

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

impl Decision {
    pub fn new(catalogue: Arc<Catalogue>) -> Self {
        Decision {
            verdict: Verdict::Match,
            effects: Vec::with_capacity(16),
            catalogue,
        }
    }

    /// The verdict so far (`decision.verdict`).
    pub(crate) fn verdict(&self) -> Verdict {
        self.verdict
    }

    pub(crate) fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Where the decision stands, to go back to (`rewind`).
    pub(crate) fn mark(&self) -> (usize, Verdict) {
        (self.effects.len(), self.verdict)
    }

    pub(crate) fn rewind(&mut self, (effects, verdict): (usize, Verdict)) {
        self.effects.truncate(effects);
        self.verdict = verdict;
    }

    /// Records a checked call of the running rule file: the one place the verdict moves and the
    /// number of calls is bounded, for interpreted and compiled rules alike.
    pub(crate) fn record(&mut self, e: Effect) -> Result<(), String> {
        if self.effects.len() >= MAX_EFFECTS {
            return Err(format!(
                "more than {MAX_EFFECTS} calls on decision in one evaluation"
            ));
        }
        match e {
            Effect::Reject(..) => self.verdict = Verdict::Reject,
            Effect::Mismatch(..) => self.verdict = self.verdict.max(Verdict::Mismatch),
            _ => {}
        }
        self.effects.push((CURRENT_RULE.with(|c| c.get()), e));
        Ok(())
    }

    fn call(&mut self, e: Result<Effect, String>) -> CallResult {
        self.record(e.map_err(fail)?).map_err(fail)
    }

    fn reject(&mut self, code: ImmutableString, message: ImmutableString) -> CallResult {
        self.call(Effect::reject(code, message))
    }

    fn mismatch(&mut self, code: ImmutableString, message: ImmutableString) -> CallResult {
        self.call(Effect::mismatch(code, message))
    }

    fn require(&mut self, item: ImmutableString) -> CallResult {
        self.call(Effect::require(item))
    }

    fn check(&mut self, code: ImmutableString) -> CallResult {
        let e = Effect::check(&self.catalogue, &code);
        self.call(e)
    }

    fn check_group(&mut self, name: ImmutableString) -> CallResult {
        let e = Effect::check_group(&self.catalogue, name);
        self.call(e)
    }

    fn periodic(&mut self, frequency: ImmutableString) -> CallResult {
        self.call(Effect::periodic(&frequency))
    }

    fn special_callback(
        &mut self,
        reason: ImmutableString,
        due_in_days: INT,
        checks: Array,
    ) -> CallResult {
        let codes = checks.into_iter().map(|c| c.into_immutable_string());
        let e = Effect::special(&self.catalogue, reason, due_in_days, codes);
        self.call(e)
    }

    fn note(&mut self, text: ImmutableString) -> CallResult {
        self.call(Effect::note(text))
    }

    /// Builds the outcome; `rules` names the rule files by index. Strings are shared, not
    /// copied, and the trace is kept structured (it is printed only when serialised).
    pub fn finish(self, rules: &[ImmutableString], ruleset_version: i64) -> Outcome {
        let name = |i: u16| rules.get(usize::from(i)).cloned().unwrap_or_default();
        let mut out = Outcome {
            verdict: self.verdict,
            reasons: Vec::new(),
            requirements: Vec::new(),
            checks: Default::default(),
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
                Effect::CheckGroup(group, members) => {
                    for &i in members.iter() {
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
        out.checks = cat.check_list(&checks);
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
