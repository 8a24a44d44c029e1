//! The `history` scenario's preload: a million orders and their fulfilment orders (2.2 million in
//! the fifth sitting's run), written in SQL as copies of the orders the API just placed (so every
//! NOT NULL column and every foreign key is as the service writes it), with new ids and numbers.
//! The fulfilment orders are dated today and spread over the same locations: the worst case for
//! anything that counts per day.
use crate::Res;
use crate::cluster::{Cluster, sqlx_connect};

/// The rows the database holds after the preload.
pub struct Preloaded {
    pub orders: i64,
    pub fulfillment_orders: i64,
}

/// About `rows` copies of the orders placed so far, each with copies of its fulfilment orders.
pub async fn preload(cluster: &Cluster, rows: usize) -> Res<Preloaded> {
    let db = sqlx_connect(&cluster.database_url).await?;
    let templates: i64 = sqlx::query_scalar("SELECT count(*) FROM orders").fetch_one(&db).await?;
    let copies = (rows as i64 / templates.max(1)).max(1);
    let orders = copy_sql(&db, "orders", copies).await?;
    sqlx::query(sqlx::AssertSqlSafe(orders)).execute(&db).await?;
    let fulfilment = copy_sql(&db, "fulfillment_orders", copies).await?;
    sqlx::query(sqlx::AssertSqlSafe(fulfilment)).execute(&db).await?;
    sqlx::query("ANALYZE").execute(&db).await?;
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders").fetch_one(&db).await?;
    let fulfillment_orders: i64 = sqlx::query_scalar("SELECT count(*) FROM fulfillment_orders").fetch_one(&db).await?;
    db.close().await;
    Ok(Preloaded { orders, fulfillment_orders })
}

/// `INSERT INTO table (…) SELECT … FROM table t, generate_series(1, copies) g` with new ids for
/// the row and its order, and numbers that stay unique.
async fn copy_sql(db: &sqlx::PgPool, table: &str, copies: i64) -> Res<String> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(db)
    .await?;
    let names: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
    let values: Vec<String> = columns
        .iter()
        .map(|(c, ty)| match (c.as_str(), ty.as_str()) {
            // A copy's id, and its order's id, derived from the template's and the copy number,
            // so an order and its fulfilment orders stay together.
            ("id", "uuid") if table == "orders" => "md5(t.id::text || g)::uuid".to_owned(),
            ("order_id", "uuid") => "md5(t.order_id::text || g)::uuid".to_owned(),
            ("id", "uuid") => "md5('fo' || t.id::text || g)::uuid".to_owned(),
            ("number", _) => "t.number || '-H' || g".to_owned(),
            ("number_seq", _) => "t.number_seq + g * 100000".to_owned(),
            ("pickup_code", _) => "NULL".to_owned(),
            (other, _) => format!("t.{other}"),
        })
        .collect();
    Ok(format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {table} t, generate_series(1, {copies}) g",
        names.join(", "),
        values.join(", ")
    ))
}
