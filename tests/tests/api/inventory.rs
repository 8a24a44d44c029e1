//! Stock: receipts, counted adjustments, safety stock, the ledger that records every change and
//! always sums to the levels, and the catalogue that stock belongs to.
use domain::auth::Role;
use serde_json::{Value, json};

use crate::documents::{RECEIVE, UPDATE_PRODUCT};
use crate::helpers::{Backend, TestApp, on_both_backends};

const ADJUST: &str = "mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) {
    inventoryLevel { onHand reserved safetyStock available } userErrors { field code message } } }";
const SAFETY: &str = "mutation($input: SetSafetyStockInput!) { setSafetyStock(input: $input) {
    inventoryLevel { onHand reserved safetyStock available } userErrors { field code message } } }";
const PRODUCT: &str = "query($sku: String!) { product(sku: $sku) {
    sku name active price { amount currency } available
    inventory { location { code } onHand reserved safetyStock available } } }";
const MOVEMENTS: &str = "query($sku: String!, $locationCode: String, $first: Int, $after: String) {
    inventoryMovements(sku: $sku, locationCode: $locationCode, first: $first, after: $after) {
        edges { cursor node { id kind onHandDelta reservedDelta onHandAfter reservedAfter safetyStockAfter
                              reason reference orderId actor location { code } } }
        pageInfo { hasNextPage hasPreviousPage endCursor } } }";
const PRODUCTS: &str = "query($filter: ProductFilter) { products(first: 100, filter: $filter) {
    edges { node { sku active } } pageInfo { hasNextPage } } }";
const ORDER_LINES: &str = "query($id: ID!) { order(id: $id) {
    totals { subtotal { amount currency } total { amount currency } }
    lines { sku name unitPrice { amount currency } lineTotal { amount currency } } } }";

// ---- Small helpers ------------------------------------------------------------------------

async fn receive(app: &TestApp, sku: &str, location: &str, quantity: i32, reference: Option<&str>) -> Value {
    let input = json!({ "sku": sku, "locationCode": location, "quantity": quantity, "reference": reference });
    app.admin_data(RECEIVE, json!({ "input": input })).await["receiveInventory"].clone()
}

async fn adjust(app: &TestApp, sku: &str, location: &str, delta: i32, expected: Option<i32>, reason: &str) -> Value {
    let input =
        json!({ "sku": sku, "locationCode": location, "delta": delta, "expectedOnHand": expected, "reason": reason });
    app.admin_data(ADJUST, json!({ "input": input })).await["adjustInventory"].clone()
}

async fn set_safety_stock(app: &TestApp, sku: &str, location: &str, quantity: i32) -> Value {
    let input = json!({ "sku": sku, "locationCode": location, "quantity": quantity });
    app.admin_data(SAFETY, json!({ "input": input })).await["setSafetyStock"].clone()
}

async fn product(app: &TestApp, sku: &str) -> Value {
    app.admin_data(PRODUCT, json!({ "sku": sku })).await["product"].clone()
}

/// (onHand, reserved, safetyStock, available) of a level as a mutation returned it.
fn level(payload: &Value) -> (i64, i64, i64, i64) {
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    let l = &payload["inventoryLevel"];
    let n = |k: &str| l[k].as_i64().unwrap_or_else(|| panic!("{k} in {l}"));
    (n("onHand"), n("reserved"), n("safetyStock"), n("available"))
}

/// Asserts a refused mutation: no level, exactly one user error with this code and field.
fn assert_refused(payload: &Value, code: &str, field: &[&str]) {
    assert_eq!(payload["inventoryLevel"], Value::Null, "{payload}");
    let errors = payload["userErrors"].as_array().expect("userErrors");
    assert_eq!(errors.len(), 1, "one user error expected: {payload}");
    assert_eq!(errors[0]["code"], code, "{payload}");
    assert_eq!(errors[0]["field"], json!(field), "{payload}");
}

/// One page of the ledger: its entries and page info.
async fn movements_page(
    app: &TestApp,
    sku: &str,
    location: Option<&str>,
    first: Option<i32>,
    after: Option<&str>,
) -> (Vec<Value>, Value) {
    let d = app
        .admin_data(MOVEMENTS, json!({ "sku": sku, "locationCode": location, "first": first, "after": after }))
        .await;
    let c = &d["inventoryMovements"];
    let nodes = c["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect();
    (nodes, c["pageInfo"].clone())
}

/// The whole ledger of a product (optionally at one location), oldest first.
async fn movements(app: &TestApp, sku: &str, location: Option<&str>) -> Vec<Value> {
    let (nodes, info) = movements_page(app, sku, location, Some(100), None).await;
    assert_eq!(info["hasNextPage"], false);
    nodes
}

fn movement_kinds(ms: &[Value]) -> Vec<&str> {
    ms.iter().map(|m| m["kind"].as_str().expect("kind")).collect()
}

/// Places an agent's order for `quantity` of `sku`; returns the `placeOrder` payload.
async fn place(app: &TestApp, sku: &str, quantity: i32) -> Value {
    app.place_order(&app.agent(), "ann@example.com", json!([{ "sku": sku, "quantity": quantity }])).await
}

// ---- Receipts ------------------------------------------------------------------------------

async fn receipts_accumulate_and_are_recorded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_location("WH-2", false, 20, "4.90").await;
    app.create_product("TEE-1", "19.99").await;

    // Two deliveries to one warehouse add up.
    let first = receive(&app, "TEE-1", "WH-1", 5, Some("PO-1001")).await;
    assert_eq!(level(&first), (5, 0, 0, 5));
    assert_eq!(first["inventoryLevel"]["location"]["code"], "WH-1");
    assert_eq!(first["inventoryLevel"]["product"]["sku"], "TEE-1");
    assert_eq!(level(&receive(&app, "TEE-1", "WH-1", 7, Some("PO-1002")).await), (12, 0, 0, 12));

    // Each is one RECEIPT in the ledger, with its reference and who booked it.
    let ledger = movements(&app, "TEE-1", None).await;
    let receipts: Vec<Value> = ledger
        .iter()
        .map(|m| {
            json!([
                m["kind"],
                m["onHandDelta"],
                m["reservedDelta"],
                m["onHandAfter"],
                m["reservedAfter"],
                m["reference"],
                m["actor"],
                m["location"]["code"],
                m["orderId"]
            ])
        })
        .collect();
    assert_eq!(
        receipts,
        vec![
            json!(["RECEIPT", 5, 0, 5, 0, "PO-1001", "test-admin", "WH-1", null]),
            json!(["RECEIPT", 7, 0, 12, 0, "PO-1002", "test-admin", "WH-1", null]),
        ]
    );

    // The product's availability is the sum over its locations, safety stock held back.
    assert_eq!(level(&receive(&app, "TEE-1", "WH-2", 3, None).await), (3, 0, 0, 3));
    assert_eq!(product(&app, "TEE-1").await["available"], 15);
    assert_eq!(level(&set_safety_stock(&app, "TEE-1", "WH-2", 1).await), (3, 0, 1, 2));
    let p = product(&app, "TEE-1").await;
    assert_eq!(p["available"], 14, "{p}");
    let mut levels: Vec<Value> = p["inventory"].as_array().expect("inventory").clone();
    levels.sort_by_key(|l| l["location"]["code"].as_str().map(str::to_owned));
    assert_eq!(
        levels,
        vec![
            json!({ "location": { "code": "WH-1" }, "onHand": 12, "reserved": 0, "safetyStock": 0, "available": 12 }),
            json!({ "location": { "code": "WH-2" }, "onHand": 3, "reserved": 0, "safetyStock": 1, "available": 2 }),
        ]
    );
    // An order reserves, and availability follows.
    assert_eq!(place(&app, "TEE-1", 4).await["userErrors"], json!([]));
    assert_eq!(product(&app, "TEE-1").await["available"], 10);
    // Anonymous shoppers see the availability too (not the levels).
    let anon = app.gql(None, "query { product(sku: \"TEE-1\") { available } }", json!({})).await;
    assert_eq!(anon["data"]["product"]["available"], 10, "{anon}");

    // Receipts that make no sense are refused and change nothing.
    let before = app.snapshot().await;
    assert_refused(&receive(&app, "TEE-1", "WH-1", 0, None).await, "INVALID_INPUT", &["quantity"]);
    assert_refused(&receive(&app, "TEE-1", "WH-1", -3, None).await, "INVALID_INPUT", &["quantity"]);
    assert_refused(&receive(&app, "TEE-1", "WH-1", 1_000_001, None).await, "INVALID_INPUT", &["quantity"]);
    assert_refused(&receive(&app, "NOPE-1", "WH-1", 1, None).await, "UNKNOWN_SKU", &["sku"]);
    assert_refused(&receive(&app, "TEE-1", "WH-404", 1, None).await, "UNKNOWN_LOCATION", &["locationCode"]);
    assert_eq!(app.snapshot().await, before);
    app.assert_ledger_balances().await;
}

on_both_backends!(receipts_accumulate_and_are_recorded);

/// On hand is a 32-bit count: a receipt that would overflow it must be refused, not half-booked.
async fn a_receipt_that_would_overflow_on_hand_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_product("BOLT-1", "0.01").await;
    // 2 147 receipts of 1 000 000 (the most one receipt may bring), 60 to a request (under the
    // alias limit).
    let one = r#"receiveInventory(input: { sku: "BOLT-1", locationCode: "WH-1", quantity: 1000000 }) {
        userErrors { code } }"#;
    let batch: String = (0..60).map(|i| format!("r{i}: {one} ")).collect();
    let full = format!("mutation {{ {batch} }}");
    for _ in 0..35 {
        let d = app.admin_data(&full, json!({})).await;
        assert!(d.as_object().expect("data").values().all(|p| p["userErrors"] == json!([])), "{d}");
    }
    for _ in 0..47 {
        assert_eq!(receive(&app, "BOLT-1", "WH-1", 1_000_000, None).await["userErrors"], json!([]));
    }
    assert_eq!(app.sum("inventory_levels", "on_hand").await, 2_147_000_000);

    // 2 147 000 000 + 1 000 000 does not fit in on hand: refused, and the books still balance.
    let before = app.snapshot().await;
    let refused = receive(&app, "BOLT-1", "WH-1", 1_000_000, Some("PO-TOO-MANY")).await;
    let after = app.snapshot().await;
    let off = domain::inventory::ledger_discrepancies(&app.db).await.expect("audit the ledger");
    let ledger_entries = app.count("inventory_movements").await;
    assert!(
        refused["inventoryLevel"].is_null() && refused["userErrors"].as_array().is_some_and(|e| !e.is_empty()),
        "a receipt that would overflow on hand must be refused; got {refused}\n\
         ledger entries: {ledger_entries} (2147 receipts were booked before); levels off the ledger: {off:?}"
    );
    assert_eq!(after, before, "a refused receipt writes nothing, not even a ledger entry");
    assert!(off.is_empty(), "levels that disagree with the ledger: {off:?}");

    // What still fits is taken.
    assert_eq!(level(&receive(&app, "BOLT-1", "WH-1", 483_647, None).await), (2_147_483_647, 0, 0, 2_147_483_647));
    app.assert_ledger_balances().await;
}

on_both_backends!(a_receipt_that_would_overflow_on_hand_is_refused);

// ---- Adjustments ---------------------------------------------------------------------------

async fn adjustments_are_compare_and_set_and_never_go_below_reserved(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_product("TEE-1", "19.99").await;
    app.receive("TEE-1", "WH-1", 10).await;

    // A count based on the current figure is booked.
    assert_eq!(level(&adjust(&app, "TEE-1", "WH-1", -2, Some(10), "cycle count").await), (8, 0, 0, 8));

    // The same count again is stale: on hand is no longer 10. Nothing changes.
    let before = app.snapshot().await;
    let stale = adjust(&app, "TEE-1", "WH-1", -2, Some(10), "cycle count").await;
    assert_refused(&stale, "STALE_VERSION", &["expectedOnHand"]);
    assert_eq!(app.snapshot().await, before);

    // Six units are promised to an order: on hand may not drop below them.
    assert_eq!(place(&app, "TEE-1", 6).await["userErrors"], json!([]));
    let before = app.snapshot().await;
    assert_refused(&adjust(&app, "TEE-1", "WH-1", -3, None, "damaged").await, "INSUFFICIENT_STOCK", &["delta"]);
    assert_refused(&adjust(&app, "TEE-1", "WH-1", -3, Some(8), "damaged").await, "INSUFFICIENT_STOCK", &["delta"]);
    assert_refused(&adjust(&app, "TEE-1", "WH-1", -9, Some(8), "damaged").await, "INSUFFICIENT_STOCK", &["delta"]);
    // Nonsense is refused too.
    assert_refused(&adjust(&app, "TEE-1", "WH-1", 0, None, "nothing").await, "INVALID_INPUT", &["delta"]);
    assert_refused(&adjust(&app, "TEE-1", "WH-1", -1, None, "  ").await, "INVALID_INPUT", &["reason"]);
    assert_refused(&adjust(&app, "TEE-1", "WH-1", 1_000_001, None, "typo").await, "INVALID_INPUT", &["delta"]);
    assert_refused(&adjust(&app, "NOPE-1", "WH-1", 1, None, "count").await, "UNKNOWN_SKU", &["sku"]);
    assert_eq!(app.snapshot().await, before);

    // Down to exactly what is reserved is allowed; then nothing is available.
    assert_eq!(level(&adjust(&app, "TEE-1", "WH-1", -2, Some(8), "damaged").await), (6, 6, 0, 0));
    assert_eq!(level(&adjust(&app, "TEE-1", "WH-1", 4, None, "found in returns bay").await), (10, 6, 0, 4));

    let ledger = movements(&app, "TEE-1", Some("WH-1")).await;
    assert_eq!(movement_kinds(&ledger), ["RECEIPT", "ADJUSTMENT", "RESERVE", "ADJUSTMENT", "ADJUSTMENT"]);
    let adjustments: Vec<Value> = ledger
        .iter()
        .filter(|m| m["kind"] == "ADJUSTMENT")
        .map(|m| json!([m["onHandDelta"], m["onHandAfter"], m["reservedAfter"], m["reason"]]))
        .collect();
    assert_eq!(
        adjustments,
        vec![json!([-2, 8, 0, "cycle count"]), json!([-2, 6, 6, "damaged"]), json!([4, 10, 6, "found in returns bay"])]
    );
    app.assert_ledger_balances().await;
}

on_both_backends!(adjustments_are_compare_and_set_and_never_go_below_reserved);

// ---- Safety stock --------------------------------------------------------------------------

async fn safety_stock_is_never_promised(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_product("TEE-1", "19.99").await;
    app.receive("TEE-1", "WH-1", 10).await;

    // Three units held back: seven can be promised.
    assert_eq!(level(&set_safety_stock(&app, "TEE-1", "WH-1", 3).await), (10, 0, 3, 7));
    assert_eq!(product(&app, "TEE-1").await["available"], 7);
    let ledger = movements(&app, "TEE-1", None).await;
    let last = ledger.last().expect("a ledger entry");
    assert_eq!(
        json!([
            last["kind"],
            last["onHandDelta"],
            last["reservedDelta"],
            last["safetyStockAfter"],
            last["onHandAfter"]
        ]),
        json!(["SAFETY_STOCK", 0, 0, 3, 10])
    );

    // Eight is more than can be promised: refused, naming the line, and nothing is reserved.
    let before = app.snapshot().await;
    let refused = place(&app, "TEE-1", 8).await;
    assert_eq!(refused["order"], Value::Null);
    assert_eq!(refused["userErrors"][0]["code"], "OUT_OF_STOCK", "{refused}");
    assert_eq!(refused["userErrors"][0]["field"], json!(["lines", "0", "quantity"]));
    assert_eq!(app.snapshot().await, before);

    // Seven is fine; after it, only the safety stock remains and even one unit is refused.
    assert_eq!(place(&app, "TEE-1", 7).await["userErrors"], json!([]));
    assert_eq!(product(&app, "TEE-1").await["available"], 0);
    let before = app.snapshot().await;
    assert_eq!(place(&app, "TEE-1", 1).await["userErrors"][0]["code"], "OUT_OF_STOCK");
    assert_eq!(app.snapshot().await, before);

    // Releasing the safety stock makes it promisable again.
    assert_eq!(level(&set_safety_stock(&app, "TEE-1", "WH-1", 0).await), (10, 7, 0, 3));
    assert_eq!(place(&app, "TEE-1", 1).await["userErrors"], json!([]));
    // Safety stock above what is left makes nothing available, never a negative figure.
    assert_eq!(level(&set_safety_stock(&app, "TEE-1", "WH-1", 50).await), (10, 8, 50, 0));
    assert_eq!(product(&app, "TEE-1").await["available"], 0);
    let before = app.snapshot().await;
    assert_refused(&set_safety_stock(&app, "TEE-1", "WH-1", -1).await, "INVALID_INPUT", &["quantity"]);
    assert_eq!(app.snapshot().await, before);
    app.assert_ledger_balances().await;
}

on_both_backends!(safety_stock_is_never_promised);

// ---- The ledger ----------------------------------------------------------------------------

async fn the_ledger_pages_and_sums_to_the_levels(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.token(Role::Agent);
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_location("WH-2", false, 20, "4.90").await;
    app.create_product("TEE-1", "19.99").await;

    // A working day: deliveries, counts, safety stock, orders (one split), a cancellation.
    receive(&app, "TEE-1", "WH-1", 6, Some("PO-1")).await;
    receive(&app, "TEE-1", "WH-2", 4, Some("PO-2")).await;
    level(&adjust(&app, "TEE-1", "WH-1", -1, Some(6), "cycle count").await);
    level(&set_safety_stock(&app, "TEE-1", "WH-2", 1).await);
    let first = place(&app, "TEE-1", 3).await;
    assert_eq!(first["userErrors"], json!([]));
    let split = place(&app, "TEE-1", 4).await; // 2 left at WH-1, 3 promisable at WH-2
    assert_eq!(split["userErrors"], json!([]));
    assert_eq!(split["order"]["fulfillmentOrders"].as_array().map(Vec::len), Some(2), "{split}");
    let cancel = "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { userErrors { code } } }";
    let id = first["order"]["id"].as_str().expect("id");
    let cancelled = app.gql(Some(&agent), cancel, json!({ "input": { "orderId": id, "reason": "fraud check" } })).await;
    assert_eq!(cancelled["data"]["cancelOrder"]["userErrors"], json!([]), "{cancelled}");
    receive(&app, "TEE-1", "WH-1", 2, Some("PO-3")).await;

    let everything = movements(&app, "TEE-1", None).await;
    assert_eq!(
        movement_kinds(&everything),
        ["RECEIPT", "RECEIPT", "ADJUSTMENT", "SAFETY_STOCK", "RESERVE", "RESERVE", "RESERVE", "RELEASE", "RECEIPT"]
    );

    // Read three at a time: the same entries in the same order, none twice.
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let (nodes, info) = movements_page(&app, "TEE-1", None, Some(3), after.as_deref()).await;
        pages += 1;
        assert!(nodes.len() <= 3);
        assert_eq!(info["hasPreviousPage"], after.is_some());
        paged.extend(nodes);
        if info["hasNextPage"] == false {
            break;
        }
        after = Some(info["endCursor"].as_str().expect("endCursor").to_owned());
        assert!(pages < 10, "the pages never end");
    }
    assert_eq!(pages, 3);
    assert_eq!(paged, everything);

    // Per location, each entry's figures are the running sums of the deltas before it.
    for code in ["WH-1", "WH-2"] {
        let here = movements(&app, "TEE-1", Some(code)).await;
        assert!(!here.is_empty());
        assert!(here.iter().all(|m| m["location"]["code"] == code), "{here:?}");
        let (mut on_hand, mut reserved) = (0, 0);
        for m in &here {
            on_hand += m["onHandDelta"].as_i64().expect("onHandDelta");
            reserved += m["reservedDelta"].as_i64().expect("reservedDelta");
            assert_eq!(
                (m["onHandAfter"].as_i64(), m["reservedAfter"].as_i64()),
                (Some(on_hand), Some(reserved)),
                "{m}"
            );
        }
        let p = product(&app, "TEE-1").await;
        let level = p["inventory"]
            .as_array()
            .expect("inventory")
            .iter()
            .find(|l| l["location"]["code"] == code)
            .cloned()
            .expect("a level");
        assert_eq!((level["onHand"].as_i64(), level["reserved"].as_i64()), (Some(on_hand), Some(reserved)), "{code}");
    }
    let wh1: Vec<Value> = movements(&app, "TEE-1", Some("WH-1")).await;
    let wh2: Vec<Value> = movements(&app, "TEE-1", Some("WH-2")).await;
    assert_eq!(wh1.len() + wh2.len(), everything.len());
    app.assert_ledger_balances().await;

    // Asking about what does not exist is an error, not an empty ledger.
    let body = app.gql(Some(&app.admin()), MOVEMENTS, json!({ "sku": "NOPE-1" })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNKNOWN_SKU", "{body}");
    let body = app.gql(Some(&app.admin()), MOVEMENTS, json!({ "sku": "TEE-1", "locationCode": "WH-404" })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNKNOWN_LOCATION", "{body}");
}

on_both_backends!(the_ledger_pages_and_sums_to_the_levels);

// ---- The catalogue -------------------------------------------------------------------------

async fn update_product(app: &TestApp, input: Value) -> Value {
    app.admin_data(UPDATE_PRODUCT, json!({ "input": input })).await["updateProduct"].clone()
}

async fn order_lines(app: &TestApp, id: &str) -> Value {
    app.admin_data(ORDER_LINES, json!({ "id": id })).await["order"].clone()
}

async fn a_price_change_leaves_placed_orders_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-1", false, 10, "0.00").await;
    app.create_product("TEE-1", "19.99").await;
    app.receive("TEE-1", "WH-1", 10).await;
    let placed = place(&app, "TEE-1", 2).await;
    let old_id = placed["order"]["id"].as_str().expect("id").to_owned();
    let old = order_lines(&app, &old_id).await;

    // New price and name in the catalogue.
    let updated = update_product(
        &app,
        json!({ "sku": "TEE-1", "price": { "amount": "24.99", "currency": "EUR" }, "name": "Organic tee" }),
    )
    .await;
    assert_eq!(updated["userErrors"], json!([]), "{updated}");
    assert_eq!(updated["product"]["price"], json!({ "amount": "24.99", "currency": "EUR" }));
    assert_eq!(product(&app, "TEE-1").await["name"], "Organic tee");

    // The order placed before keeps what it was sold at, and its name then.
    assert_eq!(order_lines(&app, &old_id).await, old);
    assert_eq!(old["lines"][0]["unitPrice"], json!({ "amount": "19.99", "currency": "EUR" }));
    assert_eq!(old["lines"][0]["name"], "Product TEE-1");
    assert_eq!(old["totals"]["subtotal"]["amount"], "39.98");

    // The next order pays the new price.
    let next = place(&app, "TEE-1", 1).await;
    let next = order_lines(&app, next["order"]["id"].as_str().expect("id")).await;
    assert_eq!(next["lines"][0]["unitPrice"], json!({ "amount": "24.99", "currency": "EUR" }));
    assert_eq!(next["lines"][0]["name"], "Organic tee");

    // Taken off sale: no new orders, and the catalogue says so.
    let off = update_product(&app, json!({ "sku": "TEE-1", "active": false })).await;
    assert_eq!(off["product"]["active"], false, "{off}");
    let before = app.snapshot().await;
    let refused = place(&app, "TEE-1", 1).await;
    assert_eq!(refused["userErrors"][0]["code"], "PRODUCT_INACTIVE", "{refused}");
    assert_eq!(app.snapshot().await, before);

    // Nonsense is refused.
    let missing = update_product(&app, json!({ "sku": "NOPE-1", "name": "x" })).await;
    assert_eq!(missing["userErrors"][0]["code"], "NOT_FOUND", "{missing}");
    let negative =
        update_product(&app, json!({ "sku": "TEE-1", "price": { "amount": "-1", "currency": "EUR" } })).await;
    assert_eq!(negative["userErrors"][0]["code"], "INVALID_INPUT", "{negative}");
    assert_eq!(negative["userErrors"][0]["field"], json!(["price", "amount"]));
    assert_eq!(app.snapshot().await, before);
}

on_both_backends!(a_price_change_leaves_placed_orders_alone);

/// A line is priced in the order's currency: re-pricing the product in another currency must
/// not change what an existing order says it charged.
async fn a_currency_change_leaves_placed_orders_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-1", false, 10, "0.00").await;
    app.create_product("TEE-1", "19.99").await;
    app.receive("TEE-1", "WH-1", 10).await;
    let placed = place(&app, "TEE-1", 2).await;
    let id = placed["order"]["id"].as_str().expect("id").to_owned();
    let before = order_lines(&app, &id).await;

    let updated =
        update_product(&app, json!({ "sku": "TEE-1", "price": { "amount": "21.50", "currency": "USD" } })).await;
    assert_eq!(updated["userErrors"], json!([]), "{updated}");

    let after = order_lines(&app, &id).await;
    assert_eq!(after["totals"]["total"]["currency"], "EUR");
    assert_eq!(after["lines"][0]["unitPrice"], json!({ "amount": "19.99", "currency": "EUR" }), "{after}");
    assert_eq!(after["lines"][0]["lineTotal"], json!({ "amount": "39.98", "currency": "EUR" }), "{after}");
    assert_eq!(after, before);
}

on_both_backends!(a_currency_change_leaves_placed_orders_alone);

async fn skus(app: &TestApp, filter: Value) -> Vec<String> {
    let d = app.gql(None, PRODUCTS, json!({ "filter": filter })).await;
    assert!(d.get("errors").is_none(), "unexpected errors: {d}");
    d["data"]["products"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["sku"].as_str().expect("sku").to_owned())
        .collect()
}

async fn products_filter_by_sku_prefix_and_active(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for sku in ["TEE-S", "TEE-M", "TEE-L", "TEEX-1", "MUG-1"] {
        app.create_product(sku, "10.00").await;
    }
    assert_eq!(update_product(&app, json!({ "sku": "TEE-M", "active": false })).await["userErrors"], json!([]));

    // Oldest first; anonymous shoppers may browse.
    assert_eq!(skus(&app, Value::Null).await, ["TEE-S", "TEE-M", "TEE-L", "TEEX-1", "MUG-1"]);
    assert_eq!(skus(&app, json!({ "skuPrefix": "TEE-" })).await, ["TEE-S", "TEE-M", "TEE-L"]);
    assert_eq!(skus(&app, json!({ "skuPrefix": "TEE" })).await, ["TEE-S", "TEE-M", "TEE-L", "TEEX-1"]);
    assert_eq!(skus(&app, json!({ "skuPrefix": "TEE-", "active": true })).await, ["TEE-S", "TEE-L"]);
    assert_eq!(skus(&app, json!({ "skuPrefix": "TEE-", "active": false })).await, ["TEE-M"]);
    assert_eq!(skus(&app, json!({ "active": false })).await, ["TEE-M"]);
    assert_eq!(skus(&app, json!({ "active": true })).await, ["TEE-S", "TEE-L", "TEEX-1", "MUG-1"]);
    assert_eq!(skus(&app, json!({ "skuPrefix": "SOCK" })).await, Vec::<String>::new());
    assert_eq!(skus(&app, json!({ "skuPrefix": "MUG-1" })).await, ["MUG-1"]);
}

on_both_backends!(products_filter_by_sku_prefix_and_active);

/// SKUs may contain '_', which SQL LIKE reads as "any character": the prefix is text, matched
/// as given (and with the same case sensitivity as `product(sku:)`) on both databases.
async fn a_sku_prefix_is_text_not_a_pattern(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for sku in ["A_1", "AB1", "a_2"] {
        app.create_product(sku, "10.00").await;
    }
    assert_eq!(skus(&app, json!({ "skuPrefix": "A_" })).await, ["A_1"], "'_' is a character, not a wildcard");
    assert_eq!(skus(&app, json!({ "skuPrefix": "a_" })).await, ["a_2"], "prefixes are case-sensitive, like SKUs");
    assert_eq!(skus(&app, json!({ "skuPrefix": "%" })).await, Vec::<String>::new(), "'%' is a character too");
}

on_both_backends!(a_sku_prefix_is_text_not_a_pattern);
