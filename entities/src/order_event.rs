//! The order's timeline: every change, who made it and why.
use sea_orm::entity::prelude::*;

use crate::enums::OrderEventKind;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "order_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub kind: OrderEventKind,
    pub actor_role: String,
    pub actor_id: String,
    pub message: String,
    pub data: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
