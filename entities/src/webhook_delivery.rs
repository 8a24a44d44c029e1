//! One webhook POST about a fulfilment order: where, what became of it.
use sea_orm::entity::prelude::*;

use crate::enums::WebhookDeliveryStatus;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub fulfillment_order_id: Uuid,
    pub location_id: Uuid,
    pub event: String,
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub url: String,
    pub status: WebhookDeliveryStatus,
    pub attempts: i32,
    pub response_status: Option<i32>,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
