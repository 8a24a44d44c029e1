//! Slots and appointments as GraphQL reads them, and the requests that book and move them.
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::scheduling as sched;
use entities::appointment;

use crate::graphql::common::payload;
use crate::graphql::enums::AppointmentStatus;
use crate::graphql::errors::{ApiResult, UserError};
use crate::graphql::loaders::loaders;
use crate::graphql::locations::Location;
use crate::graphql::orders::OrderLine;

/// What to do with a line whose chosen slot is full.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FullSlotPolicy {
    /// Refuse the order with SLOT_FULL; nothing is written.
    Refuse,
    /// Take the order; the line's appointment stays UNSCHEDULED, to be booked later.
    LeaveUnscheduled,
}

impl From<FullSlotPolicy> for sched::FullSlotPolicy {
    fn from(p: FullSlotPolicy) -> Self {
        match p {
            FullSlotPolicy::Refuse => sched::FullSlotPolicy::Refuse,
            FullSlotPolicy::LeaveUnscheduled => sched::FullSlotPolicy::LeaveUnscheduled,
        }
    }
}

/// An address to find the nearest location taking appointments from.
#[derive(InputObject)]
pub struct SlotAddressInput {
    /// Latitude of the address.
    pub latitude: f64,
    /// Longitude of the address.
    pub longitude: f64,
}

/// Which slots to list: at a location, or at the one nearest an address.
#[derive(InputObject)]
pub struct AvailableSlotsInput {
    /// The location's code; or give `address`.
    pub location_code: Option<String>,
    /// The customer's address: the nearest location with a calendar is used.
    pub address: Option<SlotAddressInput>,
    /// The SKUs to be delivered or performed: slots start when the goods can be there and
    /// serve their service types.
    #[graphql(default)]
    pub skus: Vec<String>,
    /// The first local date to list (YYYY-MM-DD).
    pub from: NaiveDate,
    /// The last local date to list (at most 62 days after `from`).
    pub to: NaiveDate,
}

/// A bookable slot.
#[derive(SimpleObject)]
pub struct Slot {
    /// The slot's id, to pass as `slotId` when ordering or rescheduling.
    pub id: ID,
    /// The location's code.
    pub location_code: String,
    /// When it starts (RFC 3339).
    pub starts_at: DateTime<Utc>,
    /// When it ends (RFC 3339).
    pub ends_at: DateTime<Utc>,
    /// Places left.
    pub remaining: i32,
    /// The service it serves; null: any.
    pub service_type: Option<String>,
}

impl From<sched::Slot> for Slot {
    fn from(s: sched::Slot) -> Self {
        Slot {
            id: s.id.encode().into(),
            location_code: s.id.location_code,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            remaining: s.remaining,
            service_type: s.service_type,
        }
    }
}

/// The bookable slots, or why they could not be listed.
#[derive(SimpleObject)]
pub struct AvailableSlotsResult {
    /// The slots, earliest first.
    pub slots: Vec<Slot>,
    /// Problems with the input; empty when the question could be answered.
    pub user_errors: Vec<UserError>,
}

/// An order line's appointment: a delivery window or a service visit.
#[derive(Clone, Debug)]
pub struct Appointment(pub appointment::Model);

/// An order line's appointment: a delivery window or a service visit.
#[Object]
impl Appointment {
    /// The appointment's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// Where it stands.
    async fn status(&self) -> AppointmentStatus {
        self.0.status.into()
    }

    /// The order's id.
    async fn order_id(&self) -> ID {
        self.0.order_id.to_string().into()
    }

    /// The line it is for.
    async fn line(&self, ctx: &Context<'_>) -> ApiResult<Option<OrderLine>> {
        Ok(loaders(ctx)?.order_line.load_one(self.0.order_line_id).await?.map(OrderLine))
    }

    /// The slot it holds; null while unscheduled.
    async fn slot_id(&self, ctx: &Context<'_>) -> ApiResult<Option<ID>> {
        let (Some(location), Some(template), Some(day)) = (self.0.location_id, self.0.template_id, self.0.day) else {
            return Ok(None);
        };
        let code = loaders(ctx)?.location.load_one(location).await?.map(|l| l.code).unwrap_or_default();
        Ok(Some(sched::SlotId { location_code: code, template_id: template, day }.encode().into()))
    }

    /// The location whose crew comes (or where the service is done); null while unscheduled.
    async fn location(&self, ctx: &Context<'_>) -> ApiResult<Option<Location>> {
        match self.0.location_id {
            Some(id) => Ok(loaders(ctx)?.location.load_one(id).await?.map(Location::from)),
            None => Ok(None),
        }
    }

    /// When it starts (RFC 3339); null while unscheduled.
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.0.starts_at
    }

    /// When it ends (RFC 3339); null while unscheduled.
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.0.ends_at
    }

    /// The service it needs; null: any crew.
    async fn service_type(&self) -> Option<&str> {
        self.0.service_type.as_deref()
    }

    /// The name the customer signed at completion.
    async fn signed_by(&self) -> Option<&str> {
        self.0.signed_by.as_deref()
    }

    /// When it was completed (RFC 3339).
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
}

impl From<appointment::Model> for Appointment {
    fn from(a: appointment::Model) -> Self {
        Appointment(a)
    }
}

/// A booked appointment whose slot changed under it.
#[derive(SimpleObject)]
pub struct AffectedAppointment {
    /// The appointment.
    pub appointment: Appointment,
    /// The location's code.
    pub location_code: String,
    /// What changed (a closure, a slot that left the calendar, a new time zone).
    pub reason: String,
}

/// An appointment to move (or to book, when unscheduled or cancelled).
#[derive(InputObject)]
pub struct RescheduleAppointmentInput {
    /// The appointment's id.
    pub appointment_id: ID,
    /// The new slot, from `availableSlots`.
    pub slot_id: String,
}

/// An appointment to cancel.
#[derive(InputObject)]
pub struct CancelAppointmentInput {
    /// The appointment's id.
    pub appointment_id: ID,
}

/// An appointment done.
#[derive(InputObject)]
pub struct CompleteAppointmentInput {
    /// The appointment's id.
    pub appointment_id: ID,
    /// The customer's name as signed.
    pub signed_by: String,
}

payload!(RescheduleAppointmentPayload, appointment: Appointment, "rescheduleAppointment");
payload!(CancelAppointmentPayload, appointment: Appointment, "cancelAppointment");
payload!(CompleteAppointmentPayload, appointment: Appointment, "completeAppointment");
