//! `oms-bench`: the load generator. Starts `oms api` processes on a fresh PostgreSQL database,
//! seeds data through the API, drives GraphQL over HTTP at a given concurrency for a given time,
//! and prints throughput, latency percentiles, errors, server CPU per request and peak RSS. For
//! the write scenarios it also measures, in the same run, the same work as raw SQL through a
//! plain driver and the one-statement minimal order write, and prints the ratios.
//!
//! `cargo run --release -p oms-bench -- place-orders`, which builds the `oms` it starts first (see
//! bench/README.md and BENCHMARKS.md).
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use oms_bench::{Latencies, Rng, machine_state};
use serde_json::{Value, json};

mod cluster;
mod drive;
mod history;
mod raw;
mod scenarios;
mod seed;

use cluster::Cluster;
use drive::{Target, Workload};

pub type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    PlaceOrders,
    HotSku,
    ReadOrder,
    ListOrders,
    Promise,
    History,
    Checkout,
}

#[derive(Parser, Debug)]
#[command(name = "oms-bench", about = "Load scenarios over GraphQL/HTTP against oms api processes")]
struct Args {
    /// The scenarios to run, one after the other, each on a database of its own.
    #[arg(required = true, value_enum)]
    scenarios: Vec<Scenario>,
    /// Clients, each sending one request at a time.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Measured seconds per scenario (and per raw-SQL run).
    #[arg(long, default_value_t = 15.0)]
    seconds: f64,
    /// Measured periods per scenario, taking turns with the raw-SQL runs (the service, the same
    /// statements, the minimal write, again), each a share of `--seconds`: the machine's speed
    /// drifts over a minute, and taking turns lays the drift on all three alike.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,
    /// Unmeasured seconds before measuring.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// PostgreSQL server; each scenario makes a database on it and drops it at the end.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    /// `oms api` processes to start (requests go to them in turn).
    #[arg(long, default_value_t = 1)]
    api_processes: usize,
    /// `oms worker` processes to start (0: none; jobs wait in the outbox).
    #[arg(long, default_value_t = 0)]
    worker_processes: usize,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Products in the catalogue.
    #[arg(long, default_value_t = 10_000)]
    skus: usize,
    /// Locations.
    #[arg(long, default_value_t = 50)]
    locations: usize,
    /// Orders preloaded by `history`, each with its fulfilment orders.
    #[arg(long, default_value_t = 1_000_000)]
    history_rows: usize,
    /// Print one JSON object per scenario instead of text.
    #[arg(long)]
    json: bool,
    /// Keep the databases (for looking at them afterwards).
    #[arg(long)]
    keep: bool,
    #[arg(long, default_value_t = 0x0B5E_0001)]
    seed: u64,
    /// SQL run on each scenario's database after seeding, before measuring: an experiment on
    /// the schema (say, dropping an index) that the service and the raw-SQL runs both see.
    #[arg(long)]
    experiment_sql: Option<String>,
}

impl Args {
    fn measure(&self) -> Duration {
        Duration::from_secs_f64(self.seconds)
    }
    /// The length of one round's period.
    fn period(&self) -> Duration {
        self.measure() / self.rounds
    }
    fn warmup(&self) -> Duration {
        Duration::from_secs_f64(self.warmup)
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if !args.json {
        println!("machine: {}", machine_state());
    }
    let mut failed = false;
    for scenario in args.scenarios.clone() {
        match run(&args, scenario).await {
            Ok(report) => print(&args, &report),
            Err(e) => {
                eprintln!("{scenario:?} failed: {e}");
                failed = true;
            }
        }
    }
    if !args.json {
        println!("machine at the end: {}", machine_state());
    }
    if failed {
        std::process::exit(1);
    }
}

fn name(s: Scenario) -> &'static str {
    match s {
        Scenario::PlaceOrders => "place-orders",
        Scenario::HotSku => "hot-sku",
        Scenario::ReadOrder => "read-order",
        Scenario::ListOrders => "list-orders",
        Scenario::Promise => "promise",
        Scenario::History => "history",
        Scenario::Checkout => "checkout",
    }
}

async fn run(args: &Args, scenario: Scenario) -> Res<Value> {
    let mut cluster = Cluster::create(&args.postgres, name(scenario), args.keep).await?;
    let outcome = run_on(args, scenario, &mut cluster).await;
    cluster.finish().await?;
    outcome
}

async fn run_on(args: &Args, scenario: Scenario, cluster: &mut Cluster) -> Res<Value> {
    let mut rng = Rng::new(args.seed);
    cluster.start_apis(args.api_processes)?;
    cluster.wait_until_up().await?;
    if args.worker_processes > 0 {
        cluster.start_workers(args.worker_processes, &args.redis_url)?;
    }
    let target = Arc::new(Target {
        client: reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?,
        urls: cluster.urls.clone(),
        token: cluster.token("admin")?,
    });
    let mut extra = serde_json::Map::new();
    let workload: Arc<dyn Workload> = match scenario {
        Scenario::PlaceOrders | Scenario::History | Scenario::Checkout => {
            let catalogue = seed::catalogue(&target, &mut rng, args.skus, args.locations, 5, 1_000_000).await?;
            let document = if scenario == Scenario::Checkout { scenarios::CHECKOUT } else { scenarios::PLACE_ORDER };
            let placing = scenarios::PlaceOrders { document, skus: catalogue.skus, max_lines: 5, customers: 10_000 };
            if scenario == Scenario::History {
                // Orders placed through the API are the templates of the history written in SQL.
                place_some(&target, &placing, &mut rng, 200).await?;
                let preloaded = history::preload(cluster, args.history_rows).await?;
                extra.insert("history_orders".into(), json!(preloaded.orders));
                extra.insert("history_fulfillment_orders".into(), json!(preloaded.fulfillment_orders));
            }
            Arc::new(placing)
        }
        Scenario::HotSku => {
            seed::catalogue(&target, &mut rng, 10, 5, 1, 1_000_000).await?;
            // The race: a second SKU with a little stock, bought by everyone until it is gone.
            let race = raw::hot_sku_race(&target, args.concurrency).await?;
            extra.insert("race_stock".into(), json!(race.stock));
            extra.insert("race_orders_accepted".into(), json!(race.accepted));
            extra.insert("oversold".into(), json!(race.oversold));
            Arc::new(scenarios::HotSku { sku: "BENCH-00000".to_owned() })
        }
        Scenario::ReadOrder | Scenario::ListOrders => {
            let catalogue = seed::catalogue(&target, &mut rng, 1_000, 10, 3, 1_000_000).await?;
            let placing = scenarios::PlaceOrders {
                document: scenarios::PLACE_ORDER,
                skus: catalogue.skus.clone(),
                max_lines: 3,
                customers: 500,
            };
            let ids = place_some(&target, &placing, &mut rng, 2_000).await?;
            if scenario == Scenario::ReadOrder {
                Arc::new(scenarios::ReadOrder { ids })
            } else {
                Arc::new(scenarios::ListOrders { cursors: page_cursors(&target).await? })
            }
        }
        Scenario::Promise => {
            let catalogue = seed::catalogue(&target, &mut rng, args.skus, args.locations, 5, 1_000_000).await?;
            Arc::new(scenarios::Promise { skus: catalogue.skus })
        }
    };

    if let Some(sql) = &args.experiment_sql {
        let pool = cluster::sqlx_connect(&cluster.database_url).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(&pool).await?;
        pool.close().await;
    }
    let raw = match scenario {
        Scenario::PlaceOrders | Scenario::HotSku => {
            Some(raw::Raw::prepare(cluster, scenario == Scenario::HotSku, args.concurrency).await?)
        }
        _ => None,
    };
    // The server CPU per request divides the CPU of the measured periods only: sampled after the
    // warm-up, not before it, and never across a raw-SQL run.
    drive::warm_up(&target, &workload, args.concurrency, args.warmup(), args.seed).await;
    if let Some(raw) = &raw {
        raw.warm_up(args.warmup()).await?;
    }
    let mut tally = drive::Tally::default();
    let mut wall = Duration::ZERO;
    let mut cpu = cluster::ServerCpu::default();
    let (mut same, mut minimal) = (raw::Written::default(), raw::Written::default());
    // Each round's own figures, to show how far the machine drifted within the run.
    let mut by_round = Vec::new();
    for round in 0..u64::from(args.rounds) {
        let cpu_before = cluster.cpu();
        let (part, took) =
            drive::run(&target, &workload, args.concurrency, args.period(), args.seed ^ round.wrapping_mul(0x5EED))
                .await;
        cpu.add(cluster.cpu().since(&cpu_before));
        let mut figures = json!({ "throughput_per_s": part.ok as f64 / took.as_secs_f64().max(f64::MIN_POSITIVE) });
        tally.merge(part);
        wall += took;
        if let Some(raw) = &raw {
            let (s, m) = (raw.same_statements(args.period(), round).await?, raw.minimal(args.period(), round).await?);
            figures["raw_sql_throughput_per_s"] = json!(s.per_second());
            figures["minimal_write_per_s"] = json!(m.per_second());
            same.add(s);
            minimal.add(m);
        }
        by_round.push(figures);
    }
    let requests = tally.latencies.len().max(1) as f64;
    let throughput = tally.ok as f64 / wall.as_secs_f64();
    let mut latencies = tally.latencies.clone();
    let l = Latencies::of(&mut latencies);
    let ms = |d: Option<Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1e3);
    let mut report = json!({
        "scenario": name(scenario),
        "concurrency": args.concurrency,
        "api_processes": args.api_processes,
        "seconds": wall.as_secs_f64(),
        "rounds": args.rounds,
        "by_round": by_round,
        "requests": tally.latencies.len(),
        "throughput_per_s": throughput,
        "p50_ms": ms(l.map(|l| l.p50)),
        "p90_ms": ms(l.map(|l| l.p90)),
        "p99_ms": ms(l.map(|l| l.p99)),
        "max_ms": ms(l.map(|l| l.max)),
        "errors": tally.errors,
        "refused": tally.refused,
        "first_error": tally.first_error,
        "server_cpu_ms_per_request": cpu.apis.as_secs_f64() * 1e3 / requests,
        "postgres_cpu_ms_per_request": cpu.postgres.as_secs_f64() * 1e3 / requests,
        "server_peak_rss_mb": cluster.peak_rss_mb(),
    });
    if let Some(o) = report.as_object_mut() {
        o.extend(extra);
    }
    if let Some(raw) = raw {
        raw.close().await;
        report["raw_sql_throughput_per_s"] = json!(same.per_second());
        report["ratio_to_raw_sql"] = json!(throughput / same.per_second().max(f64::MIN_POSITIVE));
        report["minimal_write_per_s"] = json!(minimal.per_second());
        report["ratio_to_minimal_write"] = json!(throughput / minimal.per_second().max(f64::MIN_POSITIVE));
    }
    Ok(report)
}

/// Places `n` orders (32 at a time) and returns their ids.
async fn place_some(
    target: &Arc<Target>,
    placing: &scenarios::PlaceOrders,
    rng: &mut Rng,
    n: usize,
) -> Res<Vec<String>> {
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        let bodies: Vec<Value> = (0..32).map(|_| placing.request(rng)).collect();
        let answers = futures::future::join_all(bodies.into_iter().map(|b| async move {
            drive::call(target, b["query"].as_str().unwrap_or_default(), b["variables"].clone()).await
        }))
        .await;
        for answer in answers {
            if let Some(id) = answer?["placeOrder"]["order"]["id"].as_str() {
                ids.push(id.to_owned());
            }
        }
    }
    Ok(ids)
}

/// The cursor before each page of 100 orders.
async fn page_cursors(target: &Arc<Target>) -> Res<Vec<Option<String>>> {
    let mut cursors = vec![None];
    loop {
        let page = drive::call(target, scenarios::LIST_ORDERS, json!({ "after": cursors.last() })).await?;
        let info = &page["orders"]["pageInfo"];
        match info["endCursor"].as_str() {
            Some(c) if info["hasNextPage"].as_bool() == Some(true) => cursors.push(Some(c.to_owned())),
            _ => break,
        }
    }
    Ok(cursors)
}

fn print(args: &Args, report: &Value) {
    if args.json {
        println!("{report}");
        return;
    }
    let f = |k: &str| report[k].as_f64().unwrap_or(0.0);
    println!(
        "\n{} (concurrency {}, {} api process(es), {:.1} s measured in {} round(s))",
        report["scenario"].as_str().unwrap_or("?"),
        args.concurrency,
        args.api_processes,
        f("seconds"),
        args.rounds
    );
    println!(
        "  throughput {:.1}/s   p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        f("throughput_per_s"),
        f("p50_ms"),
        f("p90_ms"),
        f("p99_ms"),
        f("max_ms")
    );
    println!("  errors {}   refused {}", report["errors"], report["refused"]);
    if let Some(e) = report["first_error"].as_str() {
        println!("  first error: {e}");
    }
    println!(
        "  CPU per request: oms {:.2} ms, PostgreSQL {:.2} ms;  oms peak RSS {:.1} MB",
        f("server_cpu_ms_per_request"),
        f("postgres_cpu_ms_per_request"),
        f("server_peak_rss_mb")
    );
    if let Some(rounds) = report["by_round"].as_array().filter(|r| r.len() > 1) {
        let each: Vec<String> = rounds
            .iter()
            .map(|r| {
                let service = r["throughput_per_s"].as_f64().unwrap_or(0.0);
                match r["raw_sql_throughput_per_s"].as_f64() {
                    Some(raw) => format!("{service:.1} vs raw {raw:.1} ({:.2})", service / raw.max(f64::MIN_POSITIVE)),
                    None => format!("{service:.1}"),
                }
            })
            .collect();
        println!("  by round, per second: {}", each.join(";  "));
    }
    if report.get("raw_sql_throughput_per_s").is_some() {
        println!(
            "  raw SQL, same statements: {:.1}/s (ratio {:.2});  minimal one-statement write: {:.1}/s (ratio {:.3})",
            f("raw_sql_throughput_per_s"),
            f("ratio_to_raw_sql"),
            f("minimal_write_per_s"),
            f("ratio_to_minimal_write")
        );
    }
    if let Some(orders) = report.get("history_orders") {
        let fulfillment_orders = &report["history_fulfillment_orders"];
        println!("  history preloaded: {orders} orders with {fulfillment_orders} fulfilment orders");
    }
    if report.get("oversold").is_some() {
        println!(
            "  hot-SKU race: {} units, {} orders accepted, oversold {}",
            report["race_stock"], report["race_orders_accepted"], report["oversold"]
        );
    }
}
