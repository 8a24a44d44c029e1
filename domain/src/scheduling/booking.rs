//! Booking a place in a slot: the same no-oversell discipline as stock. The (weekly slot, day)
//! counter row is inserted once if absent (racing first bookings insert it once), then one
//! conditional update (`booked = booked + 1 WHERE booked < capacity`) takes the place; its
//! `rows_affected` says who won. On PostgreSQL the loser waits on the row lock and re-reads the
//! count; on SQLite writers are serialised. A transaction takes its counters in (template, day)
//! order, after everything else it locks (see `crate::locks`), so two bookings never deadlock.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::{appointment, fulfillment_order, fulfillment_order_line, product, slot_booking, slot_template};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::calendar::{self, Calendar};
use super::slots::{Slot, SlotId, opens_on, serves, slot_on};
use super::time;
use crate::error::{DomainResult, ErrorCode, UserError};

pub use entities::enums::AppointmentStatus;

/// What to do with a line whose chosen slot is full.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum FullSlotPolicy {
    /// Refuse the order (SLOT_FULL), writing nothing.
    #[default]
    Refuse,
    /// Take the order; the line's appointment stays UNSCHEDULED for an agent or the customer to
    /// book later.
    LeaveUnscheduled,
}

/// The slot and its calendar when `slot_id` can be booked now by a product needing
/// `service_type`; else why not, in words for the caller.
pub(crate) async fn check_slot<C: ConnectionTrait>(
    db: &C,
    slot_id: &str,
    service_type: Option<&str>,
    now: DateTime<Utc>,
) -> DomainResult<Result<(Slot, Calendar), String>> {
    let Some(id) = SlotId::parse(slot_id) else {
        return Ok(Err(format!("'{slot_id}' is not a slot id")));
    };
    let Some(template) = slot_template::Entity::find_by_id(id.template_id).one(db).await? else {
        return Ok(Err("no such slot".to_owned()));
    };
    let Some(location) = crate::locations::find_by_code(db, &id.location_code).await? else {
        return Ok(Err("no such slot".to_owned()));
    };
    if location.id != template.location_id {
        return Ok(Err("no such slot".to_owned()));
    }
    let Some(cal) = calendar::load(db, location).await? else {
        return Ok(Err("the location takes no appointments".to_owned()));
    };
    if !template.active || !opens_on(&cal, &template, id.day) {
        return Ok(Err(format!("the location has no such slot on {}", id.day)));
    }
    let earliest = time::local_today(cal.zone, now) + Duration::days(i64::from(cal.settings.lead_days));
    let slot = slot_on(&cal, &template, id.day, 0);
    if id.day < earliest || slot.starts_at <= now {
        return Ok(Err(format!("slots at {} can be booked from {earliest} on", cal.location.code)));
    }
    if !serves(template.service_type.as_deref(), service_type) {
        return Ok(Err(format!(
            "the slot serves {}, not {}",
            template.service_type.as_deref().unwrap_or("any service"),
            service_type.unwrap_or("this product")
        )));
    }
    Ok(Ok((slot, cal)))
}

/// Takes one place in (template, day) if one is left; answers whether it did.
pub(crate) async fn take_place<C: ConnectionTrait>(txn: &C, slot: &Slot) -> DomainResult<bool> {
    slot_booking::Entity::insert(slot_booking::ActiveModel {
        template_id: Set(slot.template_id),
        day: Set(slot.day),
        booked: Set(0),
    })
    .on_conflict_do_nothing_on([slot_booking::Column::TemplateId, slot_booking::Column::Day])
    .exec_without_returning(txn)
    .await?;
    let result = slot_booking::Entity::update_many()
        .col_expr(slot_booking::Column::Booked, Expr::col(slot_booking::Column::Booked).add(1))
        .filter(slot_booking::Column::TemplateId.eq(slot.template_id))
        .filter(slot_booking::Column::Day.eq(slot.day))
        .filter(slot_booking::Column::Booked.lt(slot.capacity))
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Gives back the place an appointment held.
pub(crate) async fn give_back<C: ConnectionTrait>(txn: &C, template_id: Uuid, day: NaiveDate) -> DomainResult<()> {
    slot_booking::Entity::update_many()
        .col_expr(slot_booking::Column::Booked, Expr::col(slot_booking::Column::Booked).sub(1))
        .filter(slot_booking::Column::TemplateId.eq(template_id))
        .filter(slot_booking::Column::Day.eq(day))
        .filter(slot_booking::Column::Booked.gt(0))
        .exec(txn)
        .await?;
    Ok(())
}

/// One line of a new order (or an order change) that needs an appointment.
pub(crate) struct Wanted<'a> {
    /// Where its slot was asked for, for errors (`lines.<i>.slotId`).
    pub(crate) field: Vec<String>,
    pub(crate) line_id: Uuid,
    pub(crate) product: &'a product::Model,
    pub(crate) slot_id: Option<&'a str>,
}

/// Books the appointments of an order's new lines inside its transaction, after its stock and
/// fulfilment orders: a line with a bookable slot gets a BOOKED appointment, one without a slot
/// an UNSCHEDULED one. A slot that cannot be booked refuses the order (SLOT_UNAVAILABLE); a full
/// one too (SLOT_FULL) unless `policy` leaves the line unscheduled. Every problem is reported at
/// once. Answers the appointments written.
pub(crate) async fn book_lines(
    txn: &DatabaseTransaction,
    order_id: Uuid,
    wanted: &[Wanted<'_>],
    policy: FullSlotPolicy,
) -> DomainResult<Vec<appointment::Model>> {
    let now = Utc::now();
    let mut errors = Vec::new();
    let mut resolved: Vec<(&Wanted<'_>, Option<(Slot, i32)>)> = Vec::new();
    for w in wanted {
        let Some(slot_id) = w.slot_id else {
            resolved.push((w, None));
            continue;
        };
        match check_slot(txn, slot_id, w.product.service_type.as_deref(), now).await? {
            Ok((slot, cal)) => resolved.push((w, Some((slot, cal.settings.lead_days)))),
            Err(why) => {
                errors.push(UserError { field: w.field.clone(), code: ErrorCode::SlotUnavailable, message: why })
            }
        }
    }
    if !errors.is_empty() {
        return Err(crate::DomainError::Rejected(errors));
    }
    // Counters in (template, day) order: the lock order.
    let mut order: Vec<usize> = (0..resolved.len()).collect();
    order.sort_by_key(|i| resolved.get(*i).and_then(|(_, s)| s.as_ref().map(|(s, _)| (s.template_id, s.day))));
    let mut booked = vec![false; resolved.len()];
    for i in order {
        let Some((w, Some((slot, _)))) = resolved.get(i) else { continue };
        if take_place(txn, slot).await? {
            if let Some(b) = booked.get_mut(i) {
                *b = true;
            }
        } else if policy == FullSlotPolicy::Refuse {
            errors.push(UserError {
                field: w.field.clone(),
                code: ErrorCode::SlotFull,
                message: format!("the slot of {} at {} is full: choose another", slot.day, slot.id.location_code),
            });
        }
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(crate::DomainError::Rejected(errors));
    }
    let mut written = Vec::new();
    for ((w, slot), took) in resolved.iter().zip(booked) {
        let slot = slot.as_ref().filter(|_| took);
        let row = appointment::ActiveModel {
            id: Set(Uuid::now_v7()),
            order_id: Set(order_id),
            order_line_id: Set(w.line_id),
            location_id: Set(slot.map(|(s, _)| s.location_id)),
            template_id: Set(slot.map(|(s, _)| s.template_id)),
            day: Set(slot.map(|(s, _)| s.day)),
            starts_at: Set(slot.map(|(s, _)| s.starts_at)),
            ends_at: Set(slot.map(|(s, _)| s.ends_at)),
            service_type: Set(w.product.service_type.clone()),
            status: Set(if slot.is_some() { AppointmentStatus::Booked } else { AppointmentStatus::Unscheduled }),
            signed_by: Set(None),
            completed_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
        if let Some((s, lead)) = slot {
            hold_release_until(txn, w.line_id, s.day - Duration::days(i64::from(*lead))).await?;
        }
        written.push(row);
    }
    Ok(written)
}

/// The goods of `line_id` are released to their location on `day` (the slot's day less the lead
/// days), not at confirmation: the fulfilment orders holding them wait.
pub(crate) async fn hold_release_until(txn: &DatabaseTransaction, line_id: Uuid, day: NaiveDate) -> DomainResult<()> {
    let fo_ids: Vec<Uuid> = fulfillment_order_line::Entity::find()
        .filter(fulfillment_order_line::Column::OrderLineId.eq(line_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| l.fulfillment_order_id)
        .collect();
    if fo_ids.is_empty() {
        return Ok(());
    }
    fulfillment_order::Entity::update_many()
        .col_expr(fulfillment_order::Column::ReleaseOn, Expr::value(Some(day)))
        .filter(fulfillment_order::Column::Id.is_in(fo_ids))
        .filter(fulfillment_order::Column::Status.eq(crate::orders::FulfillmentStatus::Pending))
        .exec(txn)
        .await?;
    Ok(())
}
