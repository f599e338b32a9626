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
