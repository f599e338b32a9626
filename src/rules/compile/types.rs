//! What compiled rules are made of: typed closures over the facts and the decision.
//!
//! Every expression of the compiled subset has a type known when it compiles (fact properties
//! have fixed types, literals are typed, there is no assignment), so the dispatch on `Dynamic`
//! rhai does on every operation is decided once, here, and a closure returns a plain `bool`,
//! `i64` or `Decimal`.

use rhai::{INT, ImmutableString};
use rust_decimal::Decimal;

use super::super::decision::Decision;
use super::super::facts::Facts;

/// "This evaluation went somewhere the compiled code does not follow rhai exactly (an overflow,
/// a refused decision call, an over-long text): run it again in the interpreter", which gives
/// the exact outcome or error, position and message included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bail;

pub(crate) type R<T> = Result<T, Bail>;

/// What one evaluation of a compiled file reads and writes.
pub(crate) struct Env<'a> {
    pub facts: &'a Facts,
    pub decision: &'a mut Decision,
    /// The file's `let` slots, reset for every file (variables do not leak across files).
    pub locals: &'a mut Vec<Local>,
}

/// A variable's value; its type is fixed when the file compiles.
#[derive(Debug, Clone)]
pub(crate) enum Local {
    Unset,
    Bool(bool),
    Int(INT),
    Dec(Decimal),
    Str(ImmutableString),
}

pub(crate) type F<T> = Box<dyn Fn(&Env<'_>) -> R<T> + Send + Sync>;
pub(crate) type Exec = Box<dyn Fn(&mut Env<'_>) -> R<()> + Send + Sync>;

/// A string: borrowed from the facts or the literal where it can be, built only when it must.
pub(crate) enum StrSrc {
    Lit(ImmutableString),
    Field(fn(&Facts) -> &ImmutableString),
    /// `decision.verdict`, so far.
    Verdict,
    Built(F<ImmutableString>),
}

/// A text read for a moment: borrowed, or a shared one held (never copied).
pub(crate) enum Text<'a> {
    Borrowed(&'a str),
    Held(ImmutableString),
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Held(s) => s.as_str(),
        }
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        self
    }
}

impl StrSrc {
    pub fn get<'a>(&'a self, e: &'a Env<'_>) -> R<Text<'a>> {
        Ok(match self {
            StrSrc::Lit(s) => Text::Borrowed(s.as_str()),
            StrSrc::Field(f) => Text::Borrowed(f(e.facts).as_str()),
            StrSrc::Verdict => Text::Borrowed(e.decision.verdict().as_str()),
            StrSrc::Built(f) => Text::Held(f(e)?),
        })
    }

    pub fn owned(&self, e: &Env<'_>) -> R<ImmutableString> {
        Ok(match self {
            StrSrc::Lit(s) => s.clone(),
            StrSrc::Field(f) => f(e.facts).clone(),
            StrSrc::Verdict => e.decision.verdict().as_str().into(),
            StrSrc::Built(f) => f(e)?,
        })
    }
}

/// A list of strings: the investor's assessment flags, or a literal array of strings.
pub(crate) enum ListSrc {
    Flags,
    Lit(Vec<ImmutableString>),
}

impl ListSrc {
    pub fn items<'a>(&'a self, e: &'a Env<'_>) -> &'a [ImmutableString] {
        match self {
            ListSrc::Flags => &e.facts.investor.assessment_flags,
            ListSrc::Lit(v) => v,
        }
    }
}

/// A compiled expression with its static type (a compile-time notion only).
pub(crate) enum Typed {
    Bool(F<bool>),
    Int(F<INT>),
    Dec(F<Decimal>),
    Str(StrSrc),
    List(ListSrc),
}

impl Typed {
    pub fn type_name(&self) -> &'static str {
        match self {
            Typed::Bool(_) => "a boolean",
            Typed::Int(_) => "an integer",
            Typed::Dec(_) => "a decimal",
            Typed::Str(_) => "a string",
            Typed::List(_) => "an array",
        }
    }
}

/// The static type of a `let` slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    Int,
    Dec,
    Str,
}
