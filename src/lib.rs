//! suitability: investor suitability (适当性管理) and client callbacks (客户回访) for private fund
//! managers. See the README for what it does and `../shared/product.md` for the contract.

pub mod app;
pub mod archive;
pub mod batch;
pub mod callbacks;
pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod console;
pub mod decide;
pub mod domain;
pub mod error;
pub mod explain;
pub mod hex;
pub mod http;
pub mod keys;
pub mod memory;
pub mod questionnaire;
pub mod rules;
pub mod sheet;
pub mod store;
pub mod vault;
pub mod workflow;

/// Every allocation is counted per thread, so a rule evaluation can be held to a memory budget.
#[global_allocator]
static ALLOCATOR: memory::Counting = memory::Counting;
