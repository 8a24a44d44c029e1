//! An order's life: placed, confirmed, cancelled, with its money, its stock, its timeline and its
//! outbox jobs, and reading orders back page by page, on both databases.
use domain::auth::Role;
use entities::outbox_message;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::documents::{CANCEL_ORDER, CONFIRM_ORDER};
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp, on_both_backends};

const ORDER: &str = "query($id: ID!) { order(id: $id) {
    id number status version channel deliveryMethod promoCode
    totals { subtotal { amount currency } discount { amount } shipping { amount } tax { amount }
             total { amount currency } }
    lines { lineNo sku quantity unitPrice { amount currency } lineTotal { amount currency }
            allocatedQuantity backorderedQuantity cancelledQuantity }
    fulfillmentOrders { status location { code } shippingCost { amount } lines { quantity orderLine { lineNo sku } } }
    events { kind actorRole actor message }
} }";
const PRODUCT: &str = "query($sku: String!) { product(sku: $sku) {
    available inventory { location { code } onHand reserved safetyStock available } } }";
const MOVEMENTS: &str = "query($sku: String!) { inventoryMovements(sku: $sku, first: 100) { edges { node {
    kind onHandDelta reservedDelta onHandAfter reservedAfter reference reason orderId actor location { code } } } } }";
const ORDERS: &str = "query($first: Int, $after: String, $filter: OrderFilter) {
    orders(first: $first, after: $after, filter: $filter) {
        edges { cursor node { id number status channel createdAt contact { email } } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

// ---- Small helpers ------------------------------------------------------------------------

/// Runs `query` with `token` and returns `data`, failing on any top-level error.
async fn data(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = app.gql(Some(token), query, variables).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"].clone()
}

async fn order(app: &TestApp, token: &str, id: &str) -> Value {
    data(app, token, ORDER, json!({ "id": id })).await["order"].clone()
}

async fn confirm(app: &TestApp, token: &str, id: &str, expected_version: Option<i32>) -> Value {
    let input = json!({ "orderId": id, "expectedVersion": expected_version });
    data(app, token, CONFIRM_ORDER, json!({ "input": input })).await["confirmOrder"].clone()
}

async fn cancel(app: &TestApp, token: &str, id: &str, reason: &str, expected_version: Option<i32>) -> Value {
    let input = json!({ "orderId": id, "reason": reason, "expectedVersion": expected_version });
    data(app, token, CANCEL_ORDER, json!({ "input": input })).await["cancelOrder"].clone()
}

/// Asserts a refused mutation: no object, exactly one user error with this code and field.
fn assert_refused(payload: &Value, object: &str, code: &str, field: &[&str]) {
    assert_eq!(payload[object], Value::Null, "a refused change returns no {object}: {payload}");
    let errors = payload["userErrors"].as_array().expect("userErrors");
    assert_eq!(errors.len(), 1, "one user error expected: {payload}");
    assert_eq!(errors[0]["code"], code, "{payload}");
    assert_eq!(errors[0]["field"], json!(field), "{payload}");
}

fn kinds(events: &Value) -> Vec<String> {
    events.as_array().expect("a list").iter().map(|e| e["kind"].as_str().expect("kind").to_owned()).collect()
}

/// Every outbox row of an order's own jobs as (queue, kind, dedupe key), oldest first. Stock
/// changes also write `fill_backorders` jobs, offering freed stock to other orders: counted
/// apart, by [`fills`].
async fn outbox(app: &TestApp) -> Vec<(String, String, String)> {
    outbox_message::Entity::find()
        .order_by_asc(outbox_message::Column::Id)
        .all(&app.db)
        .await
        .expect("read the outbox")
        .into_iter()
        .filter(|m| m.kind != "fill_backorders")
        .map(|m| (m.queue, m.kind, m.dedupe_key))
        .collect()
}

/// How many `fill_backorders` jobs were written: one per change that freed stock.
async fn fills(app: &TestApp) -> usize {
    let rows = outbox_message::Entity::find().all(&app.db).await.expect("read the outbox");
    rows.iter().filter(|m| m.kind == "fill_backorders").count()
}

fn job(queue: &str, kind: &str, order_id: &str) -> (String, String, String) {
    (queue.to_owned(), kind.to_owned(), format!("{kind}:{order_id}"))
}

async fn product(app: &TestApp, sku: &str) -> Value {
    data(app, &app.admin(), PRODUCT, json!({ "sku": sku })).await["product"].clone()
}

async fn movements(app: &TestApp, sku: &str) -> Vec<Value> {
    let d = data(app, &app.admin(), MOVEMENTS, json!({ "sku": sku })).await;
    d["inventoryMovements"]["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect()
}

// ---- The main story: placed, confirmed, cancelled ------------------------------------------

async fn an_order_is_placed_confirmed_and_cancelled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.token(Role::Agent);
    app.create_location("WH-LYON", false, 10, "4.90").await;
    app.create_product("TEE-1", "19.99").await;
    app.create_product("MUG-1", "5.00").await;
    app.receive("TEE-1", "WH-LYON", 10).await;
    app.receive("MUG-1", "WH-LYON", 4).await;

    // Placed: pending at version 1, its stock reserved, the agent named in the timeline.
    let placed = app
        .place_order(
            &agent,
            "ann@example.com",
            json!([{ "sku": "TEE-1", "quantity": 2 }, { "sku": "MUG-1", "quantity": 1 }]),
        )
        .await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let placed = &placed["order"];
    let id = placed["id"].as_str().expect("order id").to_owned();
    assert_eq!(placed["number"], "SO-000001");
    assert_eq!(placed["status"], "PENDING");
    assert_eq!(placed["version"], 1);
    assert_eq!(placed["events"], json!([{ "kind": "ORDER_PLACED", "actorRole": "agent" }]));
    assert_eq!(app.sum("inventory_levels", "reserved").await, 3);
    assert_eq!(product(&app, "TEE-1").await["available"], 8);
    assert_eq!(product(&app, "MUG-1").await["available"], 3);
    // A WEB order confirms at once, by a job: this story's agent is faster than the workers,
    // which are not running, and the job will find the order confirmed already.
    assert_eq!(
        outbox(&app).await,
        vec![job("oms.fulfillment", "auto_confirm_order", &id)],
        "placing an order enqueues its confirmation"
    );
    assert_eq!(fills(&app).await, 2, "each receipt offered its stock to backorders");

    // Confirmed at the version the agent saw: version 2, released to fulfilment, customer told.
    let confirmed = confirm(&app, &agent, &id, Some(1)).await;
    assert_eq!(confirmed["userErrors"], json!([]), "{confirmed}");
    assert_eq!(confirmed["order"]["status"], "CONFIRMED");
    assert_eq!(confirmed["order"]["version"], 2);
    assert_eq!(kinds(&confirmed["order"]["events"]), ["ORDER_PLACED", "ORDER_CONFIRMED"]);
    assert_eq!(confirmed["order"]["events"][1]["actorRole"], "agent");
    assert_eq!(
        outbox(&app).await,
        vec![
            job("oms.fulfillment", "auto_confirm_order", &id),
            job("oms.fulfillment", "release_order", &id),
            job("oms.notification", "order_confirmed", &id)
        ]
    );
    assert_eq!(app.sum("inventory_levels", "reserved").await, 3, "confirming keeps the reservations");

    // Confirming again is refused, whether or not the caller names the current version.
    let before = app.snapshot().await;
    assert_refused(&confirm(&app, &agent, &id, Some(2)).await, "order", "INVALID_STATE", &["orderId"]);
    assert_refused(&confirm(&app, &agent, &id, None).await, "order", "INVALID_STATE", &["orderId"]);

    // A write based on a stale read is refused and changes nothing.
    let stale = cancel(&app, &agent, &id, "customer changed their mind", Some(1)).await;
    assert_refused(&stale, "order", "STALE_VERSION", &["expectedVersion"]);

    // Cancelling needs a reason.
    assert_refused(&cancel(&app, &agent, &id, "   ", None).await, "order", "INVALID_INPUT", &["reason"]);
    assert_refused(&cancel(&app, &agent, &id, "", Some(2)).await, "order", "INVALID_INPUT", &["reason"]);
    assert_eq!(app.snapshot().await, before, "refused changes wrote nothing");
    let unchanged = order(&app, &agent, &id).await;
    assert_eq!((&unchanged["status"], &unchanged["version"]), (&json!("CONFIRMED"), &json!(2)));

    // Cancelled: every reservation goes back on the shelf through the ledger.
    let cancelled = cancel(&app, &agent, &id, "customer changed their mind", Some(2)).await;
    assert_eq!(cancelled["userErrors"], json!([]), "{cancelled}");
    assert_eq!(cancelled["order"]["status"], "CANCELLED");
    assert_eq!(cancelled["order"]["version"], 3);
    assert_eq!(app.sum("inventory_levels", "reserved").await, 0);
    assert_eq!(app.sum("inventory_levels", "on_hand").await, 14, "cancelling moves no stock");
    for (sku, on_hand, ordered) in [("TEE-1", 10, 2), ("MUG-1", 4, 1)] {
        let p = product(&app, sku).await;
        assert_eq!(p["available"], on_hand, "{sku} is fully available again: {p}");
        assert_eq!(
            p["inventory"],
            json!([{
                "location": { "code": "WH-LYON" },
                "onHand": on_hand, "reserved": 0, "safetyStock": 0, "available": on_hand
            }])
        );
        let ledger = movements(&app, sku).await;
        let kinds: Vec<&str> = ledger.iter().map(|m| m["kind"].as_str().expect("kind")).collect();
        assert_eq!(kinds, ["RECEIPT", "RESERVE", "RELEASE"], "{sku}: {ledger:?}");
        let release = &ledger[2];
        assert_eq!(release["reservedDelta"], -ordered);
        assert_eq!(release["onHandDelta"], 0);
        assert_eq!(release["reservedAfter"], 0);
        assert_eq!(release["onHandAfter"], on_hand);
        assert_eq!(release["reference"], "SO-000001", "the release names the order: {release}");
        assert_eq!(release["orderId"], id.as_str());
        assert_eq!(release["location"]["code"], "WH-LYON");
        assert!(
            release["reason"].as_str().is_some_and(|r| r.contains("customer changed their mind")),
            "the release says why: {release}"
        );
    }
    let read = order(&app, &agent, &id).await;
    for line in read["lines"].as_array().expect("lines") {
        assert_eq!(line["cancelledQuantity"], line["quantity"], "{line}");
        assert_eq!(line["allocatedQuantity"], 0, "{line}");
        assert_eq!(line["backorderedQuantity"], 0, "{line}");
    }
    let fos = read["fulfillmentOrders"].as_array().expect("fulfilment orders");
    assert_eq!(fos.len(), 1);
    assert!(fos.iter().all(|fo| fo["status"] == "CANCELLED"), "{fos:?}");
    assert_eq!(kinds(&read["events"]), ["ORDER_PLACED", "ORDER_CONFIRMED", "ORDER_CANCELLED"]);
    let cancelled_event = &read["events"][2];
    assert_eq!(cancelled_event["actorRole"], "agent");
    assert_eq!(cancelled_event["actor"], "test-agent");
    assert!(cancelled_event["message"].as_str().is_some_and(|m| m.contains("customer changed their mind")));
    assert_eq!(
        outbox(&app).await,
        vec![
            job("oms.fulfillment", "auto_confirm_order", &id),
            job("oms.fulfillment", "release_order", &id),
            job("oms.notification", "order_confirmed", &id),
            job("oms.notification", "order_cancelled", &id),
        ]
    );
    assert_eq!(fills(&app).await, 3, "the cancellation offered the freed stock to backorders");
    app.assert_ledger_balances().await;

    // A cancelled order stays cancelled.
    let before = app.snapshot().await;
    assert_refused(&cancel(&app, &agent, &id, "again", None).await, "order", "INVALID_STATE", &["orderId"]);
    assert_refused(&cancel(&app, &agent, &id, "again", Some(3)).await, "order", "INVALID_STATE", &["orderId"]);
    assert_refused(&confirm(&app, &agent, &id, Some(3)).await, "order", "INVALID_STATE", &["orderId"]);

    // An order nobody placed is not found, whatever the id looks like.
    for unknown in [Uuid::now_v7().to_string(), "not-an-order-id".to_owned()] {
        assert_refused(&confirm(&app, &agent, &unknown, None).await, "order", "NOT_FOUND", &["orderId"]);
        assert_refused(&cancel(&app, &agent, &unknown, "why not", None).await, "order", "NOT_FOUND", &["orderId"]);
    }
    assert_eq!(app.snapshot().await, before, "refused changes wrote nothing");

    // The next order takes the next number, and a stale confirm of it changes nothing.
    let next = app.place_order(&agent, "bob@example.com", json!([{ "sku": "TEE-1", "quantity": 1 }])).await;
    assert_eq!(next["userErrors"], json!([]), "{next}");
    assert_eq!(next["order"]["number"], "SO-000002");
    let next_id = next["order"]["id"].as_str().expect("order id").to_owned();
    let before = app.snapshot().await;
    assert_refused(&confirm(&app, &agent, &next_id, Some(2)).await, "order", "STALE_VERSION", &["expectedVersion"]);
    assert_eq!(app.snapshot().await, before);
    let still = order(&app, &agent, &next_id).await;
    assert_eq!((&still["status"], &still["version"]), (&json!("PENDING"), &json!(1)));
    // A pending order can be cancelled outright too.
    let cancelled = cancel(&app, &agent, &next_id, "duplicate order", Some(1)).await;
    assert_eq!(cancelled["order"]["status"], "CANCELLED", "{cancelled}");
    assert_eq!(cancelled["order"]["version"], 2);
    assert_eq!(app.sum("inventory_levels", "reserved").await, 0);
    app.assert_ledger_balances().await;
}

on_both_backends!(an_order_is_placed_confirmed_and_cancelled);

// ---- Money --------------------------------------------------------------------------------

/// A location in another country, for store pickup only.
async fn create_pickup_store(app: &TestApp, code: &str, country: &str) {
    app.create_location_with(json!({
        "code": code, "name": format!("Store {code}"), "kind": "STORE",
        "address": { "line1": "Alexanderplatz 1", "city": "Berlin", "postalCode": "10178", "country": country,
                     "latitude": 52.52, "longitude": 13.41 },
        "canShip": false, "canPickup": true, "priority": 50,
        "shippingRate": { "amount": "3.00", "currency": "EUR" }
    }))
    .await;
}

async fn set_tax_rate(app: &TestApp, country: &str, percent: &str) {
    let d = app
        .admin_data(
            "mutation($input: SetTaxRateInput!) {
                setTaxRate(input: $input) { taxRate { country } userErrors { code message } } }",
            json!({ "input": { "country": country, "ratePercent": percent } }),
        )
        .await;
    assert_eq!(d["setTaxRate"]["userErrors"], json!([]), "{d}");
}

/// The totals of an order as (subtotal, discount, shipping, tax, total) strings.
fn totals(order: &Value) -> [String; 5] {
    let t = &order["totals"];
    ["subtotal", "discount", "shipping", "tax", "total"]
        .map(|k| t[k]["amount"].as_str().unwrap_or_else(|| panic!("{k} is a decimal string: {t}")).to_owned())
}

async fn orders_are_priced_exactly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.token(Role::Agent);
    app.create_location("WH-LYON", false, 10, "4.90").await;
    app.create_location("WH-PARIS", false, 20, "4.90").await;
    create_pickup_store(&app, "STORE-BERLIN", "DE").await;
    set_tax_rate(&app, "FR", "20").await;
    set_tax_rate(&app, "DE", "19").await;
    let promo = app
        .admin_data(
            r#"mutation { createPromotion(input: { code: "WELCOME10", percentOff: "10" }) {
                promotion { code } userErrors { code message } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(promo["createPromotion"]["userErrors"], json!([]), "{promo}");
    app.create_product("TEE-1", "19.99").await;
    app.create_product("MUG-1", "5.00").await;
    app.create_product("LAMP-1", "10.00").await;
    app.receive("TEE-1", "WH-LYON", 10).await;
    app.receive("MUG-1", "WH-LYON", 10).await;
    app.receive("LAMP-1", "WH-LYON", 3).await;
    app.receive("LAMP-1", "WH-PARIS", 4).await;
    app.receive("MUG-1", "STORE-BERLIN", 5).await;

    // One shipment from Lyon with 10% off: 2 × 19.99 + 5.00 = 44.98; 10% = 4.498 → 4.50;
    // shipping 4.90; VAT 20% of 45.38 = 9.076 → 9.08; total 54.46.
    let mut input =
        order_input("ann@example.com", json!([{ "sku": "TEE-1", "quantity": 2 }, { "sku": "MUG-1", "quantity": 1 }]));
    input["promoCode"] = json!("welcome10");
    let placed = app.placed(&agent, input).await;
    assert_eq!(placed["number"], "SO-000001");
    let first = order(&app, &agent, placed["id"].as_str().expect("id")).await;
    assert_eq!(totals(&first), ["44.98", "4.50", "4.90", "9.08", "54.46"]);
    assert_eq!(first["totals"]["total"]["currency"], "EUR");
    assert_eq!(first["promoCode"], "WELCOME10");
    assert_eq!(first["lines"][0]["unitPrice"], json!({ "amount": "19.99", "currency": "EUR" }));
    assert_eq!(first["lines"][0]["lineTotal"], json!({ "amount": "39.98", "currency": "EUR" }));
    assert_eq!(first["lines"][1]["unitPrice"], json!({ "amount": "5.00", "currency": "EUR" }));
    assert_eq!(first["fulfillmentOrders"].as_array().map(Vec::len), Some(1));
    assert_eq!(first["fulfillmentOrders"][0]["shippingCost"]["amount"], "4.90");

    // Six lamps, three in Lyon and four in Paris: two shipments, shipping paid twice.
    // 6 × 10.00 = 60.00; shipping 2 × 4.90 = 9.80; VAT 20% of 69.80 = 13.96; total 83.76.
    let placed = app.placed(&agent, order_input("bob@example.com", json!([{ "sku": "LAMP-1", "quantity": 6 }]))).await;
    assert_eq!(placed["number"], "SO-000002");
    let split = order(&app, &agent, placed["id"].as_str().expect("id")).await;
    assert_eq!(totals(&split), ["60.00", "0.00", "9.80", "13.96", "83.76"]);
    let mut shipments: Vec<(String, String, i64)> = split["fulfillmentOrders"]
        .as_array()
        .expect("fulfilment orders")
        .iter()
        .map(|fo| {
            let units =
                fo["lines"].as_array().expect("lines").iter().map(|l| l["quantity"].as_i64().expect("qty")).sum();
            (fo["location"]["code"].as_str().expect("code").to_owned(), fo["shippingCost"]["amount"].to_string(), units)
        })
        .collect();
    shipments.sort();
    assert_eq!(
        shipments,
        vec![("WH-LYON".to_owned(), "\"4.90\"".to_owned(), 2), ("WH-PARIS".to_owned(), "\"4.90\"".to_owned(), 4)],
        "the larger stock is taken first and each shipment charges its rate"
    );

    // The same SKU on two lines: priced line by line, stock shared, one shipment.
    // 3 × 19.99 = 59.97; 10% = 5.997 → 6.00; shipping 4.90; VAT 20% of 58.87 = 11.774 → 11.77.
    let mut input =
        order_input("cat@example.com", json!([{ "sku": "TEE-1", "quantity": 1 }, { "sku": "TEE-1", "quantity": 2 }]));
    input["promoCode"] = json!("WELCOME10");
    let placed = app.placed(&agent, input).await;
    assert_eq!(placed["number"], "SO-000003");
    let twice = order(&app, &agent, placed["id"].as_str().expect("id")).await;
    assert_eq!(totals(&twice), ["59.97", "6.00", "4.90", "11.77", "70.64"]);
    let lines: Vec<(i64, i64, String)> = twice["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["lineNo"].as_i64().expect("lineNo"),
                l["allocatedQuantity"].as_i64().expect("allocated"),
                l["lineTotal"]["amount"].as_str().expect("amount").to_owned(),
            )
        })
        .collect();
    assert_eq!(lines, vec![(1, 1, "19.99".to_owned()), (2, 2, "39.98".to_owned())]);
    let fos = twice["fulfillmentOrders"].as_array().expect("fulfilment orders");
    assert_eq!(fos.len(), 1, "{fos:?}");
    let mut fo_lines: Vec<(i64, i64)> = fos[0]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| (l["orderLine"]["lineNo"].as_i64().expect("lineNo"), l["quantity"].as_i64().expect("qty")))
        .collect();
    fo_lines.sort();
    assert_eq!(fo_lines, vec![(1, 1), (2, 2)]);

    // Picked up in Berlin: no shipping, German VAT on the discounted goods.
    // 3 × 5.00 = 15.00; 10% = 1.50; VAT 19% of 13.50 = 2.565 → 2.57; total 16.07.
    let input = json!({
        "channel": "STORE",
        "customer": { "email": "dan@example.com", "name": "Dan Weber" },
        "lines": [{ "sku": "MUG-1", "quantity": 3 }],
        "deliveryMethod": "PICKUP",
        "pickupLocationCode": "STORE-BERLIN",
        "promoCode": "WELCOME10"
    });
    let placed = app.placed(&agent, input).await;
    assert_eq!(placed["number"], "SO-000004");
    let pickup = order(&app, &agent, placed["id"].as_str().expect("id")).await;
    assert_eq!(pickup["deliveryMethod"], "PICKUP");
    assert_eq!(totals(&pickup), ["15.00", "1.50", "0.00", "2.57", "16.07"]);
    assert_eq!(pickup["fulfillmentOrders"][0]["location"]["code"], "STORE-BERLIN");
    assert_eq!(pickup["fulfillmentOrders"][0]["shippingCost"]["amount"], "0.00");

    // The prices were those of the catalogue; the stock is where the orders said.
    assert_eq!(app.sum("inventory_levels", "reserved").await, 3 + 6 + 3 + 3);
    app.assert_ledger_balances().await;
}

on_both_backends!(orders_are_priced_exactly);

// ---- Reading orders back -------------------------------------------------------------------

/// The numbers of a page of `orders`, and its page info.
async fn page(
    app: &TestApp,
    token: &str,
    first: Option<i32>,
    after: Option<&str>,
    filter: Value,
) -> (Vec<String>, Value) {
    let d = data(app, token, ORDERS, json!({ "first": first, "after": after, "filter": filter })).await;
    let connection = &d["orders"];
    let edges = connection["edges"].as_array().expect("edges");
    for edge in edges {
        assert!(edge["cursor"].is_string(), "every edge has a cursor: {edge}");
    }
    let numbers = edges.iter().map(|e| e["node"]["number"].as_str().expect("number").to_owned()).collect();
    (numbers, connection["pageInfo"].clone())
}

/// The numbers of every order matching `filter`, in one page.
async fn all(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let (numbers, info) = page(app, token, Some(100), None, filter).await;
    assert_eq!(info["hasNextPage"], false);
    numbers
}

fn so(ns: &[u32]) -> Vec<String> {
    ns.iter().map(|n| format!("SO-{n:06}")).collect()
}

async fn orders_are_listed_newest_first_page_by_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.token(Role::Agent);
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_product("TEE-1", "19.99").await;
    app.receive("TEE-1", "WH-1", 50).await;

    let mut ids = Vec::new();
    let mut created_at = Vec::new();
    for (email, channel) in [
        ("ann@example.com", "WEB"),
        ("bob@example.com", "MOBILE"),
        ("ann@example.com", "WEB"),
        ("cat@example.com", "CALL_CENTER"),
        ("ann@example.com", "MOBILE"),
    ] {
        let mut input = order_input(email, json!([{ "sku": "TEE-1", "quantity": 1 }]));
        input["channel"] = json!(channel);
        let placed = app.placed(&agent, input).await;
        let id = placed["id"].as_str().expect("id").to_owned();
        let read = data(&app, &agent, "query($id: ID!) { order(id: $id) { createdAt } }", json!({ "id": id })).await;
        created_at.push(read["order"]["createdAt"].as_str().expect("createdAt").to_owned());
        ids.push(id);
    }
    assert_eq!(confirm(&app, &agent, &ids[1], Some(1)).await["order"]["status"], "CONFIRMED");
    assert_eq!(cancel(&app, &agent, &ids[3], "out of patience", None).await["order"]["status"], "CANCELLED");

    // Two at a time, newest first, each page continuing where the last one ended.
    let (first_page, info) = page(&app, &agent, Some(2), None, Value::Null).await;
    assert_eq!(first_page, so(&[5, 4]));
    assert_eq!(info["hasNextPage"], true);
    assert_eq!(info["hasPreviousPage"], false);
    let cursor = info["endCursor"].as_str().expect("endCursor").to_owned();
    let (second_page, info) = page(&app, &agent, Some(2), Some(&cursor), Value::Null).await;
    assert_eq!(second_page, so(&[3, 2]));
    assert_eq!(info["hasNextPage"], true);
    assert_eq!(info["hasPreviousPage"], true);
    let cursor = info["endCursor"].as_str().expect("endCursor").to_owned();
    let (last_page, info) = page(&app, &agent, Some(2), Some(&cursor), Value::Null).await;
    assert_eq!(last_page, so(&[1]));
    assert_eq!(info["hasNextPage"], false);
    let mut seen: Vec<String> = [first_page, second_page, last_page].concat();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "every order once, none twice: {seen:?}");

    // A page that holds exactly what is left says nothing follows; past the end is empty.
    let (exact, info) = page(&app, &agent, Some(5), None, Value::Null).await;
    assert_eq!(exact, so(&[5, 4, 3, 2, 1]));
    assert_eq!(info["hasNextPage"], false);
    let end = info["endCursor"].as_str().expect("endCursor").to_owned();
    let (beyond, info) = page(&app, &agent, Some(5), Some(&end), Value::Null).await;
    assert_eq!(beyond, Vec::<String>::new());
    assert_eq!(info["hasNextPage"], false);
    assert_eq!(info["endCursor"], Value::Null);

    // Filters.
    assert_eq!(all(&app, &agent, json!({ "status": "CONFIRMED" })).await, so(&[2]));
    assert_eq!(all(&app, &agent, json!({ "status": "CANCELLED" })).await, so(&[4]));
    assert_eq!(all(&app, &agent, json!({ "status": "PENDING" })).await, so(&[5, 3, 1]));
    assert_eq!(all(&app, &agent, json!({ "channel": "MOBILE" })).await, so(&[5, 2]));
    assert_eq!(all(&app, &agent, json!({ "channel": "MARKETPLACE" })).await, so(&[]));
    assert_eq!(all(&app, &agent, json!({ "customerEmail": "ann@example.com" })).await, so(&[5, 3, 1]));
    assert_eq!(all(&app, &agent, json!({ "customerEmail": " Ann@Example.COM " })).await, so(&[5, 3, 1]));
    assert_eq!(all(&app, &agent, json!({ "channel": "WEB", "customerEmail": "ann@example.com" })).await, so(&[3, 1]));
    assert_eq!(all(&app, &agent, json!({ "createdAfter": created_at[2] })).await, so(&[5, 4, 3]));
    assert_eq!(all(&app, &agent, json!({ "createdBefore": created_at[2] })).await, so(&[2, 1]));
    assert_eq!(
        all(&app, &agent, json!({ "createdAfter": created_at[1], "createdBefore": created_at[3] })).await,
        so(&[3, 2])
    );

    // A filter pages like the whole list.
    let ann = json!({ "customerEmail": "ann@example.com" });
    let (first_page, info) = page(&app, &agent, Some(2), None, ann.clone()).await;
    assert_eq!(first_page, so(&[5, 3]));
    assert_eq!(info["hasNextPage"], true);
    let cursor = info["endCursor"].as_str().expect("endCursor").to_owned();
    let (rest, info) = page(&app, &agent, Some(2), Some(&cursor), ann).await;
    assert_eq!(rest, so(&[1]));
    assert_eq!(info["hasNextPage"], false);

    // A page size out of range or a cursor that is not one is refused.
    for (first, after) in [(Some(0), None), (Some(101), None), (Some(2), Some("not-a-cursor"))] {
        let body = app.gql(Some(&agent), ORDERS, json!({ "first": first, "after": after })).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "INVALID_INPUT", "{body}");
    }
}

on_both_backends!(orders_are_listed_newest_first_page_by_page);
