//! Fulfilment: the fulfilment orders locations work through — release, accept, pack, ship,
//! deliver, store pickup — and re-routing when a location rejects one.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entities::{fulfillment_order, fulfillment_order_line, location, order, order_line};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::auth::{Actor, Role};
use crate::db::begin_write;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::inventory::{self, Cause};
use crate::orders::{FulfillmentStatus as FS, OrderStatus, derive_order_status, record_event};
use crate::outbox::{self, queue};
use crate::routing::{self, Allocation, Demand, Destination};
use crate::validate;

/// A physical order line that needs stock: its id, product and units.
#[derive(Debug, Clone, Copy)]
pub struct LineNeed {
    pub line_id: Uuid,
    pub product_id: Uuid,
    pub quantity: i32,
}

/// Reserves a plan's allocations in level-id order (so concurrent orders take rows in one order
/// and cannot deadlock), inside a savepoint. `false`: a reservation lost a race and nothing of
/// this attempt was kept.
pub async fn reserve_all(
    txn: &DatabaseTransaction,
    allocations: &[Allocation],
    order_id: Uuid,
    actor: &Actor,
) -> DomainResult<bool> {
    let mut sorted: Vec<&Allocation> = allocations.iter().collect();
    sorted.sort_by_key(|a| a.level_id);
    let savepoint = txn.begin().await?;
    for a in sorted {
        if !inventory::reserve(&savepoint, a.level_id, a.quantity, order_id, actor).await? {
            savepoint.rollback().await?;
            return Ok(false);
        }
    }
    savepoint.commit().await?;
    Ok(true)
}

/// Creates one fulfilment order per location of `allocations` and gives each line its share of
/// its product's allocations (lines of one SKU share them, in line order).
#[allow(clippy::too_many_arguments)]
pub async fn create_fulfillment_orders<C: ConnectionTrait>(
    txn: &C,
    order_id: Uuid,
    allocations: &[Allocation],
    lines: &[LineNeed],
    status: FS,
    shipping: &HashMap<Uuid, i64>,
    ship_to: Option<Uuid>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<fulfillment_order::Model>> {
    let mut by_location: BTreeMap<Uuid, Uuid> = BTreeMap::new();
    let mut created = Vec::new();
    // Daily capacity: each new fulfilment order takes a slot of its location's day (see `capacity`).
    let capacity_days = crate::capacity::claim(txn, allocations.iter().map(|a| a.location_id), now).await?;
    for a in allocations {
        if by_location.contains_key(&a.location_id) {
            continue;
        }
        let fo = fulfillment_order::ActiveModel {
            id: Set(Uuid::now_v7()),
            order_id: Set(order_id),
            location_id: Set(a.location_id),
            status: Set(status.as_str().to_owned()),
            shipping_minor: Set(shipping.get(&a.location_id).copied().unwrap_or(0)),
            carrier: Set(None),
            tracking_number: Set(None),
            ship_to_location_id: Set(ship_to),
            capacity_day: Set(capacity_days.get(&a.location_id).copied()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        by_location.insert(a.location_id, fo.id);
        created.push(fo);
    }
    for (line, allocation, quantity) in shares(allocations, lines) {
        let a = &allocations[allocation];
        let Some(fo_id) = by_location.get(&a.location_id) else { continue };
        fulfillment_order_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            fulfillment_order_id: Set(*fo_id),
            order_line_id: Set(lines[line].line_id),
            inventory_level_id: Set(a.level_id),
            quantity: Set(quantity),
        }
        .insert(txn)
        .await?;
    }
    Ok(created)
}

/// How the allocations of each product are shared among the lines that ordered it, in line
/// order: (line index, allocation index, units).
pub fn shares(allocations: &[Allocation], lines: &[LineNeed]) -> Vec<(usize, usize, i32)> {
    let mut left: Vec<i32> = allocations.iter().map(|a| a.quantity).collect();
    let mut out = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        let mut needed = line.quantity;
        for (ai, a) in allocations.iter().enumerate() {
            if needed == 0 {
                break;
            }
            if a.product_id != line.product_id || left[ai] == 0 {
                continue;
            }
            let take = std::cmp::min(needed, left[ai]);
            left[ai] -= take;
            needed -= take;
            out.push((li, ai, take));
        }
    }
    out
}

/// The fulfilment order and its order, if the actor may work on it: staff, or an associate of
/// its location (or of the store it ships to, for pickup). Anyone else is told it is missing.
async fn load_for(
    txn: &DatabaseTransaction,
    actor: &Actor,
    fo_id: Uuid,
) -> DomainResult<(fulfillment_order::Model, order::Model)> {
    let missing = || DomainError::not_found(&["fulfillmentOrderId"], "fulfilment order");
    let fo = fulfillment_order::Entity::find_by_id(fo_id).one(txn).await?.ok_or_else(missing)?;
    let allowed = match actor {
        _ if actor.is_staff() => true,
        Actor::User { role: Role::Associate, locations, .. } => {
            let ids = [Some(fo.location_id), fo.ship_to_location_id];
            let codes: Vec<String> = location::Entity::find()
                .filter(location::Column::Id.is_in(ids.into_iter().flatten()))
                .all(txn)
                .await?
                .into_iter()
                .map(|l| l.code)
                .collect();
            codes.iter().any(|c| locations.contains(c))
        }
        _ => false,
    };
    if !allowed {
        return Err(missing());
    }
    let order = order::Entity::find_by_id(fo.order_id).one(txn).await?.ok_or_else(missing)?;
    Ok((fo, order))
}

/// Moves a fulfilment order from one of `from` to `to`, or says why it cannot.
async fn move_fo(
    txn: &DatabaseTransaction,
    fo: &fulfillment_order::Model,
    from: &[FS],
    to: FS,
    set: impl FnOnce(&mut fulfillment_order::ActiveModel),
) -> DomainResult<fulfillment_order::Model> {
    let current = FS::parse(&fo.status);
    if !current.is_some_and(|s| from.contains(&s)) {
        return Err(DomainError::rejected(
            &["fulfillmentOrderId"],
            ErrorCode::InvalidState,
            format!("the fulfilment order is {} and cannot become {}", fo.status, to.as_str()),
        ));
    }
    // Conditional on the status we read, so two associates acting at once cannot both win.
    let mut model: fulfillment_order::ActiveModel = fo.clone().into();
    model.status = Set(to.as_str().to_owned());
    model.updated_at = Set(Utc::now());
    set(&mut model);
    let result = fulfillment_order::Entity::update_many()
        .set(model)
        .filter(fulfillment_order::Column::Id.eq(fo.id))
        .filter(fulfillment_order::Column::Status.eq(fo.status.as_str()))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(DomainError::rejected(
            &["fulfillmentOrderId"],
            ErrorCode::InvalidState,
            "the fulfilment order changed meanwhile; reload it",
        ));
    }
    fulfillment_order::Entity::find_by_id(fo.id)
        .one(txn)
        .await?
        .ok_or_else(|| DomainError::not_found(&["fulfillmentOrderId"], "fulfilment order"))
}

/// Re-derives the order's status from its fulfilment orders, bumps its version and writes the
/// event. A pending order keeps its status: it is confirmed first.
async fn follow(
    txn: &DatabaseTransaction,
    order: &order::Model,
    actor: &Actor,
    kind: &str,
    message: String,
) -> DomainResult<()> {
    let fos =
        fulfillment_order::Entity::find().filter(fulfillment_order::Column::OrderId.eq(order.id)).all(txn).await?;
    let live: Vec<FS> = fos
        .iter()
        .filter_map(|f| FS::parse(&f.status))
        .filter(|s| !matches!(s, FS::Rejected | FS::Cancelled))
        .collect();
    let backordered = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .filter(order_line::Column::BackorderedQuantity.gt(0))
        .one(txn)
        .await?
        .is_some();
    let current = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Pending);
    let status = if matches!(current, OrderStatus::Pending | OrderStatus::Cancelled) {
        current
    } else {
        derive_order_status(&live, backordered)
    };
    order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(status.as_str()))
        .col_expr(order::Column::Version, Expr::col(order::Column::Version).add(1))
        .col_expr(order::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(order::Column::Id.eq(order.id))
        .exec(txn)
        .await?;
    record_event(txn, order.id, kind, actor, message, None).await?;
    if status != current {
        let notify = match status {
            OrderStatus::Shipped => Some("order_shipped"),
            OrderStatus::Delivered => Some("order_delivered"),
            OrderStatus::ReadyForPickup => Some("ready_for_pickup"),
            OrderStatus::PickedUp => Some("order_picked_up"),
            _ => None,
        };
        if let Some(kind) = notify {
            let payload = serde_json::json!({ "orderId": order.id });
            outbox::enqueue(txn, queue::NOTIFICATION, kind, payload, format!("{kind}:{}", order.id)).await?;
        }
    }
    Ok(())
}

async fn location_code<C: ConnectionTrait>(db: &C, id: Uuid) -> DomainResult<String> {
    Ok(location::Entity::find_by_id(id).one(db).await?.map(|l| l.code).unwrap_or_default())
}

/// Decrements on hand and reserved for every line of a fulfilment order that leaves its
/// location, and counts the units shipped on the order lines.
async fn ship_units(
    txn: &DatabaseTransaction,
    fo: &fulfillment_order::Model,
    order: &order::Model,
    actor: &Actor,
) -> DomainResult<()> {
    let mut lines = fulfillment_order_line::Entity::find()
        .filter(fulfillment_order_line::Column::FulfillmentOrderId.eq(fo.id))
        .all(txn)
        .await?;
    lines.sort_by_key(|l| l.inventory_level_id);
    let cause =
        Cause { reason: Some("shipped".to_owned()), reference: Some(order.number.clone()), order_id: Some(order.id) };
    for line in &lines {
        inventory::ship(txn, line.inventory_level_id, line.quantity, &cause, actor).await?;
        use order_line::Column as L;
        order_line::Entity::update_many()
            .col_expr(L::ShippedQuantity, Expr::col(L::ShippedQuantity).add(line.quantity))
            .col_expr(L::AllocatedQuantity, Expr::col(L::AllocatedQuantity).sub(line.quantity))
            .filter(L::Id.eq(line.order_line_id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The actions associates take on a fulfilment order.
#[derive(Debug, Clone)]
pub enum Action {
    Accept,
    Pack,
    Ship {
        carrier: String,
        tracking_number: String,
    },
    Deliver,
    ReadyForPickup,
    CompletePickup {
        pickup_code: String,
    },
    /// `short`: (SKU, units) the shelf turned out not to have.
    Reject {
        reason: String,
        short: Vec<(String, i32)>,
    },
}

/// Applies an action to a fulfilment order, in one transaction with the order's status, the
/// ledger, the timeline and the outbox.
#[tracing::instrument(skip(db, actor), fields(fulfillment_order_id = %fo_id))]
pub async fn act(
    db: &DatabaseConnection,
    actor: &Actor,
    fo_id: Uuid,
    action: Action,
) -> DomainResult<fulfillment_order::Model> {
    let txn = begin_write(db).await?;
    let (fo, order) = load_for(&txn, actor, fo_id).await?;
    let code = location_code(&txn, fo.location_id).await?;
    let now = Utc::now();
    let updated = match action {
        Action::Accept => {
            let fo = move_fo(&txn, &fo, &[FS::Released], FS::Accepted, |m| m.accepted_at = Set(Some(now))).await?;
            follow(
                &txn,
                &order,
                actor,
                "FULFILLMENT_ACCEPTED",
                format!("{code} accepted its part of {}", order.number),
            )
            .await?;
            fo
        }
        Action::Pack => {
            let fo = move_fo(&txn, &fo, &[FS::Accepted], FS::Packed, |m| m.packed_at = Set(Some(now))).await?;
            follow(&txn, &order, actor, "FULFILLMENT_PACKED", format!("{code} packed its part of {}", order.number))
                .await?;
            fo
        }
        Action::Ship { carrier, tracking_number } => {
            let carrier = validate::text(&["carrier"], &carrier, 100).map_err(|e| DomainError::Rejected(vec![e]))?;
            let tracking = validate::text(&["trackingNumber"], &tracking_number, 100)
                .map_err(|e| DomainError::Rejected(vec![e]))?;
            let fo = move_fo(&txn, &fo, &[FS::Accepted, FS::Packed], FS::Shipped, |m| {
                m.carrier = Set(Some(carrier.clone()));
                m.tracking_number = Set(Some(tracking.clone()));
                m.shipped_at = Set(Some(now));
            })
            .await?;
            ship_units(&txn, &fo, &order, actor).await?;
            let message = format!("{code} shipped its part of {} with {carrier}, tracking {tracking}", order.number);
            follow(&txn, &order, actor, "FULFILLMENT_SHIPPED", message).await?;
            fo
        }
        Action::Deliver => {
            if fo.ship_to_location_id.is_some() {
                return Err(DomainError::rejected(
                    &["fulfillmentOrderId"],
                    ErrorCode::InvalidState,
                    "this shipment goes to a store for pickup: mark it ready for pickup instead",
                ));
            }
            let fo = move_fo(&txn, &fo, &[FS::Shipped], FS::Delivered, |m| m.delivered_at = Set(Some(now))).await?;
            follow(
                &txn,
                &order,
                actor,
                "FULFILLMENT_DELIVERED",
                format!("{}'s shipment from {code} was delivered", order.number),
            )
            .await?;
            fo
        }
        Action::ReadyForPickup => {
            // From the store's own shelves (accepted or packed), or shipped in from elsewhere.
            let pickup_order = order.delivery_method == "PICKUP";
            let from: &[FS] =
                if fo.ship_to_location_id.is_some() { &[FS::Shipped] } else { &[FS::Accepted, FS::Packed] };
            if !pickup_order {
                return Err(DomainError::rejected(
                    &["fulfillmentOrderId"],
                    ErrorCode::InvalidState,
                    "this order is not for pickup",
                ));
            }
            let code_for_customer = format!("{:06}", rand::rng().random_range(0..1_000_000));
            let fo =
                move_fo(&txn, &fo, from, FS::ReadyForPickup, |m| m.pickup_code = Set(Some(code_for_customer.clone())))
                    .await?;
            follow(&txn, &order, actor, "READY_FOR_PICKUP", format!("{} is ready for pickup", order.number)).await?;
            fo
        }
        Action::CompletePickup { pickup_code } => {
            if fo.pickup_code.as_deref() != Some(pickup_code.trim())
                || FS::parse(&fo.status) != Some(FS::ReadyForPickup)
            {
                let (code, message) = if FS::parse(&fo.status) == Some(FS::ReadyForPickup) {
                    (ErrorCode::InvalidPickupCode, "the pickup code is wrong")
                } else {
                    (ErrorCode::InvalidState, "the fulfilment order is not ready for pickup")
                };
                return Err(DomainError::rejected(&["pickupCode"], code, message));
            }
            let shipped_already = fo.shipped_at.is_some();
            let fo = move_fo(&txn, &fo, &[FS::ReadyForPickup], FS::PickedUp, |m| {
                m.delivered_at = Set(Some(now));
                if !shipped_already {
                    m.shipped_at = Set(Some(now));
                }
            })
            .await?;
            if !shipped_already {
                ship_units(&txn, &fo, &order, actor).await?;
            }
            follow(&txn, &order, actor, "PICKED_UP", format!("{} was handed over at the store", order.number)).await?;
            fo
        }
        Action::Reject { reason, short } => {
            let reason = validate::text(&["reason"], &reason, 500).map_err(|e| DomainError::Rejected(vec![e]))?;
            let fo = move_fo(&txn, &fo, &[FS::Released, FS::Accepted, FS::Packed], FS::Rejected, |m| {
                m.reject_reason = Set(Some(reason.clone()))
            })
            .await?;
            reroute(&txn, &fo, &order, actor, &code, &reason, &short).await?;
            fo
        }
    };
    txn.commit().await?;
    Ok(updated)
}

/// A rejected fulfilment order: its reservation is released, and its lines are routed again
/// without any location that rejected this order before. What nothing can fill is backordered,
/// and the order records why.
async fn reroute(
    txn: &DatabaseTransaction,
    fo: &fulfillment_order::Model,
    order: &order::Model,
    actor: &Actor,
    code: &str,
    reason: &str,
    short: &[(String, i32)],
) -> DomainResult<()> {
    let mut held = fulfillment_order_line::Entity::find()
        .filter(fulfillment_order_line::Column::FulfillmentOrderId.eq(fo.id))
        .all(txn)
        .await?;
    held.sort_by_key(|l| l.inventory_level_id);
    let cause = Cause {
        reason: Some(format!("rejected by {code}: {reason}")),
        reference: Some(order.number.clone()),
        order_id: Some(order.id),
    };
    for line in &held {
        inventory::release(txn, line.inventory_level_id, line.quantity, &cause, actor).await?;
    }
    record_event(
        txn,
        order.id,
        "FULFILLMENT_REJECTED",
        actor,
        format!("{code} rejected its part of {}: {reason}", order.number),
        None,
    )
    .await?;

    // What to route again, per order line and per product.
    let order_lines: HashMap<Uuid, order_line::Model> = order_line::Entity::find()
        .filter(order_line::Column::Id.is_in(held.iter().map(|l| l.order_line_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    // A short pick is recorded against the shelf, so no one is promised those units again.
    for (i, (sku, quantity)) in short.iter().enumerate() {
        let level = held.iter().find(|h| order_lines.get(&h.order_line_id).is_some_and(|l| l.sku == *sku));
        let Some(level) = level.filter(|_| (1..=inventory::MAX_QUANTITY).contains(quantity)) else {
            return Err(DomainError::Rejected(vec![crate::error::UserError::at(
                "shortQuantities",
                i,
                "sku",
                ErrorCode::InvalidInput,
                format!("{sku} × {quantity} is not part of this fulfilment order"),
            )]));
        };
        let cause = Cause {
            reason: Some(format!("short pick at {code}: {reason}")),
            reference: Some(order.number.clone()),
            order_id: Some(order.id),
        };
        inventory::record_shortfall(txn, level.inventory_level_id, *quantity, &cause, actor).await?;
    }
    let mut needs: Vec<LineNeed> = Vec::new();
    for h in &held {
        if let Some(l) = order_lines.get(&h.order_line_id) {
            needs.push(LineNeed { line_id: l.id, product_id: l.product_id, quantity: h.quantity });
        }
    }
    let mut demand: BTreeMap<Uuid, (String, i32)> = BTreeMap::new();
    for n in &needs {
        let sku = order_lines.get(&n.line_id).map(|l| l.sku.clone()).unwrap_or_default();
        demand.entry(n.product_id).or_insert((sku, 0)).1 += n.quantity;
    }
    let demands: Vec<Demand> =
        demand.into_iter().map(|(product_id, (sku, quantity))| Demand { product_id, sku, quantity }).collect();
    let excluded: Vec<Uuid> = fulfillment_order::Entity::find()
        .filter(fulfillment_order::Column::OrderId.eq(order.id))
        .filter(fulfillment_order::Column::Status.eq(FS::Rejected.as_str()))
        .all(txn)
        .await?
        .into_iter()
        .map(|f| f.location_id)
        .collect();
    let destination = match order.pickup_location_id {
        Some(store) => Destination::Pickup { location_id: store },
        None => Destination::Ship { point: order.ship_latitude.zip(order.ship_longitude) },
    };
    let request = routing::Request {
        demands,
        destination,
        channel: order.channel.clone(),
        allow_split: order.allow_split,
        excluded,
    };
    let product_ids: Vec<Uuid> = request.demands.iter().map(|d| d.product_id).collect();
    let rules = routing::load_rules(txn).await?;
    let mut decision = None;
    for _ in 0..8 {
        let network = routing::load_network(txn, &product_ids).await?;
        let candidate = routing::route(&request, &network, &rules);
        if reserve_all(txn, &candidate.allocations, order.id, actor).await? {
            decision = Some(candidate);
            break;
        }
    }
    let Some(decision) = decision else {
        return Err(DomainError::rejected(
            &[],
            ErrorCode::OutOfStock,
            "stock is moving too fast to re-route; try again",
        ));
    };
    routing::record_decision(txn, order.id, routing::trigger::REROUTE, &decision).await?;
    let ship_to = match decision.mode {
        routing::Mode::ShipToStore => order.pickup_location_id,
        _ => None,
    };
    let status = if order.status == OrderStatus::Pending.as_str() { FS::Pending } else { FS::Released };
    create_fulfillment_orders(
        txn,
        order.id,
        &decision.allocations,
        &needs,
        status,
        &HashMap::new(),
        ship_to,
        Utc::now(),
    )
    .await?;
    // Units nothing could fill wait as backorders on their lines, oldest line first.
    let mut short: HashMap<Uuid, i32> = decision.shortfalls.iter().map(|s| (s.product_id, s.quantity)).collect();
    for n in &needs {
        let Some(missing) = short.get_mut(&n.product_id) else { continue };
        let take = std::cmp::min(*missing, n.quantity);
        if take == 0 {
            continue;
        }
        *missing -= take;
        use order_line::Column as L;
        order_line::Entity::update_many()
            .col_expr(L::AllocatedQuantity, Expr::col(L::AllocatedQuantity).sub(take))
            .col_expr(L::BackorderedQuantity, Expr::col(L::BackorderedQuantity).add(take))
            .filter(L::Id.eq(n.line_id))
            .exec(txn)
            .await?;
    }
    let kind = if decision.is_complete() { "REROUTED" } else { "BACKORDERED" };
    follow(txn, order, actor, kind, decision.summary.clone()).await
}

/// Fulfilment orders an associate's locations (or staff) work on, oldest first, by status.
pub async fn list_for_locations(
    db: &DatabaseConnection,
    actor: &Actor,
    location_code: Option<&str>,
    status: Option<FS>,
) -> DomainResult<Vec<fulfillment_order::Model>> {
    let codes: Vec<String> = match (actor, location_code) {
        (Actor::User { role: Role::Associate, locations, .. }, Some(code)) if locations.iter().any(|l| l == code) => {
            vec![code.to_owned()]
        }
        (Actor::User { role: Role::Associate, locations, .. }, None) => locations.clone(),
        (_, Some(code)) if actor.is_staff() => vec![code.to_owned()],
        (_, None) if actor.is_staff() => {
            return Err(DomainError::rejected(&["locationCode"], ErrorCode::InvalidInput, "name the location to list"));
        }
        _ => return Err(DomainError::Forbidden),
    };
    let ids: Vec<Uuid> = location::Entity::find()
        .filter(location::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    let mut query = fulfillment_order::Entity::find()
        .filter(
            fulfillment_order::Column::LocationId
                .is_in(ids.clone())
                .or(fulfillment_order::Column::ShipToLocationId.is_in(ids)),
        )
        .order_by_asc(fulfillment_order::Column::Id);
    if let Some(s) = status {
        query = query.filter(fulfillment_order::Column::Status.eq(s.as_str()));
    }
    Ok(query.all(db).await?)
}

/// Stock arrived at `location`: backordered units of `product_id` are filled from it, oldest
/// order first. Only available units are taken (never what another order holds), and each line
/// is claimed by a conditional update, so two receipts at once cannot fill the same units twice.
pub async fn fill_backorders(
    txn: &DatabaseTransaction,
    product_id: Uuid,
    location: &location::Model,
    level_id: Uuid,
    actor: &Actor,
) -> DomainResult<()> {
    let lines = order_line::Entity::find()
        .filter(order_line::Column::ProductId.eq(product_id))
        .filter(order_line::Column::BackorderedQuantity.gt(0))
        .all(txn)
        .await?;
    if lines.is_empty() || !location.active {
        return Ok(());
    }
    let orders: HashMap<Uuid, order::Model> = order::Entity::find()
        .filter(order::Column::Id.is_in(lines.iter().map(|l| l.order_id)))
        .filter(order::Column::Status.ne(OrderStatus::Cancelled.as_str()))
        .all(txn)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut queue: Vec<(&order::Model, &order_line::Model)> =
        lines.iter().filter_map(|l| orders.get(&l.order_id).map(|o| (o, l))).collect();
    queue.sort_by_key(|(o, l)| (o.number_seq, l.line_no));
    for (order, line) in queue {
        let for_pickup_here = order.pickup_location_id == Some(location.id);
        if !for_pickup_here && !location.can_ship {
            continue;
        }
        let level = entities::inventory_level::Entity::find_by_id(level_id).one(txn).await?;
        let Some(available) = level.as_ref().map(inventory::available) else { return Ok(()) };
        let take = std::cmp::min(available, line.backordered_quantity);
        if take <= 0 {
            return Ok(());
        }
        let savepoint = txn.begin().await?;
        use order_line::Column as L;
        let claimed = order_line::Entity::update_many()
            .col_expr(L::BackorderedQuantity, Expr::col(L::BackorderedQuantity).sub(take))
            .col_expr(L::AllocatedQuantity, Expr::col(L::AllocatedQuantity).add(take))
            .filter(L::Id.eq(line.id))
            .filter(L::BackorderedQuantity.gte(take))
            .exec(&savepoint)
            .await?
            .rows_affected
            == 1;
        if !claimed || !inventory::reserve(&savepoint, level_id, take, order.id, actor).await? {
            savepoint.rollback().await?;
            continue;
        }
        savepoint.commit().await?;
        let allocation = Allocation {
            level_id,
            product_id,
            sku: line.sku.clone(),
            location_id: location.id,
            location_code: location.code.clone(),
            quantity: take,
        };
        let status = if order.status == OrderStatus::Pending.as_str() { FS::Pending } else { FS::Released };
        let ship_to = order.pickup_location_id.filter(|store| *store != location.id);
        let need = LineNeed { line_id: line.id, product_id, quantity: take };
        create_fulfillment_orders(
            txn,
            order.id,
            std::slice::from_ref(&allocation),
            &[need],
            status,
            &HashMap::new(),
            ship_to,
            Utc::now(),
        )
        .await?;
        let summary =
            format!("{take} × {} backordered on {} filled from a receipt at {}", line.sku, order.number, location.code);
        let decision = routing::Decision {
            mode: if ship_to.is_some() {
                routing::Mode::ShipToStore
            } else if for_pickup_here {
                routing::Mode::PickupInStore
            } else {
                routing::Mode::Ship
            },
            candidates: Vec::new(),
            allocations: vec![allocation],
            shortfalls: Vec::new(),
            shipments: 1,
            summary: summary.clone(),
        };
        routing::record_decision(txn, order.id, routing::trigger::BACKORDER_FILL, &decision).await?;
        follow(txn, order, actor, "BACKORDER_FILLED", summary).await?;
    }
    Ok(())
}
