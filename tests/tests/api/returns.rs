//! Returns and exchanges, end to end: a customer returns goods by mail or in a store, the
//! location receives them, the returns job restocks them where they arrived, records the refund,
//! fills a backorder the restock can serve and emails the customer — once, however often the job
//! runs. Refusals (more than was delivered, a closed window, a location that takes no returns)
//! write nothing. An exchange reserves its replacement at once.
use domain::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{order_input, own_order};
use crate::helpers::{Backend, TestApp, on_both_backends};

const RETURN_FIELDS: &str = "id number status method isExchange shipNow orderId
    location { code } receivingLocation { code }
    lines { quantity reason resellableQuantity damagedQuantity orderLine { id sku returnedQuantity } }
    replacementLines { sku quantity allocatedQuantity }
    returnValue { amount currency } replacementTotal { amount } balanceDue { amount } refundOwed { amount }
    refund { amount currency }";

fn request_return() -> String {
    format!(
        "mutation($input: RequestReturnInput!) {{ requestReturn(input: $input) {{ return {{ {RETURN_FIELDS} }} userErrors {{ field code message }} }} }}"
    )
}

fn request_exchange() -> String {
    format!(
        "mutation($input: RequestExchangeInput!) {{ requestExchange(input: $input) {{ return {{ {RETURN_FIELDS} }} userErrors {{ field code message }} }} }}"
    )
}

fn receive_return() -> String {
    format!(
        "mutation($input: ReceiveReturnInput!) {{ receiveReturn(input: $input) {{ return {{ {RETURN_FIELDS} }} userErrors {{ field code message }} }} }}"
    )
}

const ORDER_RETURNS: &str = "query($id: ID!) { order(id: $id) { status
    lines { sku quantity returnedQuantity allocatedQuantity backorderedQuantity }
    fulfillmentOrders { status location { code } }
    returns { number status refund { amount } }
    events { kind }
    notifications { event status } } }";

const LEVEL: &str = "query($sku: String!) { product(sku: $sku) { inventory { location { code } onHand reserved } } }";

/// A warehouse that ships and takes returns, a store that ships, hands over and takes returns,
/// and a warehouse that takes none.
async fn shop(app: &TestApp) {
    for (code, kind, pickup, returns) in
        [("WH", "WAREHOUSE", false, true), ("STORE", "STORE", true, true), ("NORET", "WAREHOUSE", false, false)]
    {
        app.create_location_with(json!({
            "code": code, "name": code, "kind": kind,
            "address": { "line1": "1 Rue", "city": "Lyon", "postalCode": "69001", "country": "FR", "latitude": 45.76, "longitude": 4.83 },
            "canShip": true, "canPickup": pickup, "acceptsReturns": returns, "priority": if code == "WH" { 1 } else { 10 },
            "shippingRate": { "amount": "4.90", "currency": "EUR" }
        }))
        .await;
    }
    app.create_product("TEE", "20.00").await;
    app.receive("TEE", "WH", 5).await;
}

/// A customer and their token.
async fn customer(app: &TestApp, email: &str) -> String {
    let id = app.create_customer(&app.admin(), email, "Ann Return").await;
    app.customer_token(&id)
}

/// Places `lines` as the customer of `token`, confirms, and ships and delivers every fulfilment
/// order; returns the order's id and its lines' ids by SKU.
async fn delivered(app: &TestApp, token: &str, lines: Value) -> (String, Vec<(String, String)>) {
    let placed = app.placed(token, own_order(lines)).await;
    let id = placed["id"].as_str().expect("id").to_owned();
    // The storefront collected the total: refunds are recorded against what was paid.
    let total = app
        .admin_data("query($id: ID!) { order(id: $id) { totals { total { amount currency } } } }", json!({ "id": id }))
        .await["order"]["totals"]["total"]
        .clone();
    let paid = app
        .admin_data(
            "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { userErrors { code message } } }",
            json!({ "input": { "orderId": id, "amount": total, "method": "CARD", "reference": "psp-1" } }),
        )
        .await;
    assert_eq!(paid["recordPayment"]["userErrors"], json!([]), "{paid}");
    app.confirm(&app.agent(), &id).await;
    deliver_all(app, &id).await;
    let data =
        app.admin_data("query($id: ID!) { order(id: $id) { status lines { id sku } } }", json!({ "id": id })).await;
    assert_eq!(data["order"]["status"], "DELIVERED", "{data}");
    let lines = data["order"]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| (l["sku"].as_str().expect("sku").to_owned(), l["id"].as_str().expect("id").to_owned()))
        .collect();
    (id, lines)
}

async fn deliver_all(app: &TestApp, order_id: &str) {
    let data = app
        .admin_data("query($id: ID!) { order(id: $id) { fulfillmentOrders { id status } } }", json!({ "id": order_id }))
        .await;
    for fo in data["order"]["fulfillmentOrders"].as_array().expect("fulfilment orders") {
        if fo["status"] != "RELEASED" {
            continue;
        }
        let fo = fo["id"].as_str().expect("id");
        for step in ["acceptFulfillmentOrder", "packFulfillmentOrder", "shipFulfillmentOrder", "markDelivered"] {
            let input = match step {
                "shipFulfillmentOrder" => {
                    json!({ "fulfillmentOrderId": fo, "carrier": "UPS", "trackingNumber": "1Z1" })
                }
                _ => json!({ "fulfillmentOrderId": fo }),
            };
            let payload = app.act(&app.admin(), step, input).await;
            assert_eq!(payload["userErrors"], json!([]), "{step}: {payload}");
        }
    }
}

fn line_id<'a>(lines: &'a [(String, String)], sku: &str) -> &'a str {
    &lines.iter().find(|(s, _)| s == sku).expect("a line of that SKU").1
}

/// Sends `document` as `token`; returns the mutation's payload, failing on a top-level error.
async fn mutate(app: &TestApp, token: &str, document: &str, mutation: &str, input: Value) -> Value {
    let body = app.gql(Some(token), document, json!({ "input": input })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"][mutation].clone()
}

fn accepted(payload: &Value) -> Value {
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["return"].clone()
}

fn codes(payload: &Value) -> Vec<(String, String)> {
    assert_eq!(payload["return"], Value::Null, "{payload}");
    payload["userErrors"]
        .as_array()
        .expect("userErrors")
        .iter()
        .map(|e| {
            let field: Vec<&str> = e["field"].as_array().expect("field").iter().filter_map(Value::as_str).collect();
            (field.join("."), e["code"].as_str().expect("code").to_owned())
        })
        .collect()
}

/// (on hand, reserved) of `sku` at `location`.
async fn level(app: &TestApp, sku: &str, location: &str) -> (i64, i64) {
    let data = app.admin_data(LEVEL, json!({ "sku": sku })).await;
    data["product"]["inventory"]
        .as_array()
        .expect("levels")
        .iter()
        .find(|l| l["location"]["code"] == location)
        .map_or((0, 0), |l| (l["onHand"].as_i64().unwrap_or(0), l["reserved"].as_i64().unwrap_or(0)))
}

async fn order_with_returns(app: &TestApp, id: &str) -> Value {
    app.admin_data(ORDER_RETURNS, json!({ "id": id })).await["order"].clone()
}

fn sent(order: &Value) -> Vec<String> {
    let mut events: Vec<String> = order["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .filter(|n| n["status"] == "SENT")
        .map(|n| n["event"].as_str().expect("event").to_owned())
        .collect();
    events.sort();
    events
}

// ---- 1. By mail: approved at once, received at the warehouse, restocked, refunded -----------

async fn a_customer_returns_goods_by_mail_and_is_refunded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.confirm_by_hand("WEB").await;
    shop(&app).await;
    let ann = customer(&app, "ann@example.com").await;
    let (order_id, lines) = delivered(&app, &ann, json!([{ "sku": "TEE", "quantity": 2 }])).await;
    assert_eq!(level(&app, "TEE", "WH").await, (3, 0));

    let requested = accepted(
        &mutate(
            &app,
            &ann,
            &request_return(),
            "requestReturn",
            json!({
                "orderId": order_id, "method": "MAIL", "locationCode": "WH",
                "lines": [{ "orderLineId": line_id(&lines, "TEE"), "quantity": 2, "reason": "too small" }]
            }),
        )
        .await,
    );
    assert_eq!(requested["status"], "APPROVED", "the default policy approves at once: {requested}");
    assert_eq!(requested["returnValue"], json!({ "amount": "40.00", "currency": "EUR" }));
    assert!(requested["number"].as_str().expect("number").ends_with("-R1"), "{requested}");

    // The warehouse's associate receives one unit fit to sell and one damaged.
    let associate = app.associate_token(&["WH"]);
    let received = accepted(
        &mutate(
            &app,
            &associate,
            &receive_return(),
            "receiveReturn",
            json!({
                "returnId": requested["id"],
                "lines": [
                    { "orderLineId": line_id(&lines, "TEE"), "quantity": 1, "condition": "RESELLABLE" },
                    { "orderLineId": line_id(&lines, "TEE"), "quantity": 1, "condition": "DAMAGED" }
                ]
            }),
        )
        .await,
    );
    assert_eq!(received["status"], "RECEIVED");
    assert_eq!(received["receivingLocation"]["code"], "WH");
    assert_eq!(received["lines"][0]["resellableQuantity"], 1);
    assert_eq!(received["lines"][0]["damagedQuantity"], 1);

    let workers = app.start_workers();
    app.settle().await;
    workers.stop().await;

    // One unit back on the shelf, one written off; both refunded at what they were bought for.
    assert_eq!(level(&app, "TEE", "WH").await, (4, 0));
    app.assert_ledger_balances().await;
    let order = order_with_returns(&app, &order_id).await;
    assert_eq!(order["returns"][0]["status"], "REFUNDED", "{order}");
    assert_eq!(order["returns"][0]["refund"]["amount"], "40.00");
    assert_eq!(order["lines"][0]["returnedQuantity"], 2);
    let kinds: Vec<&str> =
        order["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
    for kind in ["RETURN_REQUESTED", "RETURN_APPROVED", "RETURN_RECEIVED", "RETURN_REFUNDED"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let emails = sent(&order);
    for event in ["RETURN_APPROVED", "RETURN_RECEIVED", "REFUND_ISSUED"] {
        assert!(emails.iter().any(|e| e == event), "{event} not sent: {emails:?}");
    }

    // The customer sees their return in the list; another customer sees none; the warehouse's
    // associate sees it, another location's does not.
    let list = "query { returns { edges { node { number status refund { amount } } } } }";
    let own = app.gql(Some(&ann), list, json!({})).await;
    assert_eq!(own["data"]["returns"]["edges"].as_array().map(Vec::len), Some(1), "{own}");
    let bob = customer(&app, "bob@example.com").await;
    let foreign = app.gql(Some(&bob), list, json!({})).await;
    assert_eq!(foreign["data"]["returns"]["edges"], json!([]), "{foreign}");
    let theirs = app.gql(Some(&associate), list, json!({})).await;
    assert_eq!(theirs["data"]["returns"]["edges"].as_array().map(Vec::len), Some(1), "{theirs}");
    let other = app.gql(Some(&app.associate_token(&["STORE"])), list, json!({})).await;
    assert_eq!(other["data"]["returns"]["edges"], json!([]), "{other}");
}
on_both_backends!(a_customer_returns_goods_by_mail_and_is_refunded);

// ---- 2. BORIS: an online order returned in a store restocks the store and fills a backorder -

async fn a_store_return_restocks_the_store_and_fills_a_waiting_backorder(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.confirm_by_hand("WEB").await;
    shop(&app).await;
    app.create_product("LAMP", "50.00").await;
    app.receive("LAMP", "WH", 1).await;
    let ann = customer(&app, "ann@example.com").await;
    let (order_id, lines) = delivered(&app, &ann, json!([{ "sku": "LAMP", "quantity": 1 }])).await;

    // Another customer's order waits for a lamp: none is left anywhere.
    let mut waiting = order_input("carl@example.com", json!([{ "sku": "LAMP", "quantity": 1 }]));
    waiting["backorderPolicy"] = json!("BACKORDER");
    let waiting = app.placed(&app.agent(), waiting).await;
    assert_eq!(waiting["lines"][0]["backorderedQuantity"], 1, "{waiting}");
    let waiting_id = waiting["id"].as_str().expect("id").to_owned();

    let requested = accepted(
        &mutate(
            &app,
            &ann,
            &request_return(),
            "requestReturn",
            json!({
                "orderId": order_id, "method": "IN_STORE", "locationCode": "STORE",
                "lines": [{ "orderLineId": line_id(&lines, "LAMP"), "quantity": 1, "reason": "changed my mind" }]
            }),
        )
        .await,
    );
    // The store's associate receives it (the token names the store, so no code is needed).
    let associate = app.associate_token(&["STORE"]);
    let received = accepted(
        &mutate(
            &app,
            &associate,
            &receive_return(),
            "receiveReturn",
            json!({
                "returnId": requested["id"],
                "lines": [{ "orderLineId": line_id(&lines, "LAMP"), "quantity": 1, "condition": "RESELLABLE" }]
            }),
        )
        .await,
    );
    assert_eq!(received["receivingLocation"]["code"], "STORE");

    let workers = app.start_workers();
    app.settle().await;
    workers.stop().await;

    // Back on the store's shelf, not the warehouse's, and at once taken by the waiting order.
    assert_eq!(level(&app, "LAMP", "STORE").await, (1, 1));
    assert_eq!(level(&app, "LAMP", "WH").await, (0, 0));
    let filled = order_with_returns(&app, &waiting_id).await;
    assert_eq!(filled["lines"][0]["backorderedQuantity"], 0, "{filled}");
    assert_eq!(filled["lines"][0]["allocatedQuantity"], 1, "{filled}");
    assert_eq!(filled["fulfillmentOrders"][0]["location"]["code"], "STORE", "{filled}");
    let order = order_with_returns(&app, &order_id).await;
    assert_eq!(order["returns"][0]["status"], "REFUNDED", "{order}");
    assert_eq!(order["returns"][0]["refund"]["amount"], "50.00");
    app.audit().await;
}
on_both_backends!(a_store_return_restocks_the_store_and_fills_a_waiting_backorder);

// ---- 3. Refusals write nothing -------------------------------------------------------------

async fn refused_returns_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let ann = customer(&app, "ann@example.com").await;
    let (order_id, lines) = delivered(&app, &ann, json!([{ "sku": "TEE", "quantity": 2 }])).await;
    let tee = line_id(&lines, "TEE").to_owned();
    let ask = |quantity: i32, method: &str, location: &str| {
        json!({ "orderId": order_id, "method": method, "locationCode": location,
                "lines": [{ "orderLineId": tee, "quantity": quantity, "reason": "too small" }] })
    };

    let bob = customer(&app, "bob@example.com").await;
    let before = app.snapshot().await;
    // More than was delivered.
    let more = mutate(&app, &ann, &request_return(), "requestReturn", ask(3, "MAIL", "WH")).await;
    assert_eq!(codes(&more), vec![("lines.0.quantity".to_owned(), "RETURN_EXCEEDS_DELIVERED".to_owned())]);
    // A store that takes no returns.
    let noret = mutate(&app, &ann, &request_return(), "requestReturn", ask(1, "IN_STORE", "NORET")).await;
    assert_eq!(codes(&noret), vec![("locationCode".to_owned(), "LOCATION_CANNOT_ACCEPT_RETURNS".to_owned())]);
    // Another customer's order looks missing.
    let foreign = mutate(&app, &bob, &request_return(), "requestReturn", ask(1, "MAIL", "WH")).await;
    assert_eq!(codes(&foreign), vec![("orderId".to_owned(), "NOT_FOUND".to_owned())]);
    assert_eq!(app.snapshot().await, before, "a refused return wrote something");

    // Two units returned: nothing more may be returned of the line.
    accepted(&mutate(&app, &ann, &request_return(), "requestReturn", ask(2, "MAIL", "WH")).await);
    let again = app.snapshot().await;
    let twice = mutate(&app, &ann, &request_return(), "requestReturn", ask(1, "MAIL", "WH")).await;
    assert_eq!(codes(&twice), vec![("lines.0.quantity".to_owned(), "RETURN_EXCEEDS_DELIVERED".to_owned())]);
    assert_eq!(app.snapshot().await, again);

    // Received at a location that takes no returns: refused.
    let list = app.admin_data("query { returns { edges { node { id } } } }", json!({})).await;
    let return_id = list["returns"]["edges"][0]["node"]["id"].clone();
    let receive = json!({ "returnId": return_id, "locationCode": "NORET",
                          "lines": [{ "orderLineId": tee, "quantity": 1, "condition": "RESELLABLE" }] });
    let at_noret = mutate(&app, &app.associate_token(&["NORET"]), &receive_return(), "receiveReturn", receive).await;
    assert_eq!(codes(&at_noret), vec![("locationCode".to_owned(), "LOCATION_CANNOT_ACCEPT_RETURNS".to_owned())]);
    assert_eq!(app.snapshot().await, again);
}

#[tokio::test]
async fn refused_returns_write_nothing_postgres() {
    refused_returns_write_nothing(Backend::Postgres).await;
}

async fn the_return_window_closes_for_customers_not_for_agents(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let ann = customer(&app, "ann@example.com").await;
    let (order_id, lines) = delivered(&app, &ann, json!([{ "sku": "TEE", "quantity": 1 }])).await;
    let set = app
        .admin_data(
            "mutation($input: SetReturnPolicyInput!) { setReturnPolicy(input: $input) { policy { windowDays autoApprove } userErrors { code } } }",
            json!({ "input": { "windowDays": 0, "autoApprove": false } }),
        )
        .await;
    assert_eq!(set["setReturnPolicy"]["policy"], json!({ "windowDays": 0, "autoApprove": false }), "{set}");
    let ask = json!({ "orderId": order_id, "method": "MAIL",
                      "lines": [{ "orderLineId": line_id(&lines, "TEE"), "quantity": 1, "reason": "late" }] });
    let before = app.snapshot().await;
    let late = mutate(&app, &ann, &request_return(), "requestReturn", ask.clone()).await;
    assert_eq!(codes(&late), vec![("orderId".to_owned(), "RETURN_WINDOW_CLOSED".to_owned())]);
    assert_eq!(app.snapshot().await, before);

    // Customer service may still take it; their own request is approved.
    let by_agent = accepted(&mutate(&app, &app.agent(), &request_return(), "requestReturn", ask).await);
    assert_eq!(by_agent["status"], "APPROVED");
}

#[tokio::test]
async fn the_return_window_closes_for_customers_not_for_agents_postgres() {
    the_return_window_closes_for_customers_not_for_agents(Backend::Postgres).await;
}

// ---- 4. A retried returns job restocks once ------------------------------------------------

async fn a_retried_returns_job_restocks_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let ann = customer(&app, "ann@example.com").await;
    let (order_id, lines) = delivered(&app, &ann, json!([{ "sku": "TEE", "quantity": 1 }])).await;
    let requested = accepted(
        &mutate(
            &app,
            &ann,
            &request_return(),
            "requestReturn",
            json!({
                "orderId": order_id, "method": "MAIL", "locationCode": "WH",
                "lines": [{ "orderLineId": line_id(&lines, "TEE"), "quantity": 1, "reason": "too small" }]
            }),
        )
        .await,
    );
    accepted(
        &mutate(
            &app,
            &app.token(Role::Agent),
            &receive_return(),
            "receiveReturn",
            json!({
                "returnId": requested["id"], "locationCode": "WH",
                "lines": [{ "orderLineId": line_id(&lines, "TEE"), "quantity": 1, "condition": "RESELLABLE" }]
            }),
        )
        .await,
    );
    assert_eq!(level(&app, "TEE", "WH").await, (4, 0));

    // The job's work, delivered several times at once: it acts once.
    let return_id = uuid::Uuid::parse_str(requested["id"].as_str().expect("id")).expect("uuid");
    let runs = futures::future::join_all((0..4).map(|_| domain::returns::process_received(&app.db, return_id))).await;
    let acted = runs.into_iter().map(|r| r.expect("the job runs")).filter(|acted| *acted).count();
    assert_eq!(acted, 1, "the return was processed more than once");
    assert_eq!(level(&app, "TEE", "WH").await, (5, 0));

    // And the queued job itself, run by the workers afterwards, finds nothing left to do.
    let workers = app.start_workers();
    app.settle().await;
    workers.stop().await;
    assert_eq!(level(&app, "TEE", "WH").await, (5, 0));
    app.assert_ledger_balances().await;
    let order = order_with_returns(&app, &order_id).await;
    assert_eq!(order["lines"][0]["returnedQuantity"], 1, "{order}");
    assert_eq!(sent(&order).iter().filter(|e| *e == "REFUND_ISSUED").count(), 1, "{order}");
}
on_both_backends!(a_retried_returns_job_restocks_once, multi_thread);

// ---- 5. An exchange reserves its replacement at once ---------------------------------------

async fn an_exchange_reserves_the_replacement_and_ships_it_on_receipt(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    app.create_product("TEE-L", "25.00").await;
    app.receive("TEE-L", "WH", 1).await;
    let ann = customer(&app, "ann@example.com").await;
    let (order_id, lines) = delivered(&app, &ann, json!([{ "sku": "TEE", "quantity": 1 }])).await;

    let exchange = accepted(
        &mutate(
            &app,
            &app.agent(),
            &request_exchange(),
            "requestExchange",
            json!({
                "orderId": order_id,
                "returnLines": [{ "orderLineId": line_id(&lines, "TEE"), "quantity": 1, "reason": "wrong size" }],
                "replacementLines": [{ "sku": "TEE-L", "quantity": 1 }]
            }),
        )
        .await,
    );
    assert_eq!(exchange["isExchange"], true);
    assert_eq!(exchange["status"], "APPROVED");
    assert_eq!(exchange["replacementLines"], json!([{ "sku": "TEE-L", "quantity": 1, "allocatedQuantity": 1 }]));
    assert_eq!(exchange["balanceDue"]["amount"], "5.00", "{exchange}");
    assert_eq!(exchange["refundOwed"]["amount"], "0.00", "{exchange}");

    // The large size is held for the customer: nobody else can buy it.
    assert_eq!(level(&app, "TEE-L", "WH").await, (1, 1));
    let other = app.place_order(&app.agent(), "zoe@example.com", json!([{ "sku": "TEE-L", "quantity": 1 }])).await;
    assert_eq!(other["userErrors"][0]["code"], "OUT_OF_STOCK", "{other}");
    let order = order_with_returns(&app, &order_id).await;
    let waiting: Vec<&Value> =
        order["fulfillmentOrders"].as_array().expect("fos").iter().filter(|f| f["status"] == "PENDING").collect();
    assert_eq!(waiting.len(), 1, "the replacement waits for the return: {order}");

    // Received: the replacement is released; the refund is what is left after it (nothing).
    accepted(
        &mutate(
            &app,
            &app.associate_token(&["WH"]),
            &receive_return(),
            "receiveReturn",
            json!({
                "returnId": exchange["id"],
                "lines": [{ "orderLineId": line_id(&lines, "TEE"), "quantity": 1, "condition": "RESELLABLE" }]
            }),
        )
        .await,
    );
    let workers = app.start_workers();
    app.settle().await;
    workers.stop().await;
    let order = order_with_returns(&app, &order_id).await;
    let statuses: Vec<&str> =
        order["fulfillmentOrders"].as_array().expect("fos").iter().filter_map(|f| f["status"].as_str()).collect();
    assert!(statuses.contains(&"RELEASED") && !statuses.contains(&"PENDING"), "{order}");
    assert_eq!(order["returns"][0]["status"], "REFUNDED");
    assert_eq!(order["returns"][0]["refund"]["amount"], "0.00");
    assert!(sent(&order).iter().any(|e| e == "EXCHANGE_SHIPPED"), "{order}");
    assert_eq!(level(&app, "TEE", "WH").await, (5, 0));
    app.audit().await;

    // Shipped now: a second exchange's replacement is released at once.
    app.receive("TEE-L", "WH", 1).await;
    let (second, lines) = delivered(&app, &ann, json!([{ "sku": "TEE", "quantity": 1 }])).await;
    let now = accepted(
        &mutate(
            &app,
            &app.agent(),
            &request_exchange(),
            "requestExchange",
            json!({
                "orderId": second, "shipNow": true,
                "returnLines": [{ "orderLineId": line_id(&lines, "TEE"), "quantity": 1, "reason": "wrong size" }],
                "replacementLines": [{ "sku": "TEE-L", "quantity": 1 }]
            }),
        )
        .await,
    );
    assert_eq!(now["shipNow"], true);
    let order = order_with_returns(&app, &second).await;
    let released =
        order["fulfillmentOrders"].as_array().expect("fos").iter().filter(|f| f["status"] == "RELEASED").count();
    assert_eq!(released, 1, "{order}");
}
on_both_backends!(an_exchange_reserves_the_replacement_and_ships_it_on_receipt);

// ---- 6. Who lists which returns, page by page ----------------------------------------------

/// The numbers of a page of `returns` as `token` sees it, and its end cursor when more follow.
async fn returns_page(app: &TestApp, token: &str, args: &str) -> (Vec<String>, Option<String>) {
    let query =
        format!("{{ returns({args}) {{ edges {{ node {{ number }} }} pageInfo {{ hasNextPage endCursor }} }} }}");
    let body = app.gql(Some(token), &query, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let page = &body["data"]["returns"];
    let numbers = page["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["number"].as_str().expect("number").to_owned());
    let next = page["pageInfo"]["hasNextPage"]
        .as_bool()
        .expect("hasNextPage")
        .then(|| page["pageInfo"]["endCursor"].as_str().expect("a cursor").to_owned());
    (numbers.collect(), next)
}

/// Every page of `returns(filter)` as `token` sees it, `size` at a time.
async fn all_returns(app: &TestApp, token: &str, size: u32, filter: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut after = String::new();
    loop {
        let (numbers, next) = returns_page(app, token, &format!("first: {size}{after}{filter}")).await;
        pages.push(numbers);
        match next {
            Some(cursor) => after = format!(", after: \"{cursor}\""),
            None => return pages,
        }
    }
}

/// A return by mail to the warehouse and two brought to the store: each associate pages through
/// those of its locations, newest first, each once; a customer sees its own; staff all, and
/// filter by location and status.
async fn returns_are_listed_by_location_page_by_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let ann = customer(&app, "ann@example.com").await;
    let (order_id, lines) = delivered(&app, &ann, json!([{ "sku": "TEE", "quantity": 3 }])).await;
    let mut numbers = Vec::new();
    for (method, location) in [("MAIL", "WH"), ("IN_STORE", "STORE"), ("IN_STORE", "STORE")] {
        let requested = accepted(
            &mutate(
                &app,
                &ann,
                &request_return(),
                "requestReturn",
                json!({
                    "orderId": order_id, "method": method, "locationCode": location,
                    "lines": [{ "orderLineId": line_id(&lines, "TEE"), "quantity": 1, "reason": "too small" }]
                }),
            )
            .await,
        );
        numbers.push(requested["number"].as_str().expect("number").to_owned());
    }
    let [by_mail, first_in_store, second_in_store] = [0, 1, 2].map(|i| numbers[i].clone());

    let store = app.associate_token(&["STORE"]);
    assert_eq!(all_returns(&app, &store, 1, "").await, [[second_in_store.clone()], [first_in_store.clone()]]);
    let both = app.associate_token(&["WH", "STORE"]);
    assert_eq!(
        all_returns(&app, &both, 2, "").await,
        [vec![second_in_store.clone(), first_in_store.clone()], vec![by_mail.clone()]]
    );
    let everything = vec![vec![second_in_store.clone(), first_in_store.clone(), by_mail.clone()]];
    assert_eq!(all_returns(&app, &ann, 20, "").await, everything);
    assert_eq!(all_returns(&app, &app.admin(), 20, "").await, everything);
    let other = customer(&app, "bob@example.com").await;
    assert_eq!(all_returns(&app, &other, 20, "").await, [Vec::<String>::new()]);

    // By location: staff name any; an associate sees nothing of a location not its own.
    let at_store = ", filter: { locationCode: \"STORE\", status: APPROVED }";
    assert_eq!(
        all_returns(&app, &app.admin(), 1, at_store).await,
        [[second_in_store.clone()], [first_in_store.clone()]]
    );
    assert_eq!(all_returns(&app, &both, 20, ", filter: { locationCode: \"WH\" }").await, [[by_mail]]);
    assert_eq!(all_returns(&app, &store, 20, ", filter: { locationCode: \"WH\" }").await, [Vec::<String>::new()]);
    assert_eq!(all_returns(&app, &store, 20, ", filter: { status: RECEIVED }").await, [Vec::<String>::new()]);
}
on_both_backends!(returns_are_listed_by_location_page_by_page);
