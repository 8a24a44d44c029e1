//! Inventory: levels per location, the ledger, receipts, adjustments and safety stock.
use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};
use domain::inventory;
use entities::{inventory_level, inventory_movement};

use super::catalog::Product;
use super::common::{connection, page_request, parts, payload};
use super::enums::MovementKind;
use super::errors::{ApiError, ApiResult, respond};
use super::loaders::loaders;
use super::locations::Location;

/// Stock of one product at one location.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct InventoryLevel {
    /// Units physically at the location.
    pub on_hand: i32,
    /// Units held for orders.
    pub reserved: i32,
    /// Units held back from promising.
    pub safety_stock: i32,
    /// Units on their way to the location. Always 0 for now: nothing records inbound stock
    /// yet; it will count purchase orders and transfers once they exist.
    pub incoming: i32,
    /// Units that can be promised: on hand less reserved less safety stock, never negative.
    pub available: i32,
    /// When the level last changed (RFC 3339).
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[graphql(skip)]
    pub product_id: uuid::Uuid,
    #[graphql(skip)]
    pub location_id: uuid::Uuid,
}

impl From<inventory_level::Model> for InventoryLevel {
    fn from(l: inventory_level::Model) -> Self {
        InventoryLevel {
            available: inventory::available(&l),
            on_hand: l.on_hand,
            reserved: l.reserved,
            safety_stock: l.safety_stock,
            incoming: l.incoming,
            updated_at: l.updated_at,
            product_id: l.product_id,
            location_id: l.location_id,
        }
    }
}

#[ComplexObject]
impl InventoryLevel {
    /// Where the stock is.
    async fn location(&self, ctx: &Context<'_>) -> ApiResult<Location> {
        Location::load(ctx, self.location_id).await
    }

    /// Which product it is.
    async fn product(&self, ctx: &Context<'_>) -> ApiResult<Product> {
        let found = loaders(ctx)?.product.load_one(self.product_id).await?;
        found.map(Product::from).ok_or_else(|| ApiError::internal("product missing"))
    }
}

/// One entry of the append-only inventory ledger.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct InventoryMovement {
    /// The entry's id.
    pub id: async_graphql::ID,
    /// Why the level changed.
    pub kind: MovementKind,
    /// The change to on hand.
    pub on_hand_delta: i32,
    /// The change to reserved.
    pub reserved_delta: i32,
    /// On hand after the change.
    pub on_hand_after: i32,
    /// Reserved after the change.
    pub reserved_after: i32,
    /// Safety stock after the change.
    pub safety_stock_after: i32,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// An external reference (purchase order, order number), if any.
    pub reference: Option<String>,
    /// The order that caused it, if any.
    pub order_id: Option<async_graphql::ID>,
    /// Who made the change.
    pub actor: String,
    /// When (RFC 3339).
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[graphql(skip)]
    pub location_id: uuid::Uuid,
}

impl From<inventory_movement::Model> for InventoryMovement {
    fn from(m: inventory_movement::Model) -> Self {
        InventoryMovement {
            id: m.id.to_string().into(),
            kind: m.kind.into(),
            on_hand_delta: m.on_hand_delta,
            reserved_delta: m.reserved_delta,
            on_hand_after: m.on_hand_after,
            reserved_after: m.reserved_after,
            safety_stock_after: m.safety_stock_after,
            reason: m.reason,
            reference: m.reference,
            order_id: m.order_id.map(|id| id.to_string().into()),
            actor: m.actor,
            created_at: m.created_at,
            location_id: m.location_id,
        }
    }
}

#[ComplexObject]
impl InventoryMovement {
    /// Where the change happened.
    async fn location(&self, ctx: &Context<'_>) -> ApiResult<Location> {
        Location::load(ctx, self.location_id).await
    }
}

connection!(InventoryMovementConnection, InventoryMovementEdge, InventoryMovement, "ledger entries");

/// Stock that arrived at a location.
#[derive(InputObject)]
pub struct ReceiveInventoryInput {
    /// The product received.
    pub sku: String,
    /// Where it arrived.
    pub location_code: String,
    /// How many units (1 to 1 000 000).
    pub quantity: i32,
    /// A reference such as the purchase order or ASN number.
    pub reference: Option<String>,
}

payload!(ReceiveInventoryPayload, inventory_level: InventoryLevel, "receiveInventory");

/// A counted correction to on hand.
#[derive(InputObject)]
pub struct AdjustInventoryInput {
    /// The product counted.
    pub sku: String,
    /// Where it was counted.
    pub location_code: String,
    /// Units to add (positive) or remove (negative).
    pub delta: i32,
    /// Why (cycle count, damage, theft…).
    pub reason: String,
    /// The on-hand figure the delta is based on. If on hand has changed since, the adjustment
    /// is refused with STALE_VERSION and nothing changes.
    pub expected_on_hand: Option<i32>,
}

payload!(AdjustInventoryPayload, inventory_level: InventoryLevel, "adjustInventory");

/// Units to hold back from promising at a location.
#[derive(InputObject)]
pub struct SetSafetyStockInput {
    /// The product.
    pub sku: String,
    /// The location.
    pub location_code: String,
    /// Units to hold back (0 to 1 000 000).
    pub quantity: i32,
}

payload!(SetSafetyStockPayload, inventory_level: InventoryLevel, "setSafetyStock");

#[derive(Default)]
pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    /// The ledger of a product, optionally at one location, oldest first. Staff only.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn inventory_movements(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's SKU.")] sku: String,
        #[graphql(desc = "Only movements at this location.")] location_code: Option<String>,
        #[graphql(desc = "How many entries to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the entries after this cursor.")] after: Option<String>,
    ) -> ApiResult<InventoryMovementConnection> {
        let (db, actor) = parts(ctx)?;
        let page = page_request(first, after)?;
        let result = inventory::list_movements(db, actor, &sku, location_code.as_deref(), page).await?;
        Ok(InventoryMovementConnection::from_page(result, page.after.is_some(), |m| m.id, InventoryMovement::from))
    }
}

#[derive(Default)]
pub struct InventoryMutation;

#[Object]
impl InventoryMutation {
    /// Records stock arriving at a location. Admins only.
    async fn receive_inventory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ReceiveInventory request.")] input: ReceiveInventoryInput,
    ) -> ApiResult<ReceiveInventoryPayload> {
        let (db, actor) = parts(ctx)?;
        let result =
            inventory::receive(db, actor, &input.sku, &input.location_code, input.quantity, input.reference.as_deref())
                .await;
        respond(result)
    }

    /// Corrects on hand after a count; compare-and-set with `expectedOnHand`. Admins only.
    async fn adjust_inventory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The AdjustInventory request.")] input: AdjustInventoryInput,
    ) -> ApiResult<AdjustInventoryPayload> {
        let (db, actor) = parts(ctx)?;
        let result = inventory::adjust(
            db,
            actor,
            &input.sku,
            &input.location_code,
            input.delta,
            &input.reason,
            input.expected_on_hand,
        )
        .await;
        respond(result)
    }

    /// Sets the units held back from promising at a location. Admins only.
    async fn set_safety_stock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The SetSafetyStock request.")] input: SetSafetyStockInput,
    ) -> ApiResult<SetSafetyStockPayload> {
        let (db, actor) = parts(ctx)?;
        let result = inventory::set_safety_stock(db, actor, &input.sku, &input.location_code, input.quantity).await;
        respond(result)
    }
}
