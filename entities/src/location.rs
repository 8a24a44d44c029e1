//! A fulfilment node: warehouse, distribution centre, store or supplier.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "locations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub kind: crate::enums::LocationKind,
    pub line1: String,
    pub city: String,
    pub postal_code: String,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
    pub can_ship: bool,
    pub can_pickup: bool,
    pub accepts_returns: bool,
    /// Fulfilment orders it takes per day before the next ones ship a day later; no limit when
    /// `None`.
    pub daily_capacity: Option<i32>,
    pub priority: i32,
    pub shipping_rate_minor: i64,
    pub shipping_currency: String,
    pub active: bool,
    pub processing_days: i32,
    pub cutoff_hour: i32,
    /// Minutes its associates have to accept a released fulfilment order before it is routed
    /// elsewhere; no deadline when `None`.
    pub acceptance_deadline_minutes: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
