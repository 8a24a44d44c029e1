//! A hold on an order: while open, nothing of the order is released to fulfilment.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "order_holds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub hold_type: crate::enums::HoldType,
    pub reason: String,
    pub placed_by_role: String,
    pub placed_by: String,
    pub placed_at: DateTimeUtc,
    pub released_by_role: Option<String>,
    pub released_by: Option<String>,
    pub released_at: Option<DateTimeUtc>,
    pub release_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
