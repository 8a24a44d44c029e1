//! What a busy first week would break: who may act on a fulfilment order, order statuses derived
//! from committed state, flows that race each other without deadlocks, backorders filled
//! through the router from every event that frees stock, and the smaller rules around them.
use domain::auth::Role;
use futures::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::fixtures::{LILLE, LYON, MARSEILLE, PARIS, ship_to_paris};
use crate::helpers::{Backend, TestApp};

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// A fault (a top-level error with code INTERNAL, or no answer at all) in a response body.
fn faulted(body: &Value) -> bool {
    body["errors"].as_array().is_some_and(|errors| errors.iter().any(|e| e["extensions"]["code"] == "INTERNAL"))
        || (body.get("data").is_none() && body.get("errors").is_none())
}

async fn on_hand(app: &TestApp, sku: &str, location: &str) -> i64 {
    let data = app
        .admin_data(
            "query($sku: String!) { product(sku: $sku) { inventory { location { code } onHand } } }",
            json!({ "sku": sku }),
        )
        .await;
    data["product"]["inventory"]
        .as_array()
        .expect("levels")
        .iter()
        .find(|l| l["location"]["code"] == location)
        .map_or(0, |l| l["onHand"].as_i64().expect("onHand"))
}

async fn outbox_rows(app: &TestApp, dedupe_key: &str) -> i64 {
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => "SELECT COUNT(*) AS n FROM outbox WHERE dedupe_key = $1",
                _ => "SELECT COUNT(*) AS n FROM outbox WHERE dedupe_key = ?",
            },
            [dedupe_key.into()],
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

// ---- 1. Only the shipping location picks; a short pick never exceeds what it holds --------

#[tokio::test]
async fn a_store_associate_cannot_write_off_the_warehouse_shipping_to_it() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("ST-OPERA", "STORE", PARIS, true, false).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_product("LAMP", "40.00").await;
    app.receive("LAMP", "WH-LYON", 23).await;
    let placed = app
        .placed_routed(json!({
            "channel": "WEB", "customer": { "email": "pia@example.com", "name": "Pia" },
            "lines": [{ "sku": "LAMP", "quantity": 1 }],
            "deliveryMethod": "PICKUP", "pickupLocationCode": "ST-OPERA"
        }))
        .await;
    assert_eq!(placed["fulfillmentOrders"][0]["shipToLocation"]["code"], "ST-OPERA", "{placed}");
    let id = id_of(&placed);
    assert_eq!(app.confirm_body(&app.agent(), &id).await["data"]["confirmOrder"]["userErrors"], json!([]));
    let fo = id_of(&placed["fulfillmentOrders"][0]);
    let store = app.associate_token(&["ST-OPERA"]);

    let input = json!({ "fulfillmentOrderId": fo, "reason": "gone", "shortQuantities": [{ "sku": "LAMP", "quantity": 1_000_000 }] });
    let refused = app.act_body(&store, "rejectFulfillmentOrder", input).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    for mutation in ["acceptFulfillmentOrder", "packFulfillmentOrder"] {
        let refused = app.act_body(&store, mutation, json!({ "fulfillmentOrderId": fo })).await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{mutation}: {refused}");
    }
    assert_eq!(on_hand(&app, "LAMP", "WH-LYON").await, 23, "the warehouse's stock is untouched");

    // The warehouse may short-pick, but never more than this fulfilment order holds.
    let warehouse = app.associate_token(&["WH-LYON"]);
    let too_many =
        json!({ "fulfillmentOrderId": fo, "reason": "gone", "shortQuantities": [{ "sku": "LAMP", "quantity": 2 }] });
    let refused = app.act(&warehouse, "rejectFulfillmentOrder", too_many).await;
    assert_eq!(refused["userErrors"][0]["code"], "INVALID_INPUT", "{refused}");
    assert_eq!(on_hand(&app, "LAMP", "WH-LYON").await, 23);
    let one =
        json!({ "fulfillmentOrderId": fo, "reason": "gone", "shortQuantities": [{ "sku": "LAMP", "quantity": 1 }] });
    let rejected = app.act(&warehouse, "rejectFulfillmentOrder", one).await;
    assert_eq!(rejected["userErrors"], json!([]), "{rejected}");
    assert_eq!(on_hand(&app, "LAMP", "WH-LYON").await, 22);
    app.audit().await;
}

// ---- 2. An order's status is derived under its lock, from what is committed ---------------

/// A receipt fills a backorder while an agent confirms the order: the order ends CONFIRMED and
/// the new fulfilment order is released, whichever commits first.
#[tokio::test]
async fn a_backorder_filled_while_the_order_is_confirmed_is_released() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.confirm_by_hand("WEB").await;
    let workers = app.start_workers();
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    let rounds = 30;
    let mut orders = Vec::new();
    for i in 0..rounds {
        let sku = format!("BO-{i}");
        app.create_product(&sku, "10.00").await;
        let mut input = ship_to_paris("bo@example.com", json!([{ "sku": sku, "quantity": 2 }]));
        input["backorderPolicy"] = json!("BACKORDER");
        orders.push((sku, id_of(&app.placed_routed(input).await)));
    }
    let races = orders.iter().map(|(sku, id)| async {
        let (confirmed, received) =
            tokio::join!(app.confirm_body(&app.agent(), id), app.receive_body(sku, "WH-LYON", 2));
        assert!(!faulted(&confirmed) && !faulted(&received), "{confirmed} {received}");
        assert_eq!(confirmed["data"]["confirmOrder"]["userErrors"], json!([]), "{confirmed}");
    });
    join_all(races).await;
    app.settle().await;
    for (_, id) in &orders {
        let o = app.routed_order(id).await;
        assert_eq!(o["status"], "CONFIRMED", "{o}");
        assert_eq!(o["lines"][0]["backorderedQuantity"], 0, "{o}");
        let statuses: Vec<&Value> =
            o["fulfillmentOrders"].as_array().expect("fos").iter().map(|f| &f["status"]).collect();
        assert_eq!(statuses, vec![&json!("RELEASED")], "{o}");
    }
    app.audit().await;
    workers.stop().await;
}

/// Two locations ship their parts of one order at once: the order ends SHIPPED and the
/// customer is told once.
#[tokio::test]
async fn two_locations_shipping_one_order_at_once_leave_it_shipped() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("WH-LILLE", "WAREHOUSE", LILLE, false, true).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_product("A", "10.00").await;
    app.create_product("B", "10.00").await;
    app.receive("A", "WH-LILLE", 1000).await;
    app.receive("B", "WH-LYON", 1000).await;
    let lille = app.associate_token(&["WH-LILLE"]);
    let lyon = app.associate_token(&["WH-LYON"]);
    let mut ready = Vec::new();
    for _ in 0..30 {
        let placed = app
            .placed_routed(ship_to_paris(
                "two@example.com",
                json!([{ "sku": "A", "quantity": 1 }, { "sku": "B", "quantity": 1 }]),
            ))
            .await;
        let id = id_of(&placed);
        app.confirm_body(&app.agent(), &id).await;
        let mut fos = Vec::new();
        for fo in placed["fulfillmentOrders"].as_array().expect("fos") {
            let token = if fo["location"]["code"] == "WH-LILLE" { &lille } else { &lyon };
            app.act(token, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": id_of(fo) })).await;
            fos.push((token.clone(), id_of(fo)));
        }
        assert_eq!(fos.len(), 2);
        ready.push((id, fos));
    }
    let races = ready.iter().map(|(_, fos)| {
        join_all(fos.iter().map(|(token, fo)| {
            app.act_body(
                token,
                "shipFulfillmentOrder",
                json!({ "fulfillmentOrderId": fo, "carrier": "DHL", "trackingNumber": "T1" }),
            )
        }))
    });
    for bodies in join_all(races).await {
        for body in bodies {
            assert!(!faulted(&body), "{body}");
            assert_eq!(body["data"]["shipFulfillmentOrder"]["userErrors"], json!([]), "{body}");
        }
    }
    for (id, _) in &ready {
        assert_eq!(app.routed_order(id).await["status"], "SHIPPED");
        assert_eq!(outbox_rows(&app, &format!("order_shipped:{id}")).await, 1, "the customer is told once");
    }
    app.audit().await;
}

// ---- 5. Flows race each other without deadlocks --------------------------------------------

/// Cancelling an order while its location packs or ships it, a few hundred times at once: one
/// of the two wins each time, nothing faults, and the books stay exact.
#[tokio::test]
async fn cancel_races_pack_and_ship_without_deadlocks() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_location_at("WH-LILLE", "WAREHOUSE", LILLE, false, true).await;
    for sku in ["A", "B", "C"] {
        app.create_product(sku, "10.00").await;
        app.receive(sku, "WH-LYON", 10_000).await;
        app.receive(sku, "WH-LILLE", 10_000).await;
    }
    let associate = app.associate_token(&["WH-LYON", "WH-LILLE"]);
    let rounds = 150;
    let mut ready = Vec::new();
    for i in 0..rounds {
        let lines =
            json!([{ "sku": "A", "quantity": 1 }, { "sku": "B", "quantity": 1 }, { "sku": "C", "quantity": 1 }]);
        let placed = app.placed_routed(ship_to_paris(&format!("c{i}@example.com"), lines)).await;
        let id = id_of(&placed);
        app.confirm_body(&app.agent(), &id).await;
        let fo = id_of(&placed["fulfillmentOrders"][0]);
        app.act(&associate, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await;
        ready.push((id, fo));
    }
    let races = ready.iter().enumerate().map(|(i, (id, fo))| {
        let associate = &associate;
        let app = &app;
        async move {
            let step = if i % 2 == 0 {
                app.act_body(associate, "packFulfillmentOrder", json!({ "fulfillmentOrderId": fo }))
            } else {
                app.act_body(
                    associate,
                    "shipFulfillmentOrder",
                    json!({ "fulfillmentOrderId": fo, "carrier": "DHL", "trackingNumber": "T" }),
                )
            };
            let (cancelled, stepped) = tokio::join!(app.cancel_body(&app.agent(), id, "changed their mind"), step);
            assert!(!faulted(&cancelled) && !faulted(&stepped), "{cancelled} {stepped}");
        }
    });
    join_all(races).await;
    for (id, _) in &ready {
        let o = app.routed_order(id).await;
        let fo_status = &o["fulfillmentOrders"][0]["status"];
        match o["status"].as_str() {
            Some("CANCELLED") => assert_eq!(fo_status, "CANCELLED", "{o}"),
            Some("SHIPPED") => assert_eq!(fo_status, "SHIPPED", "{o}"),
            Some("CONFIRMED") => assert_eq!(fo_status, "PACKED", "{o}"),
            _ => panic!("unexpected outcome {o}"),
        }
    }
    app.audit().await;
}

/// A location rejects while new orders take the same stock and receipts and cancellations
/// free it: nothing faults, nothing is oversold, and the books stay exact.
#[tokio::test]
async fn rejections_placements_receipts_and_cancellations_race_without_deadlocks() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_location_at("WH-LILLE", "WAREHOUSE", LILLE, false, true).await;
    app.create_location_at("WH-MARSEILLE", "WAREHOUSE", MARSEILLE, false, true).await;
    for sku in ["A", "B"] {
        app.create_product(sku, "10.00").await;
        for wh in ["WH-LYON", "WH-LILLE", "WH-MARSEILLE"] {
            app.receive(sku, wh, 400).await;
        }
    }
    let associate = app.associate_token(&["WH-LYON", "WH-LILLE", "WH-MARSEILLE"]);
    let lines = json!([{ "sku": "A", "quantity": 1 }, { "sku": "B", "quantity": 1 }]);
    let rounds = 100;
    let mut setup = Vec::new();
    for i in 0..rounds {
        let mut input = ship_to_paris(&format!("r{i}@example.com"), lines.clone());
        input["backorderPolicy"] = json!("BACKORDER");
        let placed = app.placed_routed(input).await;
        let id = id_of(&placed);
        app.confirm_body(&app.agent(), &id).await;
        setup.push((id, id_of(&placed["fulfillmentOrders"][0])));
    }
    let races = setup.iter().enumerate().map(|(i, (id, fo))| {
        let associate = &associate;
        let app = &app;
        let lines = lines.clone();
        async move {
            let reject = app.act_body(
                associate,
                "rejectFulfillmentOrder",
                json!({ "fulfillmentOrderId": fo, "reason": "no staff" }),
            );
            let mut input = ship_to_paris(&format!("n{i}@example.com"), lines);
            input["backorderPolicy"] = json!("BACKORDER");
            let sku = if i % 2 == 0 { "A" } else { "B" };
            let (rejected, placed, received, cancelled) = tokio::join!(
                reject,
                app.place_routed_body(input),
                app.receive_body(sku, "WH-MARSEILLE", 1),
                app.cancel_body(&app.agent(), id, "changed their mind")
            );
            for body in [&rejected, &placed, &received, &cancelled] {
                assert!(!faulted(body), "{body}");
            }
        }
    });
    join_all(races).await;
    app.audit().await;
}

// ---- 6. Backorders are filled through the router, from every event that frees stock -------

/// Two receipts at once leave no unit backordered while stock sits free: 40 units arrive at two
/// locations for 30 waiting, round after round, and each receipt's fill job runs beside the
/// others' on the workers.
#[tokio::test]
async fn racing_receipts_fill_every_backordered_unit_they_can() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let workers = app.start_workers();
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_location_at("WH-LILLE", "WAREHOUSE", LILLE, false, true).await;
    let rounds = 12;
    let mut waiting: Vec<(String, Vec<String>)> = Vec::new();
    for round in 0..rounds {
        let sku = format!("R-{round}");
        app.create_product(&sku, "10.00").await;
        let mut ids = Vec::new();
        for i in 0..10 {
            let mut input = ship_to_paris(&format!("w{i}@example.com"), json!([{ "sku": sku, "quantity": 3 }]));
            input["backorderPolicy"] = json!("BACKORDER");
            ids.push(id_of(&app.placed_routed(input).await));
        }
        waiting.push((sku, ids));
    }
    let races = waiting.iter().map(|(sku, _)| async {
        let (a, b) = tokio::join!(app.receive_body(sku, "WH-LYON", 20), app.receive_body(sku, "WH-LILLE", 20));
        assert!(!faulted(&a) && !faulted(&b), "{a} {b}");
    });
    join_all(races).await;
    app.settle().await;
    for (sku, ids) in &waiting {
        let mut backordered = 0;
        for id in ids {
            backordered += app.routed_order(id).await["lines"][0]["backorderedQuantity"].as_i64().expect("n");
        }
        assert_eq!(backordered, 0, "{sku}: {backordered} units still wait while 10 sit free");
    }
    let fills = app.count("outbox WHERE kind = 'fill_backorders'").await;
    let receipts = 2 * i64::try_from(waiting.len()).expect("rounds");
    assert_eq!(fills, receipts, "one fill job per receipt");
    app.audit().await;
    workers.stop().await;
}

/// A cancellation frees stock that a waiting order gets at once; a positive adjustment too.
#[tokio::test]
async fn cancellations_and_adjustments_fill_waiting_backorders() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let workers = app.start_workers();
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "WH-LYON", 2).await;
    let first = app.placed_routed(ship_to_paris("first@example.com", json!([{ "sku": "A", "quantity": 2 }]))).await;
    let mut input = ship_to_paris("second@example.com", json!([{ "sku": "A", "quantity": 2 }]));
    input["backorderPolicy"] = json!("BACKORDER");
    let waiting = id_of(&app.placed_routed(input.clone()).await);
    let body = app.cancel_body(&app.agent(), &id_of(&first), "changed their mind").await;
    assert_eq!(body["data"]["cancelOrder"]["userErrors"], json!([]), "{body}");
    app.settle().await;
    let o = app.routed_order(&waiting).await;
    assert_eq!(o["lines"][0]["backorderedQuantity"], 0, "the cancellation's units went to the waiting order: {o}");
    assert_eq!(o["fulfillmentOrders"].as_array().expect("fos").len(), 1);

    let third = id_of(&app.placed_routed(input).await);
    let adjusted = app
        .admin_data(
            "mutation { adjustInventory(input: { sku: \"A\", locationCode: \"WH-LYON\", delta: 2, reason: \"found in the back\" }) { userErrors { code message } } }",
            json!({}),
        )
        .await;
    assert_eq!(adjusted["adjustInventory"]["userErrors"], json!([]), "{adjusted}");
    app.settle().await;
    assert_eq!(app.routed_order(&third).await["lines"][0]["backorderedQuantity"], 0);
    app.audit().await;
    workers.stop().await;
}

/// A customer whose order waits for stock is told so: an order placed with a backorder queues
/// one "backordered" email, and so does one that a rejection backorders.
#[tokio::test]
async fn a_backordered_order_queues_a_backordered_email() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "WH-LYON", 1).await;
    let mut input = ship_to_paris("late@example.com", json!([{ "sku": "A", "quantity": 2 }]));
    input["backorderPolicy"] = json!("BACKORDER");
    let waiting = id_of(&app.placed_routed(input).await);
    assert_eq!(outbox_rows(&app, &format!("order_backordered:{waiting}")).await, 1);

    app.receive("A", "WH-LYON", 2).await;
    let placed = app.placed_routed(ship_to_paris("now@example.com", json!([{ "sku": "A", "quantity": 1 }]))).await;
    let id = id_of(&placed);
    assert_eq!(outbox_rows(&app, &format!("order_backordered:{id}")).await, 0, "in stock: no such email");
    app.confirm_body(&app.agent(), &id).await;
    let fo = id_of(&placed["fulfillmentOrders"][0]);
    let lyon = app.associate_token(&["WH-LYON"]);
    let body =
        app.act_body(&lyon, "rejectFulfillmentOrder", json!({ "fulfillmentOrderId": fo, "reason": "no staff" })).await;
    assert_eq!(body["data"]["rejectFulfillmentOrder"]["userErrors"], json!([]), "{body}");
    assert_eq!(outbox_rows(&app, &format!("order_backordered:{id}")).await, 1, "backordered by the rejection");
}

/// A backorder fill follows the routing rules: `allowSplit: false` waits for one location to
/// hold everything rather than splitting the order.
#[tokio::test]
async fn a_backorder_fill_keeps_allow_split_false() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let workers = app.start_workers();
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_location_at("WH-LILLE", "WAREHOUSE", LILLE, false, true).await;
    app.create_product("A", "10.00").await;
    let mut input = ship_to_paris("one@example.com", json!([{ "sku": "A", "quantity": 4 }]));
    input["backorderPolicy"] = json!("BACKORDER");
    input["allowSplit"] = json!(false);
    let id = id_of(&app.placed_routed(input).await);
    app.receive("A", "WH-LYON", 2).await;
    app.receive("A", "WH-LILLE", 2).await;
    app.settle().await;
    let o = app.routed_order(&id).await;
    assert_eq!(o["lines"][0]["backorderedQuantity"], 4, "two half shipments are not one shipment: {o}");
    app.receive("A", "WH-LILLE", 2).await;
    app.settle().await;
    let o = app.routed_order(&id).await;
    assert_eq!(o["lines"][0]["backorderedQuantity"], 0, "{o}");
    let fos = o["fulfillmentOrders"].as_array().expect("fos");
    assert_eq!(fos.len(), 1, "{o}");
    assert_eq!(fos[0]["location"]["code"], "WH-LILLE");
    app.audit().await;
    workers.stop().await;
}

// ---- 8 and 12. Smaller rules -----------------------------------------------------------------

#[tokio::test]
async fn an_adjustment_that_would_leave_the_counter_range_is_refused() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_product("A", "10.00").await;
    for _ in 0..2147 {
        // Receipts up to the largest count, in steps of the largest receipt.
        let body = app.receive_body("A", "WH-LYON", 1_000_000).await;
        if body["data"]["receiveInventory"]["userErrors"] != json!([]) {
            break;
        }
    }
    let before = app.snapshot().await;
    let body = app
        .gql(
            Some(&app.admin()),
            "mutation { adjustInventory(input: { sku: \"A\", locationCode: \"WH-LYON\", delta: 1000000, reason: \"recount\" }) { userErrors { field code message } } }",
            json!({}),
        )
        .await;
    assert!(!faulted(&body), "{body}");
    assert_eq!(body["data"]["adjustInventory"]["userErrors"][0]["code"], "INVALID_INPUT", "{body}");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn cancelling_an_order_gives_its_promotion_use_back() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "WH-LYON", 10).await;
    let promo = app
        .admin_data(
            "mutation { createPromotion(input: { code: \"ONCE\", percentOff: \"10\", usageLimit: 1 }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(promo["createPromotion"]["userErrors"], json!([]));
    let mut input = ship_to_paris("promo@example.com", json!([{ "sku": "A", "quantity": 1 }]));
    input["promoCode"] = json!("ONCE");
    let first = app.placed_routed(input.clone()).await;
    let used_up = app.place_routed_body(input.clone()).await;
    assert_eq!(used_up["data"]["placeOrder"]["userErrors"][0]["code"], "PROMO_CODE_INVALID", "{used_up}");
    app.cancel_body(&app.agent(), &id_of(&first), "changed their mind").await;
    assert_eq!(app.sum("promotions", "used_count").await, 0);
    app.placed_routed(input).await;
}

#[tokio::test]
async fn a_shipping_rate_in_another_currency_is_never_free() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_with(json!({
            "code": "WH-ZURICH", "name": "Zurich", "kind": "WAREHOUSE",
            "address": { "line1": "1 Strasse", "city": "Zurich", "postalCode": "8000", "country": "CH", "latitude": 47.37, "longitude": 8.54 },
            "canShip": true, "canPickup": false, "priority": 10,
            "shippingRate": { "amount": "9.00", "currency": "CHF" }
        })).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "WH-ZURICH", 10).await;
    let before = app.snapshot().await;
    let body = app.place_routed_body(ship_to_paris("chf@example.com", json!([{ "sku": "A", "quantity": 1 }]))).await;
    let payload = &body["data"]["placeOrder"];
    assert_eq!(payload["userErrors"][0]["code"], "CURRENCY_MISMATCH", "{body}");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_pickup_code_locks_after_five_wrong_guesses_until_staff_reset_it() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("ST-OPERA", "STORE", PARIS, true, false).await;
    app.create_product("BAG", "50.00").await;
    app.receive("BAG", "ST-OPERA", 2).await;
    let placed = app
        .placed_routed(json!({
            "channel": "WEB", "customer": { "email": "pick@example.com", "name": "Pia" },
            "lines": [{ "sku": "BAG", "quantity": 1 }],
            "deliveryMethod": "PICKUP", "pickupLocationCode": "ST-OPERA"
        }))
        .await;
    let id = id_of(&placed);
    app.confirm_body(&app.agent(), &id).await;
    let fo = id_of(&placed["fulfillmentOrders"][0]);
    let store = app.associate_token(&["ST-OPERA"]);
    app.act(&store, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await;
    app.act(&store, "markReadyForPickup", json!({ "fulfillmentOrderId": fo })).await;
    let code = app
        .admin_data("query($id: ID!) { order(id: $id) { fulfillmentOrders { pickupCode } } }", json!({ "id": id }))
        .await["order"]["fulfillmentOrders"][0]["pickupCode"]
        .as_str()
        .expect("code")
        .to_owned();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let body = app.act(&store, "completePickup", json!({ "fulfillmentOrderId": fo, "pickupCode": wrong })).await;
        assert_eq!(body["userErrors"][0]["code"], "INVALID_PICKUP_CODE", "{body}");
    }
    let locked = app.act(&store, "completePickup", json!({ "fulfillmentOrderId": fo, "pickupCode": code })).await;
    assert_eq!(locked["userErrors"][0]["code"], "PICKUP_CODE_LOCKED", "{locked}");
    let reset = app
        .gql(
            Some(&app.token(Role::Agent)),
            "mutation($id: ID!) { resetPickupCode(input: { fulfillmentOrderId: $id }) { fulfillmentOrder { status } userErrors { code } } }",
            json!({ "id": fo }),
        )
        .await;
    assert_eq!(reset["data"]["resetPickupCode"]["userErrors"], json!([]), "{reset}");
    let done = app.act(&store, "completePickup", json!({ "fulfillmentOrderId": fo, "pickupCode": code })).await;
    assert_eq!(done["fulfillmentOrder"]["status"], "PICKED_UP", "{done}");
}

#[tokio::test]
async fn the_ledger_audit_reads_one_snapshot_under_load() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "WH-LYON", 100_000).await;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let loader = || async {
        for _ in 0..200 {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let _ =
                app.place_routed_body(ship_to_paris("load@example.com", json!([{ "sku": "A", "quantity": 1 }]))).await;
        }
    };
    let audits = async {
        let mut false_alarms = 0;
        for _ in 0..40 {
            if !domain::inventory::ledger_discrepancies(&app.db).await.expect("audit").is_empty() {
                false_alarms += 1;
            }
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        false_alarms
    };
    let (_, false_alarms) = tokio::join!(join_all((0..4).map(|_| loader())), audits);
    assert_eq!(false_alarms, 0, "the audit compared levels and ledger from different moments");
}
