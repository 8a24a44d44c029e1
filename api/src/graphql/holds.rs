//! Holds: what keeps an order from being released to fulfilment, who placed and released them.
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use domain::orders::holds::{self, PlaceHold, ReleaseHold};
use entities::{order, order_hold};

use super::common::{parts, uuid_or_nil};
use super::enums::HoldType;
use super::errors::{ApiResult, Payload, UserError, respond};
use super::orders::Order;

/// A hold on an order.
#[derive(Clone, Debug)]
pub struct OrderHold(pub order_hold::Model);

/// A hold on an order: while any is open, nothing of the order is released to fulfilment.
#[Object]
impl OrderHold {
    /// The hold's id: what `releaseHold` names.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// Why the order is held, by kind.
    #[graphql(name = "type")]
    async fn hold_type(&self) -> HoldType {
        self.0.hold_type.into()
    }

    /// Why the order is held, in the words of who placed it.
    async fn reason(&self) -> &str {
        &self.0.reason
    }

    /// Whether it still holds the order (not yet released).
    async fn is_open(&self) -> bool {
        self.0.released_at.is_none()
    }

    /// Who placed it: the token's subject.
    async fn placed_by(&self) -> &str {
        &self.0.placed_by
    }

    /// The role of who placed it: agent, admin or system.
    async fn placed_by_role(&self) -> &str {
        &self.0.placed_by_role
    }

    /// When it was placed (RFC 3339).
    async fn placed_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.placed_at
    }

    /// Who released it; null while it is open.
    async fn released_by(&self) -> Option<&str> {
        self.0.released_by.as_deref()
    }

    /// The role of who released it; null while it is open.
    async fn released_by_role(&self) -> Option<&str> {
        self.0.released_by_role.as_deref()
    }

    /// When it was released (RFC 3339); null while it is open.
    async fn released_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.released_at
    }

    /// Why it was released, if the releaser said.
    async fn release_note(&self) -> Option<&str> {
        self.0.release_note.as_deref()
    }
}

/// A hold to place.
#[derive(InputObject)]
pub struct PlaceHoldInput {
    /// The order's id.
    pub order_id: ID,
    /// Why the order is held, by kind.
    #[graphql(name = "type")]
    pub hold_type: HoldType,
    /// Why the order is held, in words (at most 500 characters); staff read it, customers do not.
    pub reason: String,
}

/// A hold to release.
#[derive(InputObject)]
pub struct ReleaseHoldInput {
    /// The hold's id.
    pub hold_id: ID,
    /// Why the order may go on (at most 500 characters).
    pub note: Option<String>,
}

/// The result of `placeHold` and `releaseHold`.
#[derive(SimpleObject)]
pub struct OrderHoldPayload {
    /// The hold as it is now; null when the request was refused.
    pub hold: Option<OrderHold>,
    /// The order as it is now, with its holds; null when the request was refused.
    pub order: Option<Order>,
    /// Problems the caller can fix; empty on success.
    pub user_errors: Vec<UserError>,
}

impl Payload for OrderHoldPayload {
    type Value = (order_hold::Model, order::Model);
    fn ok((h, o): Self::Value) -> Self {
        OrderHoldPayload { hold: Some(OrderHold(h)), order: Some(Order(o)), user_errors: Vec::new() }
    }
    fn failed(user_errors: Vec<UserError>) -> Self {
        OrderHoldPayload { hold: None, order: None, user_errors }
    }
}

#[derive(Default)]
pub struct HoldMutation;

#[Object]
impl HoldMutation {
    /// Places a hold on an order not yet shipped: nothing more of it is released to fulfilment,
    /// and fulfilment orders released but not yet accepted are called back, until every hold is
    /// released. Agents and admins only.
    async fn place_hold(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The PlaceHold request.")] input: PlaceHoldInput,
    ) -> ApiResult<OrderHoldPayload> {
        let (db, actor) = parts(ctx)?;
        let request = PlaceHold {
            order_id: uuid_or_nil(&input.order_id),
            hold_type: input.hold_type.into(),
            reason: input.reason,
        };
        respond(holds::place_hold(db, actor, &request).await)
    }

    /// Releases a hold. When it was the order's last open hold, what waited is released to its
    /// locations (by a job, at once). Agents and admins only.
    async fn release_hold(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ReleaseHold request.")] input: ReleaseHoldInput,
    ) -> ApiResult<OrderHoldPayload> {
        let (db, actor) = parts(ctx)?;
        let request = ReleaseHold { hold_id: uuid_or_nil(&input.hold_id), note: input.note };
        respond(holds::release_hold(db, actor, &request).await)
    }
}
