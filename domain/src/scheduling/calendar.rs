//! A location's appointment calendar: its time zone, its weekly slots with their capacity and
//! service type, and its closures. Admins publish it whole; slots of each day are computed from
//! it (`slots`), only bookings are rows.
use chrono::{NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use entities::{location, location_calendar, location_closure, slot_template};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::time::{parse_clock, parse_zone};
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError};
use crate::validate;

/// Days between the goods being at the location and the first bookable day, when not given.
pub const DEFAULT_LEAD_DAYS: i32 = 1;
/// Hours before a slot after which a customer can no longer move or cancel it, when not given.
pub const DEFAULT_CUTOFF_HOURS: i32 = 24;
/// At most this many weekly slots and closures in one calendar.
pub const MAX_ENTRIES: usize = 500;

/// One weekly slot as an admin writes it.
#[derive(Debug, Clone)]
pub struct WeeklySlotInput {
    pub weekday: Weekday,
    /// "08:00"
    pub start: String,
    pub end: String,
    pub capacity: i32,
    /// The service it serves; any when `None`.
    pub service_type: Option<String>,
}

/// A day the location takes no appointments.
#[derive(Debug, Clone)]
pub struct ClosureInput {
    pub date: NaiveDate,
    pub reason: String,
}

/// The whole calendar of a location.
#[derive(Debug, Clone)]
pub struct CalendarInput {
    pub location_code: String,
    pub timezone: String,
    pub weekly: Vec<WeeklySlotInput>,
    pub closures: Vec<ClosureInput>,
    pub lead_days: Option<i32>,
    pub cutoff_hours: Option<i32>,
}

/// A published calendar, read back.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub location: location::Model,
    pub settings: location_calendar::Model,
    pub zone: Tz,
    /// Active weekly slots, by weekday and start.
    pub templates: Vec<slot_template::Model>,
    pub closures: Vec<location_closure::Model>,
}

impl Calendar {
    pub fn is_closed(&self, day: NaiveDate) -> bool {
        self.closures.iter().any(|c| c.day == day)
    }
}

/// A weekly slot after its checks: weekday (ISO number), minutes, capacity, service type.
type Window = (i32, i32, i32, i32, Option<String>);

/// A calendar after every check that needs no database.
struct Checked {
    zone: Tz,
    windows: Vec<Window>,
    closures: Vec<(NaiveDate, String)>,
    lead: i32,
    cutoff: i32,
}

fn check(input: &CalendarInput) -> DomainResult<Checked> {
    let mut problems = Problems::default();
    let zone = problems.take(parse_zone(&["timezone"], &input.timezone));
    if input.weekly.len() + input.closures.len() > MAX_ENTRIES {
        problems.add(&["weekly"], ErrorCode::InvalidInput, format!("a calendar has at most {MAX_ENTRIES} entries"));
    }
    let mut windows: Vec<Window> = Vec::new();
    for (i, w) in input.weekly.iter().enumerate() {
        let at = |f: &str| ["weekly".to_owned(), i.to_string(), f.to_owned()];
        let start = parse_clock(&[], &w.start).map_err(|e| UserError { field: at("start").to_vec(), ..e });
        let end = parse_clock(&[], &w.end).map_err(|e| UserError { field: at("end").to_vec(), ..e });
        let (start, end) = (problems.take(start), problems.take(end));
        if let (Some(s), Some(e)) = (start, end)
            && s >= e
        {
            problems.push(UserError::at(
                "weekly",
                i,
                "end",
                ErrorCode::InvalidInput,
                "a slot must end after it starts",
            ));
        }
        if w.capacity < 1 || w.capacity > 10_000 {
            problems.push(UserError::at(
                "weekly",
                i,
                "capacity",
                ErrorCode::InvalidInput,
                "capacity must be between 1 and 10 000",
            ));
        }
        let service = crate::catalog::service_type(w.service_type.as_deref())
            .map_err(|e| UserError { field: at("serviceType").to_vec(), ..e });
        let service = problems.take(service);
        if let (Some(s), Some(e), Some(service)) = (start, end, service) {
            let weekday = i32::try_from(w.weekday.number_from_monday()).unwrap_or(1);
            let key = (weekday, s, e, w.capacity, service);
            if windows.iter().any(|k| (k.0, k.1, k.2, &k.4) == (key.0, key.1, key.2, &key.4)) {
                problems.push(UserError::at("weekly", i, "", ErrorCode::InvalidInput, "this slot is listed twice"));
            }
            windows.push(key);
        }
    }
    let mut closures = Vec::new();
    for (i, c) in input.closures.iter().enumerate() {
        match validate::text(&[], &c.reason, 200) {
            Ok(reason) if !closures.iter().any(|(d, _)| *d == c.date) => closures.push((c.date, reason)),
            Ok(_) => problems.push(UserError::at("closures", i, "date", ErrorCode::InvalidInput, "listed twice")),
            Err(e) => problems.push(UserError::at("closures", i, "reason", e.code, e.message)),
        }
    }
    let lead = input.lead_days.unwrap_or(DEFAULT_LEAD_DAYS);
    if !(0..=365).contains(&lead) {
        problems.add(&["leadDays"], ErrorCode::InvalidInput, "lead days must be between 0 and 365");
    }
    let cutoff = input.cutoff_hours.unwrap_or(DEFAULT_CUTOFF_HOURS);
    if !(0..=24 * 14).contains(&cutoff) {
        problems.add(&["cutoffHours"], ErrorCode::InvalidInput, "the cut-off must be between 0 and 336 hours");
    }
    let zone = problems.finish(zone)?;
    Ok(Checked { zone, windows, closures, lead, cutoff })
}

/// Publishes a location's whole calendar, replacing the one before. A weekly slot that stays
/// (same weekday, times and service type) keeps its identity and its bookings, with the new
/// capacity; one that goes is deactivated, never deleted: its bookings stay, and show up in
/// `affected_appointments` for an agent to move. Admins only.
pub async fn set_location_calendar(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CalendarInput,
) -> DomainResult<Calendar> {
    if !actor.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let Checked { zone, windows, closures, lead, cutoff } = check(&input)?;
    let (input, windows, closures) = (&input, &windows, &closures);
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let location = crate::locations::find_by_code(&txn, &input.location_code)
            .await?
            .ok_or_else(|| DomainError::rejected(&["locationCode"], ErrorCode::UnknownLocation, "no such location"))?;
        let now = Utc::now();
        location_calendar::Entity::delete_by_id(location.id).exec(&txn).await?;
        location_calendar::ActiveModel {
            location_id: Set(location.id),
            timezone: Set(zone.name().to_owned()),
            lead_days: Set(lead),
            cutoff_hours: Set(cutoff),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let existing = active_templates(&txn, location.id).await?;
        let mut kept = Vec::new();
        for (weekday, start, end, capacity, service) in windows {
            let same = existing.iter().find(|t| {
                (t.weekday, t.start_minute, t.end_minute, &t.service_type) == (*weekday, *start, *end, service)
            });
            match same {
                Some(t) => {
                    slot_template::Entity::update_many()
                        .col_expr(slot_template::Column::Capacity, Expr::value(*capacity))
                        .filter(slot_template::Column::Id.eq(t.id))
                        .exec(&txn)
                        .await?;
                    kept.push(t.id);
                }
                None => {
                    let id = Uuid::now_v7();
                    kept.push(id);
                    slot_template::ActiveModel {
                        id: Set(id),
                        location_id: Set(location.id),
                        weekday: Set(*weekday),
                        start_minute: Set(*start),
                        end_minute: Set(*end),
                        capacity: Set(*capacity),
                        service_type: Set(service.clone()),
                        active: Set(true),
                        created_at: Set(now),
                    }
                    .insert(&txn)
                    .await?;
                }
            }
        }
        slot_template::Entity::update_many()
            .col_expr(slot_template::Column::Active, Expr::value(false))
            .filter(slot_template::Column::LocationId.eq(location.id))
            .filter(slot_template::Column::Id.is_not_in(kept))
            .filter(slot_template::Column::Active.eq(true))
            .exec(&txn)
            .await?;
        location_closure::Entity::delete_many()
            .filter(location_closure::Column::LocationId.eq(location.id))
            .exec(&txn)
            .await?;
        for (day, reason) in closures {
            location_closure::ActiveModel {
                location_id: Set(location.id),
                day: Set(*day),
                reason: Set(reason.clone()),
            }
            .insert(&txn)
            .await?;
        }
        let calendar = load(&txn, location).await?;
        txn.commit().await?;
        tracing::info!(location = %input.location_code, slots = windows.len(), "calendar published");
        calendar.ok_or_else(|| DomainError::not_found(&["locationCode"], "calendar"))
    })
    .await
}

async fn active_templates<C: ConnectionTrait>(db: &C, location_id: Uuid) -> DomainResult<Vec<slot_template::Model>> {
    Ok(slot_template::Entity::find()
        .filter(slot_template::Column::LocationId.eq(location_id))
        .filter(slot_template::Column::Active.eq(true))
        .order_by_asc(slot_template::Column::Weekday)
        .order_by_asc(slot_template::Column::StartMinute)
        .order_by_asc(slot_template::Column::Id)
        .all(db)
        .await?)
}

/// The calendar of `location`; `None` when it publishes none.
pub async fn load<C: ConnectionTrait>(db: &C, location: location::Model) -> DomainResult<Option<Calendar>> {
    let Some(settings) = location_calendar::Entity::find_by_id(location.id).one(db).await? else {
        return Ok(None);
    };
    // A stored zone is one `parse_zone` accepted; UTC only if the zone database lost it.
    let zone = settings.timezone.parse::<Tz>().unwrap_or(Tz::UTC);
    let templates = active_templates(db, location.id).await?;
    let closures = location_closure::Entity::find()
        .filter(location_closure::Column::LocationId.eq(location.id))
        .order_by_asc(location_closure::Column::Day)
        .all(db)
        .await?;
    Ok(Some(Calendar { location, settings, zone, templates, closures }))
}

/// The calendar of the location with this code; anyone may read it (it is what a storefront
/// shows).
pub async fn calendar_of(db: &DatabaseConnection, location_code: &str) -> DomainResult<Option<Calendar>> {
    match crate::locations::find_by_code(db, location_code).await? {
        Some(l) => load(db, l).await,
        None => Ok(None),
    }
}
