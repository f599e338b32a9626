//! Amounts in CNY: exact decimals, never floats. Accepted from JSON as a number or a decimal
//! string, returned as a decimal string, stored as TEXT on both databases.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Amounts carry at most this many decimal places (fen).
pub const MAX_SCALE: u32 = 2;

/// At most this many digits before the point: amounts stay below a trillion yuan, where every
/// fen is still exact in a JSON number a client may send.
pub const MAX_DIGITS: usize = 12;

/// The one spelling of an amount the API takes as text (and the document states): digits
/// without a sign, leading zeros, spaces or exponent, at most two decimals.
pub const AMOUNT_PATTERN: &str = "^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?$";

/// Whether `s` is spelled as `AMOUNT_PATTERN` says.
fn well_formed(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let int_ok = int == "0" || (digits(int) && int.len() <= MAX_DIGITS && !int.starts_with('0'));
    int_ok && frac.is_none_or(|f| digits(f) && f.len() <= MAX_SCALE as usize)
}

/// A non-negative amount of CNY with at most two decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    pub fn new(value: Decimal) -> Result<Self, &'static str> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err("must not be negative");
        }
        if value.normalize().scale() > MAX_SCALE {
            return Err("must have at most 2 decimal places");
        }
        Ok(Money(value.normalize()))
    }

    pub fn from_yuan(yuan: i64) -> Self {
        Money(Decimal::from(yuan.max(0)))
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

impl FromStr for Money {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with('-') {
            return Err("must not be negative");
        }
        if s.split_once('.')
            .is_some_and(|(_, f)| f.len() > MAX_SCALE as usize)
        {
            return Err("must have at most 2 decimal places");
        }
        if !well_formed(s) {
            return Err("is not a decimal number below a trillion (digits, at most 2 decimals)");
        }
        let d = Decimal::from_str_exact(s).map_err(|_| "is not a decimal number")?;
        Money::new(d)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// Read back from its decimal text (stored JSON); requests use `RawAmount`.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Stored as its decimal text on both backends (exact, and readable in the database).
impl<DB: sqlx::Database> sqlx::Type<DB> for Money
where
    str: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as sqlx::Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as sqlx::Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for Money
where
    String: sqlx::Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <String as sqlx::Encode<'q, DB>>::encode(self.to_string(), buf)
    }
}

impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for Money
where
    &'r str: sqlx::Decode<'r, DB>,
{
    fn decode(
        value: <DB as sqlx::Database>::ValueRef<'r>,
    ) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
        text.parse::<Money>()
            .map_err(|e| format!("amount '{text}': {e}").into())
    }
}

/// What a request may carry where an amount is expected, before it is checked. A JSON number
/// is taken as the text it was written in, never through a float: `2999999.9999999999` would
/// round to 3,000,000 and qualify an investor who is not.
#[derive(Debug, Clone, PartialEq)]
pub struct RawAmount(pub String);

impl<'de> Deserialize<'de> for RawAmount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        let text = raw.get();
        if text.starts_with('"') {
            return serde_json::from_str::<String>(text)
                .map(RawAmount)
                .map_err(serde::de::Error::custom);
        }
        if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            // A JSON number zero may be written negative (-0, -0.0): it is zero.
            let negative_zero = text
                .strip_prefix('-')
                .is_some_and(|t| t.bytes().all(|b| b == b'0' || b == b'.') && t.starts_with('0'));
            let text = if negative_zero { "0" } else { text };
            return Ok(RawAmount(text.to_string()));
        }
        Err(serde::de::Error::custom(format!(
            "expected an amount as a number or a decimal string, found {text}"
        )))
    }
}

impl utoipa::PartialSchema for RawAmount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, SchemaType, Type};
        let text = ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .pattern(Some(AMOUNT_PATTERN));
        let number = ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Number))
            .minimum(Some(0.0))
            .maximum(Some(999_999_999_999.99))
            .multiple_of(Some(0.01));
        OneOfBuilder::new()
            .item(text)
            .item(number)
            .description(Some(
                "amount in CNY below a trillion, a JSON number or a decimal string, at most 2 decimal places",
            ))
            .examples([serde_json::json!("1000000.00")])
            .into()
    }
}
impl utoipa::ToSchema for RawAmount {}

impl RawAmount {
    pub fn parse(&self) -> Result<Money, &'static str> {
        self.0.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimals_and_refuses_bad_ones() {
        assert_eq!(
            "1000000.01".parse::<Money>().map(|m| m.to_string()),
            Ok("1000000.01".into())
        );
        assert_eq!(
            "3000000".parse::<Money>().map(|m| m.to_string()),
            Ok("3000000".into())
        );
        assert_eq!(
            "1.50".parse::<Money>().map(|m| m.to_string()),
            Ok("1.5".into())
        );
        assert!("-1".parse::<Money>().is_err());
        assert!("0.001".parse::<Money>().is_err());
        assert!("abc".parse::<Money>().is_err());
        assert!("1e6".parse::<Money>().is_err());
        // Exactly the document's spelling: no sign, padding, leading zeros, separators.
        for bad in [
            "+1",
            " 1",
            "1 ",
            "01",
            "1_000",
            "1.",
            ".5",
            "1,000",
            "1000000000000",
        ] {
            assert!(bad.parse::<Money>().is_err(), "{bad}");
        }
        assert!("999999999999.99".parse::<Money>().is_ok());
        assert!("0.5".parse::<Money>().is_ok());
    }

    #[test]
    fn a_negative_zero_number_is_zero_but_a_negative_zero_text_is_refused() {
        let raw: RawAmount = serde_json::from_str("-0.0").unwrap();
        assert_eq!(raw.parse(), Ok(Money::ZERO));
        let raw: RawAmount = serde_json::from_str("\"-0\"").unwrap();
        assert!(raw.parse().is_err());
    }

    #[test]
    fn json_numbers_keep_their_decimal_text() {
        let raw: RawAmount = serde_json::from_str("1000000.01").unwrap();
        assert_eq!(raw.parse().unwrap().to_string(), "1000000.01");
        let raw: RawAmount = serde_json::from_str("2999999.9999999999").unwrap();
        assert_eq!(raw.0, "2999999.9999999999");
        assert!(raw.parse().is_err(), "more than 2 decimals");
        let raw: RawAmount = serde_json::from_str("\"12.50\"").unwrap();
        assert_eq!(raw.0, "12.50");
        assert!(serde_json::from_str::<RawAmount>("true").is_err());
    }
}
