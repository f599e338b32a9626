//! The facts a rule reads. They are native Rust types registered with rhai (property getters
//! only, so rules cannot change them); strings are rhai's shared `ImmutableString`, so reading
//! one costs a reference-count increment, not a copy.

use rhai::{Engine, INT, ImmutableString};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The investor as rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InvestorFacts {
    /// "individual" | "institution"
    #[schema(value_type = String)]
    pub kind: ImmutableString,
    /// "ordinary" | "professional"
    #[schema(value_type = String)]
    pub investor_type: ImmutableString,
    /// 1..5, 0 without an assessment.
    pub level: INT,
    /// "C3", "" without an assessment.
    #[schema(value_type = String)]
    pub level_name: ImmutableString,
    pub lowest_category: bool,
    pub assessment_valid: bool,
    /// Days since the latest assessment, -1 without one.
    pub assessment_age_days: INT,
    /// Whole years, -1 when unknown or an institution.
    pub age: INT,
    pub qualified: bool,
    /// 完全民事行为能力: false for a limited or no capacity (who is then of the lowest category).
    pub full_civil_capacity: bool,
    /// For a professional: a classification record backs it and has not lapsed. Always true
    /// for an ordinary investor (ordinary needs no proof).
    pub classification_valid: bool,
    /// Days since the newest proof of assets or income was issued, -1 without one.
    pub qualification_evidence_age_days: INT,
    /// The flags of the assessment the decision rests on ("answers_contradict_facts",
    /// "level_raised_on_retake", "lowest_category", …); empty without one.
    #[schema(value_type = Vec<String>)]
    pub assessment_flags: Vec<ImmutableString>,
    pub open_complaints: INT,
    pub complaints_90d: INT,
}

/// The product as rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProductFacts {
    #[schema(value_type = String)]
    pub code: ImmutableString,
    #[schema(value_type = String)]
    pub kind: ImmutableString,
    /// 1..5
    pub rating: INT,
    /// "R1".."R5"
    #[schema(value_type = String)]
    pub rating_name: ImmutableString,
    #[serde(
        serialize_with = "rust_decimal::serde::str::serialize",
        deserialize_with = "decimal"
    )]
    #[schema(value_type = crate::domain::money::RawAmount)]
    pub min_subscription: Decimal,
}

/// The order as rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OrderFacts {
    #[serde(
        serialize_with = "rust_decimal::serde::str::serialize",
        deserialize_with = "decimal"
    )]
    #[schema(value_type = crate::domain::money::RawAmount)]
    pub amount: Decimal,
    pub first_purchase: bool,
}

/// Reads an amount from a decimal string or an integer (JSON or TOML), never from a float.
fn decimal<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an amount as a decimal string or an integer")
        }
        // The API's one spelling of an amount (`Money`): not negative, below a trillion, fen.
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Decimal, E> {
            // JSON numbers with a fraction arrive here; their shortest text is exact enough for
            // fen. A negative zero is zero.
            if v == 0.0 {
                return Ok(Decimal::ZERO);
            }
            self.visit_str(&v.to_string())
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
            v.parse::<crate::domain::Money>()
                .map(crate::domain::Money::value)
                .map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

/// Everything one evaluation sees.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(example = json!({
    "investor": {"kind": "individual", "investor_type": "ordinary", "level": 3,
        "level_name": "C3", "lowest_category": false, "assessment_valid": true,
        "assessment_age_days": 120, "age": 45, "qualified": true, "full_civil_capacity": true,
        "classification_valid": true, "qualification_evidence_age_days": 30,
        "assessment_flags": [], "open_complaints": 0, "complaints_90d": 0},
    "product": {"code": "SJA123", "kind": "private_securities", "rating": 4,
        "rating_name": "R4", "min_subscription": "1000000"},
    "order": {"amount": "1000000", "first_purchase": true}}))]
pub struct Facts {
    pub investor: InvestorFacts,
    pub product: ProductFacts,
    pub order: OrderFacts,
}

/// Defaults describe a typical case (a qualified ordinary C3 individual of 40 with a valid
/// assessment and proof of assets issued 30 days ago, buying 1,000,000 of an R3 product for the first time), so a rule test or an
/// `evaluate` call names only the facts that matter to it.
impl Default for InvestorFacts {
    fn default() -> Self {
        Self {
            kind: "individual".into(),
            investor_type: "ordinary".into(),
            level: 3,
            level_name: "C3".into(),
            lowest_category: false,
            assessment_valid: true,
            assessment_age_days: 100,
            age: 40,
            qualified: true,
            full_civil_capacity: true,
            classification_valid: true,
            qualification_evidence_age_days: 30,
            assessment_flags: Vec::new(),
            open_complaints: 0,
            complaints_90d: 0,
        }
    }
}

impl Default for ProductFacts {
    fn default() -> Self {
        Self {
            code: "P0001".into(),
            kind: "private_securities".into(),
            rating: 3,
            rating_name: "R3".into(),
            min_subscription: Decimal::from(1_000_000),
        }
    }
}

impl Default for OrderFacts {
    fn default() -> Self {
        Self {
            amount: Decimal::from(1_000_000),
            first_purchase: true,
        }
    }
}

impl Facts {
    /// Makes the derived names agree with the numbers (`level_name` from `level`, `rating_name`
    /// from `rating`) when a caller set only the number.
    pub fn normalise_names(&mut self) {
        let level_name = match self.investor.level {
            1..=5 => format!("C{}", self.investor.level),
            _ => String::new(),
        };
        if self.investor.level_name != level_name.as_str() {
            self.investor.level_name = level_name.into();
        }
        let rating_name = match self.product.rating {
            1..=5 => format!("R{}", self.product.rating),
            _ => String::new(),
        };
        if self.product.rating_name != rating_name.as_str() {
            self.product.rating_name = rating_name.into();
        }
    }
}

macro_rules! getters {
    ($engine:expr, $t:ty, $($field:ident),* $(,)?) => {
        $( $engine.register_get(stringify!($field), |x: &mut $t| x.$field.clone()); )*
    };
}

/// Registers the fact types and their read-only properties.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<InvestorFacts>("Investor");
    engine.register_type_with_name::<ProductFacts>("Product");
    engine.register_type_with_name::<OrderFacts>("Order");
    getters!(
        engine,
        InvestorFacts,
        kind,
        investor_type,
        level,
        level_name,
        lowest_category,
        assessment_valid,
        assessment_age_days,
        age,
        qualified,
        full_civil_capacity,
        classification_valid,
        qualification_evidence_age_days,
        open_complaints,
        complaints_90d,
    );
    engine.register_get("assessment_flags", |x: &mut InvestorFacts| {
        x.assessment_flags
            .iter()
            .cloned()
            .map(rhai::Dynamic::from)
            .collect::<rhai::Array>()
    });
    getters!(
        engine,
        ProductFacts,
        code,
        kind,
        rating,
        rating_name,
        min_subscription
    );
    getters!(engine, OrderFacts, amount, first_purchase);
}
