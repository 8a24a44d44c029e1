//! Notes: internal ones for staff and ones the customer reads, both on the timeline; the
//! internal ones never reach a customer.
use serde_json::json;

use super::{done, id, order, shop};
use crate::helpers::{Backend, TestApp, on_both_backends};

async fn internal_notes_never_reach_the_customer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let customer = app.create_customer(&app.agent(), "ann@example.com", "Ann").await;
    let token = app.customer_token(&customer);
    let placed = order(&app, "ann@example.com", json!([{ "sku": "LAMP", "quantity": 1 }]), json!({})).await;

    let internal = "Customer called twice, very upset: offer free shipping next time";
    let public = "We have asked the warehouse to pack your lamp with extra care.";
    let note = |text: &str, visibility: &str| json!({ "orderId": id(&placed), "text": text, "visibility": visibility });
    done(&app, &app.agent(), "addOrderNote", "order { version }", note(internal, "INTERNAL")).await;
    let added = done(&app, &app.agent(), "addOrderNote", "order { version }", note(public, "CUSTOMER")).await;
    assert_eq!(added["order"]["version"], 1, "a note changes nothing of the order");

    let document = "query($id: ID!) { order(id: $id) { events { kind actorRole actor message } } }";
    let staff = app.gql(Some(&app.agent()), document, json!({ "id": id(&placed) })).await;
    let events = staff["data"]["order"]["events"].as_array().expect("events").clone();
    let notes: Vec<_> = events.iter().filter(|e| e["kind"].as_str().is_some_and(|k| k.contains("NOTE"))).collect();
    assert_eq!(notes.len(), 2, "{staff}");
    assert_eq!(notes[0]["kind"], "INTERNAL_NOTE_ADDED");
    assert_eq!(notes[0]["message"], internal);
    assert_eq!(notes[1]["kind"], "CUSTOMER_NOTE_ADDED");

    let theirs = app.gql(Some(&token), document, json!({ "id": id(&placed) })).await;
    assert!(theirs.get("errors").is_none(), "{theirs}");
    let text = theirs.to_string();
    assert!(!text.contains("upset") && !text.contains("INTERNAL_NOTE_ADDED"), "{theirs}");
    let last = theirs["data"]["order"]["events"].as_array().and_then(|e| e.last()).expect("an entry").clone();
    assert_eq!(
        last,
        json!({ "kind": "CUSTOMER_NOTE_ADDED", "actorRole": "agent", "actor": "agent", "message": public })
    );

    // Customers do not write notes; a blank note is refused.
    let body = super::call(&app, &token, "addOrderNote", "order { id }", note("hello", "CUSTOMER")).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    let before = app.snapshot().await;
    let body = super::call(&app, &app.agent(), "addOrderNote", "order { id }", note("  ", "INTERNAL")).await;
    assert_eq!(body["data"]["addOrderNote"]["userErrors"][0]["field"], json!(["text"]), "{body}");
    assert_eq!(app.snapshot().await, before);
}
on_both_backends!(internal_notes_never_reach_the_customer);
