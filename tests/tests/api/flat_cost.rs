//! Lists cost a page, not the history: a store's fulfilment queue and the order lists agents
//! filter are each served by an index in their own order, so PostgreSQL reads about one page
//! of rows however many fulfilment orders and orders the rest of the business has.
//!
//! Measured on the very statements the service sent for each request, recorded as it ran them
//! and re-run under `EXPLAIN ANALYZE`: the rows every scan of the plan read, kept or filtered
//! out. No clock is involved, so a slow machine cannot make it pass or fail.
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

/// Orders and fulfilment orders of other customers and another location.
const HISTORY: i64 = 3_000;

/// What one request may read per list it answers: a page, with room for the plan's edges.
const PAGE_BUDGET: u64 = 60;

/// The rows every scan node of `plan` read: those it returned and those its filters dropped,
/// over all its loops.
fn rows_read(plan: &Value) -> u64 {
    let n = |key: &str| plan[key].as_f64().unwrap_or(0.0);
    let node = plan["Node Type"].as_str().unwrap_or_default();
    let own = if node.contains("Scan") {
        ((n("Actual Rows") + n("Rows Removed by Filter") + n("Rows Removed by Index Recheck"))
            * n("Actual Loops").max(1.0)) as u64
    } else {
        0
    };
    own + plan["Plans"].as_array().map_or(0, |children| children.iter().map(rows_read).sum())
}

/// The most rows any one statement about `table` read among `statements`, re-run under
/// EXPLAIN ANALYZE with the values the service bound.
async fn most_rows_read(app: &TestApp, statements: &[Statement], table: &str) -> (u64, String) {
    let mut most = (0, String::new());
    let from = format!("FROM \"{table}\"");
    let reads: Vec<&Statement> =
        statements.iter().filter(|s| s.sql.trim_start().starts_with("SELECT") && s.sql.contains(&from)).collect();
    assert!(!reads.is_empty(), "no statement read {table}: {statements:?}");
    for s in reads {
        let values = s.values.clone().map(|v| v.0).unwrap_or_default();
        let explain = Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("EXPLAIN (ANALYZE, FORMAT JSON) {}", s.sql),
            values,
        );
        let row = app.db.query_one_raw(explain).await.expect("explain").expect("a plan");
        let plan: Value = row.try_get("", "QUERY PLAN").expect("the plan as JSON");
        let read = rows_read(&plan[0]["Plan"]);
        if read >= most.0 {
            most = (read, format!("{}\n{}", s.sql, plan[0]["Plan"]));
        }
    }
    most
}

/// Sends `query` and answers its data and the statements the service sent for it.
async fn traced(app: &TestApp, sent: &Mutex<Vec<Statement>>, token: &str, query: &str) -> (Value, Vec<Statement>) {
    sent.lock().expect("statements").clear();
    let body = app.gql(Some(token), query, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let statements = std::mem::take(&mut *sent.lock().expect("statements"));
    (body["data"].clone(), statements)
}

async fn execute(app: &TestApp, sql: String) {
    app.db.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("seed the history");
}

#[tokio::test]
async fn a_list_reads_a_page_however_long_the_history() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let app = TestApp::spawn_recording(Backend::Postgres, sent.clone()).await;
    app.create_product("TEE-1", "19.99").await;
    app.create_location("ST-1", false, 10, "4.90").await;
    app.receive("TEE-1", "ST-1", 20).await;
    let agent = app.token(domain::auth::Role::Agent);
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        let placed = app.place_order(&agent, email, json!([{ "sku": "TEE-1", "quantity": 1 }])).await;
        assert_eq!(placed["userErrors"], json!([]), "{placed}");
    }
    // The rest of the business: another location's delivered fulfilment orders and other
    // customers' delivered orders, copied from the ones placed, ids spread over the whole range.
    app.create_location("WH-BIG", false, 20, "4.90").await;
    execute(
        &app,
        format!(
            "INSERT INTO orders SELECT (jsonb_populate_record(NULL::orders, to_jsonb(o) || jsonb_build_object('id', gen_random_uuid(), \
             'number', 'HX-' || g, 'number_seq', 1000000 + g, 'status', 'DELIVERED', \
             'customer_email', 'many-' || g || '@example.com'))).* \
             FROM orders o CROSS JOIN generate_series(1, {HISTORY}) g WHERE o.customer_email = 'c@example.com'"
        ),
    )
    .await;
    execute(
        &app,
        format!(
            "INSERT INTO fulfillment_orders SELECT (jsonb_populate_record(NULL::fulfillment_orders, to_jsonb(f) || jsonb_build_object('id', gen_random_uuid(), \
             'location_id', (SELECT id FROM locations WHERE code = 'WH-BIG'), 'status', 'DELIVERED'))).* \
             FROM (SELECT * FROM fulfillment_orders LIMIT 1) f CROSS JOIN generate_series(1, {HISTORY}) g"
        ),
    )
    .await;
    execute(&app, "ANALYZE".to_owned()).await;

    let associate = app.associate_token(&["ST-1"]);
    let queue = "{ fulfillmentOrders(locationCode: \"ST-1\", first: 50) { edges { node { id status } } } }";
    let (data, statements) = traced(&app, &sent, &associate, queue).await;
    let edges = data["fulfillmentOrders"]["edges"].as_array().cloned().unwrap_or_default();
    assert_eq!(edges.len(), 3, "{data}");
    let (read, plan) = most_rows_read(&app, &statements, "fulfillment_orders").await;
    assert!(read <= PAGE_BUDGET, "the store's queue read {read} rows:\n{plan}");

    let status = edges[0]["node"]["status"].as_str().expect("a status").to_owned();
    let by_status = format!(
        "{{ fulfillmentOrders(locationCode: \"ST-1\", status: {status}, first: 50) {{ edges {{ node {{ id }} }} }} }}"
    );
    let (data, statements) = traced(&app, &sent, &app.admin(), &by_status).await;
    assert_eq!(data["fulfillmentOrders"]["edges"].as_array().map(Vec::len), Some(3), "{data}");
    let (read, plan) = most_rows_read(&app, &statements, "fulfillment_orders").await;
    assert!(read <= PAGE_BUDGET, "the store's {status} queue read {read} rows:\n{plan}");

    let by_email = "{ orders(first: 50, filter: { customerEmail: \"a@example.com\" }) { edges { node { number customer { id } } } } }";
    let (data, statements) = traced(&app, &sent, &app.admin(), by_email).await;
    assert_eq!(data["orders"]["edges"].as_array().map(Vec::len), Some(1), "{data}");
    let (read, plan) = most_rows_read(&app, &statements, "orders").await;
    assert!(read <= PAGE_BUDGET, "one customer's orders by email read {read} rows:\n{plan}");

    let customer = data["orders"]["edges"][0]["node"]["customer"]["id"].as_str().expect("the customer").to_owned();
    let own = format!("{{ customer(id: \"{customer}\") {{ orders(first: 50) {{ edges {{ node {{ number }} }} }} }} }}");
    let (data, statements) = traced(&app, &sent, &app.admin(), &own).await;
    assert_eq!(data["customer"]["orders"]["edges"].as_array().map(Vec::len), Some(1), "{data}");
    let (read, plan) = most_rows_read(&app, &statements, "orders").await;
    assert!(read <= PAGE_BUDGET, "one customer's orders read {read} rows:\n{plan}");

    let pending = "{ orders(first: 50, filter: { status: PENDING }) { edges { node { number } } } }";
    let (data, statements) = traced(&app, &sent, &app.admin(), pending).await;
    let found = data["orders"]["edges"].as_array().map_or(0, Vec::len);
    assert!(found <= 3, "{data}");
    let (read, plan) = most_rows_read(&app, &statements, "orders").await;
    assert!(read <= PAGE_BUDGET, "the PENDING orders read {read} rows:\n{plan}");
}

/// A busy store's own history: an associate pages its orders (those it fulfils) and its
/// returns, all or by status, and each page costs a page however many the store has had.
#[tokio::test]
async fn a_busy_stores_orders_and_returns_read_a_page() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let app = TestApp::spawn_recording(Backend::Postgres, sent.clone()).await;
    app.create_product("TEE-1", "19.99").await;
    app.create_location("ST-1", true, 10, "4.90").await;
    app.receive("TEE-1", "ST-1", 20).await;
    let agent = app.token(domain::auth::Role::Agent);
    let placed = app.place_order(&agent, "a@example.com", json!([{ "sku": "TEE-1", "quantity": 1 }])).await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let order_id = placed["order"]["id"].as_str().expect("an order").to_owned();
    // The store's past, older than the order just placed, and the rest of the business's, ten
    // times longer and newer than anything of the store's: so neither walking all orders newest
    // first nor reading all of the store's finds the store's newest page cheaply.
    app.create_location("WH-BIG", false, 20, "4.90").await;
    past(&app, "ST-1", ("00000000", 1_000_000), HISTORY / 10, &order_id).await;
    past(&app, "WH-BIG", ("ffffffff", 2_000_000), HISTORY, &order_id).await;
    execute(&app, "ANALYZE".to_owned()).await;
    let associate = app.associate_token(&["ST-1"]);

    let orders = "{ orders(first: 20) { edges { node { number } } pageInfo { hasNextPage } } }";
    let (data, statements) = traced(&app, &sent, &associate, orders).await;
    assert_eq!(data["orders"]["edges"].as_array().map(Vec::len), Some(20), "{data}");
    assert_eq!(data["orders"]["pageInfo"]["hasNextPage"], json!(true), "{data}");
    for table in ["fulfillment_orders", "orders"] {
        let (read, plan) = most_rows_read(&app, &statements, table).await;
        assert!(read <= PAGE_BUDGET, "the store's orders read {read} rows of {table}:\n{plan}");
    }

    let returns = "{ returns(first: 20) { edges { node { number } } pageInfo { hasNextPage } } }";
    let (data, statements) = traced(&app, &sent, &associate, returns).await;
    assert_eq!(data["returns"]["edges"].as_array().map(Vec::len), Some(20), "{data}");
    let (read, plan) = most_rows_read(&app, &statements, "returns").await;
    assert!(read <= PAGE_BUDGET, "the store's returns read {read} rows:\n{plan}");

    let awaited =
        "{ returns(first: 20, filter: { status: REQUESTED, locationCode: \"ST-1\" }) { edges { node { number } } } }";
    for token in [&associate, &app.admin()] {
        let (data, statements) = traced(&app, &sent, token, awaited).await;
        assert_eq!(data["returns"]["edges"].as_array().map(Vec::len), Some(2), "{data}");
        let (read, plan) = most_rows_read(&app, &statements, "returns").await;
        assert!(read <= PAGE_BUDGET, "the store's awaited returns read {read} rows:\n{plan}");
    }
}

/// `count` delivered orders, each with its fulfilment order at `location` (copied from the one
/// placed, `order_id`), and as many refunded returns brought to `location`, two of them still
/// awaited. Every id starts with `id_prefix`; numbers count from `numbers_from`.
async fn past(app: &TestApp, location: &str, (id_prefix, numbers_from): (&str, i64), count: i64, order_id: &str) {
    // The g-th row's id in each table (a fulfilment order takes its order's).
    let ids = format!("('{id_prefix}-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid");
    execute(
        app,
        format!(
            "WITH past AS (INSERT INTO orders SELECT (jsonb_populate_record(NULL::orders, to_jsonb(o) || jsonb_build_object('id', {ids}, \
             'number', 'HX-{id_prefix}-' || g, 'number_seq', {numbers_from} + g, 'status', 'DELIVERED'))).* \
             FROM (SELECT * FROM orders WHERE id = '{order_id}') o CROSS JOIN generate_series(1, {count}) g RETURNING id) \
             INSERT INTO fulfillment_orders SELECT (jsonb_populate_record(NULL::fulfillment_orders, to_jsonb(f) || jsonb_build_object('id', past.id, \
             'order_id', past.id, 'location_id', l.id, 'status', 'DELIVERED'))).* \
             FROM past CROSS JOIN (SELECT * FROM fulfillment_orders WHERE order_id = '{order_id}') f \
             CROSS JOIN (SELECT id FROM locations WHERE code = '{location}') l"
        ),
    )
    .await;
    execute(
        app,
        format!(
            "INSERT INTO returns (id, order_id, seq, number, status, method, location_id, receiving_location_id, is_exchange, \
             ship_now, currency, return_value_minor, replacement_minor, refund_minor, requested_by, created_at, updated_at) \
             SELECT {ids}, '{order_id}', {numbers_from} + g, 'RX-{id_prefix}-' || g, \
             CASE WHEN g % ({count} / 2) = 0 THEN 'REQUESTED' ELSE 'REFUNDED' END, \
             'IN_STORE', l.id, l.id, false, false, 'EUR', 1999, 0, 1999, 'agent', now(), now() \
             FROM locations l CROSS JOIN generate_series(1, {count}) g WHERE l.code = '{location}'"
        ),
    )
    .await;
}
