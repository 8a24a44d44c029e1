//! Jobs: slow or external work a change causes, as types. A job knows its queue, its kind and
//! its dedupe key; it is written to the outbox inside the transaction of the change
//! ([`crate::outbox::enqueue_job`]), moved to a queue by the relay, and run by a worker. No queue
//! library's types appear here.
//!
//! Queues deliver at least once and a dead worker's jobs are re-run, so **every job handler is
//! idempotent**: it checks its dedupe key or the current state before acting.
//!
//! The run record (`job_runs` table) is ours, not the queue's: it holds the attempts, the last error
//! and the retry budget, so the budget is the same on Redis and SQLite and admins can list jobs.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::fulfillment::backorders::Freed;

/// The queues jobs run on. Each has its own workers and concurrency.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    Fulfillment,
    Notification,
    Returns,
}

impl Queue {
    pub const ALL: [Queue; 3] = [Queue::Fulfillment, Queue::Notification, Queue::Returns];

    /// The short name: `fulfillment`, `notification`, `returns`.
    pub fn name(self) -> &'static str {
        match self {
            Queue::Fulfillment => "fulfillment",
            Queue::Notification => "notification",
            Queue::Returns => "returns",
        }
    }

    /// The name stored on outbox rows (and in the run records).
    pub fn outbox_name(self) -> &'static str {
        match self {
            Queue::Fulfillment => crate::outbox::queue::FULFILLMENT,
            Queue::Notification => crate::outbox::queue::NOTIFICATION,
            Queue::Returns => crate::outbox::queue::RETURNS,
        }
    }

    /// Reads either spelling: `notification` or `oms.notification`.
    pub fn parse(s: &str) -> Option<Queue> {
        let short = s.strip_prefix("oms.").unwrap_or(s);
        Queue::ALL.into_iter().find(|q| q.name().eq_ignore_ascii_case(short))
    }
}

/// The things that happen to an order that the customer is told about by email.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationEvent {
    OrderConfirmed,
    OrderBackordered,
    OrderExpired,
    OrderShipped,
    ReadyForPickup,
    OrderPickedUp,
    OrderDelivered,
    OrderCancelled,
    /// An agent or the customer changed the order; told once per version it reached.
    OrderChanged,
    /// A refund was recorded; told once per refund (its number within the order).
    RefundIssued,
    /// Some lines or units were cancelled; told once per version it reached.
    OrderPartlyCancelled,
    /// Appointments were booked or moved; told once per order version.
    AppointmentBooked,
    /// The order's appointments are tomorrow; told once per order and day.
    AppointmentReminder,
    /// A return was approved; told once per return (`version` is the return's number on the
    /// order).
    ReturnApproved,
    /// A return arrived at a location; once per return.
    ReturnReceived,
    /// An exchange's replacement was released to fulfilment; once per exchange.
    ExchangeShipped,
}

impl NotificationEvent {
    pub const ALL: [NotificationEvent; 16] = [
        NotificationEvent::OrderConfirmed,
        NotificationEvent::OrderBackordered,
        NotificationEvent::OrderExpired,
        NotificationEvent::OrderShipped,
        NotificationEvent::ReadyForPickup,
        NotificationEvent::OrderPickedUp,
        NotificationEvent::OrderDelivered,
        NotificationEvent::OrderCancelled,
        NotificationEvent::OrderChanged,
        NotificationEvent::RefundIssued,
        NotificationEvent::OrderPartlyCancelled,
        NotificationEvent::AppointmentBooked,
        NotificationEvent::AppointmentReminder,
        NotificationEvent::ReturnApproved,
        NotificationEvent::ReturnReceived,
        NotificationEvent::ExchangeShipped,
    ];

    /// The job kind on the outbox row, which is also the template's name.
    pub fn kind(self) -> &'static str {
        match self {
            NotificationEvent::OrderConfirmed => "order_confirmed",
            NotificationEvent::OrderBackordered => "order_backordered",
            NotificationEvent::OrderExpired => "order_expired",
            NotificationEvent::OrderShipped => "order_shipped",
            NotificationEvent::ReadyForPickup => "ready_for_pickup",
            NotificationEvent::OrderPickedUp => "order_picked_up",
            NotificationEvent::OrderDelivered => "order_delivered",
            NotificationEvent::OrderCancelled => "order_cancelled",
            NotificationEvent::OrderChanged => "order_changed",
            NotificationEvent::RefundIssued => "refund_issued",
            NotificationEvent::OrderPartlyCancelled => "order_partly_cancelled",
            NotificationEvent::AppointmentBooked => "appointment_booked",
            NotificationEvent::AppointmentReminder => "appointment_reminder",
            NotificationEvent::ReturnApproved => "return_approved",
            NotificationEvent::ReturnReceived => "return_received",
            NotificationEvent::ExchangeShipped => "exchange_shipped",
        }
    }

    pub fn parse(kind: &str) -> Option<NotificationEvent> {
        NotificationEvent::ALL.into_iter().find(|e| e.kind() == kind)
    }

    /// Whether the event is about one return of the order (its `version` is the return's number).
    pub fn is_about_a_return(self) -> bool {
        matches!(
            self,
            NotificationEvent::ReturnApproved | NotificationEvent::ReturnReceived | NotificationEvent::ExchangeShipped
        )
    }

    /// The GraphQL spelling.
    pub fn as_upper(self) -> String {
        self.kind().to_ascii_uppercase()
    }
}

/// Tells a customer by email that something happened to their order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub order_id: Uuid,
    pub event: NotificationEvent,
    /// Which occurrence of an event that may happen many times this is, each told once: the
    /// order version a change or a partial cancellation reached, the refund's number within the
    /// order for a refund. `None` for events that happen once per order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

impl Notification {
    /// At most one email per cause: `kind:order`, or `kind:order:version` for a repeatable event.
    pub fn dedupe_key(&self) -> String {
        match self.version {
            Some(version) => format!("{}:{}:{version}", self.event.kind(), self.order_id),
            None => format!("{}:{}", self.event.kind(), self.order_id),
        }
    }
}

/// Every kind of job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    /// Email the customer about an event of their order.
    Notify(Notification),
    /// A confirmed order's fulfilment orders were released to their locations: tell them.
    ReleaseOrder { order_id: Uuid },
    /// An order of a channel that confirms at once was placed: confirm it.
    AutoConfirm { order_id: Uuid },
    /// Stock freed (`cause` names the change that freed it, once per change): offer it to the
    /// orders waiting for it.
    FillBackorders { cause: Uuid, freed: Freed },
    /// A period of scheduled work began: do it, once across all replicas.
    Tick(Tick),
    /// The last hold of an order was released (`hold_id`, once per release): release what waited
    /// and tell the locations.
    ReleaseHeld { order_id: Uuid, hold_id: Uuid },
    /// A return was received: restock, write off, refund, fill backorders, tell the customer.
    ProcessReturn { return_id: Uuid },
}

/// An outbox row that no job type reads.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JobParseError {
    #[error("unknown queue {0:?}")]
    UnknownQueue(String),
    #[error("unknown job kind {kind:?} on queue {queue:?}")]
    UnknownKind { queue: String, kind: String },
    #[error("bad payload for {kind}: {reason}")]
    BadPayload { kind: String, reason: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderPayload {
    order_id: Uuid,
    #[serde(default)]
    version: Option<i32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReturnPayload {
    return_id: Uuid,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeldPayload {
    order_id: Uuid,
    hold_id: Uuid,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FillPayload {
    cause: Uuid,
    #[serde(flatten)]
    freed: Freed,
}

impl Job {
    pub fn notify(order_id: Uuid, event: NotificationEvent) -> Job {
        Job::Notify(Notification { order_id, event, version: None })
    }

    /// Emails the customer about an event that may happen many times, once for each `version`
    /// of the order it produced.
    pub fn notify_version(order_id: Uuid, event: NotificationEvent, version: i32) -> Job {
        Job::Notify(Notification { order_id, event, version: Some(version) })
    }

    /// Backorders to fill with stock one change freed; a fresh cause, so each change gets its
    /// own job.
    pub fn fill_backorders(freed: Freed) -> Job {
        Job::FillBackorders { cause: Uuid::now_v7(), freed }
    }

    pub fn queue(&self) -> Queue {
        match self {
            Job::Notify(_) => Queue::Notification,
            Job::ReleaseOrder { .. }
            | Job::AutoConfirm { .. }
            | Job::FillBackorders { .. }
            | Job::Tick(_)
            | Job::ReleaseHeld { .. } => Queue::Fulfillment,
            Job::ProcessReturn { .. } => Queue::Returns,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Job::Notify(n) => n.event.kind(),
            Job::ReleaseOrder { .. } => "release_order",
            Job::AutoConfirm { .. } => "auto_confirm_order",
            Job::FillBackorders { .. } => "fill_backorders",
            Job::Tick(t) => t.task.kind(),
            Job::ReleaseHeld { .. } => "release_held_order",
            Job::ProcessReturn { .. } => "process_return",
        }
    }

    /// The order the job is about, if it is about one.
    pub fn order_id(&self) -> Option<Uuid> {
        match self {
            Job::Notify(n) => Some(n.order_id),
            Job::ReleaseOrder { order_id } | Job::AutoConfirm { order_id } | Job::ReleaseHeld { order_id, .. } => {
                Some(*order_id)
            }
            Job::FillBackorders { .. } | Job::Tick(_) | Job::ProcessReturn { .. } => None,
        }
    }

    /// At most one job per cause: `kind:order` for an order's jobs (the spelling the string
    /// calls used, so rows written before dedupe against new ones), `fill_backorders:cause` per
    /// freeing change, `tick:task:period start` per period.
    pub fn dedupe_key(&self) -> String {
        match self {
            Job::Notify(n) => n.dedupe_key(),
            Job::ReleaseOrder { order_id } | Job::AutoConfirm { order_id } => format!("{}:{order_id}", self.kind()),
            Job::FillBackorders { cause, .. } => format!("{}:{cause}", self.kind()),
            Job::Tick(t) => t.dedupe_key(),
            Job::ReleaseHeld { hold_id, .. } => format!("{}:{hold_id}", self.kind()),
            Job::ProcessReturn { return_id } => format!("{}:{return_id}", self.kind()),
        }
    }

    /// The outbox row's payload.
    pub fn payload(&self) -> serde_json::Value {
        match self {
            Job::Notify(Notification { order_id, version: Some(version), .. }) => {
                serde_json::json!({ "orderId": order_id, "version": version })
            }
            Job::Notify(Notification { order_id, .. })
            | Job::ReleaseOrder { order_id }
            | Job::AutoConfirm { order_id } => serde_json::json!({ "orderId": order_id }),
            Job::FillBackorders { cause, freed } => {
                serde_json::to_value(FillPayload { cause: *cause, freed: freed.clone() })
                    .unwrap_or(serde_json::Value::Null)
            }
            Job::Tick(t) => t.payload(),
            Job::ReleaseHeld { order_id, hold_id } => {
                serde_json::to_value(HeldPayload { order_id: *order_id, hold_id: *hold_id })
                    .unwrap_or(serde_json::Value::Null)
            }
            Job::ProcessReturn { return_id } => serde_json::json!({ "returnId": return_id }),
        }
    }

    /// Reads an outbox row back into its job.
    pub fn from_row(queue: &str, kind: &str, payload: &str) -> Result<Job, JobParseError> {
        let q = Queue::parse(queue).ok_or_else(|| JobParseError::UnknownQueue(queue.to_owned()))?;
        let bad = |reason: String| JobParseError::BadPayload { kind: kind.to_owned(), reason };
        let read = || -> Result<OrderPayload, JobParseError> {
            serde_json::from_str::<OrderPayload>(payload).map_err(|e| bad(e.to_string()))
        };
        let unknown = || JobParseError::UnknownKind { queue: queue.to_owned(), kind: kind.to_owned() };
        let job = match (q, kind) {
            (Queue::Fulfillment, "release_order") => Job::ReleaseOrder { order_id: read()?.order_id },
            (Queue::Fulfillment, "auto_confirm_order") => Job::AutoConfirm { order_id: read()?.order_id },
            (Queue::Fulfillment, "fill_backorders") => {
                let p = serde_json::from_str::<FillPayload>(payload).map_err(|e| bad(e.to_string()))?;
                Job::FillBackorders { cause: p.cause, freed: p.freed }
            }
            (Queue::Fulfillment, "release_held_order") => {
                let p = serde_json::from_str::<HeldPayload>(payload).map_err(|e| bad(e.to_string()))?;
                Job::ReleaseHeld { order_id: p.order_id, hold_id: p.hold_id }
            }
            (Queue::Fulfillment, kind) => match ScheduledTask::parse(kind) {
                Some(task) => Job::Tick(Tick::from_payload(task, payload).map_err(bad)?),
                None => return Err(unknown()),
            },
            (Queue::Notification, kind) => match NotificationEvent::parse(kind) {
                Some(event) => {
                    let OrderPayload { order_id, version } = read()?;
                    Job::Notify(Notification { order_id, event, version })
                }
                None => return Err(unknown()),
            },
            (Queue::Returns, "process_return") => {
                let p = serde_json::from_str::<ReturnPayload>(payload).map_err(|e| bad(e.to_string()))?;
                Job::ProcessReturn { return_id: p.return_id }
            }
            _ => return Err(unknown()),
        };
        Ok(job)
    }
}

mod lost;
mod runs;
mod scheduled;
#[cfg(test)]
mod tests;

pub use lost::requeue_lost;
pub use runs::*;
pub use scheduled::{MAX_PERIOD, ScheduledTask, TICK_PREFIX, Tick, purge_finished_ticks};
