//! Pieces every part of the schema uses: money, pagination and the request's context.
use async_graphql::{
    Context, ID, InputObject, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value,
};
use domain::auth::Actor;
use domain::money::Currency;
use domain::pagination::{Page, PageRequest};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::errors::{ApiError, ApiResult};

/// An exact decimal number, written as a string such as "19.99". A JSON number is accepted on
/// input too, read from its text so no precision is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

/// An exact decimal number, written as a string such as "19.99".
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        let text = match &value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        text.trim()
            .parse::<rust_decimal::Decimal>()
            .or_else(|_| rust_decimal::Decimal::from_scientific(text.trim()))
            .map(Decimal)
            .map_err(|_| InputValueError::custom(format!("'{text}' is not a decimal number")))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// An exact amount of money.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct Money {
    /// The amount as a decimal string, e.g. "19.99".
    pub amount: Decimal,
    /// The ISO 4217 currency code, e.g. "EUR".
    pub currency: String,
}

impl Money {
    /// From minor units of `currency` (cents for EUR).
    pub fn from_minor(minor: i64, currency: &str) -> Money {
        let amount =
            Currency::parse(currency).map_or_else(|| rust_decimal::Decimal::from(minor), |c| c.to_decimal(minor));
        Money { amount: Decimal(amount), currency: currency.to_owned() }
    }
}

/// An amount of money given by the caller.
#[derive(InputObject, Clone, Debug)]
pub struct MoneyInput {
    /// The amount; send it as a string ("19.99") to keep it exact.
    pub amount: Decimal,
    /// The ISO 4217 currency code, e.g. "EUR".
    pub currency: String,
}

/// Where a page of a list stands.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// Whether items precede this page (true when `after` was given).
    pub has_previous_page: bool,
    /// The cursor of the first item of this page.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of this page: pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// A page request from `first`/`after`; a malformed cursor is the caller's error.
pub fn page_request(first: Option<i32>, after: Option<String>) -> ApiResult<PageRequest> {
    let after = match after {
        None => None,
        Some(c) => {
            Some(Uuid::parse_str(&c).map_err(|_| ApiError::new("INVALID_INPUT", "the `after` cursor is not valid"))?)
        }
    };
    Ok(PageRequest { first, after })
}

/// Builds a connection's edges and page info from a domain page.
pub fn edges<M, N, E>(
    page: Page<M>,
    had_cursor: bool,
    id: impl Fn(&M) -> Uuid,
    node: impl Fn(M) -> N,
    edge: impl Fn(String, N) -> E,
) -> (Vec<E>, PageInfo) {
    let cursors: Vec<String> = page.items.iter().map(|m| id(m).to_string()).collect();
    let info = PageInfo {
        has_next_page: page.has_next_page,
        has_previous_page: had_cursor,
        start_cursor: cursors.first().cloned(),
        end_cursor: cursors.last().cloned(),
    };
    let edges = page.items.into_iter().zip(cursors).map(|(m, cursor)| edge(cursor, node(m))).collect();
    (edges, info)
}

/// Declares a Relay connection type and its edge type for a node type.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, ".")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $connection {
            /// The items of this page, each with its cursor.
            pub edges: Vec<$edge>,
            /// Where this page stands in the whole list.
            pub page_info: $crate::graphql::common::PageInfo,
        }

        #[doc = concat!("One of ", $what, " and its cursor.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Pass as `after` to read the items that follow this one.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        impl $connection {
            pub fn from_page<M>(
                page: domain::pagination::Page<M>,
                had_cursor: bool,
                id: impl Fn(&M) -> uuid::Uuid,
                node: impl Fn(M) -> $node,
            ) -> Self {
                let (edges, page_info) =
                    $crate::graphql::common::edges(page, had_cursor, id, node, |cursor, node| $edge { cursor, node });
                $connection { edges, page_info }
            }
        }
    };
}
pub(crate) use connection;

/// The database and the caller of this request.
pub fn parts<'a>(ctx: &'a Context<'_>) -> ApiResult<(&'a DatabaseConnection, &'a Actor)> {
    let db = ctx.data::<DatabaseConnection>().map_err(|_| ApiError::internal("no database"))?;
    let actor = ctx.data::<Actor>().unwrap_or(&Actor::Anonymous);
    Ok((db, actor))
}

/// An id that is not a UUID names nothing: the answer is the one for a missing object.
pub fn uuid_or_nil(id: &ID) -> Uuid {
    Uuid::parse_str(id).unwrap_or(Uuid::nil())
}

/// Declares a mutation's `<Name>Payload` type: one object and `userErrors`.
macro_rules! payload {
    ($name:ident, $field:ident: $ty:ty, $mutation:literal) => {
        #[doc = concat!("The result of `", $mutation, "`.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            #[doc = concat!("The ", stringify!($field), " as it is now; null when the change was refused.")]
            pub $field: Option<$ty>,
            /// Problems the caller can fix; empty on success.
            pub user_errors: Vec<$crate::graphql::errors::UserError>,
        }

        impl $crate::graphql::errors::Payload for $name {
            type Value = $ty;
            fn ok(value: $ty) -> Self {
                $name { $field: Some(value), user_errors: Vec::new() }
            }
            fn failed(user_errors: Vec<$crate::graphql::errors::UserError>) -> Self {
                $name { $field: None, user_errors }
            }
        }
    };
}
pub(crate) use payload;
