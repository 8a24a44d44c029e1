//! How many fulfilment orders a location took on one (UTC) day: one row per location and day,
//! claimed with a conditional update.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "location_capacity_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    pub used: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
