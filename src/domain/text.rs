//! What a text shown to people may contain: no control characters but newline and tab, and no
//! bidirectional controls, which make a text display differently from what it says (a reason
//! that reads "suitable" but is stored reversed, a rule that hides code in a comment).

/// Characters refused in rule sources, texts rules emit, and names.
pub fn is_forbidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// The first forbidden character, with its line and column (both from 1).
pub fn first_forbidden(text: &str) -> Option<(usize, usize, char)> {
    for (i, line) in text.split('\n').enumerate() {
        if let Some((col, c)) = line.chars().enumerate().find(|(_, c)| is_forbidden(*c)) {
            return Some((i + 1, col + 1, c));
        }
    }
    None
}

/// How a forbidden character is named in a message: its code point, never the character.
pub fn describe(c: char) -> String {
    let kind = if c.is_control() {
        "a control character"
    } else {
        "a bidirectional control character"
    };
    format!("{kind} (U+{:04X})", c as u32)
}

/// What a free text (a note, a comment, a resolution) must match: something that is not
/// whitespace (Rust's `char::is_whitespace`, spelled out so the document's regex and the
/// service agree everywhere) and no NUL. `free_text` enforces exactly this.
pub const FREE_TEXT_PATTERN: &str = "^[^\\u0000]*[^\\u0000\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$";

/// A free text as written: not blank, at most `max` characters as sent; returned trimmed (as
/// stored). The document states the same rule (`FREE_TEXT_PATTERN`, `maxLength`).
pub fn free_text(value: &str, max: usize) -> Result<&str, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || value.chars().count() > max || value.contains('\0') {
        return Err(format!("must be 1 to {max} characters"));
    }
    Ok(trimmed)
}

/// A free text that is also clean: no control character but newline and tab, no bidirectional
/// control (`is_forbidden`), anywhere. `clean_text` enforces exactly this.
pub const CLEAN_TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069\\t\\n \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$";

/// `free_text` with no forbidden character anywhere in what was sent.
pub fn clean_text(value: &str, max: usize) -> Result<&str, String> {
    let text = free_text(value, max)?;
    match value.chars().find(|c| is_forbidden(*c)) {
        Some(c) => Err(format!("must not hold {}", describe(c))),
        None => Ok(text),
    }
}

/// Characters that take no space: a name of only these looks empty.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// A name as people will read it (already trimmed): 1 to `max` characters, something visible,
/// nothing forbidden.
pub fn check_name(name: &str, max: usize) -> Result<(), String> {
    let len = name.chars().count();
    if len == 0 || name.chars().all(is_invisible) {
        return Err("must not be blank".into());
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    // A name is one line: newline and tab are refused too.
    if let Some(c) = name.chars().find(|c| c.is_control() || is_forbidden(*c)) {
        return Err(format!("must not hold {}", describe(c)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_text_is_not_blank_and_counted_as_sent() {
        assert_eq!(free_text("  已处理 \n", 10), Ok("已处理"));
        // Every whitespace the pattern names is blank here too (U+3000, U+0085, U+2028).
        for blank in ["", " ", "\u{3000}\u{85}", "\u{2028}\t"] {
            assert!(free_text(blank, 10).is_err(), "{blank:?}");
        }
        // Not whitespace to Rust, nor to the pattern: a text.
        assert!(free_text("\u{feff}", 10).is_ok());
        assert!(free_text("a\0", 10).is_err(), "no NUL");
        // The length is as sent: padding counts, as the document's maxLength does.
        assert!(free_text(" abc", 3).is_err());
        assert!(free_text("abc", 3).is_ok());
        for c in [
            '\t', '\n', '\u{b}', '\u{c}', '\r', ' ', '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}',
            '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}',
        ] {
            assert!(
                c.is_whitespace(),
                "the pattern's class names {c:?}: Rust must agree"
            );
        }
    }

    #[test]
    fn refuses_controls_and_bidi_but_not_newline_tab_or_chinese() {
        assert_eq!(first_forbidden("合格投资者\n\t第二行"), None);
        assert_eq!(first_forbidden("ab\u{202E}cd"), Some((1, 3, '\u{202E}')));
        assert_eq!(first_forbidden("x\ny\u{2067}"), Some((2, 2, '\u{2067}')));
        assert_eq!(first_forbidden("a\rb"), Some((1, 2, '\r')));
        assert_eq!(first_forbidden("\u{1b}[31m"), Some((1, 1, '\u{1b}')));
        assert_eq!(
            describe('\u{202E}'),
            "a bidirectional control character (U+202E)"
        );
    }
}
