//! One call on `decision`, checked: the constructors here are the only place a call's arguments
//! are validated, for the interpreter's methods (`decision.rs`) and for the compiler, which runs
//! them once when a call's arguments are literals.

use std::sync::Arc;

use rhai::{INT, ImmutableString};

use super::catalogue::Catalogue;
use super::outcome::Frequency;

/// Longest reason message or note, in characters: shown to sales, stored with every decision.
pub const MAX_TEXT_CHARS: usize = 500;

/// Longest a special callback may be deferred.
pub const MAX_DUE_IN_DAYS: INT = 366;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    Reject(ImmutableString, ImmutableString),
    Mismatch(ImmutableString, ImmutableString),
    Require(ImmutableString),
    Check(u16),
    /// The group's name (for the trace) and its checks, looked up once.
    CheckGroup(ImmutableString, Arc<[u16]>),
    Periodic(Frequency),
    Special(ImmutableString, INT, Arc<[u16]>),
    Note(ImmutableString),
}

type Checked = Result<Effect, String>;

/// A text shown to people (a reason's message, a note): at most `MAX_TEXT_CHARS`, no control
/// or bidirectional characters.
fn plain(method: &str, text: &str) -> Result<(), String> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(format!(
            "{method}: the text is longer than {MAX_TEXT_CHARS} characters"
        ));
    }
    match text.chars().find(|c| crate::domain::text::is_forbidden(*c)) {
        None => Ok(()),
        Some(c) => Err(format!(
            "{method}: the text holds {}",
            crate::domain::text::describe(c)
        )),
    }
}

fn code_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn check_index(cat: &Catalogue, code: &str) -> Result<u16, String> {
    cat.index_of(code)
        .ok_or_else(|| format!("unknown check code '{code}': it is not in checks.toml"))
}

impl Effect {
    pub(crate) fn reject(code: ImmutableString, message: ImmutableString) -> Checked {
        if !code_like(&code) {
            return Err(format!("reject: code '{code}' must be lower_snake_case"));
        }
        plain("reject", &message)?;
        Ok(Effect::Reject(code, message))
    }

    pub(crate) fn mismatch(code: ImmutableString, message: ImmutableString) -> Checked {
        if !code_like(&code) {
            return Err(format!("mismatch: code '{code}' must be lower_snake_case"));
        }
        plain("mismatch", &message)?;
        Ok(Effect::Mismatch(code, message))
    }

    pub(crate) fn require(item: ImmutableString) -> Checked {
        if !code_like(&item) {
            return Err(format!("require: item '{item}' must be lower_snake_case"));
        }
        Ok(Effect::Require(item))
    }

    pub(crate) fn check(cat: &Catalogue, code: &str) -> Checked {
        check_index(cat, code).map(Effect::Check)
    }

    pub(crate) fn check_group(cat: &Catalogue, name: ImmutableString) -> Checked {
        match cat.group(&name) {
            Some(checks) => {
                let checks = checks.into();
                Ok(Effect::CheckGroup(name, checks))
            }
            None => Err(format!(
                "unknown check group '{name}': it is not in checks.toml [groups]"
            )),
        }
    }

    pub(crate) fn periodic(frequency: &str) -> Checked {
        frequency.parse::<Frequency>().map(Effect::Periodic)
    }

    /// `checks` yields each code, or the type name of an item that is not a string.
    pub(crate) fn special(
        cat: &Catalogue,
        reason: ImmutableString,
        due_in_days: INT,
        checks: impl Iterator<Item = Result<ImmutableString, &'static str>>,
    ) -> Checked {
        if !code_like(&reason) {
            return Err(format!(
                "special_callback: reason '{reason}' must be lower_snake_case"
            ));
        }
        if !(0..=MAX_DUE_IN_DAYS).contains(&due_in_days) {
            return Err(format!(
                "special_callback: due_in_days must be 0..={MAX_DUE_IN_DAYS}, got {due_in_days}"
            ));
        }
        let mut indices = Vec::new();
        for c in checks {
            let code =
                c.map_err(|t| format!("special_callback: check codes must be strings, got {t}"))?;
            indices.push(check_index(cat, &code)?);
        }
        Ok(Effect::Special(reason, due_in_days, indices.into()))
    }

    pub(crate) fn note(text: ImmutableString) -> Checked {
        plain("note", &text)?;
        Ok(Effect::Note(text))
    }
}
