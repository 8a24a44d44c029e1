//! Appointments whose slot no longer exists as booked: the calendar dropped the weekly slot, a
//! closure was added on its day, or the location's time zone changed so the slot now starts at
//! another instant. A booking is never dropped silently: it keeps its place and is listed here
//! for an agent to move (`reschedule_appointment`) or confirm with the customer.
use std::collections::HashMap;

use chrono::{Duration, Utc};
use entities::{appointment, location, slot_template};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::booking::AppointmentStatus;
use super::calendar::{self, Calendar};
use super::slots::{opens_on, slot_on};
use crate::auth::Actor;
use crate::error::{DomainError, DomainResult};

/// At most this many appointments in one answer, earliest first.
pub const MAX_AFFECTED: u64 = 500;

/// A booked appointment and why its slot is no longer what was booked.
#[derive(Debug, Clone)]
pub struct Affected {
    pub appointment: appointment::Model,
    pub location_code: String,
    pub reason: String,
}

/// Booked appointments from yesterday on whose slot changed under them. Staff only.
pub async fn affected_appointments(db: &DatabaseConnection, actor: &Actor) -> DomainResult<Vec<Affected>> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let since = Utc::now().date_naive() - Duration::days(1);
    let booked = appointment::Entity::find()
        .filter(appointment::Column::Status.eq(AppointmentStatus::Booked))
        .filter(appointment::Column::Day.gte(since))
        .order_by_asc(appointment::Column::StartsAt)
        .order_by_asc(appointment::Column::Id)
        .limit(MAX_AFFECTED * 4)
        .all(db)
        .await?;
    let mut calendars: HashMap<Uuid, Option<Calendar>> = HashMap::new();
    let mut out = Vec::new();
    for a in booked {
        let (Some(location_id), Some(template_id), Some(day)) = (a.location_id, a.template_id, a.day) else {
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = calendars.entry(location_id) {
            let loaded = match location::Entity::find_by_id(location_id).one(db).await? {
                Some(l) => calendar::load(db, l).await?,
                None => None,
            };
            slot.insert(loaded);
        }
        let Some(Some(cal)) = calendars.get(&location_id) else { continue };
        let template = match cal.templates.iter().find(|t| t.id == template_id) {
            Some(t) => Some(t.clone()),
            None => slot_template::Entity::find_by_id(template_id).one(db).await?,
        };
        let reason = match &template {
            _ if cal.is_closed(day) => {
                let why = cal.closures.iter().find(|c| c.day == day).map_or("", |c| c.reason.as_str());
                Some(format!("the location is closed on {day}: {why}"))
            }
            None => Some("the slot no longer exists".to_owned()),
            Some(t) if !t.active || !opens_on(cal, t, day) => Some("the slot left the location's calendar".to_owned()),
            Some(t) => {
                let now_is = slot_on(cal, t, day, 0);
                (Some(now_is.starts_at) != a.starts_at).then(|| {
                    format!("the slot now starts at {} (time zone {})", now_is.starts_at.to_rfc3339(), cal.zone.name())
                })
            }
        };
        if let Some(reason) = reason {
            out.push(Affected { appointment: a, location_code: cal.location.code.clone(), reason });
            if out.len() as u64 >= MAX_AFFECTED {
                break;
            }
        }
    }
    Ok(out)
}
