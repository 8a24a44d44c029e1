//! The GraphQL documents more than one story sends, written once. A document selects what every
//! story that sends it reads; a story that needs a narrower or a different answer writes its own.

pub const CREATE_PRODUCT: &str = "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id sku } userErrors { field code message } } }";
pub const UPDATE_PRODUCT: &str = "mutation($input: UpdateProductInput!) { updateProduct(input: $input) {
    product { sku name active price { amount currency } } userErrors { field code message } } }";
pub const PRODUCT_AVAILABLE: &str = "query($sku: String!) { product(sku: $sku) { available } }";
pub const CREATE_LOCATION: &str = "mutation($input: CreateLocationInput!) { createLocation(input: $input) { location { id code } userErrors { field code message } } }";
pub const RECEIVE: &str = "mutation($input: ReceiveInventoryInput!) { receiveInventory(input: $input) {
    inventoryLevel { onHand reserved safetyStock available location { code } product { sku } }
    userErrors { field code message } } }";
pub const CREATE_CUSTOMER: &str = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id email } userErrors { field code message } } }";
pub const CREATE_PROMOTION: &str = "mutation($input: CreatePromotionInput!) { createPromotion(input: $input) { promotion { code usedCount } userErrors { field code message } } }";

/// `placeOrder` with the money, the lines, the fulfilment orders and the timeline (kind and role
/// only: stories compare the whole timeline).
pub const PLACE_ORDER: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number status version totals { subtotal { amount currency } discount { amount } shipping { amount } tax { amount } total { amount } } lines { sku quantity allocatedQuantity backorderedQuantity } fulfillmentOrders { status location { code } lines { quantity } } events { kind actorRole } } userErrors { field code message } } }";
pub const CONFIRM_ORDER: &str = "mutation($input: ConfirmOrderInput!) { confirmOrder(input: $input) {
    order { id status version events { kind actorRole } } userErrors { field code message } } }";
pub const CANCEL_ORDER: &str = "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) {
    order { id number status version } userErrors { field code message } } }";

/// What the routing stories read of an order: its lines, where each fulfilment order ships from
/// and to, why the router chose so, and the timeline.
const ROUTED_ORDER_FIELDS: &str = "id number status version
    lines { id sku quantity allocatedQuantity backorderedQuantity shippedQuantity cancelledQuantity }
    fulfillmentOrders { id status location { code } shipToLocation { code } lines { quantity } }
    routingDecisions { trigger mode summary shipments candidates { locationCode eligible reason chosen } allocations { locationCode sku quantity } shortfalls { sku quantity } }
    events { kind message }";

/// `placeOrder` answering with the routed order.
pub fn place_routed_order() -> String {
    format!(
        "mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{ order {{ {ROUTED_ORDER_FIELDS} }} userErrors {{ field code message }} }} }}"
    )
}

/// `order(id)` answering with the routed order.
pub fn routed_order() -> String {
    format!("query($id: ID!) {{ order(id: $id) {{ {ROUTED_ORDER_FIELDS} }} }}")
}

/// A fulfilment-order mutation (`acceptFulfillmentOrder`, `shipFulfillmentOrder`, …) with its
/// input type, answering with the fulfilment order.
pub fn fulfillment_action(mutation: &str) -> String {
    let input_type = match mutation {
        "rejectFulfillmentOrder" => "RejectFulfillmentOrderInput",
        "shipFulfillmentOrder" => "ShipFulfillmentOrderInput",
        "completePickup" => "CompletePickupInput",
        _ => "FulfillmentOrderActionInput",
    };
    format!(
        "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ fulfillmentOrder {{ id status pickupCode carrier trackingNumber }} userErrors {{ field code message }} }} }}"
    )
}

/// What the change stories read of a line and of the money, in a preview and in a committed order
/// alike, so the two can be compared.
const CHANGED_LINE_FIELDS: &str =
    "lines { id lineNo sku quantity allocatedQuantity backorderedQuantity cancelledQuantity lineTotal { amount } }
    totals { subtotal { amount currency } discount { amount } shipping { amount } tax { amount } total { amount } }";

/// `previewOrderChange` answering with the whole preview.
pub fn preview_order_change() -> String {
    format!(
        "mutation($input: OrderChangeInput!) {{ previewOrderChange(input: $input) {{
            preview {{ orderId number expectedVersion status deliveryMethod shippingAddress {{ city country }}
                pickupLocation {{ code }} promoCode {CHANGED_LINE_FIELDS}
                previousTotals {{ total {{ amount }} }} balanceDifference {{ amount currency }}
                newRouting {{ locationCode sku quantity }} }}
            userErrors {{ field code message }} }} }}"
    )
}

/// `commitOrderChange` answering with the changed order, its fulfilment orders and timeline.
pub fn commit_order_change() -> String {
    format!(
        "mutation($input: OrderChangeInput!) {{ commitOrderChange(input: $input) {{
            order {{ id number version status deliveryMethod shippingAddress {{ city country }}
                pickupLocation {{ code }} promoCode {CHANGED_LINE_FIELDS}
                fulfillmentOrders {{ status location {{ code }} lines {{ quantity }} }}
                routingDecisions {{ trigger mode allocations {{ locationCode sku quantity }} }}
                events {{ kind actorRole }} }}
            balanceDifference {{ amount currency }}
            newRouting {{ locationCode sku quantity }}
            userErrors {{ field code message }} }} }}"
    )
}
