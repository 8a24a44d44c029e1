//! The database refuses enum values the code cannot read (migration `m20261125_000009_enum_checks`):
//! its lists are written out in the migration, so this proves they match `entities::enums`.
//! Every variant of every enum can be stored, and an unknown value is refused, on both backends.
use chrono::Utc;
use entities::enums::{
    BackorderPolicy, Channel, DeliveryMethod, FulfillmentStatus, HoldType, JobStatus, LocationKind, MovementKind,
    NotificationStatus, OrderEventKind, OrderStatus, PaymentMethod, ProductKind, WebhookDeliveryStatus,
};
use entities::{fulfillment_order, inventory_movement, job, notification, order, webhook_delivery};
use sea_orm::sea_query::{Query, Value as SqlValue};
use sea_orm::{ActiveEnum, ConnectionTrait, EntityTrait, Iterable, ModelTrait};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, on_both_backends};

/// Every stored text of an enum.
fn texts<E: ActiveEnum<Value = String> + Iterable>() -> Vec<String> {
    E::iter().map(|v| v.to_value()).collect()
}

/// Sets `column` of every row of `table` to each of `values`, which must be accepted, then to an
/// unknown value, which must be refused.
async fn check_updates(app: &TestApp, table: &str, column: &str, values: Vec<String>) {
    for value in &values {
        let sql = format!("UPDATE {table} SET {column} = '{value}'");
        let done = app.db.execute_unprepared(&sql).await;
        assert!(done.is_ok_and(|r| r.rows_affected() > 0), "{table}.{column} refused {value}");
    }
    let refused = app.db.execute_unprepared(&format!("UPDATE {table} SET {column} = 'NOT_A_VALUE'")).await;
    assert!(refused.is_err(), "{table}.{column} accepted an unknown value");
    let refused = app.db.execute_unprepared(&format!("UPDATE {table} SET {column} = lower('{}')", values[0])).await;
    assert!(refused.is_err(), "{table}.{column} accepted a lower-case value");
}

/// Inserts a copy of a ledger row whose kind is `kind`: the insert path of the same rule.
async fn insert_movement(app: &TestApp, row: &inventory_movement::Model, kind: &str) -> bool {
    let mut insert = Query::insert();
    insert.into_table(inventory_movement::Entity);
    let columns: Vec<inventory_movement::Column> = inventory_movement::Column::iter().collect();
    let values: Vec<SqlValue> = columns
        .iter()
        .map(|c| match c {
            inventory_movement::Column::Id => SqlValue::from(Uuid::new_v4()),
            inventory_movement::Column::Kind => SqlValue::from(kind.to_owned()),
            other => row.get(*other),
        })
        .collect();
    insert.columns(columns);
    insert.values_panic(values.into_iter().map(Into::into));
    app.db.execute(&insert).await.is_ok()
}

async fn every_enum_value_is_stored_and_unknown_ones_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_product("ENUM-1", "10.00").await;
    app.create_location("WH-ENUM", false, 1, "0.00").await;
    app.receive("ENUM-1", "WH-ENUM", 5).await;
    let placed = app.place_order(&app.agent(), "enum@example.com", json!([{ "sku": "ENUM-1", "quantity": 1 }])).await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");

    check_updates(&app, "orders", "status", texts::<OrderStatus>()).await;
    check_updates(&app, "orders", "channel", texts::<Channel>()).await;
    check_updates(&app, "orders", "delivery_method", texts::<DeliveryMethod>()).await;
    check_updates(&app, "orders", "backorder_policy", texts::<BackorderPolicy>()).await;
    check_updates(&app, "fulfillment_orders", "status", texts::<FulfillmentStatus>()).await;
    check_updates(&app, "inventory_movements", "kind", texts::<MovementKind>()).await;
    check_updates(&app, "locations", "kind", texts::<LocationKind>()).await;
    check_updates(&app, "products", "kind", texts::<ProductKind>()).await;
    check_updates(&app, "order_lines", "product_kind", texts::<ProductKind>()).await;
    check_updates(&app, "order_events", "kind", texts::<OrderEventKind>()).await;
    app.confirm_by_hand("WEB").await;
    check_updates(&app, "channel_confirmation_rules", "channel", texts::<Channel>()).await;

    let row = inventory_movement::Entity::find().one(&app.db).await.expect("ledger").expect("a ledger row");
    for kind in texts::<MovementKind>() {
        assert!(insert_movement(&app, &row, &kind).await, "a {kind} ledger row was refused");
    }
    assert!(!insert_movement(&app, &row, "NOT_A_VALUE").await, "an unknown ledger kind was stored");
}
on_both_backends!(every_enum_value_is_stored_and_unknown_ones_are_refused);

/// The run records of jobs, emails and webhook deliveries: one row each, every status stored,
/// an unknown one refused.
async fn run_statuses_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_product("ENUM-2", "10.00").await;
    app.create_location("WH-ENUM2", false, 1, "0.00").await;
    app.receive("ENUM-2", "WH-ENUM2", 5).await;
    let placed = app.place_order(&app.agent(), "enum2@example.com", json!([{ "sku": "ENUM-2", "quantity": 1 }])).await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let order = order::Entity::find().one(&app.db).await.expect("orders").expect("an order");
    let fo = fulfillment_order::Entity::find().one(&app.db).await.expect("fos").expect("a fulfilment order");
    let now = Utc::now();
    job::ActiveModel {
        id: Set(Uuid::now_v7()),
        dedupe_key: Set(format!("enum-check:{}", order.id)),
        queue: Set("oms.notification".into()),
        kind: Set("order_confirmed".into()),
        payload: Set("{}".into()),
        status: Set(JobStatus::Queued),
        attempts: Set(0),
        max_attempts: Set(1),
        last_error: Set(None),
        next_run_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(&app.db)
    .await
    .expect("a job run");
    notification::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order.id),
        event: Set("order_confirmed".into()),
        dedupe_key: Set(format!("enum-check:{}", order.id)),
        recipient: Set("enum2@example.com".into()),
        template: Set("order_confirmed".into()),
        subject: Set(None),
        status: Set(NotificationStatus::Pending),
        attempts: Set(0),
        error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
    }
    .insert(&app.db)
    .await
    .expect("a notification");
    webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        fulfillment_order_id: Set(fo.id),
        location_id: Set(fo.location_id),
        event: Set("fulfillment_order.released".into()),
        dedupe_key: Set(format!("enum-check:{}", order.id)),
        url: Set("http://127.0.0.1:9/hook".into()),
        status: Set(WebhookDeliveryStatus::Pending),
        attempts: Set(0),
        response_status: Set(None),
        error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        delivered_at: Set(None),
    }
    .insert(&app.db)
    .await
    .expect("a webhook delivery");

    check_updates(&app, "job_runs", "status", texts::<JobStatus>()).await;
    check_updates(&app, "notifications", "status", texts::<NotificationStatus>()).await;
    check_updates(&app, "webhook_deliveries", "status", texts::<WebhookDeliveryStatus>()).await;
}
on_both_backends!(run_statuses_are_checked);

/// Order care's stored enums: a payment's method and a hold's type.
async fn payment_methods_and_hold_types_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_product("ENUM-3", "10.00").await;
    app.create_location("WH-ENUM3", false, 1, "0.00").await;
    app.receive("ENUM-3", "WH-ENUM3", 5).await;
    let mut input = crate::fixtures::order_input("enum3@example.com", json!([{ "sku": "ENUM-3", "quantity": 1 }]));
    input["payment"] = json!({ "amount": { "amount": "10.00", "currency": "EUR" }, "method": "CASH" });
    let placed = app.place(&app.agent(), input).await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let hold = app
        .gql(
            Some(&app.agent()),
            "mutation($input: PlaceHoldInput!) { placeHold(input: $input) { userErrors { code } } }",
            json!({ "input": { "orderId": placed["order"]["id"], "type": "OTHER", "reason": "enum check" } }),
        )
        .await;
    assert_eq!(hold["data"]["placeHold"]["userErrors"], json!([]), "{hold}");
    check_updates(&app, "payments", "method", texts::<PaymentMethod>()).await;
    check_updates(&app, "order_holds", "hold_type", texts::<HoldType>()).await;
}
on_both_backends!(payment_methods_and_hold_types_are_checked);
