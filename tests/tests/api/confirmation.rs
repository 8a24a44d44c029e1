//! Confirmation by channel and expiry of unconfirmed orders, end to end with the job workers
//! running beside the API: WEB orders confirm at once through a job, MARKETPLACE orders wait for
//! an agent, and an order nobody confirms in time is cancelled as expired, giving its stock (and
//! its promotion) back and telling the customer once.
use chrono::{Duration, Utc};
use entities::{job, order};
use futures::future::join_all;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::documents::{CREATE_PROMOTION, PLACE_ORDER};
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp, on_both_backends};

const RULES: &str = "{ confirmationRules { channel autoConfirm expireAfterMinutes } }";
const SET_RULES: &str = "mutation($input: SetConfirmationRulesInput!) { setConfirmationRules(input: $input) {
    confirmationRules { channel autoConfirm expireAfterMinutes } userErrors { field code message } } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) { id number status version
    lines { quantity allocatedQuantity backorderedQuantity cancelledQuantity }
    fulfillmentOrders { status releasedAt }
    events { kind actorRole message }
    notifications { event status } } }";

fn id_of(placed: &Value) -> String {
    placed["id"].as_str().expect("an order id").to_owned()
}

fn kinds(order: &Value) -> Vec<String> {
    order["events"].as_array().expect("events").iter().map(|e| e["kind"].as_str().unwrap_or("").to_owned()).collect()
}

fn rule<'a>(rules: &'a Value, channel: &str) -> &'a Value {
    rules.as_array().expect("rules").iter().find(|r| r["channel"] == channel).expect("a rule per channel")
}

async fn read(app: &TestApp, id: &str) -> Value {
    app.admin_data(ORDER, json!({ "id": id })).await["order"].clone()
}

/// The order once a read of it shows `what` (`ready`), read again: one read's parts are separate
/// statements, so the read that showed it may hold other parts from before the commit that made
/// it true (on a busy machine a whole job pipeline fits between them).
async fn read_once(app: &TestApp, id: &str, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    app.eventually(what, || async { ready(&read(app, id).await).then_some(()) }).await;
    read(app, id).await
}

/// An order on `channel` for `quantity` of `sku`, placed by an agent.
fn on_channel(channel: &str, email: &str, sku: &str, quantity: i32) -> Value {
    let mut input = order_input(email, json!([{ "sku": sku, "quantity": quantity }]));
    input["channel"] = json!(channel);
    input
}

/// The order was placed `minutes` ago: what the clock would say had the test waited.
async fn age_order(app: &TestApp, id: &str, minutes: i64) {
    order::Entity::update_many()
        .col_expr(order::Column::CreatedAt, Expr::value(Utc::now() - Duration::minutes(minutes)))
        .filter(order::Column::Id.eq(Uuid::parse_str(id).expect("uuid")))
        .exec(&app.db)
        .await
        .expect("age the order");
}

/// Waits for a run of the scheduled task `kind` that finished after `since`: the order's state
/// afterwards is what that run decided.
async fn a_run_of(app: &TestApp, kind: &str, since: chrono::DateTime<Utc>) {
    app.eventually(&format!("a {kind} run"), || async {
        let done = job::Entity::find()
            .filter(job::Column::Kind.eq(kind))
            .filter(job::Column::Status.eq("SUCCEEDED"))
            .filter(job::Column::FinishedAt.gt(since))
            .one(&app.db)
            .await
            .expect("read the runs");
        done.map(|_| ())
    })
    .await;
}

/// How many `event` emails order `id` has queued.
async fn mails(app: &TestApp, event: &str, id: &str) -> i64 {
    app.count(&format!("outbox WHERE dedupe_key = '{event}:{id}'")).await
}

// ---- Confirmation by channel --------------------------------------------------------------

async fn orders_confirm_at_once_or_wait_for_an_agent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-LYON", false, 1, "4.90").await;
    app.create_product("MUG", "12.50").await;
    app.receive("MUG", "WH-LYON", 100).await;

    // The defaults: every direct channel confirms at once, the marketplace waits for an agent,
    // and any order waits 30 minutes at most.
    let rules = app.admin_data(RULES, json!({})).await["confirmationRules"].clone();
    assert_eq!(rules.as_array().map(Vec::len), Some(5), "{rules}");
    for channel in ["WEB", "MOBILE", "CALL_CENTER", "STORE"] {
        assert_eq!(rule(&rules, channel)["autoConfirm"], true, "{rules}");
    }
    assert_eq!(
        rule(&rules, "MARKETPLACE"),
        &json!({ "channel": "MARKETPLACE", "autoConfirm": false, "expireAfterMinutes": 30 })
    );

    // Only admins read or change the rules; a bad change is refused whole.
    let agent = app.agent();
    let refused = app.gql(Some(&agent), RULES, json!({})).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    let change = json!({ "input": { "rules": [{ "channel": "WEB", "autoConfirm": false }] } });
    let refused = app.gql(Some(&agent), SET_RULES, change).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    let before = app.snapshot().await;
    let bad = json!({ "input": { "rules": [
        { "channel": "WEB", "autoConfirm": false },
        { "channel": "WEB", "expireAfterMinutes": 0 },
    ] } });
    let bad = app.admin_data(SET_RULES, bad).await["setConfirmationRules"].clone();
    let fields: Vec<&Value> = bad["userErrors"].as_array().expect("errors").iter().map(|e| &e["field"]).collect();
    assert_eq!(fields, [&json!(["rules", "1", "channel"]), &json!(["rules", "1", "expireAfterMinutes"])], "{bad}");
    assert_eq!(bad["confirmationRules"], Value::Null);
    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.admin_data(RULES, json!({})).await["confirmationRules"], rules, "nothing changed");

    // A WEB order is confirmed by the workers, through the agent's steps: released, versioned,
    // on the timeline as the system's doing, and the customer told.
    let workers = app.start_workers();
    let web = id_of(&app.placed(&agent, on_channel("WEB", "web@example.com", "MUG", 1)).await);
    let o = read_once(&app, &web, "the WEB order's confirmation email", |o| o["notifications"][0]["status"] == "SENT")
        .await;
    assert_eq!((o["status"].as_str(), o["version"].as_i64()), (Some("CONFIRMED"), Some(2)), "{o}");
    assert_eq!(kinds(&o), ["ORDER_PLACED", "ORDER_CONFIRMED"]);
    assert_eq!(o["events"][1]["actorRole"], "system");
    assert_eq!(o["fulfillmentOrders"][0]["status"], "RELEASED");
    assert!(o["fulfillmentOrders"][0]["releasedAt"].is_string(), "{o}");
    assert_eq!(o["notifications"].as_array().map(Vec::len), Some(1), "{o}");

    // A MARKETPLACE order waits for an agent.
    let market = id_of(&app.placed(&agent, on_channel("MARKETPLACE", "mp@example.com", "MUG", 1)).await);
    app.settle().await;
    let o = read(&app, &market).await;
    assert_eq!((o["status"].as_str(), o["version"].as_i64()), (Some("PENDING"), Some(1)), "{o}");
    assert_eq!(o["notifications"], json!([]));
    app.confirm(&agent, &market).await;

    // The admin turns it around: WEB waits, MARKETPLACE confirms at once; WEB's waiting time is
    // kept, as the change did not name it.
    let turned = json!({ "input": { "rules": [
        { "channel": "WEB", "autoConfirm": false },
        { "channel": "MARKETPLACE", "autoConfirm": true, "expireAfterMinutes": null },
    ] } });
    let set = app.admin_data(SET_RULES, turned).await["setConfirmationRules"].clone();
    assert_eq!(set["userErrors"], json!([]), "{set}");
    let rules = &set["confirmationRules"];
    assert_eq!(rule(rules, "WEB"), &json!({ "channel": "WEB", "autoConfirm": false, "expireAfterMinutes": 30 }));
    assert_eq!(
        rule(rules, "MARKETPLACE"),
        &json!({ "channel": "MARKETPLACE", "autoConfirm": true, "expireAfterMinutes": null })
    );
    let web_waits = id_of(&app.placed(&agent, on_channel("WEB", "w2@example.com", "MUG", 1)).await);
    let market_now = id_of(&app.placed(&agent, on_channel("MARKETPLACE", "m2@example.com", "MUG", 1)).await);
    app.settle().await;
    assert_eq!(read(&app, &web_waits).await["status"], "PENDING");
    assert_eq!(read(&app, &market_now).await["status"], "CONFIRMED");
    workers.stop().await;

    // The agent confirms before the job runs: the job then finds nothing to do.
    let input = on_channel("MARKETPLACE", "quick@example.com", "MUG", 1);
    let quick = id_of(&app.placed(&agent, input).await);
    app.confirm(&agent, &quick).await;
    let workers = app.start_workers();
    app.settle().await;
    let o = read(&app, &quick).await;
    assert_eq!((o["status"].as_str(), o["version"].as_i64()), (Some("CONFIRMED"), Some(2)), "{o}");
    assert_eq!(kinds(&o), ["ORDER_PLACED", "ORDER_CONFIRMED"], "confirmed once");
    assert_eq!(o["events"][1]["actorRole"], "agent");
    let run = job::Entity::find()
        .filter(job::Column::DedupeKey.eq(format!("auto_confirm_order:{quick}")))
        .one(&app.db)
        .await
        .expect("read the run")
        .expect("the auto-confirmation ran");
    assert_eq!((run.status.as_str(), run.attempts), ("SUCCEEDED", 1));
    app.audit().await;
    workers.stop().await;
}

on_both_backends!(orders_confirm_at_once_or_wait_for_an_agent);

// ---- Expiry -------------------------------------------------------------------------------

async fn an_unconfirmed_order_expires_and_gives_its_stock_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-LYON", false, 1, "4.90").await;
    app.create_product("LAMP", "40.00").await;
    app.receive("LAMP", "WH-LYON", 2).await;
    let promo = json!({ "input": { "code": "SPRING", "percentOff": "10", "usageLimit": 5 } });
    assert_eq!(app.admin_data(CREATE_PROMOTION, promo).await["createPromotion"]["userErrors"], json!([]));
    // Marketplace orders may wait an hour for their checks.
    let hour = json!({ "input": { "rules": [{ "channel": "MARKETPLACE", "expireAfterMinutes": 60 }] } });
    assert_eq!(app.admin_data(SET_RULES, hour).await["setConfirmationRules"]["userErrors"], json!([]));

    // A marketplace order takes the last two lamps with a promotion and waits for an agent; a
    // web order waits for lamps.
    let agent = app.agent();
    let mut input = on_channel("MARKETPLACE", "slow@example.com", "LAMP", 2);
    input["promoCode"] = json!("SPRING");
    let slow = app.placed(&agent, input).await;
    let slow_id = id_of(&slow);
    let mut input = on_channel("WEB", "next@example.com", "LAMP", 2);
    input["backorderPolicy"] = json!("BACKORDER");
    let waiting = id_of(&app.placed(&agent, input).await);
    assert_eq!(app.sum("promotions", "used_count").await, 1);

    // 45 minutes on, the workers' expiry run leaves it alone: marketplace orders wait an hour.
    age_order(&app, &slow_id, 45).await;
    let workers = app.start_workers_ticking(std::time::Duration::from_millis(200));
    a_run_of(&app, "expire_orders", Utc::now()).await;
    assert_eq!(read(&app, &slow_id).await["status"], "PENDING");

    // 61 minutes on, it expires: cancelled, its stock and its promotion given back, the waiting
    // order filled with the lamps, and the customer told once.
    age_order(&app, &slow_id, 61).await;
    let o = read_once(&app, &slow_id, "the expiry email", |o| o["notifications"][0]["status"] == "SENT").await;
    assert_eq!(o["status"], "CANCELLED", "{o}");
    assert_eq!(kinds(&o), ["ORDER_PLACED", "ORDER_EXPIRED"]);
    let expired = &o["events"][1];
    assert_eq!(expired["actorRole"], "system");
    assert!(expired["message"].as_str().is_some_and(|m| m.contains("not confirmed within 60 minutes")), "{o}");
    assert_eq!(o["lines"][0]["cancelledQuantity"], 2);
    assert_eq!(o["lines"][0]["allocatedQuantity"], 0);
    assert_eq!(o["fulfillmentOrders"][0]["status"], "CANCELLED");
    assert_eq!(o["notifications"], json!([{ "event": "ORDER_EXPIRED", "status": "SENT" }]));
    assert_eq!(app.sum("promotions", "used_count").await, 0, "the promotion's use is given back");
    let w = read_once(&app, &waiting, "the freed lamps going to the waiting order", |w| {
        w["lines"][0]["backorderedQuantity"] == 0
    })
    .await;
    assert!(kinds(&w).contains(&"BACKORDER_FILLED".to_owned()), "{w}");

    // The customer reads it in their words.
    let customer =
        app.admin_data("query($id: ID!) { order(id: $id) { customer { id } } }", json!({ "id": slow_id })).await;
    let token = app.customer_token(customer["order"]["customer"]["id"].as_str().expect("customer"));
    let own = app
        .gql(Some(&token), "query($id: ID!) { order(id: $id) { events { kind message } } }", json!({ "id": slow_id }))
        .await;
    assert_eq!(
        own["data"]["order"]["events"][1],
        json!({ "kind": "ORDER_EXPIRED", "message": "Order cancelled: it was not confirmed in time" })
    );

    // Later runs change nothing: once expired is expired once.
    let since = Utc::now();
    a_run_of(&app, "expire_orders", since).await;
    assert_eq!(domain::orders::expire_due(&app.db).await.expect("expire"), 0);
    assert_eq!(kinds(&read(&app, &slow_id).await), ["ORDER_PLACED", "ORDER_EXPIRED"]);
    assert_eq!(app.count("outbox WHERE kind = 'order_expired'").await, 1);
    app.audit().await;
    workers.stop().await;
}

on_both_backends!(an_unconfirmed_order_expires_and_gives_its_stock_back);

/// Agents confirm orders while the expiry runs over them: under each order's lock, whichever
/// commits first wins. A confirmed order keeps its stock and is never told it expired; an
/// expired one gave its stock back and its late confirmation is refused.
async fn a_confirmation_racing_the_expiry_either_wins_or_loses_whole(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_location("WH-LYON", false, 1, "4.90").await;
    app.create_product("CUP", "5.00").await;
    app.receive("CUP", "WH-LYON", 1000).await;
    let agent = app.agent();
    let mut ids = Vec::new();
    for i in 0..40 {
        let id = id_of(&app.placed(&agent, on_channel("MARKETPLACE", &format!("r{i}@example.com"), "CUP", 2)).await);
        age_order(&app, &id, 31).await;
        ids.push(id);
    }
    let confirms = join_all(ids.iter().map(|id| app.confirm_body(&agent, id)));
    let (confirmed, expired) = tokio::join!(confirms, async {
        let (a, b) = tokio::join!(domain::orders::expire_due(&app.db), domain::orders::expire_due(&app.db));
        a.expect("an expiry run") + b.expect("an expiry run")
    });
    let mut lost = 0;
    for (id, body) in ids.iter().zip(&confirmed) {
        let o = read(&app, id).await;
        let confirm = &body["data"]["confirmOrder"];
        match o["status"].as_str() {
            Some("CONFIRMED") => {
                assert_eq!(confirm["userErrors"], json!([]), "{body}");
                assert_eq!(kinds(&o), ["ORDER_PLACED", "ORDER_CONFIRMED"]);
                assert_eq!(o["lines"][0]["allocatedQuantity"], 2);
                assert_eq!((mails(&app, "order_confirmed", id).await, mails(&app, "order_expired", id).await), (1, 0));
            }
            Some("CANCELLED") => {
                assert_eq!(confirm["userErrors"][0]["code"], "INVALID_STATE", "{body}");
                assert_eq!(kinds(&o), ["ORDER_PLACED", "ORDER_EXPIRED"]);
                assert_eq!(o["lines"][0]["cancelledQuantity"], 2);
                assert_eq!((mails(&app, "order_confirmed", id).await, mails(&app, "order_expired", id).await), (0, 1));
                lost += 1;
            }
            _ => panic!("neither confirmed nor expired: {o}"),
        }
    }
    assert_eq!(lost, expired, "each expiry counted is one refused confirmation");
    let books = app.audit().await;
    assert_eq!(books.reserved, 2 * (40 - i64::try_from(lost).expect("count")));
}

on_both_backends!(a_confirmation_racing_the_expiry_either_wins_or_loses_whole, multi_thread);

/// Placing an order on a channel that confirms at once writes its confirmation as a job in the
/// placing transaction; a refused placement writes none.
#[tokio::test]
async fn a_refused_order_enqueues_no_confirmation() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.create_location("WH-LYON", false, 1, "4.90").await;
    app.create_product("MUG", "12.50").await;
    app.receive("MUG", "WH-LYON", 1).await;
    let before = app.snapshot().await;
    let body = app
        .gql(Some(&app.agent()), PLACE_ORDER, json!({ "input": on_channel("WEB", "x@example.com", "MUG", 5) }))
        .await;
    assert_eq!(body["data"]["placeOrder"]["userErrors"][0]["code"], "OUT_OF_STOCK", "{body}");
    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.count("outbox WHERE kind = 'auto_confirm_order'").await, 0);
}
