//! Delivery and service scheduling: locations publish weekly calendars of appointment slots
//! with a capacity per slot and service type, in their own time zone; customers and agents book
//! a slot per order line that needs one, move or cancel it; associates complete it.
//!
//! - `time`: local wall-clock times as instants, across DST changes;
//! - `calendar`: publishing and reading a location's calendar;
//! - `slots`: slots computed from the calendar, and `availableSlots`;
//! - `booking`: taking a place with a conditional counter, as stock is reserved;
//! - `appointments`: rescheduling, cancelling, completing; an order's cancellation gives back;
//! - `affected`: bookings whose slot changed under them, for agents;
//! - `due`: reminders the day before and goods released for the slot's day (a tick).
mod affected;
mod appointments;
mod booking;
pub mod calendar;
pub mod due;
pub mod slots;
pub mod time;

pub use affected::{Affected, MAX_AFFECTED, affected_appointments};
pub use appointments::{cancel_appointment, complete_appointment, for_orders, reschedule_appointment};
pub(crate) use appointments::{release_for_order, service_progress};
pub use booking::{AppointmentStatus, FullSlotPolicy};
pub(crate) use booking::{Wanted, book_lines};
pub use calendar::{Calendar, CalendarInput, ClosureInput, WeeklySlotInput, calendar_of, set_location_calendar};
pub use slots::{Slot, SlotId, SlotQuery, available_slots, needs_appointment};
