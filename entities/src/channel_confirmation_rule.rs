//! How one channel's orders are confirmed, as an admin set it; a channel without a row uses the
//! defaults.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_confirmation_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: crate::enums::Channel,
    /// Its orders are confirmed by a job as soon as they are placed.
    pub auto_confirm: bool,
    /// Minutes an order may wait unconfirmed before it expires; never when `None`.
    pub expire_after_minutes: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
