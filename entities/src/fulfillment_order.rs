//! The lines one location fulfils for an order.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "fulfillment_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub location_id: Uuid,
    pub status: crate::enums::FulfillmentStatus,
    pub shipping_minor: i64,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub pickup_code: Option<String>,
    /// Wrong pickup codes tried since the code was issued or last reset.
    pub pickup_attempts: i32,
    pub ship_to_location_id: Option<Uuid>,
    pub reject_reason: Option<String>,
    /// When it was released to its location: its acceptance deadline counts from then.
    pub released_at: Option<DateTimeUtc>,
    pub accepted_at: Option<DateTimeUtc>,
    pub packed_at: Option<DateTimeUtc>,
    pub shipped_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    /// The day whose capacity of its location it uses: the day it was created, or the next
    /// when the location was full. `None` for fulfilment orders older than capacity counting.
    pub capacity_day: Option<Date>,
    /// Goods delivered in an appointment: the day it is released to its location (the slot's
    /// day less the location's lead days), not at confirmation. `None`: released at confirmation.
    pub release_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
