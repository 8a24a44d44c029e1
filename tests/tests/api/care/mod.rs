//! Order care by customer service: payments and refunds as records, partial cancellation, holds,
//! notes and the agent's search. Each story runs the real server over a real database; the shop
//! and the documents the stories share are here.
mod cancellation;
mod holds;
mod notes;
mod payments;
mod search;

use serde_json::{Value, json};

use crate::fixtures::{PARIS, ship_to_paris};
use crate::helpers::TestApp;

/// A warehouse in Paris (shipping 4.90 EUR) with ten lamps at 40.00 and three rugs at 120.00.
pub async fn shop(app: &TestApp) {
    app.create_location_at("WH-PARIS", "WAREHOUSE", PARIS, false, true).await;
    app.create_product("LAMP", "40.00").await;
    app.create_product("RUG", "120.00").await;
    app.receive("LAMP", "WH-PARIS", 10).await;
    app.receive("RUG", "WH-PARIS", 3).await;
}

/// What the care stories read of an order: lines, money, balance, payments, refunds, the timeline.
pub const CARE_FIELDS: &str = "id number version status paymentStatus onHold
    lines { id sku quantity allocatedQuantity backorderedQuantity cancelledQuantity }
    fulfillmentOrders { id status location { code } }
    totals { total { amount currency } }
    balance { total { amount } paid { amount } refunded { amount } owed { amount } refundOwed { amount } }
    payments { amount { amount currency } method reference recordedByRole }
    refunds { number amount { amount } reason lines { quantity orderLine { sku } } }
    events { kind actorRole message }";

/// An order shipped to Paris placed by an agent for `email`, with `extra` fields merged into the
/// input (a payment, a backorder policy); returns the order as the care stories read it.
pub async fn order(app: &TestApp, email: &str, lines: Value, extra: Value) -> Value {
    let mut input = ship_to_paris(email, lines);
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    let document = format!(
        "mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{ order {{ {CARE_FIELDS} }} userErrors {{ field code message }} }} }}"
    );
    let body = app.gql(Some(&app.agent()), &document, json!({ "input": input })).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["placeOrder"]["userErrors"], json!([]), "{body}");
    body["data"]["placeOrder"]["order"].clone()
}

/// Order `id` as `token` sees it.
pub async fn read(app: &TestApp, token: &str, id: &str) -> Value {
    let document = format!("query($id: ID!) {{ order(id: $id) {{ {CARE_FIELDS} }} }}");
    let body = app.gql(Some(token), &document, json!({ "id": id })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["order"].clone()
}

/// Runs `mutation` (whose input type is `<Mutation>Input`) with `input` as `token`, answering with
/// `selection`; returns the whole body.
pub async fn call(app: &TestApp, token: &str, mutation: &str, selection: &str, input: Value) -> Value {
    let mut chars = mutation.chars();
    let input_type = chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default();
    let document = format!(
        "mutation($input: {input_type}Input!) {{ {mutation}(input: $input) {{ {selection} userErrors {{ field code message }} }} }}"
    );
    app.gql(Some(token), &document, json!({ "input": input })).await
}

/// `call`, which must succeed; returns the payload.
pub async fn done(app: &TestApp, token: &str, mutation: &str, selection: &str, input: Value) -> Value {
    let body = call(app, token, mutation, selection, input).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"][mutation]["userErrors"], json!([]), "{body}");
    body["data"][mutation].clone()
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// The id of the order's line of `sku`.
pub fn line_id(order: &Value, sku: &str) -> String {
    let lines = order["lines"].as_array().expect("lines");
    id(lines.iter().find(|l| l["sku"] == sku).expect("a line of the SKU"))
}

/// The kinds of the order's timeline entries, oldest first.
pub fn kinds(order: &Value) -> Vec<String> {
    order["events"].as_array().expect("events").iter().map(|e| e["kind"].as_str().unwrap_or("").to_owned()).collect()
}

/// An amount as the API writes it, e.g. "44.90".
pub fn amount(v: &Value) -> &str {
    v["amount"].as_str().expect("an amount")
}
