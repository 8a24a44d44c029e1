//! An order, with its contact data, delivery choice and money totals.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub number: String,
    #[sea_orm(unique)]
    pub number_seq: i64,
    pub channel: crate::enums::Channel,
    pub status: crate::enums::OrderStatus,
    pub customer_id: Uuid,
    pub customer_email: String,
    pub customer_name: String,
    pub customer_phone: Option<String>,
    pub ship_name: Option<String>,
    pub ship_line1: Option<String>,
    pub ship_line2: Option<String>,
    pub ship_city: Option<String>,
    pub ship_region: Option<String>,
    pub ship_postal_code: Option<String>,
    pub ship_country: Option<String>,
    pub ship_latitude: Option<f64>,
    pub ship_longitude: Option<f64>,
    pub delivery_method: crate::enums::DeliveryMethod,
    pub pickup_location_id: Option<Uuid>,
    pub promo_code: Option<String>,
    pub promotion_id: Option<Uuid>,
    pub note: Option<String>,
    pub currency: String,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub version: i32,
    pub allow_split: bool,
    pub backorder_policy: crate::enums::BackorderPolicy,
    pub placed_by: String,
    /// What was collected, in minor units: the sum of the order's payments.
    pub paid_minor: i64,
    /// What was given back, in minor units: the sum of the order's refunds.
    pub refunded_minor: i64,
    /// Holds placed and not yet released; while above 0 nothing is released to fulfilment.
    pub open_holds: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
