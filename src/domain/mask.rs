//! Masking personal data for display: enough to recognise, not enough to misuse.

/// `13800138000` → `138****8000`; shorter numbers (landlines) keep only their last quarter, so
/// at least half of any number is hidden.
pub fn phone(p: &str) -> String {
    let chars: Vec<char> = p.chars().filter(|c| !c.is_whitespace()).collect();
    let n = chars.len();
    if n >= 11 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(n - 7))
    } else {
        let keep = n / 4;
        let tail: String = chars[n - keep..].iter().collect();
        format!("{}{tail}", "*".repeat(n - keep))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_the_middle_of_a_phone_number() {
        assert_eq!(super::phone("13800138000"), "138****8000");
        assert_eq!(super::phone("12345"), "****5");
        assert_eq!(super::phone("88886666"), "******66");
        assert_eq!(super::phone(""), "");
    }
}

/// `110101199001011234` → `1101**********1234`.
pub fn id_number(v: &str) -> String {
    let chars: Vec<char> = v.chars().collect();
    let n = chars.len();
    if n <= 8 {
        return "*".repeat(n);
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[n - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(n - 8))
}

/// `zhangsan@example.cn` → `z***@example.cn`.
pub fn email(v: &str) -> String {
    match v.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// `北京市朝阳区建国路88号` → `北京市朝阳区****`: the district, never the street.
pub fn address(v: &str) -> String {
    let head: String = v.chars().take(6).collect();
    format!("{head}****")
}

#[cfg(test)]
mod more_tests {
    #[test]
    fn masks_identity_numbers_and_emails() {
        assert_eq!(super::id_number("110101199001011234"), "1101**********1234");
        assert_eq!(super::id_number("1234"), "****");
        assert_eq!(super::email("zhangsan@example.cn"), "z***@example.cn");
        assert_eq!(super::address("北京市朝阳区建国路88号"), "北京市朝阳区****");
    }
}
