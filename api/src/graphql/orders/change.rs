//! Order changes: `previewOrderChange` shows the order as a list of changes would leave it,
//! `commitOrderChange` applies them at once. Both take the same `OrderChangeInput`.
use async_graphql::{Context, ID, InputObject, Object, OneofObject, SimpleObject};
use domain::orders::{self, Change, ChangedOrder, OrderChange};

use super::contact::ShippingAddress;
use super::order::Order;
use super::order_line::OrderLine;
use super::totals::OrderTotals;
use crate::graphql::common::{Money, parts, uuid_or_nil};
use crate::graphql::enums::{DeliveryMethod, OrderStatus};
use crate::graphql::errors::{ApiResult, Payload, UserError, respond};
use crate::graphql::loaders::loaders;
use crate::graphql::locations::Location;
use crate::graphql::routing::{RoutingAllocation, RoutingDecision};

/// A line to add to the order, at today's catalogue price.
#[derive(InputObject)]
pub struct AddLineInput {
    /// The SKU to add.
    pub sku: String,
    /// Units (1 to 1 000 000).
    pub quantity: i32,
    /// The appointment slot (from `availableSlots`) of a line delivered or performed at one;
    /// such a line without one stays unscheduled.
    pub slot_id: Option<String>,
}

/// A line to remove: every unit of it not yet packed or shipped is cancelled.
#[derive(InputObject)]
pub struct RemoveLineInput {
    /// The order line's id.
    pub order_line_id: ID,
}

/// A line's new quantity.
#[derive(InputObject)]
pub struct ChangeQuantityInput {
    /// The order line's id.
    pub order_line_id: ID,
    /// The units the line should have (shipped units included, cancelled ones not; 1 to
    /// 1 000 000). Units already packed or shipped cannot be taken off.
    pub quantity: i32,
}

/// A new shipping address; the unshipped units are routed again to it.
#[derive(InputObject)]
pub struct ChangeShippingAddressInput {
    /// Where to ship from now on.
    pub address: ShippingAddress,
}

/// A new way to receive the goods; the unshipped units are routed again.
#[derive(InputObject)]
pub struct ChangeDeliveryMethodInput {
    /// How the customer receives the goods from now on.
    pub delivery_method: DeliveryMethod,
    /// The store to pick up at; required for PICKUP, refused otherwise.
    pub pickup_location_code: Option<String>,
}

/// A promo code to apply (an order has at most one: remove the old one in the same change).
#[derive(InputObject)]
pub struct ApplyPromoCodeInput {
    /// The promo code.
    pub code: String,
}

/// The order's promo code, to remove; its use is given back.
#[derive(InputObject)]
pub struct RemovePromoCodeInput {
    /// The promo code the order has.
    pub code: String,
}

/// One change to an order: exactly one of its fields.
#[derive(OneofObject)]
pub enum OrderChangeItemInput {
    /// Add a line.
    AddLine(AddLineInput),
    /// Remove a line.
    RemoveLine(RemoveLineInput),
    /// Change a line's quantity.
    ChangeQuantity(ChangeQuantityInput),
    /// Ship to another address.
    ChangeShippingAddress(ChangeShippingAddressInput),
    /// Change the delivery method (or the pickup store).
    ChangeDeliveryMethod(ChangeDeliveryMethodInput),
    /// Apply a promo code.
    ApplyPromoCode(ApplyPromoCodeInput),
    /// Remove the promo code.
    RemovePromoCode(RemovePromoCodeInput),
}

impl From<OrderChangeItemInput> for Change {
    fn from(item: OrderChangeItemInput) -> Self {
        match item {
            OrderChangeItemInput::AddLine(a) => {
                Change::AddLine { sku: a.sku, quantity: a.quantity, slot_id: a.slot_id }
            }
            OrderChangeItemInput::RemoveLine(r) => Change::RemoveLine { order_line_id: uuid_or_nil(&r.order_line_id) },
            OrderChangeItemInput::ChangeQuantity(c) => {
                Change::ChangeQuantity { order_line_id: uuid_or_nil(&c.order_line_id), quantity: c.quantity }
            }
            OrderChangeItemInput::ChangeShippingAddress(c) => {
                Change::ChangeShippingAddress { address: c.address.into() }
            }
            OrderChangeItemInput::ChangeDeliveryMethod(c) => Change::ChangeDeliveryMethod {
                delivery_method: c.delivery_method.into(),
                pickup_location_code: c.pickup_location_code,
            },
            OrderChangeItemInput::ApplyPromoCode(p) => Change::ApplyPromoCode { code: p.code },
            OrderChangeItemInput::RemovePromoCode(p) => Change::RemovePromoCode { code: p.code },
        }
    }
}

/// Changes to make to one order, all at once or not at all.
#[derive(InputObject)]
pub struct OrderChangeInput {
    /// The order's id.
    pub order_id: ID,
    /// The version the caller saw (`Order.version`); if the order changed since, STALE_VERSION.
    pub expected_version: i32,
    /// The changes, applied together (1 to 100).
    pub changes: Vec<OrderChangeItemInput>,
}

impl From<OrderChangeInput> for OrderChange {
    fn from(input: OrderChangeInput) -> Self {
        OrderChange {
            order_id: uuid_or_nil(&input.order_id),
            expected_version: input.expected_version,
            changes: input.changes.into_iter().map(Into::into).collect(),
        }
    }
}

/// The units a change routes from one location.
fn new_routing(changed: &ChangedOrder) -> Vec<RoutingAllocation> {
    changed
        .decision
        .iter()
        .flat_map(|d| &d.allocations)
        .map(|a| RoutingAllocation { location_code: a.location_code.clone(), sku: a.sku.clone(), quantity: a.quantity })
        .collect()
}

fn balance_difference(changed: &ChangedOrder) -> Money {
    Money::from_minor(changed.balance_difference(), &changed.order.currency)
}

/// The order as a change would leave it. Nothing of it is written.
pub struct OrderChangePreview(ChangedOrder);

/// The order as a change would leave it: its lines, totals, the difference to the customer's
/// bill and where added or moved units would ship from. Nothing of it is written.
#[Object]
impl OrderChangePreview {
    /// The order's id.
    async fn order_id(&self) -> ID {
        self.0.order.id.to_string().into()
    }

    /// The order number, e.g. "SO-000123".
    async fn number(&self) -> &str {
        &self.0.order.number
    }

    /// The version the preview was made at: pass it as `expectedVersion` to commit the change.
    async fn expected_version(&self) -> i32 {
        self.0.from_version
    }

    /// The order's status after the change.
    async fn status(&self) -> OrderStatus {
        self.0.order.status.into()
    }

    /// How the customer would receive the goods.
    async fn delivery_method(&self) -> DeliveryMethod {
        self.0.order.delivery_method.into()
    }

    /// Where the order would ship to, if it ships.
    async fn shipping_address(&self) -> Option<ShippingAddress> {
        ShippingAddress::of(&self.0.order)
    }

    /// The store where the customer would pick the order up, for PICKUP orders.
    async fn pickup_location(&self, ctx: &Context<'_>) -> ApiResult<Option<Location>> {
        let Some(id) = self.0.order.pickup_location_id else { return Ok(None) };
        Ok(loaders(ctx)?.location.load_one(id).await?.map(Location::from))
    }

    /// The promo code the order would have.
    async fn promo_code(&self) -> Option<&str> {
        self.0.order.promo_code.as_deref()
    }

    /// The lines as they would be; added lines' ids are provisional (committing gives new ones).
    async fn lines(&self) -> Vec<OrderLine> {
        self.0.lines.iter().cloned().map(OrderLine).collect()
    }

    /// The money of the order after the change.
    async fn totals(&self) -> OrderTotals {
        OrderTotals::of(&self.0.order)
    }

    /// The money of the order as it is now.
    async fn previous_totals(&self) -> OrderTotals {
        let mut before = self.0.order.clone();
        let t = self.0.previous_totals;
        (before.subtotal_minor, before.discount_minor, before.shipping_minor) = (t.subtotal, t.discount, t.shipping);
        (before.tax_minor, before.total_minor) = (t.tax, t.total);
        OrderTotals::of(&before)
    }

    /// The new total less the current one: positive is a balance due from the customer,
    /// negative a refund owed.
    async fn balance_difference(&self) -> Money {
        balance_difference(&self.0)
    }

    /// Where the units the change adds or moves would ship from; empty when it routes nothing.
    async fn new_routing(&self) -> Vec<RoutingAllocation> {
        new_routing(&self.0)
    }

    /// The router's whole decision for those units, with every location it considered. Staff
    /// only (it shows every location's stock): anyone else gets null and a FORBIDDEN error for
    /// this field.
    async fn routing_decision(&self, ctx: &Context<'_>) -> ApiResult<Option<RoutingDecision>> {
        let (_, actor) = parts(ctx)?;
        orders::check_routing_visible(actor)?;
        let trigger = domain::routing::trigger::ORDER_CHANGE;
        Ok(self.0.decision.clone().map(|d| RoutingDecision::new(d, trigger, None, None)))
    }
}

/// The result of `previewOrderChange`.
#[derive(SimpleObject)]
pub struct PreviewOrderChangePayload {
    /// The order as the change would leave it; null when the change would be refused.
    pub preview: Option<OrderChangePreview>,
    /// Why the change would be refused; empty when it can be committed as previewed.
    pub user_errors: Vec<UserError>,
}

impl Payload for PreviewOrderChangePayload {
    type Value = ChangedOrder;
    fn ok(value: ChangedOrder) -> Self {
        PreviewOrderChangePayload { preview: Some(OrderChangePreview(value)), user_errors: Vec::new() }
    }
    fn failed(user_errors: Vec<UserError>) -> Self {
        PreviewOrderChangePayload { preview: None, user_errors }
    }
}

/// The result of `commitOrderChange`.
#[derive(SimpleObject)]
pub struct CommitOrderChangePayload {
    /// The order as it is now; null when the change was refused.
    pub order: Option<Order>,
    /// The new total less the old one: positive is a balance due from the customer, negative a
    /// refund owed; null when the change was refused.
    pub balance_difference: Option<Money>,
    /// Where the units the change added or moved ship from; null when the change was refused.
    pub new_routing: Option<Vec<RoutingAllocation>>,
    /// Problems the caller can fix; empty on success.
    pub user_errors: Vec<UserError>,
}

impl Payload for CommitOrderChangePayload {
    type Value = ChangedOrder;
    fn ok(value: ChangedOrder) -> Self {
        CommitOrderChangePayload {
            balance_difference: Some(balance_difference(&value)),
            new_routing: Some(new_routing(&value)),
            order: Some(Order(value.order)),
            user_errors: Vec::new(),
        }
    }
    fn failed(user_errors: Vec<UserError>) -> Self {
        CommitOrderChangePayload { order: None, balance_difference: None, new_routing: None, user_errors }
    }
}

#[derive(Default)]
pub struct OrderChangeMutation;

#[Object]
impl OrderChangeMutation {
    /// Shows the order as the changes would leave it — lines, totals, the balance difference and
    /// where new units would ship from — writing nothing. Refused like the commit would be.
    /// Staff, or the customer for its own order until fulfilment starts.
    async fn preview_order_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes and the version they are based on.")] input: OrderChangeInput,
    ) -> ApiResult<PreviewOrderChangePayload> {
        let (db, actor) = parts(ctx)?;
        respond(orders::preview_order_change(db, actor, &input.into()).await)
    }

    /// Applies the changes at once: stock re-reserved and re-routed for what changed, the order
    /// re-priced, its version moved on and the customer emailed. Refused whole with
    /// STALE_VERSION when the order changed since `expectedVersion`, INVALID_STATE naming lines
    /// that are packed or shipped, OUT_OF_STOCK naming changes nothing can fill. Staff, or the
    /// customer for its own order until fulfilment starts.
    async fn commit_order_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes and the version they are based on.")] input: OrderChangeInput,
    ) -> ApiResult<CommitOrderChangePayload> {
        let (db, actor) = parts(ctx)?;
        respond(orders::commit_order_change(db, actor, &input.into()).await)
    }
}
