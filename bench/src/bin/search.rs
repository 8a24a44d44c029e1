//! The agent's order search (`orders(filter: {query})`) on many orders: loads `--orders N`
//! orders (and N/2 customers) into a fresh PostgreSQL database with plain SQL, then times the
//! search through the domain function the resolver calls, for a query of each kind (part of an
//! email, a name, phone digits, an order number), each `--repeat` times.
//!
//! The database is created beside `--admin-url`'s (default the local server) and dropped at the
//! end unless `--keep`. The figure to read is the latency per query kind with the load average
//! printed beside it: on a shared machine the load moves it.
//!
//! Run with `cargo run --release -p oms-bench --bin search -- --orders 200000`.
use std::time::Instant;

use clap::Parser;
use domain::auth::{Actor, Role};
use domain::orders::{OrderFilter, list_orders};
use domain::pagination::PageRequest;
use oms_bench::{Latencies, human, machine_state};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(about = "Times the agent's order search over many orders on PostgreSQL")]
struct Args {
    /// A PostgreSQL URL to an existing database (e.g. `postgres`) with the right to create
    /// databases; the benchmark's own database is created beside it.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    admin_url: String,
    /// How many orders to load.
    #[arg(long, default_value_t = 200_000)]
    orders: i64,
    /// How many times each query is timed.
    #[arg(long, default_value_t = 50)]
    repeat: usize,
    /// Keep the database (its name is printed).
    #[arg(long)]
    keep: bool,
}

/// The orders' customers' names: first × last.
const FIRST: &str = "{Ann,Bob,Chloé,David,Emma,Felix,Greta,Hugo,Inès,Jonas,Katia,Louis,Maya,Nils,Olga,Paul}";
const LAST: &str = "{Martin,Dupont,Schmidt,Rossi,Garcia,Jansen,Bernard,Weber,Romano,Lopez,Visser,Petit,Fischer}";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let name = format!("oms_bench_search_{}", Uuid::new_v4().simple());
    let admin = Database::connect(&args.admin_url).await?;
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    let url = match args.admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => return Err("the admin URL names no database".into()),
    };
    let outcome = run(&args, &url).await;
    if args.keep {
        println!("kept database {name}");
    } else {
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    }
    outcome
}

async fn run(args: &Args, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let db = domain::db::connect(url).await?;
    domain::db::migrate(&db).await?;
    let started = Instant::now();
    load(&db, args.orders).await?;
    println!("loaded {} orders in {} ({})", args.orders, human(started.elapsed()), machine_state());

    let agent = Actor::User { subject: "bench".into(), role: Role::Agent, customer_id: None, locations: Vec::new() };
    let middle = (args.orders / 2).max(1);
    let queries = [
        ("email part", "lopez.4".to_owned()),
        ("name", "katia weber".to_owned()),
        ("phone digits", format!("6 {:02} {:02} {:02}", middle % 100, (middle / 100) % 100, (middle / 10000) % 100)),
        ("order number", format!("SO-{middle:06}")),
        ("number digits", middle.to_string()),
    ];
    for (what, query) in queries {
        let filter = OrderFilter { query: Some(query.clone()), ..OrderFilter::default() };
        let page = PageRequest { first: Some(20), after: None };
        let mut samples = Vec::with_capacity(args.repeat);
        let mut found = 0;
        for _ in 0..args.repeat {
            let t = Instant::now();
            found = list_orders(&db, &agent, &filter, page).await?.items.len();
            samples.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
        }
        let line = Latencies::of(&mut samples).map(|l| l.line()).unwrap_or_default();
        println!("{what:>14} {query:?}: first page {found} order(s); {line}");
    }
    println!("{}", machine_state());
    Ok(())
}

/// N orders of N/2 customers, in one statement each: numbers SO-000001…, emails
/// `first.last.<i>@example.com`, phones `+33 6 xx xx xx xx`.
async fn load(db: &sea_orm::DatabaseConnection, n: i64) -> Result<(), sea_orm::DbErr> {
    let customers = (n / 2).max(1);
    let sql = [
        format!(
            "INSERT INTO customers (id, email, name, phone, created_at, updated_at) \
             SELECT md5('c' || i)::uuid, \
                    lower(('{FIRST}'::text[])[1 + i % 16] || '.' || ('{LAST}'::text[])[1 + i % 13]) || '.' || i || '@example.com', \
                    ('{FIRST}'::text[])[1 + i % 16] || ' ' || ('{LAST}'::text[])[1 + i % 13], \
                    '+33 6 ' || lpad((i % 100)::text, 2, '0') || ' ' || lpad(((i / 100) % 100)::text, 2, '0') || ' ' || \
                    lpad(((i / 10000) % 100)::text, 2, '0') || ' ' || lpad((i % 97)::text, 2, '0'), \
                    now(), now() \
             FROM generate_series(1, {customers}) AS i"
        ),
        format!(
            "INSERT INTO orders (id, number, number_seq, channel, status, customer_id, customer_email, customer_name, \
                customer_phone, delivery_method, currency, subtotal_minor, discount_minor, shipping_minor, tax_minor, \
                total_minor, version, placed_by, created_at, updated_at) \
             SELECT md5('o' || o)::uuid, 'SO-' || lpad(o::text, 6, '0'), o, 'WEB', 'DELIVERED', c.id, c.email, c.name, \
                    c.phone, 'SHIP', 'EUR', 4000, 0, 490, 0, 4490, 1, 'bench', now(), now() \
             FROM generate_series(1, {n}) AS o \
             JOIN customers c ON c.id = md5('c' || (1 + o % {customers}))::uuid"
        ),
        "ANALYZE customers".to_owned(),
        "ANALYZE orders".to_owned(),
    ];
    for statement in sql {
        db.execute_raw(Statement::from_string(DbBackend::Postgres, statement)).await?;
    }
    Ok(())
}
