//! Holds: while any hold is open nothing of the order is released to fulfilment; the release of
//! the last one releases it (a job). The holds show who placed and released them.
use serde_json::{Value, json};

use super::{id, kinds, order, read, shop};
use crate::helpers::{Backend, TestApp, on_both_backends};

const HOLD: &str =
    "hold { id type reason isOpen placedBy placedByRole releasedBy releasedByRole releasedAt releaseNote }
    order { version onHold status fulfillmentOrders { status } holds { type isOpen } }";

async fn place(app: &TestApp, order: &Value, hold_type: &str, reason: &str) -> Value {
    let input = json!({ "orderId": id(order), "type": hold_type, "reason": reason });
    super::done(app, &app.agent(), "placeHold", HOLD, input).await
}

async fn release(app: &TestApp, hold: &Value, note: &str) -> Value {
    let input = json!({ "holdId": id(&hold["hold"]), "note": note });
    super::done(app, &app.agent(), "releaseHold", HOLD, input).await
}

fn fo_statuses(order: &Value) -> Vec<String> {
    let fos = order["fulfillmentOrders"].as_array().expect("fulfilment orders");
    fos.iter().map(|f| f["status"].as_str().unwrap_or("").to_owned()).collect()
}

async fn nothing_is_released_while_a_hold_is_open(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.confirm_by_hand("WEB").await;
    let workers = app.start_workers();
    shop(&app).await;
    let placed = order(&app, "ann@example.com", json!([{ "sku": "LAMP", "quantity": 1 }]), json!({})).await;

    let fraud = place(&app, &placed, "FRAUD_REVIEW", "new customer, large basket").await;
    assert_eq!(fraud["hold"]["isOpen"], true);
    assert_eq!(
        (fraud["hold"]["placedBy"].as_str(), fraud["hold"]["placedByRole"].as_str()),
        (Some("test-agent"), Some("agent"))
    );
    assert_eq!(fraud["order"]["onHold"], true);
    let payment = place(&app, &placed, "PAYMENT", "card declined, customer will call").await;
    assert_eq!(
        payment["order"]["holds"],
        json!([{ "type": "FRAUD_REVIEW", "isOpen": true }, { "type": "PAYMENT", "isOpen": true }])
    );

    // Confirmed while held: the fulfilment order stays pending.
    app.confirm(&app.agent(), &id(&placed)).await;
    let held = read(&app, &app.agent(), &id(&placed)).await;
    assert_eq!(held["status"], "CONFIRMED");
    assert_eq!(fo_statuses(&held), ["PENDING"]);

    let one = release(&app, &fraud, "review passed").await;
    assert_eq!(one["hold"]["isOpen"], false);
    assert_eq!(one["hold"]["releasedBy"], "test-agent");
    assert_eq!(one["hold"]["releaseNote"], "review passed");
    assert!(one["hold"]["releasedAt"].is_string());
    assert_eq!(one["order"]["onHold"], true, "one hold is still open");
    app.settle().await;
    assert_eq!(fo_statuses(&read(&app, &app.agent(), &id(&placed)).await), ["PENDING"]);

    // Releasing it again is refused, and changes nothing.
    let before = app.snapshot().await;
    let body =
        super::call(&app, &app.agent(), "releaseHold", "hold { id }", json!({ "holdId": id(&fraud["hold"]) })).await;
    assert_eq!(body["data"]["releaseHold"]["userErrors"][0]["code"], "INVALID_STATE", "{body}");
    assert_eq!(app.snapshot().await, before);

    // The last release lets the order go: a job releases its fulfilment order.
    let last = release(&app, &payment, "paid by phone").await;
    assert_eq!(last["order"]["onHold"], false);
    app.settle().await;
    let released = read(&app, &app.agent(), &id(&placed)).await;
    assert_eq!(fo_statuses(&released), ["RELEASED"]);
    let k = kinds(&released);
    assert_eq!(k.iter().filter(|k| *k == "HOLD_PLACED").count(), 2);
    assert_eq!(k.iter().filter(|k| *k == "HOLD_RELEASED").count(), 2);

    // A hold on a released order calls its fulfilment order back until it is released.
    let again = place(&app, &placed, "ADDRESS_CHECK", "the building number looks wrong").await;
    assert_eq!(fo_statuses(&again["order"]), ["PENDING"]);
    release(&app, &again, "address confirmed").await;
    app.settle().await;
    assert_eq!(fo_statuses(&read(&app, &app.agent(), &id(&placed)).await), ["RELEASED"]);
    workers.stop().await;
}
on_both_backends!(nothing_is_released_while_a_hold_is_open);

/// Holds are for staff: a customer may neither place one nor read their reasons.
#[tokio::test]
async fn customers_neither_place_nor_read_holds() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    shop(&app).await;
    let customer = app.create_customer(&app.agent(), "cy@example.com", "Cy").await;
    let token = app.customer_token(&customer);
    let placed = order(&app, "cy@example.com", json!([{ "sku": "LAMP", "quantity": 1 }]), json!({})).await;
    place(&app, &placed, "FRAUD_REVIEW", "looks odd").await;

    let input = json!({ "orderId": id(&placed), "type": "OTHER", "reason": "please wait" });
    let body = super::call(&app, &token, "placeHold", "hold { id }", input).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    let body = app
        .gql(
            Some(&token),
            "query($id: ID!) { order(id: $id) { number onHold holds { reason } } }",
            json!({ "id": id(&placed) }),
        )
        .await;
    assert_eq!(body["data"]["order"]["holds"], Value::Null, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    assert_eq!(body["data"]["order"]["onHold"], true);
    // Nor does the customer's timeline show them.
    let seen = read(&app, &token, &id(&placed)).await;
    assert!(!kinds(&seen).contains(&"HOLD_PLACED".to_owned()), "{seen}");
}
