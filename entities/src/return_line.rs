//! One order line's units on a return, and how many came back resellable or damaged.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "return_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub return_id: Uuid,
    pub order_line_id: Uuid,
    pub quantity: i32,
    pub reason: String,
    pub unit_price_minor: i64,
    pub resellable_quantity: i32,
    pub damaged_quantity: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
