//! The job pipeline under load, on PostgreSQL and Redis with a real SMTP listener in-process:
//!
//! 1. throughput: notification jobs written to the outbox in one transaction, then relayed to
//!    Redis, run by the notification workers, rendered and sent over SMTP — jobs/s from the
//!    commit to the last job recorded SUCCEEDED;
//! 2. latency: orders placed (and confirmed at once) at a fixed rate; the time from
//!    `placeOrder` answered to the confirmation email accepted by the SMTP listener.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use clap::Parser;
use domain::auth::Role;
use domain::jobs::{Job, JobStatus, NotificationEvent, RetryPolicy};
use oms_api::{Application, Migrations, Settings};
use oms_bench::{CpuTime, Latencies, Statements, human, machine_state};
use oms_worker::WorkerSettings;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Statement, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(about = "Job pipeline benchmark: outbox -> Redis -> handler -> SMTP, and placeOrder-to-email latency")]
struct Args {
    /// PostgreSQL server (an admin URL); a fresh database is made on it and dropped at the end.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Orders for the throughput run; each gets all 8 notification events as jobs.
    #[arg(long, default_value_t = 500)]
    orders: usize,
    /// Orders per second for the latency run.
    #[arg(long, default_value_t = 100)]
    rate: u64,
    /// How long the latency run places orders.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Notification jobs one worker process runs at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How soon an idle worker looks at its queue again, and the relay at the outbox.
    #[arg(long, default_value_t = 20)]
    poll_ms: u64,
}

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Client {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Client {
    async fn gql(&self, query: &str, variables: Value) -> Res<Value> {
        let body: Value = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        if body.get("errors").is_some() {
            return Err(format!("GraphQL errors: {body}").into());
        }
        Ok(body["data"].clone())
    }

    async fn place(&self, i: usize) -> Res<(String, String)> {
        let data = self
            .gql(
                "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number } userErrors { code message } } }",
                json!({ "input": {
                    "channel": "WEB",
                    "customer": { "email": format!("bench{i}@example.com"), "name": "Bench Customer" },
                    "lines": [{ "sku": "MUG", "quantity": 1 }],
                    "shippingAddress": { "line1": "2 Rue de Rivoli", "city": "Paris", "postalCode": "75001", "country": "FR" }
                } }),
            )
            .await?;
        let o = &data["placeOrder"]["order"];
        match (o["id"].as_str(), o["number"].as_str()) {
            (Some(id), Some(n)) => Ok((id.to_owned(), n.to_owned())),
            _ => Err(format!("placeOrder refused: {data}").into()),
        }
    }

    async fn confirm(&self, id: &str) -> Res<()> {
        self.gql(
            "mutation($id: ID!) { confirmOrder(input: { orderId: $id }) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await?;
        Ok(())
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Res<()> {
    let args = Args::parse();
    println!("job pipeline benchmark: PostgreSQL + Redis + SMTP listener, service and workers in-process");
    println!("machine at start: {}", machine_state());
    let name = format!("oms_bench_jobs_{}", Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(&args.postgres_url).await?;
    admin.execute_raw(Statement::from_string(sea_orm::DbBackend::Postgres, format!("CREATE DATABASE {name}"))).await?;
    let base = args.postgres_url.rsplit_once('/').map_or(args.postgres_url.as_str(), |(b, _)| b);
    let result = run(&args, format!("{base}/{name}"), &name).await;
    admin
        .execute_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        ))
        .await?;
    println!("machine at end:   {}", machine_state());
    result
}

async fn run(args: &Args, database_url: String, database: &str) -> Res<()> {
    let settings = Settings {
        database_url,
        bind: "127.0.0.1:0".to_owned(),
        jwt_secret: oms_api::config::Secret(format!("bench-{}-{}", Uuid::new_v4(), Uuid::new_v4()).into_bytes()),
    };
    let app = Application::build(&settings, Migrations::Apply).await?;
    let db = app.db().clone();
    // The workers get a connection of their own that counts the statements they send (the
    // relay's, the handlers' and the scheduler's; BEGIN and COMMIT are not counted).
    let statements = Statements::default();
    let mut worker_db = domain::db::connect(&settings.database_url).await?;
    let counter = statements.clone();
    worker_db.set_metric_callback(move |info| counter.count(&info.statement.sql));
    let client = Client {
        http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?,
        url: format!("http://127.0.0.1:{}/graphql", app.port()),
        token: app.keys().issue_for("bench", Role::Admin, None, Vec::new(), 3600)?,
    };
    let handle = app.handle();
    tokio::spawn(app.run());

    let (smtp_port, accepted) = oms_bench::smtp::start().await?;
    let prefix = format!("oms-bench-{}.", Uuid::new_v4().simple());
    let ws = WorkerSettings {
        redis_url: Some(args.redis_url.clone()),
        queue_prefix: prefix.clone(),
        concurrency_notification: args.concurrency,
        poll_interval: Duration::from_millis(args.poll_ms),
        relay_interval: Duration::from_millis(args.poll_ms),
        relay_batch: 500,
        smtp_url: Some(format!("smtp://127.0.0.1:{smtp_port}")),
        retry: RetryPolicy::default(),
        ..WorkerSettings::default()
    };
    println!(
        "workers: notification concurrency {}, relay batch {}, poll {} ms",
        ws.concurrency_notification,
        ws.relay_batch,
        ws.poll_interval.as_millis()
    );
    let pool = oms_worker::spawn(worker_db.clone(), ws)?;

    client.gql("mutation { createProduct(input: { sku: \"MUG\", name: \"Mug\", price: { amount: \"12.50\", currency: \"EUR\" } }) { userErrors { code } } }", json!({})).await?;
    client.gql("mutation { createLocation(input: { code: \"WH\", name: \"Warehouse\", kind: WAREHOUSE, address: { line1: \"1 Main St\", city: \"Lyon\", postalCode: \"69001\", country: \"FR\", latitude: 45.76, longitude: 4.83 }, canShip: true, canPickup: false, priority: 1, shippingRate: { amount: \"4.90\", currency: \"EUR\" } }) { userErrors { code } } }", json!({})).await?;
    client.gql("mutation { receiveInventory(input: { sku: \"MUG\", locationCode: \"WH\", quantity: 1000000 }) { userErrors { code } } }", json!({})).await?;
    // WEB orders wait for the benchmark's confirmOrder: no auto-confirm job races it, and the
    // confirmation email is the one confirmOrder caused.
    client.gql("mutation { setConfirmationRules(input: { rules: [{ channel: WEB, autoConfirm: false }] }) { userErrors { code } } }", json!({})).await?;

    // 1. Throughput.
    let started = Instant::now();
    let mut ids = Vec::with_capacity(args.orders);
    for chunk in (0..args.orders).collect::<Vec<_>>().chunks(16) {
        let placed = futures::future::join_all(chunk.iter().map(|i| client.place(*i))).await;
        for p in placed {
            ids.push(Uuid::parse_str(&p?.0)?);
        }
    }
    println!("throughput run: {} orders placed in {}", ids.len(), human(started.elapsed()));
    let notifications = || {
        entities::outbox_message::Entity::find()
            .filter(entities::outbox_message::Column::Queue.eq(domain::outbox::queue::NOTIFICATION))
    };
    let succeeded = || {
        entities::job::Entity::find()
            .filter(entities::job::Column::Queue.eq(domain::outbox::queue::NOTIFICATION))
            .filter(entities::job::Column::Status.eq(JobStatus::Succeeded.as_str()))
    };
    let (rows_before, succeeded_before) = (notifications().count(&db).await?, succeeded().count(&db).await?);
    let mails_before = accepted.lock().map(|a| a.len()).unwrap_or(0);
    // The rows are written as the requests that cause them would write them; the clock starts
    // at their commit, when the relay can first see them.
    let writing = Instant::now();
    let txn = db.begin().await?;
    for id in &ids {
        for event in NotificationEvent::ALL {
            domain::outbox::enqueue_job(&txn, &Job::notify(*id, event)).await?;
        }
    }
    txn.commit().await?;
    let committed = writing.elapsed();
    let t0 = Instant::now();
    let cpu_before = CpuTime::now(database);
    let statements_before = statements.snapshot();
    // Each new row is a job that sends one email (a key written before is not written again).
    let total = (notifications().count(&db).await? - rows_before) as usize;
    let deadline = Instant::now() + Duration::from_secs(300);
    // Watch the mail listener (in memory) until every email arrived, and only then the run
    // records: polling the database all along would add its own load to the figures.
    while accepted.lock().map(|a| a.len()).unwrap_or(0) - mails_before < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let done = loop {
        let n = (succeeded().count(&db).await? - succeeded_before) as usize;
        if n >= total || Instant::now() > deadline {
            break n;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let elapsed = t0.elapsed();
    let cpu = CpuTime::now(database).since(&cpu_before);
    let sent = statements.snapshot().since(&statements_before);
    let mails = accepted.lock().map(|a| a.len()).unwrap_or(0) - mails_before;
    println!(
        "throughput: {done}/{total} notification jobs succeeded, {mails} emails accepted, in {} from the outbox commit (writing the rows took {}): {:.0} jobs/s",
        human(elapsed),
        human(committed),
        done as f64 / elapsed.as_secs_f64()
    );
    // What a job costs in CPU, whatever else runs: the bound on an otherwise idle machine.
    let per_job = |d: Duration| d / u32::try_from(done.max(1)).unwrap_or(u32::MAX);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let cost = per_job(cpu.this_process + cpu.postgres);
    println!(
        "CPU per job: {} in this process (relay, workers, SMTP listener, the polling) + {} in its PostgreSQL backends = {}: at most {:.0} jobs/s on {cores} idle cores (Redis not counted)",
        human(per_job(cpu.this_process)),
        human(per_job(cpu.postgres)),
        human(cost),
        cores as f64 / cost.as_secs_f64().max(1e-9)
    );
    println!(
        "Redis CPU per job: {} (every redis-server process on the machine: shared with whatever else uses them)",
        human(per_job(cpu.redis))
    );
    println!("{}", sent.per_job(done));

    // 2. Latency at a fixed rate.
    let n = (args.rate * args.seconds) as usize;
    let interval = Duration::from_nanos(1_000_000_000 / args.rate.max(1));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let client = std::sync::Arc::new(client);
    let mut tasks = Vec::with_capacity(n);
    let base = ids.len();
    let cpu_before = CpuTime::now(database);
    let mails_before = accepted.lock().map(|a| a.len()).unwrap_or(0);
    for i in 0..n {
        ticker.tick().await;
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let (id, number) = c.place(base + i).await?;
            let answered = Instant::now();
            c.confirm(&id).await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((number, sent, answered, Instant::now()))
        }));
    }
    // When each order's placeOrder was answered, and when its confirmOrder was.
    let mut answered: HashMap<String, (Instant, Instant)> = HashMap::new();
    let (mut place_samples, mut confirm_samples) = (Vec::new(), Vec::new());
    let mut failed = 0;
    for t in tasks {
        match t.await {
            Ok(Ok((number, sent, placed, confirmed))) => {
                place_samples.push(placed.saturating_duration_since(sent).as_nanos() as u64);
                confirm_samples.push(confirmed.saturating_duration_since(placed).as_nanos() as u64);
                answered.insert(format!("Your order {number} is confirmed"), (placed, confirmed));
            }
            Ok(Err(e)) => {
                if failed == 0 {
                    println!("first failed order: {e}");
                }
                failed += 1;
            }
            Err(_) => failed += 1,
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut samples, mut after_confirm) = loop {
        let samples: Vec<(u64, u64)> = accepted
            .lock()
            .map(|a| {
                a.iter()
                    .filter_map(|(s, at)| {
                        answered.get(s).map(|(placed, confirmed)| {
                            (
                                at.saturating_duration_since(*placed).as_nanos() as u64,
                                at.saturating_duration_since(*confirmed).as_nanos() as u64,
                            )
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        if samples.len() >= answered.len() || Instant::now() > deadline {
            break samples.into_iter().unzip::<u64, u64, Vec<u64>, Vec<u64>>();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let cpu = CpuTime::now(database).since(&cpu_before);
    let mails = accepted.lock().map(|a| a.len()).unwrap_or(0) - mails_before;
    println!(
        "latency at {} orders/s for {} s: {} orders ({} failed), {} confirmation emails",
        args.rate,
        args.seconds,
        answered.len(),
        failed,
        samples.len()
    );
    if let Some(l) = Latencies::of(&mut samples) {
        println!("placeOrder answered -> confirmOrder -> confirmation email accepted: {}", l.line());
    }
    if let Some(l) = Latencies::of(&mut after_confirm) {
        println!("confirmOrder answered -> confirmation email accepted:               {}", l.line());
    }
    if let Some(l) = Latencies::of(&mut place_samples) {
        println!("placeOrder request:                                                 {}", l.line());
    }
    if let Some(l) = Latencies::of(&mut confirm_samples) {
        println!("confirmOrder request:                                               {}", l.line());
    }
    // What an order costs in CPU with everything it sets off (its requests, its jobs, its email):
    // the bound on the order rate of an otherwise idle machine.
    let placed = u32::try_from(answered.len().max(1)).unwrap_or(u32::MAX);
    let per_order = (cpu.this_process + cpu.postgres) / placed;
    println!(
        "CPU per order (placeOrder, confirmOrder, their jobs, {mails} emails): {} in this process + {} in PostgreSQL = {}: at most {:.0} orders/s on {cores} idle cores",
        human(cpu.this_process / placed),
        human(cpu.postgres / placed),
        human(per_order),
        cores as f64 / per_order.as_secs_f64().max(1e-9)
    );

    pool.shutdown().await?;
    handle.stop(true).await;
    if let Ok(client) = redis::Client::open(args.redis_url.as_str())
        && let Ok(mut conn) = client.get_multiplexed_async_connection().await
    {
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
        }
    }
    db.close().await?;
    Ok(())
}
