//! The service starts, answers its probes and serves GraphiQL and GraphQL on both databases.
use serde_json::json;

use crate::helpers::{Backend, TestApp, on_both_backends};

async fn probes_and_a_first_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    let graphiql = app.get("/graphql").await;
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.expect("body").contains("graphiql"));

    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_product("TEE-1", "19.99").await;
    app.receive("TEE-1", "WH-1", 5).await;
    let payload = app.place_order(&app.admin(), "ann@example.com", json!([{ "sku": "TEE-1", "quantity": 2 }])).await;
    assert_eq!(payload["userErrors"], json!([]));
    let order = &payload["order"];
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["number"], "SO-000001");
    assert_eq!(order["totals"]["subtotal"]["amount"], "39.98");
    assert_eq!(order["totals"]["shipping"]["amount"], "4.90");
    assert_eq!(order["totals"]["total"]["amount"], "44.88");
    assert_eq!(order["fulfillmentOrders"][0]["location"]["code"], "WH-1");
    assert_eq!(order["events"][0]["kind"], "ORDER_PLACED");
    assert_eq!(app.sum("inventory_levels", "reserved").await, 2);
}

on_both_backends!(probes_and_a_first_order);
