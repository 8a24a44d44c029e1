//! Order changes: a customer calls — "add a second lamp, ship it to my office instead, and
//! cancel the rug" — and the agent previews the change (new lines, totals, the balance, where the
//! new items ship from), then commits exactly that. A preview writes nothing; a commit is all or
//! nothing, refused when someone changed the order meanwhile, when a line is already packed, or
//! when nothing can fill what it adds. The stock is exact afterwards.
use std::path::PathBuf;
use std::time::Duration;

use domain::auth::Role;
use entities::enums::MovementKind;
use entities::{inventory_movement, outbox_message};
use futures::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::documents::{CREATE_PROMOTION, commit_order_change, preview_order_change};
use crate::fixtures::{LILLE, MARSEILLE, PARIS, own_order, ship_to_paris};
use crate::helpers::{Backend, TestApp, on_both_backends};

// ---- The shop and the steps ----------------------------------------------------------------

/// Warehouses in Paris and Marseille with lamps (and rugs in Paris), a store in Marseille with
/// lamps for pickup, a warehouse in Lille with the only books, and vases nobody stocks.
async fn shop(app: &TestApp) {
    app.create_location_at("WH-PARIS", "WAREHOUSE", PARIS, false, true).await;
    app.create_location_at("WH-MARSEILLE", "WAREHOUSE", MARSEILLE, false, true).await;
    app.create_location_at("WH-LILLE", "WAREHOUSE", LILLE, false, true).await;
    app.create_location_at("STORE-MARSEILLE", "STORE", MARSEILLE, true, false).await;
    for (sku, price) in [("LAMP", "40.00"), ("RUG", "120.00"), ("BOOK", "10.00"), ("VASE", "15.00")] {
        app.create_product(sku, price).await;
    }
    app.receive("LAMP", "WH-PARIS", 5).await;
    app.receive("LAMP", "WH-MARSEILLE", 5).await;
    app.receive("LAMP", "STORE-MARSEILLE", 3).await;
    app.receive("RUG", "WH-PARIS", 2).await;
    app.receive("BOOK", "WH-LILLE", 4).await;
}

/// An order shipped to Paris, placed by an agent; returns the routed order.
async fn order(app: &TestApp, lines: Value) -> Value {
    app.placed_routed(ship_to_paris("ann@example.com", lines)).await
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// The id of the order's line of `sku`.
fn line_id(order: &Value, sku: &str) -> String {
    let lines = order["lines"].as_array().expect("lines");
    id(lines.iter().find(|l| l["sku"] == sku).expect("a line of the SKU"))
}

fn input(order: &Value, version: i64, changes: Value) -> Value {
    json!({ "input": { "orderId": id(order), "expectedVersion": version, "changes": changes } })
}

/// Previews `changes` to `order` at `version` as `token`; returns the payload.
async fn preview(app: &TestApp, token: &str, order: &Value, version: i64, changes: Value) -> Value {
    let body = app.gql(Some(token), &preview_order_change(), input(order, version, changes)).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["previewOrderChange"].clone()
}

/// Commits `changes` to `order` at `version` as an agent; returns the payload.
async fn commit(app: &TestApp, order: &Value, version: i64, changes: Value) -> Value {
    commit_as(app, &app.agent(), order, version, changes).await
}

async fn commit_as(app: &TestApp, token: &str, order: &Value, version: i64, changes: Value) -> Value {
    let body = app.gql(Some(token), &commit_order_change(), input(order, version, changes)).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["commitOrderChange"].clone()
}

/// Commits, which must be accepted; returns the changed order.
async fn committed(app: &TestApp, order: &Value, version: i64, changes: Value) -> Value {
    let payload = commit(app, order, version, changes).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["order"].clone()
}

/// The payload's user errors as (field path, code), and their messages.
fn problems(payload: &Value) -> (Vec<(String, String)>, String) {
    let errors = payload["userErrors"].as_array().expect("userErrors");
    let fields = errors
        .iter()
        .map(|e| {
            let path: Vec<&str> = e["field"].as_array().expect("field").iter().filter_map(Value::as_str).collect();
            (path.join("."), e["code"].as_str().expect("code").to_owned())
        })
        .collect();
    let messages = errors.iter().filter_map(|e| e["message"].as_str()).collect::<Vec<_>>().join(" | ");
    (fields, messages)
}

fn refused(payload: &Value, object: &str, expected: &[(&str, &str)]) -> String {
    assert!(payload[object].is_null(), "a refused change answers no {object}: {payload}");
    let (fields, messages) = problems(payload);
    let expected: Vec<(String, String)> = expected.iter().map(|(f, c)| ((*f).to_owned(), (*c).to_owned())).collect();
    assert_eq!(fields, expected, "{messages}");
    messages
}

/// Every row of every table, as text: equal before and after means nothing at all was written.
async fn dump(app: &TestApp) -> Vec<String> {
    macro_rules! rows {
        ($($table:ident),* $(,)?) => {{
            let mut out = Vec::new();
            $(
                for row in entities::$table::Entity::find().all(&app.db).await.expect("read a table") {
                    out.push(format!("{row:?}"));
                }
            )*
            out
        }};
    }
    let mut rows = rows!(
        customer,
        fulfillment_order,
        fulfillment_order_line,
        idempotency_record,
        inventory_level,
        inventory_movement,
        job,
        location,
        location_capacity_usage,
        location_webhook,
        notification,
        order,
        order_event,
        order_line,
        outbox_message,
        product,
        promotion,
        routing_decision,
        routing_rule,
        tax_rate,
        webhook_delivery,
    );
    rows.sort();
    rows
}

/// The lines of a preview or an order without their ids (a preview's new lines get theirs when
/// committed).
fn lines_without_ids(v: &Value) -> Vec<Value> {
    let mut lines = v["lines"].as_array().expect("lines").clone();
    for l in &mut lines {
        l.as_object_mut().expect("a line").remove("id");
    }
    lines
}

fn kinds(order: &Value) -> Vec<&str> {
    order["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect()
}

/// Ledger entries of `kind` written for the order.
async fn ledger(app: &TestApp, order: &Value, kind: MovementKind) -> Vec<inventory_movement::Model> {
    let order_id = Uuid::parse_str(&id(order)).expect("uuid");
    inventory_movement::Entity::find()
        .filter(inventory_movement::Column::OrderId.eq(order_id))
        .filter(inventory_movement::Column::Kind.eq(kind))
        .order_by_asc(inventory_movement::Column::Id)
        .all(&app.db)
        .await
        .expect("ledger")
}

async fn fulfil(app: &TestApp, fo: &str, steps: &[&str]) {
    for step in steps {
        let input = match *step {
            "shipFulfillmentOrder" => json!({ "fulfillmentOrderId": fo, "carrier": "UPS", "trackingNumber": "1Z1" }),
            _ => json!({ "fulfillmentOrderId": fo }),
        };
        let payload = app.act(&app.admin(), step, input).await;
        assert_eq!(payload["userErrors"], json!([]), "{step}: {payload}");
    }
}

/// The id of the order's fulfilment order at `location`.
fn fo_at(order: &Value, location: &str) -> String {
    let fos = order["fulfillmentOrders"].as_array().expect("fulfilment orders");
    id(fos.iter().find(|f| f["location"]["code"] == location).expect("a fulfilment order there"))
}

// ---- 1. Preview, then commit exactly that ----------------------------------------------------

async fn an_agent_previews_a_change_then_commits_exactly_that(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let placed = order(&app, json!([{ "sku": "LAMP", "quantity": 1 }, { "sku": "RUG", "quantity": 1 }])).await;
    assert_eq!(placed["version"], 1);
    let office = json!({ "line1": "5 Quai du Port", "city": "Marseille", "postalCode": "13002", "country": "FR",
                         "latitude": MARSEILLE.0, "longitude": MARSEILLE.1 });
    let changes = json!([
        { "addLine": { "sku": "LAMP", "quantity": 1 } },
        { "changeShippingAddress": { "address": office } },
        { "removeLine": { "orderLineId": line_id(&placed, "RUG") } }
    ]);

    // The preview shows the order as it would be, and writes nothing at all.
    let before = dump(&app).await;
    let shown = preview(&app, &app.agent(), &placed, 1, changes.clone()).await;
    assert_eq!(dump(&app).await, before, "a preview writes nothing");
    assert_eq!(shown["userErrors"], json!([]), "{shown}");
    let p = &shown["preview"];
    assert_eq!(p["expectedVersion"], 1);
    assert_eq!(p["shippingAddress"], json!({ "city": "Marseille", "country": "FR" }));
    assert_eq!(
        lines_without_ids(p),
        vec![
            json!({ "lineNo": 1, "sku": "LAMP", "quantity": 1, "allocatedQuantity": 1, "backorderedQuantity": 0, "cancelledQuantity": 0, "lineTotal": { "amount": "40.00" } }),
            json!({ "lineNo": 2, "sku": "RUG", "quantity": 1, "allocatedQuantity": 0, "backorderedQuantity": 0, "cancelledQuantity": 1, "lineTotal": { "amount": "0.00" } }),
            json!({ "lineNo": 3, "sku": "LAMP", "quantity": 1, "allocatedQuantity": 1, "backorderedQuantity": 0, "cancelledQuantity": 0, "lineTotal": { "amount": "40.00" } }),
        ]
    );
    // Two lamps at 40.00, shipped from Marseille (4.90); Paris's shipment is gone with its rug.
    assert_eq!(p["totals"]["subtotal"], json!({ "amount": "80.00", "currency": "EUR" }));
    assert_eq!(p["totals"]["shipping"]["amount"], "4.90");
    assert_eq!(p["totals"]["total"]["amount"], "84.90");
    assert_eq!(p["previousTotals"]["total"]["amount"], "164.90");
    assert_eq!(p["balanceDifference"], json!({ "amount": "-80.00", "currency": "EUR" }));
    assert_eq!(p["newRouting"], json!([{ "locationCode": "WH-MARSEILLE", "sku": "LAMP", "quantity": 2 }]));

    // Committed, the order is what the preview showed, one version on.
    let payload = commit(&app, &placed, 1, changes).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    let changed = &payload["order"];
    assert_eq!(changed["version"], 2);
    assert_eq!(lines_without_ids(changed), lines_without_ids(p));
    assert_eq!(changed["totals"], p["totals"]);
    assert_eq!(payload["balanceDifference"], p["balanceDifference"]);
    assert_eq!(payload["newRouting"], p["newRouting"]);
    assert_eq!(
        changed["fulfillmentOrders"],
        json!([
            { "status": "CANCELLED", "location": { "code": "WH-PARIS" }, "lines": [{ "quantity": 1 }, { "quantity": 1 }] },
            { "status": "PENDING", "location": { "code": "WH-MARSEILLE" }, "lines": [{ "quantity": 1 }, { "quantity": 1 }] },
        ])
    );
    let decisions = changed["routingDecisions"].as_array().expect("decisions");
    assert_eq!(
        decisions.iter().map(|d| d["trigger"].as_str()).collect::<Vec<_>>(),
        [Some("PLACEMENT"), Some("ORDER_CHANGE")]
    );
    assert_eq!(kinds(changed), ["ORDER_PLACED", "ORDER_CHANGED"]);
    assert_eq!(changed["events"][1]["actorRole"], "agent");

    // The stock is exact: two lamps held in Marseille, Paris's lamp and rug back on sale.
    let books = app.audit().await;
    assert_eq!(books.reserved, 2);
    assert_eq!(app.available("LAMP").await, 13 - 2);
    assert_eq!(app.available("RUG").await, 2);
    let released = ledger(&app, &placed, MovementKind::Release).await;
    assert_eq!(released.iter().map(|m| m.reserved_delta).sum::<i32>(), -2, "Paris gives back a lamp and a rug");
    assert!(released.iter().all(|m| m.reason.as_deref() == Some("order changed")), "{released:?}");

    // The customer is told, once for this version.
    let number = changed["number"].as_str().expect("number");
    let order_id = id(changed);
    let emails = outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq("order_changed"))
        .all(&app.db)
        .await
        .expect("outbox");
    assert_eq!(
        emails.iter().map(|m| m.dedupe_key.clone()).collect::<Vec<_>>(),
        [format!("order_changed:{order_id}:2")],
        "{number}"
    );
}
on_both_backends!(an_agent_previews_a_change_then_commits_exactly_that);

// ---- 2. Two agents at once ----------------------------------------------------------------------

async fn agents_changing_one_order_at_once_one_wins_and_the_rest_are_told_it_is_stale(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let placed = order(&app, json!([{ "sku": "LAMP", "quantity": 1 }])).await;
    let lamp = line_id(&placed, "LAMP");

    // Eight agents, each on the phone with the customer, all working from version 1.
    let agents: Vec<String> = (0..8).map(|i| app.token_for(&format!("agent-{i}"), Role::Agent, None, &[])).collect();
    let wanted: Vec<i64> = (0..8).map(|i| 2 + i % 4).collect();
    let document = commit_order_change();
    let bodies = join_all(agents.iter().zip(&wanted).map(|(token, quantity)| {
        let changes = json!([{ "changeQuantity": { "orderLineId": lamp, "quantity": quantity } }]);
        app.gql(Some(token), &document, input(&placed, 1, changes))
    }))
    .await;

    let mut winners = Vec::new();
    for (body, quantity) in bodies.iter().zip(&wanted) {
        assert!(body.get("errors").is_none(), "a top-level error under concurrency: {body}");
        let payload = &body["data"]["commitOrderChange"];
        if payload["order"].is_null() {
            refused(payload, "order", &[("expectedVersion", "STALE_VERSION")]);
        } else {
            winners.push(*quantity);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one agent's change is applied");
    let won = winners[0];

    // The order is the winner's, one version on; the stock holds exactly its lamps.
    let now = app.routed_order(&id(&placed)).await;
    assert_eq!(now["version"], 2);
    assert_eq!(now["lines"][0]["quantity"], won);
    assert_eq!(now["lines"][0]["allocatedQuantity"], won);
    assert_eq!(kinds(&now).iter().filter(|k| **k == "ORDER_CHANGED").count(), 1);
    let books = app.audit().await;
    assert_eq!(books.reserved, won);
    assert_eq!(app.available("LAMP").await, 13 - won);
}
on_both_backends!(agents_changing_one_order_at_once_one_wins_and_the_rest_are_told_it_is_stale, multi_thread);

// ---- 3. Nothing can fill what it adds ----------------------------------------------------------

async fn a_change_adding_an_out_of_stock_line_is_refused_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let placed = order(&app, json!([{ "sku": "LAMP", "quantity": 1 }])).await;
    let changes = json!([
        { "changeQuantity": { "orderLineId": line_id(&placed, "LAMP"), "quantity": 2 } },
        { "addLine": { "sku": "VASE", "quantity": 1 } }
    ]);

    let before = dump(&app).await;
    let shown = preview(&app, &app.agent(), &placed, 1, changes.clone()).await;
    refused(&shown, "preview", &[("changes.1.addLine.quantity", "OUT_OF_STOCK")]);
    let payload = commit(&app, &placed, 1, changes).await;
    let message = refused(&payload, "order", &[("changes.1.addLine.quantity", "OUT_OF_STOCK")]);
    assert!(message.contains("VASE"), "{message}");
    assert_eq!(dump(&app).await, before, "a refused change writes nothing");
    app.audit().await;
}
on_both_backends!(a_change_adding_an_out_of_stock_line_is_refused_and_writes_nothing);

// ---- 4. Fewer units give stock back ----------------------------------------------------------

async fn a_quantity_decrease_releases_its_stock(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let placed = order(&app, json!([{ "sku": "LAMP", "quantity": 3 }])).await;
    assert_eq!(app.available("LAMP").await, 10);

    let changes = json!([{ "changeQuantity": { "orderLineId": line_id(&placed, "LAMP"), "quantity": 1 } }]);
    let payload = commit(&app, &placed, 1, changes).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    let changed = &payload["order"];
    assert_eq!(
        lines_without_ids(changed),
        [
            json!({ "lineNo": 1, "sku": "LAMP", "quantity": 3, "allocatedQuantity": 1, "backorderedQuantity": 0, "cancelledQuantity": 2, "lineTotal": { "amount": "40.00" } })
        ]
    );
    assert_eq!(
        changed["fulfillmentOrders"],
        json!([{ "status": "PENDING", "location": { "code": "WH-PARIS" }, "lines": [{ "quantity": 1 }] }])
    );
    assert_eq!(changed["totals"]["total"]["amount"], "44.90");
    assert_eq!(payload["balanceDifference"]["amount"], "-80.00");
    assert_eq!(payload["newRouting"], json!([]));

    // Two lamps are back on sale, through the ledger.
    assert_eq!(app.available("LAMP").await, 12);
    let released = ledger(&app, &placed, MovementKind::Release).await;
    assert_eq!(released.iter().map(|m| (m.on_hand_delta, m.reserved_delta)).collect::<Vec<_>>(), [(0, -2)]);
    assert_eq!(released[0].reference.as_deref(), changed["number"].as_str());
    assert_eq!(app.audit().await.reserved, 1);
}
on_both_backends!(a_quantity_decrease_releases_its_stock);

/// Rugs are scarce (two, in Paris): an order holding both gives one up, and the order waiting
/// for a rug gets it. An order placed to wait for stock takes an added line nothing can fill as a
/// backorder rather than a refusal.
#[tokio::test]
async fn units_given_up_go_to_a_waiting_backorder() {
    let app = TestApp::spawn(Backend::Postgres).await;
    // The workers fill the backorder; the orders wait for an agent, so their versions are the
    // changes' alone.
    app.confirm_by_hand("WEB").await;
    let workers = app.start_workers();
    shop(&app).await;
    let holder = order(&app, json!([{ "sku": "RUG", "quantity": 2 }])).await;
    let mut waits = ship_to_paris("bo@example.com", json!([{ "sku": "RUG", "quantity": 1 }]));
    waits["backorderPolicy"] = json!("BACKORDER");
    let waiting = app.placed_routed(waits).await;
    assert_eq!(waiting["lines"][0]["backorderedQuantity"], 1);

    let fewer = json!([{ "changeQuantity": { "orderLineId": line_id(&holder, "RUG"), "quantity": 1 } }]);
    committed(&app, &holder, 1, fewer).await;
    app.settle().await;
    let filled = app.routed_order(&id(&waiting)).await;
    assert_eq!(filled["lines"][0]["allocatedQuantity"], 1, "{filled}");
    assert_eq!(filled["lines"][0]["backorderedQuantity"], 0);
    assert_eq!(app.audit().await.reserved, 2);

    // The waiting order adds a vase nobody stocks: it waits for it too.
    let version = filled["version"].as_i64().expect("version");
    let vase = committed(&app, &waiting, version, json!([{ "addLine": { "sku": "VASE", "quantity": 1 } }])).await;
    let line = vase["lines"].as_array().and_then(|l| l.last()).expect("the vase");
    assert_eq!((line["sku"].as_str(), line["backorderedQuantity"].as_i64()), (Some("VASE"), Some(1)));
    assert_eq!(kinds(&vase).last(), Some(&"BACKORDERED"));
    // Removing it gives nothing back to the shelves: it held nothing.
    let version = vase["version"].as_i64().expect("version");
    let gone = committed(&app, &waiting, version, json!([{ "removeLine": { "orderLineId": id(line) } }])).await;
    let line = gone["lines"].as_array().and_then(|l| l.last()).expect("the vase");
    assert_eq!((line["cancelledQuantity"].as_i64(), line["backorderedQuantity"].as_i64()), (Some(1), Some(0)));
    assert_eq!(app.audit().await.reserved, 2);
    workers.stop().await;
}

// ---- 5. A new destination ---------------------------------------------------------------------

async fn a_new_destination_reroutes_the_unshipped_lines(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    // A lamp from Paris and a book from Lille: two shipments. The book is delivered.
    let placed = order(&app, json!([{ "sku": "LAMP", "quantity": 1 }, { "sku": "BOOK", "quantity": 1 }])).await;
    app.confirm(&app.agent(), &id(&placed)).await;
    let lille = fo_at(&placed, "WH-LILLE");
    fulfil(&app, &lille, &["acceptFulfillmentOrder", "packFulfillmentOrder", "shipFulfillmentOrder", "markDelivered"])
        .await;
    let version = app.routed_order(&id(&placed)).await["version"].as_i64().expect("version");

    // Ship the rest to Marseille: the lamp is routed again, from Marseille; the book stays delivered.
    let office = json!({ "line1": "5 Quai du Port", "city": "Marseille", "postalCode": "13002", "country": "FR",
                         "latitude": MARSEILLE.0, "longitude": MARSEILLE.1 });
    let moved = committed(&app, &placed, version, json!([{ "changeShippingAddress": { "address": office } }])).await;
    assert_eq!(
        moved["fulfillmentOrders"],
        json!([
            { "status": "CANCELLED", "location": { "code": "WH-PARIS" }, "lines": [{ "quantity": 1 }] },
            { "status": "DELIVERED", "location": { "code": "WH-LILLE" }, "lines": [{ "quantity": 1 }] },
            { "status": "RELEASED", "location": { "code": "WH-MARSEILLE" }, "lines": [{ "quantity": 1 }] },
        ])
    );
    assert_eq!(moved["status"], "PARTIALLY_SHIPPED");
    let decision = moved["routingDecisions"].as_array().and_then(|d| d.last()).expect("a decision");
    assert_eq!(decision["trigger"], "ORDER_CHANGE");
    assert_eq!(decision["allocations"], json!([{ "locationCode": "WH-MARSEILLE", "sku": "LAMP", "quantity": 1 }]));
    // Each shipment pays its shipping once: Lille's (delivered) and Marseille's; Paris's is gone.
    assert_eq!(moved["totals"]["shipping"]["amount"], "9.80");
    let released = ledger(&app, &placed, MovementKind::Release).await;
    assert_eq!(released.len(), 1);
    assert_eq!(app.audit().await.reserved, 1);

    // And then to the Marseille store for pickup: from its own shelf, without shipping.
    let version = moved["version"].as_i64().expect("version");
    let pickup =
        json!([{ "changeDeliveryMethod": { "deliveryMethod": "PICKUP", "pickupLocationCode": "STORE-MARSEILLE" } }]);
    let collected = committed(&app, &placed, version, pickup).await;
    assert_eq!(collected["deliveryMethod"], "PICKUP");
    assert_eq!(collected["pickupLocation"]["code"], "STORE-MARSEILLE");
    assert_eq!(collected["shippingAddress"], Value::Null);
    let last = collected["fulfillmentOrders"].as_array().and_then(|f| f.last()).expect("a fulfilment order");
    assert_eq!(last["location"]["code"], "STORE-MARSEILLE");
    assert_eq!(collected["totals"]["shipping"]["amount"], "4.90");
    assert_eq!(app.audit().await.reserved, 1);
}
on_both_backends!(a_new_destination_reroutes_the_unshipped_lines);

// ---- 6. Packed lines stay as they are ----------------------------------------------------------

async fn a_change_to_a_packed_line_is_refused_naming_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let placed = order(&app, json!([{ "sku": "LAMP", "quantity": 2 }, { "sku": "RUG", "quantity": 1 }])).await;
    app.confirm(&app.agent(), &id(&placed)).await;
    fulfil(&app, &fo_at(&placed, "WH-PARIS"), &["acceptFulfillmentOrder", "packFulfillmentOrder"]).await;
    let version = app.routed_order(&id(&placed)).await["version"].as_i64().expect("version");

    let before = dump(&app).await;
    let lamp = line_id(&placed, "LAMP");
    let fewer =
        commit(&app, &placed, version, json!([{ "changeQuantity": { "orderLineId": lamp, "quantity": 1 } }])).await;
    let message = refused(&fewer, "order", &[("changes.0.changeQuantity.quantity", "INVALID_STATE")]);
    assert!(message.contains("line 1 (LAMP)"), "{message}");
    let rug = json!([{ "removeLine": { "orderLineId": line_id(&placed, "RUG") } }]);
    let message = refused(
        &commit(&app, &placed, version, rug).await,
        "order",
        &[("changes.0.removeLine.orderLineId", "INVALID_STATE")],
    );
    assert!(message.contains("line 2 (RUG)"), "{message}");
    let away = json!([{ "changeShippingAddress": { "address": { "line1": "1 Rue", "city": "Lille", "postalCode": "59000", "country": "FR" } } }]);
    let message = refused(
        &commit(&app, &placed, version, away).await,
        "order",
        &[("changes.0.changeShippingAddress", "INVALID_STATE")],
    );
    assert!(message.contains("line 1 (LAMP)") && message.contains("line 2 (RUG)"), "{message}");
    assert_eq!(dump(&app).await, before, "refused changes write nothing");

    // More of a packed line is a new shipment, which an agent may still add.
    let more =
        committed(&app, &placed, version, json!([{ "changeQuantity": { "orderLineId": lamp, "quantity": 3 } }])).await;
    assert_eq!(
        more["fulfillmentOrders"],
        json!([
            { "status": "PACKED", "location": { "code": "WH-PARIS" }, "lines": [{ "quantity": 2 }, { "quantity": 1 }] },
            { "status": "RELEASED", "location": { "code": "WH-PARIS" }, "lines": [{ "quantity": 1 }] },
        ])
    );
    assert_eq!(app.audit().await.reserved, 4);
}
on_both_backends!(a_change_to_a_packed_line_is_refused_naming_it);

// ---- 7. Who may change what ---------------------------------------------------------------------

const CUSTOMER_COMMIT: &str = "mutation($input: OrderChangeInput!) { commitOrderChange(input: $input) {
    order { version lines { sku quantity } } userErrors { field code message } } }";

#[tokio::test]
async fn customers_change_their_own_orders_until_fulfilment_starts() {
    let app = TestApp::spawn(Backend::Postgres).await;
    shop(&app).await;
    let cleo = app.create_customer(&app.agent(), "cleo@example.com", "Cleo").await;
    let cleo = app.customer_token(&cleo);
    let placed = app.placed(&cleo, own_order(json!([{ "sku": "LAMP", "quantity": 1 }]))).await;
    let add = |version: i64| input(&placed, version, json!([{ "addLine": { "sku": "BOOK", "quantity": 1 } }]));

    let shown = preview(&app, &cleo, &placed, 1, json!([{ "addLine": { "sku": "BOOK", "quantity": 1 } }])).await;
    assert_eq!(shown["preview"]["newRouting"], json!([{ "locationCode": "WH-LILLE", "sku": "BOOK", "quantity": 1 }]));
    let own = app.gql(Some(&cleo), CUSTOMER_COMMIT, add(1)).await;
    assert_eq!(own["data"]["commitOrderChange"]["userErrors"], json!([]), "{own}");
    assert_eq!(own["data"]["commitOrderChange"]["order"]["version"], 2);

    // Someone else's order does not exist for another customer; associates change no orders.
    let dan = app.create_customer(&app.agent(), "dan@example.com", "Dan").await;
    let foreign = app.gql(Some(&app.customer_token(&dan)), CUSTOMER_COMMIT, add(2)).await;
    refused(&foreign["data"]["commitOrderChange"], "order", &[("orderId", "NOT_FOUND")]);
    let associate = app.gql(Some(&app.associate_token(&["WH-PARIS"])), CUSTOMER_COMMIT, add(2)).await;
    assert_eq!(associate["errors"][0]["extensions"]["code"], "FORBIDDEN", "{associate}");
    let anonymous = app.gql(None, CUSTOMER_COMMIT, add(2)).await;
    assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{anonymous}");

    // Confirmed but not yet accepted: still the customer's to change. Accepted: an agent's.
    app.confirm(&app.agent(), &id(&placed)).await;
    let now = app.routed_order(&id(&placed)).await;
    let own = app.gql(Some(&cleo), CUSTOMER_COMMIT, add(now["version"].as_i64().expect("version"))).await;
    assert_eq!(own["data"]["commitOrderChange"]["userErrors"], json!([]), "{own}");
    let now = app.routed_order(&id(&placed)).await;
    let fo = id(&now["fulfillmentOrders"][0]);
    fulfil(&app, &fo, &["acceptFulfillmentOrder"]).await;
    let version = app.routed_order(&id(&placed)).await["version"].as_i64().expect("version");
    let late = app.gql(Some(&cleo), CUSTOMER_COMMIT, add(version)).await;
    let message = refused(&late["data"]["commitOrderChange"], "order", &[("orderId", "INVALID_STATE")]);
    assert!(message.contains("customer service"), "{message}");
    let agent = committed(&app, &placed, version, json!([{ "addLine": { "sku": "BOOK", "quantity": 1 } }])).await;
    assert_eq!(agent["lines"].as_array().map(Vec::len), Some(4));
    app.audit().await;
}

// ---- 8. Promo codes ---------------------------------------------------------------------------

#[tokio::test]
async fn a_promo_code_is_applied_and_removed_with_its_use() {
    let app = TestApp::spawn(Backend::Postgres).await;
    shop(&app).await;
    let promo = json!({ "input": { "code": "WELCOME10", "percentOff": "10", "usageLimit": 1 } });
    app.admin_data(CREATE_PROMOTION, promo).await;
    let placed = order(&app, json!([{ "sku": "LAMP", "quantity": 2 }])).await;

    let applied = committed(&app, &placed, 1, json!([{ "applyPromoCode": { "code": "welcome10" } }])).await;
    assert_eq!(applied["promoCode"], "WELCOME10");
    assert_eq!(applied["totals"]["discount"]["amount"], "8.00");
    assert_eq!(applied["totals"]["total"]["amount"], "76.90");
    assert_eq!(app.sum("promotions", "used_count").await, 1);

    let again = commit(&app, &placed, 2, json!([{ "applyPromoCode": { "code": "WELCOME10" } }])).await;
    refused(&again, "order", &[("changes.0.applyPromoCode.code", "PROMO_CODE_INVALID")]);
    let unknown = json!([{ "removePromoCode": { "code": "WELCOME10" } }, { "applyPromoCode": { "code": "NOPE" } }]);
    refused(
        &commit(&app, &placed, 2, unknown).await,
        "order",
        &[("changes.1.applyPromoCode.code", "PROMO_CODE_INVALID")],
    );
    assert_eq!(app.sum("promotions", "used_count").await, 1, "a refused change gives nothing back");

    let removed = committed(&app, &placed, 2, json!([{ "removePromoCode": { "code": "WELCOME10" } }])).await;
    assert_eq!(removed["promoCode"], Value::Null);
    assert_eq!(removed["totals"]["discount"]["amount"], "0.00");
    assert_eq!(app.sum("promotions", "used_count").await, 0);
    let gone = commit(&app, &placed, 3, json!([{ "removePromoCode": { "code": "WELCOME10" } }])).await;
    refused(&gone, "order", &[("changes.0.removePromoCode.code", "PROMO_CODE_INVALID")]);
}

// ---- 9. Every problem at once ---------------------------------------------------------------------

async fn every_problem_of_a_change_is_reported_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let placed = order(&app, json!([{ "sku": "LAMP", "quantity": 1 }])).await;
    let lamp = line_id(&placed, "LAMP");
    let before = dump(&app).await;

    let empty = commit(&app, &placed, 1, json!([])).await;
    refused(&empty, "order", &[("changes", "INVALID_INPUT")]);
    let malformed = json!([
        { "addLine": { "sku": "LAMP", "quantity": 0 } },
        { "changeQuantity": { "orderLineId": lamp, "quantity": 2 } },
        { "removeLine": { "orderLineId": lamp } },
        { "changeDeliveryMethod": { "deliveryMethod": "PICKUP" } },
        { "changeShippingAddress": { "address": { "line1": "", "city": "Lille", "postalCode": "59000", "country": "France" } } }
    ]);
    refused(
        &commit(&app, &placed, 1, malformed).await,
        "order",
        &[
            ("changes.0.addLine.quantity", "INVALID_INPUT"),
            ("changes.2.removeLine.orderLineId", "INVALID_INPUT"),
            ("changes.3.changeDeliveryMethod.pickupLocationCode", "INVALID_INPUT"),
            ("changes.4.changeShippingAddress.address.line1", "INVALID_INPUT"),
            ("changes.4.changeShippingAddress.address.country", "INVALID_INPUT"),
        ],
    );
    let unknown = json!([
        { "addLine": { "sku": "NO-SUCH", "quantity": 1 } },
        { "removeLine": { "orderLineId": Uuid::now_v7().to_string() } },
        { "applyPromoCode": { "code": "NOPE" } },
        { "changeDeliveryMethod": { "deliveryMethod": "PICKUP", "pickupLocationCode": "WH-PARIS" } }
    ]);
    refused(
        &commit(&app, &placed, 1, unknown).await,
        "order",
        &[
            ("changes.0.addLine.sku", "UNKNOWN_SKU"),
            ("changes.3.changeDeliveryMethod.pickupLocationCode", "LOCATION_CANNOT_PICKUP"),
            ("changes.2.applyPromoCode.code", "PROMO_CODE_INVALID"),
            ("changes.1.removeLine.orderLineId", "NOT_FOUND"),
        ],
    );
    // A one-of input with two fields is not a change at all.
    let two = json!([{ "addLine": { "sku": "LAMP", "quantity": 1 }, "removeLine": { "orderLineId": lamp } }]);
    let body = app.gql(Some(&app.agent()), &commit_order_change(), input(&placed, 1, two)).await;
    assert!(body["errors"].is_array(), "{body}");
    assert_eq!(dump(&app).await, before, "nothing was written");

    // A stale version is refused, by the preview as by the commit.
    committed(&app, &placed, 1, json!([{ "addLine": { "sku": "BOOK", "quantity": 1 } }])).await;
    let stale = json!([{ "addLine": { "sku": "BOOK", "quantity": 1 } }]);
    refused(
        &preview(&app, &app.agent(), &placed, 1, stale.clone()).await,
        "preview",
        &[("expectedVersion", "STALE_VERSION")],
    );
    refused(&commit(&app, &placed, 1, stale).await, "order", &[("expectedVersion", "STALE_VERSION")]);
}
on_both_backends!(every_problem_of_a_change_is_reported_at_once);

// ---- 10. The customer's emails ------------------------------------------------------------------

/// The embedded default (SQLite, queues in the same file, emails as files): each change is one
/// "order changed" email, with the order as it now stands.
#[tokio::test]
async fn sqlite_each_change_emails_the_customer_once() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // This story's order waits for an agent, so its only emails are the changes'.
    app.confirm_by_hand("WEB").await;
    let dir = std::env::temp_dir().join(format!("oms-change-mail-{}", Uuid::new_v4()));
    let settings = oms_worker::WorkerSettings {
        queue_prefix: format!("oms-test-{}.", Uuid::new_v4().simple()),
        poll_interval: Duration::from_millis(50),
        relay_interval: Duration::from_millis(50),
        mail_dir: dir.clone(),
        ..oms_worker::WorkerSettings::default()
    };
    let pool = oms_worker::spawn(app.db.clone(), settings).expect("start the workers");
    shop(&app).await;
    let placed = order(&app, json!([{ "sku": "LAMP", "quantity": 1 }])).await;
    let lamp = line_id(&placed, "LAMP");
    // Emails show the order as it is when they are sent: the second change waits for the first's.
    committed(&app, &placed, 1, json!([{ "changeQuantity": { "orderLineId": lamp, "quantity": 3 } }])).await;
    wait_for_emails(&dir, 1).await;
    committed(&app, &placed, 2, json!([{ "addLine": { "sku": "BOOK", "quantity": 2 } }])).await;

    let files = wait_for_emails(&dir, 2).await;
    let mut emails: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).expect("read")).collect();
    emails.sort_by_key(|e| e.contains("Product BOOK"));
    let number = placed["number"].as_str().expect("number");
    for e in &emails {
        assert!(e.contains(&format!("Subject: Your order {number} was changed")), "{e}");
        assert!(e.contains("To: ann@example.com"), "{e}");
    }
    assert!(emails[0].contains("3 x Product LAMP") && !emails[0].contains("BOOK"), "{}", emails[0]);
    assert!(emails[1].contains("3 x Product LAMP") && emails[1].contains("2 x Product BOOK"), "{}", emails[1]);
    pool.shutdown().await.expect("the pool stops");
    let _ = std::fs::remove_dir_all(dir);
}

/// Waits until `dir` holds `n` emails (or a while has passed); returns them.
async fn wait_for_emails(dir: &PathBuf, n: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for _ in 0..300 {
        files = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        if files.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(files.len(), n, "{files:?}");
    files
}
