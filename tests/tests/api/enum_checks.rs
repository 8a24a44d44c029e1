//! The database refuses enum values the code cannot read (migration `m20261125_000009_enum_checks`):
//! its lists are written out in the migration, so this proves they match `entities::enums`.
//! Every variant of every enum can be stored, and an unknown value is refused, on both backends.
use entities::enums::{
    BackorderPolicy, Channel, DeliveryMethod, FulfillmentStatus, LocationKind, MovementKind, OrderStatus, ProductKind,
};
use entities::inventory_movement;
use sea_orm::sea_query::{Query, Value as SqlValue};
use sea_orm::{ActiveEnum, ConnectionTrait, EntityTrait, Iterable, ModelTrait};
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

    let row = inventory_movement::Entity::find().one(&app.db).await.expect("ledger").expect("a ledger row");
    for kind in texts::<MovementKind>() {
        assert!(insert_movement(&app, &row, &kind).await, "a {kind} ledger row was refused");
    }
    assert!(!insert_movement(&app, &row, "NOT_A_VALUE").await, "an unknown ledger kind was stored");
}
on_both_backends!(every_enum_value_is_stored_and_unknown_ones_are_refused);
