//! Notes on an order's timeline: internal ones for staff, and ones the customer reads.
use async_graphql::{Context, Enum, ID, InputObject, Object};
use domain::orders::notes::{self, AddOrderNote};

use super::common::{parts, payload, uuid_or_nil};
use super::errors::{ApiResult, respond};
use super::orders::Order;

/// Who may read a note.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::orders::notes::NoteVisibility")]
pub enum NoteVisibility {
    /// Staff and associates only; never shown to the customer.
    Internal,
    /// The customer reads it on their order's timeline too.
    Customer,
}

/// A note to add to an order's timeline.
#[derive(InputObject)]
pub struct AddOrderNoteInput {
    /// The order's id.
    pub order_id: ID,
    /// The note (at most 2000 characters).
    pub text: String,
    /// Who may read it.
    pub visibility: NoteVisibility,
}

payload!(AddOrderNotePayload, order: Order, "addOrderNote");

#[derive(Default)]
pub struct NoteMutation;

#[Object]
impl NoteMutation {
    /// Adds a note to an order's timeline (`INTERNAL_NOTE_ADDED` or `CUSTOMER_NOTE_ADDED`): an
    /// internal one for staff, or one the customer reads. Agents and admins only.
    async fn add_order_note(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The AddOrderNote request.")] input: AddOrderNoteInput,
    ) -> ApiResult<AddOrderNotePayload> {
        let (db, actor) = parts(ctx)?;
        let request = AddOrderNote {
            order_id: uuid_or_nil(&input.order_id),
            text: input.text,
            visibility: input.visibility.into(),
        };
        respond(notes::add_order_note(db, actor, &request).await)
    }
}
