//! Capacity is a preference, not a reason to lose a sale; hostile quantities are refused with a
//! user error, not a closed connection; the promise takes the address `placeOrder` takes.
use chrono::{Duration, NaiveDate, Utc};
use domain::auth::Role;
use futures::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::documents::PLACE_ORDER;
use crate::fixtures::{PARIS, ship_to_paris};
use crate::helpers::{Backend, TestApp, on_both_backends};

const PROMISE: &str = "query($input: AvailableToPromiseInput!) { availableToPromise(input: $input) { options { deliveryMethod available recommended locationCodes estimatedDeliveryDate description } userErrors { field code message } } }";

async fn set_capacity(app: &TestApp, code: &str, capacity: i32) {
    let data = app
        .admin_data(
            "mutation($input: UpdateLocationInput!) { updateLocation(input: $input) { location { dailyCapacity } userErrors { field code message } } }",
            json!({ "input": { "code": code, "dailyCapacity": capacity } }),
        )
        .await;
    assert_eq!(data["updateLocation"]["userErrors"], json!([]), "{data}");
    assert_eq!(data["updateLocation"]["location"]["dailyCapacity"], capacity, "{data}");
}

/// The recommended SHIP option's date for one unit of `sku` to Paris.
async fn ship_date(app: &TestApp, sku: &str) -> NaiveDate {
    let input = json!({ "input": { "lines": [{ "sku": sku, "quantity": 1 }], "deliveryMethod": "SHIP", "address": { "country": "FR", "latitude": PARIS.0, "longitude": PARIS.1 } } });
    let body = app.gql(None, PROMISE, input).await;
    let options = body["data"]["availableToPromise"]["options"].as_array().expect("options").clone();
    let ship = options.iter().find(|o| o["recommended"] == true).expect("a recommended option");
    assert_eq!(ship["available"], true, "{ship}");
    NaiveDate::parse_from_str(ship["estimatedDeliveryDate"].as_str().expect("a date"), "%Y-%m-%d").expect("a date")
}

/// Rows of `sql`'s first column (read as text), in order.
async fn column(app: &TestApp, sql: &str) -> Vec<String> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql.to_owned()))
        .await
        .expect("query");
    rows.iter()
        .map(|r| r.try_get::<String>("", "v").or_else(|_| r.try_get::<i64>("", "v").map(|n| n.to_string())).expect("v"))
        .collect()
}

async fn a_full_location_still_sells_a_day_later(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_product("CAP-A", "10.00").await;
    app.create_location("WH-ONLY", false, 10, "4.90").await;
    app.receive("CAP-A", "WH-ONLY", 100).await;
    set_capacity(&app, "WH-ONLY", 2).await;
    let before = ship_date(&app, "CAP-A").await;
    for n in 1..=4 {
        let payload =
            app.place_routed(ship_to_paris("capacity@example.com", json!([{ "sku": "CAP-A", "quantity": 1 }]))).await;
        assert_eq!(payload["userErrors"], json!([]), "order {n}: {payload}");
        let decision = &payload["order"]["routingDecisions"][0];
        let candidate = &decision["candidates"][0];
        assert_eq!(candidate["chosen"], true, "{decision}");
        if n > 2 {
            assert!(candidate["reason"].as_str().is_some_and(|r| r.contains("at capacity")), "order {n}: {decision}");
            assert!(decision["summary"].as_str().is_some_and(|s| s.contains("capacity")), "order {n}: {decision}");
        }
    }
    // Full today: the promise moves by a day.
    assert_eq!(ship_date(&app, "CAP-A").await, before + Duration::days(1));
    assert_eq!(app.sum("inventory_levels", "reserved").await, 4);
}

on_both_backends!(a_full_location_still_sells_a_day_later);

#[tokio::test]
async fn the_location_with_capacity_left_is_preferred() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_product("CAP-B", "10.00").await;
    // Same place, so priority decides while both have room.
    app.create_location("WH-FIRST", false, 1, "4.90").await;
    app.create_location("WH-SECOND", false, 50, "4.90").await;
    app.receive("CAP-B", "WH-FIRST", 10).await;
    app.receive("CAP-B", "WH-SECOND", 10).await;
    set_capacity(&app, "WH-FIRST", 1).await;
    let first =
        app.place_routed(ship_to_paris("capacity@example.com", json!([{ "sku": "CAP-B", "quantity": 1 }]))).await;
    assert_eq!(first["order"]["fulfillmentOrders"][0]["location"]["code"], "WH-FIRST", "{first}");
    let second =
        app.place_routed(ship_to_paris("capacity@example.com", json!([{ "sku": "CAP-B", "quantity": 1 }]))).await;
    assert_eq!(second["order"]["fulfillmentOrders"][0]["location"]["code"], "WH-SECOND", "{second}");
    let candidates = second["order"]["routingDecisions"][0]["candidates"].as_array().expect("candidates").clone();
    let full = candidates.iter().find(|c| c["locationCode"] == "WH-FIRST").expect("WH-FIRST considered");
    assert_eq!(full["eligible"], true, "a full location stays eligible: {full}");
    assert!(full["reason"].as_str().is_some_and(|r| r.contains("at capacity")), "{full}");
}

async fn twenty_orders_race_for_five_slots(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_product("CAP-R", "10.00").await;
    app.create_location("WH-RACE", false, 10, "4.90").await;
    app.receive("CAP-R", "WH-RACE", 100).await;
    set_capacity(&app, "WH-RACE", 5).await;
    let results =
        join_all((0..20).map(|_| {
            app.place_routed(ship_to_paris("capacity@example.com", json!([{ "sku": "CAP-R", "quantity": 1 }])))
        }))
        .await;
    for r in &results {
        assert_eq!(r["userErrors"], json!([]), "{r}");
    }
    let today = Utc::now().date_naive();
    let tomorrow = today + Duration::days(1);
    let usage = column(
        &app,
        "SELECT CAST(day AS TEXT) || '=' || CAST(used AS TEXT) AS v FROM location_capacity_usage ORDER BY day",
    )
    .await;
    assert_eq!(usage, vec![format!("{today}=5"), format!("{tomorrow}=15")]);
    let dated = column(
        &app,
        "SELECT CAST(capacity_day AS TEXT) || '=' || CAST(COUNT(*) AS TEXT) AS v FROM fulfillment_orders GROUP BY capacity_day ORDER BY capacity_day",
    )
    .await;
    assert_eq!(dated, vec![format!("{today}=5"), format!("{tomorrow}=15")]);
}

on_both_backends!(twenty_orders_race_for_five_slots);

#[tokio::test]
async fn a_hostile_promise_is_refused_not_crashed() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_product("HOST", "10.00").await;
    app.create_location("WH-H", false, 10, "4.90").await;
    app.receive("HOST", "WH-H", 5).await;
    let lines = |n: usize| Value::Array(vec![json!({ "sku": "HOST", "quantity": 1_000_000 }); n]);
    let (status, body) =
        app.post(None, None, &json!({ "query": PROMISE, "variables": { "input": { "lines": lines(2200) } } })).await;
    assert_eq!(status, 200, "{body}");
    let errors = &body["data"]["availableToPromise"]["userErrors"];
    assert_eq!(errors[0]["code"], "INVALID_INPUT", "{body}");
    assert_eq!(errors[0]["field"], json!(["lines"]), "{body}");
    // 200 lines of a million: 200 000 000 units, answered sanely (nothing can ship that).
    let body = app.gql(None, PROMISE, json!({ "input": { "lines": lines(200) } })).await;
    assert_eq!(body["data"]["availableToPromise"]["userErrors"], json!([]), "{body}");
    let options = body["data"]["availableToPromise"]["options"].as_array().expect("options").clone();
    assert!(!options.is_empty() && options.iter().all(|o| o["available"] == false), "{options:?}");
    let ship = options.iter().find(|o| o["deliveryMethod"] == "SHIP").expect("a ship option");
    assert!(ship["description"].as_str().is_some_and(|d| d.contains("199999995")), "{ship}");
    // The same for a simulation.
    let simulate = "query($input: SimulateRoutingInput!) { simulateRouting(input: $input) { decision { summary } userErrors { field code } } }";
    let body = app.gql(Some(&app.admin()), simulate, json!({ "input": { "lines": lines(2200) } })).await;
    assert_eq!(body["data"]["simulateRouting"]["userErrors"][0]["code"], "INVALID_INPUT", "{body}");
}

#[tokio::test]
async fn an_order_total_that_would_overflow_is_refused() {
    let app = TestApp::spawn(Backend::Postgres).await;
    // The largest price the catalogue takes, on a product that needs no stock.
    app.create_product_with(json!({ "sku": "DEAR", "name": "Dear", "kind": "DIGITAL", "price": { "amount": "1000000000.00", "currency": "EUR" } })).await;
    let before = app.snapshot().await;
    let lines = Value::Array(vec![json!({ "sku": "DEAR", "quantity": 1_000_000 }); 100]);
    let (status, body) = app
        .post(
            Some(&app.token(Role::Agent)),
            None,
            &json!({ "query": PLACE_ORDER, "variables": { "input": ship_to_paris("capacity@example.com", lines) } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let errors = &body["data"]["placeOrder"]["userErrors"];
    assert_eq!(errors[0]["code"], "INVALID_INPUT", "{body}");
    assert_eq!(errors[0]["field"][0], "lines", "{body}");
    assert_eq!(app.snapshot().await, before, "a refused order writes nothing");
}

#[tokio::test]
async fn the_promise_takes_the_address_place_order_takes() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_product("ADDR", "10.00").await;
    app.create_location("WH-ADDR", false, 10, "4.90").await;
    app.receive("ADDR", "WH-ADDR", 5).await;
    let address = ship_to_paris("capacity@example.com", json!([]))["shippingAddress"].clone();
    let mut full = address.clone();
    full["name"] = json!("Ada Lovelace");
    full["line2"] = json!("3e étage");
    full["region"] = json!("Île-de-France");
    let body = app
        .gql(None, PROMISE, json!({ "input": { "lines": [{ "sku": "ADDR", "quantity": 1 }], "address": full } }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["availableToPromise"]["userErrors"], json!([]), "{body}");
    let options = body["data"]["availableToPromise"]["options"].as_array().expect("options").clone();
    assert!(options.iter().any(|o| o["deliveryMethod"] == "SHIP" && o["available"] == true), "{options:?}");
}
