//! HTTP load on the GraphQL query `availableToPromise`, against the real service started
//! in-process on 127.0.0.1 over a database seeded with the demo data.
//!
//! `--concurrency C` tasks (default 16) each send one request at a time, for `--seconds S`
//! (default 10) or `--requests N`, each asking anonymously for 1–3 random demo SKUs delivered to
//! a random point in France, Germany, Spain, Italy or the Netherlands. Latency is measured from
//! sending the request to having read the whole body.
//!
//! The database is a fresh SQLite file in the temporary directory, deleted at the end, unless
//! `--database-url` names another one: that one is migrated and seeded as it is and kept, so it
//! must be an empty database made for the purpose.
//!
//! Run with `cargo run --release -p oms-bench --bin atp -- [--concurrency C] [--seconds S]`.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use oms_api::{Application, Migrations, Settings};
use oms_bench::{Latencies, Rng, human, machine_state};
use serde_json::{Value, json};
use uuid::Uuid;

/// Without `--seconds`, a `--requests` run still stops after this long.
const SAFETY_CAP: Duration = Duration::from_secs(600);

#[derive(Parser, Debug)]
#[command(about = "Load generator for the availableToPromise GraphQL query, against the service in-process")]
struct Args {
    /// Database to run on. Default: a fresh SQLite file in the temp dir, deleted at the end. A
    /// given URL (postgres://… or sqlite://…) is used as it is and kept: it must be an empty
    /// database made for the benchmark (it is migrated and seeded with the demo data).
    #[arg(long)]
    database_url: Option<String>,
    /// Tasks sending requests, one at a time each.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// How long to measure (default 10 s when --requests is not given either).
    #[arg(long)]
    seconds: Option<f64>,
    /// How many requests to measure; with --seconds too, whichever comes first.
    #[arg(long)]
    requests: Option<u64>,
    /// Untimed requests before measuring.
    #[arg(long, default_value_t = 200)]
    warmup: u64,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Seed of the generator of the requests.
    #[arg(long, default_value_t = 0x0A7B_0000)]
    seed: u64,
}

const ATP_QUERY: &str = "query($input: AvailableToPromiseInput!) { availableToPromise(input: $input) { \
    options { deliveryMethod available recommended locationCodes pickupLocationCode cost { amount currency } \
    estimatedDeliveryDate description } userErrors { field code message } } }";

const PRODUCTS_QUERY: &str = "query { products(first: 100) { edges { node { sku kind active } } } }";

/// Where customers are: country, postal code, latitude, longitude of a city centre; requests
/// scatter a few kilometres around it.
const CITIES: &[(&str, &str, f64, f64)] = &[
    ("FR", "75011", 48.8566, 2.3522),
    ("FR", "69003", 45.7640, 4.8357),
    ("FR", "13001", 43.2965, 5.3698),
    ("FR", "31000", 43.6047, 1.4442),
    ("FR", "33000", 44.8378, -0.5792),
    ("FR", "59000", 50.6292, 3.0573),
    ("FR", "44000", 47.2184, -1.5536),
    ("DE", "10115", 52.5200, 13.4050),
    ("DE", "20095", 53.5511, 9.9937),
    ("DE", "80331", 48.1351, 11.5820),
    ("DE", "50667", 50.9375, 6.9603),
    ("DE", "60311", 50.1109, 8.6821),
    ("DE", "70173", 48.7758, 9.1829),
    ("DE", "04109", 51.3397, 12.3731),
    ("ES", "28013", 40.4168, -3.7038),
    ("ES", "08001", 41.3874, 2.1686),
    ("ES", "46001", 39.4699, -0.3763),
    ("ES", "41001", 37.3891, -5.9845),
    ("ES", "48001", 43.2630, -2.9350),
    ("IT", "00184", 41.9028, 12.4964),
    ("IT", "20121", 45.4642, 9.1900),
    ("IT", "80133", 40.8518, 14.2681),
    ("IT", "10121", 45.0703, 7.6869),
    ("IT", "50122", 43.7696, 11.2558),
    ("IT", "40121", 44.4949, 11.3426),
    ("NL", "1012 AB", 52.3676, 4.9041),
    ("NL", "3011 AA", 51.9244, 4.4777),
    ("NL", "3511 AA", 52.0907, 5.1214),
    ("NL", "5611 AA", 51.4416, 5.4697),
];

/// What the load tasks share.
struct Shared {
    client: reqwest::Client,
    url: String,
    skus: Vec<String>,
    /// Stop sending after this instant.
    deadline: Instant,
    /// Requests that may still be started.
    budget: AtomicU64,
}

impl Shared {
    fn take_one(&self) -> bool {
        Instant::now() < self.deadline
            && self.budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok()
    }
}

/// What one task saw; tallies are added together at the end.
#[derive(Default)]
struct Tally {
    /// Nanoseconds of every request that got an HTTP response.
    latencies: Vec<u64>,
    ok: u64,
    transport_errors: u64,
    non_200: BTreeMap<u16, u64>,
    not_json: u64,
    graphql_errors: u64,
    missing_options: u64,
    user_errors: u64,
    options: u64,
    with_available_option: u64,
    by_method: BTreeMap<String, (u64, u64)>,
    /// The first example of each kind of failure.
    examples: BTreeMap<&'static str, String>,
}

impl Tally {
    fn example(&mut self, kind: &'static str, text: String) {
        self.examples.entry(kind).or_insert_with(|| text.chars().take(400).collect());
    }

    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.ok += other.ok;
        self.transport_errors += other.transport_errors;
        for (status, n) in other.non_200 {
            *self.non_200.entry(status).or_default() += n;
        }
        self.not_json += other.not_json;
        self.graphql_errors += other.graphql_errors;
        self.missing_options += other.missing_options;
        self.user_errors += other.user_errors;
        self.options += other.options;
        self.with_available_option += other.with_available_option;
        for (method, (n, available)) in other.by_method {
            let e = self.by_method.entry(method).or_default();
            e.0 += n;
            e.1 += available;
        }
        for (kind, text) in other.examples {
            self.examples.entry(kind).or_insert(text);
        }
    }

    fn responses(&self) -> u64 {
        self.latencies.len() as u64
    }

    /// Looks at one response.
    fn record(&mut self, status: u16, body: &str) {
        if status != 200 {
            *self.non_200.entry(status).or_default() += 1;
            self.example("non-200", format!("HTTP {status}: {body}"));
            return;
        }
        let Ok(json) = serde_json::from_str::<Value>(body) else {
            self.not_json += 1;
            self.example("not JSON", body.to_owned());
            return;
        };
        if json.get("errors").is_some_and(|e| !e.is_null()) {
            self.graphql_errors += 1;
            self.example("errors", json["errors"].to_string());
            return;
        }
        let atp = &json["data"]["availableToPromise"];
        let Some(options) = atp["options"].as_array() else {
            self.missing_options += 1;
            self.example("no data.availableToPromise.options", json.to_string());
            return;
        };
        self.ok += 1;
        if atp["userErrors"].as_array().is_some_and(|e| !e.is_empty()) {
            self.user_errors += 1;
            self.example("userErrors (informational)", atp["userErrors"].to_string());
        }
        self.options += options.len() as u64;
        let mut any_available = false;
        for option in options {
            let method = option["deliveryMethod"].as_str().unwrap_or("?").to_owned();
            let available = option["available"].as_bool().unwrap_or(false);
            any_available |= available;
            let e = self.by_method.entry(method).or_default();
            e.0 += 1;
            e.1 += u64::from(available);
        }
        self.with_available_option += u64::from(any_available);
    }
}

/// One random request body: 1–3 distinct SKUs, 1–2 units each, to a random customer point.
fn random_body(rng: &mut Rng, skus: &[String]) -> Value {
    let lines_wanted = 1 + rng.below(3.min(skus.len()));
    let mut chosen: Vec<&String> = Vec::with_capacity(lines_wanted);
    while chosen.len() < lines_wanted {
        let sku = rng.pick(skus);
        if !chosen.contains(&sku) {
            chosen.push(sku);
        }
    }
    let lines: Vec<Value> = chosen.iter().map(|sku| json!({ "sku": sku, "quantity": rng.range_i32(1, 2) })).collect();
    let &(country, postal_code, lat, lon) = rng.pick(CITIES);
    // Up to about 15 km from the centre.
    let (lat, lon) = (lat + rng.between(-0.1, 0.1), lon + rng.between(-0.15, 0.15));
    json!({
        "query": ATP_QUERY,
        "variables": { "input": {
            "lines": lines,
            "address": { "country": country, "postalCode": postal_code, "latitude": lat, "longitude": lon },
            "channel": "WEB",
        } },
    })
}

/// Sends one request and reads the whole body; `Err` for a transport failure.
async fn send(shared: &Shared, body: &Value) -> Result<(u16, String, Duration), reqwest::Error> {
    let started = Instant::now();
    let response = shared.client.post(&shared.url).json(body).send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, text, started.elapsed()))
}

async fn worker(shared: Arc<Shared>, mut rng: Rng) -> Tally {
    let mut tally = Tally::default();
    while shared.take_one() {
        let body = random_body(&mut rng, &shared.skus);
        match send(&shared, &body).await {
            Ok((status, text, took)) => {
                tally.latencies.push(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
                tally.record(status, &text);
            }
            Err(e) => {
                tally.transport_errors += 1;
                tally.example("transport", e.to_string());
            }
        }
    }
    tally
}

/// Runs `concurrency` workers until the deadline or the budget runs out.
async fn load(
    client: &reqwest::Client,
    url: &str,
    skus: &[String],
    concurrency: usize,
    seed: u64,
    deadline: Instant,
    budget: u64,
) -> Result<(Tally, Duration), Box<dyn std::error::Error>> {
    let shared = Arc::new(Shared {
        client: client.clone(),
        url: url.to_owned(),
        skus: skus.to_vec(),
        deadline,
        budget: AtomicU64::new(budget),
    });
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            tokio::spawn(worker(shared.clone(), Rng::new(seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1)))))
        })
        .collect();
    let mut total = Tally::default();
    for task in futures::future::join_all(tasks).await {
        total.merge(task?);
    }
    Ok((total, started.elapsed()))
}

/// The active SKUs of the demo catalogue, read back through the API as an anonymous client.
async fn demo_skus(client: &reqwest::Client, url: &str) -> Result<(Vec<String>, BTreeMap<String, usize>), String> {
    let response =
        client.post(url).json(&json!({ "query": PRODUCTS_QUERY })).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    let edges = body["data"]["products"]["edges"]
        .as_array()
        .ok_or_else(|| format!("products query answered HTTP {status}: {body}"))?;
    let mut skus = Vec::new();
    let mut kinds = BTreeMap::new();
    for node in edges.iter().map(|e| &e["node"]) {
        if node["active"].as_bool() == Some(true)
            && let Some(sku) = node["sku"].as_str()
        {
            skus.push(sku.to_owned());
            *kinds.entry(node["kind"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
        }
    }
    if skus.is_empty() {
        return Err(format!("the products query returned no active product: {body}"));
    }
    Ok((skus, kinds))
}

/// The benchmark proper, once the service runs.
async fn bench(args: &Args, app_url: &str, db: &sea_orm::DatabaseConnection) -> Result<(), Box<dyn std::error::Error>> {
    let seeded = Instant::now();
    let summary = domain::seed::seed_demo(db).await?;
    if summary.skipped_existing {
        println!("seed: demo data already present, not seeded again (the database was not empty)");
    } else {
        println!(
            "seed: {} products, {} locations, {} inventory levels in {}",
            summary.products,
            summary.locations,
            summary.inventory_levels,
            human(seeded.elapsed())
        );
    }

    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(args.timeout))
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let url = format!("{app_url}/graphql");
    let (skus, kinds) = demo_skus(&client, &url).await?;
    println!("catalogue: {} active SKUs read back through `products(first: 100)` ({kinds:?})", skus.len());

    // One probe first: a clear message when the query is missing beats a wall of errors.
    let probe = random_body(&mut Rng::new(args.seed), &skus);
    let (status, text, took) = send(&Shared::probe(&client, &url), &probe).await?;
    let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if status != 200 || parsed["data"]["availableToPromise"]["options"].as_array().is_none() {
        let text: String = text.chars().take(600).collect();
        return Err(format!(
            "availableToPromise does not answer as expected (is it in this build's schema?): HTTP {status}: {text}"
        )
        .into());
    }
    println!("probe: HTTP {status} in {}: {}", human(took), text.chars().take(300).collect::<String>());

    let seconds = match (args.seconds, args.requests) {
        (Some(s), _) => Duration::from_secs_f64(s.max(0.0)),
        (None, Some(_)) => SAFETY_CAP,
        (None, None) => Duration::from_secs(10),
    };
    let budget = args.requests.unwrap_or(u64::MAX);
    let concurrency = args.concurrency.max(1);

    if args.warmup > 0 {
        let deadline = Instant::now() + Duration::from_secs(60);
        let (warm, took) = load(&client, &url, &skus, concurrency, args.seed ^ 1, deadline, args.warmup).await?;
        println!("warm-up: {} requests in {} (not counted)", warm.responses() + warm.transport_errors, human(took));
    }

    let limit = match (args.seconds, args.requests) {
        (Some(s), Some(n)) => format!("{s} s or {n} requests, whichever comes first"),
        (Some(s), None) => format!("{s} s"),
        (None, Some(n)) => format!("{n} requests (at most {} s)", SAFETY_CAP.as_secs()),
        (None, None) => format!("{} s", seconds.as_secs()),
    };
    println!("measuring: {concurrency} concurrent tasks, one request in flight each, for {limit}");
    println!("machine before:  {}", machine_state());
    let deadline = Instant::now() + seconds;
    let (mut tally, wall) = load(&client, &url, &skus, concurrency, args.seed, deadline, budget).await?;
    println!("machine after:   {}", machine_state());
    println!();

    let responses = tally.responses();
    let sent = responses + tally.transport_errors;
    let non_200: u64 = tally.non_200.values().sum();
    println!(
        "requests: {sent} sent, {responses} answered in {} = {:.0} requests/s",
        human(wall),
        responses as f64 / wall.as_secs_f64()
    );
    let l = Latencies::of(&mut tally.latencies);
    match &l {
        Some(l) => println!("latency (every answered request): {}", l.line()),
        None => println!("latency: no request was answered"),
    }
    println!(
        "good (HTTP 200, no `errors`, data.availableToPromise.options present): {}; non-200: {non_200} {:?}; with \
         `errors`: {}; without options: {}; not JSON: {}; transport errors/timeouts: {}",
        tally.ok, tally.non_200, tally.graphql_errors, tally.missing_options, tally.not_json, tally.transport_errors
    );
    if tally.ok > 0 {
        println!(
            "answers: {:.2} options per answer; {:.1}% with at least one available option; {} with userErrors",
            tally.options as f64 / tally.ok as f64,
            100.0 * tally.with_available_option as f64 / tally.ok as f64,
            tally.user_errors
        );
        for (method, (n, available)) in &tally.by_method {
            println!("  {method:<8} offered {n}, available {available}");
        }
    }
    for (kind, text) in &tally.examples {
        println!("first {kind}: {text}");
    }
    println!();
    println!("| backend | concurrency | requests | requests/s | p50 | p90 | p99 | max | non-200 | errors |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let backend = if db.get_database_backend() == sea_orm::DbBackend::Postgres { "PostgreSQL" } else { "SQLite" };
    let cell = |f: fn(&Latencies) -> Duration| l.as_ref().map_or_else(|| "-".to_owned(), |l| human(f(l)));
    println!(
        "| {backend} | {concurrency} | {responses} | {:.0} | {} | {} | {} | {} | {non_200} | {} |",
        responses as f64 / wall.as_secs_f64(),
        cell(|l| l.p50),
        cell(|l| l.p90),
        cell(|l| l.p99),
        cell(|l| l.max),
        tally.graphql_errors
    );
    let failures = non_200 + tally.graphql_errors + tally.missing_options + tally.not_json + tally.transport_errors;
    if failures > 0 {
        return Err(format!("{failures} request(s) failed").into());
    }
    Ok(())
}

impl Shared {
    fn probe(client: &reqwest::Client, url: &str) -> Shared {
        Shared {
            client: client.clone(),
            url: url.to_owned(),
            skus: Vec::new(),
            deadline: Instant::now(),
            budget: AtomicU64::new(0),
        }
    }
}

/// Removes a SQLite database file and its WAL and shared-memory files.
fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => eprintln!("could not remove {}: {e}", PathBuf::from(file).display()),
        }
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    println!("availableToPromise benchmark: HTTP on loopback against the service in-process");
    println!("machine at start: {}", machine_state());

    let (database_url, temp_file) = match &args.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let path = std::env::temp_dir().join(format!("oms_bench_atp_{}.db", Uuid::new_v4().simple()));
            (format!("sqlite://{}", path.display()), Some(path))
        }
    };
    let shown = match &temp_file {
        Some(p) => format!("fresh SQLite file {} (deleted at the end)", p.display()),
        // The URL may hold a password: show its scheme only.
        None => format!("{}://… as given (kept)", database_url.split("://").next().unwrap_or("?")),
    };
    println!("database: {shown}");

    let settings = Settings {
        database_url,
        bind: "127.0.0.1:0".to_owned(),
        jwt_secret: oms_api::config::Secret(format!("bench-{}-{}", Uuid::new_v4(), Uuid::new_v4()).into_bytes()),
    };
    let started = Instant::now();
    let result = match Application::build(&settings, Migrations::Apply).await {
        Ok(app) => {
            let app_url = format!("http://127.0.0.1:{}", app.port());
            println!("service: {app_url} (migrated and started in {})", human(started.elapsed()));
            let db = app.db().clone();
            let handle = app.handle();
            let server = tokio::spawn(app.run());
            let result = bench(&args, &app_url, &db).await;
            handle.stop(true).await;
            if let Ok(Err(e)) = server.await {
                eprintln!("the server stopped with an error: {e}");
            }
            if let Err(e) = db.close().await {
                eprintln!("could not close the database: {e}");
            }
            result
        }
        Err(e) => Err(e.into()),
    };
    if let Some(path) = &temp_file {
        remove_sqlite(path);
    }
    println!("machine at end:   {}", machine_state());
    result
}
