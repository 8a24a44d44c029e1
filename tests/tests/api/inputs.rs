//! Every bad input gets a clear error and loses nothing. A request the caller can fix answers
//! with `userErrors` naming the code and the path of the field at fault; a value GraphQL itself
//! cannot coerce answers with a top-level error. Either way the database is exactly as it was:
//! no order, no customer, no reservation, no promo use, no catalogue row.
use serde_json::{Value, json};

use crate::documents::{
    CREATE_CUSTOMER, CREATE_LOCATION, CREATE_PRODUCT, CREATE_PROMOTION, PLACE_ORDER, RECEIVE, UPDATE_PRODUCT,
};
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp, on_both_backends};

// ---- How a refusal is checked ----------------------------------------------------------------

/// One expected `userErrors` entry: the field path and the code.
type Expected = (&'static [&'static str], &'static str);

/// Runs `mutation` as admin with `input` and checks it was refused with exactly the `expected`
/// user errors (each with a message), that the payload's object is null, and that nothing was
/// written.
async fn assert_refused(app: &TestApp, story: &str, mutation: &str, input: Value, expected: &[Expected]) {
    let token = app.admin();
    let before = app.snapshot().await;
    let body = app.gql(Some(&token), mutation, json!({ "input": input })).await;
    assert!(body.get("errors").is_none(), "{story}: unexpected top-level errors: {body}");
    let payload = body["data"].as_object().and_then(|d| d.values().next()).expect("the mutation's payload");
    for (key, value) in payload.as_object().expect("payload object") {
        if key != "userErrors" {
            assert_eq!(*value, Value::Null, "{story}: a refused change returns no {key}: {body}");
        }
    }
    assert_eq!(user_errors(payload), sorted(expected), "{story}: {body}");
    for e in payload["userErrors"].as_array().expect("userErrors") {
        let message = e["message"].as_str().unwrap_or_default();
        assert!(!message.trim().is_empty(), "{story}: every user error explains itself: {body}");
    }
    assert_eq!(app.snapshot().await, before, "{story}: a refused request must write nothing");
}

/// Runs `mutation` as admin with raw `variables` that GraphQL cannot coerce: a top-level error,
/// no data, nothing written.
async fn assert_not_coerced(app: &TestApp, story: &str, mutation: &str, variables: Value) {
    let before = app.snapshot().await;
    let body = app.gql(Some(&app.admin()), mutation, variables).await;
    let errors = body["errors"].as_array().map(Vec::len).unwrap_or_default();
    assert!(errors > 0, "{story}: expected a top-level error: {body}");
    assert_eq!(body["data"], Value::Null, "{story}: nothing runs when the input cannot be coerced: {body}");
    assert_eq!(app.snapshot().await, before, "{story}: nothing written");
}

/// The `(field, code)` pairs of a payload's `userErrors`, sorted.
fn user_errors(payload: &Value) -> Vec<(Vec<String>, String)> {
    let mut out: Vec<(Vec<String>, String)> = payload["userErrors"]
        .as_array()
        .expect("userErrors")
        .iter()
        .map(|e| {
            let field = e["field"].as_array().expect("field").iter().map(|s| s.as_str().expect("text").to_owned());
            (field.collect(), e["code"].as_str().expect("code").to_owned())
        })
        .collect();
    out.sort();
    out
}

fn sorted(expected: &[Expected]) -> Vec<(Vec<String>, String)> {
    let mut out: Vec<(Vec<String>, String)> = expected
        .iter()
        .map(|(field, code)| (field.iter().map(|s| (*s).to_owned()).collect(), (*code).to_owned()))
        .collect();
    out.sort();
    out
}

/// `base` with the top-level keys of `patch` replaced (a null patch value clears the field).
fn with(base: Value, patch: Value) -> Value {
    let mut out = base;
    if let (Some(target), Some(changes)) = (out.as_object_mut(), patch.as_object()) {
        for (k, v) in changes {
            target.insert(k.clone(), v.clone());
        }
    }
    out
}

// ---- The shop the orders are placed in -------------------------------------------------------

const UPDATE_LOCATION: &str = "mutation($input: UpdateLocationInput!) { updateLocation(input: $input) { location { code active } userErrors { field code message } } }";
const SET_TAX_RATE: &str = "mutation($input: SetTaxRateInput!) { setTaxRate(input: $input) { taxRate { country } userErrors { field code message } } }";

/// Nobody has ordered with this address yet: an order that got through would create them.
const NEWCOMER: &str = "newcomer@example.com";

/// A shop with something of every kind to get wrong: a warehouse WH-1 (no pickup), a store
/// STORE-1 (pickup) and a closed one; TEE (4 of 5 available) and MUG (3) in EUR, CAP priced in
/// USD, an inactive OLD; an expired, a future, a used-up and a USD-only promo code.
async fn shop(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_location("STORE-1", true, 20, "0").await;
    app.create_location("STORE-CLOSED", true, 30, "0").await;
    let closed = app.admin_data(UPDATE_LOCATION, json!({ "input": { "code": "STORE-CLOSED", "active": false } })).await;
    assert_eq!(closed["updateLocation"]["location"]["active"], false, "{closed}");
    app.create_product("TEE", "19.99").await;
    app.create_product("MUG", "9.50").await;
    app.create_product("OLD", "5.00").await;
    app.create_product_with(json!({ "sku": "CAP", "name": "Cap", "price": { "amount": "15.00", "currency": "USD" } }))
        .await;
    app.receive("TEE", "WH-1", 5).await;
    app.receive("MUG", "WH-1", 3).await;
    app.receive("OLD", "WH-1", 3).await;
    let retired = app.admin_data(UPDATE_PRODUCT, json!({ "input": { "sku": "OLD", "active": false } })).await;
    assert_eq!(retired["updateProduct"]["product"]["active"], false, "{retired}");

    for promo in [
        json!({ "code": "EXPIRED", "percentOff": "10", "startsAt": "2020-01-01T00:00:00Z", "endsAt": "2020-12-31T00:00:00Z" }),
        json!({ "code": "FUTURE", "percentOff": "10", "startsAt": "2999-01-01T00:00:00Z" }),
        json!({ "code": "ONCE", "percentOff": "10", "usageLimit": 1 }),
        json!({ "code": "FIVE-USD", "amountOff": { "amount": "5.00", "currency": "USD" } }),
    ] {
        let data = app.admin_data(CREATE_PROMOTION, json!({ "input": promo })).await;
        assert_eq!(data["createPromotion"]["userErrors"], json!([]), "{data}");
    }
    // ONCE is used up by a first order, which also holds one TEE.
    let first = with(
        order_input("first@example.com", json!([{ "sku": "TEE", "quantity": 1 }])),
        json!({ "promoCode": "ONCE" }),
    );
    let placed = app.gql(Some(&app.admin()), PLACE_ORDER, json!({ "input": first })).await;
    assert_eq!(placed["data"]["placeOrder"]["userErrors"], json!([]), "{placed}");
    app
}

// ---- placeOrder --------------------------------------------------------------------------------

/// One bad order and how it must be refused.
struct BadOrder {
    story: &'static str,
    input: Value,
    expected: &'static [Expected],
    /// Also run on SQLite (the embedded mode).
    embedded: bool,
}

fn line(sku: &str, quantity: i64) -> Value {
    json!({ "sku": sku, "quantity": quantity })
}

/// A valid order for one TEE to `NEWCOMER`, changed by `patch`.
fn tee_order(patch: Value) -> Value {
    with(order_input(NEWCOMER, json!([line("TEE", 1)])), patch)
}

fn bad_orders() -> Vec<BadOrder> {
    let pickup =
        |code: Value| json!({ "deliveryMethod": "PICKUP", "pickupLocationCode": code, "shippingAddress": null });
    let promo = |code: &str| tee_order(json!({ "promoCode": code }));
    let many_lines: Vec<Value> = (0..201).map(|_| line("TEE", 1)).collect();
    vec![
        BadOrder {
            story: "an order without lines",
            input: order_input(NEWCOMER, json!([])),
            expected: &[(&["lines"], "INVALID_INPUT")],
            embedded: true,
        },
        BadOrder {
            story: "more than 200 lines",
            input: order_input(NEWCOMER, json!(many_lines)),
            expected: &[(&["lines"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "a quantity of 0",
            input: order_input(NEWCOMER, json!([line("TEE", 0)])),
            expected: &[(&["lines", "0", "quantity"], "INVALID_INPUT")],
            embedded: true,
        },
        BadOrder {
            story: "a negative quantity on the second line",
            input: order_input(NEWCOMER, json!([line("TEE", 1), line("MUG", -2)])),
            expected: &[(&["lines", "1", "quantity"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "a quantity above the 1 000 000 maximum",
            input: order_input(NEWCOMER, json!([line("TEE", 2_000_000)])),
            expected: &[(&["lines", "0", "quantity"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "the maximum quantity is valid, but there is not that much stock",
            input: order_input(NEWCOMER, json!([line("TEE", 1_000_000)])),
            expected: &[(&["lines", "0", "quantity"], "OUT_OF_STOCK")],
            embedded: false,
        },
        BadOrder {
            story: "an unknown SKU",
            input: order_input(NEWCOMER, json!([line("TEE", 1), line("NO-SUCH-SKU", 1)])),
            expected: &[(&["lines", "1", "sku"], "UNKNOWN_SKU")],
            embedded: true,
        },
        BadOrder {
            story: "a SKU that cannot exist (it has spaces)",
            input: order_input(NEWCOMER, json!([line("T E E", 1)])),
            expected: &[(&["lines", "0", "sku"], "UNKNOWN_SKU")],
            embedded: false,
        },
        BadOrder {
            story: "a product that is no longer for sale",
            input: order_input(NEWCOMER, json!([line("OLD", 1)])),
            expected: &[(&["lines", "0", "sku"], "PRODUCT_INACTIVE")],
            embedded: true,
        },
        BadOrder {
            story: "a malformed email",
            input: order_input("ann.example.com", json!([line("TEE", 1)])),
            expected: &[(&["customer", "email"], "INVALID_EMAIL")],
            embedded: true,
        },
        BadOrder {
            story: "a blank name",
            input: tee_order(json!({ "customer": { "email": NEWCOMER, "name": "   " } })),
            expected: &[(&["customer", "name"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "a phone number that is not one",
            input: tee_order(json!({ "customer": { "email": NEWCOMER, "name": "Ann", "phone": "call me" } })),
            expected: &[(&["customer", "phone"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "staff ordering for nobody",
            input: tee_order(json!({ "customer": null })),
            expected: &[(&["customer"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "every problem of the request at once",
            input: with(
                order_input("not-an-email", json!([line("TEE", 0)])),
                json!({ "customer": { "email": "not-an-email", "name": "" } }),
            ),
            expected: &[
                (&["customer", "email"], "INVALID_EMAIL"),
                (&["customer", "name"], "INVALID_INPUT"),
                (&["lines", "0", "quantity"], "INVALID_INPUT"),
            ],
            embedded: false,
        },
        BadOrder {
            story: "SHIP without a shipping address",
            input: tee_order(json!({ "shippingAddress": null })),
            expected: &[(&["shippingAddress"], "INVALID_INPUT")],
            embedded: true,
        },
        BadOrder {
            story: "a three-letter country code",
            input: tee_order(
                json!({ "shippingAddress": { "line1": "2 Rue de Rivoli", "city": "Paris", "postalCode": "75001", "country": "FRA" } }),
            ),
            expected: &[(&["shippingAddress", "country"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "a latitude without its longitude",
            input: tee_order(
                json!({ "shippingAddress": { "line1": "2 Rue de Rivoli", "city": "Paris", "postalCode": "75001", "country": "FR", "latitude": 48.86 } }),
            ),
            expected: &[(&["shippingAddress", "latitude"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "a blank street",
            input: tee_order(
                json!({ "shippingAddress": { "line1": " ", "city": "Paris", "postalCode": "75001", "country": "FR" } }),
            ),
            expected: &[(&["shippingAddress", "line1"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "a note longer than 2000 characters",
            input: tee_order(json!({ "note": "x".repeat(2001) })),
            expected: &[(&["note"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "PICKUP without a pickup location",
            input: tee_order(pickup(Value::Null)),
            expected: &[(&["pickupLocationCode"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "a pickup location on an order that ships",
            input: tee_order(json!({ "pickupLocationCode": "STORE-1" })),
            expected: &[(&["pickupLocationCode"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "PICKUP at a warehouse that offers no pickup",
            input: tee_order(pickup(json!("WH-1"))),
            expected: &[(&["pickupLocationCode"], "LOCATION_CANNOT_PICKUP")],
            embedded: true,
        },
        BadOrder {
            story: "PICKUP at a store that is closed (inactive)",
            input: tee_order(pickup(json!("STORE-CLOSED"))),
            expected: &[(&["pickupLocationCode"], "LOCATION_CANNOT_PICKUP")],
            embedded: false,
        },
        BadOrder {
            story: "PICKUP at an unknown location",
            input: tee_order(pickup(json!("NOWHERE"))),
            expected: &[(&["pickupLocationCode"], "UNKNOWN_LOCATION")],
            embedded: false,
        },
        BadOrder {
            story: "DIGITAL delivery of a physical product",
            input: tee_order(json!({ "deliveryMethod": "DIGITAL", "shippingAddress": null })),
            expected: &[(&["lines", "0", "sku"], "INVALID_INPUT")],
            embedded: false,
        },
        BadOrder {
            story: "an unknown promo code",
            input: promo("NO-SUCH-CODE"),
            expected: &[(&["promoCode"], "PROMO_CODE_INVALID")],
            embedded: false,
        },
        BadOrder {
            story: "an expired promo code",
            input: promo("EXPIRED"),
            expected: &[(&["promoCode"], "PROMO_CODE_INVALID")],
            embedded: true,
        },
        BadOrder {
            story: "a promo code that has not started yet",
            input: promo("future"),
            expected: &[(&["promoCode"], "PROMO_CODE_INVALID")],
            embedded: false,
        },
        BadOrder {
            story: "a used-up promo code",
            input: promo("ONCE"),
            expected: &[(&["promoCode"], "PROMO_CODE_INVALID")],
            embedded: true,
        },
        BadOrder {
            story: "a USD amount off on an order in EUR",
            input: promo("FIVE-USD"),
            expected: &[(&["promoCode"], "PROMO_CODE_INVALID")],
            embedded: false,
        },
        BadOrder {
            story: "not enough MUGs: only the MUG line is named",
            input: order_input(NEWCOMER, json!([line("TEE", 2), line("MUG", 10)])),
            expected: &[(&["lines", "1", "quantity"], "OUT_OF_STOCK")],
            embedded: true,
        },
        BadOrder {
            story: "two lines of one SKU that together exceed its stock: both are named",
            input: order_input(NEWCOMER, json!([line("TEE", 3), line("MUG", 1), line("TEE", 3)])),
            expected: &[(&["lines", "0", "quantity"], "OUT_OF_STOCK"), (&["lines", "2", "quantity"], "OUT_OF_STOCK")],
            embedded: false,
        },
        BadOrder {
            story: "a USD product in an EUR order",
            input: order_input(NEWCOMER, json!([line("TEE", 1), line("CAP", 1)])),
            expected: &[(&["lines", "1", "sku"], "CURRENCY_MISMATCH")],
            embedded: true,
        },
    ]
}

/// Inputs GraphQL refuses before any resolver runs.
fn uncoercible_orders() -> Vec<(&'static str, Value)> {
    let order = |lines: Value| json!({ "input": order_input(NEWCOMER, lines) });
    vec![
        (
            "a quantity that does not fit a GraphQL Int",
            order(json!([{ "sku": "TEE", "quantity": 10_000_000_000_i64 }])),
        ),
        ("a fractional quantity", order(json!([{ "sku": "TEE", "quantity": 1.5 }]))),
        ("a quantity given as text", order(json!([{ "sku": "TEE", "quantity": "1" }]))),
        ("a line without a SKU", order(json!([{ "quantity": 1 }]))),
        (
            "an unknown channel",
            json!({ "input": with(order_input(NEWCOMER, json!([line("TEE", 1)])), json!({ "channel": "FAX" })) }),
        ),
    ]
}

async fn bad_orders_are_refused_and_nothing_is_written(backend: Backend) {
    let app = shop(backend).await;
    assert_eq!(app.available("TEE").await, 4);
    assert_eq!(app.available("MUG").await, 3);
    let everything = backend == Backend::Postgres;
    for case in bad_orders().into_iter().filter(|c| everything || c.embedded) {
        assert_refused(&app, case.story, PLACE_ORDER, case.input, case.expected).await;
    }
    for (story, variables) in uncoercible_orders() {
        assert_not_coerced(&app, story, PLACE_ORDER, variables).await;
    }
    // The lines that could have been filled hold nothing either.
    assert_eq!(app.available("TEE").await, 4, "no TEE is left reserved by a refused order");
    assert_eq!(app.available("MUG").await, 3);
    assert_eq!(app.count("orders").await, 1, "only the first order exists");

    // And the same shop still takes a good order afterwards, all the stock there is.
    let placed = app.place_order(&app.admin(), NEWCOMER, json!([line("TEE", 4), line("MUG", 3)])).await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    assert_eq!(placed["order"]["status"], "PENDING");
}

on_both_backends!(bad_orders_are_refused_and_nothing_is_written);

// ---- Catalogue, locations, stock, promotions, tax ----------------------------------------------

fn product(sku: &str, amount: &str, currency: &str) -> Value {
    json!({ "sku": sku, "name": "Organic tee", "price": { "amount": amount, "currency": currency } })
}

async fn bad_products_are_refused_and_nothing_is_written(backend: Backend) {
    let app = &TestApp::spawn(backend).await;
    app.create_product("TEE", "19.99").await;
    let cases: Vec<(&str, Value, &[Expected])> = vec![
        (
            "a currency that is not ISO 4217",
            product("NEW-1", "19.99", "EURO"),
            &[(&["price", "currency"], "INVALID_CURRENCY")],
        ),
        ("a lower-case currency", product("NEW-1", "19.99", "eur"), &[(&["price", "currency"], "INVALID_CURRENCY")]),
        ("a negative price", product("NEW-1", "-1.00", "EUR"), &[(&["price", "amount"], "INVALID_INPUT")]),
        ("three decimals in EUR", product("NEW-1", "19.999", "EUR"), &[(&["price", "amount"], "INVALID_INPUT")]),
        ("decimals in JPY", product("NEW-1", "500.5", "JPY"), &[(&["price", "amount"], "INVALID_INPUT")]),
        ("a SKU with spaces", product("NEW 1", "19.99", "EUR"), &[(&["sku"], "INVALID_INPUT")]),
        ("an empty SKU", product("", "19.99", "EUR"), &[(&["sku"], "INVALID_INPUT")]),
        ("a duplicate SKU", product("TEE", "9.99", "EUR"), &[(&["sku"], "ALREADY_EXISTS")]),
        (
            "a blank name",
            with(product("NEW-1", "1.00", "EUR"), json!({ "name": " " })),
            &[(&["name"], "INVALID_INPUT")],
        ),
        (
            "a negative weight",
            with(product("NEW-1", "1.00", "EUR"), json!({ "weightGrams": -1 })),
            &[(&["weightGrams"], "INVALID_INPUT")],
        ),
    ];
    for (story, input, expected) in cases {
        assert_refused(app, story, CREATE_PRODUCT, input, expected).await;
    }
}

fn location(code: &str, country: &str, latitude: f64, longitude: f64) -> Value {
    json!({
        "code": code, "name": "Lyon warehouse", "kind": "WAREHOUSE",
        "address": { "line1": "40 Rue de Gerland", "city": "Lyon", "postalCode": "69007", "country": country,
                     "latitude": latitude, "longitude": longitude }
    })
}

async fn bad_locations_are_refused_and_nothing_is_written(backend: Backend) {
    let app = &TestApp::spawn(backend).await;
    app.create_location("WH-LYON", false, 10, "4.90").await;
    let cases: Vec<(&str, Value, &[Expected])> = vec![
        ("a latitude of 91", location("WH-NEW", "FR", 91.0, 4.83), &[(&["address", "latitude"], "INVALID_INPUT")]),
        (
            "a longitude of -181",
            location("WH-NEW", "FR", 45.7, -181.0),
            &[(&["address", "longitude"], "INVALID_INPUT")],
        ),
        (
            "a three-letter country",
            location("WH-NEW", "FRA", 45.7, 4.83),
            &[(&["address", "country"], "INVALID_INPUT")],
        ),
        ("a duplicate code", location("WH-LYON", "FR", 45.7, 4.83), &[(&["code"], "ALREADY_EXISTS")]),
        ("a code with a slash", location("WH/NEW", "FR", 45.7, 4.83), &[(&["code"], "INVALID_INPUT")]),
        (
            "a shipping rate in no currency",
            with(
                location("WH-NEW", "FR", 45.7, 4.83),
                json!({ "shippingRate": { "amount": "4.90", "currency": "XYZ" } }),
            ),
            &[(&["shippingRate", "currency"], "INVALID_CURRENCY")],
        ),
        (
            "a negative daily capacity",
            with(location("WH-NEW", "FR", 45.7, 4.83), json!({ "dailyCapacity": -1 })),
            &[(&["dailyCapacity"], "INVALID_INPUT")],
        ),
    ];
    for (story, input, expected) in cases {
        assert_refused(app, story, CREATE_LOCATION, input, expected).await;
    }
}

async fn bad_receipts_are_refused_and_nothing_is_written(backend: Backend) {
    let app = &TestApp::spawn(backend).await;
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_product("TEE", "19.99").await;
    app.create_product_with(json!({ "sku": "GIFT", "name": "E-gift card", "kind": "DIGITAL", "price": { "amount": "25.00", "currency": "EUR" } })).await;
    app.receive("TEE", "WH-1", 5).await;
    let receipt = |sku: &str, location: &str, quantity: i64| json!({ "sku": sku, "locationCode": location, "quantity": quantity });
    let cases: Vec<(&str, Value, &[Expected])> = vec![
        ("a quantity of 0", receipt("TEE", "WH-1", 0), &[(&["quantity"], "INVALID_INPUT")]),
        ("a negative quantity", receipt("TEE", "WH-1", -5), &[(&["quantity"], "INVALID_INPUT")]),
        ("more than 1 000 000 units", receipt("TEE", "WH-1", 1_000_001), &[(&["quantity"], "INVALID_INPUT")]),
        ("an unknown SKU", receipt("NOPE", "WH-1", 1), &[(&["sku"], "UNKNOWN_SKU")]),
        ("an unknown location", receipt("TEE", "NOWHERE", 1), &[(&["locationCode"], "UNKNOWN_LOCATION")]),
        (
            "both unknown",
            receipt("NOPE", "NOWHERE", 1),
            &[(&["sku"], "UNKNOWN_SKU"), (&["locationCode"], "UNKNOWN_LOCATION")],
        ),
        ("a digital product, which holds no stock", receipt("GIFT", "WH-1", 1), &[(&["sku"], "INVALID_INPUT")]),
    ];
    for (story, input, expected) in cases {
        assert_refused(app, story, RECEIVE, input, expected).await;
    }
}

async fn bad_promotions_are_refused_and_nothing_is_written(backend: Backend) {
    let app = &TestApp::spawn(backend).await;
    let data = app.admin_data(CREATE_PROMOTION, json!({ "input": { "code": "WELCOME10", "percentOff": "10" } })).await;
    assert_eq!(data["createPromotion"]["userErrors"], json!([]), "{data}");
    let cases: Vec<(&str, Value, &[Expected])> = vec![
        (
            "both percentOff and amountOff",
            json!({ "code": "BOTH", "percentOff": "10", "amountOff": { "amount": "5", "currency": "EUR" } }),
            &[(&["percentOff"], "INVALID_INPUT")],
        ),
        ("neither percentOff nor amountOff", json!({ "code": "NEITHER" }), &[(&["percentOff"], "INVALID_INPUT")]),
        ("150 percent off", json!({ "code": "TOO-MUCH", "percentOff": "150" }), &[(&["percentOff"], "INVALID_INPUT")]),
        ("0 percent off", json!({ "code": "NOTHING", "percentOff": "0" }), &[(&["percentOff"], "INVALID_INPUT")]),
        (
            "an amount off in no currency",
            json!({ "code": "FIVE", "amountOff": { "amount": "5", "currency": "EURO" } }),
            &[(&["amountOff", "currency"], "INVALID_CURRENCY")],
        ),
        (
            "endsAt before startsAt",
            json!({ "code": "BACKWARDS", "percentOff": "10", "startsAt": "2030-02-01T00:00:00Z", "endsAt": "2030-01-01T00:00:00Z" }),
            &[(&["endsAt"], "INVALID_INPUT")],
        ),
        (
            "a usage limit of 0",
            json!({ "code": "NEVER", "percentOff": "10", "usageLimit": 0 }),
            &[(&["usageLimit"], "INVALID_INPUT")],
        ),
        (
            "a code taken, in another case",
            json!({ "code": "welcome10", "percentOff": "20" }),
            &[(&["code"], "ALREADY_EXISTS")],
        ),
    ];
    for (story, input, expected) in cases {
        assert_refused(app, story, CREATE_PROMOTION, input, expected).await;
    }
}

async fn bad_tax_rates_are_refused_and_nothing_is_written(backend: Backend) {
    let app = &TestApp::spawn(backend).await;
    let cases: Vec<(&str, Value, &[Expected])> = vec![
        (
            "a rate of 101 percent",
            json!({ "country": "FR", "ratePercent": "101" }),
            &[(&["ratePercent"], "INVALID_INPUT")],
        ),
        ("a negative rate", json!({ "country": "FR", "ratePercent": "-1" }), &[(&["ratePercent"], "INVALID_INPUT")]),
        (
            "more than 4 decimals",
            json!({ "country": "FR", "ratePercent": "8.87501" }),
            &[(&["ratePercent"], "INVALID_INPUT")],
        ),
        (
            "a three-letter country",
            json!({ "country": "FRA", "ratePercent": "20" }),
            &[(&["country"], "INVALID_INPUT")],
        ),
    ];
    for (story, input, expected) in cases {
        assert_refused(app, story, SET_TAX_RATE, input, expected).await;
    }
}

/// Field paths are relative to `input`, as in every other mutation: `["email"]`, not
/// `["input", "email"]`.
async fn bad_customers_are_refused_and_nothing_is_written(backend: Backend) {
    let app = &TestApp::spawn(backend).await;
    let data = app.admin_data(CREATE_CUSTOMER, json!({ "input": { "email": "ann@example.com", "name": "Ann" } })).await;
    assert_eq!(data["createCustomer"]["userErrors"], json!([]), "{data}");
    let cases: Vec<(&str, Value, &[Expected])> = vec![
        (
            "an email taken, in another case",
            json!({ "email": "ANN@example.com", "name": "Ann" }),
            &[(&["email"], "ALREADY_EXISTS")],
        ),
        ("a malformed email", json!({ "email": "ann@localhost", "name": "Ann" }), &[(&["email"], "INVALID_EMAIL")]),
        ("a blank name", json!({ "email": "bob@example.com", "name": "  " }), &[(&["name"], "INVALID_INPUT")]),
        (
            "a phone number that is not one",
            json!({ "email": "bob@example.com", "name": "Bob", "phone": "call me" }),
            &[(&["phone"], "INVALID_INPUT")],
        ),
    ];
    for (story, input, expected) in cases {
        assert_refused(app, story, CREATE_CUSTOMER, input, expected).await;
    }
}

on_both_backends!(bad_customers_are_refused_and_nothing_is_written);

on_both_backends!(bad_products_are_refused_and_nothing_is_written);

on_both_backends!(bad_locations_are_refused_and_nothing_is_written);

on_both_backends!(bad_receipts_are_refused_and_nothing_is_written);

on_both_backends!(bad_promotions_are_refused_and_nothing_is_written);

on_both_backends!(bad_tax_rates_are_refused_and_nothing_is_written);
