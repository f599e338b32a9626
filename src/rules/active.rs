//! The active rule set of this instance. Evaluations take an `Arc` of the set they start with,
//! so a swap never disturbs an evaluation in flight.

use std::sync::{Arc, RwLock};

use super::CompiledRuleSet;

pub struct ActiveRules {
    current: RwLock<Arc<CompiledRuleSet>>,
}

impl ActiveRules {
    pub fn new(set: CompiledRuleSet) -> Self {
        Self {
            current: RwLock::new(Arc::new(set)),
        }
    }

    pub fn get(&self) -> Arc<CompiledRuleSet> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set(&self, set: Arc<CompiledRuleSet>) {
        match self.current.write() {
            Ok(mut g) => *g = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }
}
