//! The active rule set of this instance, and the compiled versions it has seen. Evaluations take
//! an `Arc` of the set they start with, so a swap never disturbs an evaluation in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use super::{CompiledRuleSet, RuleError, RuleFiles};

/// Compiled versions kept for replays and previews; beyond this the memo starts afresh.
const MAX_COMPILED: usize = 32;

pub struct ActiveRules {
    current: RwLock<Arc<CompiledRuleSet>>,
    compiled: Mutex<HashMap<i64, Arc<CompiledRuleSet>>>,
}

impl ActiveRules {
    pub fn new(set: CompiledRuleSet) -> Self {
        let set = Arc::new(set);
        let compiled = Mutex::new(HashMap::from([(set.version, set.clone())]));
        Self {
            current: RwLock::new(set),
            compiled,
        }
    }

    pub fn get(&self) -> Arc<CompiledRuleSet> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set(&self, set: Arc<CompiledRuleSet>) {
        if let Ok(mut map) = self.compiled.lock() {
            map.insert(set.version, set.clone());
        }
        match self.current.write() {
            Ok(mut g) => *g = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }

    /// Version `version` compiled from `files`, compiled at most once while it stays in the memo.
    pub fn compiled(
        &self,
        version: i64,
        files: impl FnOnce() -> RuleFiles,
    ) -> Result<Arc<CompiledRuleSet>, Vec<RuleError>> {
        if let Ok(map) = self.compiled.lock()
            && let Some(set) = map.get(&version)
        {
            return Ok(set.clone());
        }
        let set = Arc::new(CompiledRuleSet::compile(version, files())?);
        if let Ok(mut map) = self.compiled.lock() {
            if map.len() >= MAX_COMPILED {
                map.clear();
            }
            map.insert(version, set.clone());
        }
        Ok(set)
    }
}
