//! The API's edge: idempotency keys that never run a mutation twice and never cross from one
//! caller to another, what a customer or an associate may read of an order and of the stock,
//! standard tooling reading the schema, and paged fulfilment-order queues.
use std::collections::HashSet;

use domain::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::fixtures::{order_input, own_order};
use crate::helpers::{Backend, TestApp, on_both_backends};

const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number contact { email } fulfillmentOrders { id location { code } } } userErrors { field code message } } }";
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// graphql-js 16's `getIntrospectionQuery()` with every option on (descriptions,
/// specifiedByUrl, directiveIsRepeatable, schemaDescription, inputValueDeprecation, oneOf):
/// what GraphiQL, Apollo, graphql-codegen, Postman and schemathesis send.
const INTROSPECTION: &str = include_str!("introspection.graphql");

/// A reply with the headers the helper's client does not show.
struct Reply {
    status: u16,
    replayed: bool,
    body: Value,
}

async fn send(app: &TestApp, token: Option<&str>, key: Option<&str>, accept: Option<&str>, body: &Value) -> Reply {
    let client = reqwest::Client::new();
    let mut request = client.post(format!("{}/graphql", app.address)).json(body);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(k) = key {
        request = request.header("Idempotency-Key", k);
    }
    if let Some(a) = accept {
        request = request.header("Accept", a);
    }
    let response = request.send().await.expect("send request");
    let status = response.status().as_u16();
    let replayed = response.headers().get("Idempotent-Replayed").is_some_and(|v| v == "true");
    let body = response.json::<Value>().await.expect("JSON body");
    Reply { status, replayed, body }
}

async fn stocked(app: &TestApp, locations: &[&str]) {
    app.create_product("TEE-1", "19.99").await;
    for (i, code) in locations.iter().enumerate() {
        app.create_location(code, false, 10 + i as i32, "4.90").await;
        app.receive("TEE-1", code, 20).await;
    }
}

async fn create_customer(app: &TestApp, email: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(&app.create_customer(&app.admin(), email, "Customer").await).expect("uuid")
}

/// A checkout as a signed-in customer sends it: no `customer`, the token says who.
fn own_checkout(query: &str) -> Value {
    json!({ "query": query, "variables": { "input": own_order(json!([{ "sku": "TEE-1", "quantity": 1 }])) } })
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors.iter().filter_map(|e| e["extensions"]["code"].as_str().map(str::to_owned)).collect::<Vec<_>>()
        })
        .unwrap_or_default()
}

// ---- Defect 3: a fault after the commit never runs the mutation again ----------------------

/// `placeOrder` commits, then a nested field of its payload fails (here: reading the routing
/// decisions back fails, as a lost connection or a row the code cannot read would). The key is
/// kept: the client's retry gets the committed answer, not a second order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_retry_after_a_post_commit_fault_does_not_order_twice() {
    let app = TestApp::spawn(Backend::Postgres).await;
    stocked(&app, &["WH-1"]).await;
    // Writes to routing_decisions still land; every read of it fails (division by zero).
    for sql in [
        "ALTER TABLE routing_decisions RENAME TO routing_decisions_stored",
        "CREATE VIEW routing_decisions AS SELECT * FROM routing_decisions_stored \
         WHERE 1 / (EXTRACT(YEAR FROM now())::int * 0) = 0",
    ] {
        app.db.execute_unprepared(sql).await.expect("set the fault up");
    }
    let query = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { number routingDecisions { summary } } userErrors { code } } }";
    let input = order_input("ann@example.com", json!([{ "sku": "TEE-1", "quantity": 2 }]));
    let request = json!({ "query": query, "variables": { "input": input } });
    let agent = app.token(Role::Agent);

    let first = send(&app, Some(&agent), Some("checkout-fault-1"), None, &request).await;
    assert!(codes(&first.body).contains(&"INTERNAL".to_owned()), "the nested read failed: {}", first.body);
    assert_eq!(app.count("orders").await, 1, "placeOrder committed before the fault");

    let retry = send(&app, Some(&agent), Some("checkout-fault-1"), None, &request).await;
    assert_eq!(app.count("orders").await, 1, "the retry placed a second order: {}", retry.body);
    assert!(retry.replayed, "the retry is answered from the record: {}", retry.body);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.status, first.status);
    assert_eq!(app.sum("inventory_levels", "reserved").await, 2);
}

// ---- Defect 4: keys belong to the authenticated principal ----------------------------------

async fn idempotency_keys_belong_to_the_principal(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    stocked(&app, &["WH-1"]).await;
    let ann = create_customer(&app, "ann@example.com").await;
    let bea = create_customer(&app, "bea@example.com").await;
    // The CLI's default: two customers' tokens with one subject.
    let ann_token = app.token_for("storefront", Role::Customer, Some(ann), &[]);
    let bea_token = app.token_for("storefront", Role::Customer, Some(bea), &[]);
    let checkout = own_checkout(PLACE);

    let a = send(&app, Some(&ann_token), Some("checkout-1"), None, &checkout).await;
    let b = send(&app, Some(&bea_token), Some("checkout-1"), None, &checkout).await;
    for (reply, email) in [(&a, "ann@example.com"), (&b, "bea@example.com")] {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(!reply.replayed, "another customer's answer was replayed: {}", reply.body);
        let placed = &reply.body["data"]["placeOrder"];
        assert_eq!(placed["userErrors"], json!([]), "{placed}");
        assert_eq!(placed["order"]["contact"]["email"], email, "{placed}");
    }
    assert_ne!(a.body["data"]["placeOrder"]["order"]["number"], b.body["data"]["placeOrder"]["order"]["number"]);
    assert_eq!(app.count("orders").await, 2);

    // Each customer's own retry replays their own order.
    let again = send(&app, Some(&ann_token), Some("checkout-1"), None, &checkout).await;
    assert!(again.replayed);
    assert_eq!(again.body, a.body);
    assert_eq!(app.count("orders").await, 2);

    let records = app.count("idempotency_records").await;
    assert_eq!(records, 2);

    // A query with a key simply runs; nothing is stored for it.
    let read = json!({ "query": "{ orders(first: 5) { edges { node { number } } } }" });
    let listed = send(&app, Some(&ann_token), Some("read-1"), None, &read).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["data"]["orders"]["edges"].as_array().map(Vec::len), Some(1), "{}", listed.body);
    let listed_by_bea = send(&app, Some(&bea_token), Some("read-1"), None, &read).await;
    assert!(!listed_by_bea.replayed);
    assert_eq!(app.count("idempotency_records").await, records, "a query stored a key");

    // An anonymous caller's key is not stored either.
    let anonymous = send(&app, None, Some("anon-1"), None, &checkout).await;
    assert!(!anonymous.replayed);
    assert_eq!(app.count("idempotency_records").await, records, "an anonymous key was stored");
    assert_eq!(app.count("orders").await, 2);
}

on_both_backends!(idempotency_keys_belong_to_the_principal);

// ---- Defect 12: a replayed refusal keeps its status ----------------------------------------

async fn a_replayed_refusal_keeps_its_status(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = create_customer(&app, "ann@example.com").await;
    let token = app.customer_token(&customer.to_string());
    let create = json!({
        "query": "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { sku } userErrors { code } } }",
        "variables": { "input": { "sku": "X-1", "name": "X", "price": { "amount": "1.00", "currency": "EUR" } } }
    });
    let first = send(&app, Some(&token), Some("create-1"), Some(GRAPHQL_RESPONSE_JSON), &create).await;
    assert_eq!(first.status, 400, "{}", first.body);
    assert_eq!(codes(&first.body), vec!["FORBIDDEN".to_owned()]);
    let retry = send(&app, Some(&token), Some("create-1"), Some(GRAPHQL_RESPONSE_JSON), &create).await;
    assert!(retry.replayed, "{}", retry.body);
    assert_eq!(retry.status, 400, "a replayed refusal came back as {}: {}", retry.status, retry.body);
    assert_eq!(retry.body, first.body);
}

on_both_backends!(a_replayed_refusal_keeps_its_status);

// ---- Defect 9: customers and associates see what is theirs ---------------------------------

const CUSTOMER_FACING: &[&str] = &[
    "ORDER_PLACED",
    "ORDER_CONFIRMED",
    "ORDER_CANCELLED",
    "FULFILLMENT_SHIPPED",
    "FULFILLMENT_DELIVERED",
    "READY_FOR_PICKUP",
    "PICKED_UP",
    "BACKORDERED",
    "BACKORDER_FILLED",
];

async fn a_customer_sees_the_customer_facing_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    stocked(&app, &["WH-1", "WH-2"]).await;
    let ann = create_customer(&app, "ann@example.com").await;
    let ann_token = app.customer_token(&ann.to_string());
    let placed = send(&app, Some(&ann_token), None, None, &own_checkout(PLACE)).await;
    let order = placed.body["data"]["placeOrder"]["order"].clone();
    let id = order["id"].as_str().expect("order id").to_owned();
    let first_location = order["fulfillmentOrders"][0]["location"]["code"].as_str().expect("location").to_owned();
    let fo = order["fulfillmentOrders"][0]["id"].as_str().expect("fo").to_owned();
    let confirmed = app.confirm_body(&app.agent(), &id).await;
    assert_eq!(confirmed["data"]["confirmOrder"]["userErrors"], json!([]), "{confirmed}");
    let associate = app.token_for("bob.picker", Role::Associate, None, &[&first_location]);
    let reason = "Bob dropped the last one; internal: shelf 4B mislabelled";
    let rejected =
        app.act_body(&associate, "rejectFulfillmentOrder", json!({ "fulfillmentOrderId": fo, "reason": reason })).await;
    assert_eq!(rejected["data"]["rejectFulfillmentOrder"]["userErrors"], json!([]), "{rejected}");

    let read = "query($id: ID!) { order(id: $id) { number events { kind actor actorRole message } fulfillmentOrders { status rejectReason } routingDecisions { summary } } }";
    // Staff see everything: the rejection, its reason, who did it, the routing.
    let staff = app.gql(Some(&app.token(Role::Agent)), read, json!({ "id": id })).await;
    assert!(staff.get("errors").is_none(), "{staff}");
    let staff_events = staff["data"]["order"]["events"].as_array().expect("events").clone();
    assert!(staff_events.iter().any(|e| e["kind"] == "FULFILLMENT_REJECTED" && e["actor"] == "bob.picker"), "{staff}");
    assert!(!staff["data"]["order"]["routingDecisions"].as_array().expect("decisions").is_empty());

    // The customer's page still renders; routing is refused on its own field.
    let own = app.gql(Some(&ann_token), read, json!({ "id": id })).await;
    let seen = &own["data"]["order"];
    assert_eq!(seen["number"], order["number"], "{own}");
    assert_eq!(seen["routingDecisions"], Value::Null, "{own}");
    assert_eq!(codes(&own), vec!["FORBIDDEN".to_owned()], "{own}");
    assert_eq!(own["errors"][0]["path"], json!(["order", "routingDecisions"]), "{own}");
    let events = seen["events"].as_array().expect("events");
    assert!(events.iter().any(|e| e["kind"] == "ORDER_PLACED"), "{own}");
    assert!(events.iter().any(|e| e["kind"] == "ORDER_CONFIRMED"), "{own}");
    for event in events {
        let kind = event["kind"].as_str().expect("kind");
        assert!(CUSTOMER_FACING.contains(&kind), "an internal event reached the customer: {event}");
        assert_ne!(event["actor"], "bob.picker", "{event}");
        assert_ne!(event["actor"], "test-agent", "a staff name reached the customer: {event}");
        let message = event["message"].as_str().expect("message");
        assert!(!message.contains("Bob") && !message.contains("WH-"), "an internal detail: {event}");
    }
    for fo in seen["fulfillmentOrders"].as_array().expect("fos") {
        assert_eq!(fo["rejectReason"], Value::Null, "an internal rejection reason reached the customer: {fo}");
    }
}

on_both_backends!(a_customer_sees_the_customer_facing_order);

#[tokio::test]
async fn an_associate_reads_the_stock_of_its_own_locations_only() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    stocked(&app, &["WH-1", "WH-2", "WH-3"]).await;
    let read = "{ product(sku: \"TEE-1\") { inventory { location { code } onHand } } }";
    let codes_of = |body: &Value| -> HashSet<String> {
        assert!(body.get("errors").is_none(), "{body}");
        body["data"]["product"]["inventory"]
            .as_array()
            .expect("levels")
            .iter()
            .map(|l| l["location"]["code"].as_str().expect("code").to_owned())
            .collect()
    };
    let associate = app.associate_token(&["WH-2", "WH-3"]);
    let theirs = codes_of(&app.gql(Some(&associate), read, json!({})).await);
    assert_eq!(theirs, HashSet::from(["WH-2".to_owned(), "WH-3".to_owned()]));
    let everything = codes_of(&app.gql(Some(&app.admin()), read, json!({})).await);
    assert_eq!(everything.len(), 3);
}

// ---- Defect 10: standard tooling reads the schema ------------------------------------------

#[tokio::test]
async fn graphql_js_standard_introspection_query_is_answered() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let reply = send(&app, None, None, None, &json!({ "query": INTROSPECTION })).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.get("errors").is_none(), "introspection refused: {}", reply.body);
    let schema = &reply.body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "QueryRoot");
    assert_eq!(schema["mutationType"]["name"], "MutationRoot");
    let types: HashSet<&str> =
        schema["types"].as_array().expect("types").iter().filter_map(|t| t["name"].as_str()).collect();
    for name in ["Order", "FulfillmentOrder", "PlaceOrderInput", "__Type", "String"] {
        assert!(types.contains(name), "{name} missing from the introspection answer");
    }
    assert!(!schema["directives"].as_array().expect("directives").is_empty());
}

#[tokio::test]
async fn deep_application_queries_are_refused_even_beside_introspection_or_in_fragments() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin();
    let depth = oms_api::graphql::MAX_DEPTH + 1;
    // product { inventory { product { inventory … } } } one field too deep.
    let mut selection = String::from("sku");
    let mut fields = 1;
    let mut product_next = false;
    while fields + 1 < depth {
        selection = format!("{} {{ {selection} }}", if product_next { "product" } else { "inventory" });
        product_next = !product_next;
        fields += 1;
    }
    let deep = format!("product(sku: \"TEE-1\") {{ inventory {{ {selection} }} }}");
    for query in [
        format!("{{ __schema {{ queryType {{ name }} }} {deep} }}"),
        format!("query {{ ...Deep }} fragment Deep on QueryRoot {{ {deep} }}"),
        format!("{{ __type(name: \"Order\") {{ name }} ... on QueryRoot {{ {deep} }} }}"),
    ] {
        let body = app.gql(Some(&admin), &query, json!({})).await;
        assert_eq!(body["data"], Value::Null, "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default().to_lowercase();
        assert!(message.contains("deep"), "refused as too deep: {body}");
    }
}

// ---- Defect 12: a location's queue is paged -------------------------------------------------

async fn a_locations_queue_is_paged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    stocked(&app, &["WH-1"]).await;
    let agent = app.token(Role::Agent);
    for i in 0..3 {
        let email = format!("c{i}@example.com");
        let placed = app.place_order(&agent, &email, json!([{ "sku": "TEE-1", "quantity": 1 }])).await;
        assert_eq!(placed["userErrors"], json!([]), "{placed}");
    }
    let associate = app.associate_token(&["WH-1"]);
    let page = "query($after: String) { fulfillmentOrders(locationCode: \"WH-1\", first: 2, after: $after) { edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } }";
    let first = app.gql(Some(&associate), page, json!({ "after": null })).await;
    assert!(first.get("errors").is_none(), "{first}");
    let connection = &first["data"]["fulfillmentOrders"];
    assert_eq!(connection["edges"].as_array().map(Vec::len), Some(2), "{first}");
    assert_eq!(connection["pageInfo"]["hasNextPage"], true);
    let after = connection["pageInfo"]["endCursor"].clone();
    let second = app.gql(Some(&associate), page, json!({ "after": after })).await;
    assert!(second.get("errors").is_none(), "{second}");
    let rest = &second["data"]["fulfillmentOrders"];
    assert_eq!(rest["edges"].as_array().map(Vec::len), Some(1), "{second}");
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    let ids: Vec<&str> = connection["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(rest["edges"].as_array().into_iter().flatten())
        .map(|e| e["node"]["id"].as_str().expect("id"))
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "oldest first");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 3);

    // Too large a page is the caller's mistake, not a fault.
    let too_big = app
        .gql(
            Some(&associate),
            "{ fulfillmentOrders(locationCode: \"WH-1\", first: 1000) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&too_big), vec!["INVALID_INPUT".to_owned()], "{too_big}");
}

on_both_backends!(a_locations_queue_is_paged);
