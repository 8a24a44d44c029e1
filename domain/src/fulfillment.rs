//! Fulfilment: the fulfilment orders locations work through — release, accept, pack, ship,
//! deliver, store pickup — and re-routing when a location rejects one. Every action locks the
//! order first (see [`crate::locks`]) and derives the order's status from what is committed.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entities::{fulfillment_order, fulfillment_order_line, location, order, order_line};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use crate::allocation::{Giveback, Givebacks, plan_and_reserve};
use crate::auth::{Actor, Role};
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode, UserError};
use crate::inventory::{self, Cause};
use crate::orders::{FulfillmentStatus as FS, OrderStatus, derive_order_status, record_event};
use crate::outbox::{self, queue};
use crate::routing::{self, Allocation, Demand, Destination};
use crate::{locks, validate};

/// Wrong pickup codes tried before the code locks until staff reset it.
pub const MAX_PICKUP_ATTEMPTS: i32 = 5;

/// A physical order line that needs stock: its id, product and units.
#[derive(Debug, Clone, Copy)]
pub struct LineNeed {
    pub line_id: Uuid,
    pub product_id: Uuid,
    pub quantity: i32,
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

/// Whose job a step is: the shipping location picks, packs, ships and rejects; the store a
/// shipment goes to (ship-to-store) makes it ready and hands it over; resets are for staff.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Duty {
    Picking,
    Store,
    Staff,
}

/// Whether `actor` may do `duty` on `fo`. An associate of neither location is told the
/// fulfilment order is missing; one of the other location is told it is not theirs to do.
async fn authorise<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    fo: &fulfillment_order::Model,
    duty: Duty,
) -> DomainResult<()> {
    if actor.is_staff() {
        return Ok(());
    }
    let missing = || DomainError::not_found(&["fulfillmentOrderId"], "fulfilment order");
    let Actor::User { role: Role::Associate, locations, .. } = actor else {
        return Err(missing());
    };
    let ships = locations.contains(&location_code(db, fo.location_id).await?);
    let receives = match fo.ship_to_location_id {
        Some(store) => locations.contains(&location_code(db, store).await?),
        None => false,
    };
    if !ships && !receives {
        return Err(missing());
    }
    let allowed = match duty {
        Duty::Picking => ships,
        Duty::Store if fo.ship_to_location_id.is_some() => receives,
        Duty::Store => ships,
        Duty::Staff => false,
    };
    if allowed { Ok(()) } else { Err(DomainError::Forbidden) }
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
    // Conditional on the status read under the order's lock: a second line of defence.
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

/// Re-derives the order's status from its fulfilment orders and lines as committed, bumps its
/// version and writes the event. `order` must be the row locked by this transaction. A pending
/// order keeps its status: it is confirmed first.
pub(crate) async fn follow(
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
    let current = OrderStatus::parse(&order.status).ok_or_else(|| {
        DomainError::Database(sea_orm::DbErr::Custom(format!("order {} has unknown status {}", order.id, order.status)))
    })?;
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

/// The lines of a fulfilment order, by inventory level (the order levels are locked in).
async fn held_lines<C: ConnectionTrait>(db: &C, fo_id: Uuid) -> DomainResult<Vec<fulfillment_order_line::Model>> {
    Ok(fulfillment_order_line::Entity::find()
        .filter(fulfillment_order_line::Column::FulfillmentOrderId.eq(fo_id))
        .order_by_asc(fulfillment_order_line::Column::InventoryLevelId)
        .all(db)
        .await?)
}

/// Counts the units of a fulfilment order as shipped on its order lines, then takes them off
/// on hand and reserved at its location, level by level in id order.
async fn ship_units(
    txn: &DatabaseTransaction,
    fo: &fulfillment_order::Model,
    order: &order::Model,
    actor: &Actor,
) -> DomainResult<()> {
    let lines = held_lines(txn, fo.id).await?;
    use order_line::Column as L;
    for line in &lines {
        order_line::Entity::update_many()
            .col_expr(L::ShippedQuantity, Expr::col(L::ShippedQuantity).add(line.quantity))
            .col_expr(L::AllocatedQuantity, Expr::col(L::AllocatedQuantity).sub(line.quantity))
            .filter(L::Id.eq(line.order_line_id))
            .exec(txn)
            .await?;
    }
    let cause =
        Cause { reason: Some("shipped".to_owned()), reference: Some(order.number.clone()), order_id: Some(order.id) };
    for line in &lines {
        inventory::ship(txn, line.inventory_level_id, line.quantity, &cause, actor).await?;
    }
    Ok(())
}

/// The actions taken on a fulfilment order.
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
    /// Staff unlock a pickup code locked by wrong guesses (the customer showed identification).
    ResetPickupCode,
}

impl Action {
    fn duty(&self) -> Duty {
        match self {
            Action::Accept | Action::Pack | Action::Ship { .. } | Action::Deliver | Action::Reject { .. } => {
                Duty::Picking
            }
            Action::ReadyForPickup | Action::CompletePickup { .. } => Duty::Store,
            Action::ResetPickupCode => Duty::Staff,
        }
    }
}

/// What an action did: the fulfilment order as it now is, and the products whose stock it
/// freed (backorders may wait for them).
struct Acted {
    fulfillment_order: fulfillment_order::Model,
    freed: Vec<Uuid>,
}

/// Applies an action to a fulfilment order, in one transaction with the order's status, the
/// ledger, the timeline and the outbox. Stock a rejection frees is then offered to backorders.
#[tracing::instrument(skip(db, actor), fields(fulfillment_order_id = %fo_id))]
pub async fn act(
    db: &DatabaseConnection,
    actor: &Actor,
    fo_id: Uuid,
    action: Action,
) -> DomainResult<fulfillment_order::Model> {
    let acted = retry_once(|| act_once(db, actor, fo_id, action.clone())).await?;
    let freed = crate::backorders::Freed {
        products: acted.freed,
        arrived_at: None,
        except_order: Some(acted.fulfillment_order.order_id),
    };
    crate::backorders::fill_after(db, &freed).await;
    Ok(acted.fulfillment_order)
}

async fn act_once(db: &DatabaseConnection, actor: &Actor, fo_id: Uuid, action: Action) -> DomainResult<Acted> {
    let missing = || DomainError::not_found(&["fulfillmentOrderId"], "fulfilment order");
    let txn = begin_write(db).await?;
    let seen = fulfillment_order::Entity::find_by_id(fo_id).one(&txn).await?.ok_or_else(missing)?;
    authorise(&txn, actor, &seen, action.duty()).await?;
    let order = locks::order(&txn, seen.order_id).await?.ok_or_else(missing)?;
    // Read again under the order's lock: this is the state every other flow has committed.
    let fo = fulfillment_order::Entity::find_by_id(fo_id).one(&txn).await?.ok_or_else(missing)?;
    let code = location_code(&txn, fo.location_id).await?;
    let now = Utc::now();
    let mut freed = Vec::new();
    let updated = match action {
        Action::Accept => {
            let fo = move_fo(&txn, &fo, &[FS::Released], FS::Accepted, |m| m.accepted_at = Set(Some(now))).await?;
            let message = format!("{code} accepted its part of {}", order.number);
            follow(&txn, &order, actor, "FULFILLMENT_ACCEPTED", message).await?;
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
            let message = format!("{}'s shipment from {code} was delivered", order.number);
            follow(&txn, &order, actor, "FULFILLMENT_DELIVERED", message).await?;
            fo
        }
        Action::ReadyForPickup => {
            if order.delivery_method != "PICKUP" {
                return Err(DomainError::rejected(
                    &["fulfillmentOrderId"],
                    ErrorCode::InvalidState,
                    "this order is not for pickup",
                ));
            }
            // From the store's own shelves (accepted or packed), or shipped in from elsewhere.
            let from: &[FS] =
                if fo.ship_to_location_id.is_some() { &[FS::Shipped] } else { &[FS::Accepted, FS::Packed] };
            let code_for_customer = format!("{:06}", rand::rng().random_range(0..1_000_000));
            let fo = move_fo(&txn, &fo, from, FS::ReadyForPickup, |m| {
                m.pickup_code = Set(Some(code_for_customer.clone()));
                m.pickup_attempts = Set(0);
            })
            .await?;
            follow(&txn, &order, actor, "READY_FOR_PICKUP", format!("{} is ready for pickup", order.number)).await?;
            fo
        }
        Action::CompletePickup { pickup_code } => {
            if FS::parse(&fo.status) != Some(FS::ReadyForPickup) {
                return Err(DomainError::rejected(
                    &["fulfillmentOrderId"],
                    ErrorCode::InvalidState,
                    "the fulfilment order is not ready for pickup",
                ));
            }
            if fo.pickup_attempts >= MAX_PICKUP_ATTEMPTS {
                return Err(DomainError::rejected(
                    &["pickupCode"],
                    ErrorCode::PickupCodeLocked,
                    "too many wrong codes were tried: ask staff to check the customer's identity and reset the code",
                ));
            }
            if fo.pickup_code.as_deref() != Some(pickup_code.trim()) {
                return Err(wrong_pickup_code(txn, &fo).await);
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
        Action::ResetPickupCode => {
            let fo =
                move_fo(&txn, &fo, &[FS::ReadyForPickup], FS::ReadyForPickup, |m| m.pickup_attempts = Set(0)).await?;
            let message = format!("The pickup code of {} was unlocked by staff", order.number);
            follow(&txn, &order, actor, "PICKUP_CODE_RESET", message).await?;
            fo
        }
        Action::Reject { reason, short } => {
            let reason = validate::text(&["reason"], &reason, 500).map_err(|e| DomainError::Rejected(vec![e]))?;
            let fo = move_fo(&txn, &fo, &[FS::Released, FS::Accepted, FS::Packed], FS::Rejected, |m| {
                m.reject_reason = Set(Some(reason.clone()))
            })
            .await?;
            freed = reroute(&txn, &fo, &order, actor, &code, &reason, &short).await?;
            fo
        }
    };
    txn.commit().await?;
    Ok(Acted { fulfillment_order: updated, freed })
}

/// Counts a wrong pickup code and commits the count (the caller's answer is a refusal, but the
/// guess must still count), then says how many tries are left.
async fn wrong_pickup_code(txn: DatabaseTransaction, fo: &fulfillment_order::Model) -> DomainError {
    use fulfillment_order::Column as F;
    let counted = fulfillment_order::Entity::update_many()
        .col_expr(F::PickupAttempts, Expr::col(F::PickupAttempts).add(1))
        .filter(F::Id.eq(fo.id))
        .exec(&txn)
        .await;
    if let Err(e) = counted {
        return e.into();
    }
    if let Err(e) = txn.commit().await {
        return e.into();
    }
    let left = MAX_PICKUP_ATTEMPTS - fo.pickup_attempts - 1;
    DomainError::rejected(
        &["pickupCode"],
        ErrorCode::InvalidPickupCode,
        format!("the pickup code is wrong ({left} tries left before it locks)"),
    )
}

/// Checks the short picks of a rejection against what the fulfilment order holds and turns the
/// held lines into what is given back: every unit released, the missing ones written off.
fn givebacks_for(
    held: &[fulfillment_order_line::Model],
    order_lines: &HashMap<Uuid, order_line::Model>,
    short: &[(String, i32)],
) -> DomainResult<Vec<Giveback>> {
    let mut items: Vec<Giveback> = held
        .iter()
        .map(|h| Giveback { level_id: h.inventory_level_id, quantity: h.quantity, written_off: 0 })
        .collect();
    let sku_of = |h: &fulfillment_order_line::Model| order_lines.get(&h.order_line_id).map(|l| l.sku.as_str());
    let mut problems = crate::error::Problems::default();
    for (i, (sku, quantity)) in short.iter().enumerate() {
        let room: i32 = held
            .iter()
            .zip(&items)
            .filter(|(h, _)| sku_of(h) == Some(sku.as_str()))
            .map(|(_, g)| g.quantity - g.written_off)
            .sum();
        if *quantity < 1 || *quantity > room {
            problems.push(UserError::at(
                "shortQuantities",
                i,
                "quantity",
                ErrorCode::InvalidInput,
                format!(
                    "this fulfilment order holds {room} more unit(s) of {sku} that could be missing, not {quantity}"
                ),
            ));
            continue;
        }
        let mut missing = *quantity;
        for (h, g) in held.iter().zip(items.iter_mut()) {
            if sku_of(h) == Some(sku.as_str()) && missing > 0 {
                let take = std::cmp::min(missing, g.quantity - g.written_off);
                g.written_off += take;
                missing -= take;
            }
        }
    }
    problems.into_result()?;
    Ok(items)
}

/// A rejected fulfilment order: its reservation is given back (short picks written off), and its
/// lines are routed again without any location that rejected this order before, in one pass
/// over the levels. What nothing can fill is backordered, and the order records why. Returns
/// the products whose stock was freed.
async fn reroute(
    txn: &DatabaseTransaction,
    fo: &fulfillment_order::Model,
    order: &order::Model,
    actor: &Actor,
    code: &str,
    reason: &str,
    short: &[(String, i32)],
) -> DomainResult<Vec<Uuid>> {
    let held = held_lines(txn, fo.id).await?;
    let order_lines: HashMap<Uuid, order_line::Model> = order_line::Entity::find()
        .filter(order_line::Column::Id.is_in(held.iter().map(|l| l.order_line_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let givebacks = Givebacks {
        items: givebacks_for(&held, &order_lines, short)?,
        cause: Cause {
            reason: Some(format!("rejected by {code}: {reason}")),
            reference: Some(order.number.clone()),
            order_id: Some(order.id),
        },
        write_off_cause: Cause {
            reason: Some(format!("short pick at {code}: {reason}")),
            reference: Some(order.number.clone()),
            order_id: Some(order.id),
        },
    };
    let message = format!("{code} rejected its part of {}: {reason}", order.number);
    record_event(txn, order.id, "FULFILLMENT_REJECTED", actor, message, None).await?;

    // What to route again, per order line and per product.
    let needs: Vec<LineNeed> = held
        .iter()
        .filter_map(|h| {
            let l = order_lines.get(&h.order_line_id)?;
            Some(LineNeed { line_id: l.id, product_id: l.product_id, quantity: h.quantity })
        })
        .collect();
    let request = routing::Request {
        demands: demands_of(&needs, &order_lines),
        destination: destination_of(order),
        channel: order.channel.clone(),
        allow_split: order.allow_split,
        excluded: rejected_locations(txn, order.id).await?,
    };
    let decision = plan_and_reserve(txn, &request, order.id, actor, Some(&givebacks), |_| Ok(true))
        .await?
        .ok_or_else(|| DomainError::rejected(&[], ErrorCode::OutOfStock, "nothing could re-route this order"))?;
    routing::record_decision(txn, order.id, routing::trigger::REROUTE, &decision).await?;
    let ship_to = match decision.mode {
        routing::Mode::ShipToStore => order.pickup_location_id,
        _ => None,
    };
    create_fulfillment_orders(
        txn,
        order.id,
        &decision.allocations,
        &needs,
        status_for_new_work(order),
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
    follow(txn, order, actor, kind, decision.summary.clone()).await?;
    let mut freed: Vec<Uuid> = needs.iter().map(|n| n.product_id).collect();
    freed.sort();
    freed.dedup();
    Ok(freed)
}

/// Units per product (lines of one SKU add up), with the SKU for explanations.
pub(crate) fn demands_of(needs: &[LineNeed], order_lines: &HashMap<Uuid, order_line::Model>) -> Vec<Demand> {
    let mut demand: BTreeMap<Uuid, (String, i32)> = BTreeMap::new();
    for n in needs {
        let sku = order_lines.get(&n.line_id).map(|l| l.sku.clone()).unwrap_or_default();
        let entry = demand.entry(n.product_id).or_insert((sku, 0));
        entry.1 = entry.1.saturating_add(n.quantity);
    }
    demand.into_iter().map(|(product_id, (sku, quantity))| Demand { product_id, sku, quantity }).collect()
}

/// Where an order's goods go: its pickup store, or its shipping address.
pub(crate) fn destination_of(order: &order::Model) -> Destination {
    match order.pickup_location_id {
        Some(store) => Destination::Pickup { location_id: store },
        None => Destination::Ship { point: order.ship_latitude.zip(order.ship_longitude) },
    }
}

/// Every location that rejected part of this order: it is not asked again.
pub(crate) async fn rejected_locations<C: ConnectionTrait>(db: &C, order_id: Uuid) -> DomainResult<Vec<Uuid>> {
    Ok(fulfillment_order::Entity::find()
        .filter(fulfillment_order::Column::OrderId.eq(order_id))
        .filter(fulfillment_order::Column::Status.eq(FS::Rejected.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.location_id)
        .collect())
}

/// The status of fulfilment orders created for an order after it was placed: released at once
/// once the order is confirmed.
pub(crate) fn status_for_new_work(order: &order::Model) -> FS {
    if order.status == OrderStatus::Pending.as_str() { FS::Pending } else { FS::Released }
}

/// Fulfilment orders an associate's locations (or staff) work on, oldest first, by status: one
/// page at a time (keyset on the time-ordered id), so a location's long history never comes
/// back in one answer.
pub async fn list_for_locations(
    db: &DatabaseConnection,
    actor: &Actor,
    location_code: Option<&str>,
    status: Option<FS>,
    page: crate::pagination::PageRequest,
) -> DomainResult<crate::pagination::Page<fulfillment_order::Model>> {
    let limit = page.limit()?;
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
    if let Some(after) = page.after {
        query = query.filter(fulfillment_order::Column::Id.gt(after));
    }
    if let Some(s) = status {
        query = query.filter(fulfillment_order::Column::Status.eq(s.as_str()));
    }
    let rows = sea_orm::QuerySelect::limit(query, limit + 1).all(db).await?;
    Ok(crate::pagination::into_page(rows, limit))
}
