//! A page of orders with everything a desk shows costs a bounded number of SQL statements,
//! however many orders, lines and fulfilment orders it holds: nested lists go through
//! DataLoaders, never one query per row.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use domain::auth::Role;
use futures::StreamExt;
use serde_json::json;

use crate::documents::PLACE_ORDER;
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp};

const PAGE: &str = "{ orders(first: 100) { edges { node {
    number status totals { total { amount } } customer { email }
    lines { sku unitPrice { amount } product { sku available inventory { onHand location { code } } } }
    fulfillmentOrders { status location { code } shippingCost { amount } lines { quantity orderLine { sku } } }
    events { kind } routingDecisions { summary }
} } } }";

/// How often a page is read to measure it.
const READS: usize = 3;

/// The orders on the page and the statements it cost: the fewest of [`READS`] reads, and the
/// most. A loader reads every key its resolvers asked for before they all waited, however slow
/// the build or busy the machine, so every read of the same page costs the same.
async fn statements_for_a_page(app: &TestApp, counter: &AtomicUsize) -> (usize, usize, usize) {
    let (mut orders, mut fewest, mut most) = (0, usize::MAX, 0);
    for _ in 0..READS {
        counter.store(0, Ordering::SeqCst);
        let body = app.gql(Some(&app.admin()), PAGE, json!({})).await;
        assert!(body.get("errors").is_none(), "{body}");
        orders = body["data"]["orders"]["edges"].as_array().expect("edges").len();
        let statements = counter.load(Ordering::SeqCst);
        (fewest, most) = (fewest.min(statements), most.max(statements));
    }
    (orders, fewest, most)
}

/// How many orders are placed at once while the page fills up.
const PLACING_AT_ONCE: usize = 8;

#[tokio::test]
async fn a_page_of_orders_costs_a_bounded_number_of_statements_for_3_or_100_orders() {
    let counter = Arc::new(AtomicUsize::new(0));
    let app = TestApp::spawn_counting(Backend::Postgres, Some(counter.clone())).await;
    app.create_location("WH-A", false, 1, "4.90").await;
    app.create_location("WH-B", false, 2, "4.90").await;
    for sku in ["A", "B"] {
        app.create_product(sku, "10.00").await;
    }
    app.receive("A", "WH-A", 1000).await;
    app.receive("B", "WH-B", 1000).await;
    let agent = app.token(Role::Agent);
    let lines = json!([{ "sku": "A", "quantity": 1 }, { "sku": "B", "quantity": 2 }]);
    for i in 0..3 {
        app.place_order(&agent, &format!("c{i}@example.com"), lines.clone()).await;
    }
    let (few, few_statements, _) = statements_for_a_page(&app, &counter).await;
    // A full page: 97 more, a few at a time (each placement is a transaction of its own).
    let placements = futures::stream::iter(3..100)
        .map(|i| {
            let input = order_input(&format!("c{i}@example.com"), lines.clone());
            let (agent, app) = (&agent, &app);
            async move { app.gql(Some(agent), PLACE_ORDER, json!({ "input": input })).await }
        })
        .buffer_unordered(PLACING_AT_ONCE);
    for body in placements.collect::<Vec<_>>().await {
        assert!(body["data"]["placeOrder"]["order"].is_object(), "{body}");
    }
    let (many, many_statements, most) = statements_for_a_page(&app, &counter).await;
    assert_eq!((few, many), (3, 100));
    // One query per row would cost well over a thousand statements here (100 orders, 200 lines,
    // their customers, products, levels, fulfilment orders, events and decisions).
    let counts = format!("3 orders: {few_statements}, 100 orders: {many_statements} (at most {most})");
    assert!(few_statements <= 20, "{counts}");
    // Each loader reads once per nesting level, whatever the page holds and however long its
    // resolvers take to ask: the same statements for 3 orders as for 100, every time.
    assert_eq!(many_statements, few_statements, "{counts}");
    assert_eq!(most, many_statements, "{counts}");
}
