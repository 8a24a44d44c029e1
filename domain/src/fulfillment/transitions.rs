//! The steps of a fulfilment order's life: accept, pack, ship, deliver, make ready for pickup,
//! hand over, reject. Each locks the order first and leaves the order's status derived from what
//! is committed.

use chrono::Utc;
use entities::{fulfillment_order, fulfillment_order_line, order, order_line};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::access::{Duty, authorise, location_code};
use super::rerouting::{Why, reroute};
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::inventory::{self, Cause};
use crate::jobs::{Job, NotificationEvent};
use crate::orders::{
    DeliveryMethod, FulfillmentStatus as FS, OrderEventKind, OrderStatus, derive_order_status, record_event,
};
use crate::outbox;
use crate::{locks, validate};

/// Wrong pickup codes tried before the code locks until staff reset it.
pub const MAX_PICKUP_ATTEMPTS: i32 = 5;

/// Moves a fulfilment order from one of `from` to `to`, or says why it cannot.
pub(super) async fn move_fo(
    txn: &DatabaseTransaction,
    fo: &fulfillment_order::Model,
    from: &[FS],
    to: FS,
    set: impl FnOnce(&mut fulfillment_order::ActiveModel),
) -> DomainResult<fulfillment_order::Model> {
    if !from.contains(&fo.status) {
        return Err(DomainError::rejected(
            &["fulfillmentOrderId"],
            ErrorCode::InvalidState,
            format!("the fulfilment order is {} and cannot become {}", fo.status, to.as_str()),
        ));
    }
    // Conditional on the status read under the order's lock: a second line of defence.
    let mut model: fulfillment_order::ActiveModel = fo.clone().into();
    model.status = Set(to);
    model.updated_at = Set(Utc::now());
    set(&mut model);
    let result = fulfillment_order::Entity::update_many()
        .set(model)
        .filter(fulfillment_order::Column::Id.eq(fo.id))
        .filter(fulfillment_order::Column::Status.eq(fo.status))
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
    kind: OrderEventKind,
    message: String,
) -> DomainResult<()> {
    let fos =
        fulfillment_order::Entity::find().filter(fulfillment_order::Column::OrderId.eq(order.id)).all(txn).await?;
    let mut live: Vec<FS> =
        fos.iter().map(|f| f.status).filter(|s| !matches!(s, FS::Rejected | FS::Cancelled)).collect();
    // A service line is fulfilled only by completing its appointment: it counts as open work
    // until then.
    live.extend(crate::scheduling::service_progress(txn, order.id).await?);
    let backordered = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .filter(order_line::Column::BackorderedQuantity.gt(0))
        .one(txn)
        .await?
        .is_some();
    let current = order.status;
    let status = if matches!(current, OrderStatus::Pending | OrderStatus::Cancelled) {
        current
    } else {
        derive_order_status(&live, backordered)
    };
    order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(status))
        .col_expr(order::Column::Version, Expr::col(order::Column::Version).add(1))
        .col_expr(order::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(order::Column::Id.eq(order.id))
        .exec(txn)
        .await?;
    record_event(txn, order.id, kind, actor, message, None).await?;
    if status != current {
        let notify = match status {
            OrderStatus::Shipped => Some(NotificationEvent::OrderShipped),
            OrderStatus::Delivered => Some(NotificationEvent::OrderDelivered),
            OrderStatus::ReadyForPickup => Some(NotificationEvent::ReadyForPickup),
            OrderStatus::PickedUp => Some(NotificationEvent::OrderPickedUp),
            _ => None,
        };
        if let Some(event) = notify {
            outbox::enqueue_job(txn, &Job::notify(order.id, event)).await?;
        }
    }
    Ok(())
}

/// The lines of a fulfilment order, by inventory level (the order levels are locked in).
pub(super) async fn held_lines<C: ConnectionTrait>(
    db: &C,
    fo_id: Uuid,
) -> DomainResult<Vec<fulfillment_order_line::Model>> {
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

/// Applies an action to a fulfilment order, in one transaction with the order's status, the
/// ledger, the timeline and the outbox. Stock a rejection frees is offered to backorders (a job).
#[tracing::instrument(skip(db, actor), fields(fulfillment_order_id = %fo_id))]
pub async fn act(
    db: &DatabaseConnection,
    actor: &Actor,
    fo_id: Uuid,
    action: Action,
) -> DomainResult<fulfillment_order::Model> {
    retry_once(|| act_once(db, actor, fo_id, action.clone())).await
}

async fn act_once(
    db: &DatabaseConnection,
    actor: &Actor,
    fo_id: Uuid,
    action: Action,
) -> DomainResult<fulfillment_order::Model> {
    let missing = || DomainError::not_found(&["fulfillmentOrderId"], "fulfilment order");
    let txn = begin_write(db).await?;
    let seen = fulfillment_order::Entity::find_by_id(fo_id).one(&txn).await?.ok_or_else(missing)?;
    authorise(&txn, actor, &seen, action.duty()).await?;
    let order = locks::order(&txn, seen.order_id).await?.ok_or_else(missing)?;
    // Read again under the order's lock: this is the state every other flow has committed.
    let fo = fulfillment_order::Entity::find_by_id(fo_id).one(&txn).await?.ok_or_else(missing)?;
    let code = location_code(&txn, fo.location_id).await?;
    let now = Utc::now();
    let updated = match action {
        Action::Accept => {
            let fo = move_fo(&txn, &fo, &[FS::Released], FS::Accepted, |m| m.accepted_at = Set(Some(now))).await?;
            let message = format!("{code} accepted its part of {}", order.number);
            follow(&txn, &order, actor, OrderEventKind::FulfillmentAccepted, message).await?;
            fo
        }
        Action::Pack => {
            let fo = move_fo(&txn, &fo, &[FS::Accepted], FS::Packed, |m| m.packed_at = Set(Some(now))).await?;
            follow(
                &txn,
                &order,
                actor,
                OrderEventKind::FulfillmentPacked,
                format!("{code} packed its part of {}", order.number),
            )
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
            follow(&txn, &order, actor, OrderEventKind::FulfillmentShipped, message).await?;
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
            follow(&txn, &order, actor, OrderEventKind::FulfillmentDelivered, message).await?;
            fo
        }
        Action::ReadyForPickup => {
            if order.delivery_method != DeliveryMethod::Pickup {
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
            follow(
                &txn,
                &order,
                actor,
                OrderEventKind::ReadyForPickup,
                format!("{} is ready for pickup", order.number),
            )
            .await?;
            fo
        }
        Action::CompletePickup { pickup_code } => {
            if fo.status != FS::ReadyForPickup {
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
            follow(
                &txn,
                &order,
                actor,
                OrderEventKind::PickedUp,
                format!("{} was handed over at the store", order.number),
            )
            .await?;
            fo
        }
        Action::ResetPickupCode => {
            let fo =
                move_fo(&txn, &fo, &[FS::ReadyForPickup], FS::ReadyForPickup, |m| m.pickup_attempts = Set(0)).await?;
            let message = format!("The pickup code of {} was unlocked by staff", order.number);
            follow(&txn, &order, actor, OrderEventKind::PickupCodeReset, message).await?;
            fo
        }
        Action::Reject { reason, short } => {
            let reason = validate::text(&["reason"], &reason, 500).map_err(|e| DomainError::Rejected(vec![e]))?;
            let fo = move_fo(&txn, &fo, &[FS::Released, FS::Accepted, FS::Packed], FS::Rejected, |m| {
                m.reject_reason = Set(Some(reason.clone()))
            })
            .await?;
            let why = Why {
                kind: OrderEventKind::FulfillmentRejected,
                message: format!("{code} rejected its part of {}: {reason}", order.number),
                release_reason: format!("rejected by {code}: {reason}"),
                write_off_reason: format!("short pick at {code}: {reason}"),
            };
            reroute(&txn, &fo, &order, actor, &why, &short).await?;
            fo
        }
    };
    txn.commit().await?;
    Ok(updated)
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
