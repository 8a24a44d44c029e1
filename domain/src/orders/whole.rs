//! An order with everything its page shows (lines, fulfilment orders with their lines and
//! locations, timeline, customer), read at once. On PostgreSQL that is one statement: the children come
//! back as JSON arrays beside the order's row, so an agent's or customer's order page costs one
//! round trip and one snapshot instead of seven statements in three turns of the loaders.
use entities::{customer, fulfillment_order, fulfillment_order_line, location, order, order_event, order_line};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Statement,
};
use uuid::Uuid;

use super::query::{
    events_for_orders, fulfillment_lines_for, fulfillment_orders_for_orders, lines_for_orders, may_see_fulfilled_from,
    normalized_number,
};
use crate::auth::Actor;
use crate::error::DomainResult;

/// An order and its children, each list in the order the loaders give it.
#[derive(Clone, Debug, PartialEq)]
pub struct WholeOrder {
    pub order: order::Model,
    /// By line number.
    pub lines: Vec<order_line::Model>,
    /// By id.
    pub fulfillment_orders: Vec<fulfillment_order::Model>,
    /// The lines of all its fulfilment orders, by id.
    pub fulfillment_lines: Vec<fulfillment_order_line::Model>,
    /// The locations of its fulfilment orders, by id.
    pub locations: Vec<location::Model>,
    /// Its whole timeline as stored, by id (oldest first); [`super::timeline_for`] says what a
    /// caller sees of it.
    pub events: Vec<order_event::Model>,
    /// The customer record it is for.
    pub customer: Option<customer::Model>,
}

/// How the caller names the order it wants.
#[derive(Clone, Copy, Debug)]
pub enum OrderKey<'a> {
    Id(Uuid),
    /// As typed: trimmed and upper-cased before it is looked up ("so-000123" finds SO-000123).
    Number(&'a str),
}

/// The statement for the order `$filter` picks. Every child list is aggregated in the order its
/// loader reads it, so either way of reading gives the same answer (a test holds the two side
/// by side). The fulfilment orders' lines and locations are read through a lateral subquery
/// the planner may not flatten (`OFFSET 0`): an index lookup per fulfilment order. As a
/// semi-join (`IN (SELECT f.id …)`) a table without statistics yet was sometimes read whole —
/// a sequential scan of every fulfilment line on each page read, which halved read-order's
/// throughput on the bench's fresh database in about half of its runs.
macro_rules! whole_order {
    ($filter:literal) => {
        concat!(
            "SELECT o.*, ",
            "(SELECT coalesce(json_agg(l ORDER BY l.line_no), '[]')::text FROM order_lines l ",
            "WHERE l.order_id = o.id) AS whole_lines, ",
            "(SELECT coalesce(json_agg(f ORDER BY f.id), '[]')::text FROM fulfillment_orders f ",
            "WHERE f.order_id = o.id) AS whole_fulfillment_orders, ",
            "(SELECT coalesce(json_agg(fl ORDER BY fl.id), '[]')::text FROM fulfillment_orders f ",
            "CROSS JOIN LATERAL (SELECT * FROM fulfillment_order_lines fl ",
            "WHERE fl.fulfillment_order_id = f.id OFFSET 0) fl WHERE f.order_id = o.id) AS whole_fulfillment_lines, ",
            "(SELECT coalesce(json_agg(loc ORDER BY loc.id), '[]')::text ",
            "FROM (SELECT DISTINCT f.location_id FROM fulfillment_orders f WHERE f.order_id = o.id) f ",
            "CROSS JOIN LATERAL (SELECT * FROM locations loc WHERE loc.id = f.location_id OFFSET 0) loc) ",
            "AS whole_locations, ",
            "(SELECT coalesce(json_agg(e ORDER BY e.id), '[]')::text FROM order_events e ",
            "WHERE e.order_id = o.id) AS whole_events, ",
            "(SELECT row_to_json(c)::text FROM customers c WHERE c.id = o.customer_id) AS whole_customer ",
            "FROM orders o WHERE ",
            $filter
        )
    };
}

/// Whether [`get_whole_order`] is one statement here (PostgreSQL). Elsewhere it reads each kind
/// of child in turn, and a caller that needs only some of them does better with the loaders.
pub fn reads_whole_orders_in_one_statement(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// The order and its children, if `actor` may see it: one statement on PostgreSQL, one per
/// kind of child elsewhere.
pub async fn get_whole_order(
    db: &DatabaseConnection,
    actor: &Actor,
    key: OrderKey<'_>,
) -> DomainResult<Option<WholeOrder>> {
    let whole = if reads_whole_orders_in_one_statement(db) {
        read_in_one_statement(db, key).await?
    } else {
        read_whole_order_by_kind(db, key).await?
    };
    // Its fulfilment orders' locations are read with it: an associate's check needs no statement.
    Ok(whole.filter(|whole| may_see_fulfilled_from(actor, &whole.order, &whole.locations)))
}

async fn read_in_one_statement(db: &DatabaseConnection, key: OrderKey<'_>) -> DomainResult<Option<WholeOrder>> {
    let statement = match key {
        OrderKey::Id(id) => Statement::from_sql_and_values(DbBackend::Postgres, whole_order!("o.id = $1"), [id.into()]),
        OrderKey::Number(number) => Statement::from_sql_and_values(
            DbBackend::Postgres,
            whole_order!("o.number = $1"),
            [normalized_number(number).into()],
        ),
    };
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    Ok(Some(WholeOrder {
        order: order::Model::from_query_result(&row, "")?,
        lines: crate::db::json_list(&row, "whole_lines")?,
        fulfillment_orders: crate::db::json_list(&row, "whole_fulfillment_orders")?,
        fulfillment_lines: crate::db::json_list(&row, "whole_fulfillment_lines")?,
        locations: crate::db::json_list(&row, "whole_locations")?,
        events: crate::db::json_list(&row, "whole_events")?,
        customer: crate::db::json_column(&row, "whole_customer")?,
    }))
}

/// The same answer as [`read_in_one_statement`], read the way the loaders read it.
pub async fn read_whole_order_by_kind(db: &DatabaseConnection, key: OrderKey<'_>) -> DomainResult<Option<WholeOrder>> {
    let found = match key {
        OrderKey::Id(id) => order::Entity::find_by_id(id).one(db).await?,
        OrderKey::Number(number) => {
            order::Entity::find().filter(order::Column::Number.eq(normalized_number(number))).one(db).await?
        }
    };
    let Some(order) = found else {
        return Ok(None);
    };
    let id = order.id;
    let fulfillment_orders = fulfillment_orders_for_orders(db, &[id]).await?;
    let fo_ids: Vec<Uuid> = fulfillment_orders.iter().map(|f| f.id).collect();
    let mut location_ids: Vec<Uuid> = fulfillment_orders.iter().map(|f| f.location_id).collect();
    location_ids.sort_unstable();
    location_ids.dedup();
    let mut locations = crate::locations::find_by_ids(db, &location_ids).await?;
    locations.sort_by_key(|l| l.id);
    let customer = crate::customers::find_by_id(db, order.customer_id).await?;
    Ok(Some(WholeOrder {
        order,
        lines: lines_for_orders(db, &[id]).await?,
        fulfillment_lines: fulfillment_lines_for(db, &fo_ids).await?,
        fulfillment_orders,
        locations,
        events: events_for_orders(db, &[id]).await?,
        customer,
    }))
}
