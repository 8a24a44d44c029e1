//! Locations, routing rules, tax rates and confirmation rules are kept in each process between
//! orders (`domain::reference`). A change committed anywhere — another process's API, or an
//! operator's SQL — is in force for the very next order of every process: the copy is checked
//! against a token the change replaces in its own transaction.
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::documents::PLACE_ORDER;
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp};
use crate::processes::{Oms, Remote};

const SET_TAX_RATE: &str =
    "mutation($input: SetTaxRateInput!) { setTaxRate(input: $input) { taxRate { country } userErrors { code } } }";
const UPDATE_LOCATION: &str = "mutation($input: UpdateLocationInput!) { updateLocation(input: $input) { location { code } userErrors { code } } }";

/// Places a one-unit order of MUG; answers the placeOrder payload.
async fn place(place: impl AsyncFn(Value) -> Value, n: usize) -> Value {
    let input = order_input(&format!("ref{n}@example.com"), json!([{ "sku": "MUG", "quantity": 1 }]));
    place(json!({ "input": input })).await["placeOrder"].clone()
}

fn money(payload: &Value, field: &str) -> String {
    payload["order"]["totals"][field]["amount"].as_str().unwrap_or_default().to_owned()
}

async fn operator_sql(app: &TestApp, sql: &str) {
    app.db.execute_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.expect("operator SQL");
}

async fn stock_a_warehouse(app: &TestApp) {
    app.create_location("WH-1", false, 1, "4.90").await;
    app.create_product("MUG", "10.00").await;
    app.receive("MUG", "WH-1", 100).await;
}

/// The story on one database, whoever places the orders (`place`) and whoever changes things
/// (`app`, through its API or its database connection).
async fn changes_are_in_force_for_the_next_order(app: &TestApp, place_via: impl AsyncFn(Value) -> Value + Copy) {
    let first = place(place_via, 1).await;
    assert_eq!(first["userErrors"], json!([]), "{first}");
    assert_eq!((money(&first, "tax"), money(&first, "shipping")), ("0.00".to_owned(), "4.90".to_owned()));

    // A tax rate set through the API: the next order is taxed.
    let set = app.admin_data(SET_TAX_RATE, json!({ "input": { "country": "FR", "ratePercent": "20" } })).await;
    assert_eq!(set["setTaxRate"]["userErrors"], json!([]), "{set}");
    let taxed = place(place_via, 2).await;
    assert_eq!(money(&taxed, "tax"), "2.98", "20% of 10.00 + 4.90: {taxed}");

    // An operator's SQL on the locations table: the next order pays the new shipping rate.
    operator_sql(app, "UPDATE locations SET shipping_rate_minor = 990").await;
    let dearer = place(place_via, 3).await;
    assert_eq!(money(&dearer, "shipping"), "9.90", "{dearer}");

    // The only warehouse closed through the API: the next order cannot be filled.
    let closed = app.admin_data(UPDATE_LOCATION, json!({ "input": { "code": "WH-1", "active": false } })).await;
    assert_eq!(closed["updateLocation"]["userErrors"], json!([]), "{closed}");
    let refused = place(place_via, 4).await;
    assert_eq!(refused["userErrors"][0]["code"], "OUT_OF_STOCK", "{refused}");
}

/// A separate `oms api` process places the orders; the test's own process makes the changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_committed_by_another_process_is_in_force_for_the_next_order() {
    let app = TestApp::spawn(Backend::Postgres).await;
    stock_a_warehouse(&app).await;
    let oms = Oms::new(app.database_url(), &app.jwt_secret());
    let (_api, address) = oms.api("api-reference").await;
    let remote = Remote::new(address, app.admin());
    let remote = &remote;
    changes_are_in_force_for_the_next_order(&app, async |variables| remote.data(PLACE_ORDER, variables).await).await;
}

/// The embedded default: SQLite's triggers keep the copy honest too.
#[tokio::test]
async fn on_sqlite_a_change_is_in_force_for_the_next_order() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    stock_a_warehouse(&app).await;
    let app = &app;
    changes_are_in_force_for_the_next_order(app, async |variables| {
        let body = app.gql(Some(&app.admin()), PLACE_ORDER, variables).await;
        assert!(body.get("errors").is_none(), "{body}");
        body["data"].clone()
    })
    .await;
}
