//! Staff roles. A token belongs to one staff member, who holds one or more roles.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Sales,
    Risk,
    Planner,
    Compliance,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Sales,
        Role::Risk,
        Role::Planner,
        Role::Compliance,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sales => "sales",
            Role::Risk => "risk",
            Role::Planner => "planner",
            Role::Compliance => "compliance",
            Role::Admin => "admin",
        }
    }

    /// Parses a comma-separated list such as `risk,admin`.
    pub fn parse_list(list: &str) -> Result<Vec<Role>, String> {
        let mut roles = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let role: Role = part.parse()?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        if roles.is_empty() {
            return Err("at least one role is needed".into());
        }
        Ok(roles)
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role '{s}' (roles: sales, risk, planner, compliance, admin)")
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
