//! A location's appointment calendar: its time zone and booking rules (its weekly slots are
//! `slot_template` rows).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "location_calendars")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: Uuid,
    /// IANA time zone name, e.g. "Europe/Paris": slots are in the location's local time.
    pub timezone: String,
    /// Days between the goods being at the location and the first bookable day.
    pub lead_days: i32,
    /// Hours before a slot after which a customer can no longer move or cancel it.
    pub cutoff_hours: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
