//! Races. Many callers hit the same scarce stock, the same idempotency key, the same promo code,
//! the same brand-new inventory level and the same orders at once: every request of a story is
//! fired together (`join_all`), and afterwards the books must balance exactly. Nothing is oversold
//! or reserved twice. Every level agrees with its ledger. Every refusal is a user error that says
//! why, never a top-level error such as a deadlock.
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use domain::auth::Role;
use entities::{inventory_movement, order};
use futures::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::documents::{CANCEL_ORDER, CREATE_CUSTOMER, CREATE_PROMOTION, PLACE_ORDER, RECEIVE};
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp, on_both_backends};

// ---- What every race is judged by ---------------------------------------------------------

/// The payload of mutation `field`. A race may refuse a request with a user error; it must never
/// fail it outright with a top-level error (a deadlock, a serialisation failure, a busy database).
fn payload<'a>(body: &'a Value, field: &str) -> &'a Value {
    assert!(body.get("errors").is_none(), "a top-level error under concurrency: {body}");
    let payload = &body["data"][field];
    assert!(payload.is_object(), "no {field} payload: {body}");
    payload
}

/// The codes of a payload's user errors.
fn error_codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .expect("userErrors is a list")
        .iter()
        .map(|e| e["code"].as_str().expect("a user error has a code").to_owned())
        .collect()
}

/// Asserts the request was refused, each of its user errors with `code`.
fn assert_refused_with(payload: &Value, code: &str) {
    assert!(payload["order"].is_null(), "a refused order must not be returned: {payload}");
    let codes = error_codes(payload);
    assert!(!codes.is_empty() && codes.iter().all(|c| c == code), "expected only {code}, got {payload}");
}

/// Units of `sku` an order input's lines ask for.
fn units_wanted(lines: &Value, sku: &str) -> i64 {
    lines
        .as_array()
        .expect("lines are a list")
        .iter()
        .filter(|l| l["sku"] == sku)
        .map(|l| l["quantity"].as_i64().expect("a quantity"))
        .sum()
}

/// Units of `sku` a placed order holds, checking every line of it is fully allocated.
fn units_allocated(order: &Value, sku: &str) -> i64 {
    let lines = order["lines"].as_array().expect("an order has lines");
    lines
        .iter()
        .filter(|l| l["sku"] == sku)
        .map(|l| {
            assert_eq!(l["allocatedQuantity"], l["quantity"], "a placed line is fully allocated: {order}");
            assert_eq!(l["backorderedQuantity"], 0, "nothing is backordered: {order}");
            l["allocatedQuantity"].as_i64().expect("allocatedQuantity")
        })
        .sum()
}

fn order_number(payload: &Value) -> String {
    payload["order"]["number"].as_str().expect("an order number").to_owned()
}

/// Places an order for `email` (the request is built at once; the future borrows only the app).
fn place<'a>(app: &'a TestApp, token: &'a str, email: &str, lines: &Value) -> impl Future<Output = Value> + 'a {
    app.gql(Some(token), PLACE_ORDER, json!({ "input": order_input(email, lines.clone()) }))
}

// ---- 1. Scarce stock is never oversold ----------------------------------------------------

async fn scarce_stock_is_never_oversold(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Twelve units of a scarce product, seven near and five far; plenty of a second one far away.
    app.create_location("WH-NEAR", false, 10, "4.90").await;
    app.create_location("WH-FAR", false, 20, "6.90").await;
    app.create_product("SCARCE", "30.00").await;
    app.create_product("PLENTY", "5.00").await;
    app.receive("SCARCE", "WH-NEAR", 7).await;
    app.receive("SCARCE", "WH-FAR", 5).await;
    app.receive("PLENTY", "WH-FAR", 100).await;

    // Forty shoppers check out at the same moment, each wanting 1 to 3 of the scarce units: some
    // on two lines of the same SKU, some alongside the plentiful product.
    let carts: Vec<Value> = (0..40)
        .map(|i| match i % 5 {
            0 => json!([{ "sku": "SCARCE", "quantity": 1 }, { "sku": "SCARCE", "quantity": 1 }]),
            1 => json!([{ "sku": "SCARCE", "quantity": 1 }]),
            2 => json!([{ "sku": "SCARCE", "quantity": 3 }]),
            3 => json!([{ "sku": "SCARCE", "quantity": 2 }, { "sku": "PLENTY", "quantity": 1 }]),
            _ => json!([
                { "sku": "PLENTY", "quantity": 1 },
                { "sku": "SCARCE", "quantity": 1 },
                { "sku": "SCARCE", "quantity": 2 }
            ]),
        })
        .collect();
    let agent = app.token(Role::Agent);
    let emails: Vec<String> = (0..carts.len()).map(|i| format!("shopper{i}@example.com")).collect();
    let bodies = join_all(carts.iter().zip(&emails).map(|(lines, email)| place(&app, &agent, email, lines))).await;

    // Each shopper either got every unit asked for, or was told OUT_OF_STOCK and got nothing.
    let (mut sold_scarce, mut sold_plenty) = (0, 0);
    let mut refused_demands = Vec::new();
    let mut numbers = HashSet::new();
    for (lines, body) in carts.iter().zip(&bodies) {
        let placed = payload(body, "placeOrder");
        if placed["order"].is_null() {
            assert_refused_with(placed, "OUT_OF_STOCK");
            refused_demands.push(units_wanted(lines, "SCARCE"));
        } else {
            assert_eq!(placed["userErrors"], json!([]), "{placed}");
            let order = &placed["order"];
            assert_eq!(units_allocated(order, "SCARCE"), units_wanted(lines, "SCARCE"), "{order}");
            assert_eq!(units_allocated(order, "PLENTY"), units_wanted(lines, "PLENTY"), "{order}");
            sold_scarce += units_wanted(lines, "SCARCE");
            sold_plenty += units_wanted(lines, "PLENTY");
            assert!(numbers.insert(order_number(placed)), "an order number was given twice: {order}");
        }
    }

    // Never more than the twelve units; and a shopper was only turned away when what was left
    // could not fill the cart (stock only went down, so what is left now was left then too).
    assert!(sold_scarce <= 12, "oversold: {sold_scarce} of 12 units sold");
    let left = app.available("SCARCE").await;
    assert_eq!(left, 12 - sold_scarce, "the units sold and the units left do not add up to the stock");
    let smallest_refused = refused_demands.iter().copied().min().expect("demand far beyond the stock was refused");
    assert!(
        left < smallest_refused,
        "{left} units are still available, yet a cart of {smallest_refused} was refused as OUT_OF_STOCK"
    );
    assert_eq!(app.count("orders").await, i64::try_from(numbers.len()).expect("a small count"));

    // The books: what is reserved is exactly what the accepted orders hold, refused orders
    // (even their plentiful lines) hold nothing, and every level agrees with its ledger.
    let books = app.audit().await;
    assert_eq!(books.reserved, sold_scarce + sold_plenty);
    assert_eq!(books.on_hand, 112);
    assert_eq!(app.available("PLENTY").await, 100 - sold_plenty);
}

on_both_backends!(scarce_stock_is_never_oversold, multi_thread);

/// Carts naming the same three SKUs in opposite orders, all at once: every order reserves its
/// levels in one pass that takes their locks in id order, so none waits on another in a circle
/// (a deadlock would surface here as a top-level error once its one retry deadlocked too).
/// Each SKU has fewer units than carts want, so some passes reserve part of an order before a
/// level turns out short: what they took is given back.
async fn carts_in_opposite_orders_share_the_same_levels(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-ONE", false, 10, "4.90").await;
    let skus = ["TRIO-A", "TRIO-B", "TRIO-C"];
    for (sku, units) in skus.iter().zip([30, 25, 20]) {
        app.create_product(sku, "10.00").await;
        app.receive(sku, "WH-ONE", units).await;
    }
    let line = |sku: &str| json!({ "sku": sku, "quantity": 1 });
    let carts: Vec<Value> = (0..36)
        .map(|i| match i % 3 {
            0 => json!([line("TRIO-A"), line("TRIO-B"), line("TRIO-C")]),
            1 => json!([line("TRIO-C"), line("TRIO-B"), line("TRIO-A")]),
            _ => json!([line("TRIO-B"), line("TRIO-A")]),
        })
        .collect();
    let agent = app.token(Role::Agent);
    let emails: Vec<String> = (0..carts.len()).map(|i| format!("trio{i}@example.com")).collect();
    let bodies = join_all(carts.iter().zip(&emails).map(|(lines, email)| place(&app, &agent, email, lines))).await;

    let mut sold: HashMap<&str, i64> = HashMap::new();
    for (lines, body) in carts.iter().zip(&bodies) {
        let placed = payload(body, "placeOrder");
        if placed["order"].is_null() {
            assert_refused_with(placed, "OUT_OF_STOCK");
            continue;
        }
        for sku in skus {
            assert_eq!(units_allocated(&placed["order"], sku), units_wanted(lines, sku), "{placed}");
            *sold.entry(sku).or_default() += units_wanted(lines, sku);
        }
    }
    // TRIO-C runs out after twenty three-line carts; the two-line carts never need it.
    assert!(sold["TRIO-C"] <= 20, "oversold: {sold:?}");
    assert!(sold["TRIO-B"] <= 25, "oversold: {sold:?}");
    assert!(sold["TRIO-C"] >= 12, "three-line carts were refused while TRIO-C lasted: {sold:?}");
    for (sku, units) in skus.iter().zip([30, 25, 20]) {
        assert_eq!(app.available(sku).await, units - sold[sku], "{sku}: {sold:?}");
    }
    // Refused carts hold nothing, even the levels their pass reserved before one came up short.
    let books = app.audit().await;
    assert_eq!(books.reserved, sold.values().sum::<i64>());
    assert_eq!(books.on_hand, 75);
}

on_both_backends!(carts_in_opposite_orders_share_the_same_levels, multi_thread);

// ---- 2. One idempotency key, one order -----------------------------------------------------

/// A response with the header the helper's client does not show.
struct Reply {
    status: u16,
    replayed: bool,
    body: Value,
}

async fn post_with_key(client: &reqwest::Client, app: &TestApp, token: &str, key: &str, request: &Value) -> Reply {
    let response = client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(request)
        .send()
        .await
        .expect("send request");
    let status = response.status().as_u16();
    let replayed = response.headers().get("Idempotent-Replayed").is_some_and(|v| v == "true");
    let body = response.json::<Value>().await.expect("JSON body");
    Reply { status, replayed, body }
}

/// The one order number all these replies carry, checking each is a successful placement.
fn the_one_order(replies: &[&Reply]) -> String {
    let numbers: HashSet<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.body);
            let placed = payload(&r.body, "placeOrder");
            assert_eq!(placed["userErrors"], json!([]), "{placed}");
            order_number(placed)
        })
        .collect();
    assert_eq!(numbers.len(), 1, "one key, yet several orders: {numbers:?}");
    numbers.into_iter().next().expect("one number")
}

async fn one_idempotency_key_makes_one_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_product("TEE-1", "19.99").await;
    app.receive("TEE-1", "WH-1", 50).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
    let request = |quantity: i32| {
        let lines = json!([{ "sku": "TEE-1", "quantity": quantity }]);
        json!({ "query": PLACE_ORDER, "variables": { "input": order_input("ann@example.com", lines) } })
    };
    let checkout = request(2);

    // A flaky checkout fires the very same request ten times at once under one key: one of them
    // places the order, the nine others wait for it and replay its answer.
    let agent = app.token(Role::Agent);
    let replies = join_all((0..10).map(|_| post_with_key(&client, &app, &agent, "checkout-7f3a", &checkout))).await;
    let number = the_one_order(&replies.iter().collect::<Vec<_>>());
    assert_eq!(replies.iter().filter(|r| r.replayed).count(), 9, "all but the first are replays");
    assert_eq!(app.count("orders").await, 1);
    assert_eq!(app.sum("inventory_levels", "reserved").await, 2);

    // The same key for another request is refused and changes nothing.
    let reused = post_with_key(&client, &app, &agent, "checkout-7f3a", &request(3)).await;
    assert_eq!(reused.status, 422, "{}", reused.body);
    assert_eq!(reused.body["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_REUSED", "{}", reused.body);
    assert_eq!(app.count("orders").await, 1);

    // A later retry of the original still replays the same order.
    let retry = post_with_key(&client, &app, &agent, "checkout-7f3a", &checkout).await;
    assert!(retry.replayed);
    assert_eq!(the_one_order(&[&retry]), number);

    // Keys belong to their caller: an admin who happens to send the same key and body places an
    // order of its own.
    let admin = post_with_key(&client, &app, &app.admin(), "checkout-7f3a", &checkout).await;
    assert!(!admin.replayed, "another caller's key was replayed: {}", admin.body);
    assert_ne!(the_one_order(&[&admin]), number);
    assert_eq!(app.count("orders").await, 2);

    // Two customers' phones send the very same body under the very same key, five times each,
    // all at once: one order each.
    let mut customer_tokens = Vec::new();
    for email in ["bea@example.com", "carl@example.com"] {
        let data = app.admin_data(CREATE_CUSTOMER, json!({ "input": { "email": email, "name": "Customer" } })).await;
        assert_eq!(data["createCustomer"]["userErrors"], json!([]), "{data}");
        let id = data["createCustomer"]["customer"]["id"].as_str().expect("customer id");
        customer_tokens.push(app.customer_token(id));
    }
    let mut own_checkout = checkout.clone();
    own_checkout["variables"]["input"].as_object_mut().expect("an input object").remove("customer");
    let replies = join_all(
        (0..10).map(|i| post_with_key(&client, &app, &customer_tokens[i % 2], "phone-checkout-1", &own_checkout)),
    )
    .await;
    let mut per_customer = Vec::new();
    for who in 0..2 {
        let theirs: Vec<&Reply> = replies.iter().skip(who).step_by(2).collect();
        per_customer.push(the_one_order(&theirs));
        assert_eq!(theirs.iter().filter(|r| r.replayed).count(), 4, "all but the first are replays");
    }
    assert_ne!(per_customer[0], per_customer[1], "two customers' keys were mixed up");
    assert_eq!(app.count("orders").await, 4);

    let books = app.audit().await;
    assert_eq!(books.reserved, 8);
}

on_both_backends!(one_idempotency_key_makes_one_order, multi_thread);

// ---- 3. A promo code's usage limit holds ---------------------------------------------------

async fn promo_usage_limit_holds_under_a_rush(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_product("TEE-1", "20.00").await;
    app.receive("TEE-1", "WH-1", 100).await;
    let data = app
        .admin_data(CREATE_PROMOTION, json!({ "input": { "code": "FIRST3", "percentOff": "10", "usageLimit": 3 } }))
        .await;
    assert_eq!(data["createPromotion"]["userErrors"], json!([]), "{data}");

    // Twelve shoppers rush to use a code good for three orders; there is stock for them all.
    let agent = app.token(Role::Agent);
    let bodies = join_all((0..12).map(|i| {
        let mut input = order_input(&format!("rush{i}@example.com"), json!([{ "sku": "TEE-1", "quantity": 2 }]));
        input["promoCode"] = json!("first3");
        app.gql(Some(&agent), PLACE_ORDER, json!({ "input": input }))
    }))
    .await;

    let mut placed_units = 0;
    let mut placed = 0;
    for body in &bodies {
        let p = payload(body, "placeOrder");
        if p["order"].is_null() {
            assert_refused_with(p, "PROMO_CODE_INVALID");
        } else {
            assert_eq!(p["userErrors"], json!([]), "{p}");
            assert_eq!(p["order"]["totals"]["discount"]["amount"], "4.00", "the code's 10% off: {p}");
            placed_units += units_allocated(&p["order"], "TEE-1");
            placed += 1;
        }
    }
    assert_eq!(placed, 3, "exactly the usage limit of orders got the code");
    assert_eq!(app.sum("promotions", "used_count").await, 3);
    assert_eq!(app.count("orders").await, 3);

    // The nine refused orders reserved nothing, not even for a moment that stuck.
    let books = app.audit().await;
    assert_eq!(books.reserved, placed_units);
    assert_eq!(books.reserved, 6);

    // The code stays used up.
    let mut input = order_input("late@example.com", json!([{ "sku": "TEE-1", "quantity": 1 }]));
    input["promoCode"] = json!("FIRST3");
    let late = app.gql(Some(&agent), PLACE_ORDER, json!({ "input": input })).await;
    assert_refused_with(payload(&late, "placeOrder"), "PROMO_CODE_INVALID");
}

on_both_backends!(promo_usage_limit_holds_under_a_rush, multi_thread);

// ---- 4. Receipts and orders at once, at a level that does not exist yet --------------------

async fn receipts_and_orders_race_on_a_new_level(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-NEW", false, 10, "4.90").await;
    app.create_product("FRESH", "9.00").await;
    assert_eq!(app.count("inventory_levels").await, 0, "no stock anywhere yet");

    // A truck unloads twenty units one scan at a time — the first scans race to create the
    // level — while thirty shoppers try to buy one unit each.
    let (admin, agent) = (app.admin(), app.token(Role::Agent));
    let (app_ref, admin_ref, agent_ref) = (&app, &admin, &agent);
    let outcomes = join_all((0..50).map(|i| async move {
        if i % 5 < 2 {
            let input =
                json!({ "sku": "FRESH", "locationCode": "WH-NEW", "quantity": 1, "reference": format!("ASN-{i}") });
            (true, app_ref.gql(Some(admin_ref), RECEIVE, json!({ "input": input })).await)
        } else {
            let lines = json!([{ "sku": "FRESH", "quantity": 1 }]);
            (false, place(app_ref, agent_ref, &format!("early{i}@example.com"), &lines).await)
        }
    }))
    .await;

    let mut sold = 0;
    for (is_receipt, body) in &outcomes {
        if *is_receipt {
            let received = payload(body, "receiveInventory");
            assert_eq!(received["userErrors"], json!([]), "a receipt was refused: {received}");
        } else {
            let placed = payload(body, "placeOrder");
            if placed["order"].is_null() {
                assert_refused_with(placed, "OUT_OF_STOCK");
            } else {
                assert_eq!(units_allocated(&placed["order"], "FRESH"), 1);
                sold += 1;
            }
        }
    }

    // One level, all twenty units on hand, and only units that had arrived were sold.
    assert_eq!(app.count("inventory_levels").await, 1, "the first receipts created the level twice");
    let books = app.audit().await;
    assert_eq!(books.on_hand, 20);
    assert_eq!(books.reserved, sold);
    assert!(sold <= 20);
    assert_eq!(app.count("orders").await, sold);
    let receipts = inventory_movement::Entity::find()
        .filter(inventory_movement::Column::Kind.eq("RECEIPT"))
        .count(&app.db)
        .await
        .expect("count receipts");
    assert_eq!(receipts, 20);
}

on_both_backends!(receipts_and_orders_race_on_a_new_level, multi_thread);

// ---- 5. Cancellations release stock while new orders take it -------------------------------

async fn cancellations_and_new_orders_race(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Two products, twelve units each, split over two warehouses.
    app.create_location("WH-NEAR", false, 10, "4.90").await;
    app.create_location("WH-FAR", false, 20, "6.90").await;
    for sku in ["MUG", "CAP"] {
        app.create_product(sku, "12.00").await;
        app.receive(sku, "WH-NEAR", 6).await;
        app.receive(sku, "WH-FAR", 6).await;
    }

    // Eight orders take a mug and a cap each: the near warehouse runs dry, the far one has four
    // of each left.
    let agent = app.token(Role::Agent);
    let mut first_orders = Vec::new();
    for i in 0..8 {
        let lines = json!([{ "sku": "MUG", "quantity": 1 }, { "sku": "CAP", "quantity": 1 }]);
        let body = place(&app, &agent, &format!("first{i}@example.com"), &lines).await;
        let placed = payload(&body, "placeOrder");
        assert_eq!(placed["userErrors"], json!([]), "{placed}");
        first_orders.push(placed["order"]["id"].as_str().expect("order id").to_owned());
    }
    assert_eq!(app.available("MUG").await, 4);

    // Then, all at once: each of the eight is cancelled twice (the customer and an agent both hit
    // cancel), while sixteen new shoppers want a cap and a mug each.
    enum Op {
        Cancel(usize),
        Place(usize),
    }
    let ops: Vec<Op> = (0..32).map(|i| if i % 2 == 0 { Op::Cancel((i / 2) % 8) } else { Op::Place(i / 2) }).collect();
    let (app_ref, agent_ref, first_ref) = (&app, &agent, &first_orders);
    let outcomes = join_all(ops.iter().map(|op| async move {
        match op {
            Op::Cancel(n) => {
                let input = json!({ "orderId": first_ref[*n], "reason": "changed their mind" });
                app_ref.gql(Some(agent_ref), CANCEL_ORDER, json!({ "input": input })).await
            }
            Op::Place(n) => {
                let lines = json!([{ "sku": "CAP", "quantity": 1 }, { "sku": "MUG", "quantity": 1 }]);
                place(app_ref, agent_ref, &format!("second{n}@example.com"), &lines).await
            }
        }
    }))
    .await;

    // Each order was cancelled exactly once; its second cancel was told it already is.
    let mut cancelled_by: HashMap<usize, usize> = HashMap::new();
    let mut new_orders = 0;
    for (op, body) in ops.iter().zip(&outcomes) {
        match op {
            Op::Cancel(n) => {
                let cancel = payload(body, "cancelOrder");
                if cancel["order"].is_null() {
                    assert_eq!(error_codes(cancel), ["INVALID_STATE"], "{cancel}");
                } else {
                    assert_eq!(cancel["userErrors"], json!([]), "{cancel}");
                    assert_eq!(cancel["order"]["status"], "CANCELLED", "{cancel}");
                    *cancelled_by.entry(*n).or_default() += 1;
                }
            }
            Op::Place(_) => {
                let placed = payload(body, "placeOrder");
                if placed["order"].is_null() {
                    assert_refused_with(placed, "OUT_OF_STOCK");
                } else {
                    assert_eq!(units_allocated(&placed["order"], "MUG"), 1);
                    assert_eq!(units_allocated(&placed["order"], "CAP"), 1);
                    new_orders += 1;
                }
            }
        }
    }
    assert_eq!(cancelled_by.len(), 8, "every first order was cancelled: {cancelled_by:?}");
    assert!(cancelled_by.values().all(|n| *n == 1), "an order was cancelled twice: {cancelled_by:?}");
    // Four sets were free all along, and there are only twelve.
    assert!((4..=12).contains(&new_orders), "{new_orders} new orders placed");

    // Each cancelled order released its two units once; what is reserved is what live orders hold.
    let releases = inventory_movement::Entity::find()
        .filter(inventory_movement::Column::Kind.eq("RELEASE"))
        .count(&app.db)
        .await
        .expect("count releases");
    let released: i64 = inventory_movement::Entity::find()
        .filter(inventory_movement::Column::Kind.eq("RELEASE"))
        .all(&app.db)
        .await
        .expect("releases")
        .iter()
        .map(|m| i64::from(m.reserved_delta))
        .sum();
    assert_eq!(releases, 16, "one release per fulfilment order line of the eight orders");
    assert_eq!(released, -16, "eight orders of two units were released exactly once");
    let cancelled = order::Entity::find()
        .filter(order::Column::Status.eq("CANCELLED"))
        .count(&app.db)
        .await
        .expect("count cancelled orders");
    assert_eq!(cancelled, 8);
    let books = app.audit().await;
    assert_eq!(books.on_hand, 24);
    assert_eq!(books.reserved, 2 * new_orders);
}

on_both_backends!(cancellations_and_new_orders_race, multi_thread);
