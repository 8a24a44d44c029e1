//! One line of an order: a product snapshot and where its units stand.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub line_no: i32,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub product_kind: crate::enums::ProductKind,
    pub unit_price_minor: i64,
    pub quantity: i32,
    pub allocated_quantity: i32,
    pub backordered_quantity: i32,
    pub cancelled_quantity: i32,
    pub shipped_quantity: i32,
    pub returned_quantity: i32,
    pub line_total_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
