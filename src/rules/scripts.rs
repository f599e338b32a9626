//! Callback scripts (回访话术, `scripts.toml`): the agent's opening and closing words, one pair
//! for individuals and one for institutions, with a closed set of placeholders. A rule set
//! without the file (one stored before scripts existed) uses the shipped scripts.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::domain::investor::InvestorKind;

/// The placeholders a script may use.
pub const PLACEHOLDERS: &[&str] = &["investor", "product", "purpose", "firm"];
/// The longest opening or closing.
pub const MAX_SCRIPT: usize = 2000;

/// What the agent says before the first check and after the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub opening: String,
    pub closing: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scripts {
    /// The firm's name, for `{firm}`.
    firm: String,
    individual: Script,
    institution: Script,
}

/// What the placeholders stand for in one callback.
pub struct Vars<'a> {
    pub investor: &'a str,
    pub product: &'a str,
    pub purpose: &'a str,
}

/// The first problem with the placeholders of `text`, if any.
fn check_placeholders(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("a '}' without its '{'".into());
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| "a '{' without its '}'".to_string())?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{name}}}: use one of {}",
                PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

impl Scripts {
    /// Parses `scripts.toml`; errors carry the line when the parser knows it.
    pub fn parse(text: &str) -> Result<Scripts, (Option<usize>, String)> {
        let scripts: Scripts = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| crate::rules::source::line_at(text, s.start));
            (line, e.message().to_string())
        })?;
        for (who, s) in [
            ("individual", &scripts.individual),
            ("institution", &scripts.institution),
        ] {
            for (part, t) in [("opening", &s.opening), ("closing", &s.closing)] {
                if t.trim().is_empty() || t.chars().count() > MAX_SCRIPT {
                    return Err((
                        None,
                        format!("[{who}] {part} must be 1 to {MAX_SCRIPT} characters"),
                    ));
                }
                check_placeholders(t).map_err(|e| (None, format!("[{who}] {part}: {e}")))?;
            }
        }
        if scripts.firm.trim().is_empty() {
            return Err((None, "firm must name the firm".into()));
        }
        Ok(scripts)
    }

    /// The scripts shipped in `rules/scripts.toml`.
    pub fn shipped() -> &'static Scripts {
        static SHIPPED: OnceLock<Scripts> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            Scripts::parse(include_str!("../../rules/scripts.toml"))
                .unwrap_or_else(|(_, e)| panic!("the shipped rules/scripts.toml: {e}"))
        })
    }

    /// The script for an investor of `kind`, its placeholders filled in.
    pub fn render(&self, kind: InvestorKind, vars: &Vars<'_>) -> Script {
        let s = match kind {
            InvestorKind::Individual => &self.individual,
            InvestorKind::Institution => &self.institution,
        };
        // One pass over the text, so a name that itself contains "{firm}" stays as it is.
        let fill = |t: &str| {
            let mut out = String::with_capacity(t.len() + 32);
            let mut rest = t;
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let after = &rest[open + 1..];
                let close = after.find('}').unwrap_or(after.len());
                out.push_str(match &after[..close] {
                    "investor" => vars.investor,
                    "product" => vars.product,
                    "purpose" => vars.purpose,
                    "firm" => &self.firm,
                    other => other,
                });
                rest = after.get(close + 1..).unwrap_or("");
            }
            out.push_str(rest);
            out
        };
        Script {
            opening: fill(&s.opening),
            closing: fill(&s.closing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_scripts_parse_and_fill_in() {
        let vars = Vars {
            investor: "张三{firm}",
            product: "稳健一号",
            purpose: "定期回访（每年）",
        };
        let s = Scripts::shipped().render(InvestorKind::Individual, &vars);
        assert!(s.opening.contains("张三{firm}先生/女士"), "{}", s.opening);
        assert!(s.opening.contains("稳健一号") && s.opening.contains("XX资产管理"));
        assert!(!s.closing.contains('{'));
        let org = Scripts::shipped().render(InvestorKind::Institution, &vars);
        assert!(org.opening.contains("职务"));
    }

    #[test]
    fn unknown_or_broken_placeholders_are_refused() {
        let file = |opening: &str| {
            format!(
                "firm = \"F\"\n[individual]\nopening = \"{opening}\"\nclosing = \"c\"\n\
                 [institution]\nopening = \"o\"\nclosing = \"c\"\n"
            )
        };
        assert!(Scripts::parse(&file("您好{investor}")).is_ok());
        for bad in ["您好{name}", "您好{investor", "您好}", ""] {
            assert!(Scripts::parse(&file(bad)).is_err(), "{bad}");
        }
        assert!(
            Scripts::parse("firm = \"F\"\n[individual]\nopening = \"o\"\nclosing = \"c\"\n")
                .is_err()
        );
    }
}
