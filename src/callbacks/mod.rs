//! The callback planner: which callbacks an order, an event or a completed periodic callback
//! creates and when they are due; and the planners' exports (回访计划表, 回访报告).

pub mod export;
pub mod planner;
pub mod report;
