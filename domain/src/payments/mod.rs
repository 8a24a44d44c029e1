//! Payments and refunds are records: the OMS talks to no payment processor. The storefront or an
//! agent records what was collected, an agent (or a flow such as a return) records what was given
//! back, and the order keeps its running amounts (`paid_minor`, `refunded_minor`) under its lock,
//! so a refund is checked against what was paid in the same transaction that writes it: two
//! agents refunding at once can never give back more than was taken.
use entities::{order, payment, refund, refund_line};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::error::DomainResult;
use crate::orders::OrderStatus;

mod collect;
pub mod refunds;

pub use collect::{PaymentInput, RecordPayment, record_payment, record_with_order};
pub use entities::enums::PaymentMethod;
pub use refunds::{IssueRefund, RefundLineInput, issue_refund};

/// Where an order stands with its money, in minor units of its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    /// What the customer is charged: the order's total, nothing once it is cancelled.
    pub charged: i64,
    pub paid: i64,
    pub refunded: i64,
    /// What the customer still owes.
    pub owed: i64,
    /// What is owed back to the customer and not yet refunded (an overpayment, or a
    /// cancellation of what was paid for).
    pub refund_owed: i64,
}

/// How far an order is paid, as its payment status says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Nothing was collected.
    Unpaid,
    /// Some of the total was collected.
    PartiallyPaid,
    /// The total was collected (or more).
    Paid,
    /// Part of what was collected was given back.
    PartiallyRefunded,
    /// Everything collected was given back.
    Refunded,
}

/// The order's balance from its running amounts.
pub fn balance(order: &order::Model) -> Balance {
    let charged = if order.status == OrderStatus::Cancelled { 0 } else { order.total_minor };
    let kept = order.paid_minor - order.refunded_minor;
    Balance {
        charged,
        paid: order.paid_minor,
        refunded: order.refunded_minor,
        owed: (charged - kept).max(0),
        refund_owed: (kept - charged).max(0),
    }
}

/// The order's payment status: refunds first (they are what the customer last heard of), then
/// how much of the charge was collected.
pub fn payment_status(order: &order::Model) -> PaymentStatus {
    let b = balance(order);
    if b.refunded > 0 {
        return if b.refunded >= b.paid { PaymentStatus::Refunded } else { PaymentStatus::PartiallyRefunded };
    }
    if b.paid == 0 {
        PaymentStatus::Unpaid
    } else if b.paid < b.charged {
        PaymentStatus::PartiallyPaid
    } else {
        PaymentStatus::Paid
    }
}

/// The payments of these orders, oldest first: one query for a page of orders. Callers check
/// access to the orders.
pub async fn payments_for_orders<C: ConnectionTrait>(db: &C, order_ids: &[Uuid]) -> DomainResult<Vec<payment::Model>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?)
}

/// The refunds of these orders, oldest first. Callers check access to the orders.
pub async fn refunds_for_orders<C: ConnectionTrait>(db: &C, order_ids: &[Uuid]) -> DomainResult<Vec<refund::Model>> {
    Ok(refund::Entity::find()
        .filter(refund::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(refund::Column::Id)
        .all(db)
        .await?)
}

/// The lines of these refunds.
pub async fn lines_for_refunds<C: ConnectionTrait>(
    db: &C,
    refund_ids: &[Uuid],
) -> DomainResult<Vec<refund_line::Model>> {
    Ok(refund_line::Entity::find()
        .filter(refund_line::Column::RefundId.is_in(refund_ids.iter().copied()))
        .order_by_asc(refund_line::Column::Id)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests;
