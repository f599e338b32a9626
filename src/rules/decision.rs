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
    Periodic(Frequency),
    Special(ImmutableString, INT, Vec<u16>),
    Note(ImmutableString),
}

/// The `decision` object rules call. `rule` is the index of the rule file running now.
#[derive(Debug, Clone)]
pub struct Decision {
    pub(crate) rule: u16,
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
            rule: 0,
            verdict: Verdict::Match,
            effects: Vec::with_capacity(24),
            catalogue,
        }
    }

    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    fn push(&mut self, e: Effect) {
        self.effects.push((self.rule, e));
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

    /// Builds the outcome; `rules` names the rule files by index.
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
        let mut checks: Vec<u16> = Vec::new();
        for (rule, effect) in self.effects {
            let trace = match effect {
                Effect::Reject(code, message) => {
                    let t = format!("reject {code}");
                    out.reasons.push(Reason {
                        rule: name(rule),
                        kind: Verdict::Reject,
                        code,
                        message,
                    });
                    t
                }
                Effect::Mismatch(code, message) => {
                    let t = format!("mismatch {code}");
                    out.reasons.push(Reason {
                        rule: name(rule),
                        kind: Verdict::Mismatch,
                        code,
                        message,
                    });
                    t
                }
                Effect::Require(item) => {
                    let t = format!("require {item}");
                    if !out.requirements.contains(&item) {
                        out.requirements.push(item);
                    }
                    t
                }
                Effect::Check(i) => {
                    if !checks.contains(&i) {
                        checks.push(i);
                    }
                    format!("check {}", self.catalogue.get(i).code)
                }
                Effect::Periodic(f) => {
                    if out.periodic.is_none_or(|p| f.months() < p.months()) {
                        out.periodic = Some(f);
                    }
                    format!("periodic {f}")
                }
                Effect::Special(reason, due_in_days, idx) => {
                    let t = format!("special_callback {reason} {due_in_days}d");
                    let codes = idx
                        .iter()
                        .map(|&i| self.catalogue.get(i).code.clone())
                        .collect();
                    out.special_callbacks.push(SpecialCallback {
                        reason,
                        due_in_days,
                        checks: codes,
                    });
                    t
                }
                Effect::Note(text) => {
                    let t = format!("note {text}");
                    out.notes.push(NoteEntry {
                        rule: name(rule),
                        text,
                    });
                    t
                }
            };
            if let Some(entry) = out.trace.get_mut(usize::from(rule)) {
                entry.effects.push(trace);
            }
        }
        out.checks = checks
            .into_iter()
            .map(|i| {
                let c = self.catalogue.get(i);
                CheckItem {
                    code: c.code.clone(),
                    question: c.question.clone(),
                }
            })
            .collect();
        out
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
    pub code: String,
    pub question: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpecialCallback {
    #[schema(value_type = String)]
    pub reason: ImmutableString,
    pub due_in_days: INT,
    pub checks: Vec<String>,
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
    pub effects: Vec<String>,
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
    engine.register_fn("periodic", Decision::periodic);
    engine.register_fn("special_callback", Decision::special_callback);
    engine.register_fn("note", Decision::note);
    engine.register_get("verdict", |d: &mut Decision| {
        ImmutableString::from(d.verdict.as_str())
    });
}
