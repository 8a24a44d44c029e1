//! The limit, measured in the same run: the statements `placeOrder` performs, written by hand
//! against the same tables, indexes and transaction through a plain PostgreSQL driver (no HTTP,
//! GraphQL or ORM), at the same concurrency; and the one-statement minimal order write
//! (conditional stock decrement + order + outbox in one statement), for the design's own cost.
//! Each runs for a period at a time, taking turns with the service's periods (`--rounds`): on a
//! machine whose speed drifts by a fifth within a minute, five runs of one build gave ratios to
//! raw SQL from 0.56 to 0.71 one after the other, and six from 0.59 to 0.65 taking turns.
//!
//! The statement list mirrors what PostgreSQL logs for one `placeOrder` (`log_statement = all`):
//! one read of the reference data's token (locations, rules and tax rates are cached per
//! process), the products by SKU, their stock levels (no capacity use: the bench's locations set
//! no daily limit) and the customer by email; one conditional reserve of every level returning the levels (no
//! savepoint: a lost race gives back what it took); the order number; then the order's rows in one statement of data-modifying CTEs
//! (`domain::batch`): the order, its lines, the fulfilment orders and their lines, the ledger
//! rows, the routing decision, the timeline entry and the outbox row. Update it when the
//! service's list changes.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oms_bench::Rng;
use serde_json::{Value, json};
use sqlx::{PgPool, Postgres, Row, Transaction};
use uuid::Uuid;

use crate::Res;
use crate::cluster::Cluster;
use crate::drive::{Target, Workload, call};
use crate::scenarios;

/// The raw-SQL baselines of one scenario's database, ready to be run for a period at a time (so
/// their periods can take turns with the service's).
pub struct Raw {
    pool: PgPool,
    placing: Arc<scenarios::PlaceOrders>,
    /// The stock levels the minimal write decrements.
    levels: Arc<Vec<Uuid>>,
    concurrency: usize,
}

/// Orders written in some time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Written {
    pub orders: u64,
    pub time: Duration,
}

impl Written {
    pub fn add(&mut self, other: Written) {
        self.orders += other.orders;
        self.time += other.time;
    }

    pub fn per_second(&self) -> f64 {
        self.orders as f64 / self.time.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

impl Raw {
    /// `concurrency` connections to the cluster's database, as the service makes them. For the hot
    /// SKU every order buys one unit of one SKU.
    pub async fn prepare(cluster: &Cluster, hot: bool, concurrency: usize) -> Res<Raw> {
        let pool = crate::cluster::sqlx_pool(&cluster.database_url, concurrency as u32).await?;
        let skus: Vec<String> = if hot {
            vec!["BENCH-00000".to_owned()]
        } else {
            sqlx::query_scalar("SELECT sku FROM products WHERE sku LIKE 'BENCH-%'").fetch_all(&pool).await?
        };
        let placing = Arc::new(scenarios::PlaceOrders {
            document: scenarios::PLACE_ORDER,
            skus,
            max_lines: if hot { 1 } else { 5 },
            customers: 10_000,
        });
        minimal_tables(&pool).await?;
        let levels = Arc::new(
            sqlx::query_scalar(
                "SELECT l.id FROM inventory_levels l JOIN products p ON p.id = l.product_id \
                 WHERE p.sku LIKE $1 AND l.on_hand - l.reserved > 1000",
            )
            .bind(if hot { "BENCH-00000" } else { "BENCH-%" })
            .fetch_all(&pool)
            .await?,
        );
        Ok(Raw { pool, placing, levels, concurrency })
    }

    /// Both baselines unmeasured for `length` each, as the service is warmed up before its
    /// first round: fresh connections prepare their statements and fill their caches here, not
    /// in the first measured round (which ran at about 85 % of the later ones without this).
    pub async fn warm_up(&self, length: Duration) -> Res<()> {
        if !length.is_zero() {
            self.same_statements(length, u64::MAX).await?;
            self.minimal(length, u64::MAX).await?;
        }
        Ok(())
    }

    /// `placeOrder`'s statements for `length`, one order at a time per connection; `round` varies
    /// the orders from one period to the next.
    pub async fn same_statements(&self, length: Duration, round: u64) -> Res<Written> {
        let placing = self.placing.clone();
        self.for_period(
            length,
            0xDA7A_0000 ^ round.wrapping_mul(0x9E37_79B9),
            move |rng| placing.request(rng),
            |pool, request| async move { Ok(u64::from(same_statements(&pool, &request["variables"]["input"]).await?)) },
        )
        .await
    }

    /// The one-statement minimal order write for `length`.
    pub async fn minimal(&self, length: Duration, round: u64) -> Res<Written> {
        let levels = self.levels.clone();
        self.for_period(
            length,
            0x31 ^ round.wrapping_mul(0x9E37_79B9),
            move |rng| *rng.pick(&levels),
            |pool, level| async move { minimal_write(&pool, level).await },
        )
        .await
    }

    /// Every connection writes one order after another until `length` is up, each order drawn
    /// by `next` and written by `write` (which says how many orders it wrote).
    async fn for_period<I, F>(
        &self,
        length: Duration,
        seed: u64,
        next: impl Fn(&mut Rng) -> I + Send + Sync + 'static,
        write: impl Fn(PgPool, I) -> F + Send + Sync + 'static,
    ) -> Res<Written>
    where
        I: Send + 'static,
        F: Future<Output = Res<u64>> + Send + 'static,
    {
        let started = Instant::now();
        let deadline = started + length;
        let (next, write) = (Arc::new(next), Arc::new(write));
        let tasks: Vec<_> = (0..self.concurrency)
            .map(|i| {
                let (pool, next, write) = (self.pool.clone(), next.clone(), write.clone());
                tokio::spawn(async move {
                    let mut rng = Rng::new(seed ^ i as u64);
                    let mut written = 0u64;
                    while Instant::now() < deadline {
                        written += write(pool.clone(), next(&mut rng)).await?;
                    }
                    Ok::<u64, Box<dyn std::error::Error + Send + Sync>>(written)
                })
            })
            .collect();
        count(tasks, started).await
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}

type Task = tokio::task::JoinHandle<Result<u64, Box<dyn std::error::Error + Send + Sync>>>;

/// What the tasks wrote, over the time from `started` until the last of them finished.
async fn count(tasks: Vec<Task>, started: Instant) -> Res<Written> {
    let mut orders = 0;
    for t in tasks {
        orders += t.await??;
    }
    Ok(Written { orders, time: started.elapsed() })
}

/// The baseline's own tables: an order and an outbox row, nothing else.
async fn minimal_tables(pool: &PgPool) -> Res<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_minimal_orders (id uuid PRIMARY KEY, level_id uuid NOT NULL, \
         quantity int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_minimal_outbox (id bigserial PRIMARY KEY, order_id uuid NOT NULL, \
         payload text NOT NULL)",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// One statement: reserve a unit if there is one, write the order and its outbox row.
async fn minimal_write(pool: &PgPool, level: Uuid) -> Res<u64> {
    let n = sqlx::query(
        "WITH s AS (UPDATE inventory_levels SET reserved = reserved + 1 \
                    WHERE id = $1 AND on_hand - reserved - safety_stock >= 1 RETURNING id), \
              o AS (INSERT INTO bench_minimal_orders (id, level_id, quantity) SELECT $2, id, 1 FROM s RETURNING id) \
         INSERT INTO bench_minimal_outbox (order_id, payload) SELECT id, 'placed' FROM o",
    )
    .bind(level)
    .bind(Uuid::now_v7())
    .execute(pool)
    .await?
    .rows_affected();
    Ok(n)
}

/// A level of a product: id and available units.
struct Level {
    id: Uuid,
    available: i64,
}

/// `placeOrder`'s statements for one order (the input as the GraphQL request carries it).
/// `false`: a line could not be reserved, and nothing was written.
async fn same_statements(pool: &PgPool, input: &Value) -> Res<bool> {
    let lines: Vec<(String, i32)> = input["lines"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .map(|l| (l["sku"].as_str().unwrap_or_default().to_owned(), l["quantity"].as_i64().unwrap_or(1) as i32))
                .collect()
        })
        .unwrap_or_default();
    let skus: Vec<String> = lines.iter().map(|(s, _)| s.clone()).collect();
    let email = input["customer"]["email"].as_str().unwrap_or_default().to_owned();
    let mut tx = pool.begin().await?;

    // One read of the reference token, the products, their stock levels and the customer, as
    // `domain::orders::capture::read` makes it: the lists as JSON beside the token. The SKUs are
    // listed (`IN ($2, …, $n)`), a statement per count of keys, each planned once; `= ANY($1)`
    // would be planned again at every call (a custom plan: the generic one cannot see the
    // array's length), which the service does not pay.
    let read_sql = format!(
        "WITH p AS MATERIALIZED (SELECT * FROM products WHERE sku IN ({})) \
         SELECT (SELECT token FROM reference_version WHERE id = 1) AS token, \
         (SELECT coalesce(json_agg(p), '[]')::text FROM p) AS products, \
         (SELECT coalesce(json_agg(l ORDER BY l.id), '[]')::text FROM p CROSS JOIN LATERAL \
         (SELECT * FROM inventory_levels l WHERE l.product_id = p.id OFFSET 0) l) AS levels, \
         (SELECT row_to_json(c)::text FROM customers c WHERE c.email = $1) AS customer",
        (2..skus.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
    );
    let read = skus
        .iter()
        .fold(sqlx::query(sqlx::AssertSqlSafe(read_sql)).bind(&email), |q, sku| q.bind(sku))
        .fetch_one(&mut *tx)
        .await?;
    let _token: String = read.try_get("token")?;
    let products: Vec<Value> = serde_json::from_str(&read.try_get::<String, _>("products")?)?;
    let levels: Vec<Value> = serde_json::from_str(&read.try_get::<String, _>("levels")?)?;
    let known: Option<String> = read.try_get("customer")?;
    let uuid = |v: &Value| Uuid::parse_str(v.as_str().unwrap_or_default()).unwrap_or_default();
    let mut product: BTreeMap<String, (Uuid, String, i64)> = BTreeMap::new();
    for p in &products {
        let (sku, name) = (p["sku"].as_str().unwrap_or_default(), p["name"].as_str().unwrap_or_default());
        product
            .insert(sku.to_owned(), (uuid(&p["id"]), name.to_owned(), p["price_minor"].as_i64().unwrap_or_default()));
    }
    let customer: Uuid = match known {
        Some(row) => uuid(&serde_json::from_str::<Value>(&row)?["id"]),
        None => {
            sqlx::query(
                "INSERT INTO customers (id, email, name, phone, created_at, updated_at) \
                 VALUES ($1, $2, 'Bench', NULL, now(), now()) ON CONFLICT (email) DO NOTHING",
            )
            .bind(Uuid::now_v7())
            .bind(&email)
            .execute(&mut *tx)
            .await?;
            let known = "SELECT id, email, name, phone, created_at, updated_at FROM customers WHERE email = $1 LIMIT 1";
            sqlx::query(known).bind(&email).fetch_one(&mut *tx).await?.try_get("id")?
        }
    };
    let mut by_product: BTreeMap<Uuid, Vec<Level>> = BTreeMap::new();
    let mut location_of: BTreeMap<Uuid, Uuid> = BTreeMap::new();
    for l in &levels {
        let units = |field: &str| l[field].as_i64().unwrap_or_default();
        let id = uuid(&l["id"]);
        location_of.insert(id, uuid(&l["location_id"]));
        by_product
            .entry(uuid(&l["product_id"]))
            .or_default()
            .push(Level { id, available: units("on_hand") - units("reserved") - units("safety_stock") });
    }

    // The "router": the level with the most available units of each line.
    let order_id = Uuid::now_v7();
    let mut chosen: Vec<(Uuid, Uuid, Uuid, String, String, i64, i32)> = Vec::new();
    let mut wanted: BTreeMap<Uuid, i32> = BTreeMap::new();
    for (sku, qty) in &lines {
        let Some((pid, name, price)) = product.get(sku) else { continue };
        let Some(level) = by_product.get(pid).and_then(|ls| ls.iter().max_by_key(|l| l.available)) else {
            tx.rollback().await?;
            return Ok(false);
        };
        *wanted.entry(level.id).or_default() += qty;
        chosen.push((Uuid::now_v7(), *pid, level.id, sku.clone(), name.clone(), *price, *qty));
    }
    let Some(movements) = reserve_all(&mut tx, &wanted).await? else {
        tx.rollback().await?;
        return Ok(false);
    };
    let mut locations: Vec<Uuid> = chosen.iter().filter_map(|c| location_of.get(&c.2).copied()).collect();
    locations.sort();
    locations.dedup();
    let seq: i64 = sqlx::query_scalar("SELECT nextval('order_number_seq')").fetch_one(&mut *tx).await?;
    let order = Placed { order_id, seq, customer, email: &email, input };
    write_order(&mut tx, &order, &chosen, &movements, &locations, &location_of).await?;
    tx.commit().await?;
    Ok(true)
}

/// Every level of the order reserved as `domain::inventory::reserve_many` does: one level by
/// itself, several in one statement that locks them in id order first. `None`: a level lost
/// its race (the caller rolls back).
async fn reserve_all(tx: &mut Transaction<'_, Postgres>, wanted: &BTreeMap<Uuid, i32>) -> Res<Option<Vec<Movement>>> {
    let after = if wanted.len() == 1 {
        let (id, qty) = wanted.iter().next().map(|(id, q)| (*id, *q)).unwrap_or_default();
        sqlx::query(
            "UPDATE inventory_levels l SET reserved = reserved + $1, updated_at = now() \
             WHERE id = $2 AND on_hand - reserved - safety_stock >= $1 \
             RETURNING l.id, l.product_id, l.location_id, l.on_hand, l.reserved, l.safety_stock",
        )
        .bind(qty)
        .bind(id)
        .fetch_all(&mut **tx)
        .await?
    } else {
        let pairs: Vec<String> =
            (0..wanted.len()).map(|i| format!("(${}::uuid, ${}::int)", 2 * i + 1, 2 * i + 2)).collect();
        let sql = format!(
            "WITH wanted (id, quantity) AS (VALUES {}), \
             locked AS MATERIALIZED (SELECT l.id FROM inventory_levels l WHERE l.id IN (SELECT id FROM wanted) \
             ORDER BY l.id FOR UPDATE OF l) \
             UPDATE inventory_levels l SET reserved = l.reserved + w.quantity, updated_at = now() \
             FROM wanted w JOIN locked k ON k.id = w.id \
             WHERE l.id = w.id AND l.on_hand - l.reserved - l.safety_stock >= w.quantity \
             RETURNING l.id, l.product_id, l.location_id, l.on_hand, l.reserved, l.safety_stock",
            pairs.join(", ")
        );
        // Only placeholders are spliced in: the values are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, qty) in wanted {
            query = query.bind(*id).bind(*qty);
        }
        query.fetch_all(&mut **tx).await?
    };
    if after.len() < wanted.len() {
        return Ok(None);
    }
    let mut movements = Vec::with_capacity(after.len());
    for a in &after {
        let id: Uuid = a.try_get("id")?;
        movements.push((
            a.try_get("location_id")?,
            a.try_get("product_id")?,
            wanted.get(&id).copied().unwrap_or_default(),
            a.try_get("on_hand")?,
            a.try_get("reserved")?,
            a.try_get("safety_stock")?,
        ));
    }
    Ok(Some(movements))
}

/// The order being placed.
struct Placed<'a> {
    order_id: Uuid,
    seq: i64,
    customer: Uuid,
    email: &'a str,
    input: &'a Value,
}

/// A reservation's ledger row: location, product, units, and the level's on hand, reserved and
/// safety stock after it.
type Movement = (Uuid, Uuid, i32, i32, i32, i32);

/// The order's rows in one statement of data-modifying CTEs, as `domain::batch` writes them.
async fn write_order(
    tx: &mut Transaction<'_, Postgres>,
    order: &Placed<'_>,
    chosen: &[(Uuid, Uuid, Uuid, String, String, i64, i32)],
    movements: &[Movement],
    locations: &[Uuid],
    location_of: &BTreeMap<Uuid, Uuid>,
) -> Res<()> {
    let Placed { order_id, seq, customer, email, input } = *order;
    let a = &input["shippingAddress"];
    let subtotal: i64 = chosen.iter().map(|c| c.5 * i64::from(c.6)).sum();
    let mut q = sqlx::QueryBuilder::<Postgres>::new(
        "WITH o AS (INSERT INTO orders (id, number, number_seq, channel, status, customer_id, customer_email, customer_name, \
         customer_phone, ship_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, ship_country, ship_latitude, \
         ship_longitude, delivery_method, pickup_location_id, promo_code, promotion_id, note, currency, subtotal_minor, \
         discount_minor, shipping_minor, tax_minor, total_minor, version, allow_split, backorder_policy, placed_by, paid_minor, \
         refunded_minor, open_holds, created_at, updated_at) ",
    );
    q.push_values([()], |mut row, ()| {
        row.push_bind(order_id)
            .push_bind(format!("SO-{seq:06}"))
            .push_bind(seq)
            .push("'WEB'")
            .push("'PENDING'")
            .push_bind(customer)
            .push_bind(email.to_owned())
            .push("'Bench'")
            .push("NULL")
            .push_bind(a["name"].as_str().map(str::to_owned))
            .push_bind(a["line1"].as_str().map(str::to_owned))
            .push("NULL")
            .push_bind(a["city"].as_str().map(str::to_owned))
            .push("NULL")
            .push_bind(a["postalCode"].as_str().map(str::to_owned))
            .push_bind(a["country"].as_str().map(str::to_owned))
            .push_bind(a["latitude"].as_f64())
            .push_bind(a["longitude"].as_f64())
            .push("'SHIP'")
            .push("NULL")
            .push("NULL")
            .push("NULL")
            .push("NULL")
            .push("'EUR'")
            .push_bind(subtotal)
            .push("0")
            .push("490")
            .push("0")
            .push_bind(subtotal + 490)
            .push("1")
            .push("true")
            .push("'REJECT'")
            .push("'bench'")
            .push("0")
            .push("0")
            .push("0")
            .push("now()")
            .push("now()");
    });
    q.push(
        "), l AS (INSERT INTO order_lines (id, order_id, line_no, product_id, sku, name, product_kind, unit_price_minor, \
         quantity, allocated_quantity, backordered_quantity, cancelled_quantity, shipped_quantity, returned_quantity, \
         line_total_minor) ",
    );
    q.push_values(chosen.iter().enumerate(), |mut row, (no, (line_id, pid, _, sku, name, price, qty))| {
        row.push_bind(*line_id)
            .push_bind(order_id)
            .push_bind(no as i32 + 1)
            .push_bind(*pid)
            .push_bind(sku.clone())
            .push_bind(name.clone())
            .push("'PHYSICAL'")
            .push_bind(*price)
            .push_bind(*qty)
            .push_bind(*qty)
            .push("0")
            .push("0")
            .push("0")
            .push("0")
            .push_bind(price * i64::from(*qty));
    });
    let fos: Vec<(Uuid, Uuid)> = locations.iter().map(|l| (Uuid::now_v7(), *l)).collect();
    q.push(
        "), f AS (INSERT INTO fulfillment_orders (id, order_id, location_id, status, shipping_minor, carrier, tracking_number, \
         pickup_code, pickup_attempts, ship_to_location_id, reject_reason, released_at, accepted_at, packed_at, shipped_at, \
         delivered_at, capacity_day, release_on, created_at, updated_at) ",
    );
    q.push_values(&fos, |mut row, (fo, location)| {
        row.push_bind(*fo).push_bind(order_id).push_bind(*location).push("'PENDING'").push("490");
        for _ in 0..3 {
            row.push("NULL");
        }
        row.push("0");
        for _ in 0..7 {
            row.push("NULL");
        }
        row.push("current_date").push("NULL").push("now()").push("now()");
    });
    let fo_of: BTreeMap<Uuid, Uuid> = fos.iter().map(|(fo, location)| (*location, *fo)).collect();
    q.push(
        "), fl AS (INSERT INTO fulfillment_order_lines (id, fulfillment_order_id, order_line_id, inventory_level_id, quantity) ",
    );
    q.push_values(chosen.iter(), |mut row, (line_id, _, level, ..)| {
        let fo = location_of.get(level).and_then(|l| fo_of.get(l)).copied().unwrap_or_default();
        row.push_bind(Uuid::now_v7()).push_bind(fo).push_bind(*line_id).push_bind(*level).push("1");
    });
    q.push(
        "), m AS (INSERT INTO inventory_movements (id, product_id, location_id, kind, on_hand_delta, reserved_delta, \
         on_hand_after, reserved_after, safety_stock_after, reason, reference, order_id, actor, created_at) ",
    );
    q.push_values(movements, |mut row, (location, product, qty, on_hand, reserved, safety)| {
        row.push_bind(Uuid::now_v7())
            .push_bind(*product)
            .push_bind(*location)
            .push("'RESERVE'")
            .push("0")
            .push_bind(*qty)
            .push_bind(*on_hand)
            .push_bind(*reserved)
            .push_bind(*safety)
            .push("NULL")
            .push("NULL")
            .push_bind(order_id)
            .push("'bench'")
            .push("now()");
    });
    // The decision is stored as the router writes it: every candidate with its reason.
    let decision = json!({ "mode": "SHIP", "candidates": locations.iter().map(|l| json!({
        "location_id": l, "eligible": true, "reason": "10 km away, can fill the order, shipping 490 (minor units), priority 100" }))
        .collect::<Vec<_>>() })
    .to_string();
    q.push("), d AS (INSERT INTO routing_decisions (id, order_id, trigger, summary, decision, created_at) VALUES (")
        .push_bind(Uuid::now_v7())
        .push(", ")
        .push_bind(order_id)
        .push(", 'PLACEMENT', 'Ships in one shipment from the best eligible location', ")
        .push_bind(decision)
        .push(", now())), e AS (INSERT INTO order_events (id, order_id, kind, actor_role, actor_id, message, data, created_at) VALUES (")
        .push_bind(Uuid::now_v7())
        .push(", ")
        .push_bind(order_id)
        .push(", 'ORDER_PLACED', 'admin', 'bench', 'Order placed on WEB', NULL, now())), ")
        .push("x AS (INSERT INTO outbox (id, queue, kind, payload, dedupe_key, created_at, dispatched_at, available_at) VALUES (")
        .push_bind(Uuid::now_v7())
        .push(", 'oms.fulfillment', 'auto_confirm_order', ")
        .push_bind(json!({ "orderId": order_id }).to_string())
        .push(", ")
        .push_bind(format!("auto_confirm_order:{order_id}"))
        .push(", now(), NULL, NULL) ON CONFLICT (dedupe_key) DO NOTHING) SELECT 1");
    q.build().execute(&mut **tx).await?;
    Ok(())
}

/// The hot-SKU race: a SKU with a little stock at one location, bought one unit at a time by
/// `concurrency` clients until it is gone. Accepted orders must equal the stock exactly.
pub struct Race {
    pub stock: i64,
    pub accepted: u64,
    pub oversold: i64,
}

pub async fn hot_sku_race(target: &Arc<Target>, concurrency: usize) -> Res<Race> {
    let stock = 500i64;
    call(
        target,
        "mutation($p: CreateProductInput!, $r: ReceiveInventoryInput!) { a: createProduct(input: $p) { userErrors { code } } \
         b: receiveInventory(input: $r) { userErrors { code } } }",
        json!({ "p": { "sku": "RACE-1", "name": "Race", "price": { "amount": "10.00", "currency": "EUR" } },
                "r": { "sku": "RACE-1", "locationCode": "L000", "quantity": stock } }),
    )
    .await?;
    let workload: Arc<dyn Workload> = Arc::new(scenarios::HotSku { sku: "RACE-1".to_owned() });
    // Rounds until the SKU is refused as sold out (a minute at most).
    let mut accepted = 0;
    for round in 0..12u64 {
        let (tally, _) =
            crate::drive::run(target, &workload, concurrency, Duration::from_secs(5), 0x4ACE ^ round).await;
        accepted += tally.ok;
        if tally.refused.contains_key("OUT_OF_STOCK") {
            break;
        }
    }
    Ok(Race { stock, accepted, oversold: (accepted as i64 - stock).max(0) })
}
