//! The files of a rule set as uploaded and stored, and the problems found in them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rhai::Position;
use serde::Serialize;

/// The files of a rule set, by path relative to the set's folder (`20-matching.rhai`,
/// `checks.toml`, `tests/matching.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RuleFiles(pub BTreeMap<String, String>);

impl RuleFiles {
    /// Reads `*.rhai`, `checks.toml`, `scripts.toml` and `tests/*.toml` of a rule folder.
    pub fn from_dir(dir: &Path) -> Result<RuleFiles, RuleError> {
        let io = |path: &Path, e: std::io::Error| {
            RuleError::file(path.display().to_string(), format!("cannot read: {e}"))
        };
        let mut files = BTreeMap::new();
        let mut read = |sub: &str, filter: &dyn Fn(&str) -> bool| -> Result<(), RuleError> {
            let folder = if sub.is_empty() {
                dir.to_path_buf()
            } else {
                dir.join(sub)
            };
            if !folder.is_dir() {
                return Ok(());
            }
            for entry in std::fs::read_dir(&folder).map_err(|e| io(&folder, e))? {
                let path = entry.map_err(|e| io(&folder, e))?.path();
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if path.is_file() && filter(name) {
                    let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
                    let key = if sub.is_empty() {
                        name.to_string()
                    } else {
                        format!("{sub}/{name}")
                    };
                    files.insert(key, text);
                }
            }
            Ok(())
        };
        read("", &|n| {
            n.ends_with(".rhai") || n == "checks.toml" || n == "scripts.toml"
        })?;
        read("tests", &|n| n.ends_with(".toml"))?;
        Ok(RuleFiles(files))
    }

    /// The rule files, in the order they run.
    pub fn rules(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0
            .iter()
            .filter(|(k, _)| !k.contains('/') && k.ends_with(".rhai"))
    }

    pub fn tests(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0
            .iter()
            .filter(|(k, _)| k.starts_with("tests/") && k.ends_with(".toml"))
    }
}

/// A problem with a rule set, naming the file and, where known, the line and column.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RuleError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl RuleError {
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        RuleError {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(file: &str, pos: Position, message: String) -> Self {
        RuleError {
            file: file.to_string(),
            line: pos.line(),
            column: pos.position(),
            message,
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RuleError {}
