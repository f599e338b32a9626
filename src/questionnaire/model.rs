//! The questionnaire as the service holds it once a file has been validated.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::RiskLevel;
use crate::domain::investor::InvestorKind;

/// One questionnaire version, exactly as its file declares it, plus the file's content hash.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Questionnaire {
    pub id: String,
    pub version: i64,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    pub applies_to: InvestorKind,
    /// A sample to adapt, not a firm's approved questionnaire.
    #[serde(default)]
    pub sample: bool,
    pub questions: Vec<Question>,
    pub bands: Vec<Band>,
    /// SHA-256 of the file, stored with every assessment taken on it.
    #[serde(default)]
    pub content_hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_en: Option<String>,
    /// Multiple choice; it scores the highest option chosen.
    #[serde(default)]
    pub multiple: bool,
    pub options: Vec<QuestionOption>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionOption {
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_en: Option<String>,
    pub points: i64,
    /// Choosing it marks the investor lowest category (风险承受能力最低类别) and forces C1.
    #[serde(default)]
    pub knock_out: bool,
    /// For an age question: the ages (whole years, inclusive) the option covers; an answer the
    /// investor's birth date contradicts is flagged for review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_range: Option<[i64; 2]>,
    /// For an investable-assets question: the option says the investor's investable assets
    /// (financial assets and more) are below this many yuan, so declared financial assets of
    /// at least this much contradict it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets_below: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Band {
    #[schema(value_type = String, example = "C3")]
    pub level: RiskLevel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    pub min: i64,
    pub max: i64,
}

impl Questionnaire {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// The highest total the questionnaire can give.
    pub fn max_score(&self) -> i64 {
        self.questions
            .iter()
            .map(|q| q.options.iter().map(|o| o.points).max().unwrap_or(0))
            .sum()
    }

    pub fn level_for(&self, score: i64) -> Option<RiskLevel> {
        self.bands
            .iter()
            .find(|b| b.min <= score && score <= b.max)
            .map(|b| b.level)
    }
}

/// Every loaded questionnaire version.
#[derive(Debug, Clone, Default)]
pub struct QuestionnaireSet {
    all: Vec<Arc<Questionnaire>>,
    /// Each file's text by its content hash, kept with the version in the store.
    sources: std::collections::HashMap<String, String>,
}

impl QuestionnaireSet {
    pub fn new(mut all: Vec<Arc<Questionnaire>>) -> Self {
        all.sort_by(|a, b| a.id.cmp(&b.id).then(a.version.cmp(&b.version)));
        Self {
            all,
            sources: Default::default(),
        }
    }

    /// The newest version of each questionnaire, by id.
    pub fn latest_each(&self) -> Vec<Arc<Questionnaire>> {
        let mut out: Vec<Arc<Questionnaire>> = Vec::new();
        for q in &self.all {
            match out.last_mut() {
                Some(last) if last.id == q.id => *last = q.clone(),
                _ => out.push(q.clone()),
            }
        }
        out
    }

    /// The newest version of questionnaire `id`.
    pub fn latest(&self, id: &str) -> Option<Arc<Questionnaire>> {
        self.all
            .iter()
            .filter(|q| q.id == id)
            .max_by_key(|q| q.version)
            .cloned()
    }

    pub fn get(&self, id: &str, version: i64) -> Option<Arc<Questionnaire>> {
        self.all
            .iter()
            .find(|q| q.id == id && q.version == version)
            .cloned()
    }

    /// Records the text of the file whose hash is `hash`.
    pub fn add_source(&mut self, hash: &str, text: String) {
        self.sources.insert(hash.to_string(), text);
    }

    /// The text of the file a version was loaded from, by its content hash.
    pub fn source(&self, hash: &str) -> Option<&str> {
        self.sources.get(hash).map(String::as_str)
    }

    /// Every version loaded.
    pub fn all(&self) -> &[Arc<Questionnaire>] {
        &self.all
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}
