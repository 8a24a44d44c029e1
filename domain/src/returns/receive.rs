//! Receiving a return at a location that accepts returns: by an associate of that location (or
//! staff naming it). Any such location may receive any order's return — a store receiving an
//! online order's return is BORIS — and the units go back on the receiving location's shelf.
//! The receipt writes the returns job in its own transaction; an exchange's replacement is
//! released to fulfilment here.
use std::collections::HashMap;

use chrono::Utc;
use entities::{location, order_return, return_line};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::request::accepting_location;
use super::{MAX_RETURN_LINES, ReturnStatus, exchange, lock_return, missing_return};
use crate::auth::{Actor, Role};
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError};
use crate::jobs::{Job, NotificationEvent};
use crate::orders::OrderEventKind;
use crate::outbox;

/// The state a returned unit arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Fit to sell again: restocked at the receiving location.
    Resellable,
    /// Not fit to sell: written off.
    Damaged,
}

/// Units of one order line that arrived, and in what state.
#[derive(Debug, Clone)]
pub struct ReceivedLine {
    pub order_line_id: Uuid,
    pub quantity: i32,
    pub condition: Condition,
}

/// What arrived of a return, and where.
#[derive(Debug, Clone)]
pub struct ReceiveReturn {
    pub return_id: Uuid,
    pub lines: Vec<ReceivedLine>,
    /// The receiving location; may be left out when the caller's token names one location, or
    /// the return names the store it is brought to.
    pub location_code: Option<String>,
}

/// Receives an approved return.
#[tracing::instrument(skip_all, fields(return_id = %input.return_id))]
pub async fn receive_return(
    db: &DatabaseConnection,
    actor: &Actor,
    input: &ReceiveReturn,
) -> DomainResult<order_return::Model> {
    let associate = matches!(actor, Actor::User { role: Role::Associate, .. });
    if !actor.is_staff() && !associate {
        return Err(DomainError::Forbidden);
    }
    let mut problems = Problems::default();
    if input.lines.is_empty() || input.lines.len() > MAX_RETURN_LINES {
        problems.add(&["lines"], ErrorCode::InvalidInput, format!("give 1 to {MAX_RETURN_LINES} received lines"));
    }
    for (i, line) in input.lines.iter().enumerate() {
        if !(1..=crate::inventory::MAX_QUANTITY).contains(&line.quantity) {
            let message = "quantity must be at least 1";
            problems.push(UserError::at("lines", i, "quantity", ErrorCode::InvalidInput, message));
        }
    }
    problems.into_result()?;
    let received = retry_once(|| async move {
        let txn = begin_write(db).await?;
        let (order, found) = lock_return(&txn, input.return_id).await?.ok_or_else(missing_return)?;
        let code = receiving_code(&txn, actor, input, &found).await?;
        let location = accepting_location(&txn, &code).await?.map_err(|e| DomainError::Rejected(vec![e]))?;
        if found.status != ReturnStatus::Approved {
            let message = match found.status {
                ReturnStatus::Requested => format!("return {} is not approved yet", found.number),
                other => format!("return {} is {other} and cannot be received again", found.number),
            };
            return Err(DomainError::rejected(&["returnId"], ErrorCode::InvalidState, message));
        }
        let lines = return_line::Entity::find().filter(return_line::Column::ReturnId.eq(found.id)).all(&txn).await?;
        let counts = count(&lines, &input.lines)?;
        let mut units = 0;
        for line in &lines {
            let (resellable, damaged) = counts.get(&line.order_line_id).copied().unwrap_or_default();
            units += resellable + damaged;
            let mut update: return_line::ActiveModel = line.clone().into();
            update.resellable_quantity = Set(resellable);
            update.damaged_quantity = Set(damaged);
            update.update(&txn).await?;
        }
        let now = Utc::now();
        let mut update: order_return::ActiveModel = found.clone().into();
        update.status = Set(ReturnStatus::Received);
        update.receiving_location_id = Set(Some(location.id));
        update.received_at = Set(Some(now));
        update.updated_at = Set(now);
        let received = update.update(&txn).await?;
        let message = format!("Return {}: {units} units received at {}", found.number, location.code);
        crate::fulfillment::follow(&txn, &order, actor, OrderEventKind::ReturnReceived, message).await?;
        let notify = Job::notify_version(order.id, NotificationEvent::ReturnReceived, found.seq);
        outbox::enqueue_job(&txn, &notify).await?;
        outbox::enqueue_job(&txn, &Job::ProcessReturn { return_id: found.id }).await?;
        if found.is_exchange && !found.ship_now {
            exchange::release(&txn, actor, &order, &received).await?;
        }
        txn.commit().await?;
        Ok(received)
    })
    .await?;
    tracing::info!(number = %received.number, "return received");
    Ok(received)
}

/// The receiving location's code: the one named (an associate's own), else the return's store
/// or the associate's only location.
async fn receiving_code<C: sea_orm::ConnectionTrait>(
    db: &C,
    actor: &Actor,
    input: &ReceiveReturn,
    found: &order_return::Model,
) -> DomainResult<String> {
    let own = actor.associate_locations();
    if let Some(code) = &input.location_code {
        if own.is_some_and(|codes| !codes.contains(code)) {
            return Err(DomainError::Forbidden);
        }
        return Ok(code.clone());
    }
    let store = match found.location_id {
        Some(id) => location::Entity::find_by_id(id).one(db).await?.map(|l| l.code),
        None => None,
    };
    let chosen = match own {
        None => store,
        Some(codes) => match store.filter(|s| codes.contains(s)) {
            Some(s) => Some(s),
            None if codes.len() == 1 => codes.first().cloned(),
            None => None,
        },
    };
    chosen.ok_or_else(|| {
        DomainError::rejected(&["locationCode"], ErrorCode::InvalidInput, "name the location receiving the return")
    })
}

/// Units per order line (resellable, damaged), each within what the return holds.
fn count(lines: &[return_line::Model], received: &[ReceivedLine]) -> DomainResult<HashMap<Uuid, (i32, i32)>> {
    let mut problems = Problems::default();
    let mut counts: HashMap<Uuid, (i32, i32)> = HashMap::new();
    for (i, r) in received.iter().enumerate() {
        let Some(line) = lines.iter().find(|l| l.order_line_id == r.order_line_id) else {
            let message = "this order line is not on the return";
            problems.push(UserError::at("lines", i, "orderLineId", ErrorCode::NotFound, message));
            continue;
        };
        let entry = counts.entry(line.order_line_id).or_default();
        match r.condition {
            Condition::Resellable => entry.0 += r.quantity,
            Condition::Damaged => entry.1 += r.quantity,
        }
        if entry.0 + entry.1 > line.quantity {
            let message = format!("the return holds {} units of this line", line.quantity);
            problems.push(UserError::at("lines", i, "quantity", ErrorCode::InvalidInput, message));
        }
    }
    problems.into_result()?;
    Ok(counts)
}
