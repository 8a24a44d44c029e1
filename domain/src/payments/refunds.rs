//! Refunds: money given back, with a reason and the lines it is for. [`record`] is the one way a
//! refund is written — by an agent (`issueRefund`) or by any flow that gives money back (a
//! return) inside its own transaction — and it checks, under the order's lock, that the order
//! never gives back more than it was paid.
use std::collections::HashSet;

use chrono::Utc;
use entities::{order, order_line, refund, refund_line};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

use super::collect::format_money;
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError};
use crate::jobs::{Job, NotificationEvent};
use crate::money::parse_amount;
use crate::orders::{OrderEventKind, record_event};
use crate::{locks, outbox, validate};

/// Units of an order line a refund is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundLineInput {
    pub order_line_id: Uuid,
    pub quantity: i32,
}

/// An agent's refund.
#[derive(Debug, Clone)]
pub struct IssueRefund {
    pub order_id: Uuid,
    pub amount: Decimal,
    pub currency: String,
    pub reason: String,
    pub lines: Vec<RefundLineInput>,
}

/// Records a refund an agent issued (through the payment processor, outside the OMS). Staff only.
#[tracing::instrument(skip_all, fields(order_id = %input.order_id))]
pub async fn issue_refund(
    db: &DatabaseConnection,
    actor: &Actor,
    input: &IssueRefund,
) -> DomainResult<(refund::Model, order::Model)> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let mut problems = Problems::default();
    let amount = problems.take(parse_amount(&["amount"], input.amount, &input.currency));
    let reason = problems.take(validate::text(&["reason"], &input.reason, 500));
    let ((currency, amount), reason) = problems.finish(amount.zip(reason))?;
    let reason = reason.as_str();
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let order = locks::order_or_missing(&txn, input.order_id, "orderId").await?;
        if currency.code() != order.currency {
            let message = format!("the order is in {}, not {}", order.currency, currency.code());
            return Err(DomainError::rejected(&["amount", "currency"], ErrorCode::CurrencyMismatch, message));
        }
        let refund = record(&txn, order.id, amount, reason, &input.lines, actor).await?;
        let order = order::Entity::find_by_id(order.id)
            .one(&txn)
            .await?
            .ok_or_else(|| DomainError::not_found(&["orderId"], "order"))?;
        txn.commit().await?;
        tracing::info!(number = %order.number, amount, "refund recorded");
        Ok((refund, order))
    })
    .await
}

/// Records a refund of `amount_minor` (in the order's currency) inside the caller's transaction:
/// locks the order (the first lock of [`crate::locks`]; a caller that holds it already loses
/// nothing), refuses more than was paid less what was already refunded (REFUND_EXCEEDS_PAID),
/// checks the lines belong to the order, writes the refund and its lines, moves the order's
/// refunded amount on, and leaves a timeline entry and the customer's "refund issued" email.
/// The caller authorises; a refusal leaves its transaction to roll back.
pub async fn record(
    txn: &DatabaseTransaction,
    order_id: Uuid,
    amount_minor: i64,
    reason: &str,
    lines: &[RefundLineInput],
    actor: &Actor,
) -> DomainResult<refund::Model> {
    let order = locks::order_or_missing(txn, order_id, "orderId").await?;
    let mut problems = Problems::default();
    let refundable = order.paid_minor - order.refunded_minor;
    if amount_minor <= 0 {
        problems.add(&["amount", "amount"], ErrorCode::InvalidInput, "amount must be positive");
    } else if amount_minor > refundable {
        problems.add(
            &["amount", "amount"],
            ErrorCode::RefundExceedsPaid,
            format!(
                "order {} was paid {} and refunded {}: at most {} can be refunded",
                order.number,
                format_money(&order.currency, order.paid_minor),
                format_money(&order.currency, order.refunded_minor),
                format_money(&order.currency, refundable)
            ),
        );
    }
    check_lines(txn, &order, lines, &mut problems).await?;
    problems.into_result()?;

    // Conditional on the amounts read under the lock: the rule holds even for a caller that
    // took no lock first (SQLite drops FOR UPDATE, its IMMEDIATE transaction serialises instead).
    use order::Column as O;
    let now = Utc::now();
    let moved = order::Entity::update_many()
        .col_expr(O::RefundedMinor, Expr::col(O::RefundedMinor).add(amount_minor))
        .col_expr(O::UpdatedAt, Expr::value(now))
        .filter(O::Id.eq(order.id))
        .filter(Expr::col(O::RefundedMinor).add(amount_minor).lte(Expr::col(O::PaidMinor)))
        .exec(txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(DomainError::rejected(
            &["amount", "amount"],
            ErrorCode::RefundExceedsPaid,
            format!("order {} has not been paid that much", order.number),
        ));
    }
    let refund_no = refund::Entity::find().filter(refund::Column::OrderId.eq(order.id)).count(txn).await? as i32 + 1;
    let refund = refund::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order.id),
        amount_minor: Set(amount_minor),
        currency: Set(order.currency.clone()),
        reason: Set(reason.to_owned()),
        refund_no: Set(refund_no),
        actor_role: Set(actor.role_label().to_owned()),
        actor_id: Set(actor.label()),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    for line in lines {
        refund_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            refund_id: Set(refund.id),
            order_line_id: Set(line.order_line_id),
            quantity: Set(line.quantity),
        }
        .insert(txn)
        .await?;
    }
    let message = format!("Refund of {} recorded: {reason}", format_money(&order.currency, amount_minor));
    let data = serde_json::json!({ "refundId": refund.id, "refundNo": refund_no, "amountMinor": amount_minor });
    record_event(txn, order.id, OrderEventKind::RefundIssued, actor, message, Some(data)).await?;
    outbox::enqueue_job(txn, &Job::notify_version(order.id, NotificationEvent::RefundIssued, refund_no)).await?;
    Ok(refund)
}

/// Each line must be one of the order's, named once, for 1 up to its quantity.
async fn check_lines(
    txn: &DatabaseTransaction,
    order: &order::Model,
    lines: &[RefundLineInput],
    problems: &mut Problems,
) -> DomainResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let order_lines = order_line::Entity::find().filter(order_line::Column::OrderId.eq(order.id)).all(txn).await?;
    let mut seen = HashSet::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(found) = order_lines.iter().find(|l| l.id == line.order_line_id) else {
            problems.push(UserError::at("lines", i, "orderLineId", ErrorCode::NotFound, "no such line on this order"));
            continue;
        };
        if !seen.insert(line.order_line_id) {
            let message = "the line is named twice";
            problems.push(UserError::at("lines", i, "orderLineId", ErrorCode::InvalidInput, message));
        }
        if line.quantity < 1 || line.quantity > found.quantity {
            let message = format!("quantity must be between 1 and the line's {} units", found.quantity);
            problems.push(UserError::at("lines", i, "quantity", ErrorCode::InvalidInput, message));
        }
    }
    Ok(())
}
