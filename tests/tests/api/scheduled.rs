//! Scheduled work, end to end with the job workers running: a fulfilment order its location did
//! not accept in time is re-routed as a rejection would be, expired idempotency keys are purged,
//! and however many worker processes run, each period's work is done once.
use std::time::Duration;

use chrono::Utc;
use entities::{fulfillment_order, job, outbox_message};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::background::Workers;
use crate::fixtures::{LILLE, LYON, ship_to_paris};
use crate::helpers::{Backend, TestApp, on_both_backends};

const UPDATE_LOCATION: &str = "mutation($input: UpdateLocationInput!) { updateLocation(input: $input) {
    location { code acceptanceDeadlineMinutes } userErrors { field code message } } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) { id status
    fulfillmentOrders { id status rejectReason location { code } }
    events { kind actorRole message } } }";

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

async fn read(app: &TestApp, id: &str) -> Value {
    app.admin_data(ORDER, json!({ "id": id })).await["order"].clone()
}

/// The fulfilment order was released `minutes` ago: what the clock would say had the test waited.
async fn age_release(app: &TestApp, fo_id: &str, minutes: i64) {
    fulfillment_order::Entity::update_many()
        .col_expr(
            fulfillment_order::Column::ReleasedAt,
            Expr::value(Some(Utc::now() - chrono::Duration::minutes(minutes))),
        )
        .filter(fulfillment_order::Column::Id.eq(Uuid::parse_str(fo_id).expect("uuid")))
        .exec(&app.db)
        .await
        .expect("age the release");
}

/// Waits for a run of the scheduled task `kind` that finished after `since`.
async fn a_run_of(app: &TestApp, kind: &str, since: chrono::DateTime<Utc>) {
    app.eventually(&format!("a {kind} run"), || async {
        job::Entity::find()
            .filter(job::Column::Kind.eq(kind))
            .filter(job::Column::Status.eq("SUCCEEDED"))
            .filter(job::Column::FinishedAt.gt(since))
            .one(&app.db)
            .await
            .expect("read the runs")
            .map(|_| ())
    })
    .await;
}

// ---- Acceptance deadlines -----------------------------------------------------------------

async fn a_fulfilment_order_not_accepted_in_time_is_rerouted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location_at("WH-LILLE", "WAREHOUSE", LILLE, false, true).await;
    app.create_location_at("WH-LYON", "WAREHOUSE", LYON, false, true).await;
    app.create_product("A", "10.00").await;
    app.receive("A", "WH-LILLE", 4).await;
    app.receive("A", "WH-LYON", 2).await;

    // Lille's associates have five minutes to accept; a deadline must be a sensible length.
    let set = |minutes: Value| json!({ "input": { "code": "WH-LILLE", "acceptanceDeadlineMinutes": minutes } });
    let before = app.snapshot().await;
    let bad = app.admin_data(UPDATE_LOCATION, set(json!(0))).await["updateLocation"].clone();
    assert_eq!(bad["userErrors"][0]["field"], json!(["acceptanceDeadlineMinutes"]), "{bad}");
    assert_eq!(app.snapshot().await, before);
    let refused = app.gql(Some(&app.agent()), UPDATE_LOCATION, set(json!(5))).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    let ok = app.admin_data(UPDATE_LOCATION, set(json!(5))).await["updateLocation"].clone();
    assert_eq!(ok["location"]["acceptanceDeadlineMinutes"], 5, "{ok}");

    // Two WEB orders go to Lille, the nearest, and are released there at once.
    let workers = app.start_workers_ticking(Duration::from_millis(200));
    let late =
        id_of(&app.placed_routed(ship_to_paris("late@example.com", json!([{ "sku": "A", "quantity": 2 }]))).await);
    let quick =
        id_of(&app.placed_routed(ship_to_paris("quick@example.com", json!([{ "sku": "A", "quantity": 2 }]))).await);
    let mut fos = Vec::new();
    for id in [&late, &quick] {
        let o = app
            .eventually("the order released", || async {
                let o = read(&app, id).await;
                (o["fulfillmentOrders"][0]["status"] == "RELEASED").then_some(o)
            })
            .await;
        assert_eq!(o["fulfillmentOrders"][0]["location"]["code"], "WH-LILLE", "{o}");
        fos.push(id_of(&o["fulfillmentOrders"][0]));
    }
    let lille = app.associate_token(&["WH-LILLE"]);
    let accepted = app.act(&lille, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fos[1] })).await;
    assert_eq!(accepted["userErrors"], json!([]), "{accepted}");

    // Six minutes on, the one nobody accepted goes to Lyon, as a rejection would; the accepted
    // one stays.
    age_release(&app, &fos[0], 6).await;
    age_release(&app, &fos[1], 6).await;
    let o = app
        .eventually("the re-route", || async {
            let o = read(&app, &late).await;
            (o["fulfillmentOrders"].as_array().map(Vec::len) == Some(2)).then_some(o)
        })
        .await;
    let fo = |code: &str| {
        o["fulfillmentOrders"].as_array().expect("fos").iter().find(|f| f["location"]["code"] == code).cloned()
    };
    let timed_out = fo("WH-LILLE").expect("Lille's");
    assert_eq!(timed_out["status"], "REJECTED");
    assert_eq!(timed_out["rejectReason"], "not accepted within 5 minutes");
    assert_eq!(fo("WH-LYON").expect("Lyon's")["status"], "RELEASED", "{o}");
    let kinds: Vec<&str> =
        o["events"].as_array().expect("events").iter().map(|e| e["kind"].as_str().unwrap_or("")).collect();
    assert_eq!(kinds, ["ORDER_PLACED", "ORDER_CONFIRMED", "FULFILLMENT_TIMED_OUT", "REROUTED"]);
    assert_eq!(o["events"][2]["actorRole"], "system");
    let q = read(&app, &quick).await;
    assert_eq!(q["fulfillmentOrders"][0]["status"], "ACCEPTED", "an accepted one has no deadline: {q}");

    // Lyon sets no deadline: its fulfilment order waits however long it takes.
    let lyon_fo = id_of(&fo("WH-LYON").expect("Lyon's"));
    age_release(&app, &lyon_fo, 600).await;
    a_run_of(&app, "acceptance_deadlines", Utc::now()).await;
    assert_eq!(read(&app, &late).await["fulfillmentOrders"].as_array().map(Vec::len), Some(2));
    assert_eq!(app.sum("inventory_levels", "reserved").await, 4, "Lille holds quick's two, Lyon late's two");
    app.audit().await;
    workers.stop().await;
}

on_both_backends!(a_fulfilment_order_not_accepted_in_time_is_rerouted);

// ---- Purging expired idempotency keys -------------------------------------------------------

/// Keys past their retention are purged, thousands at a time; live keys and recent ticks stay.
#[tokio::test]
async fn expired_idempotency_keys_are_purged_in_batches() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let create = |i: usize| {
        json!({ "query": "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }",
                "variables": { "input": { "email": format!("k{i}@example.com"), "name": "Key" } } })
    };
    for i in 0..3 {
        let (status, body) = app.post(Some(&app.admin()), Some(&format!("live-{i}")), &create(i)).await;
        assert_eq!(status, 200, "{body}");
    }
    // 2 500 answered requests from two days ago.
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            "INSERT INTO idempotency_records (id, scope, key, request_hash, status, response_body, created_at, expires_at, attempt, request_error)
             SELECT gen_random_uuid(), 'test', 'old-' || n, 'h', 'COMPLETED', '{}', now() - interval '2 days', now() - interval '1 day', 1, false
             FROM generate_series(1, 2500) AS n",
        ))
        .await
        .expect("old keys");
    assert_eq!(app.count("idempotency_records").await, 2503);

    let workers = app.start_workers_ticking(Duration::from_millis(200));
    app.eventually("the old keys purged", || async { (app.count("idempotency_records").await == 3).then_some(()) })
        .await;
    // A tick that finished long ago is purged with them; recent ones are kept for the listing.
    a_run_of(&app, "purge_idempotency_keys", Utc::now()).await;
    let old = Utc::now() - chrono::Duration::days(3);
    job::Entity::update_many()
        .col_expr(job::Column::FinishedAt, Expr::value(Some(old)))
        .filter(job::Column::Kind.eq("expire_orders"))
        .exec(&app.db)
        .await
        .expect("age the ticks");
    let aged = app.count("job_runs WHERE kind = 'expire_orders' AND finished_at < now() - interval '2 days'").await;
    assert!(aged > 0);
    app.eventually("the old ticks purged", || async {
        let left = app.count("job_runs WHERE kind = 'expire_orders' AND finished_at < now() - interval '2 days'").await;
        (left == 0).then_some(())
    })
    .await;
    assert!(app.count("job_runs WHERE kind = 'purge_idempotency_keys'").await > 0, "recent ticks are kept");
    assert_eq!(app.count("idempotency_records").await, 3, "live keys stay");
    workers.stop().await;
}

// ---- Once across replicas -----------------------------------------------------------------

/// Three worker processes share one database and one Redis, as three replicas would, each
/// writing the expiry tick of every 100 ms period: one tick per period exists, each runs once,
/// and each expired order is expired and emailed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scheduled_work_runs_once_across_replicas() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location("WH-LYON", false, 1, "4.90").await;
    app.create_product("CUP", "5.00").await;
    app.receive("CUP", "WH-LYON", 100).await;
    let agent = app.agent();
    let mut ids = Vec::new();
    for i in 0..20 {
        let mut input = ship_to_paris(&format!("r{i}@example.com"), json!([{ "sku": "CUP", "quantity": 1 }]));
        input["channel"] = json!("MARKETPLACE");
        ids.push(id_of(&app.placed(&agent, input).await));
    }
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            "UPDATE orders SET created_at = now() - interval '31 minutes'",
        ))
        .await
        .expect("age the orders");

    let period = Duration::from_millis(100);
    let mut settings = app.worker_settings();
    settings.schedule = oms_worker::Schedule { expire_orders: Some(period), ..oms_worker::Schedule::off() };
    let replicas: Vec<Workers> = (0..3).map(|_| Workers::start(&app, settings.clone())).collect();
    app.eventually("twenty periods of ticks and the twenty expiry emails", || async {
        let ticks = app.count("job_runs WHERE kind = 'expire_orders' AND status = 'SUCCEEDED'").await;
        let mails = app.count("notifications WHERE template = 'order_expired' AND status = 'SENT'").await;
        (ticks >= 20 && mails == 20).then_some(())
    })
    .await;
    for r in replicas {
        r.stop().await;
    }

    // Every tick written, whether or not it was dispatched before the replicas stopped.
    let written = outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq("expire_orders"))
        .all(&app.db)
        .await
        .expect("ticks");
    let starts: Vec<i64> = written
        .iter()
        .map(|t| {
            let start = t.dedupe_key.rsplit_once("expire_orders:").expect("a tick key").1;
            chrono::DateTime::parse_from_rfc3339(start).expect("a period start").timestamp_millis()
        })
        .collect();
    let (first, last) = (starts.iter().min().copied().unwrap_or(0), starts.iter().max().copied().unwrap_or(0));
    assert!(starts.iter().all(|s| s % 100 == 0), "periods start on 100 ms boundaries: {starts:?}");
    assert!(
        i64::try_from(written.len()).expect("count") <= (last - first) / 100 + 1,
        "at most one tick per period from three writers: {} ticks over {} ms",
        written.len(),
        last - first
    );
    let runs = job::Entity::find().filter(job::Column::Kind.eq("expire_orders")).all(&app.db).await.expect("runs");
    assert!(runs.len() <= written.len());
    assert!(runs.iter().all(|t| t.attempts <= 1), "no tick ran twice: {runs:?}");
    for id in &ids {
        let o = read(&app, id).await;
        assert_eq!(o["status"], "CANCELLED", "{o}");
        let expired = o["events"].as_array().expect("events").iter().filter(|e| e["kind"] == "ORDER_EXPIRED").count();
        assert_eq!(expired, 1, "{o}");
        assert_eq!(app.count(&format!("outbox WHERE dedupe_key = 'order_expired:{id}'")).await, 1);
    }
    app.audit().await;
}
