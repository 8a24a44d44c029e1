//! An agent approves a requested return (the customer may then send or bring it) or rejects it
//! (its units may be asked for again).
use chrono::Utc;
use entities::order_return;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use uuid::Uuid;

use super::{ReturnStatus, lock_return, missing_return};
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::jobs::{Job, NotificationEvent};
use crate::orders::OrderEventKind;
use crate::{outbox, validate};

/// Approves a requested return. Staff only.
pub async fn approve_return(
    db: &DatabaseConnection,
    actor: &Actor,
    return_id: Uuid,
) -> DomainResult<order_return::Model> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let (order, found) = lock_return(&txn, return_id).await?.ok_or_else(missing_return)?;
        requested(&found)?;
        let now = Utc::now();
        let mut update: order_return::ActiveModel = found.clone().into();
        update.status = Set(ReturnStatus::Approved);
        update.approved_at = Set(Some(now));
        update.updated_at = Set(now);
        let approved = update.update(&txn).await?;
        let message = format!("Return {} approved", found.number);
        crate::fulfillment::follow(&txn, &order, actor, OrderEventKind::ReturnApproved, message).await?;
        let job = Job::notify_version(order.id, NotificationEvent::ReturnApproved, found.seq);
        outbox::enqueue_job(&txn, &job).await?;
        txn.commit().await?;
        Ok(approved)
    })
    .await
}

/// Rejects a requested return, with the reason the customer is given. Staff only.
pub async fn reject_return(
    db: &DatabaseConnection,
    actor: &Actor,
    return_id: Uuid,
    reason: &str,
) -> DomainResult<order_return::Model> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let reason = &validate::text(&["reason"], reason, 500).map_err(|e| DomainError::Rejected(vec![e]))?;
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let (order, found) = lock_return(&txn, return_id).await?.ok_or_else(missing_return)?;
        requested(&found)?;
        let now = Utc::now();
        let mut update: order_return::ActiveModel = found.clone().into();
        update.status = Set(ReturnStatus::Rejected);
        update.reject_reason = Set(Some(reason.clone()));
        update.updated_at = Set(now);
        let rejected = update.update(&txn).await?;
        let message = format!("Return {} rejected: {reason}", found.number);
        crate::fulfillment::follow(&txn, &order, actor, OrderEventKind::ReturnRejected, message).await?;
        txn.commit().await?;
        Ok(rejected)
    })
    .await
}

fn requested(found: &order_return::Model) -> DomainResult<()> {
    if found.status == ReturnStatus::Requested {
        return Ok(());
    }
    Err(DomainError::rejected(
        &["returnId"],
        ErrorCode::InvalidState,
        format!("return {} is {}, not REQUESTED", found.number, found.status),
    ))
}
