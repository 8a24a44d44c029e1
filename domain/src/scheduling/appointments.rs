//! Moving, cancelling and completing appointments, and what an order's cancellation gives back.
//! Every change locks the order first (`crate::locks`), then the slot counters in (template,
//! day) order, and moves the order's version on, so an agent and the customer cannot both move
//! one appointment into the last place.
use chrono::{Duration, Utc};
use entities::{appointment, order, order_line, product};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::booking::{AppointmentStatus, check_slot, give_back, hold_release_until, take_place};
use crate::auth::{Actor, Role};
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::jobs::{Job, NotificationEvent};
use crate::orders::{OrderEventKind, OrderStatus, record_event};
use crate::{locks, outbox, validate};

/// The appointment and its order, locked, if `actor` may act on it as a customer or staff;
/// anyone else is told it does not exist.
async fn lock_for(
    txn: &DatabaseTransaction,
    actor: &Actor,
    appointment_id: Uuid,
) -> DomainResult<(appointment::Model, order::Model)> {
    let missing = || DomainError::not_found(&["appointmentId"], "appointment");
    let found = appointment::Entity::find_by_id(appointment_id).one(txn).await?.ok_or_else(missing)?;
    let order = locks::order(txn, found.order_id).await?.ok_or_else(missing)?;
    if !actor.may_see_customer(order.customer_id) {
        return Err(missing());
    }
    // Read again under the order's lock: it only changes under that lock.
    let current = appointment::Entity::find_by_id(appointment_id).one(txn).await?.ok_or_else(missing)?;
    Ok((current, order))
}

/// A customer moves or cancels a booked appointment only until the location's cut-off before
/// it; staff at any time.
async fn check_cutoff(txn: &DatabaseTransaction, actor: &Actor, current: &appointment::Model) -> DomainResult<()> {
    if actor.is_staff() || current.status != AppointmentStatus::Booked {
        return Ok(());
    }
    let (Some(starts_at), Some(location_id)) = (current.starts_at, current.location_id) else { return Ok(()) };
    let hours = entities::location_calendar::Entity::find_by_id(location_id)
        .one(txn)
        .await?
        .map_or(super::calendar::DEFAULT_CUTOFF_HOURS, |c| c.cutoff_hours);
    if Utc::now() + Duration::hours(i64::from(hours)) > starts_at {
        return Err(DomainError::rejected(
            &["appointmentId"],
            ErrorCode::AppointmentCutoffPassed,
            format!("appointments can be changed online until {hours} hours before they start: please call us"),
        ));
    }
    Ok(())
}

/// Moves the order's version on, records the change and tells the customer.
async fn changed(
    txn: &DatabaseTransaction,
    actor: &Actor,
    order: &order::Model,
    kind: OrderEventKind,
    message: String,
) -> DomainResult<()> {
    order::Entity::update_many()
        .col_expr(order::Column::Version, Expr::col(order::Column::Version).add(1))
        .col_expr(order::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(order::Column::Id.eq(order.id))
        .exec(txn)
        .await?;
    record_event(txn, order.id, kind, actor, message, None).await?;
    if kind != OrderEventKind::AppointmentCompleted {
        outbox::enqueue_job(
            txn,
            &Job::notify_version(order.id, NotificationEvent::AppointmentBooked, order.version + 1),
        )
        .await?;
    }
    Ok(())
}

/// Books an appointment into another slot (or books an unscheduled or cancelled one). The new
/// place is taken before the old one is given back, counters in (template, day) order; a full
/// or unbookable slot refuses the move and nothing changes.
pub async fn reschedule_appointment(
    db: &DatabaseConnection,
    actor: &Actor,
    appointment_id: Uuid,
    slot_id: &str,
) -> DomainResult<appointment::Model> {
    if !actor.is_staff() && actor.own_customer().is_none() {
        return Err(DomainError::Forbidden);
    }
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let (current, order) = lock_for(&txn, actor, appointment_id).await?;
        if current.status == AppointmentStatus::Completed || order.status == OrderStatus::Cancelled {
            return Err(DomainError::rejected(
                &["appointmentId"],
                ErrorCode::InvalidState,
                format!("the appointment is {} and its order {}", current.status, order.status),
            ));
        }
        check_cutoff(&txn, actor, &current).await?;
        let line_product = product_of(&txn, current.order_line_id).await?;
        let (slot, cal) =
            match check_slot(&txn, slot_id, line_product.as_ref().and_then(|p| p.service_type.as_deref()), Utc::now())
                .await?
            {
                Ok(found) => found,
                Err(why) => return Err(DomainError::rejected(&["slotId"], ErrorCode::SlotUnavailable, why)),
            };
        let held = match (current.status, current.template_id, current.day) {
            (AppointmentStatus::Booked, Some(t), Some(d)) => Some((t, d)),
            _ => None,
        };
        if held == Some((slot.template_id, slot.day)) {
            return Ok(current);
        }
        let full = || {
            DomainError::rejected(
                &["slotId"],
                ErrorCode::SlotFull,
                format!("the slot of {} is full: choose another", slot.day),
            )
        };
        // Lock order: the lower (template, day) counter first.
        match held {
            Some(old) if old < (slot.template_id, slot.day) => {
                give_back(&txn, old.0, old.1).await?;
                if !take_place(&txn, &slot).await? {
                    return Err(full());
                }
            }
            Some(old) => {
                if !take_place(&txn, &slot).await? {
                    return Err(full());
                }
                give_back(&txn, old.0, old.1).await?;
            }
            None => {
                if !take_place(&txn, &slot).await? {
                    return Err(full());
                }
            }
        }
        let mut model: appointment::ActiveModel = current.clone().into();
        model.location_id = Set(Some(slot.location_id));
        model.template_id = Set(Some(slot.template_id));
        model.day = Set(Some(slot.day));
        model.starts_at = Set(Some(slot.starts_at));
        model.ends_at = Set(Some(slot.ends_at));
        model.status = Set(AppointmentStatus::Booked);
        model.updated_at = Set(Utc::now());
        let updated = model.update(&txn).await?;
        hold_release_until(&txn, current.order_line_id, slot.day - Duration::days(i64::from(cal.settings.lead_days)))
            .await?;
        let message = format!("Appointment moved to {} at {}", slot.starts_at.to_rfc3339(), cal.location.code);
        let kind =
            if held.is_some() { OrderEventKind::AppointmentRescheduled } else { OrderEventKind::AppointmentBooked };
        changed(&txn, actor, &order, kind, message).await?;
        txn.commit().await?;
        Ok(updated)
    })
    .await
}

/// Cancels an appointment, giving its place back. The line stays on the order, waiting for a new
/// slot (`reschedule_appointment` books it again).
pub async fn cancel_appointment(
    db: &DatabaseConnection,
    actor: &Actor,
    appointment_id: Uuid,
) -> DomainResult<appointment::Model> {
    if !actor.is_staff() && actor.own_customer().is_none() {
        return Err(DomainError::Forbidden);
    }
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let (current, order) = lock_for(&txn, actor, appointment_id).await?;
        if !matches!(current.status, AppointmentStatus::Booked | AppointmentStatus::Unscheduled) {
            return Err(DomainError::rejected(
                &["appointmentId"],
                ErrorCode::InvalidState,
                format!("the appointment is {}", current.status),
            ));
        }
        check_cutoff(&txn, actor, &current).await?;
        let updated = cancel_one(&txn, &current).await?;
        changed(&txn, actor, &order, OrderEventKind::AppointmentCancelled, "Appointment cancelled".to_owned()).await?;
        txn.commit().await?;
        Ok(updated)
    })
    .await
}

async fn cancel_one(txn: &DatabaseTransaction, current: &appointment::Model) -> DomainResult<appointment::Model> {
    if let (AppointmentStatus::Booked, Some(t), Some(d)) = (current.status, current.template_id, current.day) {
        give_back(txn, t, d).await?;
    }
    let mut model: appointment::ActiveModel = current.clone().into();
    model.status = Set(AppointmentStatus::Cancelled);
    model.updated_at = Set(Utc::now());
    Ok(model.update(txn).await?)
}

/// An order ended (cancelled, expired): its open appointments are cancelled and their places
/// given back. Under the order's lock, taken by the caller.
pub(crate) async fn release_for_order(txn: &DatabaseTransaction, order_id: Uuid) -> DomainResult<()> {
    let mut open = appointment::Entity::find()
        .filter(appointment::Column::OrderId.eq(order_id))
        .filter(appointment::Column::Status.is_in([AppointmentStatus::Booked, AppointmentStatus::Unscheduled]))
        .all(txn)
        .await?;
    open.sort_by_key(|a| (a.template_id, a.day));
    for a in &open {
        cancel_one(txn, a).await?;
    }
    Ok(())
}

/// An associate of the appointment's location (or staff) records it done, with the name the
/// customer signed. A service line is fulfilled only by this: its units count as delivered, and
/// the order's status follows.
pub async fn complete_appointment(
    db: &DatabaseConnection,
    actor: &Actor,
    appointment_id: Uuid,
    signed_by: &str,
) -> DomainResult<appointment::Model> {
    let signed_by = validate::text(&["signedBy"], signed_by, 200).map_err(|e| DomainError::Rejected(vec![e]))?;
    let signed_by = signed_by.as_str();
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let missing = || DomainError::not_found(&["appointmentId"], "appointment");
        let found = appointment::Entity::find_by_id(appointment_id).one(&txn).await?.ok_or_else(missing)?;
        let order = locks::order(&txn, found.order_id).await?.ok_or_else(missing)?;
        let current = appointment::Entity::find_by_id(appointment_id).one(&txn).await?.ok_or_else(missing)?;
        let code = match current.location_id {
            Some(id) => crate::locations::find_by_ids(&txn, &[id]).await?.into_iter().next().map(|l| l.code),
            None => None,
        };
        let associate = actor.role() == Some(Role::Associate) && code.as_deref().is_some_and(|c| actor.may_see_location(c));
        if !actor.is_staff() && !associate {
            return Err(missing());
        }
        if current.status != AppointmentStatus::Booked || !matches!(order.status, OrderStatus::Confirmed | OrderStatus::PartiallyShipped | OrderStatus::Shipped | OrderStatus::Delivered) {
            return Err(DomainError::rejected(
                &["appointmentId"],
                ErrorCode::InvalidState,
                format!("the appointment is {} and its order {}: only a booked appointment of a confirmed order is completed", current.status, order.status),
            ));
        }
        let mut model: appointment::ActiveModel = current.clone().into();
        model.status = Set(AppointmentStatus::Completed);
        model.signed_by = Set(Some(signed_by.to_owned()));
        model.completed_at = Set(Some(Utc::now()));
        model.updated_at = Set(Utc::now());
        let updated = model.update(&txn).await?;
        let line = order_line::Entity::find_by_id(current.order_line_id).one(&txn).await?;
        if let Some(line) = line.filter(|l| l.product_kind == entities::enums::ProductKind::Service) {
            use order_line::Column as L;
            order_line::Entity::update_many()
                // Its units move from allocated to done, as shipping moves physical ones.
                .col_expr(L::ShippedQuantity, Expr::col(L::ShippedQuantity).add(Expr::col(L::AllocatedQuantity)))
                .col_expr(L::AllocatedQuantity, Expr::value(0))
                .filter(L::Id.eq(line.id))
                .exec(&txn)
                .await?;
        }
        let message = format!("Appointment completed, signed by {signed_by}");
        crate::fulfillment::follow(&txn, &order, actor, OrderEventKind::AppointmentCompleted, message).await?;
        txn.commit().await?;
        Ok(updated)
    })
    .await
}

async fn product_of<C: ConnectionTrait>(db: &C, line_id: Uuid) -> DomainResult<Option<product::Model>> {
    let Some(line) = order_line::Entity::find_by_id(line_id).one(db).await? else { return Ok(None) };
    Ok(product::Entity::find_by_id(line.product_id).one(db).await?)
}

/// The appointments of these orders, by order and line. Callers check access to the orders.
pub async fn for_orders<C: ConnectionTrait>(db: &C, order_ids: &[Uuid]) -> DomainResult<Vec<appointment::Model>> {
    Ok(appointment::Entity::find()
        .filter(appointment::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(appointment::Column::OrderId)
        .order_by_asc(appointment::Column::Id)
        .all(db)
        .await?)
}

/// The statuses a confirmed order's service appointments count as, beside its fulfilment
/// orders: open work until completed, delivered once completed.
pub(crate) async fn service_progress<C: ConnectionTrait>(
    db: &C,
    order_id: Uuid,
) -> DomainResult<Vec<crate::orders::FulfillmentStatus>> {
    use crate::orders::FulfillmentStatus as FS;
    let service_lines: Vec<Uuid> = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order_id))
        .filter(order_line::Column::ProductKind.eq(entities::enums::ProductKind::Service))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    if service_lines.is_empty() {
        return Ok(Vec::new());
    }
    Ok(appointment::Entity::find()
        .filter(appointment::Column::OrderLineId.is_in(service_lines))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|a| match a.status {
            AppointmentStatus::Booked | AppointmentStatus::Unscheduled => Some(FS::Accepted),
            AppointmentStatus::Completed => Some(FS::Delivered),
            AppointmentStatus::Cancelled => None,
        })
        .collect())
}
