//! The decision a rule set builds. Rules call methods on `decision`; each call appends one
//! effect (no strings are formatted on the hot path), and `finish` turns the effects into the
//! outcome of the contract: verdict, reasons, requirements, checks, periodic frequency, special
//! callbacks and a per-rule trace.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rhai::{Array, Engine, EvalAltResult, INT, ImmutableString, Position};
use serde::{Deserialize, Serialize};

use super::catalogue::Catalogue;

/// reject > mismatch > match.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Match,
    Mismatch,
    Reject,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Match => "match",
            Verdict::Mismatch => "mismatch",
            Verdict::Reject => "reject",
        }
    }
}

/// Periodic callback frequency; the most frequent requested wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Monthly,
    Quarterly,
    Semiannual,
    Annual,
}

impl Frequency {
    pub fn months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::Semiannual => 6,
            Frequency::Annual => 12,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Semiannual => "semiannual",
            Frequency::Annual => "annual",
        }
    }
}

impl FromStr for Frequency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "monthly" => Ok(Frequency::Monthly),
            "quarterly" => Ok(Frequency::Quarterly),
            "semiannual" => Ok(Frequency::Semiannual),
            "annual" => Ok(Frequency::Annual),
            other => Err(format!(
                "unknown frequency '{other}' (monthly, quarterly, semiannual, annual)"
            )),
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    fn push(&mut self, e: Effect) {
        self.effects.push((CURRENT_RULE.with(|c| c.get()), e));
    }

    fn reject(&mut self, code: ImmutableString, message: ImmutableString) -> CallResult {
        if !code_like(&code) {
            return Err(fail(format!(
                "reject: code '{code}' must be lower_snake_case"
            )));
        }
        self.verdict = Verdict::Reject;
        self.push(Effect::Reject(code, message));
        Ok(())
    }

    fn mismatch(&mut self, code: ImmutableString, message: ImmutableString) -> CallResult {
        if !code_like(&code) {
            return Err(fail(format!(
                "mismatch: code '{code}' must be lower_snake_case"
            )));
        }
        self.verdict = self.verdict.max(Verdict::Mismatch);
        self.push(Effect::Mismatch(code, message));
        Ok(())
    }

    fn require(&mut self, item: ImmutableString) -> CallResult {
        if !code_like(&item) {
            return Err(fail(format!(
                "require: item '{item}' must be lower_snake_case"
            )));
        }
        self.push(Effect::Require(item));
        Ok(())
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
        self.push(Effect::Check(i));
        Ok(())
    }

    fn check_group(&mut self, name: ImmutableString) -> CallResult {
        if self.catalogue.group(&name).is_none() {
            return Err(fail(format!(
                "unknown check group '{name}': it is not in checks.toml [groups]"
            )));
        }
        self.push(Effect::CheckGroup(name));
        Ok(())
    }

    fn periodic(&mut self, frequency: ImmutableString) -> CallResult {
        let f = frequency.parse::<Frequency>().map_err(fail)?;
        self.push(Effect::Periodic(f));
        Ok(())
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
        self.push(Effect::Special(reason, due_in_days, indices));
        Ok(())
    }

    fn note(&mut self, text: ImmutableString) -> CallResult {
        self.push(Effect::Note(text));
        Ok(())
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

/// One thing a rule did, as the trace shows it: `reject not_qualified`, `require dual_recording`,
/// `check identity_confirmed`, `check_group confirmation`, `periodic quarterly`,
/// `special_callback mismatch 2d`, `note …`.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceEffect {
    Reject(ImmutableString),
    Mismatch(ImmutableString),
    Require(ImmutableString),
    Check(ImmutableString),
    CheckGroup(ImmutableString),
    Periodic(Frequency),
    SpecialCallback(ImmutableString, INT),
    Note(ImmutableString),
}

impl fmt::Display for TraceEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceEffect::Reject(c) => write!(f, "reject {c}"),
            TraceEffect::Mismatch(c) => write!(f, "mismatch {c}"),
            TraceEffect::Require(c) => write!(f, "require {c}"),
            TraceEffect::Check(c) => write!(f, "check {c}"),
            TraceEffect::CheckGroup(c) => write!(f, "check_group {c}"),
            TraceEffect::Periodic(p) => write!(f, "periodic {p}"),
            TraceEffect::SpecialCallback(r, d) => write!(f, "special_callback {r} {d}d"),
            TraceEffect::Note(t) => write!(f, "note {t}"),
        }
    }
}

impl FromStr for TraceEffect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (verb, rest) = s
            .split_once(' ')
            .ok_or_else(|| format!("bad trace effect '{s}'"))?;
        let text = || ImmutableString::from(rest);
        Ok(match verb {
            "reject" => TraceEffect::Reject(text()),
            "mismatch" => TraceEffect::Mismatch(text()),
            "require" => TraceEffect::Require(text()),
            "check" => TraceEffect::Check(text()),
            "check_group" => TraceEffect::CheckGroup(text()),
            "periodic" => TraceEffect::Periodic(rest.parse()?),
            "special_callback" => {
                let (reason, days) = rest
                    .rsplit_once(' ')
                    .ok_or_else(|| format!("bad trace effect '{s}'"))?;
                let days = days
                    .trim_end_matches('d')
                    .parse()
                    .map_err(|_| format!("bad trace effect '{s}'"))?;
                TraceEffect::SpecialCallback(reason.into(), days)
            }
            "note" => TraceEffect::Note(text()),
            _ => return Err(format!("bad trace effect '{s}'")),
        })
    }
}

impl Serialize for TraceEffect {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TraceEffect {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One reason for a reject or mismatch verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    #[schema(value_type = String)]
    pub rule: ImmutableString,
    /// "reject" or "mismatch".
    pub kind: Verdict,
    #[schema(value_type = String)]
    pub code: ImmutableString,
    #[schema(value_type = String)]
    pub message: ImmutableString,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckItem {
    #[schema(value_type = String)]
    pub code: ImmutableString,
    #[schema(value_type = String)]
    pub question: ImmutableString,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpecialCallback {
    #[schema(value_type = String)]
    pub reason: ImmutableString,
    pub due_in_days: INT,
    #[schema(value_type = Vec<String>)]
    pub checks: Vec<ImmutableString>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NoteEntry {
    #[schema(value_type = String)]
    pub rule: ImmutableString,
    #[schema(value_type = String)]
    pub text: ImmutableString,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TraceEntry {
    #[schema(value_type = String)]
    pub rule: ImmutableString,
    #[schema(value_type = Vec<String>)]
    pub effects: Vec<TraceEffect>,
}

/// What a rule set decided for one set of facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Outcome {
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    #[schema(value_type = Vec<String>)]
    pub requirements: Vec<ImmutableString>,
    pub checks: Vec<CheckItem>,
    pub periodic: Option<Frequency>,
    pub special_callbacks: Vec<SpecialCallback>,
    pub notes: Vec<NoteEntry>,
    pub ruleset_version: i64,
    pub trace: Vec<TraceEntry>,
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
