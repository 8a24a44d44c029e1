//! A remembered response to a request sent with an Idempotency-Key.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub scope: String,
    pub key: String,
    pub request_hash: String,
    pub status: String,
    pub response_body: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// While IN_FLIGHT: the executing request owns the key until then (it renews it as it runs).
    pub lease_expires_at: Option<DateTimeUtc>,
    /// Bumped when a request takes over an expired lease.
    pub attempt: i32,
    /// The stored answer was a request error (HTTP 400 under graphql-response+json).
    pub request_error: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
