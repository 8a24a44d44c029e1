//! Daily capacity of locations: how many fulfilment orders a location takes per (UTC) day before
//! the next ones ship a day later. Capacity is a preference, never a reason to lose a sale: the
//! router prefers locations with capacity left today (`Rules::enforce_capacity`), a full location
//! still ships, one day later, and the promise says so. A location with no `daily_capacity` has
//! no limit and is not counted (no row every order of that location would have to update).
//!
//! Counting is one row per (location, day) in `location_capacity_usage`. A fulfilment order
//! claims a slot inside the order's transaction with a conditional update (`used = used + 1
//! WHERE used < capacity`), so two orders racing for the last slot cannot both win, on
//! PostgreSQL (the row lock) or SQLite (one writer). The loser is still created, dated for the
//! next day, and counted on the next day's row. Reading capacity for routing reads today's rows:
//! O(locations), however many fulfilment orders the day has seen.
//!
//! Lock order: a claim locks usage rows after the order's inventory levels (fulfilment orders
//! are created after the reservation), in location-id order, so two orders split over the same
//! locations cannot wait for each other.
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::location_capacity_usage as usage;
use sea_orm::sea_query::OnConflict;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::error::DomainResult;

/// The capacity day a moment belongs to: capacity is counted per UTC day.
pub fn day_of(now: DateTime<Utc>) -> NaiveDate {
    now.date_naive()
}

/// Whether a location with this limit has no capacity left after `used` fulfilment orders.
pub fn is_full(daily_capacity: Option<i32>, used: i32) -> bool {
    daily_capacity.is_some_and(|limit| used >= limit)
}

/// The fulfilment orders each location has taken on `day` (locations without a row took none).
pub async fn used_on<C: ConnectionTrait>(db: &C, day: NaiveDate) -> DomainResult<HashMap<Uuid, i32>> {
    Ok(usage::Entity::find()
        .filter(usage::Column::Day.eq(day))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.location_id, u.used))
        .collect())
}

/// Claims a slot for one fulfilment order at each of these locations, created at `now`, inside
/// the caller's transaction. Answers, per location, the day whose capacity the fulfilment order
/// uses: today, or tomorrow when today is full. Never refuses.
pub async fn claim<C: ConnectionTrait>(
    txn: &C,
    reference: &crate::reference::Reference,
    location_ids: impl IntoIterator<Item = Uuid>,
    now: DateTime<Utc>,
) -> DomainResult<HashMap<Uuid, NaiveDate>> {
    let today = day_of(now);
    // Sorted and deduplicated: the lock order (see the module's description).
    let ids: Vec<Uuid> = location_ids.into_iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut days = HashMap::new();
    for id in ids {
        let day = match reference.location(id).and_then(|l| l.daily_capacity) {
            None => today,
            Some(limit) => claim_one(txn, id, limit, today).await?,
        };
        days.insert(id, day);
    }
    Ok(days)
}

async fn claim_one<C: ConnectionTrait>(
    txn: &C,
    location_id: Uuid,
    limit: i32,
    today: NaiveDate,
) -> DomainResult<NaiveDate> {
    if take_slot(txn, location_id, today, Some(limit)).await? {
        return Ok(today);
    }
    // Lost the race to the last slot (or the day was full): ship a day later, and count it there
    // whatever tomorrow's count, so tomorrow starts with the work it already has.
    let tomorrow = today + Duration::days(1);
    take_slot(txn, location_id, tomorrow, None).await?;
    Ok(tomorrow)
}

/// Adds one to the location's count for `day` if it is under `limit` (always when `None`);
/// answers whether it did. One statement: the day's first claim inserts its row counting 1,
/// later ones add to it (racing first claims serialise on the primary key).
async fn take_slot<C: ConnectionTrait>(
    txn: &C,
    location_id: Uuid,
    day: NaiveDate,
    limit: Option<i32>,
) -> DomainResult<bool> {
    if limit.is_some_and(|l| l <= 0) {
        return Ok(false);
    }
    use usage::Column as U;
    let used = Expr::col((usage::Entity, U::Used));
    let mut on_conflict = OnConflict::columns([U::LocationId, U::Day]);
    on_conflict.value(U::Used, used.clone().add(1));
    if let Some(limit) = limit {
        on_conflict.action_and_where(used.lt(limit));
    }
    let first = usage::ActiveModel { location_id: Set(location_id), day: Set(day), used: Set(1) };
    let written = usage::Entity::insert(first).on_conflict(on_conflict).exec_without_returning(txn).await?;
    Ok(written == 1)
}
