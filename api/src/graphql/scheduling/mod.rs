//! Delivery and service scheduling: location calendars, bookable slots, and appointments that
//! customers and agents move or cancel and associates complete.
use async_graphql::{Context, Object};
use domain::scheduling::{self as sched, CalendarInput, ClosureInput, SlotQuery, WeeklySlotInput};

use super::common::{parts, uuid_or_nil};
use super::errors::{ApiResult, rejections, respond};

mod appointment;
mod calendar;

pub use appointment::{
    AffectedAppointment, Appointment, AvailableSlotsInput, AvailableSlotsResult, CancelAppointmentInput,
    CancelAppointmentPayload, CompleteAppointmentInput, CompleteAppointmentPayload, FullSlotPolicy,
    RescheduleAppointmentInput, RescheduleAppointmentPayload, Slot, SlotAddressInput,
};
pub use calendar::{
    Closure, LocationCalendar, SetLocationCalendarInput, SetLocationCalendarPayload, Weekday, WeeklySlot,
};

#[derive(Default)]
pub struct SchedulingQuery;

#[Object]
impl SchedulingQuery {
    /// A location's appointment calendar; null when it publishes none. Open to anyone.
    async fn location_calendar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The location's code.")] location_code: String,
    ) -> ApiResult<Option<LocationCalendar>> {
        let (db, _) = parts(ctx)?;
        Ok(sched::calendar_of(db, &location_code).await?.map(LocationCalendar::from))
    }

    /// Bookable slots at a location (or the one nearest an address), from the earliest day the
    /// goods can be there plus the location's lead days. Reserves nothing; open to anyone.
    async fn available_slots(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The AvailableSlots request.")] input: AvailableSlotsInput,
    ) -> ApiResult<AvailableSlotsResult> {
        let (db, _) = parts(ctx)?;
        let query = SlotQuery {
            location_code: input.location_code,
            point: input.address.map(|a| (a.latitude, a.longitude)),
            skus: input.skus,
            from: input.from,
            to: input.to,
        };
        Ok(match rejections(sched::available_slots(db, query).await)? {
            Ok(slots) => {
                AvailableSlotsResult { slots: slots.into_iter().map(Slot::from).collect(), user_errors: vec![] }
            }
            Err(user_errors) => AvailableSlotsResult { slots: Vec::new(), user_errors },
        })
    }

    /// Booked appointments whose slot changed under them (a closure added, the slot removed
    /// from the calendar, the time zone changed): never dropped, listed here for an agent to
    /// move or confirm. Staff only.
    async fn affected_appointments(&self, ctx: &Context<'_>) -> ApiResult<Vec<AffectedAppointment>> {
        let (db, actor) = parts(ctx)?;
        Ok(sched::affected_appointments(db, actor)
            .await?
            .into_iter()
            .map(|a| AffectedAppointment {
                appointment: Appointment(a.appointment),
                location_code: a.location_code,
                reason: a.reason,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct SchedulingMutation;

#[Object]
impl SchedulingMutation {
    /// Publishes a location's weekly appointment slots and closures, replacing its calendar. A
    /// slot that stays keeps its bookings; bookings of one that goes stay too and are listed in
    /// `affectedAppointments`. Admins only.
    async fn set_location_calendar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The SetLocationCalendar request.")] input: SetLocationCalendarInput,
    ) -> ApiResult<SetLocationCalendarPayload> {
        let (db, actor) = parts(ctx)?;
        let calendar = CalendarInput {
            location_code: input.location_code,
            timezone: input.timezone,
            weekly: input
                .weekly
                .into_iter()
                .map(|w| WeeklySlotInput {
                    weekday: w.weekday.into(),
                    start: w.start,
                    end: w.end,
                    capacity: w.capacity,
                    service_type: w.service_type,
                })
                .collect(),
            closures: input.closures.into_iter().map(|c| ClosureInput { date: c.date, reason: c.reason }).collect(),
            lead_days: input.lead_days,
            cutoff_hours: input.cutoff_hours,
        };
        respond(sched::set_location_calendar(db, actor, calendar).await)
    }

    /// Moves an appointment to another slot, or books an unscheduled or cancelled one. A full
    /// slot is refused (SLOT_FULL) and nothing changes. Customers (their own orders, until the
    /// location's cut-off before the slot) and agents.
    async fn reschedule_appointment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The RescheduleAppointment request.")] input: RescheduleAppointmentInput,
    ) -> ApiResult<RescheduleAppointmentPayload> {
        let (db, actor) = parts(ctx)?;
        let id = uuid_or_nil(&input.appointment_id);
        respond(sched::reschedule_appointment(db, actor, id, &input.slot_id).await)
    }

    /// Cancels an appointment and gives its place back; the line waits for a new slot.
    /// Customers (their own orders, until the cut-off) and agents.
    async fn cancel_appointment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CancelAppointment request.")] input: CancelAppointmentInput,
    ) -> ApiResult<CancelAppointmentPayload> {
        let (db, actor) = parts(ctx)?;
        respond(sched::cancel_appointment(db, actor, uuid_or_nil(&input.appointment_id)).await)
    }

    /// Records a booked appointment of a confirmed order as done, signed by the customer. A
    /// service line is fulfilled only by this. Associates of its location, and staff.
    async fn complete_appointment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CompleteAppointment request.")] input: CompleteAppointmentInput,
    ) -> ApiResult<CompleteAppointmentPayload> {
        let (db, actor) = parts(ctx)?;
        let id = uuid_or_nil(&input.appointment_id);
        respond(sched::complete_appointment(db, actor, id, &input.signed_by).await)
    }
}
