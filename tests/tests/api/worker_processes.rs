//! The job pipeline's guarantees proven with OS processes, not mocks: the `oms` binary runs as
//! `oms worker` and `oms serve` on a test's own PostgreSQL database and Redis queue prefix, the
//! test's SMTP listener receives the emails, and workers and Redis are killed for real.
//!
//! "Once in effect": queues deliver at least once, so a job may *run* again after a crash, but
//! its effect happens once. For an email that means one message per (order, event): a worker
//! killed after the mail server's "250 OK" and before recording the email SENT sends it again
//! when the job re-runs, and it is then the same message (the Message-ID is the notification's
//! id), which a mailbox keeps once. SMTP offers nothing stronger. Without a crash, not even that
//! happens: every message arrives exactly once.
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use domain::jobs::JobStatus;
use entities::{job, notification, outbox_message};
use futures::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::background::redis_url;
use crate::documents::{CONFIRM_ORDER, PLACE_ORDER};
use crate::fixtures::order_input;
use crate::helpers::{Backend, TestApp};
use crate::processes::{Oms, Process, RedisKeys, RedisServer, Remote, eventually};
use crate::smtp::{Mail, SmtpServer};

/// Long enough for a slow, busy machine; a guard against hanging, not a measurement.
const PATIENCE: Duration = Duration::from_secs(90);

/// A product, a warehouse, and `units` of stock. WEB orders wait for `confirmOrder`, which the
/// stories send themselves: each order then has exactly two jobs, its release and its
/// confirmation email, whenever the workers run.
async fn stock(app: &TestApp, units: i32) {
    app.create_product("MUG", "12.50").await;
    app.create_location("WH-LYON", false, 1, "4.90").await;
    app.receive("MUG", "WH-LYON", units).await;
    let rules = app
        .admin_data(
            "mutation { setConfirmationRules(input: { rules: [{ channel: WEB, autoConfirm: false }] }) { userErrors { code message } } }",
            json!({}),
        )
        .await;
    assert_eq!(rules["setConfirmationRules"]["userErrors"], json!([]), "{rules}");
}

/// The customer of the `i`-th order of a story.
fn customer(story: &str, i: usize) -> String {
    format!("{story}{i}@example.com")
}

/// Places and confirms one order of one unit for each of `customers` on the in-process API, a
/// few at a time; returns each customer's order.
async fn place_and_confirm(app: &TestApp, customers: Vec<String>) -> HashMap<String, Uuid> {
    let admin = app.admin();
    let admin = &admin;
    futures::stream::iter(customers)
        .map(|email| async move {
            let placed = app.place_order(admin, &email, json!([{ "sku": "MUG", "quantity": 1 }])).await;
            assert_eq!(placed["userErrors"], json!([]), "{placed}");
            let id = placed["order"]["id"].as_str().expect("an order id").to_owned();
            app.confirm(admin, &id).await;
            (email, Uuid::parse_str(&id).expect("a UUID"))
        })
        .buffer_unordered(8)
        .collect()
        .await
}

/// The same through a process's API.
async fn place_and_confirm_remote(api: &Remote, customers: Vec<String>) -> HashMap<String, Uuid> {
    futures::stream::iter(customers)
        .map(|email| async move {
            let input = order_input(&email, json!([{ "sku": "MUG", "quantity": 1 }]));
            let placed = api.data(PLACE_ORDER, json!({ "input": input })).await;
            assert_eq!(placed["placeOrder"]["userErrors"], json!([]), "{placed}");
            let id = placed["placeOrder"]["order"]["id"].as_str().expect("an order id").to_owned();
            let confirmed = api.data(CONFIRM_ORDER, json!({ "input": { "orderId": id } })).await;
            assert_eq!(confirmed["confirmOrder"]["userErrors"], json!([]), "{confirmed}");
            (email, Uuid::parse_str(&id).expect("a UUID"))
        })
        .buffer_unordered(8)
        .collect()
        .await
}

/// The kinds of job the stories' orders make: a release and a confirmation email each. Other
/// jobs (filling backorders after a receipt, say) run too, and are not counted.
const ORDER_JOBS: [&str; 2] = ["release_order", "order_confirmed"];

/// The orders' jobs still waiting in the outbox.
async fn undispatched(app: &TestApp) -> u64 {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::DispatchedAt.is_null())
        .filter(outbox_message::Column::Kind.is_in(ORDER_JOBS))
        .count(&app.db)
        .await
        .expect("count the outbox")
}

/// The run records of the orders' jobs.
async fn job_runs(app: &TestApp) -> Vec<job::Model> {
    job::Entity::find().filter(job::Column::Kind.is_in(ORDER_JOBS)).all(&app.db).await.expect("read job_runs")
}

/// Waits until `jobs` order jobs are recorded SUCCEEDED, every other job too, and nothing waits
/// in the outbox.
async fn all_jobs_succeed(app: &TestApp, jobs: usize) -> Vec<job::Model> {
    eventually(PATIENCE, &format!("{jobs} jobs recorded SUCCEEDED"), || async {
        let all = job::Entity::find().all(&app.db).await.expect("read job_runs");
        let finished = all.iter().all(|r| r.status == JobStatus::Succeeded);
        let waiting = outbox_message::Entity::find()
            .filter(outbox_message::Column::DispatchedAt.is_null())
            .count(&app.db)
            .await
            .expect("count the outbox");
        let runs = job_runs(app).await;
        (finished && waiting == 0 && runs.len() == jobs).then_some(runs)
    })
    .await
}

/// How many different messages the listener has.
fn distinct_messages(mails: &[Mail]) -> usize {
    mails.iter().map(Mail::message_id).collect::<HashSet<_>>().len()
}

/// Every customer in `orders` has the confirmation of their order, sent and recorded once: one
/// notification row, SENT, and every message that reached them is that row's message. Returns
/// how many messages the server received more than once.
async fn one_confirmation_each(app: &TestApp, orders: &HashMap<String, Uuid>, mails: &[Mail]) -> usize {
    let rows = notification::Entity::find().all(&app.db).await.expect("read notifications");
    assert_eq!(rows.len(), orders.len(), "one notification per order");
    for n in &rows {
        assert_eq!((n.event.as_str(), n.status.as_str()), ("ORDER_CONFIRMED", "SENT"), "{n:?}");
    }
    let message_of: HashMap<Uuid, String> = rows.iter().map(|n| (n.order_id, format!("<{}@oms>", n.id))).collect();
    let mut copies: HashMap<String, usize> = HashMap::new();
    for mail in mails {
        let [to] = mail.to.as_slice() else { panic!("one recipient per email: {:?}", mail.to) };
        let order = orders.get(to).unwrap_or_else(|| panic!("an email to a stranger: {to}"));
        let expected = &message_of[order];
        assert_eq!(&mail.message_id(), expected, "the email to {to} is its notification's message");
        *copies.entry(expected.clone()).or_default() += 1;
    }
    assert_eq!(copies.len(), orders.len(), "every customer has their confirmation");
    mails.len() - copies.len()
}

/// A worker is killed (SIGKILL) in the middle of a batch of 200 confirmations, with emails on
/// their way to a mail server that takes 100 ms to answer each; a second worker starts. The dead
/// worker's jobs come back (it stops beating; after 3 missed heartbeats the other worker
/// re-enqueues them), every job ends SUCCEEDED, and every customer has one confirmation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_batch_loses_no_job_and_sends_each_email_once() {
    const ORDERS: usize = 200;
    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = SmtpServer::start_with_delay(Duration::from_millis(100)).await;
    let keys = RedisKeys::new(redis_url());
    stock(&app, ORDERS as i32).await;
    let orders = place_and_confirm(&app, (0..ORDERS).map(|i| customer("crash", i)).collect()).await;
    assert_eq!(undispatched(&app).await, 2 * ORDERS as u64, "a release and a confirmation per order wait");

    let oms = Oms::new(app.database_url(), &app.jwt_secret())
        .with("REDIS_URL", &keys.url)
        .with("OMS_QUEUE_PREFIX", &keys.prefix)
        .with("SMTP_URL", &smtp.url())
        .with("OMS_CONCURRENCY_NOTIFICATION", "8")
        .with("OMS_POLL_INTERVAL_MS", "50")
        .with("OMS_HEARTBEAT_SECS", "1");
    let mut first = oms.worker("worker-1");
    smtp.wait_for(PATIENCE, "the first worker's first emails", |m| m.len() >= 40).await;
    first.kill();
    let killed = Instant::now();
    // The server may still be holding a message whose last line left before the kill (it waits
    // up to 150 ms before it accepts one, and the hang-up and its timer can race): it counts as
    // accepted before the kill. Nothing more can come from a dead worker, so wait until nothing
    // arrives for longer than the server's longest wait.
    let mut before = smtp.mails().len();
    loop {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let now = smtp.mails().len();
        if now == before {
            break;
        }
        before = now;
    }
    assert!(before < ORDERS, "killed mid-batch: {before} of {ORDERS} emails had arrived");
    // No other worker has started yet: every set of jobs in flight is the dead worker's.
    let held = [keys.in_flight("notification").await, keys.in_flight("fulfillment").await];
    let orphaned: usize = held[0].iter().map(|(_, n)| n).sum();
    assert!(orphaned > 0, "the dead worker held notification jobs in flight");

    let _second = oms.worker("worker-2");
    smtp.wait_for(PATIENCE, "every confirmation", |m| distinct_messages(m) == ORDERS).await;
    let runs = all_jobs_succeed(&app, 2 * ORDERS).await;
    let recovered = killed.elapsed();
    for (queue, dead) in ["notification", "fulfillment"].into_iter().zip(&held) {
        let left: Vec<_> = keys.in_flight(queue).await.into_iter().filter(|set| dead.contains(set)).collect();
        assert!(left.is_empty(), "no {queue} job is left with the dead worker: {left:?}");
    }

    let again: Vec<&job::Model> = runs.iter().filter(|r| r.attempts > 1).collect();
    assert!(!again.is_empty(), "the jobs the dead worker was running ran again");
    assert!(runs.iter().all(|r| r.attempts <= 2), "no job ran more than twice: {again:?}");
    let mails = smtp.mails();
    let twice = one_confirmation_each(&app, &orders, &mails).await;
    // A message arrives again only when the server had accepted it before the worker died, and
    // the worker died before it recorded the email SENT: a job it held, sent before the kill.
    let (accepted_before, accepted_after) = mails.split_at(before);
    let before_ids: HashSet<String> = accepted_before.iter().map(Mail::message_id).collect();
    let after_ids: Vec<String> = accepted_after.iter().map(Mail::message_id).collect();
    let repeated: HashSet<&String> = after_ids.iter().filter(|id| before_ids.contains(*id)).collect();
    assert_eq!(repeated.len(), twice, "every repeat is of a message accepted before the kill");
    assert_eq!(after_ids.iter().collect::<HashSet<_>>().len(), after_ids.len(), "no repeat after the kill");
    assert!(twice <= orphaned, "only a job the dead worker held can send its message again ({twice} > {orphaned})");
    println!(
        "killed after {before} emails holding {orphaned} jobs; {} jobs ran again; \
         all done {recovered:?} after the kill; {twice} message(s) received twice",
        again.len()
    );
}

/// Redis dies under a running `oms serve`: orders are placed and confirmed all the same and
/// their jobs wait in the outbox; Redis comes back (empty, on the same port), the process
/// reconnects by itself, and every job runs and every email arrives, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b_redis_down_orders_succeed_and_every_job_runs_once_it_is_back() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = SmtpServer::start().await;
    let mut redis = RedisServer::start().await;
    stock(&app, 100).await;
    let oms = Oms::new(app.database_url(), &app.jwt_secret())
        .with("REDIS_URL", &redis.url())
        .with("SMTP_URL", &smtp.url())
        .with("OMS_POLL_INTERVAL_MS", "50");
    let (mut serve, address) = oms.serve("serve").await;
    let api = Remote::new(address, app.admin());

    // While Redis is up; then nothing is left in it when it dies.
    let mut orders = place_and_confirm_remote(&api, (0..5).map(|i| customer("redis", i)).collect()).await;
    smtp.wait_for(PATIENCE, "the first confirmations", |m| m.len() == 5).await;
    all_jobs_succeed(&app, 10).await;

    redis.stop();
    let placed_while_down = place_and_confirm_remote(&api, (5..25).map(|i| customer("redis", i)).collect()).await;
    assert_eq!(placed_while_down.len(), 20, "every order was placed and confirmed");
    assert_eq!(undispatched(&app).await, 40, "their jobs wait in the outbox");
    assert_eq!(smtp.mails().len(), 5, "nothing was sent for them");
    assert!(serve.is_running(), "the process lives on without Redis");
    orders.extend(placed_while_down);

    redis.start_again().await;
    smtp.wait_for(PATIENCE, "every confirmation", |m| m.len() >= orders.len()).await;
    let runs = all_jobs_succeed(&app, 2 * orders.len()).await;
    assert!(runs.iter().all(|r| r.attempts == 1), "each job ran once: {runs:?}");
    let mails = smtp.mails();
    assert_eq!(one_confirmation_each(&app, &orders, &mails).await, 0, "no message twice");
    assert_eq!(mails.len(), orders.len());
    assert!(serve.is_running());
    std::fs::write("/tmp/procs-b.log", serve.log()).unwrap();
}

/// `oms serve` and two `oms worker` processes at once — three relays on one outbox, three
/// workers on each queue — while 150 orders arrive: every job runs exactly once (one attempt
/// each) and every email arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_three_relays_and_three_workers_run_each_job_once() {
    const ORDERS: usize = 150;
    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = SmtpServer::start_with_delay(Duration::from_millis(20)).await;
    let keys = RedisKeys::new(redis_url());
    stock(&app, ORDERS as i32).await;
    let oms = Oms::new(app.database_url(), &app.jwt_secret())
        .with("REDIS_URL", &keys.url)
        .with("OMS_QUEUE_PREFIX", &keys.prefix)
        .with("SMTP_URL", &smtp.url())
        .with("OMS_CONCURRENCY_NOTIFICATION", "4")
        .with("OMS_POLL_INTERVAL_MS", "50");
    let (serve, address) = oms.serve("serve").await;
    let processes: [Process; 3] = [serve, oms.worker("worker-1"), oms.worker("worker-2")];
    eventually(PATIENCE, "every process's workers to register", || {
        let ready = processes.iter().all(|p| p.log_lines_with("worker registered") >= 3);
        async move { ready.then_some(()) }
    })
    .await;

    let api = Remote::new(address, app.admin());
    let orders = place_and_confirm_remote(&api, (0..ORDERS).map(|i| customer("many", i)).collect()).await;
    smtp.wait_for(PATIENCE, "every confirmation", |m| m.len() >= ORDERS).await;
    let runs = all_jobs_succeed(&app, 2 * ORDERS).await;

    let once: Vec<&job::Model> = runs.iter().filter(|r| r.attempts != 1).collect();
    assert!(once.is_empty(), "each job ran exactly once: {once:?}");
    let rows = notification::Entity::find().all(&app.db).await.expect("notifications");
    assert!(rows.iter().all(|n| n.attempts == 1), "each email was attempted once");
    let mails = smtp.mails();
    assert_eq!(one_confirmation_each(&app, &orders, &mails).await, 0, "no message twice");
    assert_eq!(mails.len(), ORDERS);

    // All of them took part: each process sent emails, and more than one relay moved rows.
    let sent: Vec<usize> = processes.iter().map(|p| p.log_lines_with("email sent")).collect();
    assert!(sent.iter().all(|n| *n > 0), "every process sent emails: {sent:?}");
    assert_eq!(sent.iter().sum::<usize>(), ORDERS);
    let relayed: Vec<usize> = processes.iter().map(|p| p.log_lines_with("outbox rows relayed")).collect();
    assert!(relayed.iter().filter(|n| **n > 0).count() >= 2, "relays that moved rows: {relayed:?}");
    println!("emails sent per process {sent:?}; relay passes that moved rows per process {relayed:?}");
}

/// Redis restarts with its data (from a snapshot, as with persistence): the workers are still
/// registered there under their names and look alive. Each worker whose connection broke starts
/// again, and must not be refused as its own live double (with a heartbeat of 10 min, as here,
/// that refusal would last 30 min): every job placed while Redis was away runs once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d_redis_restarted_with_its_data_takes_the_workers_back() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = SmtpServer::start().await;
    let mut redis = RedisServer::start().await;
    stock(&app, 100).await;
    let oms = Oms::new(app.database_url(), &app.jwt_secret())
        .with("REDIS_URL", &redis.url())
        .with("SMTP_URL", &smtp.url())
        .with("OMS_POLL_INTERVAL_MS", "50")
        .with("OMS_HEARTBEAT_SECS", "600");
    let (mut serve, address) = oms.serve("serve").await;
    let api = Remote::new(address, app.admin());
    let mut orders = place_and_confirm_remote(&api, (0..5).map(|i| customer("restart", i)).collect()).await;
    smtp.wait_for(PATIENCE, "the first confirmations", |m| m.len() == 5).await;
    all_jobs_succeed(&app, 10).await;

    redis.save().await;
    redis.stop();
    orders.extend(place_and_confirm_remote(&api, (5..25).map(|i| customer("restart", i)).collect()).await);
    assert_eq!(undispatched(&app).await, 40, "their jobs wait in the outbox");
    redis.start_again().await;

    smtp.wait_for(PATIENCE, "every confirmation", |m| m.len() >= orders.len()).await;
    let runs = all_jobs_succeed(&app, 2 * orders.len()).await;
    assert!(runs.iter().all(|r| r.attempts == 1), "each job ran once: {runs:?}");
    let mails = smtp.mails();
    assert_eq!(one_confirmation_each(&app, &orders, &mails).await, 0, "no message twice");
    assert!(serve.log_lines_with("restarting worker") > 0, "the outage stopped the workers");
    assert!(serve.is_running());
}

/// An idle worker keeps looking for jobs at its poll interval, even when one look takes longer
/// than the interval (here 1 ms, shorter than any round trip to Redis): each job placed after
/// the worker fell idle runs, without waiting for the next heartbeat (here 10 min).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_an_idle_worker_keeps_looking_for_jobs() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = SmtpServer::start().await;
    let keys = RedisKeys::new(redis_url());
    stock(&app, 10).await;
    let worker = Oms::new(app.database_url(), &app.jwt_secret())
        .with("REDIS_URL", &keys.url)
        .with("OMS_QUEUE_PREFIX", &keys.prefix)
        .with("SMTP_URL", &smtp.url())
        .with("OMS_POLL_INTERVAL_MS", "1")
        .with("OMS_HEARTBEAT_SECS", "600")
        .worker("worker");
    eventually(PATIENCE, "the workers to register", || {
        let ready = worker.log_lines_with("worker registered") >= 3;
        async move { ready.then_some(()) }
    })
    .await;
    for i in 0..5 {
        // Idle for a while, then one job.
        tokio::time::sleep(Duration::from_millis(300)).await;
        place_and_confirm(&app, vec![customer("idle", i)]).await;
        smtp.wait_for(PATIENCE, &format!("confirmation {}", i + 1), |m| m.len() == i + 1).await;
    }
    all_jobs_succeed(&app, 10).await;
}

/// Redis restarts without persistence while it holds jobs the relay already handed it (their
/// outbox rows are marked dispatched): the jobs waiting in it are gone, and so is the one a
/// worker was running when its connection broke. Their run records stay unfinished, and the
/// sweep of lost jobs hands each one unfinished for longer than its threshold back to the relay,
/// which pushes it again: every job runs, every job's effect happens once, and every customer
/// has one confirmation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_redis_restarted_empty_loses_no_job() {
    const ORDERS: usize = 30;
    let app = TestApp::spawn(Backend::Postgres).await;
    // One email at a time, each taking 100 ms: most confirmations still wait in Redis when it dies.
    let smtp = SmtpServer::start_with_delay(Duration::from_millis(100)).await;
    let mut redis = RedisServer::start().await;
    stock(&app, ORDERS as i32).await;
    let orders = place_and_confirm(&app, (0..ORDERS).map(|i| customer("lost", i)).collect()).await;
    let oms = Oms::new(app.database_url(), &app.jwt_secret())
        .with("REDIS_URL", &redis.url())
        .with("SMTP_URL", &smtp.url())
        .with("OMS_CONCURRENCY_NOTIFICATION", "1")
        .with("OMS_POLL_INTERVAL_MS", "50")
        .with("OMS_TICK_REQUEUE_LOST_JOBS_SECS", "1")
        .with("OMS_LOST_JOB_AFTER_SECS", "5");
    let worker = oms.worker("worker");
    eventually(PATIENCE, "every job handed to Redis", || async { (undispatched(&app).await == 0).then_some(()) }).await;
    smtp.wait_for(PATIENCE, "the first confirmations", |m| !m.is_empty()).await;

    redis.stop();
    redis.start_again().await;
    let sent_before = smtp.mails().len();
    let unfinished = job::Entity::find()
        .filter(job::Column::Kind.eq("order_confirmed"))
        .filter(job::Column::Status.is_in([JobStatus::Queued, JobStatus::Running]))
        .count(&app.db)
        .await
        .expect("count the runs");
    assert!(unfinished > 0 && sent_before < ORDERS, "Redis died holding jobs: {unfinished} unfinished");

    smtp.wait_for(PATIENCE, "every confirmation", |m| distinct_messages(m) == ORDERS).await;
    let runs = all_jobs_succeed(&app, 2 * ORDERS).await;
    // Only a job a worker was running when Redis died runs a second time: at most one email and
    // four fulfilment jobs (the queues' concurrency).
    let again: Vec<&job::Model> = runs.iter().filter(|r| r.attempts > 1).collect();
    assert!(again.len() <= 5 && again.iter().all(|r| r.attempts == 2), "jobs that ran again: {again:?}");
    let mails = smtp.mails();
    let twice = one_confirmation_each(&app, &orders, &mails).await;
    assert!(twice <= 1, "only the email in flight when Redis died may arrive twice: {twice}");
    assert!(worker.log_lines_with("jobs their queue lost handed back to the relay") > 0);
}
