//! Risk questionnaires: one TOML file per questionnaire version in `questionnaires/`, loaded and
//! validated at start (see `load`), and the scoring of answers into a level C1..C5 (see `score`).

pub mod load;
pub mod model;
pub mod score;

pub use load::{LoadError, load_dir};
pub use model::{Band, Questionnaire, QuestionnaireSet};
pub use score::{Choice, Scored, score};
