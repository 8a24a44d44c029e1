//! Local time at a location: a slot is "08:00 on Monday" in the location's own time zone, and
//! becomes an instant only for a given day. Two days a year that mapping is not one-to-one:
//! a local time inside a spring-forward gap does not exist and moves forward by the gap (02:30
//! becomes 03:30); one inside a fall-back overlap occurs twice and is its first occurrence.
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{ErrorCode, UserError};

/// Minutes in a day: a slot may end at 24:00.
pub const DAY_MINUTES: i32 = 24 * 60;

/// Reads an IANA zone name ("Europe/Paris").
pub fn parse_zone(field: &[&str], name: &str) -> Result<Tz, UserError> {
    name.trim().parse::<Tz>().map_err(|_| {
        UserError::new(
            field,
            ErrorCode::UnknownTimeZone,
            format!("'{name}' is not an IANA time zone (e.g. Europe/Paris)"),
        )
    })
}

/// Reads "HH:MM" (00:00 to 24:00) as minutes after midnight.
pub fn parse_clock(field: &[&str], text: &str) -> Result<i32, UserError> {
    let bad = || UserError::new(field, ErrorCode::InvalidInput, format!("'{text}' is not a time of day like 08:00"));
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if (0..=24).contains(&h) && (0..60).contains(&m) && h * 60 + m <= DAY_MINUTES { Ok(h * 60 + m) } else { Err(bad()) }
}

/// Minutes after midnight as "HH:MM".
pub fn clock(minutes: i32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The instant of `minutes` after local midnight of `day` in `tz` (24:00 is the next midnight).
pub fn instant(tz: Tz, day: NaiveDate, minutes: i32) -> DateTime<Utc> {
    let naive = NaiveDateTime::new(day, NaiveTime::MIN) + Duration::minutes(i64::from(minutes));
    resolve(tz, naive)
}

/// A local wall-clock time as an instant: the first occurrence of a repeated time, and a time
/// that does not exist read with the offset in force just before the gap, which lands it after
/// the gap by the gap's length.
pub fn resolve(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // No zone has a gap longer than a day; the offset a day earlier is the one before it.
            let before = tz.offset_from_utc_datetime(&(naive - Duration::days(1)));
            let offset = chrono::Offset::fix(&before);
            (naive - Duration::seconds(i64::from(offset.local_minus_utc()))).and_utc()
        }
    }
}

/// Today's date at a location.
pub fn local_today(tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> Tz {
        chrono_tz::Europe::Paris
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn eight_in_paris_is_seven_utc_in_winter_and_six_in_summer() {
        assert_eq!(instant(paris(), day(2027, 3, 26), 8 * 60).to_rfc3339(), "2027-03-26T07:00:00+00:00");
        assert_eq!(instant(paris(), day(2027, 3, 29), 8 * 60).to_rfc3339(), "2027-03-29T06:00:00+00:00");
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_forward_by_the_gap() {
        // 02:30 does not exist on 28 March 2027 in Paris: it is 03:30 CEST, 01:30 UTC.
        assert_eq!(instant(paris(), day(2027, 3, 28), 150).to_rfc3339(), "2027-03-28T01:30:00+00:00");
    }

    #[test]
    fn a_repeated_time_is_its_first_occurrence() {
        // 02:30 happens twice on 31 October 2027 in Paris: first at CEST (00:30 UTC).
        assert_eq!(instant(paris(), day(2027, 10, 31), 150).to_rfc3339(), "2027-10-31T00:30:00+00:00");
    }

    #[test]
    fn clocks_parse_and_print() {
        assert_eq!(parse_clock(&[], "08:00").ok(), Some(480));
        assert_eq!(parse_clock(&[], "24:00").ok(), Some(1440));
        assert!(parse_clock(&[], "24:30").is_err());
        assert!(parse_clock(&[], "8h").is_err());
        assert_eq!(clock(750), "12:30");
        assert!(parse_zone(&[], "Mars/Olympus").is_err());
    }
}
