//! Distributed order management end to end: the router's choices and explanations, routing
//! rules, store pickup with a code, ship-to-store, rejection and re-routing, backorders filled on
//! receipt, the fulfilment lifecycle and delivery promises.
use domain::auth::Role;
use futures::future::join_all;
use serde_json::{Value, json};

use crate::documents::PLACE_ORDER;
use crate::fixtures::{LILLE, LYON, MARSEILLE, PARIS, ship_to_paris};
use crate::helpers::{Backend, TestApp, on_both_backends};

fn fo_id(order: &Value, index: usize) -> String {
    order["fulfillmentOrders"][index]["id"].as_str().expect("a fulfilment order").to_owned()
}

#[tokio::test]
async fn the_nearest_complete_location_wins_and_says_why() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("WH-MARSEILLE", "WAREHOUSE", MARSEILLE, false, true).await;
    app.create_location_at("WH-LILLE", "WAREHOUSE", LILLE, false, true).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    for sku in ["A", "B"] {
        app.create_product(sku, "10.00").await;
    }
    app.receive("A", "WH-MARSEILLE", 5).await;
    app.receive("B", "WH-MARSEILLE", 5).await;
    app.receive("A", "WH-LILLE", 5).await; // nearest to Paris but has only A
    app.receive("B", "WH-LYON", 5).await;
    let placed = app
        .place_routed(ship_to_paris(
            "dom@example.com",
            json!([{ "sku": "A", "quantity": 1 }, { "sku": "B", "quantity": 1 }]),
        ))
        .await;
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
    let placed = app
        .place_routed(ship_to_paris(
            "dom@example.com",
            json!([{ "sku": "A", "quantity": 5 }, { "sku": "B", "quantity": 5 }]),
        ))
        .await;
    let codes: Vec<&str> = placed["order"]["fulfillmentOrders"]
        .as_array()
        .expect("fos")
        .iter()
        .map(|f| f["location"]["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes.len(), 2, "{placed}");
    assert!(codes.contains(&"WH-LILLE") && codes.contains(&"WH-LYON"), "{codes:?}: Marseille has only 4 A left");

    // allowSplit: false asks for one shipment or nothing.
    let mut input =
        ship_to_paris("dom@example.com", json!([{ "sku": "A", "quantity": 5 }, { "sku": "B", "quantity": 5 }]));
    input["allowSplit"] = json!(false);
    let before = app.snapshot().await;
    let refused = app.place_routed(input).await;
    assert_eq!(refused["userErrors"][0]["code"], "OUT_OF_STOCK", "{refused}");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn routing_rules_apply_to_the_next_order_and_simulation_reserves_nothing() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("ST-PARIS", "STORE", PARIS, false, true).await; // a store that ships
    app.create_location_at("DC-LYON", "DISTRIBUTION_CENTER", LYON, false, true).await;
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

    let mut input = ship_to_paris("dom@example.com", json!([{ "sku": "A", "quantity": 1 }]));
    input["channel"] = json!("MARKETPLACE");
    let placed = app.place_routed(input).await;
    assert_eq!(placed["order"]["fulfillmentOrders"][0]["location"]["code"], "DC-LYON");
    // Web orders may still ship from the store.
    let placed = app.place_routed(ship_to_paris("dom@example.com", json!([{ "sku": "A", "quantity": 1 }]))).await;
    assert_eq!(placed["order"]["fulfillmentOrders"][0]["location"]["code"], "ST-PARIS");
    // Agents may read the rules but not change them.
    let agent = app.token(Role::Agent);
    let denied =
        app.gql(Some(&agent), "mutation { setRoutingRules(input: {}) { userErrors { code } } }", json!({})).await;
    assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN", "{denied}");
}

async fn store_pickup_with_a_code_and_ship_to_store(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location_at("ST-OPERA", "STORE", PARIS, true, false).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
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
    let placed = app.place_routed(pickup(1)).await;
    let o = &placed["order"];
    assert_eq!(o["fulfillmentOrders"][0]["location"]["code"], "ST-OPERA", "{placed}");
    assert_eq!(o["routingDecisions"][0]["mode"], "PICKUP_IN_STORE");
    let id = o["id"].as_str().expect("id").to_owned();
    app.confirm(&app.admin(), &id).await;
    let store = app.associate_token(&["ST-OPERA"]);
    let fo = fo_id(o, 0);
    assert_eq!(
        app.act(&store, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await["userErrors"],
        json!([])
    );
    let ready = app.act(&store, "markReadyForPickup", json!({ "fulfillmentOrderId": fo })).await;
    assert_eq!(ready["fulfillmentOrder"]["status"], "READY_FOR_PICKUP");
    assert_eq!(ready["fulfillmentOrder"]["pickupCode"], Value::Null, "associates ask the customer for the code");
    let staff_view = app.act(&app.admin(), "packFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await;
    assert_eq!(staff_view["userErrors"][0]["code"], "INVALID_STATE");
    let code = order_pickup_code(&app, &id).await;
    let wrong = app.act(&store, "completePickup", json!({ "fulfillmentOrderId": fo, "pickupCode": "000000x" })).await;
    assert_eq!(wrong["userErrors"][0]["code"], "INVALID_PICKUP_CODE", "{wrong}");
    let done = app.act(&store, "completePickup", json!({ "fulfillmentOrderId": fo, "pickupCode": code })).await;
    assert_eq!(done["fulfillmentOrder"]["status"], "PICKED_UP", "{done}");
    let after = app.routed_order(&id).await;
    assert_eq!(after["status"], "PICKED_UP");
    assert_eq!(after["lines"][0]["shippedQuantity"], 1);
    assert_eq!(app.sum("inventory_levels", "on_hand").await, 11, "the handed-over bag left the store's stock");

    // More than the store holds: shipped in from the warehouse.
    let placed = app.place_routed(pickup(3)).await;
    let o = &placed["order"];
    assert_eq!(o["routingDecisions"][0]["mode"], "SHIP_TO_STORE", "{placed}");
    assert_eq!(o["fulfillmentOrders"][0]["location"]["code"], "WH-LYON");
    assert_eq!(o["fulfillmentOrders"][0]["shipToLocation"]["code"], "ST-OPERA");
    let id = o["id"].as_str().expect("id").to_owned();
    app.confirm(&app.admin(), &id).await;
    let fo = fo_id(o, 0);
    let warehouse = app.associate_token(&["WH-LYON"]);
    app.act(&warehouse, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await;
    let shipped = app
        .act(
            &warehouse,
            "shipFulfillmentOrder",
            json!({ "fulfillmentOrderId": fo, "carrier": "Colissimo", "trackingNumber": "6A123" }),
        )
        .await;
    assert_eq!(shipped["fulfillmentOrder"]["status"], "SHIPPED", "{shipped}");
    // The store finds the shipment coming to it in its queue, and someone working at both ends
    // sees it once.
    for (token, location) in [(&store, "\"ST-OPERA\""), (&app.associate_token(&["WH-LYON", "ST-OPERA"]), "null")] {
        let queue = format!(
            "{{ fulfillmentOrders(locationCode: {location}, status: SHIPPED) {{ edges {{ node {{ id }} }} }} }}"
        );
        let listed = app.gql(Some(token), &queue, json!({})).await;
        let ids: Vec<&str> = listed["data"]["fulfillmentOrders"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["node"]["id"].as_str())
            .collect();
        assert_eq!(ids, vec![fo.as_str()], "{listed}");
    }
    let ready = app.act(&store, "markReadyForPickup", json!({ "fulfillmentOrderId": fo })).await;
    assert_eq!(ready["fulfillmentOrder"]["status"], "READY_FOR_PICKUP", "{ready}");
    let code = order_pickup_code(&app, &id).await;
    let done = app.act(&store, "completePickup", json!({ "fulfillmentOrderId": fo, "pickupCode": code })).await;
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
    app.create_location_at("WH-LILLE", "WAREHOUSE", LILLE, false, true).await;
    app.create_location_at("WH-MARSEILLE", "WAREHOUSE", MARSEILLE, false, true).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "WH-LILLE", 3).await;
    app.receive("A", "WH-MARSEILLE", 3).await;
    let placed = app.place_routed(ship_to_paris("dom@example.com", json!([{ "sku": "A", "quantity": 2 }]))).await;
    let id = placed["order"]["id"].as_str().expect("id").to_owned();
    assert_eq!(placed["order"]["fulfillmentOrders"][0]["location"]["code"], "WH-LILLE");
    app.confirm(&app.admin(), &id).await;

    // Lille cannot: the lines go to Marseille.
    let lille = app.associate_token(&["WH-LILLE"]);
    let marseille = app.associate_token(&["WH-MARSEILLE"]);
    let fo = fo_id(&placed["order"], 0);
    let foreign = app.act(&marseille, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await;
    assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "another location's work looks missing");
    let rejected =
        app.act(&lille, "rejectFulfillmentOrder", json!({ "fulfillmentOrderId": fo, "reason": "water damage", "shortQuantities": [{ "sku": "A", "quantity": 1 }] }))
            .await;
    assert_eq!(rejected["fulfillmentOrder"]["status"], "REJECTED", "{rejected}");
    let o = app.routed_order(&id).await;
    let live: Vec<&Value> =
        o["fulfillmentOrders"].as_array().expect("fos").iter().filter(|f| f["status"] == "RELEASED").collect();
    assert_eq!(live.len(), 1, "{o}");
    assert_eq!(live[0]["location"]["code"], "WH-MARSEILLE");
    assert_eq!(o["routingDecisions"][1]["trigger"], "REROUTE");
    assert!(o["events"].as_array().expect("events").iter().any(|e| e["kind"] == "FULFILLMENT_REJECTED"));
    assert_eq!(app.sum("inventory_levels", "reserved").await, 2);

    // Marseille cannot either: nothing is left, so the units wait as a backorder.
    let fo2 = live[0]["id"].as_str().expect("id").to_owned();
    let rejected = app
        .act(&marseille, "rejectFulfillmentOrder", json!({ "fulfillmentOrderId": fo2, "reason": "short pick" }))
        .await;
    assert_eq!(rejected["userErrors"], json!([]), "{rejected}");
    let o = app.routed_order(&id).await;
    assert_eq!(o["lines"][0]["backorderedQuantity"], 2, "{o}");
    assert_eq!(o["lines"][0]["allocatedQuantity"], 0);
    assert!(o["events"].as_array().expect("events").iter().any(|e| e["kind"] == "BACKORDERED"), "{o}");
    assert_eq!(app.sum("inventory_levels", "reserved").await, 0);

    // Stock arrives: the backorder is filled (by a job) and released to the receiving location.
    let workers = app.start_workers();
    app.receive("A", "WH-MARSEILLE", 4).await;
    app.settle().await;
    let o = app.routed_order(&id).await;
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
    app.act(&marseille, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo3 })).await;
    app.act(&marseille, "packFulfillmentOrder", json!({ "fulfillmentOrderId": fo3 })).await;
    let shipped = app
        .act(
            &marseille,
            "shipFulfillmentOrder",
            json!({ "fulfillmentOrderId": fo3, "carrier": "DHL", "trackingNumber": "JD0001" }),
        )
        .await;
    assert_eq!(shipped["fulfillmentOrder"]["trackingNumber"], "JD0001", "{shipped}");
    assert_eq!(app.routed_order(&id).await["status"], "SHIPPED");
    app.act(&marseille, "markDelivered", json!({ "fulfillmentOrderId": fo3 })).await;
    let o = app.routed_order(&id).await;
    assert_eq!(o["status"], "DELIVERED");
    assert_eq!(o["lines"][0]["shippedQuantity"], 2);
    assert_eq!(
        app.sum("inventory_levels", "on_hand").await,
        3 + 3 + 4 - 2 - 1,
        "shipped 2, one lost in Lille's short pick"
    );
    assert!(domain::inventory::ledger_discrepancies(&app.db).await.expect("audit").is_empty());
    workers.stop().await;
}

on_both_backends!(a_rejection_reroutes_then_backorders_then_fills_on_receipt);

/// A fill job may run long after the change that wrote it (the workers were down). Stock that
/// arrived at a location before it rejected an order is no news to that location: the order is
/// not sent back there. Stock arriving after the rejection is, and the location is asked again.
async fn a_receipt_older_than_a_rejection_does_not_send_the_order_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.confirm_by_hand("WEB").await;
    app.create_location_at("WH-LILLE", "WAREHOUSE", LILLE, false, true).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_product("A", "10.00").await;
    // The workers are down: this receipt's fill job waits in the outbox.
    app.receive("A", "WH-LILLE", 2).await;
    let placed = app.placed_routed(ship_to_paris("dom@example.com", json!([{ "sku": "A", "quantity": 2 }]))).await;
    let id = placed["id"].as_str().expect("id").to_owned();
    app.confirm(&app.agent(), &id).await;
    let lille = app.associate_token(&["WH-LILLE"]);
    let fo = fo_id(&placed, 0);
    let rejected =
        app.act(&lille, "rejectFulfillmentOrder", json!({ "fulfillmentOrderId": fo, "reason": "no staff" })).await;
    assert_eq!(rejected["userErrors"], json!([]), "{rejected}");
    assert_eq!(app.routed_order(&id).await["lines"][0]["backorderedQuantity"], 2);

    // The workers come back and run the old receipt's job: Lille is not asked again.
    let workers = app.start_workers();
    app.settle().await;
    let o = app.routed_order(&id).await;
    assert_eq!(o["lines"][0]["backorderedQuantity"], 2, "sent back to the location that rejected it: {o}");

    // New stock at Lille: the new stock may be what it lacked, so it is asked again.
    app.receive("A", "WH-LILLE", 2).await;
    app.settle().await;
    let o = app.routed_order(&id).await;
    assert_eq!(o["lines"][0]["backorderedQuantity"], 0, "{o}");
    let live: Vec<&Value> =
        o["fulfillmentOrders"].as_array().expect("fos").iter().filter(|f| f["status"] == "RELEASED").collect();
    assert_eq!(live.len(), 1, "{o}");
    assert_eq!(live[0]["location"]["code"], "WH-LILLE");
    app.audit().await;
    workers.stop().await;
}

on_both_backends!(a_receipt_older_than_a_rejection_does_not_send_the_order_back);

#[tokio::test]
async fn backorders_fill_oldest_first_and_never_take_held_units() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("WH", "WAREHOUSE", LYON, false, true).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "WH", 1).await;
    let mut first = ship_to_paris("dom@example.com", json!([{ "sku": "A", "quantity": 3 }]));
    first["backorderPolicy"] = json!("BACKORDER");
    let first = app.place_routed(first).await;
    assert_eq!(first["order"]["lines"][0]["allocatedQuantity"], 1, "{first}");
    assert_eq!(first["order"]["lines"][0]["backorderedQuantity"], 2);
    let mut second = ship_to_paris("dom@example.com", json!([{ "sku": "A", "quantity": 2 }]));
    second["backorderPolicy"] = json!("BACKORDER");
    let second = app.place_routed(second).await;
    assert_eq!(second["order"]["lines"][0]["backorderedQuantity"], 2, "{second}");
    // A REJECT order still cannot have backordered units.
    let refused = app.place_routed(ship_to_paris("dom@example.com", json!([{ "sku": "A", "quantity": 1 }]))).await;
    assert_eq!(refused["userErrors"][0]["code"], "OUT_OF_STOCK");

    let workers = app.start_workers();
    app.receive("A", "WH", 3).await;
    app.settle().await;
    let first = app.routed_order(first["order"]["id"].as_str().expect("id")).await;
    let second = app.routed_order(second["order"]["id"].as_str().expect("id")).await;
    assert_eq!(first["lines"][0]["backorderedQuantity"], 0, "the oldest order is filled first");
    assert_eq!(second["lines"][0]["allocatedQuantity"], 1);
    assert_eq!(second["lines"][0]["backorderedQuantity"], 1);
    assert_eq!(app.sum("inventory_levels", "reserved").await, 4);
    assert_eq!(app.sum("inventory_levels", "on_hand").await, 4);
    workers.stop().await;
}

async fn concurrent_receipts_and_orders_never_double_allocate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location_at("WH-1", "WAREHOUSE", LYON, false, true).await;
    app.create_location_at("WH-2", "WAREHOUSE", LILLE, false, true).await;
    app.create_product("A", "10.00").await;
    let agent = app.token(Role::Agent);
    // The workers fill backorders while receipts and new orders race.
    let workers = app.start_workers();
    // Twelve backordered orders of one unit each, then receipts and more orders all at once.
    for i in 0..12 {
        let mut input = ship_to_paris("dom@example.com", json!([{ "sku": "A", "quantity": 1 }]));
        input["backorderPolicy"] = json!("BACKORDER");
        input["customer"]["email"] = json!(format!("wait{i}@example.com"));
        let placed = app.place_routed(input).await;
        assert_eq!(placed["order"]["lines"][0]["backorderedQuantity"], 1);
    }
    let receipts = (0..10).map(|i| {
        let location = if i % 2 == 0 { "WH-1" } else { "WH-2" };
        app.receive_body("A", location, 1)
    });
    let orders = (0..10).map(|i| {
        let mut input = ship_to_paris("dom@example.com", json!([{ "sku": "A", "quantity": 1 }]));
        input["customer"]["email"] = json!(format!("race{i}@example.com"));
        app.gql(Some(&agent), PLACE_ORDER, json!({ "input": input }))
    });
    let (r, o) = futures::join!(join_all(receipts), join_all(orders));
    for body in r.iter().chain(o.iter()) {
        assert!(body.get("errors").is_none(), "no request may fault: {body}");
    }
    app.settle().await;
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
    workers.stop().await;
}

on_both_backends!(concurrent_receipts_and_orders_never_double_allocate, multi_thread);

#[tokio::test]
async fn available_to_promise_offers_shipping_dates_and_pickup_without_reserving() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("ST-OPERA", "STORE", PARIS, true, false).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
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
