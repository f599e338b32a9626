//! The closed sets of the business, as enums: states of callbacks, orders, complaints, rule sets
//! and jobs, and the kinds and purposes around them. Each is stored as the same lower-case text as
//! before, through one generic sqlx implementation for both backends, so rows decode straight
//! into domain structs and an unknown value in the database is an error, never a silent string.

/// Declares a text-backed enum: serde, `FromStr`/`Display`, `ALL`, and sqlx `Type`/`Encode`/
/// `Decode` for any backend whose `str` is a text type.
macro_rules! text_enum {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        $vis enum $name {
            $($(#[$vm])* #[serde(rename = $text)] #[schema(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("must be one of: {}", [$($text),+].join(", "))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
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

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'static str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'static str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                text.parse::<$name>()
                    .map_err(|e| format!("{} '{text}': {e}", stringify!($name)).into())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum! {
    /// What a callback is for.
    pub enum CallbackKind {
        /// After cooling-off: confirms (or voids) the order.
        Confirmation = "confirmation",
        /// Every period while the holding lasts.
        Periodic = "periodic",
        /// Raised by the rules or an event (mismatch, re-rating, complaint follow-up, …).
        Special = "special",
    }
}

text_enum! {
    /// Where a callback task stands. `Open` and `Overdue` (past its deadline, escalated, still
    /// to be done) move; the others are final.
    pub enum CallbackStatus {
        Open = "open",
        Overdue = "overdue",
        Completed = "completed",
        Failed = "failed",
        Escalated = "escalated",
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// What one recorded attempt at a callback came to.
    pub enum OutcomeResult {
        /// Reached, every check confirmed.
        Completed = "completed",
        /// Reached, at least one check denied.
        Failed = "failed",
        /// Not reached: an attempt is counted.
        NotReached = "not_reached",
    }
}

text_enum! {
    /// Why a callback went to compliance.
    pub enum EscalationReason {
        FailedChecks = "failed_checks",
        Unreachable = "unreachable",
        /// Not done by its deadline (the overdue sweep).
        Overdue = "overdue",
    }
}

text_enum! {
    /// A supervisor's verdict on a callback record (主管审阅).
    pub enum ReviewVerdict {
        Approved = "approved",
        /// Back to the agent, who records a new outcome (the record itself is never edited).
        Returned = "returned",
    }
}

impl CallbackStatus {
    /// Still to be done: it can be claimed and an outcome recorded.
    pub fn is_workable(self) -> bool {
        matches!(self, CallbackStatus::Open | CallbackStatus::Overdue)
    }
}

text_enum! {
    /// Where an order stands.
    pub enum OrderStatus {
        /// Signed and paid; the investor may still rescind; no contact allowed until it ends.
        CoolingOff = "cooling_off",
        /// The confirmation callback succeeded.
        Confirmed = "confirmed",
        /// The confirmation callback failed, or the investor rescinded: the order is void and
        /// the money is refunded.
        Rescinded = "rescinded",
        /// Redeemed in full: nothing is left.
        Redeemed = "redeemed",
        /// The product was wound up (清算): nothing is left.
        Liquidated = "liquidated",
    }
}

impl OrderStatus {
    /// Whether the order is a holding: cooling off or confirmed, with something left.
    pub fn is_held(self) -> bool {
        matches!(self, OrderStatus::CoolingOff | OrderStatus::Confirmed)
    }
}

text_enum! {
    /// Why a decision was taken and stored.
    pub enum DecisionPurpose {
        /// The decision an order was placed on.
        Order = "order",
        /// A holding re-evaluated after its product was re-rated.
        Rerating = "rerating",
        /// A holding re-evaluated after its investor's level changed.
        LevelChange = "level_change",
        /// A holding re-evaluated to plan its next periodic callback.
        Periodic = "periodic",
        /// A holding re-evaluated after a rule set was activated.
        Activation = "activation",
        /// A holding re-evaluated after its investor's information or classification changed.
        InvestorChange = "investor_change",
        /// A holding from before the service, decided when it was imported.
        Import = "import",
        /// A holding re-evaluated after a complaint of its investor was opened or resolved.
        Complaint = "complaint",
    }
}

text_enum! {
    /// Where a complaint stands.
    pub enum ComplaintStatus {
        Open = "open",
        Resolved = "resolved",
    }
}

text_enum! {
    /// A rule-set version's life: drafted, active (exactly one), retired (may be re-activated).
    pub enum RuleSetStatus {
        Draft = "draft",
        Active = "active",
        Retired = "retired",
    }
}

text_enum! {
    /// A background job's state.
    pub enum JobStatus {
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_from_its_text() {
        for s in CallbackStatus::ALL {
            assert_eq!(s.as_str().parse::<CallbackStatus>(), Ok(*s));
        }
        for s in DecisionPurpose::ALL {
            assert_eq!(s.to_string().parse::<DecisionPurpose>(), Ok(*s));
        }
        assert_eq!(
            "not_reached".parse::<OutcomeResult>(),
            Ok(OutcomeResult::NotReached)
        );
    }

    #[test]
    fn unknown_text_names_the_allowed_values() {
        assert_eq!(
            "paused".parse::<JobStatus>(),
            Err("must be one of: running, done, failed".to_string())
        );
    }

    #[test]
    fn serde_uses_the_stored_text() {
        assert_eq!(
            serde_json::to_string(&OrderStatus::CoolingOff)
                .ok()
                .as_deref(),
            Some("\"cooling_off\"")
        );
    }
}
