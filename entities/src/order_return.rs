//! A return (RMA) of one order, or an exchange: what comes back, how, where, and the money.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "returns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    /// 1 for the order's first return, 2 for its second…
    pub seq: i32,
    #[sea_orm(unique)]
    pub number: String,
    pub status: crate::enums::ReturnStatus,
    pub method: crate::enums::ReturnMethod,
    /// The store the customer brings it to (IN_STORE), or the place it is sent to (MAIL).
    pub location_id: Option<Uuid>,
    /// Where it was received.
    pub receiving_location_id: Option<Uuid>,
    pub is_exchange: bool,
    /// An exchange whose replacement was released at once rather than on receipt.
    pub ship_now: bool,
    pub currency: String,
    /// What the requested units were bought for.
    pub return_value_minor: i64,
    /// What an exchange's replacement costs today.
    pub replacement_minor: i64,
    /// The refund, once computed from what was received.
    pub refund_minor: Option<i64>,
    pub reject_reason: Option<String>,
    pub requested_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub approved_at: Option<DateTimeUtc>,
    pub received_at: Option<DateTimeUtc>,
    pub refunded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
