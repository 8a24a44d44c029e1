//! Benchmark of the pure DOM router, `domain::routing::route`: no database, no I/O, one thread.
//!
//! A deterministic network of 500 locations over Europe and a catalogue of 2 000 products, then
//! N routing decisions of a 5-line order to random customer points per scenario:
//!
//! * `a-typical`: some location can fill the whole order (one shipment);
//! * `b-split-scarce`: the five products are scarce (each at 3–6 warehouses), no location has
//!   them all and the router must find a pair;
//! * `b2-split-mixed`: three everyday products and two scarce ones that no location holds
//!   together, so hundreds of locations hold part of the order and the pair search runs over
//!   all of them (the router's quadratic case);
//! * `c-unfillable`: four everyday products and one scarce product asked for in a larger
//!   quantity than the whole network holds: a shortfall.
//!
//! Run with `cargo run --release -p oms-bench --bin router -- [--iterations N] [--seed S]`.
use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use clap::Parser;
use domain::routing::{Decision, Demand, Destination, Network, Request, Rules, Site, Stock, route};
use oms_bench::{Latencies, Rng, human, involuntary_switches, machine_state};
use uuid::Uuid;

const LOCATIONS: usize = 500;
const DISTRIBUTION_CENTERS: usize = 20;
const WAREHOUSES: usize = 80;
const PRODUCTS: usize = 2_000;
/// Products `COMMON..PRODUCTS` are scarce.
const COMMON: usize = 1_800;
const LINES: usize = 5;
/// Distinct orders per scenario; the timed loop cycles through them.
const POOL: usize = 4_096;

#[derive(Parser, Debug)]
#[command(about = "Times domain::routing::route on a synthetic 500-location network")]
struct Args {
    /// Routing decisions timed per scenario.
    #[arg(long, default_value_t = 20_000)]
    iterations: usize,
    /// Untimed decisions per scenario before timing (on top of one pass over the order pool).
    #[arg(long, default_value_t = 2_000)]
    warmup: usize,
    /// Seed of the generator of the network and the orders.
    #[arg(long, default_value_t = 0x0005_EED0_0D15)]
    seed: u64,
    /// The stock the router is handed: `order` = the levels of the order's products only, as
    /// `routing::load_network` loads them for a real order; `full` = every level of the whole
    /// catalogue (about 230 000 entries: a larger map, more cache misses).
    #[arg(long, value_enum, default_value_t = NetworkMode::Order)]
    network: NetworkMode,
    /// Run only these scenarios (comma-separated: a, b, b2, c).
    #[arg(long, value_delimiter = ',', default_values_t = ["a".to_owned(), "b".to_owned(), "b2".to_owned(), "c".to_owned()])]
    scenarios: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum NetworkMode {
    Order,
    Full,
}

/// What the network looks like, kept beside it to build orders that fit a scenario.
struct World {
    /// Every site and every stock level of the catalogue.
    network: Network,
    products: Vec<Uuid>,
    /// Per product: its levels, as (location, stock).
    levels: Vec<Vec<(Uuid, Stock)>>,
    /// Per product: the sites (indexes) that hold at least one unit of it.
    holders: Vec<Vec<usize>>,
    /// Per site: the scarce products (indexes) it holds.
    scarce_at: Vec<Vec<usize>>,
    eligible: Vec<bool>,
}

fn build_world(rng: &mut Rng) -> World {
    let mut sites = Vec::with_capacity(LOCATIONS);
    for i in 0..LOCATIONS {
        let (kind, prefix, capacity, priority, shipping) = if i < DISTRIBUTION_CENTERS {
            ("DISTRIBUTION_CENTER", "DC", 5_000, 1, 490)
        } else if i < DISTRIBUTION_CENTERS + WAREHOUSES {
            ("WAREHOUSE", "WH", 2_000, 2, 590)
        } else {
            ("STORE", "ST", 60, 3, 790)
        };
        let is_store = kind == "STORE";
        // A few locations are closed for the day or full: the router must skip them.
        let assigned_today = if rng.chance(0.03) { capacity } else { rng.range_i32(0, capacity - 1) };
        sites.push(Site {
            location_id: rng.uuid(),
            code: format!("{prefix}-{i:03}"),
            kind: kind.to_owned(),
            latitude: rng.between(36.0, 60.0),
            longitude: rng.between(-9.0, 25.0),
            active: rng.chance(0.98),
            can_ship: !is_store || rng.chance(0.85),
            can_pickup: is_store,
            daily_capacity: Some(capacity),
            assigned_today,
            priority: priority + rng.range_i32(0, 2),
            shipping_minor: shipping + i64::from(rng.range_i32(0, 200)),
        });
    }
    let products: Vec<Uuid> = (0..PRODUCTS).map(|_| rng.uuid()).collect();
    let mut stock = HashMap::new();
    let mut levels = vec![Vec::new(); PRODUCTS];
    let mut holders = vec![Vec::new(); PRODUCTS];
    let mut scarce_at = vec![Vec::new(); LOCATIONS];
    let mut put = |stock: &mut HashMap<(Uuid, Uuid), Stock>, rng: &mut Rng, site: usize, product: usize, units: i32| {
        let level = Stock { level_id: rng.uuid(), available: units };
        stock.insert((sites[site].location_id, products[product]), level);
        levels[product].push((sites[site].location_id, level));
        if units > 0 {
            holders[product].push(site);
        }
    };
    for (site, chance, max_units) in (0..LOCATIONS).map(|s| {
        if s < DISTRIBUTION_CENTERS {
            (s, 0.9, 200)
        } else if s < DISTRIBUTION_CENTERS + WAREHOUSES {
            (s, 0.6, 100)
        } else {
            (s, 0.15, 8)
        }
    }) {
        for product in 0..COMMON {
            if rng.chance(chance) {
                // Some levels exist but are sold out.
                let units = if rng.chance(0.05) { 0 } else { rng.range_i32(1, max_units) };
                put(&mut stock, rng, site, product, units);
            }
        }
    }
    for product in COMMON..PRODUCTS {
        let mut at: Vec<usize> = Vec::new();
        let copies = rng.range_i32(3, 6) as usize;
        while at.len() < copies {
            let site = rng.below(DISTRIBUTION_CENTERS + WAREHOUSES);
            if !at.contains(&site) {
                at.push(site);
            }
        }
        for site in at {
            let units = rng.range_i32(1, 3);
            put(&mut stock, rng, site, product, units);
            scarce_at[site].push(product);
        }
    }
    let eligible = sites.iter().map(|s| s.active && s.can_ship && !s.at_capacity()).collect();
    World { network: Network { sites, stock }, products, levels, holders, scarce_at, eligible }
}

/// A random customer point inside the network's box.
fn customer_point(rng: &mut Rng) -> (f64, f64) {
    (rng.between(36.0, 60.0), rng.between(-9.0, 25.0))
}

/// Units of `product` at `site`, as the router counts them.
fn units(world: &World, site: usize, product: usize) -> i32 {
    world
        .network
        .stock
        .get(&(world.network.sites[site].location_id, world.products[product]))
        .map_or(0, |s| s.available.max(0))
}

/// Whether `sites` together cover every line (site eligibility is checked by the caller).
fn covers(world: &World, sites: &[usize], lines: &[(usize, i32)]) -> bool {
    lines.iter().all(|&(p, q)| sites.iter().map(|&s| units(world, s, p).min(q)).sum::<i32>() >= q)
}

/// Whether one eligible site fills the order: checked here independently of the router.
fn single_fills(world: &World, lines: &[(usize, i32)]) -> bool {
    (0..LOCATIONS).any(|s| world.eligible[s] && covers(world, &[s], lines))
}

/// Whether two eligible sites fill the order. Any such pair includes a holder of the line with
/// the fewest holders, so only those are tried as the first site.
fn pair_fills(world: &World, lines: &[(usize, i32)]) -> bool {
    let Some(rarest) = lines.iter().map(|&(p, _)| p).min_by_key(|&p| world.holders[p].len()) else {
        return false;
    };
    world.holders[rarest]
        .iter()
        .filter(|&&a| world.eligible[a])
        .any(|&a| (0..LOCATIONS).any(|b| b != a && world.eligible[b] && covers(world, &[a, b], lines)))
}

fn distinct(rng: &mut Rng, from: &[usize], n: usize, taken: &[usize]) -> Option<Vec<usize>> {
    let candidates: Vec<usize> = from.iter().copied().filter(|p| !taken.contains(p)).collect();
    if candidates.len() < n {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let p = *rng.pick(&candidates);
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Some(out)
}

fn common_products(rng: &mut Rng, n: usize, taken: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let p = rng.below(COMMON);
        if !out.contains(&p) && !taken.contains(&p) {
            out.push(p);
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    Typical,
    SplitScarce,
    SplitMixed,
    Unfillable,
}

impl Scenario {
    fn parse(s: &str) -> Option<Scenario> {
        match s {
            "a" => Some(Scenario::Typical),
            "b" => Some(Scenario::SplitScarce),
            "b2" => Some(Scenario::SplitMixed),
            "c" => Some(Scenario::Unfillable),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scenario::Typical => "a-typical",
            Scenario::SplitScarce => "b-split-scarce",
            Scenario::SplitMixed => "b2-split-mixed",
            Scenario::Unfillable => "c-unfillable",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Scenario::Typical => "complete, 1 shipment",
            Scenario::SplitScarce | Scenario::SplitMixed => "complete, 2 shipments",
            Scenario::Unfillable => "shortfall",
        }
    }

    fn as_expected(self, d: &Decision) -> bool {
        match self {
            Scenario::Typical => d.is_complete() && d.shipments == 1,
            Scenario::SplitScarce | Scenario::SplitMixed => d.is_complete() && d.shipments == 2,
            Scenario::Unfillable => !d.is_complete(),
        }
    }

    /// One order's lines (product index, quantity) that fit the scenario, checked against the
    /// network without the router; `None` when this draw does not fit.
    fn draw(self, world: &World, rng: &mut Rng) -> Option<Vec<(usize, i32)>> {
        let lines: Vec<(usize, i32)> = match self {
            Scenario::Typical => {
                common_products(rng, LINES, &[]).into_iter().map(|p| (p, rng.range_i32(1, 3))).collect()
            }
            Scenario::SplitScarce => {
                let a = rng.below(DISTRIBUTION_CENTERS + WAREHOUSES);
                let b = rng.below(DISTRIBUTION_CENTERS + WAREHOUSES);
                let from_a = distinct(rng, &world.scarce_at[a], 3, &[])?;
                let from_b = distinct(rng, &world.scarce_at[b], 2, &from_a)?;
                from_a.into_iter().chain(from_b).map(|p| (p, 1)).collect()
            }
            Scenario::SplitMixed => {
                let s1 = COMMON + rng.below(PRODUCTS - COMMON);
                let s2 = COMMON + rng.below(PRODUCTS - COMMON);
                if s1 == s2 || world.holders[s1].iter().any(|h| world.holders[s2].contains(h)) {
                    return None;
                }
                let mut lines: Vec<(usize, i32)> =
                    common_products(rng, LINES - 2, &[]).into_iter().map(|p| (p, rng.range_i32(1, 3))).collect();
                lines.push((s1, 1));
                lines.push((s2, 1));
                lines
            }
            Scenario::Unfillable => {
                let scarce = COMMON + rng.below(PRODUCTS - COMMON);
                let total: i32 = (0..LOCATIONS).filter(|&s| world.eligible[s]).map(|s| units(world, s, scarce)).sum();
                let mut lines: Vec<(usize, i32)> =
                    common_products(rng, LINES - 1, &[]).into_iter().map(|p| (p, rng.range_i32(1, 3))).collect();
                lines.push((scarce, total + rng.range_i32(1, 5)));
                return Some(lines);
            }
        };
        let fits = match self {
            Scenario::Typical => single_fills(world, &lines),
            Scenario::SplitScarce | Scenario::SplitMixed => !single_fills(world, &lines) && pair_fills(world, &lines),
            Scenario::Unfillable => true,
        };
        fits.then_some(lines)
    }
}

fn request(world: &World, lines: &[(usize, i32)], point: (f64, f64)) -> Request {
    Request {
        demands: lines
            .iter()
            .map(|&(p, quantity)| Demand { product_id: world.products[p], sku: format!("SKU-{p:04}"), quantity })
            .collect(),
        destination: Destination::Ship { point: Some(point) },
        channel: "WEB".to_owned(),
        allow_split: true,
        excluded: Vec::new(),
    }
}

/// An order to route and the catalogue indexes of its products.
struct Order {
    request: Request,
    products: Vec<usize>,
}

fn orders(world: &World, rng: &mut Rng, scenario: Scenario, count: usize) -> Result<Vec<Order>, String> {
    let mut out = Vec::with_capacity(count);
    let mut draws = 0usize;
    while out.len() < count {
        draws += 1;
        if draws > count * 1_000 {
            return Err(format!("{}: only {} of {count} orders fit after {draws} draws", scenario.name(), out.len()));
        }
        if let Some(lines) = scenario.draw(world, rng) {
            let products = lines.iter().map(|&(p, _)| p).collect();
            out.push(Order { request: request(world, &lines, customer_point(rng)), products });
        }
    }
    Ok(out)
}

struct Outcome {
    scenario: Scenario,
    iterations: usize,
    /// The sum of the timed calls: throughput is per thread, without the set-up between calls.
    wall: Duration,
    latencies: Latencies,
    /// The calls during which the thread was not preempted (where that can be told).
    undisturbed: Option<Latencies>,
    unexpected: usize,
    mean_candidates: f64,
    mean_eligible: f64,
}

/// Routes orders one by one against the network `mode` asks for, reusing one `Network` whose
/// stock is refilled (outside the timing) for each order in `order` mode.
struct Router<'w> {
    world: &'w World,
    mode: NetworkMode,
    scratch: Network,
}

impl<'w> Router<'w> {
    fn new(world: &'w World, mode: NetworkMode) -> Router<'w> {
        let scratch = match mode {
            NetworkMode::Order => Network { sites: world.network.sites.clone(), stock: HashMap::new() },
            NetworkMode::Full => Network::default(),
        };
        Router { world, mode, scratch }
    }

    /// The network to route `order` on: the levels of its products only, or all of them.
    fn network_for(&mut self, order: &Order) -> &Network {
        match self.mode {
            NetworkMode::Full => &self.world.network,
            NetworkMode::Order => {
                self.scratch.stock.clear();
                for &p in &order.products {
                    let product = self.world.products[p];
                    for &(location, stock) in &self.world.levels[p] {
                        self.scratch.stock.insert((location, product), stock);
                    }
                }
                &self.scratch
            }
        }
    }
}

fn run(world: &World, rules: &Rules, scenario: Scenario, pool: &[Order], args: &Args) -> Option<Outcome> {
    let mut router = Router::new(world, args.network);
    // Warm-up: one pass over the pool (which also tells how many candidates each order has),
    // then some more.
    let (mut candidates, mut eligible) = (0usize, 0usize);
    for order in pool {
        let d = route(&order.request, router.network_for(order), rules);
        candidates += d.candidates.len();
        eligible += d.candidates.iter().filter(|c| c.eligible).count();
    }
    for i in 0..args.warmup {
        let order = &pool[i % pool.len()];
        black_box(route(black_box(&order.request), router.network_for(order), rules));
    }
    let mut samples = Vec::with_capacity(args.iterations);
    let mut undisturbed = Vec::with_capacity(args.iterations);
    let mut unexpected = 0usize;
    let mut timed = Duration::ZERO;
    for i in 0..args.iterations {
        let order = &pool[i % pool.len()];
        let network = router.network_for(order);
        let r = black_box(&order.request);
        let switches = involuntary_switches();
        let t = Instant::now();
        let d = route(r, network, rules);
        let took = t.elapsed();
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        timed += took;
        samples.push(nanos);
        if switches.is_some() && involuntary_switches() == switches {
            undisturbed.push(nanos);
        }
        if !scenario.as_expected(&d) {
            unexpected += 1;
        }
        black_box(d);
    }
    Some(Outcome {
        scenario,
        iterations: args.iterations,
        wall: timed,
        latencies: Latencies::of(&mut samples)?,
        undisturbed: Latencies::of(&mut undisturbed),
        unexpected,
        mean_candidates: candidates as f64 / pool.len() as f64,
        mean_eligible: eligible as f64 / pool.len() as f64,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.iterations == 0 {
        return Err("--iterations must be at least 1".into());
    }
    let scenarios = args
        .scenarios
        .iter()
        .map(|s| Scenario::parse(s.trim()).ok_or_else(|| format!("unknown scenario {s:?} (a, b, b2, c)")))
        .collect::<Result<Vec<_>, _>>()?;

    println!("router benchmark: domain::routing::route, single thread");
    println!("machine at start: {}", machine_state());

    let mut rng = Rng::new(args.seed);
    let built = Instant::now();
    let world = build_world(&mut rng);
    let eligible_sites = world.eligible.iter().filter(|e| **e).count();
    println!(
        "network: {LOCATIONS} locations ({DISTRIBUTION_CENTERS} DC, {WAREHOUSES} WH, {} stores; {eligible_sites} may ship \
         today), {PRODUCTS} products ({} scarce), {} stock levels; built in {}",
        LOCATIONS - DISTRIBUTION_CENTERS - WAREHOUSES,
        PRODUCTS - COMMON,
        world.network.stock.len(),
        human(built.elapsed())
    );
    println!(
        "orders: {LINES} lines, allow_split, channel WEB, Rules::default(), random customer points lat 36..60 lon -9..25"
    );
    println!(
        "stock handed to the router: {}",
        match args.network {
            NetworkMode::Order => "the levels of the order's products only, as routing::load_network loads them",
            NetworkMode::Full => "every level of the catalogue (--network full)",
        }
    );
    println!(
        "{} timed decisions per scenario over a pool of {} orders, after {} + pool-size warm-up decisions; seed {:#x}",
        args.iterations,
        POOL.min(args.iterations),
        args.warmup,
        args.seed
    );
    println!();

    let rules = Rules::default();
    let mut outcomes = Vec::new();
    for scenario in scenarios {
        let pool = orders(&world, &mut rng, scenario, POOL.min(args.iterations))?;
        let Some(outcome) = run(&world, &rules, scenario, &pool, &args) else { continue };
        let o = &outcome;
        println!(
            "{:<15} {} decisions, {} in route = {:.0} decisions/s; {}",
            o.scenario.name(),
            o.iterations,
            human(o.wall),
            o.iterations as f64 / o.wall.as_secs_f64(),
            o.latencies.line()
        );
        println!(
            "{:<15} candidates reported {:.0}, eligible {:.0} (mean per order); expected {}: {}",
            "",
            o.mean_candidates,
            o.mean_eligible,
            o.scenario.expected(),
            if o.unexpected == 0 { "all".to_owned() } else { format!("{} NOT as expected", o.unexpected) }
        );
        if let Some(u) = &o.undisturbed {
            println!("{:<15} not preempted during the call: {} of {}; their {}", "", u.count, o.iterations, u.line());
        }
        outcomes.push(outcome);
    }

    println!();
    println!("| scenario | decisions | decisions/s | p50 | p90 | p99 | max | preempted | p99 not preempted |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for o in &outcomes {
        let l = &o.latencies;
        let (preempted, calm_p99) = o
            .undisturbed
            .as_ref()
            .map_or_else(|| ("-".to_owned(), "-".to_owned()), |u| ((o.iterations - u.count).to_string(), human(u.p99)));
        println!(
            "| {} | {} | {:.0} | {} | {} | {} | {} | {preempted} | {calm_p99} |",
            o.scenario.name(),
            o.iterations,
            o.iterations as f64 / o.wall.as_secs_f64(),
            human(l.p50),
            human(l.p90),
            human(l.p99),
            human(l.max)
        );
    }
    println!();
    println!("machine at end:   {}", machine_state());
    if let Some(typical) = outcomes.iter().find(|o| o.scenario == Scenario::Typical) {
        let target = Duration::from_millis(1);
        let verdict = |p99: Duration| if p99 < target { "met" } else { "NOT met" };
        let p99 = typical.latencies.p99;
        print!("target p99 < 1 ms for a-typical: {} ({} over every call", verdict(p99), human(p99));
        match &typical.undisturbed {
            Some(u) => println!("; {} {} over the calls not preempted)", verdict(u.p99), human(u.p99)),
            None => println!(")"),
        }
    }
    let unexpected: usize = outcomes.iter().map(|o| o.unexpected).sum();
    if unexpected > 0 {
        return Err(format!("{unexpected} decision(s) did not have the scenario's expected outcome").into());
    }
    Ok(())
}
