//! Work an appointment brings on a schedule (the `appointments` tick): the reminder the day
//! before, and the release of goods held for a slot's day. Each acts on what is due now, so a
//! late or repeated tick does no harm: a reminder's job is deduplicated per order and day, and
//! a released fulfilment order is no longer pending.
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entities::{appointment, fulfillment_order};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::booking::AppointmentStatus;
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::DomainResult;
use crate::jobs::{Job, NotificationEvent};
use crate::orders::{FulfillmentStatus, OrderStatus};
use crate::{locks, outbox};

/// The reminder of an order's appointments on `day`: one per order and day, whatever the number
/// of ticks that see it (the number the dedupe key carries is the day, e.g. 20270326).
pub fn reminder(order_id: Uuid, day: NaiveDate) -> Job {
    let number = day.year() * 10_000 + i32::try_from(day.month() * 100 + day.day()).unwrap_or(0);
    Job::notify_version(order_id, NotificationEvent::AppointmentReminder, number)
}

/// Writes the reminder job of every booked appointment that is tomorrow at its location (local
/// day); answers how many orders were reminded (jobs already written count again, harmlessly).
pub async fn send_reminders(db: &DatabaseConnection, now: DateTime<Utc>) -> DomainResult<usize> {
    let utc_today = now.date_naive();
    // Local tomorrow is within a day of UTC's tomorrow in every zone.
    let booked = appointment::Entity::find()
        .filter(appointment::Column::Status.eq(AppointmentStatus::Booked))
        .filter(appointment::Column::Day.between(utc_today, utc_today + Duration::days(2)))
        .all(db)
        .await?;
    let mut zones: HashMap<Uuid, chrono_tz::Tz> = HashMap::new();
    let mut due: Vec<(Uuid, NaiveDate)> = Vec::new();
    for a in booked {
        let (Some(location_id), Some(day)) = (a.location_id, a.day) else { continue };
        let zone = match zones.get(&location_id) {
            Some(z) => *z,
            None => {
                let z = entities::location_calendar::Entity::find_by_id(location_id)
                    .one(db)
                    .await?
                    .and_then(|c| c.timezone.parse::<chrono_tz::Tz>().ok())
                    .unwrap_or(chrono_tz::Tz::UTC);
                zones.insert(location_id, z);
                z
            }
        };
        if day == super::time::local_today(zone, now) + Duration::days(1) && !due.contains(&(a.order_id, day)) {
            due.push((a.order_id, day));
        }
    }
    for (order_id, day) in &due {
        outbox::enqueue_job(db, &reminder(*order_id, *day)).await?;
    }
    Ok(due.len())
}

/// Releases to their locations the fulfilment orders of confirmed orders held for a slot whose
/// release day has come, one order per transaction under its lock; answers how many orders.
pub async fn release_held(db: &DatabaseConnection, now: DateTime<Utc>) -> DomainResult<usize> {
    let today = now.date_naive();
    let orders: Vec<Uuid> = fulfillment_order::Entity::find()
        .select_only()
        .column(fulfillment_order::Column::OrderId)
        .filter(fulfillment_order::Column::Status.eq(FulfillmentStatus::Pending))
        .filter(fulfillment_order::Column::ReleaseOn.lte(today))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let mut released = 0;
    for order_id in orders {
        if retry_once(|| release_one(db, order_id, now)).await? {
            released += 1;
        }
    }
    Ok(released)
}

async fn release_one(db: &DatabaseConnection, order_id: Uuid, now: DateTime<Utc>) -> DomainResult<bool> {
    let txn = begin_write(db).await?;
    let Some(current) = locks::order(&txn, order_id).await? else { return Ok(false) };
    // A pending order is released by its confirmation (which still holds these back); a
    // cancelled one is not released at all.
    if !matches!(current.status, OrderStatus::Confirmed | OrderStatus::PartiallyShipped) {
        return Ok(false);
    }
    // An open hold keeps everything back; its last release lets the goods go (on their day).
    if current.open_holds > 0 {
        return Ok(false);
    }
    let result = fulfillment_order::Entity::update_many()
        .col_expr(fulfillment_order::Column::Status, Expr::value(FulfillmentStatus::Released))
        .col_expr(fulfillment_order::Column::ReleasedAt, Expr::value(Some(now)))
        .col_expr(fulfillment_order::Column::UpdatedAt, Expr::value(now))
        .filter(fulfillment_order::Column::OrderId.eq(order_id))
        .filter(fulfillment_order::Column::Status.eq(FulfillmentStatus::Pending))
        .filter(fulfillment_order::Column::ReleaseOn.lte(now.date_naive()))
        .exec(&txn)
        .await?;
    if result.rows_affected > 0 {
        crate::orders::record_event(
            &txn,
            order_id,
            crate::orders::OrderEventKind::OrderChanged,
            &Actor::System,
            "Goods for an appointment released to their location for the slot's day".to_owned(),
            None,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(result.rows_affected > 0)
}

/// The order's appointments as its emails show them, in the local time of their locations.
pub async fn appointments_for_email(
    db: &DatabaseConnection,
    order_id: Uuid,
) -> DomainResult<Vec<crate::notifications::EmailAppointment>> {
    let appointments = super::appointments::for_orders(db, &[order_id]).await?;
    if appointments.is_empty() {
        return Ok(Vec::new());
    }
    let lines =
        entities::order_line::Entity::find().filter(entities::order_line::Column::OrderId.eq(order_id)).all(db).await?;
    let mut out = Vec::new();
    for a in appointments {
        let line = lines.iter().find(|l| l.id == a.order_line_id);
        let location = match a.location_id {
            Some(id) => entities::location::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        let zone = match &location {
            Some(l) => entities::location_calendar::Entity::find_by_id(l.id)
                .one(db)
                .await?
                .and_then(|c| c.timezone.parse::<chrono_tz::Tz>().ok()),
            None => None,
        }
        .unwrap_or(chrono_tz::Tz::UTC);
        let window = a.starts_at.zip(a.ends_at).map(|(s, e)| {
            let (s, e) = (s.with_timezone(&zone), e.with_timezone(&zone));
            format!("{} {}\u{2013}{} ({})", s.format("%Y-%m-%d"), s.format("%H:%M"), e.format("%H:%M"), zone.name())
        });
        out.push(crate::notifications::EmailAppointment {
            sku: line.map(|l| l.sku.clone()).unwrap_or_default(),
            name: line.map(|l| l.name.clone()).unwrap_or_default(),
            status: a.status.as_str().to_owned(),
            window,
            location: location.map(|l| format!("{}, {}", l.name, l.city)),
        });
    }
    Ok(out)
}
