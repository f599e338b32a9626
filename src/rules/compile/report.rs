//! Why a file runs in the interpreter: the first construct outside the compiled subset, and where.

use std::fmt;

use rhai::Position;

/// The compiled subset does not cover `construct` at `position`; the file is interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCompiled {
    pub construct: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl NotCompiled {
    pub(crate) fn at(construct: impl Into<String>, pos: Position) -> NotCompiled {
        NotCompiled {
            construct: construct.into(),
            line: pos.line(),
            column: pos.position(),
        }
    }
}

impl fmt::Display for NotCompiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.construct)?;
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, " at line {l}, column {c}"),
            (Some(l), None) => write!(f, " at line {l}"),
            _ => Ok(()),
        }
    }
}

/// How one rule file runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileReport {
    Compiled,
    Interpreted(NotCompiled),
}

pub(crate) type C<T> = Result<T, NotCompiled>;
