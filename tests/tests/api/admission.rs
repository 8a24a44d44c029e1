//! The admission of mutations (`OMS_MAX_CONCURRENT_MUTATIONS`): past the limit a mutation waits
//! its turn in the `oms` process, so PostgreSQL never holds more of its transactions at once;
//! nothing is refused for it. A limit that cannot be one stops `oms` at start.
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::documents::PLACE_ORDER;
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp};
use crate::processes::{Oms, Remote, eventually};

/// The transactions open on the test's database right now, but the one holding the stock.
const OPEN_TRANSACTIONS: &str = "SELECT count(*)::bigint AS n FROM pg_stat_activity \
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> $1 AND xact_start IS NOT NULL";

/// 30 buyers at once for 10 units, through an `oms api` that runs 2 mutations at a time. The
/// test holds the stock row locked at first, so every order that started waits inside its
/// transaction: PostgreSQL then holds exactly 2 of the process's transactions, the other buyers
/// waiting in the process for their turn. Released, the stock is sold exactly, everyone else
/// hears OUT_OF_STOCK, and no request fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutations_past_the_limit_wait_their_turn() {
    const UNITS: i32 = 10;
    const BUYERS: usize = 30;
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_product("MUG", "12.50").await;
    app.create_location("WH-LYON", false, 1, "4.90").await;
    app.receive("MUG", "WH-LYON", UNITS).await;
    let oms = Oms::new(app.database_url(), &app.jwt_secret()).with("OMS_MAX_CONCURRENT_MUTATIONS", "2");
    let (_api, address) = oms.api("api-limited").await;
    let remote = Arc::new(Remote::new(address, app.admin()));

    let holder = app.db.begin().await.expect("begin");
    let sql = |s: &str| Statement::from_string(sea_orm::DbBackend::Postgres, s.to_owned());
    holder.execute_raw(sql("SELECT id FROM inventory_levels FOR UPDATE")).await.expect("lock the stock");
    let holder_pid: i32 = holder
        .query_one_raw(sql("SELECT pg_backend_pid() AS pid"))
        .await
        .expect("pid")
        .expect("a row")
        .try_get("", "pid")
        .expect("pid");
    let buyers = tokio::spawn({
        let remote = remote.clone();
        async move {
            futures::stream::iter(0..BUYERS)
                .map(|i| {
                    let remote = remote.clone();
                    let input = order_input(&format!("buyer{i}@example.com"), json!([{ "sku": "MUG", "quantity": 1 }]));
                    async move { remote.data(PLACE_ORDER, json!({ "input": input })).await["placeOrder"].clone() }
                })
                .buffer_unordered(BUYERS)
                .collect::<Vec<Value>>()
                .await
        }
    });
    let open = || async {
        let statement =
            Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, OPEN_TRANSACTIONS, [holder_pid.into()]);
        let row = app.db.query_one_raw(statement).await.expect("count").expect("a row");
        row.try_get::<i64>("", "n").expect("n")
    };
    eventually(Duration::from_secs(60), "two orders waiting on the stock", || async {
        (open().await >= 2).then_some(())
    })
    .await;
    // Time for any more to start, were the limit not kept.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(open().await, 2, "transactions of the api at once, with a limit of 2");
    holder.commit().await.expect("release the stock");

    let answers = buyers.await.expect("the buyers");
    let accepted = answers.iter().filter(|a| a["userErrors"] == json!([])).count();
    let sold_out = answers.iter().filter(|a| a["userErrors"][0]["code"] == "OUT_OF_STOCK").count();
    assert_eq!((accepted, sold_out), (UNITS as usize, BUYERS - UNITS as usize), "{answers:?}");
    let books = app.audit().await;
    assert_eq!((books.on_hand, books.reserved), (i64::from(UNITS), i64::from(UNITS)));
}

/// A limit of 0 (or not a number) is refused at start, naming the variable.
#[tokio::test]
async fn a_limit_that_cannot_be_one_stops_oms_at_start() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let oms = Oms::new(app.database_url(), &app.jwt_secret()).with("OMS_BIND", "127.0.0.1:0");
    for bad in ["0", "many"] {
        let mut api = oms.clone().with("OMS_MAX_CONCURRENT_MUTATIONS", bad).start(&format!("api-limit-{bad}"), "api");
        eventually(Duration::from_secs(60), "oms to stop", || {
            let stopped = !api.is_running();
            async move { stopped.then_some(()) }
        })
        .await;
        let log = api.log();
        assert!(log.contains("OMS_MAX_CONCURRENT_MUTATIONS") && log.contains(bad), "{log}");
    }
}
