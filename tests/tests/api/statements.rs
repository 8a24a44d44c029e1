//! What `placeOrder` costs the database, in statements: the hot path of the whole service. A
//! known customer's order of a few lines from one location pays no read of data that rarely
//! changes (locations, rules and tax rates come from the process's reference copy), reads what
//! it decides on in one statement, reserves every stock level in one and writes every table's
//! rows in one, so more lines do not mean more statements.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use domain::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp};

/// Only the order's id back: the count is the capture's, not the reads of a richer answer.
const PLACE_ORDER: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number } userErrors { code message } } }";

/// The statements sea-orm sends for one order (BEGIN and COMMIT are not counted).
async fn statements_for(app: &TestApp, counter: &AtomicUsize, email: &str, lines: Value) -> usize {
    let agent = app.token(Role::Agent);
    counter.store(0, Ordering::SeqCst);
    let body = app.gql(Some(&agent), PLACE_ORDER, json!({ "input": order_input(email, lines) })).await;
    assert_eq!(body["data"]["placeOrder"]["userErrors"], json!([]), "{body}");
    counter.load(Ordering::SeqCst)
}

#[tokio::test]
async fn place_order_statements_do_not_grow_with_its_lines() {
    let counter = Arc::new(AtomicUsize::new(0));
    let app = TestApp::spawn_counting(Backend::Postgres, Some(counter.clone())).await;
    app.create_location("WH-A", false, 1, "4.90").await;
    for sku in ["A", "B", "C", "D", "E"] {
        app.create_product(sku, "10.00").await;
        app.receive(sku, "WH-A", 1000).await;
    }
    let line = |sku: &str| json!({ "sku": sku, "quantity": 1 });
    // The first order of a process loads the reference copy and creates the customer.
    statements_for(&app, &counter, "known@example.com", json!([line("A")])).await;

    let one = statements_for(&app, &counter, "known@example.com", json!([line("A")])).await;
    let two = statements_for(&app, &counter, "known@example.com", json!([line("A"), line("B")])).await;
    let five = statements_for(
        &app,
        &counter,
        "known@example.com",
        json!([line("A"), line("B"), line("C"), line("D"), line("E")]),
    )
    .await;
    eprintln!("placeOrder statements: 1 line {one}, 2 lines {two}, 5 lines {five}");
    // An extra line costs no statement: its level is reserved with the others.
    assert_eq!(two, one, "1 line: {one}, 2 lines: {two}, 5 lines: {five}");
    assert_eq!(five, one, "1 line: {one}, 5 lines: {five}");
    // One read of the reference token, products, their stock levels and the customer; one
    // reserve of every level; the order number; one write of all the order's rows (PostgreSQL
    // logs BEGIN and COMMIT around them).
    assert!(one <= 4, "an order took {one} statements");
}

/// A notification job on PostgreSQL: one statement starts the run, claims the email and reads
/// what it shows; one marks the email sent and the run succeeded. The relay's pass is the only
/// other cost, shared by every job it carries.
#[tokio::test]
async fn a_notification_job_costs_two_statements() {
    use domain::jobs::{Job, JobStatus, NotificationEvent};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};

    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = crate::smtp::SmtpServer::start().await;
    app.confirm_by_hand("WEB").await;
    app.create_location("WH-A", false, 1, "4.90").await;
    app.create_product("A", "10.00").await;
    app.receive("A", "WH-A", 100).await;
    let agent = app.token(Role::Agent);
    let mut orders = Vec::new();
    for i in 0..3 {
        let placed =
            app.place_order(&agent, &format!("c{i}@example.com"), json!([{ "sku": "A", "quantity": 1 }])).await;
        let id = placed["order"]["id"].as_str().expect("order id");
        orders.push(uuid::Uuid::parse_str(id).expect("uuid"));
    }
    // Every event of every order, as notification jobs only: the shop's own jobs so far (a
    // receipt's backorder fill) are set aside, as if dispatched.
    entities::outbox_message::Entity::update_many()
        .col_expr(entities::outbox_message::Column::DispatchedAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
        .exec(&app.db)
        .await
        .expect("set aside");
    let txn = app.db.begin().await.expect("begin");
    for id in &orders {
        for event in NotificationEvent::ALL {
            domain::outbox::enqueue_job(&txn, &Job::notify(*id, event)).await.expect("enqueue");
        }
    }
    txn.commit().await.expect("commit");
    let jobs = orders.len() * NotificationEvent::ALL.len();

    // The workers' own connection records what they send; the relay makes one pass (a long
    // interval after it), so the count holds no idle polling.
    let sent = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut db = domain::db::connect(app.database_url()).await.expect("connect");
    let record = sent.clone();
    db.set_metric_callback(move |info| {
        if let Ok(mut s) = record.lock() {
            s.push(info.statement.sql.clone());
        }
    });
    let settings = oms_worker::WorkerSettings {
        relay_interval: std::time::Duration::from_secs(3600),
        ..crate::background::settings(Some(crate::background::redis_url()), Some(&smtp), None)
    };
    let prefix = settings.queue_prefix.clone();
    let pool = oms_worker::spawn(db, settings).expect("workers");
    smtp.wait_for(std::time::Duration::from_secs(30), "every email", |m| m.len() == jobs).await;
    let succeeded = || {
        entities::job::Entity::find()
            .filter(entities::job::Column::Queue.eq(domain::outbox::queue::NOTIFICATION))
            .filter(entities::job::Column::Status.eq(JobStatus::Succeeded.as_str()))
            .count(&app.db)
    };
    for _ in 0..300 {
        if succeeded().await.expect("count") as usize == jobs {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let runs = entities::job::Entity::find().all(&app.db).await.expect("runs");
    let statuses: Vec<(String, String)> = runs.iter().map(|r| (r.kind.clone(), r.status.as_str().to_owned())).collect();
    assert_eq!(succeeded().await.expect("count") as usize, jobs, "{statuses:?}");
    pool.shutdown().await.expect("the pool stops");
    crate::background::clean_redis(&prefix).await;

    let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
    let by_the_relay = sent.iter().filter(|s| s.contains("\"outbox\"") || s.starts_with("INSERT INTO \"job_runs\""));
    let by_the_jobs = sent.len() - by_the_relay.count();
    eprintln!("{jobs} notification jobs: {} statements, {by_the_jobs} by the jobs", sent.len());
    assert_eq!(by_the_jobs, 2 * jobs, "{sent:#?}");
}

/// Capture's first statement on PostgreSQL (the reference token, the products, their stock
/// levels and the customer, the lists as JSON) reads exactly what the four separate reads do,
/// every field of every row: optional fields set and unset, a SKU that does not exist, the
/// customer by email and by id, found or not.
#[tokio::test]
async fn the_capture_read_reads_what_the_separate_reads_do() {
    use domain::orders::capture_read::{CustomerKey, read, read_by_kind};
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location("WH-A", false, 1, "4.90").await;
    app.create_location("WH-B", false, 2, "4.90").await;
    for sku in ["A", "B"] {
        app.create_product(sku, "10.00").await;
    }
    app.receive("A", "WH-A", 5).await;
    app.receive("A", "WH-B", 7).await;
    app.receive("B", "WH-B", 3).await;
    // Every optional field of B set, so each is decoded from the JSON as well as from its column.
    let b = entities::product::Entity::find()
        .all(&app.db)
        .await
        .expect("products")
        .into_iter()
        .find(|p| p.sku == "B")
        .expect("B");
    let mut b = b.into_active_model();
    b.weight_grams = Set(Some(1250));
    b.service_type = Set(Some("INSTALLATION".to_owned()));
    b.needs_appointment = Set(true);
    b.update(&app.db).await.expect("B updated");
    let contact = domain::customers::Contact {
        email: "known@example.com".to_owned(),
        name: "Known".to_owned(),
        phone: Some("+33 1 23 45 67 89".to_owned()),
    };
    let customer = domain::customers::create_for_order(&app.db, &contact).await.expect("customer");

    let skus = ["B", "A", "NOPE"];
    for key in [
        CustomerKey::Email("known@example.com"),
        CustomerKey::Id(customer.id),
        CustomerKey::Email("stranger@example.com"),
        CustomerKey::Id(uuid::Uuid::now_v7()),
    ] {
        let one = read(&app.db, &skus, key).await.expect("one statement");
        let by_kind = read_by_kind(&app.db, &skus, key).await.expect("by kind");
        assert_eq!(one, by_kind, "{key:?}");
        assert_eq!(one.products.len(), 2, "{key:?}");
        assert_eq!(one.levels.len(), 3, "{key:?}");
        let found = matches!(key, CustomerKey::Email("known@example.com"))
            || matches!(key, CustomerKey::Id(id) if id == customer.id);
        assert_eq!(one.customer.as_ref(), found.then_some(&customer), "{key:?}");
    }
    let none = read(&app.db, &["NOPE"], CustomerKey::Email("known@example.com")).await.expect("no products");
    assert_eq!(none, read_by_kind(&app.db, &["NOPE"], CustomerKey::Email("known@example.com")).await.expect("by kind"));
    assert!(none.products.is_empty() && none.levels.is_empty());
}
