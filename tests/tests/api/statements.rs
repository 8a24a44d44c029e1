//! What `placeOrder` costs the database, in statements: the hot path of the whole service. A
//! known customer's order of a few lines from one location pays no read of data that rarely
//! changes (locations, rules and tax rates come from the process's reference copy) and writes
//! each table's rows in one statement, so more lines do not mean more statements, except the
//! one conditional reserve per stock level.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use domain::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp};

/// Only the order's id back: the count is the capture's, not the reads of a richer answer.
const PLACE_ORDER: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number } userErrors { code message } } }";

/// The statements sea-orm sends for one order (BEGIN and COMMIT are not counted).
async fn statements_for(app: &TestApp, counter: &AtomicUsize, email: &str, lines: Value) -> usize {
    let agent = app.token(Role::Agent);
    counter.store(0, Ordering::SeqCst);
    let body = app.gql(Some(&agent), PLACE_ORDER, json!({ "input": order_input(email, lines) })).await;
    assert_eq!(body["data"]["placeOrder"]["userErrors"], json!([]), "{body}");
    counter.load(Ordering::SeqCst)
}

#[tokio::test]
async fn place_order_statements_grow_only_with_the_stock_levels_it_reserves() {
    let counter = Arc::new(AtomicUsize::new(0));
    let app = TestApp::spawn_counting(Backend::Postgres, Some(counter.clone())).await;
    app.create_location("WH-A", false, 1, "4.90").await;
    for sku in ["A", "B", "C", "D", "E"] {
        app.create_product(sku, "10.00").await;
        app.receive(sku, "WH-A", 1000).await;
    }
    let line = |sku: &str| json!({ "sku": sku, "quantity": 1 });
    // The first order of a process loads the reference copy and creates the customer.
    statements_for(&app, &counter, "known@example.com", json!([line("A")])).await;

    let one = statements_for(&app, &counter, "known@example.com", json!([line("A")])).await;
    let two = statements_for(&app, &counter, "known@example.com", json!([line("A"), line("B")])).await;
    let five = statements_for(
        &app,
        &counter,
        "known@example.com",
        json!([line("A"), line("B"), line("C"), line("D"), line("E")]),
    )
    .await;
    eprintln!("placeOrder statements: 1 line {one}, 2 lines {two}, 5 lines {five}");
    // Every extra line costs its one conditional reserve and nothing else.
    assert_eq!(two, one + 1, "1 line: {one}, 2 lines: {two}, 5 lines: {five}");
    assert_eq!(five, one + 4, "1 line: {one}, 5 lines: {five}");
    // The reference token, products, customer, stock levels, a reserve per level, the order
    // number and one write of all the order's rows (PostgreSQL logs BEGIN and COMMIT around them).
    assert!(two <= 8, "a 2-line order took {two} statements (1 line: {one})");
}
