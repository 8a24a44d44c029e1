//! An order's page — the order with its lines, its fulfilment orders (their lines, order lines
//! and locations), its timeline and its customer — is read in one statement on PostgreSQL, reads exactly what
//! the loaders would, and shows a caller no more than they may see.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use domain::auth::{Actor, Role};
use domain::orders::{OrderKey, get_whole_order, read_whole_order_by_kind};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp};

const ORDER_PAGE: &str = "query($id: ID!) { order(id: $id) { id number status customer { email }
    lines { sku quantity allocatedQuantity }
    fulfillmentOrders { status location { code } lines { quantity orderLine { sku } } }
    events { kind message } } }";

/// An order of two lines, each from the one location that stocks it; its id.
async fn order_from_two_locations(app: &TestApp, email: &str) -> String {
    app.create_location("WH-A", false, 1, "4.90").await;
    app.create_location("WH-B", false, 2, "4.90").await;
    for (sku, location) in [("A", "WH-A"), ("B", "WH-B")] {
        app.create_product(sku, "10.00").await;
        app.receive(sku, location, 10).await;
    }
    let lines = json!([{ "sku": "A", "quantity": 1 }, { "sku": "B", "quantity": 2 }]);
    let payload = app.place_order(&app.token(Role::Agent), email, lines).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["order"]["id"].as_str().expect("order id").to_owned()
}

fn page(body: &Value) -> &Value {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    &body["data"]["order"]
}

/// The location codes of a page's fulfilment orders, sorted, each with its order lines' SKUs.
fn fulfilled_from(order: &Value) -> Vec<(String, Vec<String>)> {
    let mut found: Vec<(String, Vec<String>)> = order["fulfillmentOrders"]
        .as_array()
        .expect("fulfilment orders")
        .iter()
        .map(|fo| {
            let skus = fo["lines"].as_array().expect("lines").iter();
            let skus = skus.map(|l| l["orderLine"]["sku"].as_str().expect("sku").to_owned()).collect();
            (fo["location"]["code"].as_str().expect("code").to_owned(), skus)
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn an_order_page_is_one_statement_on_postgres() {
    let counter = Arc::new(AtomicUsize::new(0));
    let app = TestApp::spawn_counting(Backend::Postgres, Some(counter.clone())).await;
    let id = order_from_two_locations(&app, "page@example.com").await;

    counter.store(0, Ordering::SeqCst);
    let body = app.gql(Some(&app.admin()), ORDER_PAGE, json!({ "id": id })).await;
    let statements = counter.load(Ordering::SeqCst);

    let order = page(&body);
    assert_eq!(order["id"], json!(id), "{body}");
    let skus: Vec<&str> = order["lines"].as_array().expect("lines").iter().filter_map(|l| l["sku"].as_str()).collect();
    assert_eq!(skus, ["A", "B"], "{body}");
    let expected = vec![("WH-A".to_owned(), vec!["A".to_owned()]), ("WH-B".to_owned(), vec!["B".to_owned()])];
    assert_eq!(fulfilled_from(order), expected, "{body}");
    assert!(order["events"].as_array().is_some_and(|e| !e.is_empty()), "{body}");
    assert_eq!(order["customer"]["email"], json!("page@example.com"), "{body}");
    // The loaders would read the order, then its lines, fulfilment orders, events and customer,
    // then the fulfilment orders' lines, locations and order lines: eight statements in three
    // turns.
    assert_eq!(statements, 1, "{body}");

    // An associate of one of its locations: the check of their locations costs nothing more.
    counter.store(0, Ordering::SeqCst);
    let associate = app.gql(Some(&app.associate_token(&["WH-B"])), ORDER_PAGE, json!({ "id": id })).await;
    assert_eq!(page(&associate)["id"], json!(id), "{associate}");
    assert_eq!(counter.load(Ordering::SeqCst), 1, "{associate}");

    // An agent who has the number, as typed, is answered the same way.
    let number = order["number"].as_str().expect("number").to_lowercase();
    let by_number = ORDER_PAGE
        .replace("query($id: ID!) { order(id: $id)", "query($number: String!) { orderByNumber(number: $number)");
    counter.store(0, Ordering::SeqCst);
    let found = app.gql(Some(&app.agent()), &by_number, json!({ "number": number })).await;
    let statements = counter.load(Ordering::SeqCst);
    assert!(found.get("errors").is_none(), "{found}");
    assert_eq!(found["data"]["orderByNumber"], body["data"]["order"], "{found}");
    assert_eq!(statements, 1, "{found}");
}

#[tokio::test]
async fn the_one_statement_reads_exactly_what_the_loaders_read() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let id = order_from_two_locations(&app, "same@example.com").await;
    let id = Uuid::parse_str(&id).expect("uuid");

    let whole = get_whole_order(&app.db, &Actor::System, OrderKey::Id(id)).await.expect("one statement");
    let whole = whole.expect("the order");
    let by_kind = read_whole_order_by_kind(&app.db, OrderKey::Id(id)).await.expect("by kind").expect("the order");
    assert_eq!((whole.lines.len(), whole.fulfillment_orders.len(), whole.locations.len()), (2, 2, 2));
    assert_eq!(whole.fulfillment_lines.len(), 2);
    assert!(!whole.events.is_empty());
    // Every field of every row, timestamps to the microsecond, in the same order.
    assert_eq!(whole, by_kind);

    // By number as an agent types it, the same order.
    let typed = format!(" {} ", whole.order.number.to_lowercase());
    let by_number = get_whole_order(&app.db, &Actor::System, OrderKey::Number(&typed)).await.expect("by number");
    assert_eq!(by_number.as_ref(), Some(&whole));
    let by_number_and_kind = read_whole_order_by_kind(&app.db, OrderKey::Number(&typed)).await.expect("by kind");
    assert_eq!(by_number_and_kind.as_ref(), Some(&whole));

    let missing = get_whole_order(&app.db, &Actor::System, OrderKey::Id(Uuid::now_v7())).await.expect("read");
    assert_eq!(missing, None);
    let missing = get_whole_order(&app.db, &Actor::System, OrderKey::Number("SO-999999")).await.expect("read");
    assert_eq!(missing, None);
}

#[tokio::test]
async fn an_order_page_shows_a_caller_no_more_than_the_order_alone() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let id = order_from_two_locations(&app, "owner@example.com").await;
    let read = |token: String| {
        let (app, id) = (&app, id.clone());
        async move { app.gql(Some(&token), ORDER_PAGE, json!({ "id": id })).await }
    };

    // A foreign order looks like a missing one, children and all.
    let stranger = read(app.customer_token(&Uuid::now_v7().to_string())).await;
    assert_eq!(page(&stranger), &Value::Null, "{stranger}");
    let elsewhere = read(app.associate_token(&["WH-Z"])).await;
    assert_eq!(page(&elsewhere), &Value::Null, "{elsewhere}");

    // An associate of one of its locations sees the order.
    let associate = read(app.associate_token(&["WH-B"])).await;
    assert_eq!(page(&associate)["id"], json!(id), "{associate}");
    assert_eq!(fulfilled_from(page(&associate)).len(), 2, "{associate}");
}

#[tokio::test]
async fn an_order_page_on_sqlite_shows_the_same_through_the_loaders() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let id = order_from_two_locations(&app, "embedded@example.com").await;
    let body = app.gql(Some(&app.admin()), ORDER_PAGE, json!({ "id": id })).await;
    let order = page(&body);
    assert_eq!(order["lines"].as_array().map(Vec::len), Some(2), "{body}");
    let expected = vec![("WH-A".to_owned(), vec!["A".to_owned()]), ("WH-B".to_owned(), vec!["B".to_owned()])];
    assert_eq!(fulfilled_from(order), expected, "{body}");
    assert!(order["events"].as_array().is_some_and(|e| !e.is_empty()), "{body}");
}

/// `placeOrder` and `cancelOrder` answering with only the order's id, and with what an order
/// page shows.
const PLACE_SLIM: &str =
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } userErrors { code } } }";
const PLACE_WHOLE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id
    lines { sku } fulfillmentOrders { location { code } lines { quantity orderLine { sku } } } events { kind } }
    userErrors { code } } }";
const CANCEL_SLIM: &str =
    "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id } userErrors { code } } }";
const CANCEL_WHOLE: &str = "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status
    lines { sku cancelledQuantity } fulfillmentOrders { status location { code } } events { kind } }
    userErrors { code } } }";

#[tokio::test]
async fn a_change_answering_with_the_order_page_reads_it_back_in_one_statement() {
    let counter = Arc::new(AtomicUsize::new(0));
    let app = TestApp::spawn_counting(Backend::Postgres, Some(counter.clone())).await;
    // The first order loads the process's reference copy and creates the customer.
    order_from_two_locations(&app, "twice@example.com").await;
    let agent = app.agent();
    let lines = json!([{ "sku": "A", "quantity": 1 }, { "sku": "B", "quantity": 1 }]);
    let input = crate::fixtures::order_input("twice@example.com", lines);
    let counted = |document: &'static str, variables: Value| {
        let (app, agent, counter) = (&app, &agent, &counter);
        async move {
            counter.store(0, Ordering::SeqCst);
            let body = app.gql(Some(agent), document, variables).await;
            assert!(body.get("errors").is_none(), "{body}");
            (body, counter.load(Ordering::SeqCst))
        }
    };

    let (slim, slim_statements) = counted(PLACE_SLIM, json!({ "input": input })).await;
    let (whole, whole_statements) = counted(PLACE_WHOLE, json!({ "input": input })).await;
    let placed = &whole["data"]["placeOrder"]["order"];
    assert_eq!(placed["lines"].as_array().map(Vec::len), Some(2), "{whole}");
    assert_eq!(fulfilled_from(placed).len(), 2, "{whole}");
    assert_eq!(placed["events"][0]["kind"], json!("ORDER_PLACED"), "{whole}");
    // Its page is read back after the commit in one statement, not seven in three turns.
    assert_eq!(whole_statements, slim_statements + 1, "{slim} {whole}");

    let cancel =
        |body: &Value| json!({ "input": { "orderId": body["data"]["placeOrder"]["order"]["id"], "reason": "test" } });
    let (_, slim_statements) = counted(CANCEL_SLIM, cancel(&slim)).await;
    let (cancelled, whole_statements) = counted(CANCEL_WHOLE, cancel(&whole)).await;
    let order = &cancelled["data"]["cancelOrder"]["order"];
    assert_eq!(order["status"], json!("CANCELLED"), "{cancelled}");
    assert_eq!(order["lines"][0]["cancelledQuantity"], json!(1), "{cancelled}");
    assert!(
        order["events"].as_array().is_some_and(|e| e.iter().any(|e| e["kind"] == json!("ORDER_CANCELLED"))),
        "{cancelled}"
    );
    assert_eq!(whole_statements, slim_statements + 1, "{cancelled}");
}

#[tokio::test]
async fn a_later_mutation_of_the_same_request_answers_with_the_order_as_it_left_it() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let id = order_from_two_locations(&app, "both@example.com").await;
    // Mutations run one after another: the note is added after the confirmation answered, so
    // its answer must show the confirmation's events and its own, not the first answer's.
    let both = "mutation($id: ID!) {
        confirmed: confirmOrder(input: { orderId: $id }) { order { status events { kind } } userErrors { code } }
        noted: addOrderNote(input: { orderId: $id, text: \"gift wrap\", visibility: INTERNAL }) {
            order { status events { kind } } userErrors { code } } }";
    let body = app.gql(Some(&app.agent()), both, json!({ "id": id })).await;
    assert!(body.get("errors").is_none(), "{body}");
    let kinds = |answer: &str| -> Vec<String> {
        let events = body["data"][answer]["order"]["events"].as_array().expect("events").iter();
        events.map(|e| e["kind"].as_str().expect("kind").to_owned()).collect()
    };
    let (confirmed, noted) = (kinds("confirmed"), kinds("noted"));
    assert!(!confirmed.contains(&"INTERNAL_NOTE_ADDED".to_owned()), "{body}");
    assert_eq!(noted.len(), confirmed.len() + 1, "{body}");
    assert_eq!(noted.last().map(String::as_str), Some("INTERNAL_NOTE_ADDED"), "{body}");
}
