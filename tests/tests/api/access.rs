//! Who may see and do what (DESIGN §7). Anonymous callers browse the catalogue and are asked to
//! sign in for anything else; a bad or expired token is refused outright; agents run orders but
//! not the catalogue; customers see and order only for themselves; associates see the orders
//! their locations fulfil. A foreign order looks exactly like a missing one, and a refused
//! request writes nothing.
use std::path::PathBuf;

use domain::auth::{Role, TokenKeys};
use oms_api::config::Secret;
use oms_api::{Application, Migrations, Settings};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::documents::{CREATE_LOCATION, CREATE_PRODUCT, PLACE_ORDER, RECEIVE};
use crate::fixtures::{order_input, own_order};
use crate::helpers::{Backend, TestApp};

// ---- Queries and small helpers ---------------------------------------------------------------

const ORDER: &str = "query($id: ID!) { order(id: $id) { id number status customer { id } contact { email } } }";
const ORDER_BY_NUMBER: &str = "query($number: String!) { orderByNumber(number: $number) { id number } }";
const ORDERS: &str = "{ orders(first: 100) { edges { node { id } } } }";
const MOVEMENTS: &str =
    "query($sku: String!) { inventoryMovements(sku: $sku, first: 50) { edges { node { kind onHandDelta } } } }";
const CATALOGUE: &str = "{ products(first: 10) { edges { node { sku name price { amount currency } available } } } locations(first: 10) { edges { node { code canPickup } } } }";

/// The `extensions.code` of the first top-level error, if any.
fn top_level_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// Asserts `body` is refused with a top-level error of `code` and carries no data.
fn assert_top_level(body: &Value, code: &str, story: &str) {
    assert_eq!(top_level_code(body), Some(code), "{story}: {body}");
    assert_eq!(body["data"], Value::Null, "{story}: a refused request returns no data: {body}");
}

/// The ids of the orders an `orders` answer lists, sorted.
fn order_ids(body: &Value) -> Vec<String> {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    let mut ids: Vec<String> = body["data"]["orders"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted_ids(ids: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    out.sort();
    out
}

/// An order the caller placed: its id and number.
struct Placed {
    id: String,
    number: String,
}

/// Places an order with `token` and `input`, which must succeed.
async fn place(app: &TestApp, token: &str, input: Value) -> Placed {
    let order = app.placed(token, input).await;
    Placed {
        id: order["id"].as_str().expect("id").to_owned(),
        number: order["number"].as_str().expect("number").to_owned(),
    }
}

async fn order_as(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql(Some(token), ORDER, json!({ "id": id })).await
}

async fn by_number_as(app: &TestApp, token: &str, number: &str) -> Value {
    app.gql(Some(token), ORDER_BY_NUMBER, json!({ "number": number })).await
}

// ---- Anonymous callers -------------------------------------------------------------------------

#[tokio::test]
async fn anonymous_callers_browse_the_catalogue_and_are_asked_to_sign_in_for_the_rest() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location("STORE-1", true, 10, "0").await;
    app.create_product("TEE", "19.99").await;
    app.receive("TEE", "STORE-1", 3).await;

    // Browsing needs no token.
    let body = app.gql(None, CATALOGUE, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let tee = &body["data"]["products"]["edges"][0]["node"];
    assert_eq!(tee["sku"], "TEE");
    assert_eq!(tee["price"], json!({ "amount": "19.99", "currency": "EUR" }));
    assert_eq!(tee["available"], 3);
    assert_eq!(body["data"]["locations"]["edges"][0]["node"]["code"], "STORE-1");
    let one = app.gql(None, "{ product(sku: \"TEE\") { sku name } }", json!({})).await;
    assert_eq!(one["data"]["product"]["sku"], "TEE", "{one}");

    // Where stock sits, per location, is for staff.
    let body = app.gql(None, "{ product(sku: \"TEE\") { inventory { onHand } } }", json!({})).await;
    assert_eq!(top_level_code(&body), Some("UNAUTHENTICATED"), "{body}");

    // Writing anything is refused with UNAUTHENTICATED, and nothing is written.
    let before = app.snapshot().await;
    let product = json!({ "input": { "sku": "CAP", "name": "Cap", "price": { "amount": "9.99", "currency": "EUR" } } });
    assert_top_level(&app.gql(None, CREATE_PRODUCT, product).await, "UNAUTHENTICATED", "anonymous createProduct");
    let order = json!({ "input": order_input("anon@example.com", json!([{ "sku": "TEE", "quantity": 1 }])) });
    assert_top_level(&app.gql(None, PLACE_ORDER, order).await, "UNAUTHENTICATED", "anonymous placeOrder");
    let receipt = json!({ "input": { "sku": "TEE", "locationCode": "STORE-1", "quantity": 5 } });
    assert_top_level(&app.gql(None, RECEIVE, receipt).await, "UNAUTHENTICATED", "anonymous receiveInventory");
    assert_eq!(app.snapshot().await, before);

    // Orders and the ledger are not for anonymous eyes either.
    assert_top_level(&app.gql(None, ORDERS, json!({})).await, "UNAUTHENTICATED", "anonymous orders");
    let ledger = app.gql(None, MOVEMENTS, json!({ "sku": "TEE" })).await;
    assert_top_level(&ledger, "UNAUTHENTICATED", "anonymous inventoryMovements");
}

// ---- Tokens ------------------------------------------------------------------------------------

/// A bad token is not taken for "anonymous": it is refused with HTTP 401, even for a query an
/// anonymous caller could run.
#[tokio::test]
async fn an_invalid_bearer_token_is_refused_with_401() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let request = json!({ "query": CATALOGUE });
    let (status, _) = app.post(None, None, &request).await;
    assert_eq!(status, 200, "without a token the catalogue is open");

    let foreign = TokenKeys::from_secret(b"a-secret-this-server-never-had-0123456789")
        .issue_for("mallory", Role::Admin, None, Vec::new(), 3600)
        .expect("token");
    let admin = app.admin();
    let tampered = {
        // The admin token with its signature cut short.
        let cut = admin.len() - 4;
        admin.get(..cut).expect("a token is ASCII").to_owned()
    };
    for (story, token) in
        [("garbage", "not-a-jwt".to_owned()), ("signed with another secret", foreign), ("tampered", tampered)]
    {
        let (status, body) = app.post(Some(&token), None, &request).await;
        assert_eq!(status, 401, "{story}: {body}");
        assert_eq!(top_level_code(&body), Some("UNAUTHENTICATED"), "{story}: {body}");
    }
}

/// A throwaway SQLite database file, removed (with its WAL) however the test ends.
struct TempDatabase(PathBuf);

impl Drop for TempDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
        let _ = std::fs::remove_file(self.0.with_extension("secret"));
    }
}

/// An expired token needs the server's secret to mint, so this test starts the service itself,
/// over a throwaway SQLite database, with a secret it holds.
#[tokio::test]
async fn an_expired_bearer_token_is_refused_with_401() {
    let secret = format!("expiry-test-secret-{}", Uuid::new_v4()).into_bytes();
    let database = TempDatabase(std::env::temp_dir().join(format!("oms_test_{}.db", Uuid::new_v4().simple())));
    let settings = Settings {
        database_url: format!("sqlite://{}", database.0.display()),
        bind: "127.0.0.1:0".to_owned(),
        jwt_secret: Secret(secret.clone()),
    };
    let server = Application::build(&settings, Migrations::Apply).await.expect("build the application");
    let url = format!("http://127.0.0.1:{}/graphql", server.port());
    let handle = server.handle();
    tokio::spawn(server.run());

    let keys = TokenKeys::from_secret(&secret);
    let client = reqwest::Client::new();
    let ask = |token: String| {
        let request = client.post(&url).bearer_auth(token).json(&json!({ "query": ORDERS }));
        async move {
            let response = request.send().await.expect("send");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("JSON body"))
        }
    };

    let fresh = keys.issue_for("agent-1", Role::Agent, None, Vec::new(), 3600).expect("token");
    let (status, body) = ask(fresh).await;
    assert_eq!(status, 200, "the same secret's fresh token is accepted: {body}");
    assert!(body.get("errors").is_none(), "{body}");

    // Expired a minute ago: well past the few seconds of leeway.
    let expired = keys.issue_for("agent-1", Role::Agent, None, Vec::new(), -60).expect("token");
    let (status, body) = ask(expired).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(top_level_code(&body), Some("UNAUTHENTICATED"), "{body}");

    handle.stop(true).await;
}

// ---- Agents ------------------------------------------------------------------------------------

/// Agents run orders and customers, but the catalogue, locations, stock, promotions and tax are
/// the admins'.
#[tokio::test]
async fn agents_may_not_change_the_catalogue_locations_stock_or_pricing() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_product("TEE", "19.99").await;
    app.receive("TEE", "WH-1", 5).await;
    let agent = app.token(Role::Agent);
    let before = app.snapshot().await;

    let refused: Vec<(&str, &str, Value)> = vec![
        (
            "createProduct",
            CREATE_PRODUCT,
            json!({ "sku": "CAP", "name": "Cap", "price": { "amount": "9.99", "currency": "EUR" } }),
        ),
        (
            "updateProduct",
            "mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { sku } userErrors { code } } }",
            json!({ "sku": "TEE", "active": false }),
        ),
        ("receiveInventory", RECEIVE, json!({ "sku": "TEE", "locationCode": "WH-1", "quantity": 5 })),
        (
            "adjustInventory",
            "mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { inventoryLevel { onHand } userErrors { code } } }",
            json!({ "sku": "TEE", "locationCode": "WH-1", "delta": -5, "reason": "theft" }),
        ),
        (
            "setSafetyStock",
            "mutation($input: SetSafetyStockInput!) { setSafetyStock(input: $input) { inventoryLevel { safetyStock } userErrors { code } } }",
            json!({ "sku": "TEE", "locationCode": "WH-1", "quantity": 2 }),
        ),
        (
            "createLocation",
            CREATE_LOCATION,
            json!({ "code": "WH-2", "name": "Second", "kind": "WAREHOUSE",
                    "address": { "line1": "1 Main St", "city": "Lyon", "postalCode": "69001", "country": "FR", "latitude": 45.76, "longitude": 4.83 } }),
        ),
        (
            "updateLocation",
            "mutation($input: UpdateLocationInput!) { updateLocation(input: $input) { location { code } userErrors { code } } }",
            json!({ "code": "WH-1", "canShip": false }),
        ),
        (
            "createPromotion",
            "mutation($input: CreatePromotionInput!) { createPromotion(input: $input) { promotion { code } userErrors { code } } }",
            json!({ "code": "FRIENDS", "percentOff": "50" }),
        ),
        (
            "setTaxRate",
            "mutation($input: SetTaxRateInput!) { setTaxRate(input: $input) { taxRate { country } userErrors { code } } }",
            json!({ "country": "FR", "ratePercent": "0" }),
        ),
    ];
    for (story, mutation, input) in refused {
        let body = app.gql(Some(&agent), mutation, json!({ "input": input })).await;
        assert_top_level(&body, "FORBIDDEN", &format!("agent {story}"));
    }
    assert_eq!(app.snapshot().await, before, "no refused write left a trace");

    // What agents are for: customers and orders, for anyone.
    app.create_customer(&agent, "ann@example.com", "Ann Martin").await;
    let order = place(&app, &agent, order_input("ann@example.com", json!([{ "sku": "TEE", "quantity": 1 }]))).await;
    let ledger = app.gql(Some(&agent), MOVEMENTS, json!({ "sku": "TEE" })).await;
    assert!(ledger.get("errors").is_none(), "agents read the ledger: {ledger}");
    assert_eq!(ledger["data"]["inventoryMovements"]["edges"].as_array().map(Vec::len), Some(2), "{ledger}");
    let confirm = app.confirm_body(&agent, &order.id).await;
    assert_eq!(confirm["data"]["confirmOrder"]["order"]["status"], "CONFIRMED", "{confirm}");
}

// ---- Customers ---------------------------------------------------------------------------------

/// Ann and Bob each have a customer record; Ann holds a customer token. She orders for herself,
/// sees her own orders and nothing of Bob's, and may cancel but not confirm.
#[tokio::test]
async fn a_customer_sees_and_orders_only_for_itself() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location("WH-1", false, 10, "4.90").await;
    app.create_product("TEE", "19.99").await;
    app.receive("TEE", "WH-1", 10).await;
    let agent = app.token(Role::Agent);
    let ann_id = app.create_customer(&agent, "ann@example.com", "Ann Martin").await;
    let bob_id = app.create_customer(&agent, "bob@example.com", "Bob Stone").await;
    let ann = app.customer_token(&ann_id);
    let tee = |quantity: i64| json!([{ "sku": "TEE", "quantity": quantity }]);

    // Ann orders without saying who she is; the order is hers.
    let first = place(&app, &ann, own_order(tee(1))).await;
    let body = order_as(&app, &ann, &first.id).await;
    assert_eq!(body["data"]["order"]["id"], first.id.as_str(), "{body}");
    assert_eq!(body["data"]["order"]["customer"]["id"], ann_id.as_str(), "{body}");
    assert_eq!(body["data"]["order"]["contact"]["email"], "ann@example.com", "{body}");
    // She may also give her own email, in any case.
    let own_email = order_input("ANN@Example.com", tee(1));
    let second = place(&app, &ann, own_email).await;

    // Bob's order, placed by an agent, lands on Bob's record.
    let bobs = place(&app, &agent, order_input("bob@example.com", tee(2))).await;
    let body = order_as(&app, &agent, &bobs.id).await;
    assert_eq!(body["data"]["order"]["customer"]["id"], bob_id.as_str(), "{body}");

    // To Ann, Bob's order does not exist: the same answer as for a random id or number.
    let foreign = order_as(&app, &ann, &bobs.id).await;
    let missing = order_as(&app, &ann, &Uuid::new_v4().to_string()).await;
    assert_eq!(foreign, json!({ "data": { "order": null } }));
    assert_eq!(foreign, missing);
    let foreign = by_number_as(&app, &ann, &bobs.number).await;
    assert_eq!(foreign, json!({ "data": { "orderByNumber": null } }));
    assert_eq!(foreign, by_number_as(&app, &ann, "SO-999999").await);
    let own = by_number_as(&app, &ann, &first.number).await;
    assert_eq!(own["data"]["orderByNumber"]["id"], first.id.as_str(), "{own}");
    let body = app.gql(Some(&ann), "query($id: ID!) { customer(id: $id) { email } }", json!({ "id": bob_id })).await;
    assert_eq!(body, json!({ "data": { "customer": null } }), "nor does Bob himself");

    // Her list holds her orders only.
    let listed = order_ids(&app.gql(Some(&ann), ORDERS, json!({})).await);
    assert_eq!(listed, sorted_ids(&[&first.id, &second.id]));

    // She cannot order in Bob's name, confirm her own order, or list customers; nothing changes.
    let before = app.snapshot().await;
    let as_bob = app.gql(Some(&ann), PLACE_ORDER, json!({ "input": order_input("bob@example.com", tee(1)) })).await;
    assert_top_level(&as_bob, "FORBIDDEN", "ordering in another's name");
    let confirm = app.confirm_body(&ann, &first.id).await;
    assert_top_level(&confirm, "FORBIDDEN", "a customer confirming");
    let customers = app.gql(Some(&ann), "{ customers { edges { node { email } } } }", json!({})).await;
    assert_top_level(&customers, "FORBIDDEN", "a customer listing customers");
    let ledger = app.gql(Some(&ann), MOVEMENTS, json!({ "sku": "TEE" })).await;
    assert_top_level(&ledger, "FORBIDDEN", "a customer reading the ledger");
    let stock = app.gql(Some(&ann), "{ product(sku: \"TEE\") { inventory { onHand } } }", json!({})).await;
    assert_eq!(top_level_code(&stock), Some("FORBIDDEN"), "{stock}");
    // Cancelling Bob's order is answered as for a missing order.
    let cancel_bobs = app.cancel_body(&ann, &bobs.id, "not mine").await;
    let cancel_missing = app.cancel_body(&ann, &Uuid::new_v4().to_string(), "not mine").await;
    assert_eq!(cancel_bobs["data"]["cancelOrder"]["order"], Value::Null, "{cancel_bobs}");
    assert_eq!(cancel_bobs["data"]["cancelOrder"]["userErrors"][0]["code"], "NOT_FOUND", "{cancel_bobs}");
    assert_eq!(cancel_bobs, cancel_missing);
    assert_eq!(app.snapshot().await, before, "no refused request left a trace");
    let body = order_as(&app, &agent, &bobs.id).await;
    assert_eq!(body["data"]["order"]["status"], "PENDING", "Bob's order is untouched");

    // Her own order she may cancel.
    let cancelled = app.cancel_body(&ann, &first.id, "changed my mind").await;
    assert_eq!(cancelled["data"]["cancelOrder"]["userErrors"], json!([]), "{cancelled}");
    assert_eq!(cancelled["data"]["cancelOrder"]["order"]["status"], "CANCELLED", "{cancelled}");

    // A customer token whose record does not exist orders nothing and sees nothing.
    let ghost = app.customer_token(&Uuid::new_v4().to_string());
    let before = app.snapshot().await;
    let body = app.gql(Some(&ghost), PLACE_ORDER, json!({ "input": own_order(tee(1)) })).await;
    assert_top_level(&body, "FORBIDDEN", "a token for no customer");
    assert_eq!(app.snapshot().await, before);
    assert_eq!(order_ids(&app.gql(Some(&ghost), ORDERS, json!({})).await), Vec::<String>::new());
}

// ---- Associates and staff ----------------------------------------------------------------------

/// Three orders: one fulfilled at WH-A, one at WH-B, one split across both. An associate sees
/// the orders its locations fulfil; agents and admins see all of them.
#[tokio::test]
async fn associates_see_the_orders_their_locations_fulfil_and_staff_see_all() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location("WH-A", false, 10, "4.90").await;
    app.create_location("WH-B", false, 20, "5.90").await;
    app.create_product("ONLY-A", "10.00").await;
    app.create_product("ONLY-B", "12.00").await;
    app.receive("ONLY-A", "WH-A", 10).await;
    app.receive("ONLY-B", "WH-B", 10).await;
    let agent = app.token(Role::Agent);
    let line = |sku: &str| json!({ "sku": sku, "quantity": 1 });
    let at_a = place(&app, &agent, order_input("ann@example.com", json!([line("ONLY-A")]))).await;
    let at_b = place(&app, &agent, order_input("bob@example.com", json!([line("ONLY-B")]))).await;
    let split = place(&app, &agent, order_input("cy@example.com", json!([line("ONLY-A"), line("ONLY-B")]))).await;
    let body = order_as(&app, &agent, &split.id).await;
    assert_eq!(body["data"]["order"]["id"], split.id.as_str(), "{body}");

    let a = app.associate_token(&["WH-A"]);
    let b = app.associate_token(&["WH-B"]);
    assert_eq!(order_ids(&app.gql(Some(&a), ORDERS, json!({})).await), sorted_ids(&[&at_a.id, &split.id]));
    assert_eq!(order_ids(&app.gql(Some(&b), ORDERS, json!({})).await), sorted_ids(&[&at_b.id, &split.id]));
    // An associate of both pages through them one at a time, newest first, the split order once.
    let both = app.associate_token(&["WH-A", "WH-B"]);
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = "query($after: String) { orders(first: 1, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }";
        let body = app.gql(Some(&both), page, json!({ "after": after })).await;
        assert!(body.get("errors").is_none(), "{body}");
        paged.extend(order_ids(&body));
        if body["data"]["orders"]["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = body["data"]["orders"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged, [split.id.clone(), at_b.id.clone(), at_a.id.clone()], "newest first");

    // By id and by number: WH-A's associate sees its orders, and B's only order looks missing.
    for visible in [&at_a, &split] {
        let body = order_as(&app, &a, &visible.id).await;
        assert_eq!(body["data"]["order"]["id"], visible.id.as_str(), "{body}");
        let body = by_number_as(&app, &a, &visible.number).await;
        assert_eq!(body["data"]["orderByNumber"]["id"], visible.id.as_str(), "{body}");
    }
    let foreign = order_as(&app, &a, &at_b.id).await;
    assert_eq!(foreign, json!({ "data": { "order": null } }));
    assert_eq!(foreign, order_as(&app, &a, &Uuid::new_v4().to_string()).await);
    let foreign = by_number_as(&app, &a, &at_b.number).await;
    assert_eq!(foreign, json!({ "data": { "orderByNumber": null } }));
    assert_eq!(foreign, by_number_as(&app, &a, "SO-999999").await);
    let body = order_as(&app, &b, &at_a.id).await;
    assert_eq!(body["data"]["order"], Value::Null, "{body}");

    // An associate of a location that fulfils nothing (or does not exist) sees nothing.
    let elsewhere = app.associate_token(&["WH-X"]);
    assert_eq!(order_ids(&app.gql(Some(&elsewhere), ORDERS, json!({})).await), Vec::<String>::new());
    assert_eq!(order_as(&app, &elsewhere, &split.id).await["data"]["order"], Value::Null);

    // Agents and admins see every order, by id, by number (in any case) and in the list.
    let all = sorted_ids(&[&at_a.id, &at_b.id, &split.id]);
    for staff in [agent.clone(), app.admin()] {
        assert_eq!(order_ids(&app.gql(Some(&staff), ORDERS, json!({})).await), all);
        for placed in [&at_a, &at_b, &split] {
            let body = by_number_as(&app, &staff, &placed.number.to_lowercase()).await;
            assert_eq!(body["data"]["orderByNumber"]["id"], placed.id.as_str(), "{body}");
            let body = order_as(&app, &staff, &placed.id).await;
            assert_eq!(body["data"]["order"]["number"], placed.number.as_str(), "{body}");
        }
        assert_eq!(by_number_as(&app, &staff, "SO-999999").await, json!({ "data": { "orderByNumber": null } }));
    }
}
