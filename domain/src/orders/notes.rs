//! Notes on an order's timeline: internal ones for colleagues ("customer called twice, be
//! gentle"), and ones written for the customer, who reads them on their order. An internal note
//! is never shown to a customer: it is a timeline kind a customer's view leaves out
//! (`OrderEventKindRules::customer_message`).
use entities::order;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::OrderEventKind;
use super::events::record_event;
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult};
use crate::{locks, validate};

/// Who may read a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteVisibility {
    /// Staff and associates only.
    Internal,
    /// The customer too.
    Customer,
}

/// A note to add.
#[derive(Debug, Clone)]
pub struct AddOrderNote {
    pub order_id: Uuid,
    pub text: String,
    pub visibility: NoteVisibility,
}

/// Adds a note to the order's timeline. Agents and admins only. A note does not change the
/// order: its version stays.
#[tracing::instrument(skip_all, fields(order_id = %input.order_id))]
pub async fn add_order_note(
    db: &DatabaseConnection,
    actor: &Actor,
    input: &AddOrderNote,
) -> DomainResult<order::Model> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let text = validate::text(&["text"], &input.text, 2000).map_err(|e| DomainError::Rejected(vec![e]))?;
    let kind = match input.visibility {
        NoteVisibility::Internal => OrderEventKind::InternalNoteAdded,
        NoteVisibility::Customer => OrderEventKind::CustomerNoteAdded,
    };
    let text = text.as_str();
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        // Under the order's lock like every other timeline entry, so it lands after what the
        // agent read.
        let order = locks::order_or_missing(&txn, input.order_id, "orderId").await?;
        record_event(&txn, order.id, kind, actor, text.to_owned(), None).await?;
        txn.commit().await?;
        Ok(order)
    })
    .await
}
