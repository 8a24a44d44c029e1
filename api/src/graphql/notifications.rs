//! The emails sent about an order, as `Order.notifications` shows them.
use async_graphql::{Enum, ID, Object};
use entities::notification;

/// Where an email stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::NotificationStatus")]
pub enum NotificationStatus {
    /// Decided; not yet accepted by the mail server.
    Pending,
    /// The mail server accepted it.
    Sent,
    /// The last attempt failed (see `error`); it is retried within the job's budget.
    Failed,
}

/// An email the system decided to send about an order.
#[derive(Clone, Debug)]
pub struct Notification(pub notification::Model);

/// An email about an order: what, to whom, when, and what became of it.
#[Object]
impl Notification {
    /// The notification's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// What happened to the order, e.g. ORDER_CONFIRMED or ORDER_SHIPPED.
    async fn event(&self) -> &str {
        &self.0.event
    }

    /// The address it was sent to.
    async fn recipient(&self) -> &str {
        &self.0.recipient
    }

    /// The template it was rendered from, e.g. "order_shipped".
    async fn template(&self) -> &str {
        &self.0.template
    }

    /// The subject line, once rendered.
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }

    /// Where it stands.
    async fn status(&self) -> NotificationStatus {
        self.0.status.into()
    }

    /// How many times sending was attempted.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// Why the last attempt failed, if it did.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// When it was decided (RFC 3339).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    /// When the mail server accepted it (RFC 3339).
    async fn sent_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.sent_at
    }
}

/// The order's notifications, oldest first. The caller already holds the order, which the
/// order queries only hand to those who may see it.
pub async fn for_order(
    ctx: &async_graphql::Context<'_>,
    order_id: uuid::Uuid,
) -> super::errors::ApiResult<Vec<Notification>> {
    let (db, _) = super::common::parts(ctx)?;
    let rows = domain::notifications::for_order(db, order_id).await?;
    Ok(rows.into_iter().map(Notification).collect())
}
