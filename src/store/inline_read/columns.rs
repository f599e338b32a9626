//! Decoding a row read inline as sqlx's SQLite decoders decode it.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rusqlite::Row;
use rusqlite::types::ValueRef;

/// Reads a row's columns in order, each as sqlx's SQLite decoder reads text and integers, so
/// that both paths give the same row (tests compare them). By position, not by name: a name
/// lookup compares every column's name and cost more than the value. Debug builds check each
/// name, so a column list that changes order fails every test that reads through here.
pub struct Columns<'r, 's> {
    row: &'r Row<'s>,
    next: usize,
}

impl<'r, 's> Columns<'r, 's> {
    pub fn new(row: &'r Row<'s>) -> Self {
        Columns { row, next: 0 }
    }

    fn value(&mut self, name: &str) -> rusqlite::Result<ValueRef<'r>> {
        let i = self.next;
        self.next += 1;
        debug_assert_eq!(self.row.as_ref().column_name(i).ok(), Some(name));
        self.row.get_ref(i)
    }

    pub fn opt_text(&mut self, name: &str) -> rusqlite::Result<Option<String>> {
        // Text only: the columns read are TEXT (their affinity stores any value as text), and a
        // blob or a number there would be refused by sqlx too.
        match self.value(name)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => Ok(Some(
                std::str::from_utf8(t)
                    .map_err(|e| bad(name, e))?
                    .to_string(),
            )),
            _ => Err(bad(name, "not text")),
        }
    }

    pub fn text(&mut self, name: &str) -> rusqlite::Result<String> {
        self.opt_text(name)?.ok_or_else(|| bad(name, "null"))
    }

    pub fn opt_int(&mut self, name: &str) -> rusqlite::Result<Option<i64>> {
        match self.value(name)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(i) => Ok(Some(i)),
            _ => Err(bad(name, "not an integer")),
        }
    }

    pub fn int(&mut self, name: &str) -> rusqlite::Result<i64> {
        self.opt_int(name)?.ok_or_else(|| bad(name, "null"))
    }

    pub fn opt_date(&mut self, name: &str) -> rusqlite::Result<Option<NaiveDate>> {
        self.opt_text(name)?
            .map(|s| NaiveDate::parse_from_str(&s, "%F").map_err(|e| bad(name, e)))
            .transpose()
    }

    pub fn opt_json<T: serde::de::DeserializeOwned>(
        &mut self,
        name: &str,
    ) -> rusqlite::Result<Option<T>> {
        self.opt_text(name)?
            .map(|s| serde_json::from_str(&s).map_err(|e| bad(name, e)))
            .transpose()
    }

    pub fn opt_time(&mut self, name: &str) -> rusqlite::Result<Option<DateTime<Utc>>> {
        self.opt_text(name)?
            .map(|s| sqlite_time(&s).ok_or_else(|| bad(name, format!("'{s}' is not a time"))))
            .transpose()
    }
}

fn bad(name: &str, what: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{name}: {what}").into(),
    )
}

/// A time as sqlx reads SQLite text: RFC 3339, else SQLite's own formats (naive ones are UTC).
pub(super) fn sqlite_time(value: &str) -> Option<DateTime<Utc>> {
    const FORMATS: [&str; 12] = [
        "%F %T%.f",
        "%F %R",
        "%F %RZ",
        "%F %R%:z",
        "%F %T%.fZ",
        "%F %T%.f%:z",
        "%FT%R",
        "%FT%RZ",
        "%FT%R%:z",
        "%FT%T%.f",
        "%FT%T%.fZ",
        "%FT%T%.f%:z",
    ];
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    FORMATS.iter().find_map(|f| {
        DateTime::<FixedOffset>::parse_from_str(value, f)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                NaiveDateTime::parse_from_str(value, f)
                    .ok()
                    .map(|t| Utc.from_utc_datetime(&t))
            })
    })
}
