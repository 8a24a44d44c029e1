//! What associates send to move a fulfilment order on.
use async_graphql::{ID, InputObject};

/// A fulfilment order to act on.
#[derive(InputObject)]
pub struct FulfillmentOrderActionInput {
    /// The fulfilment order's id.
    pub fulfillment_order_id: ID,
}

/// A fulfilment order the location cannot fulfil.
#[derive(InputObject)]
pub struct RejectFulfillmentOrderInput {
    /// The fulfilment order's id.
    pub fulfillment_order_id: ID,
    /// Why (damaged stock, not found on the shelf, no staff…); recorded on the order.
    pub reason: String,
    /// Units the shelf turned out not to have (a short pick): on hand is corrected in the ledger
    /// so they are not promised again.
    #[graphql(default)]
    pub short_quantities: Vec<ShortQuantityInput>,
}

/// Units of one SKU missing from the shelf.
#[derive(InputObject)]
pub struct ShortQuantityInput {
    /// The SKU.
    pub sku: String,
    /// Units missing.
    pub quantity: i32,
}

/// A fulfilment order handed to the carrier.
#[derive(InputObject)]
pub struct ShipFulfillmentOrderInput {
    /// The fulfilment order's id.
    pub fulfillment_order_id: ID,
    /// The carrier, e.g. "Colissimo".
    pub carrier: String,
    /// The carrier's tracking number.
    pub tracking_number: String,
}

/// A pickup handed over at the store.
#[derive(InputObject)]
pub struct CompletePickupInput {
    /// The fulfilment order's id.
    pub fulfillment_order_id: ID,
    /// The code the customer shows.
    pub pickup_code: String,
}
