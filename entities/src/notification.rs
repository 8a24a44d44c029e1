//! An email the system decided to send: to whom, from which template, and what became of it.
use sea_orm::entity::prelude::*;

use crate::enums::NotificationStatus;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub event: String,
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub recipient: String,
    pub template: String,
    pub subject: Option<String>,
    pub status: NotificationStatus,
    pub attempts: i32,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
