//! Reading orders back, each caller seeing only what it may: customers their own, associates
//! those their locations fulfil, staff everything. A foreign order looks like a missing one.
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entities::{fulfillment_order, fulfillment_order_line, location, order, order_event, order_line};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

use super::events::OrderEventKindRules;
use super::status::{Channel, OrderStatus};
use crate::auth::{Actor, Role};
use crate::error::{DomainError, DomainResult};
use crate::pagination::{Page, PageRequest, into_page};

/// Whether `actor` may see `order` (associates are checked by [`get_order`] against their
/// locations; here they see nothing).
pub(super) fn visible(actor: &Actor, order: &order::Model) -> bool {
    actor.may_see_customer(order.customer_id)
}

/// The ids of the locations an associate's token names.
async fn associate_locations(db: &DatabaseConnection, actor: &Actor) -> DomainResult<Option<Vec<Uuid>>> {
    match actor {
        Actor::User { role: Role::Associate, locations, .. } => {
            let ids = location::Entity::find()
                .filter(location::Column::Code.is_in(locations.iter().map(String::as_str)))
                .all(db)
                .await?
                .into_iter()
                .map(|l| l.id)
                .collect();
            Ok(Some(ids))
        }
        _ => Ok(None),
    }
}

/// [`may_see`] for an order whose fulfilment orders' locations are read already: no statement.
pub(super) fn may_see_fulfilled_from(actor: &Actor, order: &order::Model, locations: &[location::Model]) -> bool {
    visible(actor, order)
        || (actor.associate_locations().is_some() && locations.iter().any(|l| actor.may_see_location(&l.code)))
}

pub(super) async fn may_see(db: &DatabaseConnection, actor: &Actor, order: &order::Model) -> DomainResult<bool> {
    if visible(actor, order) {
        return Ok(true);
    }
    let Some(locations) = associate_locations(db, actor).await? else {
        return Ok(false);
    };
    let fos = fulfillment_order::Entity::find()
        .filter(fulfillment_order::Column::OrderId.eq(order.id))
        .filter(fulfillment_order::Column::LocationId.is_in(locations))
        .one(db)
        .await?;
    Ok(fos.is_some())
}

pub async fn get_order(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> DomainResult<Option<order::Model>> {
    let Some(order) = order::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(may_see(db, actor, &order).await?.then_some(order))
}

pub async fn get_order_by_number(
    db: &DatabaseConnection,
    actor: &Actor,
    number: &str,
) -> DomainResult<Option<order::Model>> {
    let Some(order) = order::Entity::find().filter(order::Column::Number.eq(normalized_number(number))).one(db).await?
    else {
        return Ok(None);
    };
    Ok(may_see(db, actor, &order).await?.then_some(order))
}

/// An order number as looked up: "so-000123 " finds SO-000123.
pub(super) fn normalized_number(number: &str) -> String {
    number.trim().to_uppercase()
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub channel: Option<Channel>,
    pub customer_email: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Orders of this customer record.
    pub customer_id: Option<Uuid>,
    /// An agent's search: order number, email, phone or name, typed in part (`search`).
    pub query: Option<String>,
}

/// Orders, newest first.
pub async fn list_orders(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &OrderFilter,
    page: PageRequest,
) -> DomainResult<Page<order::Model>> {
    let limit = page.limit()?;
    use order::Column as O;
    let mut query = order::Entity::find();
    let mut fulfilled_at_locations = None;
    if !actor.is_staff() {
        if let Some(customer) = actor.own_customer() {
            query = query.filter(O::CustomerId.eq(customer));
        } else if let Some(locations) = associate_locations(db, actor).await? {
            fulfilled_at_locations = Some(locations);
        } else {
            return Err(DomainError::Forbidden);
        }
    }
    if let Some(s) = filter.status {
        query = query.filter(O::Status.eq(s.as_str()));
    }
    if let Some(c) = filter.channel {
        query = query.filter(O::Channel.eq(c.as_str()));
    }
    if let Some(email) = &filter.customer_email {
        query = query.filter(O::CustomerEmail.eq(email.trim().to_lowercase()));
    }
    if let Some(t) = filter.created_after {
        query = query.filter(O::CreatedAt.gte(t));
    }
    if let Some(t) = filter.created_before {
        query = query.filter(O::CreatedAt.lt(t));
    }
    if let Some(customer) = filter.customer_id {
        query = query.filter(O::CustomerId.eq(customer));
    }
    if let Some(q) = &filter.query
        && let Some(found) = super::search::condition(db.get_database_backend(), q)?
    {
        query = query.filter(found);
    }
    let rows = match fulfilled_at_locations {
        Some(locations) => newest_fulfilled_at(db, query, &locations, page.after, limit + 1).await?,
        None => {
            if let Some(after) = page.after {
                query = query.filter(O::Id.lt(after));
            }
            query.order_by_desc(O::Id).limit(limit + 1).all(db).await?
        }
    };
    Ok(into_page(rows, limit))
}

/// The most fulfilment orders one step of [`newest_fulfilled_at`] looks at.
const MOST_PER_STEP: u64 = 1_000;

/// The newest `wanted` orders of `query` older than `after` with a fulfilment order at one of
/// `locations`, newest first. Per location, a step reads the next order ids off its fulfilment
/// orders (an index range, newest first) and then those orders that pass the filters of
/// `query` by id, so a page costs a page however long the store's history and the business's.
/// A semi-join on the store's fulfilment orders read them all or walked every order of the
/// business probing each, and a join in one statement let PostgreSQL merge along all orders.
/// While filters drop orders, each step looks at twice as many as the one before.
async fn newest_fulfilled_at(
    db: &DatabaseConnection,
    query: Select<order::Entity>,
    locations: &[Uuid],
    after: Option<Uuid>,
    wanted: u64,
) -> DomainResult<Vec<order::Model>> {
    use fulfillment_order::Column as F;
    let mut found: Vec<order::Model> = Vec::new();
    for &location in locations {
        let mut seen = HashSet::new();
        let mut kept = 0;
        let mut older_than = after;
        let mut step = wanted;
        loop {
            let mut ids = fulfillment_order::Entity::find()
                .select_only()
                .column(F::OrderId)
                .filter(F::LocationId.eq(location))
                .order_by_desc(F::OrderId)
                .limit(step);
            if let Some(id) = older_than {
                ids = ids.filter(F::OrderId.lt(id));
            }
            let ids: Vec<Uuid> = ids.into_tuple().all(db).await?;
            let exhausted = (ids.len() as u64) < step;
            older_than = ids.last().copied();
            // An order with two fulfilment orders at the store comes twice.
            let new: Vec<Uuid> = ids.into_iter().filter(|id| seen.insert(*id)).collect();
            if !new.is_empty() {
                let orders = query.clone().filter(order::Column::Id.is_in(new)).all(db).await?;
                kept += orders.len() as u64;
                found.extend(orders);
            }
            if exhausted || kept >= wanted {
                break;
            }
            step = (step * 2).min(MOST_PER_STEP);
        }
    }
    found.sort_by_key(|o| std::cmp::Reverse(o.id));
    // An order fulfilled at two of the caller's locations came from both.
    found.dedup_by_key(|o| o.id);
    Ok(found)
}

/// The lines of these orders, in line order: one query for a whole page of orders.
pub async fn lines_for_orders(db: &DatabaseConnection, order_ids: &[Uuid]) -> DomainResult<Vec<order_line::Model>> {
    Ok(order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_line::Column::LineNo)
        .all(db)
        .await?)
}

pub async fn fulfillment_orders_for_orders(
    db: &DatabaseConnection,
    order_ids: &[Uuid],
) -> DomainResult<Vec<fulfillment_order::Model>> {
    Ok(fulfillment_order::Entity::find()
        .filter(fulfillment_order::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(fulfillment_order::Column::Id)
        .all(db)
        .await?)
}

pub async fn fulfillment_lines_for(
    db: &DatabaseConnection,
    fo_ids: &[Uuid],
) -> DomainResult<Vec<fulfillment_order_line::Model>> {
    Ok(fulfillment_order_line::Entity::find()
        .filter(fulfillment_order_line::Column::FulfillmentOrderId.is_in(fo_ids.iter().copied()))
        .order_by_asc(fulfillment_order_line::Column::Id)
        .all(db)
        .await?)
}

pub async fn events_for_orders(db: &DatabaseConnection, order_ids: &[Uuid]) -> DomainResult<Vec<order_event::Model>> {
    Ok(order_event::Entity::find()
        .filter(order_event::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_event::Column::Id)
        .all(db)
        .await?)
}

/// An order's timeline as `actor` may see it. Staff and associates see every entry as stored;
/// anyone else (a customer reading their own order) sees the customer-facing entries only, in
/// customer wording, with the role of who acted in place of their name.
pub fn timeline_for(actor: &Actor, events: Vec<order_event::Model>) -> Vec<order_event::Model> {
    if actor.sees_order_internals() {
        return events;
    }
    events
        .into_iter()
        .filter_map(|e| e.kind.customer_message().map(|m| (m, e)))
        .map(|(message, e)| order_event::Model {
            message: if e.kind.shows_stored_message() { e.message.clone() } else { message.to_owned() },
            actor_id: e.actor_role.clone(),
            data: None,
            ..e
        })
        .collect()
}

/// A fulfilment order's rejection reason, for those who may read it (staff and associates):
/// it is written for colleagues, not for the customer.
pub fn reject_reason_for<'a>(actor: &Actor, fo: &'a fulfillment_order::Model) -> Option<&'a str> {
    fo.reject_reason.as_deref().filter(|_| actor.sees_order_internals())
}

/// Whether `actor` may read an order's routing decisions; refused otherwise.
pub fn check_routing_visible(actor: &Actor) -> DomainResult<()> {
    if actor.may_read_routing() { Ok(()) } else { Err(DomainError::Forbidden) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::OrderEventKind;

    fn event(kind: OrderEventKind) -> order_event::Model {
        order_event::Model {
            id: Uuid::now_v7(),
            order_id: Uuid::nil(),
            kind,
            actor_role: "associate".to_owned(),
            actor_id: "bob.picker".to_owned(),
            message: format!("{kind} at WH-LYON: Bob dropped it"),
            data: Some("{}".to_owned()),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn a_customer_sees_customer_facing_entries_without_names() {
        let customer = Actor::User {
            subject: "c".into(),
            role: Role::Customer,
            customer_id: Some(Uuid::now_v7()),
            locations: vec![],
        };
        let events = vec![
            event(OrderEventKind::OrderPlaced),
            event(OrderEventKind::FulfillmentRejected),
            event(OrderEventKind::Rerouted),
        ];
        let seen = timeline_for(&customer, events.clone());
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].actor_id, "associate");
        assert!(!seen[0].message.contains("Bob"));
        let agent = Actor::User { subject: "a".into(), role: Role::Agent, customer_id: None, locations: vec![] };
        assert_eq!(timeline_for(&agent, events.clone()), events);
    }
}
