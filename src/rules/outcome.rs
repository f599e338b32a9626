//! What a rule set decided, as stored and returned: the verdict, reasons, requirements, checks,
//! periodic frequency, special callbacks, notes and the per-rule trace.

use std::fmt;
use std::str::FromStr;

use rhai::{INT, ImmutableString};
use serde::{Deserialize, Serialize};

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
    // Shared: most decisions ask one of a few lists of checks, each built once per rule set.
    #[schema(value_type = Vec<CheckItem>)]
    pub checks: std::sync::Arc<[CheckItem]>,
    pub periodic: Option<Frequency>,
    pub special_callbacks: Vec<SpecialCallback>,
    pub notes: Vec<NoteEntry>,
    pub ruleset_version: i64,
    pub trace: Vec<TraceEntry>,
}

impl Outcome {
    /// About how many bytes of text the outcome holds (what its rules chose to write), for
    /// bounding memos by size.
    pub fn text_bytes(&self) -> usize {
        let reasons: usize = self
            .reasons
            .iter()
            .map(|r| r.code.len() + r.message.len() + 32)
            .sum();
        let notes: usize = self.notes.iter().map(|n| n.text.len() + 32).sum();
        256 + reasons + notes + 64 * self.trace.len()
    }
}
