//! A page of orders with everything a desk shows costs a bounded number of SQL statements,
//! however many orders, lines and fulfilment orders it holds: nested lists go through
//! DataLoaders, never one query per row.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use domain::auth::Role;
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

async fn statements_for_a_page(app: &TestApp, counter: &AtomicUsize) -> (usize, usize) {
    counter.store(0, Ordering::SeqCst);
    let body = app.gql(Some(&app.admin()), PAGE, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let orders = body["data"]["orders"]["edges"].as_array().expect("edges").len();
    (orders, counter.load(Ordering::SeqCst))
}

#[tokio::test]
async fn a_page_of_orders_costs_a_bounded_number_of_statements_for_3_or_30_orders() {
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
    let (few, few_statements) = statements_for_a_page(&app, &counter).await;
    for i in 3..30 {
        let body = app
            .gql(
                Some(&agent),
                PLACE_ORDER,
                json!({ "input": order_input(&format!("c{i}@example.com"), lines.clone()) }),
            )
            .await;
        assert!(body["data"]["placeOrder"]["order"].is_object(), "{body}");
    }
    let (many, many_statements) = statements_for_a_page(&app, &counter).await;
    assert_eq!((few, many), (3, 30));
    // Batches may split when resolvers reach a loader a moment apart, so the count wobbles by a
    // statement or two; one query per row would cost hundreds here.
    assert!(few_statements <= 20 && many_statements <= 20, "3 orders: {few_statements}, 30 orders: {many_statements}");
    assert!(many_statements <= few_statements + 4, "3 orders: {few_statements}, 30 orders: {many_statements}");
}
