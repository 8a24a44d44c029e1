//! Automatic Persisted Queries as an Apollo client speaks them over HTTP, and the parsed-query
//! cache behind them: a hash the server has not seen is asked for its query, a hash it has seen
//! runs alone, a wrong hash runs nothing; a repeated query still answers for its own variables,
//! and the alias and depth limits refuse a query however often it comes.
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::documents::PLACE_ORDER;
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp};

const PRODUCT: &str = "query Product($sku: String!) { product(sku: $sku) { sku name price { amount } } }";

const NOT_FOUND: &str =
    r#"{"errors":[{"message":"PersistedQueryNotFound","extensions":{"code":"PERSISTED_QUERY_NOT_FOUND"}}]}"#;

fn sha256(query: &str) -> String {
    hex::encode(Sha256::digest(query.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// What came back over the wire.
struct Answer {
    status: u16,
    cache_control: Option<String>,
    replayed: bool,
    body: Value,
}

/// A client that sends what Apollo Client's persisted-query link sends: the same body both
/// times, the query text added the second time.
struct ApolloClient<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    token: String,
}

impl<'a> ApolloClient<'a> {
    fn new(app: &'a TestApp, token: String) -> ApolloClient<'a> {
        ApolloClient { app, http: reqwest::Client::new(), token }
    }

    async fn send(&self, body: Value, idempotency_key: Option<&str>) -> Answer {
        let mut request = self.http.post(format!("{}/graphql", self.app.address)).bearer_auth(&self.token).json(&body);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let cache_control = header("cache-control");
        let replayed = header("idempotent-replayed").as_deref() == Some("true");
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        Answer { status, cache_control, replayed, body }
    }

    /// The optimistic first request: the hash alone.
    async fn by_hash(&self, query: &str, variables: Value, key: Option<&str>) -> Answer {
        let body = json!({ "variables": variables, "extensions": persisted(&sha256(query)) });
        self.send(body, key).await
    }

    /// The retry after `PersistedQueryNotFound`: the hash and the query.
    async fn with_query(&self, query: &str, variables: Value, key: Option<&str>) -> Answer {
        let body = json!({ "query": query, "variables": variables, "extensions": persisted(&sha256(query)) });
        self.send(body, key).await
    }
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_apollo_client_registers_a_query_by_hash_and_then_sends_the_hash_alone() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_product("TEE-1", "19.99").await;
    let client = ApolloClient::new(&app, app.admin());
    let variables = json!({ "sku": "TEE-1" });

    // The server has never seen the hash: it asks for the query, with HTTP 200 as Apollo
    // clients expect, and no proxy may keep that answer.
    let first = client.by_hash(PRODUCT, variables.clone(), None).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body, serde_json::from_str::<Value>(NOT_FOUND).expect("JSON"));
    assert_eq!(first.cache_control.as_deref(), Some("private, no-cache, must-revalidate"));

    // The client resends the hash with its query: it is checked, kept and run.
    let registered = client.with_query(PRODUCT, variables.clone(), None).await;
    assert_eq!(registered.status, 200);
    let expected =
        json!({ "data": { "product": { "sku": "TEE-1", "name": "Product TEE-1", "price": { "amount": "19.99" } } } });
    assert_eq!(registered.body, expected);

    // From now on the hash alone runs it, from the document kept.
    let reused = app.documents_reused();
    let by_hash = client.by_hash(PRODUCT, variables.clone(), None).await;
    assert_eq!((by_hash.status, &by_hash.body), (200, &expected));
    assert_eq!(app.documents_reused(), reused + 1);

    // A wrong hash runs nothing, not even a mutation that would be accepted, and is not kept.
    let before = app.snapshot().await;
    let create = "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { sku } } }";
    let input = json!({ "input": { "sku": "TEE-2", "name": "Tee", "price": { "amount": "9.00", "currency": "EUR" } } });
    let wrong_hash = sha256(PRODUCT);
    let mismatch =
        client.send(json!({ "query": create, "variables": input, "extensions": persisted(&wrong_hash) }), None).await;
    assert_eq!(mismatch.status, 400, "{}", mismatch.body);
    assert_eq!(mismatch.body["errors"][0]["message"], "provided sha does not match query");
    assert_eq!(code(&mismatch.body), "PERSISTED_QUERY_HASH_MISMATCH");
    assert!(mismatch.body.get("data").is_none(), "{}", mismatch.body);
    assert_eq!(app.snapshot().await, before);
    // The hash still stands for the query it was registered with.
    let still = client.by_hash(PRODUCT, variables.clone(), None).await;
    assert_eq!(still.body, expected);
    // And the mutation's own hash was never registered by the mismatched request.
    assert_eq!(code(&client.by_hash(create, input, None).await.body), "PERSISTED_QUERY_NOT_FOUND");

    // Only version 1 of the protocol exists; a hash must be one.
    let version_2 = json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": sha256(PRODUCT) } } });
    let unsupported = client.send(version_2, None).await;
    assert_eq!((unsupported.status, code(&unsupported.body)), (400, "BAD_REQUEST"));
    assert_eq!(unsupported.body["errors"][0]["message"], "Unsupported persisted query version");
    let malformed = client.send(json!({ "extensions": persisted("not-a-hash") }), None).await;
    assert_eq!((malformed.status, code(&malformed.body)), (400, "BAD_REQUEST"));
}

#[tokio::test]
async fn a_persisted_mutation_keeps_its_idempotency_key_whether_sent_with_its_query_or_by_hash() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location("WH-1", false, 1, "4.90").await;
    app.create_product("TEE-1", "19.99").await;
    app.receive("TEE-1", "WH-1", 10).await;
    let client = ApolloClient::new(&app, app.agent());
    let variables = json!({ "input": order_input("ann@example.com", json!([{ "sku": "TEE-1", "quantity": 1 }])) });

    // A hash the server does not know claims no key: the client's resend with the query runs.
    let unknown = client.by_hash(PLACE_ORDER, variables.clone(), Some("order-1")).await;
    assert_eq!(code(&unknown.body), "PERSISTED_QUERY_NOT_FOUND");
    let placed = client.with_query(PLACE_ORDER, variables.clone(), Some("order-1")).await;
    assert_eq!(placed.status, 200);
    assert!(!placed.replayed);
    assert_eq!(placed.body["data"]["placeOrder"]["userErrors"], json!([]), "{}", placed.body);
    assert_eq!(app.count("orders").await, 1);

    // The retry by hash alone is the same request: replayed, not placed again.
    let retried = client.by_hash(PLACE_ORDER, variables.clone(), Some("order-1")).await;
    assert!(retried.replayed, "{}", retried.body);
    assert_eq!(retried.body, placed.body);
    // So is the same mutation sent plainly.
    let plain = client.send(json!({ "query": PLACE_ORDER, "variables": variables.clone() }), Some("order-1")).await;
    assert!(plain.replayed, "{}", plain.body);
    assert_eq!(app.count("orders").await, 1);

    // Another query under the same key is another request, persisted or not.
    let other = PLACE_ORDER.replace("userErrors { field code message }", "userErrors { code }");
    let reused = client.with_query(&other, variables.clone(), Some("order-1")).await;
    assert_eq!((reused.status, code(&reused.body)), (422, "IDEMPOTENCY_KEY_REUSED"), "{}", reused.body);
    let reused = client.by_hash(&other, variables, Some("order-1")).await;
    assert_eq!((reused.status, code(&reused.body)), (422, "IDEMPOTENCY_KEY_REUSED"), "{}", reused.body);
    assert_eq!(app.count("orders").await, 1);
}

#[tokio::test]
async fn a_repeated_query_answers_for_its_own_variables_and_the_limits_hold_from_the_cache() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_product("TEE-1", "19.99").await;
    app.create_product("MUG-1", "7.50").await;
    let admin = app.admin();

    // The same text with other variables: parsed once, answered for each.
    let tee = app.gql(Some(&admin), PRODUCT, json!({ "sku": "TEE-1" })).await;
    let reused = app.documents_reused();
    let mug = app.gql(Some(&admin), PRODUCT, json!({ "sku": "MUG-1" })).await;
    let tee_again = app.gql(Some(&admin), PRODUCT, json!({ "sku": "TEE-1" })).await;
    assert_eq!(app.documents_reused(), reused + 2);
    assert_eq!(tee["data"]["product"]["price"]["amount"], "19.99", "{tee}");
    assert_eq!(mug["data"]["product"]["price"]["amount"], "7.50", "{mug}");
    assert_eq!(mug["data"]["product"]["sku"], "MUG-1");
    assert_eq!(tee_again, tee);

    // One document, two operations: the name chooses, from the cache as well.
    let two = "query Tee { product(sku: \"TEE-1\") { sku } } query Mug { product(sku: \"MUG-1\") { sku } }";
    for name in ["Tee", "Mug", "Tee"] {
        let (_, body) = app.post(Some(&admin), None, &json!({ "query": two, "operationName": name })).await;
        assert_eq!(body["data"]["product"]["sku"], if name == "Tee" { "TEE-1" } else { "MUG-1" }, "{body}");
    }

    // Too deep (13 levels; the fields need not exist: the limit is checked before validation),
    // refused the first time and every time after, plainly or by hash.
    let too_deep = format!("{{ {}x{} }}", "a { ".repeat(12), " }".repeat(12));
    let too_many_aliases =
        format!("{{ {} }}", (0..65).map(|i| format!("a{i}: __typename")).collect::<Vec<_>>().join(" "));
    for (query, refusal) in [(too_deep.as_str(), "TOO_DEEP"), (too_many_aliases.as_str(), "TOO_MANY_ALIASES")] {
        let reused = app.documents_reused();
        for _ in 0..2 {
            let body = app.gql(Some(&admin), query, json!({})).await;
            assert_eq!(code(&body), refusal, "{body}");
            assert!(body.get("data").is_none(), "{body}");
        }
        assert_eq!(app.documents_reused(), reused + 1, "the second refusal came from the cache");
        let client = ApolloClient::new(&app, admin.clone());
        assert_eq!(code(&client.with_query(query, json!({}), None).await.body), refusal);
        assert_eq!(code(&client.by_hash(query, json!({}), None).await.body), refusal);
    }

    // A query that does not parse is never kept: its syntax error comes every time.
    for _ in 0..2 {
        let reused = app.documents_reused();
        let body = app.gql(Some(&admin), "{ product(sku: ", json!({})).await;
        assert!(body["errors"][0]["message"].is_string(), "{body}");
        assert_eq!(app.documents_reused(), reused);
    }
}
