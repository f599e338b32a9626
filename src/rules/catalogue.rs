//! The check catalogue (`checks.toml`): every item a callback may be asked to confirm, with the
//! question the agent asks and the clause it comes from. A rule naming a code outside it fails.

use std::collections::HashMap;

use rhai::ImmutableString;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub code: String,
    /// The question in Chinese, as the agent asks it.
    pub question: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question_en: Option<String>,
    /// The regulation or firm policy the item comes from.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    checks: Vec<Check>,
    /// Named lists of checks a rule adds in one call (`decision.check_group("confirmation")`).
    #[serde(default)]
    groups: std::collections::BTreeMap<String, Vec<String>>,
    /// Each requirement a rule may `require`, with the evidence kinds an order must carry to
    /// satisfy it (`dual_recording = ["recording"]`). A requirement not listed needs no evidence.
    #[serde(default)]
    requirements: std::collections::BTreeMap<String, Vec<String>>,
}

/// The catalogue, indexed by code. Decisions refer to checks by index.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    checks: Vec<Check>,
    /// Code and question of each check, shared into every outcome without copying.
    shared: Vec<(ImmutableString, ImmutableString)>,
    index: HashMap<String, u16>,
    groups: HashMap<String, Vec<u16>>,
    requirements: std::collections::BTreeMap<String, Vec<String>>,
    lists: CheckLists,
}

/// The check lists outcomes have asked, built once and shared (a decision's list is then one
/// reference count, not two per check). Bounded: cleared when full.
#[derive(Debug, Default)]
struct CheckLists(
    std::sync::RwLock<HashMap<Vec<u16>, std::sync::Arc<[super::outcome::CheckItem]>>>,
);

const MAX_CHECK_LISTS: usize = 4_096;

impl Clone for CheckLists {
    fn clone(&self) -> Self {
        CheckLists::default()
    }
}

impl Catalogue {
    /// Parses `checks.toml`; errors carry the line when the parser knows it.
    pub fn parse(text: &str) -> Result<Catalogue, (Option<usize>, String)> {
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| crate::rules::source::line_at(text, s.start));
            (line, e.message().to_string())
        })?;
        let mut index = HashMap::new();
        for (i, check) in file.checks.iter().enumerate() {
            let valid = !check.code.is_empty()
                && check
                    .code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err((
                    None,
                    format!("check code '{}' must be lower_snake_case", check.code),
                ));
            }
            if check.question.trim().is_empty() || check.source.trim().is_empty() {
                return Err((
                    None,
                    format!("check '{}' needs a question and a source", check.code),
                ));
            }
            let i = u16::try_from(i).map_err(|_| (None, "too many checks".to_string()))?;
            if index.insert(check.code.clone(), i).is_some() {
                return Err((None, format!("duplicate check code '{}'", check.code)));
            }
        }
        let mut groups = HashMap::new();
        for (name, codes) in file.groups {
            let mut idx = Vec::with_capacity(codes.len());
            for code in codes {
                let i = index.get(&code).copied().ok_or_else(|| {
                    (None, format!("group '{name}' names unknown check '{code}'"))
                })?;
                idx.push(i);
            }
            groups.insert(name, idx);
        }
        let shared = file
            .checks
            .iter()
            .map(|c| (c.code.as_str().into(), c.question.as_str().into()))
            .collect();
        for (name, kinds) in &file.requirements {
            let code_like = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            };
            if !code_like(name) || !kinds.iter().all(|k| code_like(k)) {
                return Err((
                    None,
                    format!("requirement '{name}' and its evidence kinds must be lower_snake_case"),
                ));
            }
        }
        Ok(Catalogue {
            checks: file.checks,
            shared,
            index,
            groups,
            requirements: file.requirements,
            lists: CheckLists::default(),
        })
    }

    /// The checks `indices` name, in that order, as a shared list.
    pub fn check_list(&self, indices: &[u16]) -> std::sync::Arc<[super::outcome::CheckItem]> {
        if let Ok(lists) = self.lists.0.read()
            && let Some(list) = lists.get(indices)
        {
            return list.clone();
        }
        let list: std::sync::Arc<[super::outcome::CheckItem]> = indices
            .iter()
            .map(|&i| {
                let (code, question) = self.shared(i);
                super::outcome::CheckItem {
                    code: code.clone(),
                    question: question.clone(),
                }
            })
            .collect();
        if let Ok(mut lists) = self.lists.0.write() {
            if lists.len() >= MAX_CHECK_LISTS {
                lists.clear();
            }
            lists.insert(indices.to_vec(), list.clone());
        }
        list
    }

    pub fn index_of(&self, code: &str) -> Option<u16> {
        self.index.get(code).copied()
    }

    pub fn get(&self, i: u16) -> &Check {
        &self.checks[usize::from(i)]
    }

    /// The code and question of check `i` as shared strings.
    pub fn shared(&self, i: u16) -> &(ImmutableString, ImmutableString) {
        &self.shared[usize::from(i)]
    }

    pub fn group(&self, name: &str) -> Option<&[u16]> {
        self.groups.get(name).map(Vec::as_slice)
    }

    pub fn by_code(&self, code: &str) -> Option<&Check> {
        self.index_of(code).map(|i| self.get(i))
    }

    pub fn all(&self) -> &[Check] {
        &self.checks
    }

    /// The evidence kinds that satisfy `requirement` (none if it is not listed).
    pub fn evidence_for(&self, requirement: &str) -> &[String] {
        self.requirements
            .get(requirement)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Every listed requirement with its evidence kinds, by name.
    pub fn requirements(&self) -> &std::collections::BTreeMap<String, Vec<String>> {
        &self.requirements
    }
}
