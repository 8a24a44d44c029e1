//! Several API replicas on one database, as production scales out: the guarantees hold across
//! servers with their own connection pools, not only inside one.
use domain::auth::Role;
use futures::future::join_all;
use serde_json::{Value, json};

use crate::documents::PLACE_ORDER;
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp, on_both_backends};

async fn post(client: &reqwest::Client, address: &str, token: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = client.post(format!("{address}/graphql")).bearer_auth(token).json(body);
    if let Some(k) = key {
        request = request.header("Idempotency-Key", k);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

async fn two_replicas_share_the_stock_and_the_keys(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let replica = app.spawn_replica().await;
    app.create_location("WH-1", false, 1, "4.90").await;
    app.create_location("WH-2", false, 2, "4.90").await;
    app.create_product("SCARCE", "10.00").await;
    app.receive("SCARCE", "WH-1", 7).await;
    app.receive("SCARCE", "WH-2", 5).await;
    let agent = app.token(Role::Agent);
    let client = reqwest::Client::new();

    // 30 orders of one or two units, alternating between the two servers, all at once.
    let requests: Vec<(String, Value)> = (0..30)
        .map(|i| {
            let address = if i % 2 == 0 { app.address.clone() } else { replica.address.clone() };
            let lines = json!([{ "sku": "SCARCE", "quantity": 1 + i % 2 }]);
            (address, json!({ "query": PLACE_ORDER, "variables": { "input": order_input(&format!("r{i}@example.com"), lines) } }))
        })
        .collect();
    let replies = join_all(requests.iter().map(|(address, body)| post(&client, address, &agent, None, body))).await;
    let mut sold = 0;
    for (status, body) in &replies {
        assert_eq!(*status, 200, "{body}");
        let payload = &body["data"]["placeOrder"];
        if payload["order"].is_object() {
            sold += payload["order"]["lines"][0]["allocatedQuantity"].as_i64().expect("allocated");
        } else {
            assert_eq!(payload["userErrors"][0]["code"], "OUT_OF_STOCK", "{body}");
        }
    }
    assert!(sold <= 12, "sold {sold} of 12 units");
    assert_eq!(app.sum("inventory_levels", "reserved").await, sold);
    assert!(domain::inventory::ledger_discrepancies(&app.db).await.expect("audit").is_empty());

    // One idempotency key sent to both servers at once: one order.
    app.receive("SCARCE", "WH-1", 10).await;
    let body = json!({ "query": PLACE_ORDER, "variables": { "input": order_input("keyed@example.com", json!([{ "sku": "SCARCE", "quantity": 1 }])) } });
    let before = app.count("orders").await;
    let keyed = join_all((0..8).map(|i| {
        let address = if i % 2 == 0 { &app.address } else { &replica.address };
        post(&client, address, &agent, Some("replica-key-1"), &body)
    }))
    .await;
    let numbers: Vec<&Value> = keyed.iter().map(|(_, b)| &b["data"]["placeOrder"]["order"]["number"]).collect();
    assert!(numbers.iter().all(|n| *n == numbers[0] && n.is_string()), "{keyed:?}");
    assert_eq!(app.count("orders").await, before + 1);
}

on_both_backends!(two_replicas_share_the_stock_and_the_keys, multi_thread);
