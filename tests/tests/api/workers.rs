//! The job workers end to end: the outbox relay, the queues on real Redis (or the SQLite file),
//! the handlers, and real email through an SMTP listener run by the test. Each test has its own
//! database and its own Redis key prefix (queue names start with it), so tests running at once
//! never see each other's jobs; the prefix's keys are deleted at the end.
use std::collections::HashSet;
use std::time::Duration;

use domain::jobs::{Job, JobEnvelope, NotificationEvent, Queue};
use entities::outbox_message;
use oms_worker::{QueueBackend, QueueSink, Relay};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::background::{Workers, clean_redis, redis_url, settings};
use crate::helpers::{Backend, TestApp};
use crate::smtp::SmtpServer;

// ---- The shop ----------------------------------------------------------------------------

const ORDER_MAIL: &str = "query($id: ID!) { order(id: $id) { number status customer { id }
    notifications { event recipient template subject status attempts error sentAt } } }";

/// A shop whose WEB orders wait for an agent: these stories' agent confirms them.
async fn shop(app: &TestApp) {
    app.confirm_by_hand("WEB").await;
    app.create_product("MUG", "12.50").await;
    app.create_location("WH-LYON", false, 1, "4.90").await;
    app.receive("MUG", "WH-LYON", 500).await;
}

async fn place(app: &TestApp, email: &str) -> (String, String, String) {
    let placed = app.place_order(&app.admin(), email, json!([{ "sku": "MUG", "quantity": 2 }])).await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let o = &placed["order"];
    (
        o["id"].as_str().expect("id").to_owned(),
        o["number"].as_str().expect("number").to_owned(),
        fo_of(app, o["id"].as_str().expect("id")).await,
    )
}

async fn fo_of(app: &TestApp, order_id: &str) -> String {
    let data = app
        .admin_data("query($id: ID!) { order(id: $id) { fulfillmentOrders { id } } }", json!({ "id": order_id }))
        .await;
    data["order"]["fulfillmentOrders"][0]["id"].as_str().expect("a fulfilment order").to_owned()
}

async fn confirm(app: &TestApp, id: &str) {
    let body = app
        .gql(
            Some(&app.admin()),
            "mutation($id: ID!) { confirmOrder(input: { orderId: $id }) { order { status } userErrors { code message } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["confirmOrder"]["userErrors"], json!([]), "{body}");
}

async fn act(app: &TestApp, mutation: &str, input: Value) {
    let input_type = match mutation {
        "shipFulfillmentOrder" => "ShipFulfillmentOrderInput",
        _ => "FulfillmentOrderActionInput",
    };
    let query = format!(
        "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ fulfillmentOrder {{ status }} userErrors {{ code message }} }} }}"
    );
    let body = app.gql(Some(&app.admin()), &query, json!({ "input": input })).await;
    assert_eq!(body["data"][mutation]["userErrors"], json!([]), "{body}");
}

async fn ship_and_deliver(app: &TestApp, fo: &str) {
    act(app, "acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await;
    act(app, "packFulfillmentOrder", json!({ "fulfillmentOrderId": fo })).await;
    act(
        app,
        "shipFulfillmentOrder",
        json!({ "fulfillmentOrderId": fo, "carrier": "Colissimo", "trackingNumber": "6A12345" }),
    )
    .await;
    act(app, "markDelivered", json!({ "fulfillmentOrderId": fo })).await;
}

async fn undispatched(app: &TestApp) -> u64 {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::DispatchedAt.is_null())
        .count(&app.db)
        .await
        .expect("count")
}

async fn jobs_with_status(app: &TestApp, status: &str) -> Vec<Value> {
    let data = app
        .admin_data(
            "query($s: JobStatus) { jobs(filter: { status: $s }, first: 100) { edges { node { id kind status attempts maxAttempts lastError queue } } } }",
            json!({ "s": status }),
        )
        .await;
    data["jobs"]["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect()
}

// ---- Stories -------------------------------------------------------------------------------

/// Placed, confirmed, shipped and delivered: the customer gets exactly one email per event,
/// with the order number, the carrier and the tracking number, and the order lists them.
#[tokio::test]
async fn postgres_redis_a_customer_gets_one_email_per_event() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = SmtpServer::start().await;
    let workers = Workers::start(&app, settings(Some(redis_url()), Some(&smtp), None));
    shop(&app).await;

    let (id, number, fo) = place(&app, "ada@example.com").await;
    confirm(&app, &id).await;
    smtp.wait_for(Duration::from_secs(20), "the confirmation", |m| m.len() == 1).await;
    ship_and_deliver(&app, &fo).await;
    let mails = smtp.wait_for(Duration::from_secs(20), "three emails", |m| m.len() >= 3).await;

    // Shipped and delivered can be in the queue at once and run side by side: compare as sets.
    let subject = |part: &str| format!("Your order {number} {part}");
    let mut mails = mails;
    mails.sort_by_key(|m| {
        ["is confirmed", "has shipped", "was delivered"].iter().position(|p| m.subject() == subject(p))
    });
    let subjects: Vec<String> = mails.iter().map(|m| m.subject()).collect();
    assert_eq!(subjects, vec![subject("is confirmed"), subject("has shipped"), subject("was delivered")]);
    for m in &mails {
        assert_eq!(m.to, vec!["ada@example.com".to_owned()]);
        assert_eq!(m.from, "orders@oms.localhost");
        assert!(m.text().contains("Hello Test Customer"), "{}", m.data);
        assert!(m.text().contains("text/html"), "a plain-text and an HTML part: {}", m.data);
    }
    let shipped = mails[1].text();
    assert!(shipped.contains("Colissimo") && shipped.contains("6A12345"), "{shipped}");
    assert!(mails[0].text().contains("2 x Product MUG"), "{}", mails[0].data);

    // The order shows what was sent, to whom, and when; its customer sees the same. The server
    // accepts a mail before the worker records it, and the job after that: wait for both.
    app.settle().await;
    let data = app.admin_data(ORDER_MAIL, json!({ "id": id })).await;
    let sent = data["order"]["notifications"].as_array().expect("notifications").clone();
    let mut events: Vec<&str> = sent.iter().map(|n| n["event"].as_str().unwrap_or_default()).collect();
    events.sort_unstable();
    assert_eq!(events, ["ORDER_CONFIRMED", "ORDER_DELIVERED", "ORDER_SHIPPED"]);
    for n in &sent {
        assert_eq!(n["status"], "SENT", "{n}");
        assert_eq!(n["recipient"], "ada@example.com");
        assert!(n["sentAt"].is_string());
        assert_eq!(n["error"], Value::Null);
    }
    let customer = data["order"]["customer"]["id"].as_str().expect("customer").to_owned();
    let own = app.gql(Some(&app.customer_token(&customer)), ORDER_MAIL, json!({ "id": id })).await;
    assert_eq!(own["data"]["order"]["notifications"].as_array().map(Vec::len), Some(3), "{own}");

    // Every job ran once and succeeded; nothing is waiting.
    let done = jobs_with_status(&app, "SUCCEEDED").await;
    let mut kinds: Vec<&str> = done.iter().map(|j| j["kind"].as_str().unwrap_or_default()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["fill_backorders", "order_confirmed", "order_delivered", "order_shipped", "release_order"]);
    assert!(done.iter().all(|j| j["attempts"] == 1), "{done:?}");
    assert_eq!(undispatched(&app).await, 0);

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.mails().len(), 3, "no email twice");
    workers.stop().await;
}

/// The mail server refuses once: the job fails, waits out its backoff, runs again and sends.
/// Delivered again afterwards (an orphan re-run, a relay that pushed twice), it sends nothing.
#[tokio::test]
async fn postgres_redis_a_retried_notification_sends_once() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = SmtpServer::start().await;
    let s = settings(Some(redis_url()), Some(&smtp), None);
    let workers = Workers::start(&app, s.clone());
    shop(&app).await;

    smtp.refuse_next(1);
    let (id, _, _) = place(&app, "bob@example.com").await;
    confirm(&app, &id).await;
    smtp.wait_for(Duration::from_secs(20), "the confirmation after a retry", |m| m.len() == 1).await;

    // The server accepted it before the worker records it: wait for the record.
    let n = app
        .eventually("the notification recorded as sent", || async {
            let data = app.admin_data(ORDER_MAIL, json!({ "id": id })).await;
            let n = data["order"]["notifications"][0].clone();
            (n["status"] == "SENT").then_some(n)
        })
        .await;
    assert_eq!(n["attempts"], 2, "{n}");
    let job = app
        .eventually("the job recorded as succeeded", || async {
            jobs_with_status(&app, "SUCCEEDED").await.into_iter().find(|j| j["kind"] == "order_confirmed")
        })
        .await;
    assert_eq!(job["attempts"], 2, "{job}");
    assert!(job["lastError"].as_str().unwrap_or_default().contains("451"), "the first failure is kept: {job}");

    // The same job delivered again, straight into the queue and through the outbox.
    let backend = QueueBackend::connect(&app.db, &s).await.expect("redis");
    let mut sink = QueueSink::new(&backend, &s);
    let row = outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq("order_confirmed"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the row");
    sink.push(Queue::Notification, vec![JobEnvelope::from_row(&row)]).await.expect("push");
    outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::DispatchedAt,
            sea_orm::sea_query::Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .exec(&app.db)
        .await
        .expect("re-arm");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(undispatched(&app).await, 0, "the relay took the re-armed rows");
    assert_eq!(smtp.mails().len(), 1, "a repeated job sends nothing");
    workers.stop().await;
}

/// Past its budget a job is kept as FAILED with its last error; an admin retries it and it
/// sends. Only admins list and retry jobs.
#[tokio::test]
async fn postgres_redis_a_job_past_its_budget_fails_and_an_admin_retries_it() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = SmtpServer::start().await;
    let workers = Workers::start(&app, settings(Some(redis_url()), Some(&smtp), None));
    shop(&app).await;

    smtp.refuse_next(1000);
    let (id, _, _) = place(&app, "eve@example.com").await;
    confirm(&app, &id).await;
    let mut failed = Vec::new();
    for _ in 0..100 {
        failed = jobs_with_status(&app, "FAILED").await;
        if !failed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failed.len(), 1, "{failed:?}");
    let job = &failed[0];
    assert_eq!(
        (job["kind"].as_str(), job["attempts"].as_i64(), job["queue"].as_str()),
        (Some("order_confirmed"), Some(3), Some("NOTIFICATION"))
    );
    assert!(job["lastError"].as_str().unwrap_or_default().contains("451"), "{job}");
    let data = app.admin_data(ORDER_MAIL, json!({ "id": id })).await;
    assert_eq!(data["order"]["notifications"][0]["status"], "FAILED");

    const RETRY: &str =
        "mutation($id: ID!) { retryJob(input: { jobId: $id }) { job { status attempts } userErrors { code field } } }";
    let refused = app.gql(Some(&app.token(domain::auth::Role::Agent)), RETRY, json!({ "id": job["id"] })).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    let listed = app.gql(Some(&app.token(domain::auth::Role::Agent)), "{ jobs { edges { cursor } } }", json!({})).await;
    assert_eq!(listed["errors"][0]["extensions"]["code"], "FORBIDDEN", "{listed}");
    let unknown = app.admin_data(RETRY, json!({ "id": Uuid::now_v7().to_string() })).await;
    assert_eq!(unknown["retryJob"]["userErrors"][0]["code"], "NOT_FOUND", "{unknown}");

    smtp.refuse_next(0);
    let retried = app.admin_data(RETRY, json!({ "id": job["id"] })).await;
    assert_eq!(retried["retryJob"]["userErrors"], json!([]), "{retried}");
    smtp.wait_for(Duration::from_secs(20), "the email after the retry", |m| m.len() == 1).await;
    let again = app.admin_data(RETRY, json!({ "id": job["id"] })).await;
    assert_eq!(again["retryJob"]["userErrors"][0]["code"], "INVALID_STATE", "only a FAILED job is retried: {again}");
    workers.stop().await;
}

/// Redis is down: orders are placed and confirmed all the same, their jobs wait in the outbox;
/// once the queue is back every job runs.
#[tokio::test]
async fn postgres_redis_down_orders_succeed_and_jobs_wait() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = SmtpServer::start().await;
    // Nothing listens on port 1: the queue is unreachable.
    let down = Workers::start(&app, settings(Some("redis://127.0.0.1:1".to_owned()), Some(&smtp), None));
    shop(&app).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (id, _, _) = place(&app, &format!("c{i}@example.com")).await;
        confirm(&app, &id).await;
        ids.push(id);
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        undispatched(&app).await,
        7,
        "a release and a confirmation per order, and the receipt's offer to backorders, wait in the outbox"
    );
    assert!(smtp.mails().is_empty());
    down.stop().await;

    let up = Workers::start(&app, settings(Some(redis_url()), Some(&smtp), None));
    let mails = smtp.wait_for(Duration::from_secs(30), "three confirmations", |m| m.len() >= 3).await;
    let to: HashSet<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(to.len(), 3, "one email per order: {to:?}");
    assert_eq!(undispatched(&app).await, 0);
    up.stop().await;
}

/// Two relays on one outbox at once: every row reaches the queue exactly once.
#[tokio::test]
async fn postgres_two_relays_never_dispatch_a_row_twice() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let s = settings(Some(redis_url()), None, None);
    const ROWS: usize = 600;
    for _ in 0..ROWS {
        let job = Job::notify(Uuid::now_v7(), NotificationEvent::OrderShipped);
        domain::outbox::enqueue_job(&app.db, &job).await.expect("enqueue");
    }
    let backend = QueueBackend::connect(&app.db, &s).await.expect("redis");
    let relay = |batch| Relay::new(app.db.clone(), QueueSink::new(&backend, &s), batch, s.retry);
    let run = |mut r: Relay| async move {
        let mut total = 0;
        loop {
            let n = r.relay_once().await.expect("a relay pass");
            if n == 0 {
                return total;
            }
            total += n;
        }
    };
    let (ta, tb) = tokio::join!(run(relay(25)), run(relay(40)));
    assert_eq!(ta + tb, ROWS, "every row dispatched once ({ta} + {tb})");
    assert!(ta > 0 && tb > 0, "both relays took part ({ta} + {tb})");
    assert_eq!(undispatched(&app).await, 0);

    let client = redis::Client::open(redis_url()).expect("redis");
    let mut conn = client.get_multiplexed_async_connection().await.expect("connect");
    let values: Vec<String> = redis::cmd("HVALS")
        .arg(format!("{}:data", s.queue_name(Queue::Notification)))
        .query_async(&mut conn)
        .await
        .expect("HVALS");
    let ids: HashSet<String> = values
        .iter()
        .map(|v| serde_json::from_str::<Value>(v).expect("JSON")["outboxId"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!((values.len(), ids.len()), (ROWS, ROWS), "each row is in the queue exactly once");
    clean_redis(&s.queue_prefix).await;
}

/// The embedded default: SQLite, its queues in the same file, no Redis, no SMTP: the emails
/// are written as .eml files.
#[tokio::test]
async fn sqlite_the_embedded_default_writes_emails_as_files() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = std::env::temp_dir().join(format!("oms-outbox-{}", Uuid::new_v4()));
    let workers = Workers::start(&app, settings(None, None, Some(dir.clone())));
    shop(&app).await;
    let (id, number, _) = place(&app, "kim@example.com").await;
    confirm(&app, &id).await;

    let mut files = Vec::new();
    for _ in 0..200 {
        files = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        if !files.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(files.len(), 1, "one .eml file: {files:?}");
    let eml = std::fs::read_to_string(&files[0]).expect("read the file");
    assert!(eml.contains(&format!("Subject: Your order {number} is confirmed")), "{eml}");
    assert!(eml.contains("To: kim@example.com"), "{eml}");
    let data = app.admin_data(ORDER_MAIL, json!({ "id": id })).await;
    assert_eq!(data["order"]["notifications"][0]["status"], "SENT");
    workers.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A tiny HTTP receiver: records each request's signature header and body; answers 500 to the
/// first `fail_first` requests, then 200.
async fn webhook_receiver(fail_first: usize) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let got: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>> = Default::default();
    let g = got.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head, body) = loop {
                let Ok(n) = socket.read(&mut chunk).await else { break (String::new(), String::new()) };
                if n == 0 {
                    break (String::new(), String::new());
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let head = text[..end].to_owned();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                        })
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break (head, String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string());
                    }
                }
            };
            let sig = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().starts_with("oms-signature:").then(|| l[14..].trim().to_owned()))
                .unwrap_or_default();
            let n = {
                let mut v = g.lock().expect("lock");
                v.push((sig, body));
                v.len()
            };
            let status = if n <= fail_first { "500 Internal Server Error" } else { "200 OK" };
            let _ = socket
                .write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes())
                .await;
        }
    });
    (port, got)
}

/// A location with a webhook hears about its released fulfilment order as a signed POST; the
/// receiver fails once, the job retries with backoff, and the delivery is listed.
#[tokio::test]
async fn postgres_redis_a_released_fulfilment_order_is_posted_signed() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = SmtpServer::start().await;
    let workers = Workers::start(&app, settings(Some(redis_url()), Some(&smtp), None));
    shop(&app).await;
    let (port, got) = webhook_receiver(1).await;
    let secret = "whsec-0123456789abcdef";
    let set = app
        .admin_data(
            "mutation($input: SetLocationWebhookInput!) { setLocationWebhook(input: $input) { webhook { url } userErrors { code field } } }",
            json!({ "input": { "locationCode": "WH-LYON", "url": format!("http://127.0.0.1:{port}/hook"), "secret": secret } }),
        )
        .await;
    assert_eq!(set["setLocationWebhook"]["userErrors"], json!([]), "{set}");
    let bad = app
        .admin_data(
            "mutation($input: SetLocationWebhookInput!) { setLocationWebhook(input: $input) { webhook { url } userErrors { code field } } }",
            json!({ "input": { "locationCode": "WH-LYON", "url": "ftp://x", "secret": "short" } }),
        )
        .await;
    assert_eq!(bad["setLocationWebhook"]["userErrors"].as_array().map(Vec::len), Some(2), "{bad}");

    let (id, number, fo) = place(&app, "wms@example.com").await;
    confirm(&app, &id).await;
    let mut requests = Vec::new();
    for _ in 0..200 {
        requests = got.lock().expect("lock").clone();
        if requests.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(requests.len(), 2, "refused once, then delivered: {requests:?}");
    for (sig, body) in &requests {
        let t: i64 = sig.strip_prefix("t=").and_then(|r| r.split(',').next()).and_then(|t| t.parse().ok()).expect("t=");
        assert_eq!(sig, &domain::webhooks::signature(secret, t, body), "the signature verifies");
        let json: Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(json["event"], "fulfillment_order.released");
        assert_eq!(json["order"]["number"], number.as_str());
        assert_eq!(json["fulfillmentOrder"]["id"], fo.as_str());
        assert_eq!(json["fulfillmentOrder"]["lines"][0]["sku"], "MUG");
    }
    let mut listed = Value::Null;
    for _ in 0..50 {
        listed = app
            .admin_data(
                "query($fo: ID!) { webhookDeliveries(fulfillmentOrderId: $fo) { event status attempts responseStatus error } }",
                json!({ "fo": fo }),
            )
            .await;
        if listed["webhookDeliveries"][0]["status"] == "DELIVERED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let d = &listed["webhookDeliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_i64(), d["responseStatus"].as_i64()),
        (Some("DELIVERED"), Some(2), Some(200)),
        "{listed}"
    );
    workers.stop().await;
}
