//! `OrderEvent`: one entry of an order's timeline.
use async_graphql::{ID, Object};
use entities::order_event;

use crate::graphql::enums::OrderEventKind;

/// One entry of an order's timeline.
#[derive(Clone, Debug)]
pub struct OrderEvent(pub order_event::Model);

/// One entry of an order's timeline.
#[Object]
impl OrderEvent {
    /// The entry's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// What happened.
    async fn kind(&self) -> OrderEventKind {
        self.0.kind.into()
    }

    /// The role of who did it: customer, agent, associate, admin or system.
    async fn actor_role(&self) -> &str {
        &self.0.actor_role
    }

    /// Who did it: the token's subject for staff and associates; for a customer, the role only.
    async fn actor(&self) -> &str {
        &self.0.actor_id
    }

    /// What happened, in words.
    async fn message(&self) -> &str {
        &self.0.message
    }

    /// When (RFC 3339).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}
