//! The order's timeline: every change, who made it and why.
use chrono::Utc;
use entities::order_event;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::DomainResult;

pub async fn record_event<C: ConnectionTrait>(
    txn: &C,
    order_id: Uuid,
    kind: &str,
    actor: &Actor,
    message: String,
    data: Option<serde_json::Value>,
) -> DomainResult<()> {
    order_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order_id),
        kind: Set(kind.to_owned()),
        actor_role: Set(actor.role_label().to_owned()),
        actor_id: Set(actor.label()),
        message: Set(message),
        data: Set(data.map(|d| d.to_string())),
        created_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    Ok(())
}
