//! Identity documents: which kinds an investor may be identified by, and the format and check
//! digit of each. The resident identity number (GB 11643) and the unified social credit code
//! (GB 32100) carry a check character, so a mistyped number is refused at onboarding rather than
//! found years later; the resident number also holds the birth date, which must agree.

use chrono::NaiveDate;

use super::investor::InvestorKind;
use super::state::text_enum;

text_enum! {
    /// The kind of document an identity number comes from.
    pub enum IdType {
        ResidentId = "resident_id",
        UnifiedSocialCreditCode = "unified_social_credit_code",
        Passport = "passport",
        HkMacauPermit = "hk_macau_permit",
        TaiwanPermit = "taiwan_permit",
    }
}

impl IdType {
    /// The document an investor of `kind` is identified by unless another is named.
    pub fn default_for(kind: InvestorKind) -> IdType {
        match kind {
            InvestorKind::Individual => IdType::ResidentId,
            InvestorKind::Institution => IdType::UnifiedSocialCreditCode,
        }
    }

    /// Whether an investor of `kind` may be identified by this document.
    pub fn fits(self, kind: InvestorKind) -> bool {
        (self == IdType::UnifiedSocialCreditCode) == (kind == InvestorKind::Institution)
    }
}

/// The number as stored (trimmed, letters upper-cased), or what is wrong with it.
pub fn check(
    id_type: IdType,
    number: &str,
    birth_date: Option<NaiveDate>,
) -> Result<String, String> {
    let n = number.trim().to_ascii_uppercase();
    match id_type {
        IdType::ResidentId => resident_id(&n, birth_date).map(|()| n),
        IdType::UnifiedSocialCreditCode => credit_code(&n).map(|()| n),
        IdType::Passport => shaped(&n, 5..=17, |c| c.is_ascii_alphanumeric())
            .ok_or_else(|| "a passport number is 5 to 17 letters and digits".to_string()),
        IdType::HkMacauPermit => {
            let ok = n.is_ascii() && (n.len() == 9 || n.len() == 11);
            let rest = n.strip_prefix('H').or_else(|| n.strip_prefix('M'));
            (ok && rest.is_some_and(|r| r.bytes().all(|b| b.is_ascii_digit())))
                .then_some(n.clone())
                .ok_or_else(|| {
                    "a Hong Kong/Macau permit number is H or M and 8 or 10 digits".to_string()
                })
        }
        IdType::TaiwanPermit => shaped(&n, 8..=10, |c| c.is_ascii_digit())
            .filter(|n| n.len() != 9)
            .ok_or_else(|| "a Taiwan permit number is 8 or 10 digits".to_string()),
    }
}

fn shaped(
    n: &str,
    len: std::ops::RangeInclusive<usize>,
    ok: impl Fn(char) -> bool,
) -> Option<String> {
    (len.contains(&n.len()) && n.chars().all(ok)).then(|| n.to_string())
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// The GB 11643 check character of the first 17 digits.
pub fn resident_check_char(first17: &str) -> Option<char> {
    let digits: Vec<u32> = first17
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    if digits.len() != 17 {
        return None;
    }
    let sum: u32 = digits.iter().zip(ID_WEIGHTS).map(|(d, w)| d * w).sum();
    Some(char::from(ID_CHECK[(sum % 11) as usize]))
}

fn resident_id(n: &str, birth_date: Option<NaiveDate>) -> Result<(), String> {
    let shape = n.len() == 18
        && n.as_bytes()[..17].iter().all(u8::is_ascii_digit)
        && (n.as_bytes()[17].is_ascii_digit() || n.as_bytes()[17] == b'X');
    if !shape {
        return Err("a resident identity number is 17 digits and a check digit (0-9 or X)".into());
    }
    if resident_check_char(&n[..17]) != n.chars().nth(17) {
        return Err("the check digit does not match (GB 11643): a digit is mistyped".into());
    }
    let born = NaiveDate::parse_from_str(&n[6..14], "%Y%m%d")
        .map_err(|_| "digits 7 to 14 are not a birth date".to_string())?;
    match birth_date {
        Some(b) if b != born => Err(format!(
            "holds the birth date {born}, but birth_date is {b}"
        )),
        _ => Ok(()),
    }
}

const USCC_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The GB 32100 check character of the first 17 characters.
pub fn credit_code_check_char(first17: &str) -> Option<char> {
    let values: Vec<u32> = first17
        .chars()
        .map(|c| USCC_CHARS.find(c).map(|i| i as u32))
        .collect::<Option<_>>()?;
    if values.len() != 17 {
        return None;
    }
    let sum: u32 = values.iter().zip(USCC_WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    USCC_CHARS.chars().nth(check as usize)
}

fn credit_code(n: &str) -> Result<(), String> {
    if n.len() != 18 || !n.chars().all(|c| USCC_CHARS.contains(c)) {
        return Err(
            "a unified social credit code is 18 digits and capital letters (no I, O, S, V, Z)"
                .into(),
        );
    }
    if credit_code_check_char(&n[..17]) != n.chars().nth(17) {
        return Err(
            "the check character does not match (GB 32100): a character is mistyped".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    #[test]
    fn resident_numbers_carry_a_check_digit_and_the_birth_date() {
        // The GB 11643 standard's own example.
        let n = "11010519491231002X";
        assert_eq!(
            check(IdType::ResidentId, n, date("1949-12-31")),
            Ok(n.into())
        );
        assert_eq!(
            check(IdType::ResidentId, &n.to_lowercase(), None),
            Ok(n.into())
        );
        assert!(check(IdType::ResidentId, "110105194912310021", None).is_err());
        assert!(check(IdType::ResidentId, n, date("1950-01-01")).is_err());
        assert!(check(IdType::ResidentId, "x'--", None).is_err());
        assert!(
            check(
                IdType::ResidentId,
                "１１０１０５１９４９１２３１００２X",
                None
            )
            .is_err()
        );
    }

    #[test]
    fn credit_codes_carry_a_check_character() {
        let first = "91350100M000100Y4";
        let c = credit_code_check_char(first).expect("computable");
        let code = format!("{first}{c}");
        assert_eq!(
            check(IdType::UnifiedSocialCreditCode, &code, None),
            Ok(code.clone())
        );
        let wrong = if c == '0' { '1' } else { '0' };
        assert!(
            check(
                IdType::UnifiedSocialCreditCode,
                &format!("{first}{wrong}"),
                None
            )
            .is_err()
        );
        assert!(check(IdType::UnifiedSocialCreditCode, "91350100M000100YIO", None).is_err());
    }

    #[test]
    fn other_documents_have_their_own_shapes() {
        assert!(check(IdType::Passport, "E12345678", None).is_ok());
        assert!(check(IdType::Passport, "E1234-678", None).is_err());
        assert!(check(IdType::HkMacauPermit, "H12345678", None).is_ok());
        assert!(check(IdType::HkMacauPermit, "X12345678", None).is_err());
        // Not ASCII: refused, never a panic on a character boundary.
        for id_type in IdType::ALL {
            assert!(check(*id_type, "é", None).is_err());
            assert!(check(*id_type, "é12345678", None).is_err());
            assert!(check(*id_type, "李１２３４５６７８", None).is_err());
        }
        assert!(check(IdType::TaiwanPermit, "12345678", None).is_ok());
        assert!(check(IdType::TaiwanPermit, "123456789", None).is_err());
    }
}
