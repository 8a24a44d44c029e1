//! The shop the stories build and the steps they take: products, locations, stock, customers,
//! orders and fulfilment orders. A step asserts that it worked; a `…_body` step returns the whole
//! response for the story to judge.
use std::collections::HashMap;

use domain::auth::Role;
use domain::orders::FulfillmentStatusRules;
use entities::{fulfillment_order, fulfillment_order_line, inventory_level, order_line};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::documents::{
    CANCEL_ORDER, CONFIRM_ORDER, CREATE_CUSTOMER, CREATE_LOCATION, CREATE_PRODUCT, PLACE_ORDER, PRODUCT_AVAILABLE,
    RECEIVE, fulfillment_action, place_routed_order, routed_order,
};
use crate::helpers::TestApp;

/// Where the routing stories put their locations and their customers.
pub const PARIS: (f64, f64) = (48.8566, 2.3522);
pub const LYON: (f64, f64) = (45.7640, 4.8357);
pub const MARSEILLE: (f64, f64) = (43.2965, 5.3698);
pub const LILLE: (f64, f64) = (50.6292, 3.0573);

impl TestApp {
    pub fn agent(&self) -> String {
        self.token(Role::Agent)
    }

    pub async fn create_product(&self, sku: &str, price: &str) {
        let name = format!("Product {sku}");
        self.create_product_with(json!({ "sku": sku, "name": name, "price": { "amount": price, "currency": "EUR" } }))
            .await;
    }

    /// Creates a product from a whole `CreateProductInput`, which must be accepted.
    pub async fn create_product_with(&self, input: Value) {
        let data = self.admin_data(CREATE_PRODUCT, json!({ "input": input })).await;
        assert_eq!(data["createProduct"]["userErrors"], json!([]), "{data}");
    }

    /// Creates a location from a whole `CreateLocationInput`, which must be accepted.
    pub async fn create_location_with(&self, input: Value) {
        let data = self.admin_data(CREATE_LOCATION, json!({ "input": input })).await;
        assert_eq!(data["createLocation"]["userErrors"], json!([]), "{data}");
    }

    /// A location that ships (and picks up when `pickup`), at the given coordinates.
    pub async fn create_location(&self, code: &str, pickup: bool, priority: i32, shipping: &str) {
        self.create_location_with(json!({
                "code": code, "name": format!("Location {code}"),
                "kind": if pickup { "STORE" } else { "WAREHOUSE" },
                "address": { "line1": "1 Main St", "city": "Lyon", "postalCode": "69001", "country": "FR", "latitude": 45.76, "longitude": 4.83 },
                "canShip": true, "canPickup": pickup, "priority": priority,
                "shippingRate": { "amount": shipping, "currency": "EUR" }
            })).await;
    }

    /// A location of `kind` in France at `at`, shipping at 4.90 EUR when `ships`, for the stories
    /// in which distance decides.
    pub async fn create_location_at(&self, code: &str, kind: &str, at: (f64, f64), pickup: bool, ships: bool) {
        self.create_location_with(json!({
                "code": code, "name": code, "kind": kind,
                "address": { "line1": "1 Rue", "city": "City", "postalCode": "00000", "country": "FR", "latitude": at.0, "longitude": at.1 },
                "canShip": ships, "canPickup": pickup, "priority": 10,
                "shippingRate": { "amount": "4.90", "currency": "EUR" }
            })).await;
    }

    pub async fn receive(&self, sku: &str, location: &str, quantity: i32) {
        let body = self.receive_body(sku, location, quantity).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        assert_eq!(body["data"]["receiveInventory"]["userErrors"], json!([]), "{body}");
    }

    /// Receives stock as admin; returns the whole response body. The request is built at once, so
    /// the future borrows only the app (as do the other `…_body` steps).
    pub fn receive_body<'a>(&'a self, sku: &str, location: &str, quantity: i32) -> impl Future<Output = Value> + 'a {
        let input = json!({ "input": { "sku": sku, "locationCode": location, "quantity": quantity } });
        async move { self.gql(Some(&self.admin()), RECEIVE, input).await }
    }

    /// What `sku` has available to sell, across all locations.
    pub async fn available(&self, sku: &str) -> i64 {
        let data = self.admin_data(PRODUCT_AVAILABLE, json!({ "sku": sku })).await;
        data["product"]["available"].as_i64().expect("available")
    }

    /// Creates a customer as `token`; returns its id.
    pub async fn create_customer(&self, token: &str, email: &str, name: &str) -> String {
        let body = self.gql(Some(token), CREATE_CUSTOMER, json!({ "input": { "email": email, "name": name } })).await;
        assert_eq!(body["data"]["createCustomer"]["userErrors"], json!([]), "{body}");
        body["data"]["createCustomer"]["customer"]["id"].as_str().expect("customer id").to_owned()
    }

    /// Places an order as an agent for `email`; returns the `placeOrder` payload.
    pub async fn place_order(&self, token: &str, email: &str, lines: Value) -> Value {
        self.place(token, order_input(email, lines)).await
    }

    /// Places `input` with `token`; returns the `placeOrder` payload, failing on a top-level error.
    pub async fn place(&self, token: &str, input: Value) -> Value {
        let body = self.gql(Some(token), PLACE_ORDER, json!({ "input": input })).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"]["placeOrder"].clone()
    }

    /// Places `input` with `token`, which must be accepted; returns the order.
    pub async fn placed(&self, token: &str, input: Value) -> Value {
        let payload = self.place(token, input).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        payload["order"].clone()
    }

    /// Places `input` as an agent, reading back the routed order; returns the whole body.
    pub async fn place_routed_body(&self, input: Value) -> Value {
        self.gql(Some(&self.agent()), &place_routed_order(), json!({ "input": input })).await
    }

    /// Places `input` as an agent; returns the `placeOrder` payload with the routed order.
    pub async fn place_routed(&self, input: Value) -> Value {
        let body = self.place_routed_body(input).await;
        assert!(body.get("errors").is_none(), "{body}");
        body["data"]["placeOrder"].clone()
    }

    /// Places `input` as an agent, which must be accepted; returns the routed order.
    pub async fn placed_routed(&self, input: Value) -> Value {
        let payload = self.place_routed(input).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        payload["order"].clone()
    }

    /// The routed order `id`, as staff see it.
    pub async fn routed_order(&self, id: &str) -> Value {
        let body = self.gql(Some(&self.admin()), &routed_order(), json!({ "id": id })).await;
        assert!(body.get("errors").is_none(), "{body}");
        body["data"]["order"].clone()
    }

    /// Confirms order `id` as `token`; returns the whole response body.
    pub fn confirm_body<'a>(&'a self, token: &str, id: &str) -> impl Future<Output = Value> + 'a {
        let (token, variables) = (token.to_owned(), json!({ "input": { "orderId": id } }));
        async move { self.gql(Some(&token), CONFIRM_ORDER, variables).await }
    }

    /// Confirms order `id` as `token`, which must be accepted.
    pub async fn confirm(&self, token: &str, id: &str) {
        let body = self.confirm_body(token, id).await;
        assert_eq!(body["data"]["confirmOrder"]["userErrors"], json!([]), "{body}");
    }

    /// Cancels order `id` as `token`; returns the whole response body.
    pub fn cancel_body<'a>(&'a self, token: &str, id: &str, reason: &str) -> impl Future<Output = Value> + 'a {
        let (token, variables) = (token.to_owned(), json!({ "input": { "orderId": id, "reason": reason } }));
        async move { self.gql(Some(&token), CANCEL_ORDER, variables).await }
    }

    /// Runs fulfilment-order `mutation` as `token`; returns the whole response body.
    pub fn act_body<'a>(&'a self, token: &str, mutation: &str, input: Value) -> impl Future<Output = Value> + 'a {
        let (token, document) = (token.to_owned(), fulfillment_action(mutation));
        async move { self.gql(Some(&token), &document, json!({ "input": input })).await }
    }

    /// Runs fulfilment-order `mutation` as `token`; returns its payload, failing on a top-level
    /// error.
    pub async fn act(&self, token: &str, mutation: &str, input: Value) -> Value {
        let body = self.act_body(token, mutation, input).await;
        assert!(body.get("errors").is_none(), "{body}");
        body["data"][mutation].clone()
    }

    /// Orders of `channel` wait for an agent instead of confirming at once: for the stories in
    /// which an agent confirms them while the workers run.
    pub async fn confirm_by_hand(&self, channel: &str) {
        let data = self
            .admin_data(
                "mutation($input: SetConfirmationRulesInput!) { setConfirmationRules(input: $input) { userErrors { field code message } } }",
                json!({ "input": { "rules": [{ "channel": channel, "autoConfirm": false }] } }),
            )
            .await;
        assert_eq!(data["setConfirmationRules"]["userErrors"], json!([]), "{data}");
    }

    /// Every inventory level agrees with its ledger.
    pub async fn assert_ledger_balances(&self) {
        let off = domain::inventory::ledger_discrepancies(&self.db).await.expect("audit the ledger");
        assert!(off.is_empty(), "levels that disagree with the ledger: {off:?}");
    }
}

/// What the books say once the dust has settled.
pub struct Books {
    pub on_hand: i64,
    pub reserved: i64,
}

impl TestApp {
    /// Audits every inventory level (after a race) and returns the totals:
    /// - each level's on hand and reserved are what its ledger adds up to;
    /// - 0 <= reserved <= on hand at each level;
    /// - each level's reserved is exactly what the fulfilment orders still holding stock hold
    ///   there, and in all it is what the order lines say is allocated.
    pub async fn audit(&self) -> Books {
        let discrepancies = domain::inventory::ledger_discrepancies(&self.db).await.expect("ledger audit");
        assert!(discrepancies.is_empty(), "levels disagree with their ledger: {discrepancies:?}");

        let holding: HashMap<Uuid, bool> = fulfillment_order::Entity::find()
            .all(&self.db)
            .await
            .expect("fulfilment orders")
            .into_iter()
            .map(|f| {
                let holds = f.status.holds_reservation(f.shipped_at.is_some());
                (f.id, holds)
            })
            .collect();
        let mut held: HashMap<Uuid, i64> = HashMap::new();
        for line in fulfillment_order_line::Entity::find().all(&self.db).await.expect("fulfilment order lines") {
            if holding.get(&line.fulfillment_order_id).copied().unwrap_or(false) {
                *held.entry(line.inventory_level_id).or_default() += i64::from(line.quantity);
            }
        }
        let levels = inventory_level::Entity::find().all(&self.db).await.expect("levels");
        for level in &levels {
            assert!(0 <= level.reserved && level.reserved <= level.on_hand, "reserved beyond on hand: {level:?}");
            let held_here = held.get(&level.id).copied().unwrap_or(0);
            assert_eq!(
                i64::from(level.reserved),
                held_here,
                "reserved disagrees with the fulfilment orders: {level:?}"
            );
        }

        let on_hand = levels.iter().map(|l| i64::from(l.on_hand)).sum();
        let reserved: i64 = levels.iter().map(|l| i64::from(l.reserved)).sum();
        assert_eq!(reserved, held.values().sum::<i64>(), "fulfilment orders hold stock at no level");
        let allocated: i64 = order_line::Entity::find()
            .all(&self.db)
            .await
            .expect("order lines")
            .iter()
            .map(|l| i64::from(l.allocated_quantity))
            .sum();
        assert_eq!(reserved, allocated, "reserved disagrees with the order lines' allocations");
        Books { on_hand, reserved }
    }
}

/// A SHIP order input to a French address.
pub fn order_input(email: &str, lines: Value) -> Value {
    json!({
        "channel": "WEB",
        "customer": { "email": email, "name": "Test Customer" },
        "lines": lines,
        "shippingAddress": { "line1": "2 Rue de Rivoli", "city": "Paris", "postalCode": "75001", "country": "FR" }
    })
}

/// A customer's own order input: no `customer`, the token says who.
pub fn own_order(lines: Value) -> Value {
    let mut input = order_input("unused@example.com", lines);
    input.as_object_mut().expect("an input object").remove("customer");
    input
}

/// A SHIP order input to Paris with the address's coordinates, for the stories in which distance
/// decides.
pub fn ship_to_paris(email: &str, lines: Value) -> Value {
    let mut input = order_input(email, lines);
    input["shippingAddress"]["latitude"] = json!(PARIS.0);
    input["shippingAddress"]["longitude"] = json!(PARIS.1);
    input
}
