//! Asking for a return or an exchange: the customer for their own order within the return
//! window, or an agent at any time; never more of a line than was delivered less what is
//! already on other returns. Checked and written in one transaction under the order's lock, so
//! two requests at once cannot both take the same delivered units.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entities::{fulfillment_order, fulfillment_order_line, location, order, order_line, order_return, return_line};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{MAX_RETURN_LINES, ReturnMethod, ReturnStatus, exchange, policy};
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError};
use crate::inventory::MAX_QUANTITY;
use crate::jobs::{Job, NotificationEvent};
use crate::orders::{FulfillmentStatus, OrderEventKind, OrderStatus};
use crate::{locks, outbox, validate};

/// Units of one order line to return, and why.
#[derive(Debug, Clone)]
pub struct ReturnLineRequest {
    pub order_line_id: Uuid,
    pub quantity: i32,
    pub reason: String,
}

/// A return: which units of which order, and how they come back.
#[derive(Debug, Clone)]
pub struct ReturnRequest {
    pub order_id: Uuid,
    pub lines: Vec<ReturnLineRequest>,
    pub method: ReturnMethod,
    /// The store the customer brings it to (required IN_STORE), or where it is sent (MAIL).
    pub location_code: Option<String>,
}

/// A unit of the replacement an exchange sends.
#[derive(Debug, Clone)]
pub struct ReplacementLine {
    pub sku: String,
    pub quantity: i32,
}

/// An exchange: a return plus the replacement, reserved at once.
#[derive(Debug, Clone)]
pub struct ExchangeRequest {
    pub request: ReturnRequest,
    pub replacement: Vec<ReplacementLine>,
    /// Release the replacement to fulfilment at once rather than when the return is received.
    pub ship_now: bool,
}

/// Requests a return. Approved at once when an agent asks or the policy auto-approves.
#[tracing::instrument(skip_all, fields(order_id = %request.order_id))]
pub async fn request_return(
    db: &DatabaseConnection,
    actor: &Actor,
    request: &ReturnRequest,
) -> DomainResult<order_return::Model> {
    let reasons = &check(actor, request, "lines")?;
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let (_, opened) = open(&txn, actor, request, reasons, "lines").await?;
        txn.commit().await?;
        Ok(opened)
    })
    .await
}

/// Requests an exchange: a return whose replacement is reserved now and ships on receipt (or
/// at once with `ship_now`). Customer service only: an exchange is agreed, and so approved, when
/// it is made, as its replacement already holds stock.
#[tracing::instrument(skip_all, fields(order_id = %exchange.request.order_id))]
pub async fn request_exchange(
    db: &DatabaseConnection,
    actor: &Actor,
    exchange: &ExchangeRequest,
) -> DomainResult<order_return::Model> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let checked = check(actor, &exchange.request, "returnLines");
    let mut problems = Problems::default();
    if exchange.replacement.is_empty() || exchange.replacement.len() > MAX_RETURN_LINES {
        problems.add(
            &["replacementLines"],
            ErrorCode::InvalidInput,
            format!("give 1 to {MAX_RETURN_LINES} replacement lines"),
        );
    }
    for (i, line) in exchange.replacement.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            let message = format!("quantity must be between 1 and {MAX_QUANTITY}");
            problems.push(UserError::at("replacementLines", i, "quantity", ErrorCode::InvalidInput, message));
        }
    }
    let reasons = match (checked, problems.into_result()) {
        (Ok(reasons), Ok(())) => reasons,
        (Err(DomainError::Rejected(mut a)), Err(DomainError::Rejected(b))) => {
            a.extend(b);
            return Err(DomainError::Rejected(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let reasons = &reasons;
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let (order, opened) = open(&txn, actor, &exchange.request, reasons, "returnLines").await?;
        let opened = exchange::reserve(&txn, actor, &order, opened, &exchange.replacement, exchange.ship_now).await?;
        txn.commit().await?;
        Ok(opened)
    })
    .await
}

/// Who may ask, and the input on its own: the reasons, trimmed.
fn check(actor: &Actor, request: &ReturnRequest, list: &str) -> DomainResult<Vec<String>> {
    if !actor.is_staff() && actor.own_customer().is_none() {
        return Err(DomainError::Forbidden);
    }
    let mut problems = Problems::default();
    if request.lines.is_empty() || request.lines.len() > MAX_RETURN_LINES {
        problems.add(&[list], ErrorCode::InvalidInput, format!("give 1 to {MAX_RETURN_LINES} lines to return"));
    }
    let mut reasons = Vec::new();
    for (i, line) in request.lines.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            let message = format!("quantity must be between 1 and {MAX_QUANTITY}");
            problems.push(UserError::at(list, i, "quantity", ErrorCode::InvalidInput, message));
        }
        if request.lines.iter().take(i).any(|l| l.order_line_id == line.order_line_id) {
            let message = "this order line is given more than once";
            problems.push(UserError::at(list, i, "orderLineId", ErrorCode::InvalidInput, message));
        }
        let field = [list.to_owned(), i.to_string(), "reason".to_owned()];
        let field: Vec<&str> = field.iter().map(String::as_str).collect();
        if let Some(reason) = problems.take(validate::text(&field, &line.reason, 500)) {
            reasons.push(reason);
        }
    }
    if request.method == ReturnMethod::InStore && request.location_code.is_none() {
        problems.add(&["locationCode"], ErrorCode::InvalidInput, "name the store the goods are brought to");
    }
    problems.into_result()?;
    Ok(reasons)
}

/// What each order line has delivered and has on returns already, and when the last of the
/// order's deliveries happened.
struct Returnable {
    delivered: HashMap<Uuid, i32>,
    taken: HashMap<Uuid, i32>,
    last_delivery: Option<DateTime<Utc>>,
}

async fn returnable(txn: &DatabaseTransaction, order_id: Uuid) -> DomainResult<Returnable> {
    let fos = fulfillment_order::Entity::find()
        .filter(fulfillment_order::Column::OrderId.eq(order_id))
        .filter(fulfillment_order::Column::Status.is_in([FulfillmentStatus::Delivered, FulfillmentStatus::PickedUp]))
        .all(txn)
        .await?;
    let last_delivery = fos.iter().map(|f| f.delivered_at.unwrap_or(f.updated_at)).max();
    let fo_lines = fulfillment_order_line::Entity::find()
        .filter(fulfillment_order_line::Column::FulfillmentOrderId.is_in(fos.iter().map(|f| f.id)))
        .all(txn)
        .await?;
    let mut delivered: HashMap<Uuid, i32> = HashMap::new();
    for l in fo_lines {
        *delivered.entry(l.order_line_id).or_default() += l.quantity;
    }
    let open: Vec<Uuid> = order_return::Entity::find()
        .filter(order_return::Column::OrderId.eq(order_id))
        .filter(order_return::Column::Status.ne(ReturnStatus::Rejected))
        .all(txn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut taken: HashMap<Uuid, i32> = HashMap::new();
    for l in return_line::Entity::find().filter(return_line::Column::ReturnId.is_in(open)).all(txn).await? {
        *taken.entry(l.order_line_id).or_default() += l.quantity;
    }
    Ok(Returnable { delivered, taken, last_delivery })
}

/// Checks the request against the order under its lock and writes the return: approved at once
/// when staff ask or the policy auto-approves.
async fn open(
    txn: &DatabaseTransaction,
    actor: &Actor,
    request: &ReturnRequest,
    reasons: &[String],
    list: &str,
) -> DomainResult<(order::Model, order_return::Model)> {
    let now = Utc::now();
    let order = locks::order(txn, request.order_id)
        .await?
        .filter(|o| actor.may_see_customer(o.customer_id))
        .ok_or_else(|| DomainError::not_found(&["orderId"], "order"))?;
    if order.status == OrderStatus::Cancelled {
        let message = format!("order {} is cancelled: nothing was delivered to return", order.number);
        return Err(DomainError::rejected(&["orderId"], ErrorCode::InvalidState, message));
    }
    let mut problems = Problems::default();
    let location = match &request.location_code {
        Some(code) => problems.take(accepting_location(txn, code).await?),
        None => None,
    };
    let lines: HashMap<Uuid, order_line::Model> = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let books = returnable(txn, order.id).await?;
    for (i, asked) in request.lines.iter().enumerate() {
        let Some(line) = lines.get(&asked.order_line_id) else {
            let message = "this order has no such line";
            problems.push(UserError::at(list, i, "orderLineId", ErrorCode::NotFound, message));
            continue;
        };
        let delivered = books.delivered.get(&line.id).copied().unwrap_or(0);
        let left = delivered - books.taken.get(&line.id).copied().unwrap_or(0);
        if asked.quantity > left {
            let message = format!(
                "{} units of {} may still be returned ({delivered} delivered, the rest already on returns); {} asked",
                std::cmp::max(left, 0),
                line.sku,
                asked.quantity
            );
            problems.push(UserError::at(list, i, "quantity", ErrorCode::ReturnExceedsDelivered, message));
        }
    }
    let policy = policy::load(txn).await?;
    // The window binds customers; customer service may take a late return as a goodwill gesture.
    if !actor.is_staff()
        && let Some(delivered_at) = books.last_delivery
        && now > delivered_at + Duration::days(i64::from(policy.window_days))
    {
        let message = format!(
            "the return window of {} days from delivery has closed for order {}",
            policy.window_days, order.number
        );
        problems.add(&["orderId"], ErrorCode::ReturnWindowClosed, message);
    }
    problems.into_result()?;

    let seq = order_return::Entity::find()
        .filter(order_return::Column::OrderId.eq(order.id))
        .all(txn)
        .await?
        .iter()
        .map(|r| r.seq)
        .max()
        .unwrap_or(0)
        + 1;
    let approved = actor.is_staff() || policy.auto_approve;
    let status = if approved { ReturnStatus::Approved } else { ReturnStatus::Requested };
    let mut value = 0_i64;
    let id = Uuid::now_v7();
    let number = format!("{}-R{seq}", order.number);
    let opened = order_return::ActiveModel {
        id: Set(id),
        order_id: Set(order.id),
        seq: Set(seq),
        number: Set(number.clone()),
        status: Set(status),
        method: Set(request.method),
        location_id: Set(location.as_ref().map(|l| l.id)),
        receiving_location_id: Set(None),
        is_exchange: Set(false),
        ship_now: Set(false),
        currency: Set(order.currency.clone()),
        return_value_minor: Set(0),
        replacement_minor: Set(0),
        refund_minor: Set(None),
        reject_reason: Set(None),
        requested_by: Set(actor.label()),
        created_at: Set(now),
        updated_at: Set(now),
        approved_at: Set(approved.then_some(now)),
        received_at: Set(None),
        refunded_at: Set(None),
    }
    .insert(txn)
    .await?;
    let mut described = Vec::new();
    for (asked, reason) in request.lines.iter().zip(reasons) {
        let Some(line) = lines.get(&asked.order_line_id) else { continue };
        value += line.unit_price_minor * i64::from(asked.quantity);
        described.push(format!("{} × {}", asked.quantity, line.sku));
        return_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            return_id: Set(id),
            order_line_id: Set(line.id),
            quantity: Set(asked.quantity),
            reason: Set(reason.clone()),
            unit_price_minor: Set(line.unit_price_minor),
            resellable_quantity: Set(0),
            damaged_quantity: Set(0),
        }
        .insert(txn)
        .await?;
    }
    let mut update: order_return::ActiveModel = opened.into();
    update.return_value_minor = Set(value);
    let opened = update.update(txn).await?;
    let message = format!("Return {number} requested ({}) by {}", described.join(", "), request.method);
    crate::fulfillment::follow(txn, &order, actor, OrderEventKind::ReturnRequested, message).await?;
    if approved {
        let message = format!("Return {number} approved");
        crate::orders::record_event(txn, order.id, OrderEventKind::ReturnApproved, actor, message, None).await?;
        outbox::enqueue_job(txn, &Job::notify_version(order.id, NotificationEvent::ReturnApproved, seq)).await?;
    }
    Ok((order, opened))
}

/// The location `code`, if it takes returns; the problem otherwise.
pub(super) async fn accepting_location(
    txn: &DatabaseTransaction,
    code: &str,
) -> DomainResult<Result<location::Model, UserError>> {
    let Some(found) = crate::locations::find_by_code(txn, code).await? else {
        let message = format!("no location has code '{code}'");
        return Ok(Err(UserError::new(&["locationCode"], ErrorCode::UnknownLocation, message)));
    };
    if !found.accepts_returns || !found.active {
        let message = format!("{} does not accept returns", found.code);
        return Ok(Err(UserError::new(&["locationCode"], ErrorCode::LocationCannotAcceptReturns, message)));
    }
    Ok(Ok(found))
}
