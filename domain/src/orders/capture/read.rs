//! What capture reads before it decides anything: the reference data's token, the order's
//! products, their stock levels and the customer. On PostgreSQL that is one statement, the lists
//! coming back as JSON beside the token, so an order pays one round trip where it paid four;
//! elsewhere each is read in turn. Either way the rows are plain reads: the stock is only taken
//! later, by the conditional reserve, which a plan made on levels that have since changed loses.
use entities::{customer, inventory_level, product};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, Statement, Value};
use uuid::Uuid;

use crate::db::{json_column, json_list};
use crate::error::DomainResult;

/// The customer an order is for, as the capture read looks it up.
#[derive(Clone, Copy, Debug)]
pub enum CustomerKey<'a> {
    /// A customer ordering for itself.
    Id(Uuid),
    /// Staff ordering for a customer by (validated, lower-cased) email.
    Email(&'a str),
}

/// The rows capture starts from.
#[derive(Clone, Debug, PartialEq)]
pub struct Read {
    /// The reference data's token ([`crate::reference::as_of`]).
    pub token: String,
    /// The products of the order's SKUs (those that exist), by id.
    pub products: Vec<product::Model>,
    /// Those products' stock levels, by id.
    pub levels: Vec<inventory_level::Model>,
    /// The customer, if the key finds one.
    pub customer: Option<customer::Model>,
}

/// Reads what capture starts from for an order of `skus`: one statement on PostgreSQL, one per
/// kind of row elsewhere.
pub async fn read<C: ConnectionTrait>(db: &C, skus: &[&str], customer: CustomerKey<'_>) -> DomainResult<Read> {
    if db.get_database_backend() == DbBackend::Postgres {
        read_in_one_statement(db, skus, customer).await
    } else {
        read_by_kind(db, skus, customer).await
    }
}

/// The same answer as the one statement, each kind of row read in turn.
pub async fn read_by_kind<C: ConnectionTrait>(db: &C, skus: &[&str], customer: CustomerKey<'_>) -> DomainResult<Read> {
    let token = crate::reference::token(db).await?;
    let products = product::Entity::find()
        .filter(product::Column::Sku.is_in(skus.iter().copied()))
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?;
    let customer = match customer {
        CustomerKey::Id(id) => customer::Entity::find_by_id(id).one(db).await?,
        CustomerKey::Email(email) => customer::Entity::find().filter(customer::Column::Email.eq(email)).one(db).await?,
    };
    let levels = if products.is_empty() {
        Vec::new()
    } else {
        inventory_level::Entity::find()
            .filter(inventory_level::Column::ProductId.is_in(products.iter().map(|p| p.id)))
            .order_by_asc(inventory_level::Column::Id)
            .all(db)
            .await?
    };
    Ok(Read { token, products, levels, customer })
}

/// `$1` is the customer's key, the SKUs follow. The SKUs are listed (`IN ($2, …)`) rather than
/// passed as one array: PostgreSQL plans `= ANY($1)` afresh at every call, a list once per
/// length (a statement per count of SKUs, as sea-orm's `is_in` makes them).
///
/// Each product's levels are read by a lateral subquery the planner may not flatten (`OFFSET
/// 0`): one index lookup per product. As a semi-join (`product_id IN (SELECT id FROM p)`) a
/// table without statistics yet (a new shop, the bench's fresh database) was read whole, a
/// sequential scan of every level at 20 ms an order of five lines.
async fn read_in_one_statement<C: ConnectionTrait>(
    db: &C,
    skus: &[&str],
    customer: CustomerKey<'_>,
) -> DomainResult<Read> {
    let mut values: Vec<Value> = Vec::with_capacity(skus.len() + 1);
    let customer_filter = match customer {
        CustomerKey::Id(id) => {
            values.push(id.into());
            "c.id = $1"
        }
        CustomerKey::Email(email) => {
            values.push(email.into());
            "c.email = $1"
        }
    };
    let listed: Vec<String> = (0..skus.len()).map(|i| format!("${}", i + 2)).collect();
    values.extend(skus.iter().map(|s| Value::from(*s)));
    // With no SKU, nothing matches (the request's checks refuse an order without lines first).
    let products_filter =
        if listed.is_empty() { "false".to_owned() } else { format!("sku IN ({})", listed.join(", ")) };
    let sql = format!(
        "WITH p AS MATERIALIZED (SELECT * FROM products WHERE {products_filter}) \
         SELECT (SELECT token FROM reference_version WHERE id = 1) AS token, \
         (SELECT coalesce(json_agg(p ORDER BY p.id), '[]')::text FROM p) AS products, \
         (SELECT coalesce(json_agg(l ORDER BY l.id), '[]')::text FROM p CROSS JOIN LATERAL \
         (SELECT * FROM inventory_levels l WHERE l.product_id = p.id OFFSET 0) l) AS levels, \
         (SELECT row_to_json(c)::text FROM customers c WHERE {customer_filter}) AS customer"
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("capture read".to_owned()))?;
    let token: Option<String> = row.try_get("", "token")?;
    Ok(Read {
        token: token.ok_or_else(|| DbErr::RecordNotFound("reference_version".to_owned()))?,
        products: json_list(&row, "products")?,
        levels: json_list(&row, "levels")?,
        customer: json_column(&row, "customer")?,
    })
}
