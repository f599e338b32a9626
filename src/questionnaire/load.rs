//! Loading questionnaire files: every problem stops the start with the file, the line where the
//! parser knows it, and the reason.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::model::{Questionnaire, QuestionnaireSet};
use crate::domain::RiskLevel;
use crate::hex::hex;

#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.reason),
            None => write!(f, "{}: {}", self.file.display(), self.reason),
        }
    }
}

impl std::error::Error for LoadError {}

/// Loads every `*.toml` file of `dir`; fails on the first invalid file or on two files declaring
/// the same id and version.
pub fn load_dir(dir: &Path) -> Result<QuestionnaireSet, LoadError> {
    let err = |file: &Path, reason: String| LoadError {
        file: file.to_path_buf(),
        line: None,
        reason,
    };
    let entries =
        std::fs::read_dir(dir).map_err(|e| err(dir, format!("cannot read the folder: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(err(dir, "no questionnaire files (*.toml)".into()));
    }
    let mut seen: Vec<(String, i64, PathBuf)> = Vec::new();
    let mut all = Vec::new();
    let mut sources = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| err(&file, format!("cannot read: {e}")))?;
        let q = parse(&text).map_err(|(line, reason)| LoadError {
            file: file.clone(),
            line,
            reason,
        })?;
        if let Some((_, _, other)) = seen
            .iter()
            .find(|(id, v, _)| *id == q.id && *v == q.version)
        {
            return Err(err(
                &file,
                format!(
                    "questionnaire '{}' version {} is also declared in {}",
                    q.id,
                    q.version,
                    other.display()
                ),
            ));
        }
        seen.push((q.id.clone(), q.version, file.clone()));
        sources.push((q.content_hash.clone(), text));
        all.push(Arc::new(q));
    }
    let mut set = QuestionnaireSet::new(all);
    for (hash, text) in sources {
        set.add_source(&hash, text);
    }
    Ok(set)
}

/// Parses and validates one file's text. Errors carry the line when the TOML parser knows it.
pub fn parse(text: &str) -> Result<Questionnaire, (Option<usize>, String)> {
    let mut q: Questionnaire = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| crate::rules::source::line_at(text, s.start));
        (line, e.message().to_string())
    })?;
    q.content_hash = hex(&Sha256::digest(text.as_bytes()));
    validate(&q).map_err(|reason| (None, reason))?;
    Ok(q)
}

fn validate(q: &Questionnaire) -> Result<(), String> {
    if q.id.trim().is_empty() {
        return Err("id must not be empty".into());
    }
    if q.version < 1 {
        return Err(format!("version must be 1 or more, got {}", q.version));
    }
    if q.questions.is_empty() {
        return Err("a questionnaire needs at least one question".into());
    }
    let mut question_ids = HashSet::new();
    for question in &q.questions {
        if question.id.trim().is_empty() {
            return Err("a question has an empty id".into());
        }
        if !question_ids.insert(question.id.as_str()) {
            return Err(format!("duplicate question id '{}'", question.id));
        }
        if question.options.is_empty() {
            return Err(format!("question '{}' has no options", question.id));
        }
        let mut option_ids = HashSet::new();
        for option in &question.options {
            if option.id.trim().is_empty() {
                return Err(format!(
                    "question '{}' has an option with an empty id",
                    question.id
                ));
            }
            if !option_ids.insert(option.id.as_str()) {
                return Err(format!(
                    "question '{}': duplicate option id '{}'",
                    question.id, option.id
                ));
            }
            if option.points < 0 {
                return Err(format!(
                    "question '{}' option '{}': points must not be negative",
                    question.id, option.id
                ));
            }
        }
    }
    validate_bands(q)
}

/// Bands must name C1..C5 once each, in order, from 0 without gaps or overlaps, up to at least
/// the highest score the questions can give.
fn validate_bands(q: &Questionnaire) -> Result<(), String> {
    let levels: Vec<RiskLevel> = q.bands.iter().map(|b| b.level).collect();
    if levels != RiskLevel::ALL {
        let names: Vec<&str> = levels.iter().map(|l| l.name()).collect();
        return Err(format!(
            "bands must be C1, C2, C3, C4, C5 in that order, got [{}]",
            names.join(", ")
        ));
    }
    let mut expected_min = 0;
    for band in &q.bands {
        if band.min > band.max {
            return Err(format!(
                "band {}: min {} is above max {}",
                band.level, band.min, band.max
            ));
        }
        if band.min > expected_min {
            return Err(format!(
                "bands leave a gap: no band covers {}..{}",
                expected_min,
                band.min - 1
            ));
        }
        if band.min < expected_min {
            return Err(format!(
                "band {} overlaps the band before it at {}",
                band.level, band.min
            ));
        }
        expected_min = band.max + 1;
    }
    let max = q.max_score();
    if expected_min <= max {
        return Err(format!(
            "bands end at {} but the questions can score up to {}",
            expected_min - 1,
            max
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
id = "t"
version = 1
title = "t"
applies_to = "individual"
[[questions]]
id = "q1"
text = "?"
[[questions.options]]
id = "a"
text = "a"
points = 0
[[questions.options]]
id = "b"
text = "b"
points = 9
"#;

    fn bands(spec: &[(&str, i64, i64)]) -> String {
        spec.iter()
            .map(|(l, min, max)| format!("[[bands]]\nlevel = \"{l}\"\nmin = {min}\nmax = {max}\n"))
            .collect()
    }

    fn good_bands() -> String {
        bands(&[
            ("C1", 0, 1),
            ("C2", 2, 3),
            ("C3", 4, 5),
            ("C4", 6, 7),
            ("C5", 8, 9),
        ])
    }

    #[test]
    fn accepts_a_valid_file() {
        let q = parse(&format!("{BASE}{}", good_bands())).expect("valid");
        assert_eq!(q.max_score(), 9);
        assert_eq!(q.content_hash.len(), 64);
    }

    #[test]
    fn rejects_gaps_overlaps_and_short_bands() {
        let gap = bands(&[
            ("C1", 0, 1),
            ("C2", 3, 3),
            ("C3", 4, 5),
            ("C4", 6, 7),
            ("C5", 8, 9),
        ]);
        assert!(
            parse(&format!("{BASE}{gap}"))
                .unwrap_err()
                .1
                .contains("gap")
        );
        let overlap = bands(&[
            ("C1", 0, 2),
            ("C2", 2, 3),
            ("C3", 4, 5),
            ("C4", 6, 7),
            ("C5", 8, 9),
        ]);
        assert!(
            parse(&format!("{BASE}{overlap}"))
                .unwrap_err()
                .1
                .contains("overlaps")
        );
        let short = bands(&[
            ("C1", 0, 1),
            ("C2", 2, 3),
            ("C3", 4, 5),
            ("C4", 6, 7),
            ("C5", 8, 8),
        ]);
        assert!(
            parse(&format!("{BASE}{short}"))
                .unwrap_err()
                .1
                .contains("up to 9")
        );
        let missing = bands(&[("C1", 0, 1), ("C2", 2, 3), ("C3", 4, 5), ("C5", 6, 9)]);
        assert!(
            parse(&format!("{BASE}{missing}"))
                .unwrap_err()
                .1
                .contains("C1, C2")
        );
    }

    #[test]
    fn rejects_options_without_points_with_the_line() {
        let text = format!("{}{}", BASE.replace("points = 9\n", ""), good_bands());
        let (line, reason) = parse(&text).unwrap_err();
        assert!(reason.contains("points"), "{reason}");
        assert!(line.is_some());
    }

    #[test]
    fn rejects_duplicate_ids() {
        let text = format!(
            "{}{}",
            BASE.replace("id = \"b\"", "id = \"a\""),
            good_bands()
        );
        assert!(parse(&text).unwrap_err().1.contains("duplicate option id"));
        let twice = BASE.replacen("[[questions]]", "[[questions]]\nid = \"q1\"\ntext = \"again\"\n[[questions.options]]\nid = \"a\"\ntext = \"a\"\npoints = 0\n[[questions]]", 1);
        assert!(
            parse(&format!("{twice}{}", good_bands()))
                .unwrap_err()
                .1
                .contains("duplicate question id")
        );
    }

    #[test]
    fn shipped_questionnaires_load() {
        let set = load_dir(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/questionnaires"
        )))
        .expect("load");
        let ind = set.latest("individual").expect("individual");
        assert_eq!(ind.questions.len(), 20);
        assert_eq!(ind.max_score(), 100);
        assert!(set.latest("institution").expect("institution").sample);
    }
}
