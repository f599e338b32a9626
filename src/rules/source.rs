//! What a rule source may not contain, checked when a rule set is compiled: characters that
//! display differently from what they are, and functions that shadow the names rules rely on.

use rhai::AST;

use super::files::RuleError;
use crate::domain::text;

/// Names a rule file may not give its own functions: a script function named like a method of
/// `decision` takes over every call of that method in the file (`fn reject(a, b) {}` silently
/// turns `decision.reject(…)` into nothing), and one named like a fact hides the fact.
pub const RESERVED_NAMES: &[&str] = &[
    "reject",
    "mismatch",
    "require",
    "check",
    "check_group",
    "periodic",
    "special_callback",
    "note",
    "investor",
    "product",
    "order",
    "decision",
];

/// Forbidden characters in a source, before it is compiled.
pub fn check_text(file: &str, source: &str) -> Option<RuleError> {
    let (line, column, c) = text::first_forbidden(source)?;
    Some(RuleError {
        file: file.to_string(),
        line: Some(line),
        column: Some(column),
        message: format!("{} is not allowed in a rule file", text::describe(c)),
    })
}

/// Functions of a compiled file that take a reserved name, each at the line of its `fn`.
pub fn check_functions(file: &str, source: &str, ast: &AST) -> Vec<RuleError> {
    ast.iter_functions()
        .filter(|f| RESERVED_NAMES.contains(&f.name))
        .map(|f| {
            let (line, column) = match definition_of(source, f.name) {
                Some((l, c)) => (Some(l), Some(c)),
                None => (None, None),
            };
            RuleError {
                file: file.to_string(),
                line,
                column,
                message: format!(
                    "a function may not be named '{}': it would shadow decision.{0} or the fact of \
                     that name",
                    f.name
                ),
            }
        })
        .collect()
}

/// `let` or `const` bindings of a reserved name, each at its line: they would hide the fact or
/// the decision for the rest of the file.
pub fn check_bindings(file: &str, source: &str) -> Vec<RuleError> {
    let mut errors = Vec::new();
    for name in RESERVED_NAMES {
        for keyword in ["let", "const"] {
            if let Some((line, column)) = binding_of(source, keyword, name) {
                errors.push(RuleError {
                    file: file.to_string(),
                    line: Some(line),
                    column: Some(column),
                    message: format!("'{keyword} {name}' would hide the {name} rules rely on"),
                });
            }
        }
    }
    errors
}

/// Where `keyword name` (followed by `=` or `;`) is written, skipping `//` comments.
fn binding_of(source: &str, keyword: &str, name: &str) -> Option<(usize, usize)> {
    for (i, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut from = 0;
        while let Some(at) = code[from..].find(keyword) {
            let start = from + at;
            from = start + keyword.len();
            let before_ok = code[..start]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let rest = &code[start + keyword.len()..];
            let trimmed = rest.trim_start();
            if before_ok && trimmed.len() < rest.len() && trimmed.starts_with(name) {
                let after = trimmed[name.len()..].trim_start();
                if after.is_empty() || after.starts_with('=') || after.starts_with(';') {
                    return Some((i + 1, code[..start].chars().count() + 1));
                }
            }
        }
    }
    None
}

/// Where `fn name` is written (line and column from 1), skipping `//` comments.
fn definition_of(source: &str, name: &str) -> Option<(usize, usize)> {
    for (i, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut from = 0;
        while let Some(at) = code[from..].find("fn") {
            let start = from + at;
            from = start + 2;
            let before_ok = code[..start]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let rest = &code[start + 2..];
            let trimmed = rest.trim_start();
            if before_ok && trimmed.len() < rest.len() && trimmed.starts_with(name) {
                let after = trimmed[name.len()..].trim_start();
                if after.starts_with('(') {
                    return Some((i + 1, code[..start].chars().count() + 1));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::definition_of;

    #[test]
    fn finds_bindings_of_reserved_names() {
        let src = "let x = 1;\n  let decision = #{};\nlet investors = 2;\n// const order = 1;\n";
        let errors = super::check_bindings("f.rhai", src);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].line, errors[0].column), (Some(2), Some(3)));
    }

    #[test]
    fn finds_the_definition_not_a_call_or_a_comment() {
        let src =
            "// fn reject(a, b) in a comment\nlet x = reject_all(1);\n  fn reject (a, b) {}\n";
        assert_eq!(definition_of(src, "reject"), Some((3, 3)));
        assert_eq!(definition_of("fn rejected(a) {}", "reject"), None);
    }
}

/// The 1-based line of byte `offset` in `text` (an offset past the end is on the last line).
pub fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod line_tests {
    use super::line_at;

    #[test]
    fn lines_count_from_one_and_a_line_start_is_on_its_line() {
        let text = "a = 1\nb = 2\n好 = 3\n";
        assert_eq!(line_at(text, 0), 1);
        assert_eq!(line_at(text, 6), 2, "the first byte of line 2");
        assert_eq!(line_at(text, 12), 3);
        assert_eq!(line_at(text, 10_000), 4);
    }
}
