//! Slots: computed from a location's calendar for each day asked, never stored ahead. A slot's id
//! names its location, weekly slot and local day (`slot:<location>:<template>:<YYYY-MM-DD>`), so
//! it survives without a row and is checked again when booked.
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entities::{location, product, slot_booking, slot_template};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::calendar::{self, Calendar};
use super::time;
use crate::catalog::ProductKindRules;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems};
use crate::promise::{PromiseQuery, available_to_promise};

/// At most this many days in one question.
pub const MAX_DAYS: i64 = 62;

/// A slot's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotId {
    pub location_code: String,
    pub template_id: Uuid,
    pub day: NaiveDate,
}

impl SlotId {
    pub fn encode(&self) -> String {
        format!("slot:{}:{}:{}", self.location_code, self.template_id, self.day)
    }

    /// `None` when the text is not a slot id (location codes hold no ':').
    pub fn parse(text: &str) -> Option<SlotId> {
        let mut parts = text.trim().split(':');
        let (Some("slot"), Some(code), Some(template), Some(day), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        Some(SlotId {
            location_code: code.to_owned(),
            template_id: Uuid::parse_str(template).ok()?,
            day: NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?,
        })
    }
}

/// One bookable window of one day.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub id: SlotId,
    pub location_id: Uuid,
    pub template_id: Uuid,
    pub day: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    /// Places left: capacity less bookings.
    pub remaining: i32,
    pub service_type: Option<String>,
}

/// Whether a slot of `slot_type` serves a product needing `product_type`: a slot without a type
/// serves any product, a product without one is served by any slot.
pub fn serves(slot_type: Option<&str>, product_type: Option<&str>) -> bool {
    match (slot_type, product_type) {
        (Some(s), Some(p)) => s == p,
        _ => true,
    }
}

/// Whether a product is delivered or performed at an appointment.
pub fn needs_appointment(p: &product::Model) -> bool {
    p.kind.performed() || p.needs_appointment
}

/// The slot of weekly slot `t` on `day` in `cal`, with `booked` places taken.
pub fn slot_on(cal: &Calendar, t: &slot_template::Model, day: NaiveDate, booked: i32) -> Slot {
    Slot {
        id: SlotId { location_code: cal.location.code.clone(), template_id: t.id, day },
        location_id: cal.location.id,
        template_id: t.id,
        day,
        starts_at: time::instant(cal.zone, day, t.start_minute),
        ends_at: time::instant(cal.zone, day, t.end_minute),
        capacity: t.capacity,
        remaining: (t.capacity - booked).max(0),
        service_type: t.service_type.clone(),
    }
}

/// Whether weekly slot `t` opens on `day` (its weekday, and the location is not closed).
pub fn opens_on(cal: &Calendar, t: &slot_template::Model, day: NaiveDate) -> bool {
    i64::from(day.weekday().number_from_monday()) == i64::from(t.weekday) && !cal.is_closed(day)
}

/// Bookings per (weekly slot, day) of `templates` between `from` and `to`.
pub async fn booked<C: ConnectionTrait>(
    db: &C,
    templates: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
) -> DomainResult<HashMap<(Uuid, NaiveDate), i32>> {
    Ok(slot_booking::Entity::find()
        .filter(slot_booking::Column::TemplateId.is_in(templates.iter().copied()))
        .filter(slot_booking::Column::Day.between(from, to))
        .all(db)
        .await?
        .into_iter()
        .map(|b| ((b.template_id, b.day), b.booked))
        .collect())
}

/// The question `availableSlots` asks.
#[derive(Debug, Clone)]
pub struct SlotQuery {
    pub location_code: Option<String>,
    /// The customer's address, when no location is named: the nearest location with a calendar.
    pub point: Option<(f64, f64)>,
    pub skus: Vec<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Bookable slots between `from` and `to` (local days at the location), earliest first: only
/// slots that serve one of the goods needing an appointment (any when none does), that still
/// have a place, that start in the future, and that fall on or after the earliest day the goods
/// can be there (the promise's date for this location) plus the location's lead days. Open to
/// anyone, like a promise.
pub async fn available_slots(db: &DatabaseConnection, query: SlotQuery) -> DomainResult<Vec<Slot>> {
    let mut problems = Problems::default();
    if query.to < query.from {
        problems.add(&["to"], ErrorCode::InvalidInput, "`to` is before `from`");
    } else if (query.to - query.from).num_days() >= MAX_DAYS {
        problems.add(&["to"], ErrorCode::InvalidInput, format!("ask for at most {MAX_DAYS} days at a time"));
    }
    if query.location_code.is_none() && query.point.is_none() {
        problems.add(&["locationCode"], ErrorCode::InvalidInput, "give a location code or an address with coordinates");
    }
    problems.into_result()?;
    let products =
        product::Entity::find().filter(product::Column::Sku.is_in(query.skus.iter().cloned())).all(db).await?;
    if let Some(missing) = query.skus.iter().position(|s| !products.iter().any(|p| &p.sku == s)) {
        let sku = query.skus.get(missing).map_or("", String::as_str);
        return Err(DomainError::Rejected(vec![crate::catalog::unknown_sku_on_line(missing, sku)]));
    }
    let Some(cal) = chosen_calendar(db, &query).await? else {
        return Err(DomainError::rejected(
            &["locationCode"],
            ErrorCode::UnknownLocation,
            "no location with an appointment calendar serves this request",
        ));
    };
    let now = Utc::now();
    let Some(goods_day) = goods_day(db, &cal, &products, now).await? else {
        return Err(DomainError::rejected(&["skus"], ErrorCode::OutOfStock, "the goods cannot be brought there"));
    };
    let earliest = goods_day + Duration::days(i64::from(cal.settings.lead_days));
    let types: Vec<Option<&str>> =
        products.iter().filter(|p| needs_appointment(p)).map(|p| p.service_type.as_deref()).collect();
    let ids: Vec<Uuid> = cal.templates.iter().map(|t| t.id).collect();
    let taken = booked(db, &ids, query.from, query.to).await?;
    let mut slots = Vec::new();
    let mut day = query.from.max(earliest);
    while day <= query.to {
        for t in cal.templates.iter().filter(|t| opens_on(&cal, t, day)) {
            if !types.is_empty() && !types.iter().any(|p| serves(t.service_type.as_deref(), *p)) {
                continue;
            }
            let slot = slot_on(&cal, t, day, taken.get(&(t.id, day)).copied().unwrap_or(0));
            if slot.remaining > 0 && slot.starts_at > now {
                slots.push(slot);
            }
        }
        day += Duration::days(1);
    }
    slots.sort_by_key(|s| (s.starts_at, s.template_id));
    Ok(slots)
}

/// The named location's calendar, or the one nearest the customer's address.
async fn chosen_calendar(db: &DatabaseConnection, query: &SlotQuery) -> DomainResult<Option<Calendar>> {
    if let Some(code) = &query.location_code {
        return calendar::calendar_of(db, code).await;
    }
    let Some(point) = query.point else { return Ok(None) };
    let with_calendar: Vec<Uuid> =
        entities::location_calendar::Entity::find().all(db).await?.into_iter().map(|c| c.location_id).collect();
    let mut candidates: Vec<location::Model> = location::Entity::find()
        .filter(location::Column::Id.is_in(with_calendar))
        .filter(location::Column::Active.eq(true))
        .all(db)
        .await?;
    candidates.sort_by(|a, b| {
        let da = crate::routing::distance_km(point, (a.latitude, a.longitude));
        let db_ = crate::routing::distance_km(point, (b.latitude, b.longitude));
        da.total_cmp(&db_).then_with(|| a.code.cmp(&b.code))
    });
    match candidates.into_iter().next() {
        Some(l) => calendar::load(db, l).await,
        None => Ok(None),
    }
}

/// The earliest local day the goods can be at the location: today for services, else the
/// promise's date for shipping them there (`None` when nothing can). Stock already at the
/// location is there today.
async fn goods_day(
    db: &DatabaseConnection,
    cal: &Calendar,
    products: &[product::Model],
    now: DateTime<Utc>,
) -> DomainResult<Option<NaiveDate>> {
    let today = time::local_today(cal.zone, now);
    let physical: Vec<&product::Model> = products.iter().filter(|p| p.kind.holds_stock()).collect();
    if physical.is_empty() {
        return Ok(Some(today));
    }
    let ids: Vec<Uuid> = physical.iter().map(|p| p.id).collect();
    let on_site: HashMap<Uuid, i32> = crate::inventory::levels_for_products(db, &ids)
        .await?
        .iter()
        .filter(|l| l.location_id == cal.location.id)
        .map(|l| (l.product_id, crate::inventory::available(l)))
        .collect();
    if physical.iter().all(|p| on_site.get(&p.id).copied().unwrap_or(0) > 0) {
        return Ok(Some(today));
    }
    let options = available_to_promise(
        db,
        PromiseQuery {
            lines: physical.iter().map(|p| (p.sku.clone(), 1)).collect(),
            country: Some(cal.location.country.clone()),
            point: Some((cal.location.latitude, cal.location.longitude)),
            delivery_method: Some("SHIP".to_owned()),
            channel: "WEB".to_owned(),
        },
    )
    .await?;
    Ok(options.into_iter().filter(|o| o.available).filter_map(|o| o.estimated_date).min())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_id_reads_back_and_nothing_else_does() {
        let id = SlotId {
            location_code: "ST-LYON".to_owned(),
            template_id: Uuid::nil(),
            day: NaiveDate::from_ymd_opt(2027, 3, 28).unwrap_or_default(),
        };
        assert_eq!(id.encode(), "slot:ST-LYON:00000000-0000-0000-0000-000000000000:2027-03-28");
        assert_eq!(SlotId::parse(&id.encode()), Some(id));
        for bad in
            ["", "slot:ST-LYON", "slot:A:B:C", "slot:A:00000000-0000-0000-0000-000000000000:2027-02-30", "x:a:b:c:d"]
        {
            assert_eq!(SlotId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_untyped_slot_serves_any_product_and_an_untyped_product_any_slot() {
        assert!(serves(None, Some("INSTALLATION")));
        assert!(serves(Some("INSTALLATION"), None));
        assert!(serves(Some("INSTALLATION"), Some("INSTALLATION")));
        assert!(!serves(Some("TWO_PERSON"), Some("INSTALLATION")));
    }
}
