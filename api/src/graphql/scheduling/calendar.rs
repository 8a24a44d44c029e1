//! A location's appointment calendar as GraphQL reads and writes it.
use async_graphql::{Enum, InputObject, SimpleObject};
use chrono::NaiveDate;
use domain::scheduling as sched;

use crate::graphql::common::payload;

/// A day of the week.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl From<Weekday> for chrono::Weekday {
    fn from(w: Weekday) -> Self {
        match w {
            Weekday::Monday => chrono::Weekday::Mon,
            Weekday::Tuesday => chrono::Weekday::Tue,
            Weekday::Wednesday => chrono::Weekday::Wed,
            Weekday::Thursday => chrono::Weekday::Thu,
            Weekday::Friday => chrono::Weekday::Fri,
            Weekday::Saturday => chrono::Weekday::Sat,
            Weekday::Sunday => chrono::Weekday::Sun,
        }
    }
}

fn weekday_of(iso: i32) -> Weekday {
    match iso {
        1 => Weekday::Monday,
        2 => Weekday::Tuesday,
        3 => Weekday::Wednesday,
        4 => Weekday::Thursday,
        5 => Weekday::Friday,
        6 => Weekday::Saturday,
        _ => Weekday::Sunday,
    }
}

/// One weekly slot of a calendar.
#[derive(InputObject, SimpleObject, Clone, Debug)]
#[graphql(input_name = "WeeklySlotInput")]
pub struct WeeklySlot {
    /// The day of the week.
    pub weekday: Weekday,
    /// When it starts, local time at the location ("08:00").
    pub start: String,
    /// When it ends, local time ("12:00"; "24:00" is midnight at the end of the day).
    pub end: String,
    /// How many appointments it takes (at least 1).
    pub capacity: i32,
    /// The service it serves (e.g. INSTALLATION); null: any.
    pub service_type: Option<String>,
}

/// A day the location takes no appointments.
#[derive(InputObject, SimpleObject, Clone, Debug)]
#[graphql(input_name = "ClosureInput")]
pub struct Closure {
    /// The local date (YYYY-MM-DD).
    pub date: NaiveDate,
    /// Why (a holiday, a stock-take).
    pub reason: String,
}

/// A location's whole appointment calendar; it replaces the one before.
#[derive(InputObject)]
pub struct SetLocationCalendarInput {
    /// The location's code.
    pub location_code: String,
    /// Its IANA time zone, e.g. "Europe/Paris": every time of the calendar is local to it.
    pub timezone: String,
    /// The weekly slots.
    pub weekly: Vec<WeeklySlot>,
    /// Days without appointments.
    #[graphql(default)]
    pub closures: Vec<Closure>,
    /// Days between the goods being at the location and the first bookable day (default 1).
    pub lead_days: Option<i32>,
    /// Hours before a slot after which a customer can no longer move or cancel it online
    /// (default 24); agents can at any time.
    pub cutoff_hours: Option<i32>,
}

/// A location's appointment calendar.
#[derive(SimpleObject)]
pub struct LocationCalendar {
    /// The location's code.
    pub location_code: String,
    /// Its IANA time zone.
    pub timezone: String,
    /// Days between the goods being at the location and the first bookable day.
    pub lead_days: i32,
    /// Hours before a slot after which a customer can no longer move or cancel it online.
    pub cutoff_hours: i32,
    /// The weekly slots, by weekday and start.
    pub weekly: Vec<WeeklySlot>,
    /// Days without appointments, by date.
    pub closures: Vec<Closure>,
}

impl From<sched::Calendar> for LocationCalendar {
    fn from(c: sched::Calendar) -> Self {
        LocationCalendar {
            location_code: c.location.code.clone(),
            timezone: c.zone.name().to_owned(),
            lead_days: c.settings.lead_days,
            cutoff_hours: c.settings.cutoff_hours,
            weekly: c
                .templates
                .iter()
                .map(|t| WeeklySlot {
                    weekday: weekday_of(t.weekday),
                    start: sched::time::clock(t.start_minute),
                    end: sched::time::clock(t.end_minute),
                    capacity: t.capacity,
                    service_type: t.service_type.clone(),
                })
                .collect(),
            closures: c.closures.iter().map(|d| Closure { date: d.day, reason: d.reason.clone() }).collect(),
        }
    }
}

payload!(SetLocationCalendarPayload, calendar: LocationCalendar, "setLocationCalendar");
