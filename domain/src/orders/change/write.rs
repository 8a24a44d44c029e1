//! Writing a change: fulfilment orders shrunk or cancelled, lines edited and added, new
//! fulfilment orders for what was routed, the order re-priced with its status derived and its
//! version moved on, the routing decision, the timeline and the customer's email.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{fulfillment_order, fulfillment_order_line, order, order_line};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use super::lines::{Current, Plan};
use super::price::Priced;
use super::route::line_needs;
use crate::auth::Actor;
use crate::error::DomainResult;
use crate::fulfillment::{create_fulfillment_orders, follow, status_for_new_work};
use crate::jobs::{Job, NotificationEvent};
use crate::orders::{FulfillmentStatus, OrderEventKind, record_event};
use crate::routing::{self, Decision};

/// Everything decided about the change, ready to be written.
pub(super) struct Decided<'a> {
    /// A change, or a partial cancellation: which timeline entry and email it leaves.
    pub(super) intent: &'a super::Intent,
    /// The order as locked and read: its status and version before the change.
    pub(super) order: &'a order::Model,
    /// The order as it will be (address, delivery, promotion, totals).
    pub(super) changed: &'a order::Model,
    pub(super) current: &'a Current,
    pub(super) plan: &'a Plan,
    pub(super) decision: Option<&'a Decision>,
    pub(super) priced: &'a Priced,
    /// What changed, in words, for the timeline.
    pub(super) message: String,
}

pub(super) async fn write(
    txn: &DatabaseTransaction,
    actor: &Actor,
    d: Decided<'_>,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let Decided { intent, order, changed, current, plan, decision, priced, message } = d;
    let (kind, email) = match intent {
        super::Intent::Change => (OrderEventKind::OrderChanged, NotificationEvent::OrderChanged),
        super::Intent::Cancel { .. } => (OrderEventKind::OrderPartlyCancelled, NotificationEvent::OrderPartlyCancelled),
    };
    shrink_fulfillment_orders(txn, current, plan, now).await?;
    write_lines(txn, current, plan).await?;
    if let Some(decision) = decision {
        let ship_to = match decision.mode {
            routing::Mode::ShipToStore => changed.pickup_location_id,
            _ => None,
        };
        let reference = crate::reference::current(txn).await?;
        create_fulfillment_orders(
            txn,
            &reference,
            order.id,
            &decision.allocations,
            &line_needs(&plan.needs),
            status_for_new_work(order),
            &priced.new_shipping,
            ship_to,
            now,
            None,
        )
        .await?;
        routing::record_decision(txn, order.id, routing::trigger::ORDER_CHANGE, decision).await?;
    }
    // Every column as the change leaves it; the status and version follow below.
    let mut row = changed.clone().into_active_model().reset_all();
    row.updated_at = sea_orm::Set(now);
    row.update(txn).await?;
    follow(txn, order, actor, kind, message).await?;

    if let Some(decision) = decision.filter(|d| !d.is_complete()) {
        let short: Vec<String> = decision.shortfalls.iter().map(|s| format!("{} × {}", s.quantity, s.sku)).collect();
        let message = format!("Backordered until stock arrives: {}", short.join(", "));
        record_event(txn, order.id, OrderEventKind::Backordered, actor, message, None).await?;
        crate::outbox::enqueue_job(txn, &Job::notify(order.id, NotificationEvent::OrderBackordered)).await?;
    }
    // `follow` moved the version on by one: the email is about that version.
    let job = Job::notify_version(order.id, email, order.version + 1);
    crate::outbox::enqueue_job(txn, &job).await?;
    Ok(())
}

/// Cancels the fulfilment orders that give back every unit, and shrinks the others' lines
/// (a line left with none is deleted). Conditional on the status read under the order's lock.
async fn shrink_fulfillment_orders(
    txn: &DatabaseTransaction,
    current: &Current,
    plan: &Plan,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    use fulfillment_order::Column as F;
    for fo_id in &plan.emptied {
        let Some(fo) = current.fos.get(fo_id) else { continue };
        fulfillment_order::Entity::update_many()
            .col_expr(F::Status, Expr::value(FulfillmentStatus::Cancelled))
            .col_expr(F::UpdatedAt, Expr::value(now))
            .filter(F::Id.eq(fo.id))
            .filter(F::Status.eq(fo.status))
            .exec(txn)
            .await?;
    }
    for fo_line in &current.fo_lines {
        let released = plan.released.get(&fo_line.id).copied().unwrap_or(0);
        if released == 0 || plan.emptied.contains(&fo_line.fulfillment_order_id) {
            continue;
        }
        let left = fo_line.quantity - released;
        if left == 0 {
            fulfillment_order_line::Entity::delete_by_id(fo_line.id).exec(txn).await?;
        } else {
            fulfillment_order_line::Entity::update_many()
                .col_expr(fulfillment_order_line::Column::Quantity, Expr::value(left))
                .filter(fulfillment_order_line::Column::Id.eq(fo_line.id))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// Inserts the new lines and updates the edited ones, each priced over the units still ordered.
async fn write_lines(txn: &DatabaseTransaction, current: &Current, plan: &Plan) -> DomainResult<()> {
    let before: HashMap<Uuid, &order_line::Model> = current.lines.iter().map(|l| (l.id, l)).collect();
    for line in &plan.lines {
        let mut line = line.clone();
        line.line_total_minor =
            line.unit_price_minor.saturating_mul(i64::from(line.quantity - line.cancelled_quantity));
        match before.get(&line.id) {
            None => {
                line.into_active_model().reset_all().insert(txn).await?;
            }
            Some(old) if **old != line => {
                line.into_active_model().reset_all().update(txn).await?;
            }
            Some(_) => {}
        }
    }
    Ok(())
}
