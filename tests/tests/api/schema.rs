//! The API's contract: the checked-in schema is the served one and documents everything, costly
//! queries are refused unrun, migrations are safe to repeat and to race, and the HTTP layer
//! speaks GraphQL over HTTP properly.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

use crate::documents::PLACE_ORDER;
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp, create_postgres_database, drop_postgres_database};

// ---- (a) The checked-in schema is the one served -------------------------------------------

#[tokio::test]
async fn the_checked_in_schema_is_the_served_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let checked_in = std::fs::read_to_string(path).expect("read schema.graphql at the workspace root");
    let served = oms_api::graphql::sdl();
    if served != checked_in {
        let first_difference = served
            .lines()
            .zip(checked_in.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| format!("line {}: served `{a}`, checked in `{b}`", i + 1))
            .unwrap_or_else(|| {
                format!(
                    "one is a prefix of the other ({} vs {} lines)",
                    served.lines().count(),
                    checked_in.lines().count()
                )
            });
        panic!(
            "schema.graphql is out of date with the code ({first_difference}).\n\
             Run `cargo run -- export-schema --output schema.graphql` and commit the result."
        );
    }
}

// ---- (b) Everything in the schema is described ---------------------------------------------

const INTROSPECTION: &str = "query {
    __schema { types {
        kind name description
        fields(includeDeprecated: true) { name description args { name description } }
        inputFields { name description }
        enumValues(includeDeprecated: true) { name description }
    } } }";

fn described(v: &Value) -> bool {
    v["description"].as_str().is_some_and(|d| !d.trim().is_empty())
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_is_described() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let body = app.gql(None, INTROSPECTION, json!({})).await;
    assert!(body.get("errors").is_none(), "introspection failed: {body}");
    let types = list(&body["data"]["__schema"]["types"]);
    assert!(types.len() > 20, "the schema has its types: {body}");

    let mut missing = Vec::new();
    for t in types {
        let name = t["name"].as_str().expect("type name");
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        let kind = t["kind"].as_str().expect("kind").to_lowercase();
        if !described(t) {
            missing.push(format!("{kind} {name}"));
        }
        for f in list(&t["fields"]) {
            let field = f["name"].as_str().expect("field name");
            if !described(f) {
                missing.push(format!("field {name}.{field}"));
            }
            for a in list(&f["args"]) {
                if !described(a) {
                    missing.push(format!("argument {name}.{field}({})", a["name"].as_str().expect("arg name")));
                }
            }
        }
        for f in list(&t["inputFields"]) {
            if !described(f) {
                missing.push(format!("input field {name}.{}", f["name"].as_str().expect("input field name")));
            }
        }
        for v in list(&t["enumValues"]) {
            if !described(v) {
                missing.push(format!("enum value {name}.{}", v["name"].as_str().expect("enum value name")));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} schema element(s) have no description (add a doc comment, or `desc`):\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

// ---- (c) Costly queries are refused before they run ----------------------------------------

/// Asserts a request refused as a whole: no data, one top-level error whose message says why.
fn assert_refused_unrun(body: &Value, why: &str) {
    assert_eq!(body["data"], Value::Null, "nothing may run: {body}");
    let errors = list(&body["errors"]);
    assert!(!errors.is_empty(), "{body}");
    let message = errors[0]["message"].as_str().unwrap_or_default().to_lowercase();
    assert!(message.contains(why), "the error should say the query is {why}: {body}");
}

/// `path` as nested selections around `leaf`: `["a", "b"]`, `"c"` is `a { b { c } }`.
fn nest(path: &[String], leaf: &str) -> String {
    path.iter().rev().fold(leaf.to_owned(), |inner, field| format!("{field} {{ {inner} }}"))
}

/// `first` then `product { inventory { product { … } } }` until the selection is `depth` fields
/// deep, counting the leaf.
fn stock_path(first: &[&str], depth: usize) -> String {
    let mut path: Vec<String> = first.iter().map(|f| (*f).to_owned()).collect();
    let mut next_is_product = !path.last().is_some_and(|f| f.starts_with("product"));
    while path.len() + 1 < depth {
        path.push(if next_is_product { "product" } else { "inventory" }.to_owned());
        next_is_product = !next_is_product;
    }
    let leaf = if path.last().is_some_and(|f| f.starts_with("product")) { "sku" } else { "onHand" };
    nest(&path, leaf)
}

#[tokio::test]
async fn queries_deeper_than_the_limit_are_refused_before_running() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin();
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_product("TEE-1", "19.99").await;
    app.receive("TEE-1", "WH-1", 5).await;
    let max = oms_api::graphql::MAX_DEPTH;
    let query = |depth| format!("query {{ {} }}", stock_path(&["product(sku: \"TEE-1\")"], depth));

    // Exactly as deep as allowed: answered.
    let body = app.gql(Some(&admin), &query(max), json!({})).await;
    assert!(body.get("errors").is_none(), "a query {max} deep is allowed: {body}");
    assert!(body["data"]["product"]["inventory"][0]["product"]["inventory"].is_array(), "{body}");

    // One level deeper, or far deeper: refused as a whole.
    assert_refused_unrun(&app.gql(Some(&admin), &query(max + 1), json!({})).await, "deep");
    assert_refused_unrun(&app.gql(Some(&admin), &query(2 * max), json!({})).await, "deep");

    // A mutation with a selection too deep is refused before it changes anything.
    let before = app.snapshot().await;
    let selection = stock_path(&["placeOrder(input: $input)", "order", "lines"], max + 1);
    let mutation = format!("mutation($input: PlaceOrderInput!) {{ {selection} }}");
    let input = order_input("ann@example.com", json!([{ "sku": "TEE-1", "quantity": 1 }]));
    assert_refused_unrun(&app.gql(Some(&admin), &mutation, json!({ "input": input })).await, "deep");
    assert_eq!(app.snapshot().await, before, "the refused mutation placed no order");
    assert_eq!(app.count("orders").await, 0);
}

#[tokio::test]
async fn queries_costlier_than_the_limit_are_refused_before_running() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin();
    let page = "orders(first: 100) { edges { node { lines { product { inventory { location { code } } } } } } }";

    // One page of 100 orders with their lines, products and stock fits.
    let body = app.gql(Some(&admin), &format!("query {{ {page} }}"), json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");

    // Asked for over and over under aliases, it costs far more than the limit: refused unrun.
    // One page costs about 100 × 7 (each order's edge, node, lines, product, inventory, location, code).
    let copies = 2 * oms_api::graphql::MAX_COMPLEXITY / 700 + 1;
    let aliased: String = (0..copies).map(|i| format!("p{i}: {page} ")).collect();
    assert_refused_unrun(&app.gql(Some(&admin), &format!("query {{ {aliased} }}"), json!({})).await, "complex");
}

// ---- (d) Migrations are safe to repeat and to race -----------------------------------------

/// A fresh, empty PostgreSQL database of the test's own, dropped (WITH (FORCE)) when dropped.
struct FreshPostgres {
    name: String,
    url: String,
}

impl FreshPostgres {
    async fn create() -> FreshPostgres {
        let (name, url) = create_postgres_database().await;
        FreshPostgres { name, url }
    }

    async fn connect(&self) -> DatabaseConnection {
        domain::db::connect(&self.url).await.expect("connect to the test database")
    }
}

impl Drop for FreshPostgres {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        // Drop cannot await: drop the database on a thread with its own runtime, and wait.
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(drop_postgres_database(&name));
        });
        let _ = cleanup.join();
    }
}

/// The applied migrations, as (version, applied at).
async fn applied(db: &DatabaseConnection) -> Vec<(String, i64)> {
    let mut rows: Vec<(String, i64)> = Migrator::get_migration_models(db)
        .await
        .expect("read the migration table")
        .into_iter()
        .map(|m| (m.version, m.applied_at))
        .collect();
    rows.sort();
    rows
}

/// The tables of the database (PostgreSQL's public schema, or the SQLite file).
async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1",
        _ => "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await.expect("list tables");
    rows.iter().map(|r| r.try_get::<String>("", "name").expect("name")).collect()
}

#[tokio::test]
async fn migrating_twice_is_a_no_op_the_second_time() {
    let fresh = FreshPostgres::create().await;
    let db = fresh.connect().await;

    domain::db::migrate(&db).await.expect("the first migration");
    let first = applied(&db).await;
    assert_eq!(first.len(), Migrator::migrations().len(), "every migration applied once: {first:?}");
    assert!(Migrator::get_pending_migrations(&db).await.expect("pending").is_empty());
    let schema = tables(&db).await;
    assert!(schema.iter().any(|t| t == "orders"), "{schema:?}");

    // Some data, to prove the second run leaves it alone.
    let rate = domain::tax::set_tax_rate(&db, &domain::auth::Actor::System, "FR", rust_decimal::Decimal::from(20))
        .await
        .expect("set a tax rate");

    tokio::time::sleep(Duration::from_millis(1100)).await; // a re-applied migration would get a later timestamp
    domain::db::migrate(&db).await.expect("the second migration");
    assert_eq!(applied(&db).await, first, "the second run applied nothing");
    assert_eq!(tables(&db).await, schema, "the second run changed no table");
    let rates = domain::tax::list_tax_rates(&db).await.expect("list tax rates");
    assert_eq!(rates, vec![rate], "the data is untouched");
    db.close().await.expect("close");
}

#[tokio::test]
async fn concurrent_migrations_of_one_fresh_database_both_succeed() {
    // Replicas starting together on an empty database: a few rounds, several migrators each.
    for round in 0..3 {
        let fresh = FreshPostgres::create().await;
        let pools = futures::future::join_all((0..3).map(|_| fresh.connect())).await;
        let results = futures::future::join_all(pools.iter().map(domain::db::migrate)).await;
        for (i, result) in results.iter().enumerate() {
            assert!(result.is_ok(), "round {round}, migrator {i} failed: {result:?}");
        }
        let db = &pools[0];
        let rows = applied(db).await;
        let mut versions: Vec<&str> = rows.iter().map(|(v, _)| v.as_str()).collect();
        versions.dedup();
        assert_eq!(versions.len(), Migrator::migrations().len(), "each migration recorded once: {rows:?}");
        assert!(Migrator::get_pending_migrations(db).await.expect("pending").is_empty());
        // The schema works: an order number can be drawn.
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT nextval('order_number_seq') AS n"))
            .await
            .expect("the order number sequence exists")
            .expect("a row");
        assert_eq!(row.try_get::<i64>("", "n").expect("n"), 1);
        for pool in pools {
            pool.close().await.expect("close");
        }
    }
}

#[tokio::test]
async fn indexes_built_by_hand_beforehand_do_not_stop_a_later_migration() {
    // On a big database an operator builds a new index with CREATE INDEX CONCURRENTLY (no
    // write waits on it) before upgrading; the migration that creates it must then go through.
    let fresh = FreshPostgres::create().await;
    let db = fresh.connect().await;
    let before_list_indexes = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261126_000019_list_indexes")
        .expect("the list indexes' migration") as u32;
    Migrator::up(&db, Some(before_list_indexes)).await.expect("the migrations before the list indexes");
    let by_hand =
        "CREATE INDEX CONCURRENTLY ix_fulfillment_orders_location_queue ON fulfillment_orders (location_id, id)";
    db.execute_raw(Statement::from_string(DbBackend::Postgres, by_hand)).await.expect("build an index by hand");

    domain::db::migrate(&db).await.expect("the rest of the migrations");
    assert!(Migrator::get_pending_migrations(&db).await.expect("pending").is_empty());
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM pg_indexes WHERE tablename = 'fulfillment_orders' \
             AND indexname IN ('ix_fulfillment_orders_location_queue', 'ix_fulfillment_orders_location_status_queue')",
        ))
        .await
        .expect("read the indexes")
        .expect("a row");
    assert_eq!(row.try_get::<i64>("", "n").expect("n"), 2, "the one built by hand and the one the migration built");
    db.close().await.expect("close");
}

// ---- (e) GraphQL over HTTP -----------------------------------------------------------------

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

async fn raw_post(app: &TestApp, accept: Option<&str>, content_type: &str, body: String) -> (u16, String, String) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
    let mut request = client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(app.admin())
        .header("Content-Type", content_type)
        .body(body);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("Content-Type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, content_type, response.text().await.expect("body"))
}

fn gql_body(query: &str) -> String {
    json!({ "query": query }).to_string()
}

#[tokio::test]
async fn graphql_over_http_answers_in_the_negotiated_format() {
    let app = TestApp::spawn(Backend::Sqlite).await;

    // Asked for application/graphql-response+json, the answer is in it.
    let (status, content_type, body) =
        raw_post(&app, Some(GRAPHQL_RESPONSE_JSON), "application/json", gql_body("{ taxRates { country } }")).await;
    assert_eq!(status, 200, "{body}");
    assert!(content_type.starts_with(GRAPHQL_RESPONSE_JSON), "content type {content_type}");
    let parsed: Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!(parsed["data"]["taxRates"], json!([]));

    // A request that is not GraphQL at all is a 400 in that format.
    let (status, content_type, body) =
        raw_post(&app, Some(GRAPHQL_RESPONSE_JSON), "application/json", gql_body("{ taxRates { country ")).await;
    assert_eq!(status, 400, "a syntax error is a bad request: {body}");
    assert!(content_type.starts_with(GRAPHQL_RESPONSE_JSON), "content type {content_type}");
    let parsed: Value = serde_json::from_str(&body).expect("a JSON body");
    assert!(!list(&parsed["errors"]).is_empty(), "{body}");
    assert!(parsed.get("data").is_none_or(Value::is_null), "{body}");

    // Without that Accept header the classic application/json answer keeps its 200.
    let (status, content_type, body) =
        raw_post(&app, Some("application/json"), "application/json", gql_body("{ taxRates { country ")).await;
    assert_eq!(status, 200, "{body}");
    assert!(content_type.starts_with("application/json"), "content type {content_type}");

    // A body that is not JSON is a 400, whatever was accepted.
    for accept in [Some(GRAPHQL_RESPONSE_JSON), Some("application/json"), None] {
        let (status, _, body) = raw_post(&app, accept, "application/json", "{ taxRates { country } }".to_owned()).await;
        assert_eq!(status, 400, "Accept {accept:?}: {body}");
        let parsed: Value = serde_json::from_str(&body).expect("errors in JSON");
        assert!(!list(&parsed["errors"]).is_empty(), "{body}");
    }
    let (status, _, body) = raw_post(&app, None, "text/plain", "place an order please".to_owned()).await;
    assert_eq!(status, 400, "{body}");

    // A mutation refused with userErrors was still answered: 200, in the negotiated format.
    let input = order_input("ann@example.com", json!([{ "sku": "NOPE-1", "quantity": 1 }]));
    let request = json!({ "query": PLACE_ORDER, "variables": { "input": input } }).to_string();
    let (status, content_type, body) = raw_post(&app, Some(GRAPHQL_RESPONSE_JSON), "application/json", request).await;
    assert_eq!(status, 200, "{body}");
    assert!(content_type.starts_with(GRAPHQL_RESPONSE_JSON), "content type {content_type}");
    let parsed: Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!(parsed["data"]["placeOrder"]["userErrors"][0]["code"], "UNKNOWN_SKU", "{body}");
}

/// On SQLite the job queue's tables (apalis's) live in the same file as ours. They are made with
/// ours, before anything serves: when the workers made them on start, beside an API already
/// serving, SQLite re-prepared every other connection's statements mid-flight, and a
/// `RETURNING *` re-prepared against a wider table panicked sqlx's connection thread.
#[tokio::test]
async fn the_sqlite_queue_tables_are_made_with_the_schema_before_anything_serves() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let made = tables(&app.db).await;
    for queue_table in ["Jobs", "Workers", "_sqlx_migrations"] {
        assert!(made.iter().any(|t| t == queue_table), "{queue_table} is missing: {made:?}");
    }

    // `oms migrate`, as an operator runs it before starting `oms api` and `oms worker`.
    let path = std::env::temp_dir().join(format!("oms_test_{}.db", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}", path.display());
    let migrated = std::process::Command::new(env!("CARGO_BIN_EXE_oms-under-test"))
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .env_remove("OMS_JWT_SECRET")
        .output()
        .expect("run oms migrate");
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let db = domain::db::connect(&url).await.expect("open the migrated file");
    let made = tables(&db).await;
    db.close().await.expect("close");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    for table in ["orders", "Jobs", "Workers"] {
        assert!(made.iter().any(|t| t == table), "`oms migrate` left {table} out: {made:?}");
    }
}
