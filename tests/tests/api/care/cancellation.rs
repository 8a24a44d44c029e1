//! Partial cancellation: an agent cancels some units of a line with a reason. Their stock goes
//! back to the shelf through the ledger, the order is re-priced and what was paid for them shows
//! as a refund owed; units already packed cannot be cancelled, and freed stock fills a waiting
//! backorder.
use entities::enums::MovementKind;
use entities::inventory_movement;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::{CARE_FIELDS, amount, call, done, id, kinds, line_id, order, read, shop};
use crate::helpers::{Backend, TestApp, on_both_backends};

fn cancel_input(order: &Value, lines: Value) -> Value {
    json!({ "orderId": id(order), "reason": "customer changed their mind", "lines": lines })
}

async fn cancel(app: &TestApp, order: &Value, lines: Value) -> Value {
    let selection = format!("order {{ {CARE_FIELDS} }}");
    done(app, &app.agent(), "cancelOrder", &selection, cancel_input(order, lines)).await["order"].clone()
}

async fn an_agent_cancels_some_units_and_the_refund_owed_shows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    // 3 lamps and a rug: 240.00 + 4.90 shipping, paid in full.
    let payment = json!({ "payment": { "amount": { "amount": "244.90", "currency": "EUR" }, "method": "CARD" } });
    let lines = json!([{ "sku": "LAMP", "quantity": 3 }, { "sku": "RUG", "quantity": 1 }]);
    let placed = order(&app, "ann@example.com", lines, payment).await;
    assert_eq!(app.available("LAMP").await, 7);

    let lamp = line_id(&placed, "LAMP");
    let after = cancel(&app, &placed, json!([{ "orderLineId": lamp, "quantity": 2 }])).await;
    assert_eq!(after["status"], placed["status"], "the rest of the order goes on");
    assert_eq!(after["version"], 2);
    let line = &after["lines"][0];
    assert_eq!(
        (line["quantity"].as_i64(), line["cancelledQuantity"].as_i64(), line["allocatedQuantity"].as_i64()),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(amount(&after["totals"]["total"]), "164.90");
    assert_eq!(amount(&after["balance"]["refundOwed"]), "80.00");
    assert_eq!(after["paymentStatus"], "PAID");
    assert_eq!(kinds(&after).last().map(String::as_str), Some("ORDER_PARTLY_CANCELLED"));
    let message =
        after["events"].as_array().and_then(|e| e.last()).map(|e| e["message"].to_string()).unwrap_or_default();
    assert!(message.contains("customer changed their mind") && message.contains("2 × LAMP"), "{message}");
    // The two lamps are back on the shelf, through the ledger.
    assert_eq!(app.available("LAMP").await, 9);
    let released = inventory_movement::Entity::find()
        .filter(inventory_movement::Column::Kind.eq(MovementKind::Release))
        .all(&app.db)
        .await
        .expect("ledger");
    assert_eq!(released.iter().map(|m| -m.reserved_delta).sum::<i32>(), 2, "{released:?}");
    app.audit().await;

    // The agent refunds what is owed: the balance is square.
    let refund = json!({ "orderId": id(&placed), "amount": { "amount": "80.00", "currency": "EUR" }, "reason": "2 lamps cancelled",
                         "lines": [{ "orderLineId": line_id(&placed, "LAMP"), "quantity": 2 }] });
    let refunded = done(
        &app,
        &app.agent(),
        "issueRefund",
        "order { paymentStatus balance { owed { amount } refundOwed { amount } } }",
        refund,
    )
    .await;
    assert_eq!(
        refunded["order"]["balance"],
        json!({ "owed": { "amount": "0.00" }, "refundOwed": { "amount": "0.00" } })
    );
    assert_eq!(refunded["order"]["paymentStatus"], "PARTIALLY_REFUNDED");

    // Cancelling every unit left cancels the whole order.
    let rest = json!([{ "orderLineId": line_id(&placed, "LAMP"), "quantity": 1 }, { "orderLineId": line_id(&placed, "RUG"), "quantity": 1 }]);
    let whole = cancel(&app, &placed, rest).await;
    assert_eq!(whole["status"], "CANCELLED");
    assert_eq!(amount(&whole["balance"]["refundOwed"]), "164.90");
    assert_eq!(app.available("LAMP").await, 10);
    assert_eq!(app.available("RUG").await, 3);
    app.audit().await;
}
on_both_backends!(an_agent_cancels_some_units_and_the_refund_owed_shows);

async fn packed_units_cannot_be_cancelled_and_nothing_is_written(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.confirm_by_hand("WEB").await;
    shop(&app).await;
    let lines = json!([{ "sku": "LAMP", "quantity": 2 }, { "sku": "RUG", "quantity": 1 }]);
    let placed = order(&app, "bo@example.com", lines, json!({})).await;
    app.confirm(&app.agent(), &id(&placed)).await;
    let fo = id(&placed["fulfillmentOrders"][0]);
    for step in ["acceptFulfillmentOrder", "packFulfillmentOrder"] {
        let payload = app.act(&app.admin(), step, json!({ "fulfillmentOrderId": fo })).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
    }

    let before = app.snapshot().await;
    let body = call(
        &app,
        &app.agent(),
        "cancelOrder",
        "order { id }",
        cancel_input(&placed, json!([{ "orderLineId": line_id(&placed, "RUG"), "quantity": 1 }])),
    )
    .await;
    let errors = &body["data"]["cancelOrder"]["userErrors"];
    assert_eq!(errors[0]["code"], "INVALID_STATE", "{body}");
    assert_eq!(errors[0]["field"], json!(["lines", "0", "orderLineId"]));
    assert!(errors[0]["message"].as_str().is_some_and(|m| m.contains("line 2 (RUG)")), "{body}");
    // More units than the line has, and a line named twice: every problem at once.
    let lamp = line_id(&placed, "LAMP");
    let body = call(
        &app,
        &app.agent(),
        "cancelOrder",
        "order { id }",
        cancel_input(&placed, json!([{ "orderLineId": lamp, "quantity": 1 }, { "orderLineId": lamp, "quantity": 0 }])),
    )
    .await;
    let fields: Vec<Value> = body["data"]["cancelOrder"]["userErrors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(fields, [json!(["lines", "1", "quantity"]), json!(["lines", "1", "orderLineId"])], "{body}");
    let body = call(
        &app,
        &app.agent(),
        "cancelOrder",
        "order { id }",
        cancel_input(&placed, json!([{ "orderLineId": lamp, "quantity": 5 }])),
    )
    .await;
    assert_eq!(body["data"]["cancelOrder"]["userErrors"][0]["code"], "INVALID_INPUT", "{body}");
    assert_eq!(app.snapshot().await, before);
    let seen = read(&app, &app.agent(), &id(&placed)).await;
    assert!(!kinds(&seen).contains(&"ORDER_PARTLY_CANCELLED".to_owned()));
}
on_both_backends!(packed_units_cannot_be_cancelled_and_nothing_is_written);

/// The three rugs are all on one order; another order waits for a rug. Cancelling one of the
/// three gives it to the waiting order (the backorder-fill job).
#[tokio::test]
async fn a_cancelled_unit_fills_a_waiting_backorder() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.confirm_by_hand("WEB").await;
    let workers = app.start_workers();
    shop(&app).await;
    let holder = order(&app, "holder@example.com", json!([{ "sku": "RUG", "quantity": 3 }]), json!({})).await;
    let waiting = order(
        &app,
        "waits@example.com",
        json!([{ "sku": "RUG", "quantity": 1 }]),
        json!({ "backorderPolicy": "BACKORDER" }),
    )
    .await;
    assert_eq!(waiting["lines"][0]["backorderedQuantity"], 1);

    cancel(&app, &holder, json!([{ "orderLineId": line_id(&holder, "RUG"), "quantity": 1 }])).await;
    app.settle().await;
    let filled = read(&app, &app.agent(), &id(&waiting)).await;
    assert_eq!(filled["lines"][0]["allocatedQuantity"], 1, "{filled}");
    assert_eq!(filled["lines"][0]["backorderedQuantity"], 0);
    assert_eq!(app.audit().await.reserved, 3);
    workers.stop().await;
}
