//! Scoring answers: each question answered once, single choice with one option, multiple choice
//! scoring its highest option, a knock-out option forcing C1 and the `lowest_category` flag.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::model::Questionnaire;
use crate::domain::FieldProblem;
use crate::domain::RiskLevel;

/// The flag a knock-out option sets.
pub const LOWEST_CATEGORY: &str = "lowest_category";

/// An answer as submitted: one option id, or a list of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for Choice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde_json::Value;
        let bad = || serde::de::Error::custom("expected an option id or a list of option ids");
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Choice::One(s)),
            Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(bad()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Choice::Many),
            _ => Err(bad()),
        }
    }
}

impl utoipa::PartialSchema for Choice {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            ArrayBuilder, ObjectBuilder, OneOfBuilder, SchemaType, Type,
        };
        let s = || ObjectBuilder::new().schema_type(SchemaType::new(Type::String));
        OneOfBuilder::new()
            .item(s())
            .item(ArrayBuilder::new().items(s()))
            .into()
    }
}
impl utoipa::ToSchema for Choice {}

/// Points earned by one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerPoints {
    pub question: String,
    pub options: Vec<String>,
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    pub score: i64,
    pub level: RiskLevel,
    pub flags: Vec<String>,
    /// One entry per question, in questionnaire order.
    pub breakdown: Vec<AnswerPoints>,
}

/// Scores `answers` on `q`, or lists every problem with the answers.
pub fn score(
    q: &Questionnaire,
    answers: &BTreeMap<String, Choice>,
) -> Result<Scored, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    for id in answers.keys() {
        if q.question(id).is_none() {
            problems.push(FieldProblem::new(
                format!("answers.{id}"),
                "unknown question",
            ));
        }
    }
    let mut total = 0;
    let mut knocked_out = false;
    let mut breakdown = Vec::with_capacity(q.questions.len());
    for question in &q.questions {
        let field = format!("answers.{}", question.id);
        let chosen: Vec<&str> = match answers.get(&question.id) {
            None => {
                problems.push(FieldProblem::new(field, "missing answer"));
                continue;
            }
            Some(Choice::One(s)) => vec![s.as_str()],
            Some(Choice::Many(v)) => v.iter().map(String::as_str).collect(),
        };
        if chosen.is_empty() {
            problems.push(FieldProblem::new(field, "no option chosen"));
            continue;
        }
        if !question.multiple && chosen.len() > 1 {
            problems.push(FieldProblem::new(
                field,
                "single choice: choose exactly one option",
            ));
            continue;
        }
        let mut points = None::<i64>;
        let mut ok = true;
        for (i, id) in chosen.iter().enumerate() {
            if chosen[..i].contains(id) {
                problems.push(FieldProblem::new(
                    &field,
                    format!("option '{id}' chosen twice"),
                ));
                ok = false;
                continue;
            }
            match question.options.iter().find(|o| o.id == *id) {
                Some(option) => {
                    points = Some(points.map_or(option.points, |p| p.max(option.points)));
                    knocked_out |= option.knock_out;
                }
                None => {
                    problems.push(FieldProblem::new(&field, format!("unknown option '{id}'")));
                    ok = false;
                }
            }
        }
        if let (true, Some(points)) = (ok, points) {
            total += points;
            breakdown.push(AnswerPoints {
                question: question.id.clone(),
                options: chosen.iter().map(|s| s.to_string()).collect(),
                points,
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let banded = q.level_for(total).ok_or_else(|| {
        // Unreachable for a validated questionnaire, whose bands cover 0..=max_score.
        vec![FieldProblem::new(
            "answers",
            format!("score {total} falls in no band"),
        )]
    })?;
    let (level, flags) = if knocked_out {
        (RiskLevel::ALL[0], vec![LOWEST_CATEGORY.to_string()])
    } else {
        (banded, Vec::new())
    };
    Ok(Scored {
        score: total,
        level,
        flags,
        breakdown,
    })
}
