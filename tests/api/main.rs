//! Integration tests: the real HTTP stack against real SQLite and PostgreSQL databases.
//! Every test named `…::sqlite` has a twin `…::postgres`.

mod common;

mod access;
mod assessments;
mod audit;
mod callbacks;
mod capacity;
mod changes;
mod classification;
mod cli;
mod complaints;
mod console;
mod console_orders;
mod desk;
mod duties;
mod ending;
mod frequency;
mod holdings;
mod hostile;
mod input;
mod investors;
mod invitations;
mod keys;
mod mismatch;
mod orders;
mod ownership;
mod privacy;
mod products;
mod profile;
mod qualification;
mod questionnaires;
mod records;
mod requirements;
mod retention;
mod roles;
mod rules;
mod rulesets;
mod sandbox;
mod signed;
mod signing;
mod snapshots;
mod suitability;
mod tokens;
mod trail;
mod workflow;
