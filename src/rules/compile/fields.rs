//! Fact properties resolved to field accesses when a rule compiles.
//!
//! The interpreter reads the same fields through the getters `facts::register` installs; a test
//! below checks this table names every field the facts serialise, so the two cannot drift apart.

use super::types::{F, ListSrc, StrSrc, Typed};

fn int(f: fn(&super::super::facts::Facts) -> rhai::INT) -> Typed {
    let f: F<rhai::INT> = Box::new(move |e| Ok(f(e.facts)));
    Typed::Int(f)
}

fn boolean(f: fn(&super::super::facts::Facts) -> bool) -> Typed {
    let f: F<bool> = Box::new(move |e| Ok(f(e.facts)));
    Typed::Bool(f)
}

/// `object.name` as a typed read, `None` for a property the facts do not have (rhai fails when
/// such a line runs, so the compiled code bails there).
pub(crate) fn property(object: &str, name: &str) -> Option<Typed> {
    Some(match (object, name) {
        ("investor", "kind") => Typed::Str(StrSrc::Field(|f| &f.investor.kind)),
        ("investor", "investor_type") => Typed::Str(StrSrc::Field(|f| &f.investor.investor_type)),
        ("investor", "level") => int(|f| f.investor.level),
        ("investor", "level_name") => Typed::Str(StrSrc::Field(|f| &f.investor.level_name)),
        ("investor", "lowest_category") => boolean(|f| f.investor.lowest_category),
        ("investor", "assessment_valid") => boolean(|f| f.investor.assessment_valid),
        ("investor", "assessment_age_days") => int(|f| f.investor.assessment_age_days),
        ("investor", "age") => int(|f| f.investor.age),
        ("investor", "qualified") => boolean(|f| f.investor.qualified),
        ("investor", "full_civil_capacity") => boolean(|f| f.investor.full_civil_capacity),
        ("investor", "classification_valid") => boolean(|f| f.investor.classification_valid),
        ("investor", "qualification_evidence_age_days") => {
            int(|f| f.investor.qualification_evidence_age_days)
        }
        ("investor", "assessment_flags") => Typed::List(ListSrc::Flags),
        ("investor", "open_complaints") => int(|f| f.investor.open_complaints),
        ("investor", "complaints_90d") => int(|f| f.investor.complaints_90d),
        ("product", "code") => Typed::Str(StrSrc::Field(|f| &f.product.code)),
        ("product", "kind") => Typed::Str(StrSrc::Field(|f| &f.product.kind)),
        ("product", "rating") => int(|f| f.product.rating),
        ("product", "rating_name") => Typed::Str(StrSrc::Field(|f| &f.product.rating_name)),
        ("product", "min_subscription") => {
            Typed::Dec(Box::new(|e| Ok(e.facts.product.min_subscription)))
        }
        ("order", "amount") => Typed::Dec(Box::new(|e| Ok(e.facts.order.amount))),
        ("order", "first_purchase") => boolean(|f| f.order.first_purchase),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::super::facts::Facts;

    /// Every field a rule can read through a getter has a compiled read of the same type.
    #[test]
    fn the_table_covers_every_fact_field() {
        let json = serde_json::to_value(Facts::default()).expect("facts serialise");
        for (object, fields) in json.as_object().expect("an object") {
            for (name, value) in fields.as_object().expect("an object") {
                let typed = super::property(object, name)
                    .unwrap_or_else(|| panic!("{object}.{name} has no compiled read"));
                let expected = match value {
                    serde_json::Value::Bool(_) => "a boolean",
                    serde_json::Value::Number(_) => "an integer",
                    serde_json::Value::String(_) if name.ends_with("amount") => "a decimal",
                    serde_json::Value::String(_) if name == "min_subscription" => "a decimal",
                    serde_json::Value::String(_) => "a string",
                    serde_json::Value::Array(_) => "an array",
                    other => panic!("{object}.{name}: unexpected {other}"),
                };
                assert_eq!(typed.type_name(), expected, "{object}.{name}");
            }
        }
        assert!(super::property("investor", "salary").is_none());
    }
}
