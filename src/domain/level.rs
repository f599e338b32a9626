//! Investor risk levels C1..C5 and product risk ratings R1..R5.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! five_grades {
    ($name:ident, $prefix:literal, $what:literal) => {
        #[doc = concat!("A ", $what, " from ", $prefix, "1 (lowest risk) to ", $prefix, "5.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u8);

        impl $name {
            pub const ALL: [$name; 5] = [$name(1), $name(2), $name(3), $name(4), $name(5)];

            pub fn from_number(n: i64) -> Option<Self> {
                (1..=5).contains(&n).then(|| $name(n as u8))
            }

            pub fn number(self) -> i64 {
                i64::from(self.0)
            }

            pub fn name(self) -> &'static str {
                [
                    concat!($prefix, "1"),
                    concat!($prefix, "2"),
                    concat!($prefix, "3"),
                    concat!($prefix, "4"),
                    concat!($prefix, "5"),
                ][usize::from(self.0 - 1)]
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                // Exactly the five names: "R01" or "R+1" are no rating (the document says so).
                s.strip_prefix($prefix)
                    .filter(|n| n.len() == 1)
                    .and_then(|n| n.parse::<i64>().ok())
                    .and_then($name::from_number)
                    .ok_or_else(|| {
                        format!(
                            concat!("must be one of ", $prefix, "1..", $prefix, "5, got '{}'"),
                            s
                        )
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        /// Stored as its number (1..5) on both backends.
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            i64: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <i64 as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <i64 as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            i64: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <i64 as sqlx::Encode<'q, DB>>::encode(self.number(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            i64: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let n = <i64 as sqlx::Decode<'r, DB>>::decode(value)?;
                $name::from_number(n).ok_or_else(|| format!(concat!($what, " {}"), n).into())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

five_grades!(RiskLevel, "C", "investor risk level");
five_grades!(RiskRating, "R", "product risk rating");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_grades() {
        assert_eq!("C3".parse::<RiskLevel>().unwrap().number(), 3);
        assert_eq!("R5".parse::<RiskRating>().unwrap().to_string(), "R5");
        for bad in ["C0", "C6", "R3", "c3", "", "C", "C03", "C+3", "C 3"] {
            assert!(bad.parse::<RiskLevel>().is_err(), "{bad}");
        }
    }
}
