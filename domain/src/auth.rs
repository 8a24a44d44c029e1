//! Who is asking: bearer tokens, roles and the rules of who may see and change what.
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The roles of DESIGN §7.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A shopper: sees and orders only for its own customer record.
    Customer,
    /// Customer service: all orders, changes, returns.
    Agent,
    /// Staff of the locations named in the token.
    Associate,
    /// Catalogue, locations, inventory, promotions, jobs.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "customer" => Some(Role::Customer),
            "agent" => Some(Role::Agent),
            "associate" => Some(Role::Associate),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Agent => "agent",
            Role::Associate => "associate",
            Role::Admin => "admin",
        }
    }
}

/// The claims of an OMS token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<String>,
    pub iat: i64,
    pub exp: i64,
}

/// The authenticated caller, or the anonymous one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    User {
        subject: String,
        role: Role,
        customer_id: Option<Uuid>,
        locations: Vec<String>,
    },
    /// The OMS itself: workers, seeding, the CLI.
    System,
}

impl Actor {
    pub fn from_claims(claims: Claims) -> Actor {
        Actor::User {
            subject: claims.sub,
            role: claims.role,
            customer_id: claims.customer_id,
            locations: claims.locations,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::User { role, .. } => Some(*role),
            _ => None,
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Actor::System) || self.role() == Some(Role::Admin)
    }

    /// Agents and admins act on any order and any customer.
    pub fn is_staff(&self) -> bool {
        matches!(self, Actor::System) || matches!(self.role(), Some(Role::Admin | Role::Agent))
    }

    /// The customer record a customer token is bound to.
    pub fn own_customer(&self) -> Option<Uuid> {
        match self {
            Actor::User { role: Role::Customer, customer_id, .. } => *customer_id,
            _ => None,
        }
    }

    /// Whether this actor may see an order of `customer_id`. Everyone else is told the order
    /// does not exist.
    pub fn may_see_customer(&self, customer_id: Uuid) -> bool {
        self.is_staff() || self.own_customer() == Some(customer_id)
    }

    /// Who to name in the ledger and the timeline.
    pub fn label(&self) -> String {
        match self {
            Actor::Anonymous => "anonymous".to_owned(),
            Actor::System => "system".to_owned(),
            Actor::User { subject, .. } => subject.clone(),
        }
    }

    pub fn role_label(&self) -> &'static str {
        match self {
            Actor::Anonymous => "anonymous",
            Actor::System => "system",
            Actor::User { role, .. } => role.as_str(),
        }
    }

    /// The scope idempotency keys live in: the authenticated principal, so one caller's keys
    /// never replay another's answers. Customers are their customer record (two tokens with one
    /// subject are still two customers); associates their subject and the locations their token
    /// names (sorted); staff their role and subject. Anonymous callers and the system keep no
    /// keys (`None`): an anonymous answer is nobody's to replay.
    pub fn idempotency_scope(&self) -> Option<String> {
        match self {
            Actor::User { role: Role::Customer, customer_id: Some(id), .. } => Some(format!("customer:{id}")),
            // A customer token bound to no customer record can act on nothing of its own.
            Actor::User { role: Role::Customer, customer_id: None, subject, .. } => {
                Some(format!("customer-unbound:{subject}"))
            }
            Actor::User { role: Role::Associate, subject, locations, .. } => {
                let mut locations = locations.clone();
                locations.sort();
                locations.dedup();
                Some(format!("associate:{subject}@{}", locations.join(",")))
            }
            Actor::User { role, subject, .. } => Some(format!("{}:{subject}", role.as_str())),
            Actor::Anonymous | Actor::System => None,
        }
    }

    /// The location codes an associate's token names; `None` for everyone else.
    pub fn associate_locations(&self) -> Option<&[String]> {
        match self {
            Actor::User { role: Role::Associate, locations, .. } => Some(locations),
            _ => None,
        }
    }

    /// Whether this actor may see the stock and the work of the location `code`: staff
    /// everywhere, associates at the locations their token names, nobody else.
    pub fn may_see_location(&self, code: &str) -> bool {
        self.is_staff() || self.associate_locations().is_some_and(|codes| codes.iter().any(|c| c == code))
    }

    /// Whether this actor may read stock levels at all (each level still goes through
    /// [`Actor::may_see_location`]).
    pub fn may_read_stock(&self) -> bool {
        self.is_staff() || self.associate_locations().is_some()
    }

    /// Routing explanations list every location's available units: for staff (agents, admins)
    /// only, not for customers nor for associates, who would learn other locations' stock.
    pub fn may_read_routing(&self) -> bool {
        self.is_staff()
    }

    /// Whether this actor sees an order's internals: every timeline entry with who made it,
    /// rejection reasons. Staff and associates (for the orders they may see) do; a customer
    /// sees the customer-facing view.
    pub fn sees_order_internals(&self) -> bool {
        self.is_staff() || self.associate_locations().is_some()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token is invalid or expired")]
    Invalid(#[from] jsonwebtoken::errors::Error),
}

/// Signs and checks tokens with one HS256 secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }

    pub fn issue(&self, claims: &Claims) -> Result<String, TokenError> {
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)?)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = true;
        validation.leeway = 5;
        Ok(jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)?.claims)
    }

    /// A token for `role`, valid for `ttl_secs` from now.
    pub fn issue_for(
        &self,
        subject: &str,
        role: Role,
        customer_id: Option<Uuid>,
        locations: Vec<String>,
        ttl_secs: i64,
    ) -> Result<String, TokenError> {
        let now = chrono::Utc::now().timestamp();
        self.issue(&Claims { sub: subject.to_owned(), role, customer_id, locations, iat: now, exp: now + ttl_secs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_and_a_foreign_one_is_refused() {
        let keys = TokenKeys::from_secret(b"secret-one");
        let token = keys.issue_for("alice", Role::Associate, None, vec!["PAR1".into()], 60).expect("issue");
        let claims = keys.verify(&token).expect("verify");
        assert_eq!(claims.role, Role::Associate);
        assert_eq!(claims.locations, vec!["PAR1".to_owned()]);
        let other = TokenKeys::from_secret(b"secret-two");
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn idempotency_scopes_name_the_principal() {
        let customer = |id: Uuid| Actor::User {
            subject: "storefront".into(),
            role: Role::Customer,
            customer_id: Some(id),
            locations: vec![],
        };
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_ne!(customer(a).idempotency_scope(), customer(b).idempotency_scope());
        assert_eq!(customer(a).idempotency_scope(), customer(a).idempotency_scope());
        let associate = |locations: &[&str]| Actor::User {
            subject: "sam".into(),
            role: Role::Associate,
            customer_id: None,
            locations: locations.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert_eq!(associate(&["B", "A"]).idempotency_scope(), associate(&["A", "B"]).idempotency_scope());
        assert_ne!(associate(&["A"]).idempotency_scope(), associate(&["A", "B"]).idempotency_scope());
        let agent = Actor::User { subject: "sam".into(), role: Role::Agent, customer_id: None, locations: vec![] };
        assert_ne!(agent.idempotency_scope(), associate(&["A"]).idempotency_scope());
        assert_eq!(Actor::Anonymous.idempotency_scope(), None);
    }

    #[test]
    fn an_expired_token_is_refused() {
        let keys = TokenKeys::from_secret(b"s");
        let token = keys.issue_for("bob", Role::Admin, None, vec![], -60).expect("issue");
        assert!(keys.verify(&token).is_err());
    }
}
