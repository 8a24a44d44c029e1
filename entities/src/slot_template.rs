//! One weekly window of a location's calendar; the slots of each day are computed from it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "slot_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    /// ISO weekday, Monday = 1.
    pub weekday: i32,
    /// Minutes after local midnight.
    pub start_minute: i32,
    pub end_minute: i32,
    pub capacity: i32,
    /// The service it serves; any when `None`.
    pub service_type: Option<String>,
    /// False once it left the calendar: bookings may still point at it.
    pub active: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
