//! The routing rules an admin sets; one row.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// JSON: channel -> location kinds allowed to fulfil it; a channel not named may use any.
    pub channel_location_kinds: String,
    pub ship_from_store: bool,
    pub ship_from_store_max_km: Option<f64>,
    pub max_shipments: Option<i32>,
    pub enforce_capacity: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
