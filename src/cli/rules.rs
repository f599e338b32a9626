//! `suitability rules test | publish`, for rule authors.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum RulesCommand {
    /// Compile a rule folder and run its tests (`tests/*.toml`); exits non-zero on any failure.
    Test {
        /// The rule folder.
        #[arg(default_value = "rules")]
        dir: PathBuf,
    },
    /// Upload a rule folder as a new draft version (compiled and tested by the service too).
    Publish {
        /// The rule folder.
        #[arg(default_value = "rules")]
        dir: PathBuf,
        /// The service, e.g. http://127.0.0.1:8080
        #[arg(long, env = "SUITABILITY_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// A risk or admin token.
        #[arg(long, env = "SUITABILITY_TOKEN", hide_env_values = true)]
        token: String,
        /// What changed and why.
        #[arg(long, default_value = "")]
        note: String,
    },
}

/// Prints compile errors or each failing case, then the summary line; stdout is the report.
pub fn rules_test(dir: &std::path::Path) -> Result<ExitCode, String> {
    use crate::rules::{RuleFiles, testing};
    let files = RuleFiles::from_dir(dir).map_err(|e| e.to_string())?;
    match testing::compile_and_run(files) {
        Err(testing::NotChecked::TooCostly(limit)) => {
            println!("{}: too costly to check: {limit}", dir.display());
            Ok(ExitCode::FAILURE)
        }
        Err(testing::NotChecked::Invalid(errors)) => {
            for e in &errors {
                println!("{}: {e}", dir.display());
            }
            println!("rule set does not compile: {} error(s)", errors.len());
            Ok(ExitCode::FAILURE)
        }
        Ok(report) => {
            for m in &report.modes {
                match &m.because {
                    None => println!("{:<12} {}", m.mode, m.file),
                    Some(why) => println!("{:<12} {} (because: {why})", m.mode, m.file),
                }
            }
            for f in &report.failures {
                println!("FAIL {}: {}", f.file, f.case);
                for p in &f.problems {
                    println!("     {p}");
                }
            }
            println!("rules: {} passed, {} failed", report.passed, report.failed);
            Ok(if report.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// Tests the folder locally first, then uploads it; prints the new version or the service's errors.
pub async fn rules_publish(
    dir: &std::path::Path,
    url: &str,
    token: &str,
    note: &str,
) -> Result<ExitCode, String> {
    use crate::rules::RuleFiles;
    if rules_test(dir)? != ExitCode::SUCCESS {
        println!("not published: fix the rule set first");
        return Ok(ExitCode::FAILURE);
    }
    let files = RuleFiles::from_dir(dir).map_err(|e| e.to_string())?;
    let endpoint = format!("{}/v1/rulesets", url.trim_end_matches('/'));
    let resp = reqwest::Client::new()
        .post(&endpoint)
        .bearer_auth(token)
        .json(&serde_json::json!({ "files": files.0, "note": note }))
        .send()
        .await
        .map_err(|e| format!("cannot reach {endpoint}: {e}"))?;
    let status = resp.status();
    let body: serde_json::Value = resp
        .json()
        .await
        .map_err(|e| format!("unreadable answer ({status}): {e}"))?;
    if status.is_success() {
        println!(
            "published draft version {} ({} tests passed); another risk staff member activates it",
            body["version"], body["tests"]["passed"]
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "refused ({status}): {}",
            body["error"]["message"].as_str().unwrap_or("")
        );
        for d in body["error"]["details"].as_array().into_iter().flatten() {
            println!(
                "  {}: {}",
                d["field"].as_str().unwrap_or(""),
                d["problem"].as_str().unwrap_or("")
            );
        }
        Ok(ExitCode::FAILURE)
    }
}
