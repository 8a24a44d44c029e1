//! The agent's search: by order number, email, phone or name, typed in part; a customer's search
//! stays within their own orders; `customer(id)` lists the customer's orders.
use serde_json::{Value, json};

use super::{order, shop};
use crate::helpers::{Backend, TestApp, on_both_backends};

async fn numbers(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let document = "query($q: String) { orders(first: 50, filter: { query: $q }) { edges { node { number } } } }";
    let body = app.gql(Some(token), document, json!({ "q": query })).await;
    assert!(body.get("errors").is_none(), "{body}");
    let mut found: Vec<String> = body["data"]["orders"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["number"].as_str().unwrap_or("").to_owned())
        .collect();
    found.sort();
    found
}

fn customer_of(email: &str, name: &str, phone: &str) -> Value {
    json!({ "customer": { "email": email, "name": name, "phone": phone } })
}

async fn agents_find_orders_by_number_email_phone_or_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let lamp = json!([{ "sku": "LAMP", "quantity": 1 }]);
    let ann = order(
        &app,
        "ann.martin@example.com",
        lamp.clone(),
        customer_of("ann.martin@example.com", "Ann Martin", "+33 6 12 34 56 78"),
    )
    .await;
    let bob =
        order(&app, "bob@shop.fr", lamp.clone(), customer_of("bob@shop.fr", "Bob Dupont", "06 98 76 54 32")).await;
    let ann2 = order(
        &app,
        "ann.martin@example.com",
        lamp.clone(),
        customer_of("ann.martin@example.com", "Ann Martin", "+33 6 12 34 56 78"),
    )
    .await;
    let number = |o: &Value| o["number"].as_str().expect("number").to_owned();
    let (ann, bob, ann2) = (number(&ann), number(&bob), number(&ann2));
    let agent = app.agent();

    let mut anns = vec![ann.clone(), ann2.clone()];
    anns.sort();
    assert_eq!(numbers(&app, &agent, &bob).await, [bob.as_str()], "by number");
    assert_eq!(numbers(&app, &agent, &bob.to_lowercase()).await, [bob.as_str()], "by number, any case");
    let digits = bob.trim_start_matches("SO-").trim_start_matches('0').to_owned();
    assert!(numbers(&app, &agent, &digits).await.contains(&bob), "by the digits of the number");
    assert_eq!(numbers(&app, &agent, "ANN.MARTIN@").await, anns, "by email");
    assert_eq!(numbers(&app, &agent, "bob@shop.fr").await, [bob.as_str()], "by the whole email");
    assert_eq!(numbers(&app, &agent, "ann martin").await, anns, "by name");
    assert_eq!(numbers(&app, &agent, "+33 6 12 34").await, anns, "by phone as typed");
    assert_eq!(numbers(&app, &agent, "0698").await, [bob.as_str()], "by phone digits");
    assert!(numbers(&app, &agent, "nobody@nowhere").await.is_empty());
    assert_eq!(numbers(&app, &agent, "   ").await.len(), 3, "a blank query filters nothing");

    // A customer's search stays within their own orders.
    let customer = app.create_customer(&agent, "cy@example.com", "Cy").await;
    let token = app.customer_token(&customer);
    assert!(numbers(&app, &token, "bob").await.is_empty());

    // customer(id) lists the customer's orders, newest first.
    let body = app
        .gql(
            Some(&agent),
            "query { customers(email: \"ann.martin@example.com\", first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let ann_id = body["data"]["customers"]["edges"][0]["node"]["id"].clone();
    let body = app
        .gql(
            Some(&agent),
            "query($id: ID!) { customer(id: $id) { name orders(first: 10) { edges { node { number } } } } }",
            json!({ "id": ann_id }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let listed: Vec<&str> = body["data"]["customer"]["orders"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["number"].as_str())
        .collect();
    assert_eq!(listed, [ann2.as_str(), ann.as_str()]);
}
on_both_backends!(agents_find_orders_by_number_email_phone_or_name);
