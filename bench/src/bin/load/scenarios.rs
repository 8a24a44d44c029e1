//! What each scenario sends.
use oms_bench::Rng;
use serde_json::{Value, json};

use crate::drive::Workload;
use crate::seed;

pub const PLACE_ORDER: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { \
    order { id number status } userErrors { field code message } } }";

/// `placeOrder` answering with the confirmation page a shop shows (the README's example).
pub const CHECKOUT: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { \
    order { id number status version totals { total { amount currency } } \
    lines { sku quantity unitPrice { amount } allocatedQuantity } \
    fulfillmentOrders { status location { code } lines { quantity orderLine { sku } } } \
    events { kind actor message createdAt } } userErrors { field code message } } }";

/// Orders of 1–`max_lines` distinct random SKUs, 1–2 units each, shipped to a random customer
/// among `customers`.
pub struct PlaceOrders {
    /// [`PLACE_ORDER`] or [`CHECKOUT`].
    pub document: &'static str,
    pub skus: Vec<String>,
    pub max_lines: usize,
    pub customers: usize,
}

impl Workload for PlaceOrders {
    fn request(&self, rng: &mut Rng) -> Value {
        let n = 1 + rng.below(self.max_lines.min(self.skus.len()));
        let mut chosen: Vec<&String> = Vec::with_capacity(n);
        while chosen.len() < n {
            let sku = rng.pick(&self.skus);
            if !chosen.contains(&sku) {
                chosen.push(sku);
            }
        }
        let lines: Vec<Value> = chosen.iter().map(|s| json!({ "sku": s, "quantity": rng.range_i32(1, 2) })).collect();
        let customer = rng.below(self.customers);
        json!({ "query": self.document, "variables": { "input": {
            "channel": "WEB",
            "customer": { "email": format!("customer{customer}@bench.example"), "name": format!("Customer {customer}") },
            "shippingAddress": seed::address(rng),
            "lines": lines,
        } } })
    }

    fn payload(&self) -> Option<&'static str> {
        Some("placeOrder")
    }
}

/// Every order buys one unit of one SKU.
pub struct HotSku {
    pub sku: String,
}

impl Workload for HotSku {
    fn request(&self, rng: &mut Rng) -> Value {
        let customer = rng.below(1000);
        json!({ "query": PLACE_ORDER, "variables": { "input": {
            "channel": "WEB",
            "customer": { "email": format!("hot{customer}@bench.example"), "name": "Hot Buyer" },
            "shippingAddress": seed::address(rng),
            "lines": [{ "sku": self.sku, "quantity": 1 }],
        } } })
    }

    fn payload(&self) -> Option<&'static str> {
        Some("placeOrder")
    }
}

const READ_ORDER: &str = "query($id: ID!) { order(id: $id) { id number status version \
    totals { total { amount currency } } \
    lines { id lineNo sku name quantity allocatedQuantity unitPrice { amount currency } } \
    fulfillmentOrders { id status location { code name } lines { quantity } } \
    events { kind message createdAt } } }";

/// One order by id, with its lines, fulfilment orders and timeline.
pub struct ReadOrder {
    pub ids: Vec<String>,
}

impl Workload for ReadOrder {
    fn request(&self, rng: &mut Rng) -> Value {
        json!({ "query": READ_ORDER, "variables": { "id": rng.pick(&self.ids) } })
    }

    fn payload(&self) -> Option<&'static str> {
        None
    }
}

pub const LIST_ORDERS: &str = "query($after: String) { orders(first: 100, after: $after) { \
    edges { node { id number status totals { total { amount } } \
    lines { sku quantity product { sku name price { amount currency } } } } } \
    pageInfo { endCursor hasNextPage } } }";

/// A page of 100 orders with their lines and products, starting after a random cursor.
pub struct ListOrders {
    /// `None` is the first page.
    pub cursors: Vec<Option<String>>,
}

impl Workload for ListOrders {
    fn request(&self, rng: &mut Rng) -> Value {
        json!({ "query": LIST_ORDERS, "variables": { "after": rng.pick(&self.cursors) } })
    }

    fn payload(&self) -> Option<&'static str> {
        None
    }
}

const PROMISE: &str = "query($input: AvailableToPromiseInput!) { availableToPromise(input: $input) { \
    options { deliveryMethod available recommended locationCodes cost { amount currency } estimatedDeliveryDate } \
    userErrors { code message } } }";

/// What can be promised for a cart of 1–3 SKUs at a customer's address.
pub struct Promise {
    pub skus: Vec<String>,
}

impl Workload for Promise {
    fn request(&self, rng: &mut Rng) -> Value {
        let n = 1 + rng.below(3);
        let lines: Vec<Value> = (0..n).map(|_| json!({ "sku": rng.pick(&self.skus), "quantity": 1 })).collect();
        let a = seed::address(rng);
        json!({ "query": PROMISE, "variables": { "input": { "lines": lines, "channel": "WEB", "address": {
            "line1": a["line1"], "city": a["city"], "postalCode": a["postalCode"], "country": a["country"],
            "latitude": a["latitude"], "longitude": a["longitude"] } } } })
    }

    fn payload(&self) -> Option<&'static str> {
        Some("availableToPromise")
    }
}
