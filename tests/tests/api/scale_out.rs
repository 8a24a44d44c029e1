//! Scale-out: three `oms api` processes and two `oms worker` processes on one PostgreSQL
//! database and one Redis, as a deployment behind a load balancer runs them. The stock rule does
//! not live in any one process: buyers spread over the three APIs still get exactly the stock,
//! and the workers confirm each accepted order once.
use std::time::Duration;

use domain::jobs::JobStatus;
use entities::{job, order};
use futures::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::background::redis_url;
use crate::documents::PLACE_ORDER;
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp};
use crate::processes::{Oms, RedisKeys, Remote, eventually};

/// A guard against hanging on a slow, busy machine, not a measurement.
const PATIENCE: Duration = Duration::from_secs(120);

/// 120 buyers want one unit each of a SKU with 40 units, 24 at a time, through three API
/// processes in turn: 40 orders are accepted, 80 refused as OUT_OF_STOCK, the books balance,
/// and the two workers confirm each accepted order (WEB confirms at once, in a job) exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_apis_and_two_workers_sell_exactly_the_stock() {
    const UNITS: i32 = 40;
    const BUYERS: usize = 120;
    let app = TestApp::spawn(Backend::Postgres).await;
    let keys = RedisKeys::new(redis_url());
    app.create_product("MUG", "12.50").await;
    app.create_location("WH-LYON", false, 1, "4.90").await;
    app.receive("MUG", "WH-LYON", UNITS).await;
    let mail_dir = std::env::temp_dir().join(format!("oms-scale-out-{}", uuid::Uuid::new_v4().simple()));
    let oms = Oms::new(app.database_url(), &app.jwt_secret())
        .with("REDIS_URL", &keys.url)
        .with("OMS_QUEUE_PREFIX", &keys.prefix)
        .with("OMS_MAIL_DIR", &mail_dir.display().to_string())
        .with("OMS_POLL_INTERVAL_MS", "50");
    let mut apis = Vec::new();
    for i in 1..=3 {
        apis.push(oms.api(&format!("api-{i}")).await);
    }
    let _workers = [oms.worker("worker-1"), oms.worker("worker-2")];
    let remotes: Vec<Remote> = apis.iter().map(|(_, address)| Remote::new(address.clone(), app.admin())).collect();

    // 24 in flight at any time, 8 per process: a race on one stock level across processes
    // that a busy test machine still answers within the pool's acquire timeout.
    let answers: Vec<Value> = futures::stream::iter(0..BUYERS)
        .map(|i| {
            let api = &remotes[i % remotes.len()];
            let input = order_input(&format!("buyer{i}@example.com"), json!([{ "sku": "MUG", "quantity": 1 }]));
            async move { api.data(PLACE_ORDER, json!({ "input": input })).await["placeOrder"].clone() }
        })
        .buffer_unordered(24)
        .collect()
        .await;
    let accepted = answers.iter().filter(|a| a["userErrors"] == json!([])).count();
    let sold_out = answers.iter().filter(|a| a["userErrors"][0]["code"] == "OUT_OF_STOCK").count();
    assert_eq!(accepted, UNITS as usize, "exactly the stock is sold");
    assert_eq!(sold_out, BUYERS - UNITS as usize, "everyone else is told it is sold out");
    let books = app.audit().await;
    assert_eq!((books.on_hand, books.reserved), (i64::from(UNITS), i64::from(UNITS)));

    // The workers confirm every accepted order, each confirmation job running once.
    eventually(PATIENCE, "every accepted order confirmed by the workers", || async {
        let orders = order::Entity::find().all(&app.db).await.expect("read orders");
        let confirmed = orders.iter().filter(|o| o.status.as_str() != "PENDING").count();
        (orders.len() == UNITS as usize && confirmed == UNITS as usize).then_some(())
    })
    .await;
    let runs = eventually(PATIENCE, "the confirmation jobs recorded SUCCEEDED", || async {
        let runs = job::Entity::find()
            .filter(job::Column::Kind.eq("auto_confirm_order"))
            .all(&app.db)
            .await
            .expect("read job runs");
        (runs.len() == UNITS as usize && runs.iter().all(|r| r.status == JobStatus::Succeeded)).then_some(runs)
    })
    .await;
    assert!(runs.iter().all(|r| r.attempts == 1), "each confirmation ran once: {runs:?}");
    let _ = std::fs::remove_dir_all(&mail_dir);
}
