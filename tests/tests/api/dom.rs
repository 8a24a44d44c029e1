//! Distributed order management end to end: the router's choices and explanations, routing
//! rules, store pickup with a code, ship-to-store, rejection and re-routing, backorders filled on
//! receipt, the fulfilment lifecycle and delivery promises.
use domain::auth::Role;
use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, on_both_backends};

const PARIS: (f64, f64) = (48.8566, 2.3522);
const LYON: (f64, f64) = (45.7640, 4.8357);
const MARSEILLE: (f64, f64) = (43.2965, 5.3698);
const LILLE: (f64, f64) = (50.6292, 3.0573);

const ORDER_FIELDS: &str = "id number status version
    lines { sku quantity allocatedQuantity backorderedQuantity shippedQuantity }
    fulfillmentOrders { id status location { code } shipToLocation { code } lines { quantity } }
    routingDecisions { trigger mode summary shipments candidates { locationCode eligible reason chosen } allocations { locationCode sku quantity } shortfalls { sku quantity } }
    events { kind message }";

async fn location(app: &TestApp, code: &str, kind: &str, at: (f64, f64), pickup: bool) {
    let data = app
        .admin_data(
            crate::helpers::CREATE_LOCATION,
            json!({ "input": {
                "code": code, "name": code, "kind": kind,
                "address": { "line1": "1 Rue", "city": "City", "postalCode": "00000", "country": "FR", "latitude": at.0, "longitude": at.1 },
                "canShip": kind != "STORE" || !pickup, "canPickup": pickup, "priority": 10,
                "shippingRate": { "amount": "4.90", "currency": "EUR" }
            } }),
        )
        .await;
    assert_eq!(data["createLocation"]["userErrors"], json!([]), "{data}");
}

async fn place(app: &TestApp, input: Value) -> Value {
    let query = format!(
        "mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{ order {{ {ORDER_FIELDS} }} userErrors {{ field code message }} }} }}"
    );
    let body = app.gql(Some(&app.token(Role::Agent)), &query, json!({ "input": input })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["placeOrder"].clone()
}

fn ship_input(lines: Value, to: (f64, f64)) -> Value {
    json!({
        "channel": "WEB",
        "customer": { "email": "dom@example.com", "name": "Dom Tester" },
        "lines": lines,
        "shippingAddress": { "line1": "2 Rue", "city": "Paris", "postalCode": "75001", "country": "FR", "latitude": to.0, "longitude": to.1 }
    })
}

async fn order(app: &TestApp, id: &str) -> Value {
    let query = format!("query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}");
    let body = app.gql(Some(&app.admin()), &query, json!({ "id": id })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["order"].clone()
}

async fn confirm(app: &TestApp, id: &str) {
    let body = app
        .gql(
            Some(&app.admin()),
            "mutation($id: ID!) { confirmOrder(input: { orderId: $id }) { order { status } userErrors { code message } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["confirmOrder"]["userErrors"], json!([]), "{body}");
}

/// Runs a fulfilment-order mutation as `token`; returns its payload.
async fn act(app: &TestApp, token: &str, mutation: &str, input: Value) -> Value {
    let query = format!(
        "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ fulfillmentOrder {{ id status pickupCode carrier trackingNumber }} userErrors {{ field code message }} }} }}",
        input_type = match mutation {
            "rejectFulfillmentOrder" => "RejectFulfillmentOrderInput",
            "shipFulfillmentOrder" => "ShipFulfillmentOrderInput",
            "completePickup" => "CompletePickupInput",
            _ => "FulfillmentOrderActionInput",
        }
    );
    let body = app.gql(Some(token), &query, json!({ "input": input })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"][mutation].clone()
}

fn fo_id(order: &Value, index: usize) -> String {
    order["fulfillmentOrders"][index]["id"].as_str().expect("a fulfilment order").to_owned()
}

#[tokio::test]
async fn the_nearest_complete_location_wins_and_says_why() {
    let app = TestApp::spawn(Backend::Postgres).await;
    location(&app, "WH-MARSEILLE", "WAREHOUSE", MARSEILLE, false).await;
    location(&app, "WH-LILLE", "WAREHOUSE", LILLE, false).await;
    location(&app, "WH-LYON", "WAREHOUSE", LYON, false).await;
    for sku in ["A", "B"] {
        app.create_product(sku, "10.00").await;
    }
    app.receive("A", "WH-MARSEILLE", 5).await;
    app.receive("B", "WH-MARSEILLE", 5).await;
    app.receive("A", "WH-LILLE", 5).await; // nearest to Paris but has only A
    app.receive("B", "WH-LYON", 5).await;
    let placed =
        place(&app, ship_input(json!([{ "sku": "A", "quantity": 1 }, { "sku": "B", "quantity": 1 }]), PARIS)).await;
    let o = &placed["order"];
    // One shipment from Marseille beats a closer split Lille + Lyon.
    assert_eq!(o["fulfillmentOrders"].as_array().expect("fos").len(), 1, "{o}");
    assert_eq!(o["fulfillmentOrders"][0]["location"]["code"], "WH-MARSEILLE");
    let decision = &o["routingDecisions"][0];
    assert_eq!(decision["trigger"], "PLACEMENT");
    assert_eq!(decision["shipments"], 1);
    assert!(decision["summary"].as_str().expect("summary").contains("WH-MARSEILLE"), "{decision}");
    let lille = decision["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .find(|c| c["locationCode"] == "WH-LILLE")
        .expect("Lille");
    assert_eq!(lille["chosen"], false);

    // Without Marseille's B, the order splits over the nearest pair.
    let placed =
        place(&app, ship_input(json!([{ "sku": "A", "quantity": 5 }, { "sku": "B", "quantity": 5 }]), PARIS)).await;
    let codes: Vec<&str> = placed["order"]["fulfillmentOrders"]
        .as_array()
        .expect("fos")
        .iter()
        .map(|f| f["location"]["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes.len(), 2, "{placed}");
    assert!(codes.contains(&"WH-LILLE") && codes.contains(&"WH-LYON"), "{codes:?}: Marseille has only 4 A left");

    // allowSplit: false asks for one shipment or nothing.
    let mut input = ship_input(json!([{ "sku": "A", "quantity": 5 }, { "sku": "B", "quantity": 5 }]), PARIS);
    input["allowSplit"] = json!(false);
    let before = app.snapshot().await;
    let refused = place(&app, input).await;
    assert_eq!(refused["userErrors"][0]["code"], "OUT_OF_STOCK", "{refused}");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn routing_rules_apply_to_the_next_order_and_simulation_reserves_nothing() {
    let app = TestApp::spawn(Backend::Postgres).await;
    location(&app, "ST-PARIS", "STORE", PARIS, false).await; // a store that ships
    location(&app, "DC-LYON", "DISTRIBUTION_CENTER", LYON, false).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "ST-PARIS", 5).await;
    app.receive("A", "DC-LYON", 5).await;

    let simulate = "query($input: SimulateRoutingInput!) { simulateRouting(input: $input) { decision { summary allocations { locationCode } candidates { locationCode eligible reason } } userErrors { code } } }";
    let sim_input = json!({ "input": { "channel": "MARKETPLACE", "lines": [{ "sku": "A", "quantity": 1 }], "latitude": PARIS.0, "longitude": PARIS.1 } });
    let before = app.snapshot().await;
    let sim = app.admin_data(simulate, sim_input.clone()).await;
    assert_eq!(sim["simulateRouting"]["decision"]["allocations"][0]["locationCode"], "ST-PARIS");
    assert_eq!(app.snapshot().await, before, "a simulation reserves nothing");

    let rules = app
        .admin_data(
            "mutation { setRoutingRules(input: { channelLocationKinds: [{ channel: MARKETPLACE, locationKinds: [DISTRIBUTION_CENTER] }], shipFromStore: true, enforceCapacity: true }) { routingRules { channelLocationKinds { channel locationKinds } } userErrors { code message } } }",
            json!({}),
        )
        .await;
    assert_eq!(rules["setRoutingRules"]["userErrors"], json!([]), "{rules}");
    let sim = app.admin_data(simulate, sim_input).await;
    let decision = &sim["simulateRouting"]["decision"];
    assert_eq!(decision["allocations"][0]["locationCode"], "DC-LYON", "{decision}");
    let store =
        decision["candidates"].as_array().expect("c").iter().find(|c| c["locationCode"] == "ST-PARIS").expect("store");
    assert_eq!(store["eligible"], false);
    assert!(store["reason"].as_str().expect("reason").contains("MARKETPLACE"), "{store}");

    let mut input = ship_input(json!([{ "sku": "A", "quantity": 1 }]), PARIS);
    input["channel"] = json!("MARKETPLACE");
    let placed = place(&app, input).await;
    assert_eq!(placed["order"]["fulfillmentOrders"][0]["location"]["code"], "DC-LYON");
    // Web orders may still ship from the store.
    let placed = place(&app, ship_input(json!([{ "sku": "A", "quantity": 1 }]), PARIS)).await;
    assert_eq!(placed["order"]["fulfillmentOrders"][0]["location"]["code"], "ST-PARIS");
    // Agents may read the rules but not change them.
    let agent = app.token(Role::Agent);
    let denied =
        app.gql(Some(&agent), "mutation { setRoutingRules(input: {}) { userErrors { code } } }", json!({})).await;
    assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN", "{denied}");
}

async fn store_pickup_with_a_code_and_ship_to_store(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    location(&app, "ST-OPERA", "STORE", PARIS, true).await;
    location(&app, "WH-LYON", "WAREHOUSE", LYON, false).await;
    app.create_product("BAG", "50.00").await;
    app.receive("BAG", "ST-OPERA", 2).await;
    app.receive("BAG", "WH-LYON", 10).await;
    let pickup = |quantity: i32| {
        json!({
            "channel": "WEB", "customer": { "email": "pick@example.com", "name": "Pia" },
            "lines": [{ "sku": "BAG", "quantity": quantity }],
            "deliveryMethod": "PICKUP", "pickupLocationCode": "ST-OPERA"
        })
    };

    // From the store's own shelf.
    let placed = place(&app, pickup(1)).await;
    let o = &placed["order"];
    assert_eq!(o["fulfillmentOrders"][0]["location"]["code"], "ST-OPERA", "{placed}");
    assert_eq!(o["routingDecisions"][0]["mode"], "PICKUP_IN_STORE");
    let id = o["id"].as_str().expect("id").to_owned();
    confirm(&app, &id).await;
    let store = app.associate_token(&["ST-OPERA"]);
    let fo = fo_id(o, 0);
    assert_eq!(
        act(&app, &store, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await["userErrors"],
        json!([])
    );
    let ready = act(&app, &store, "markReadyForPickup", json!({ "fulfillmentOrderId": fo })).await;
    assert_eq!(ready["fulfillmentOrder"]["status"], "READY_FOR_PICKUP");
    assert_eq!(ready["fulfillmentOrder"]["pickupCode"], Value::Null, "associates ask the customer for the code");
    let staff_view = act(&app, &app.admin(), "packFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await;
    assert_eq!(staff_view["userErrors"][0]["code"], "INVALID_STATE");
    let code = order_pickup_code(&app, &id).await;
    let wrong = act(&app, &store, "completePickup", json!({ "fulfillmentOrderId": fo, "pickupCode": "000000x" })).await;
    assert_eq!(wrong["userErrors"][0]["code"], "INVALID_PICKUP_CODE", "{wrong}");
    let done = act(&app, &store, "completePickup", json!({ "fulfillmentOrderId": fo, "pickupCode": code })).await;
    assert_eq!(done["fulfillmentOrder"]["status"], "PICKED_UP", "{done}");
    let after = order(&app, &id).await;
    assert_eq!(after["status"], "PICKED_UP");
    assert_eq!(after["lines"][0]["shippedQuantity"], 1);
    assert_eq!(app.sum("inventory_levels", "on_hand").await, 11, "the handed-over bag left the store's stock");

    // More than the store holds: shipped in from the warehouse.
    let placed = place(&app, pickup(3)).await;
    let o = &placed["order"];
    assert_eq!(o["routingDecisions"][0]["mode"], "SHIP_TO_STORE", "{placed}");
    assert_eq!(o["fulfillmentOrders"][0]["location"]["code"], "WH-LYON");
    assert_eq!(o["fulfillmentOrders"][0]["shipToLocation"]["code"], "ST-OPERA");
    let id = o["id"].as_str().expect("id").to_owned();
    confirm(&app, &id).await;
    let fo = fo_id(o, 0);
    let warehouse = app.associate_token(&["WH-LYON"]);
    act(&app, &warehouse, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await;
    let shipped = act(
        &app,
        &warehouse,
        "shipFulfillmentOrder",
        json!({ "fulfillmentOrderId": fo, "carrier": "Colissimo", "trackingNumber": "6A123" }),
    )
    .await;
    assert_eq!(shipped["fulfillmentOrder"]["status"], "SHIPPED", "{shipped}");
    let ready = act(&app, &store, "markReadyForPickup", json!({ "fulfillmentOrderId": fo })).await;
    assert_eq!(ready["fulfillmentOrder"]["status"], "READY_FOR_PICKUP", "{ready}");
    let code = order_pickup_code(&app, &id).await;
    let done = act(&app, &store, "completePickup", json!({ "fulfillmentOrderId": fo, "pickupCode": code })).await;
    assert_eq!(done["fulfillmentOrder"]["status"], "PICKED_UP");
    assert!(domain::inventory::ledger_discrepancies(&app.db).await.expect("audit").is_empty());
}

async fn order_pickup_code(app: &TestApp, id: &str) -> String {
    let body = app
        .gql(
            Some(&app.admin()),
            "query($id: ID!) { order(id: $id) { fulfillmentOrders { status pickupCode } } }",
            json!({ "id": id }),
        )
        .await;
    body["data"]["order"]["fulfillmentOrders"]
        .as_array()
        .expect("fos")
        .iter()
        .find_map(|f| f["pickupCode"].as_str().map(str::to_owned))
        .expect("a pickup code for staff")
}

on_both_backends!(store_pickup_with_a_code_and_ship_to_store);

async fn a_rejection_reroutes_then_backorders_then_fills_on_receipt(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    location(&app, "WH-LILLE", "WAREHOUSE", LILLE, false).await;
    location(&app, "WH-MARSEILLE", "WAREHOUSE", MARSEILLE, false).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "WH-LILLE", 3).await;
    app.receive("A", "WH-MARSEILLE", 3).await;
    let placed = place(&app, ship_input(json!([{ "sku": "A", "quantity": 2 }]), PARIS)).await;
    let id = placed["order"]["id"].as_str().expect("id").to_owned();
    assert_eq!(placed["order"]["fulfillmentOrders"][0]["location"]["code"], "WH-LILLE");
    confirm(&app, &id).await;

    // Lille cannot: the lines go to Marseille.
    let lille = app.associate_token(&["WH-LILLE"]);
    let marseille = app.associate_token(&["WH-MARSEILLE"]);
    let fo = fo_id(&placed["order"], 0);
    let foreign = act(&app, &marseille, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await;
    assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "another location's work looks missing");
    let rejected =
        act(&app, &lille, "rejectFulfillmentOrder", json!({ "fulfillmentOrderId": fo, "reason": "water damage", "shortQuantities": [{ "sku": "A", "quantity": 1 }] }))
            .await;
    assert_eq!(rejected["fulfillmentOrder"]["status"], "REJECTED", "{rejected}");
    let o = order(&app, &id).await;
    let live: Vec<&Value> =
        o["fulfillmentOrders"].as_array().expect("fos").iter().filter(|f| f["status"] == "RELEASED").collect();
    assert_eq!(live.len(), 1, "{o}");
    assert_eq!(live[0]["location"]["code"], "WH-MARSEILLE");
    assert_eq!(o["routingDecisions"][1]["trigger"], "REROUTE");
    assert!(o["events"].as_array().expect("events").iter().any(|e| e["kind"] == "FULFILLMENT_REJECTED"));
    assert_eq!(app.sum("inventory_levels", "reserved").await, 2);

    // Marseille cannot either: nothing is left, so the units wait as a backorder.
    let fo2 = live[0]["id"].as_str().expect("id").to_owned();
    let rejected =
        act(&app, &marseille, "rejectFulfillmentOrder", json!({ "fulfillmentOrderId": fo2, "reason": "short pick" }))
            .await;
    assert_eq!(rejected["userErrors"], json!([]), "{rejected}");
    let o = order(&app, &id).await;
    assert_eq!(o["lines"][0]["backorderedQuantity"], 2, "{o}");
    assert_eq!(o["lines"][0]["allocatedQuantity"], 0);
    assert!(o["events"].as_array().expect("events").iter().any(|e| e["kind"] == "BACKORDERED"), "{o}");
    assert_eq!(app.sum("inventory_levels", "reserved").await, 0);

    // Stock arrives: the backorder is filled and released to the receiving location.
    app.receive("A", "WH-MARSEILLE", 4).await;
    let o = order(&app, &id).await;
    assert_eq!(o["lines"][0]["backorderedQuantity"], 0, "{o}");
    assert_eq!(o["lines"][0]["allocatedQuantity"], 2);
    assert!(o["routingDecisions"].as_array().expect("d").iter().any(|d| d["trigger"] == "BACKORDER_FILL"));
    let fo3 = o["fulfillmentOrders"]
        .as_array()
        .expect("fos")
        .iter()
        .find(|f| f["status"] == "RELEASED")
        .expect("released")
        .clone();

    // Ship it and deliver it: stock leaves the ledger, the order follows.
    let fo3 = fo3["id"].as_str().expect("id").to_owned();
    act(&app, &marseille, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo3 })).await;
    act(&app, &marseille, "packFulfillmentOrder", json!({ "fulfillmentOrderId": fo3 })).await;
    let shipped = act(
        &app,
        &marseille,
        "shipFulfillmentOrder",
        json!({ "fulfillmentOrderId": fo3, "carrier": "DHL", "trackingNumber": "JD0001" }),
    )
    .await;
    assert_eq!(shipped["fulfillmentOrder"]["trackingNumber"], "JD0001", "{shipped}");
    assert_eq!(order(&app, &id).await["status"], "SHIPPED");
    act(&app, &marseille, "markDelivered", json!({ "fulfillmentOrderId": fo3 })).await;
    let o = order(&app, &id).await;
    assert_eq!(o["status"], "DELIVERED");
    assert_eq!(o["lines"][0]["shippedQuantity"], 2);
    assert_eq!(
        app.sum("inventory_levels", "on_hand").await,
        3 + 3 + 4 - 2 - 1,
        "shipped 2, one lost in Lille's short pick"
    );
    assert!(domain::inventory::ledger_discrepancies(&app.db).await.expect("audit").is_empty());
}

on_both_backends!(a_rejection_reroutes_then_backorders_then_fills_on_receipt);

#[tokio::test]
async fn backorders_fill_oldest_first_and_never_take_held_units() {
    let app = TestApp::spawn(Backend::Postgres).await;
    location(&app, "WH", "WAREHOUSE", LYON, false).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "WH", 1).await;
    let mut first = ship_input(json!([{ "sku": "A", "quantity": 3 }]), PARIS);
    first["backorderPolicy"] = json!("BACKORDER");
    let first = place(&app, first).await;
    assert_eq!(first["order"]["lines"][0]["allocatedQuantity"], 1, "{first}");
    assert_eq!(first["order"]["lines"][0]["backorderedQuantity"], 2);
    let mut second = ship_input(json!([{ "sku": "A", "quantity": 2 }]), PARIS);
    second["backorderPolicy"] = json!("BACKORDER");
    let second = place(&app, second).await;
    assert_eq!(second["order"]["lines"][0]["backorderedQuantity"], 2, "{second}");
    // A REJECT order still cannot have backordered units.
    let refused = place(&app, ship_input(json!([{ "sku": "A", "quantity": 1 }]), PARIS)).await;
    assert_eq!(refused["userErrors"][0]["code"], "OUT_OF_STOCK");

    app.receive("A", "WH", 3).await;
    let first = order(&app, first["order"]["id"].as_str().expect("id")).await;
    let second = order(&app, second["order"]["id"].as_str().expect("id")).await;
    assert_eq!(first["lines"][0]["backorderedQuantity"], 0, "the oldest order is filled first");
    assert_eq!(second["lines"][0]["allocatedQuantity"], 1);
    assert_eq!(second["lines"][0]["backorderedQuantity"], 1);
    assert_eq!(app.sum("inventory_levels", "reserved").await, 4);
    assert_eq!(app.sum("inventory_levels", "on_hand").await, 4);
}

async fn concurrent_receipts_and_orders_never_double_allocate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    location(&app, "WH-1", "WAREHOUSE", LYON, false).await;
    location(&app, "WH-2", "WAREHOUSE", LILLE, false).await;
    app.create_product("A", "10.00").await;
    let agent = app.token(Role::Agent);
    let admin = app.admin();
    // Twelve backordered orders of one unit each, then receipts and more orders all at once.
    for i in 0..12 {
        let mut input = ship_input(json!([{ "sku": "A", "quantity": 1 }]), PARIS);
        input["backorderPolicy"] = json!("BACKORDER");
        input["customer"]["email"] = json!(format!("wait{i}@example.com"));
        let placed = place(&app, input).await;
        assert_eq!(placed["order"]["lines"][0]["backorderedQuantity"], 1);
    }
    let receipts = (0..10).map(|i| {
        let location = if i % 2 == 0 { "WH-1" } else { "WH-2" };
        app.gql(
            Some(&admin),
            crate::helpers::RECEIVE,
            json!({ "input": { "sku": "A", "locationCode": location, "quantity": 1 } }),
        )
    });
    let orders = (0..10).map(|i| {
        let mut input = ship_input(json!([{ "sku": "A", "quantity": 1 }]), PARIS);
        input["customer"]["email"] = json!(format!("race{i}@example.com"));
        app.gql(Some(&agent), crate::helpers::PLACE_ORDER, json!({ "input": input }))
    });
    let (r, o) = futures::join!(join_all(receipts), join_all(orders));
    for body in r.iter().chain(o.iter()) {
        assert!(body.get("errors").is_none(), "no request may fault: {body}");
    }
    let sold: i64 = o.iter().filter(|b| b["data"]["placeOrder"]["order"].is_object()).count() as i64;
    let allocated = app.sum("order_lines", "allocated_quantity").await;
    assert_eq!(app.sum("inventory_levels", "on_hand").await, 10);
    assert_eq!(app.sum("inventory_levels", "reserved").await, allocated, "every allocated unit is reserved once");
    assert!(allocated <= 10, "never more allocated than received: {allocated}");
    assert_eq!(app.sum("fulfillment_order_lines", "quantity").await, allocated);
    assert_eq!(
        app.sum("order_lines", "backordered_quantity").await + allocated - sold,
        12,
        "backorders + fills add up"
    );
    assert!(domain::inventory::ledger_discrepancies(&app.db).await.expect("audit").is_empty());
}

on_both_backends!(concurrent_receipts_and_orders_never_double_allocate, multi_thread);

#[tokio::test]
async fn available_to_promise_offers_shipping_dates_and_pickup_without_reserving() {
    let app = TestApp::spawn(Backend::Postgres).await;
    location(&app, "ST-OPERA", "STORE", PARIS, true).await;
    location(&app, "WH-LYON", "WAREHOUSE", LYON, false).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "ST-OPERA", 1).await;
    app.receive("A", "WH-LYON", 5).await;
    let query = "query($input: AvailableToPromiseInput!) { availableToPromise(input: $input) { options { deliveryMethod available recommended locationCodes pickupLocationCode cost { amount } estimatedDeliveryDate description } userErrors { field code } } }";
    let before = app.snapshot().await;
    let ask = |quantity: i32| json!({ "input": { "lines": [{ "sku": "A", "quantity": quantity }], "address": { "country": "FR", "latitude": PARIS.0, "longitude": PARIS.1 } } });
    let body = app.gql(None, query, ask(1)).await;
    let options = body["data"]["availableToPromise"]["options"].as_array().expect("options").clone();
    let ship =
        options.iter().find(|o| o["deliveryMethod"] == "SHIP" && o["recommended"] == true).expect("a ship option");
    assert_eq!(ship["available"], true);
    assert!(ship["estimatedDeliveryDate"].as_str().is_some(), "{ship}");
    let pickup = options.iter().find(|o| o["deliveryMethod"] == "PICKUP").expect("a pickup option");
    assert_eq!(pickup["pickupLocationCode"], "ST-OPERA");
    assert_eq!(pickup["locationCodes"], json!(["ST-OPERA"]));
    assert_eq!(pickup["cost"]["amount"], "0.00");
    // Two units: the store has one, so pickup means ship-to-store from Lyon.
    let body = app.gql(None, query, ask(2)).await;
    let options = body["data"]["availableToPromise"]["options"].as_array().expect("options").clone();
    let pickup = options.iter().find(|o| o["deliveryMethod"] == "PICKUP").expect("pickup");
    assert_eq!(pickup["locationCodes"], json!(["WH-LYON"]), "{pickup}");
    // Too many: shipping is offered as unavailable.
    let body = app.gql(None, query, ask(50)).await;
    let options = body["data"]["availableToPromise"]["options"].as_array().expect("options").clone();
    assert!(options.iter().all(|o| o["available"] == false), "{options:?}");
    let body = app.gql(None, query, json!({ "input": { "lines": [{ "sku": "NOPE", "quantity": 1 }] } })).await;
    assert_eq!(body["data"]["availableToPromise"]["userErrors"][0]["code"], "UNKNOWN_SKU");
    assert_eq!(app.snapshot().await, before, "promising reserves nothing");
}
