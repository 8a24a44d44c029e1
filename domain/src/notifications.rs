//! Notifications: the emails the system decided to send, once per (order, event).
//!
//! A notification job claims its row first (insert, or find the existing one), renders and
//! sends, then marks it SENT or FAILED. A row already SENT means a retried or duplicated job:
//! it sends nothing. Rendering and delivery are the workers' adapters; what to say, to whom,
//! and the record of it live here.
use chrono::Utc;
use entities::{fulfillment_order, location, notification, order, order_line, order_return};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::DomainResult;
use crate::jobs::{Notification, NotificationEvent};
use crate::money::Currency;
use crate::orders::FulfillmentStatus;

pub use entities::enums::NotificationStatus;

/// One line of the order as an email shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EmailLine {
    pub sku: String,
    pub name: String,
    pub quantity: i32,
    /// Units of `quantity` no longer ordered (an order change or a cancellation).
    pub cancelled: i32,
    pub backordered: i32,
    pub unit_price: String,
    pub total: String,
}

/// One shipment or pickup of the order as an email shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EmailShipment {
    pub location: String,
    pub status: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub pickup_code: Option<String>,
}

/// One appointment of the order as an email shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EmailAppointment {
    pub sku: String,
    pub name: String,
    /// UNSCHEDULED, BOOKED, COMPLETED or CANCELLED.
    pub status: String,
    /// The slot in the location's local time, e.g. "2027-03-26 08:00–12:00 (Europe/Paris)".
    pub window: Option<String>,
    pub location: Option<String>,
}

/// Everything a template may use.
#[derive(Debug, Clone, Serialize)]
pub struct EmailContext {
    pub event: String,
    pub order_id: Uuid,
    pub order_number: String,
    pub customer_name: String,
    pub customer_email: String,
    pub status: String,
    pub delivery_method: String,
    pub currency: String,
    pub subtotal: String,
    pub shipping: String,
    pub tax: String,
    pub discount: String,
    pub total: String,
    pub lines: Vec<EmailLine>,
    pub shipments: Vec<EmailShipment>,
    pub ship_to: Option<String>,
    /// The carrier and tracking number of the shipments that have them (shipped emails).
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    /// The pickup code and store (ready-for-pickup emails).
    pub pickup_code: Option<String>,
    pub pickup_location: Option<String>,
    /// The refund a "refund issued" email is about.
    pub refund_amount: Option<String>,
    /// What is owed back to the customer and not yet refunded, when anything is.
    pub refund_owed: Option<String>,
    /// The order's appointments (deliveries in a window, services).
    pub appointments: Vec<EmailAppointment>,
    /// The return an email is about (return and exchange emails), e.g. "SO-000123-R1".
    pub return_number: Option<String>,
    /// The refund recorded for that return, once it is known.
    pub refund: Option<String>,
}

/// What a notification job should do.
#[derive(Debug, Clone)]
pub enum Claim {
    /// Send this email, then report with [`mark_sent`] or [`mark_failed`].
    Send { notification_id: Uuid, recipient: String, template: String, context: Box<EmailContext> },
    /// Already sent: a duplicate delivery of the job.
    AlreadySent,
    /// The order no longer exists.
    NoOrder,
}

/// Claims the (order, event) notification: creates its row on first sight, counting the attempt,
/// and says to send unless it was already sent. One write: an insert whose conflict with an
/// existing row counts the attempt only where the row is not SENT, returning the row it claimed.
pub async fn claim(db: &DatabaseConnection, notification: &Notification) -> DomainResult<Claim> {
    use notification::Column as N;
    let Notification { order_id, event, .. } = *notification;
    let Some(order) = order::Entity::find_by_id(order_id).one(db).await? else {
        return Ok(Claim::NoOrder);
    };
    let now = Utc::now();
    let unless_sent = OnConflict::column(N::DedupeKey)
        .value(N::Attempts, Expr::col((notification::Entity, N::Attempts)).add(1))
        .value(N::UpdatedAt, Expr::value(now))
        .action_and_where(N::Status.ne(NotificationStatus::Sent))
        .to_owned();
    let mut insert = notification::Entity::insert(notification::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order_id),
        event: Set(event.as_upper()),
        dedupe_key: Set(notification.dedupe_key()),
        recipient: Set(order.customer_email.clone()),
        template: Set(event.kind().to_owned()),
        subject: Set(None),
        status: Set(NotificationStatus::Pending),
        attempts: Set(1),
        error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
    })
    .on_conflict(unless_sent)
    .into_query();
    insert.returning(Query::returning().columns([N::Id, N::Recipient, N::Template]));
    // No row back: the conflict's condition failed, the email was sent.
    let Some(row) = db.query_one(&insert).await? else {
        return Ok(Claim::AlreadySent);
    };
    let rows = email_rows(db, &order).await?;
    let context = email_context(db, &order, notification, rows, true).await?;
    Ok(Claim::Send {
        notification_id: row.try_get("", "id")?,
        recipient: row.try_get("", "recipient")?,
        template: row.try_get("", "template")?,
        context: Box::new(context),
    })
}

/// How a notification job began with [`begin`].
#[derive(Debug, Clone)]
pub enum Begun {
    /// Nothing was done: the job takes the general path, `jobs::begin_run` then [`claim`]. The
    /// embedded default always; on PostgreSQL when the run record is not there yet (the relay's
    /// dispatch has not committed) or the run has finished (a repeated delivery).
    NotStarted,
    /// The run's attempt was counted and the email claimed.
    Started { attempt: i32, claim: Claim },
}

/// On PostgreSQL, the start of a notification job in one statement: counts the run's attempt
/// (as `jobs::begin_run` does), reads the order, claims the email (as [`claim`] does) and reads
/// the rows the email shows, as JSON. That is one round trip where the general path takes six;
/// this runs once per email.
pub async fn begin(db: &DatabaseConnection, notification: &Notification, run: &str) -> DomainResult<Begun> {
    use crate::jobs::JobStatus;
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(Begun::NotStarted);
    }
    let Notification { order_id, event, .. } = *notification;
    // The final SELECT reads the order's other rows only for an email to send: `n` returned a row.
    let sql = "WITH run AS (UPDATE job_runs SET status = $1, attempts = attempts + 1, updated_at = $2 \
                 WHERE dedupe_key = $3 AND status NOT IN ($4, $5) RETURNING attempts), \
               o AS (SELECT * FROM orders WHERE id = $6 AND EXISTS (SELECT 1 FROM run)), \
               n AS (INSERT INTO notifications (id, order_id, event, dedupe_key, recipient, template, status, \
                 attempts, created_at, updated_at) \
                 SELECT $7, o.id, $8, $9, o.customer_email, $10, $11, 1, $2, $2 FROM o \
                 ON CONFLICT (dedupe_key) DO UPDATE SET attempts = notifications.attempts + 1, updated_at = $2 \
                 WHERE notifications.status <> $12 \
                 RETURNING id, recipient, template) \
               SELECT run.attempts AS run_attempt, n.id AS notification_id, n.recipient AS notification_recipient, \
                 n.template AS notification_template, \
                 CASE WHEN n.id IS NOT NULL THEN json_build_object( \
                   'lines', (SELECT coalesce(json_agg(json_build_object('sku', l.sku, 'name', l.name, \
                     'quantity', l.quantity, 'cancelled_quantity', l.cancelled_quantity, \
                     'backordered_quantity', l.backordered_quantity, 'unit_price_minor', l.unit_price_minor, \
                     'line_total_minor', l.line_total_minor) ORDER BY l.line_no), '[]'::json) \
                     FROM order_lines l WHERE l.order_id = o.id), \
                   'shipments', (SELECT coalesce(json_agg(json_build_object('status', f.status, \
                     'location', loc.name || ', ' || loc.city, 'carrier', f.carrier, \
                     'tracking_number', f.tracking_number, 'pickup_code', f.pickup_code) ORDER BY f.id), '[]'::json) \
                     FROM fulfillment_orders f LEFT JOIN locations loc ON loc.id = f.location_id \
                     WHERE f.order_id = o.id), \
                   'pickup_location', (SELECT loc.name || ', ' || loc.city FROM locations loc \
                     WHERE loc.id = o.pickup_location_id)) END AS email_rows, \
                 CASE WHEN n.id IS NOT NULL THEN EXISTS (SELECT 1 FROM appointments a WHERE a.order_id = o.id) \
                 END AS has_appointments, \
                 o.* \
               FROM run LEFT JOIN o ON true LEFT JOIN n ON true";
    let values: [sea_orm::Value; 12] = [
        JobStatus::Running.as_str().into(),
        Utc::now().into(),
        run.into(),
        JobStatus::Succeeded.as_str().into(),
        JobStatus::Failed.as_str().into(),
        order_id.into(),
        Uuid::now_v7().into(),
        event.as_upper().into(),
        notification.dedupe_key().into(),
        event.kind().into(),
        NotificationStatus::Pending.as_str().into(),
        NotificationStatus::Sent.as_str().into(),
    ];
    let statement = sea_orm::Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values);
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(Begun::NotStarted);
    };
    let attempt: i32 = row.try_get("", "run_attempt")?;
    if row.try_get::<Option<Uuid>>("", "id")?.is_none() {
        return Ok(Begun::Started { attempt, claim: Claim::NoOrder });
    }
    let Some(notification_id) = row.try_get::<Option<Uuid>>("", "notification_id")? else {
        return Ok(Begun::Started { attempt, claim: Claim::AlreadySent });
    };
    let order = order::Model::from_query_result(&row, "")?;
    let rows: serde_json::Value = row.try_get("", "email_rows")?;
    let rows: EmailRows =
        serde_json::from_value(rows).map_err(|e| sea_orm::DbErr::Custom(format!("reading an email's rows: {e}")))?;
    let has_appointments: bool = row.try_get("", "has_appointments")?;
    let context = email_context(db, &order, notification, rows, has_appointments).await?;
    Ok(Begun::Started {
        attempt,
        claim: Claim::Send {
            notification_id,
            recipient: row.try_get("", "notification_recipient")?,
            template: row.try_get("", "notification_template")?,
            context: Box::new(context),
        },
    })
}

/// The mail server accepted it: the email is SENT and the job that sent it succeeded, in one
/// commit (a crash between two would leave one of them to be done again).
pub async fn mark_sent(db: &DatabaseConnection, notification_id: Uuid, subject: &str, job: &str) -> DomainResult<()> {
    let now = Utc::now();
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // One statement is one commit, without a transaction's three more round trips: this runs
        // once per email. The job's columns are those `jobs::succeed_run` sets.
        let sql = "WITH sent AS (UPDATE notifications SET status = $1, subject = $2, error = NULL, sent_at = $3, \
                   updated_at = $3 WHERE id = $4) \
                   UPDATE job_runs SET status = $5, updated_at = $3, finished_at = $3, next_run_at = NULL \
                   WHERE dedupe_key = $6";
        let values: [sea_orm::Value; 6] = [
            NotificationStatus::Sent.as_str().into(),
            subject.into(),
            now.into(),
            notification_id.into(),
            crate::jobs::JobStatus::Succeeded.as_str().into(),
            job.into(),
        ];
        db.execute_raw(sea_orm::Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)).await?;
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(NotificationStatus::Sent))
        .col_expr(notification::Column::Subject, Expr::value(subject))
        .col_expr(notification::Column::Error, Expr::value(Option::<String>::None))
        .col_expr(notification::Column::SentAt, Expr::value(now))
        .col_expr(notification::Column::UpdatedAt, Expr::value(now))
        .filter(notification::Column::Id.eq(notification_id))
        .exec(&txn)
        .await?;
    crate::jobs::succeed_run(&txn, job).await?;
    txn.commit().await?;
    Ok(())
}

/// The attempt failed; the job will retry within its budget.
pub async fn mark_failed(db: &DatabaseConnection, notification_id: Uuid, error: &str) -> DomainResult<()> {
    let error: String = error.chars().take(2000).collect();
    notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(NotificationStatus::Failed))
        .col_expr(notification::Column::Error, Expr::value(error))
        .col_expr(notification::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(notification::Column::Id.eq(notification_id))
        .filter(notification::Column::Status.ne(NotificationStatus::Sent))
        .exec(db)
        .await?;
    Ok(())
}

/// An order's notifications, in the order they were decided. Callers check access to the order.
pub async fn for_order<C: ConnectionTrait>(db: &C, order_id: Uuid) -> DomainResult<Vec<notification::Model>> {
    Ok(notification::Entity::find()
        .filter(notification::Column::OrderId.eq(order_id))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await?)
}

/// The rows of an order an email is made from, whichever way they were read.
#[derive(Debug, Deserialize)]
struct EmailRows {
    lines: Vec<LineRow>,
    shipments: Vec<ShipmentRow>,
    /// "Name, City" of the order's pickup store.
    pickup_location: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LineRow {
    sku: String,
    name: String,
    quantity: i32,
    cancelled_quantity: i32,
    backordered_quantity: i32,
    unit_price_minor: i64,
    line_total_minor: i64,
}

/// A fulfilment order with its location's "Name, City".
#[derive(Debug, Deserialize)]
struct ShipmentRow {
    status: String,
    location: Option<String>,
    carrier: Option<String>,
    tracking_number: Option<String>,
    pickup_code: Option<String>,
}

/// Reads the rows with the ORM, a statement per table (the embedded default's way; PostgreSQL
/// reads them with the claim, see [`begin`]).
async fn email_rows(db: &DatabaseConnection, order: &order::Model) -> DomainResult<EmailRows> {
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .order_by_asc(order_line::Column::LineNo)
        .all(db)
        .await?
        .into_iter()
        .map(|l| LineRow {
            sku: l.sku,
            name: l.name,
            quantity: l.quantity,
            cancelled_quantity: l.cancelled_quantity,
            backordered_quantity: l.backordered_quantity,
            unit_price_minor: l.unit_price_minor,
            line_total_minor: l.line_total_minor,
        })
        .collect();
    // The fulfilment orders with their locations in one read.
    let at_location = fulfillment_order::Entity::belongs_to(location::Entity)
        .from(fulfillment_order::Column::LocationId)
        .to(location::Column::Id)
        .into();
    let rows = fulfillment_order::Entity::find()
        .join(JoinType::LeftJoin, at_location)
        .select_also(location::Entity)
        .filter(fulfillment_order::Column::OrderId.eq(order.id))
        .order_by_asc(fulfillment_order::Column::Id)
        .all(db)
        .await?;
    let name = |l: &location::Model| format!("{}, {}", l.name, l.city);
    let mut pickup_location = None;
    if let Some(pickup) = order.pickup_location_id {
        pickup_location = match rows.iter().find_map(|(_, l)| l.as_ref().filter(|l| l.id == pickup)) {
            Some(l) => Some(name(l)),
            None => location::Entity::find_by_id(pickup).one(db).await?.as_ref().map(name),
        };
    }
    let shipments = rows
        .into_iter()
        .map(|(f, l)| ShipmentRow {
            status: f.status.as_str().to_owned(),
            location: l.as_ref().map(name),
            carrier: f.carrier,
            tracking_number: f.tracking_number,
            pickup_code: f.pickup_code,
        })
        .collect();
    Ok(EmailRows { lines, shipments, pickup_location })
}

async fn email_context(
    db: &DatabaseConnection,
    order: &order::Model,
    notification: &Notification,
    rows: EmailRows,
    has_appointments: bool,
) -> DomainResult<EmailContext> {
    let (event, version) = (notification.event, notification.version);
    let currency = Currency::parse(&order.currency);
    let money = |minor: i64| match currency {
        Some(c) => format!("{} {}", c.to_decimal(minor), c.code()),
        None => format!("{minor} {}", order.currency),
    };
    let lines = rows
        .lines
        .into_iter()
        .map(|l| EmailLine {
            sku: l.sku,
            name: l.name,
            quantity: l.quantity,
            cancelled: l.cancelled_quantity,
            backordered: l.backordered_quantity,
            unit_price: money(l.unit_price_minor),
            total: money(l.line_total_minor),
        })
        .collect();
    let gone = [FulfillmentStatus::Cancelled.as_str(), FulfillmentStatus::Rejected.as_str()];
    let shipments: Vec<EmailShipment> = rows
        .shipments
        .into_iter()
        .filter(|f| !gone.contains(&f.status.as_str()))
        .map(|f| EmailShipment {
            location: f.location.unwrap_or_default(),
            status: f.status,
            carrier: f.carrier,
            tracking_number: f.tracking_number,
            pickup_code: f.pickup_code,
        })
        .collect();
    let carrier = shipments.iter().find_map(|s| s.carrier.clone());
    let tracking_number = shipments.iter().find_map(|s| s.tracking_number.clone());
    let pickup_code = shipments.iter().find_map(|s| s.pickup_code.clone());
    let ship_to = order.ship_line1.as_ref().map(|line1| {
        [
            order.ship_name.clone(),
            Some(line1.clone()),
            order.ship_line2.clone(),
            Some(
                [order.ship_postal_code.clone(), order.ship_city.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            order.ship_country.clone(),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    });
    // Return emails carry the return's number on the order as their version.
    let the_return = match version {
        Some(seq) if event.is_about_a_return() => {
            order_return::Entity::find()
                .filter(order_return::Column::OrderId.eq(order.id))
                .filter(order_return::Column::Seq.eq(seq))
                .one(db)
                .await?
        }
        _ => None,
    };
    let appointments =
        if has_appointments { crate::scheduling::due::appointments_for_email(db, order.id).await? } else { Vec::new() };
    Ok(EmailContext {
        event: event.kind().to_owned(),
        order_id: order.id,
        order_number: order.number.clone(),
        customer_name: order.customer_name.clone(),
        customer_email: order.customer_email.clone(),
        status: order.status.as_str().to_owned(),
        delivery_method: order.delivery_method.as_str().to_owned(),
        currency: order.currency.clone(),
        subtotal: money(order.subtotal_minor),
        shipping: money(order.shipping_minor),
        tax: money(order.tax_minor),
        discount: money(order.discount_minor),
        total: money(order.total_minor),
        lines,
        shipments,
        ship_to,
        carrier,
        tracking_number,
        pickup_code,
        pickup_location: order.pickup_location_id.map(|_| rows.pickup_location.unwrap_or_default()),
        refund_amount: refund_amount(db, notification).await?.map(money),
        refund_owed: Some(crate::payments::balance(order).refund_owed).filter(|m| *m > 0).map(money),
        appointments,
        return_number: the_return.as_ref().map(|r| r.number.clone()),
        refund: the_return.and_then(|r| r.refund_minor).map(money),
    })
}

/// The amount of the refund a "refund issued" notification is about (its number is the
/// notification's `version`).
async fn refund_amount(db: &DatabaseConnection, notification: &Notification) -> DomainResult<Option<i64>> {
    let (NotificationEvent::RefundIssued, Some(refund_no)) = (notification.event, notification.version) else {
        return Ok(None);
    };
    let found = entities::refund::Entity::find()
        .filter(entities::refund::Column::OrderId.eq(notification.order_id))
        .filter(entities::refund::Column::RefundNo.eq(refund_no))
        .one(db)
        .await?;
    Ok(found.map(|r| r.amount_minor))
}
