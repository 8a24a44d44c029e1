//! Recording a payment: what the storefront or an agent collected, against the order's currency.
use chrono::Utc;
use entities::{order, payment};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::PaymentMethod;
use crate::auth::Actor;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError};
use crate::money::{Currency, parse_amount};
use crate::orders::{OrderEventKind, record_event};
use crate::{locks, validate};

/// A payment as the caller sends it.
#[derive(Debug, Clone)]
pub struct PaymentInput {
    pub amount: Decimal,
    pub currency: String,
    pub method: PaymentMethod,
    /// The processor's or the till's reference, for reconciliation.
    pub reference: Option<String>,
}

/// A payment for an order that exists.
#[derive(Debug, Clone)]
pub struct RecordPayment {
    pub order_id: Uuid,
    pub payment: PaymentInput,
}

/// Records a payment collected for an order. Staff record for any order; a customer token (the
/// storefront acting for its shopper) for its own.
#[tracing::instrument(skip_all, fields(order_id = %input.order_id))]
pub async fn record_payment(
    db: &DatabaseConnection,
    actor: &Actor,
    input: &RecordPayment,
) -> DomainResult<(payment::Model, order::Model)> {
    if !actor.is_staff() && actor.own_customer().is_none() {
        return Err(DomainError::Forbidden);
    }
    retry_once(|| async move {
        let txn = begin_write(db).await?;
        let order = locks::order(&txn, input.order_id)
            .await?
            .filter(|o| actor.may_see_customer(o.customer_id))
            .ok_or_else(|| DomainError::not_found(&["orderId"], "order"))?;
        let recorded = record_with_order(&txn, actor, &order, &input.payment, &[]).await?;
        txn.commit().await?;
        Ok(recorded)
    })
    .await
}

/// Records `input` against `order`, which this transaction has locked (or has just created):
/// the payment row, the order's running amount and a timeline entry. Problems are reported under
/// `field` (e.g. `["payment"]` inside `placeOrder`). Returns the payment and the order as it now is.
pub async fn record_with_order(
    txn: &DatabaseTransaction,
    actor: &Actor,
    order: &order::Model,
    input: &PaymentInput,
    field: &[&str],
) -> DomainResult<(payment::Model, order::Model)> {
    let path = |leaf: &'static str| -> Vec<&str> { field.iter().copied().chain([leaf]).collect() };
    let mut problems = Problems::default();
    let amount =
        problems.take(parse_amount(&path("amount"), input.amount, &input.currency).and_then(|(currency, minor)| {
            if currency.code() != order.currency {
                let message = format!("the order is in {}, not {}", order.currency, currency.code());
                return Err(UserError::new(&path("currency"), ErrorCode::CurrencyMismatch, message));
            }
            if minor == 0 {
                return Err(UserError::new(&path("amount"), ErrorCode::InvalidInput, "amount must be positive"));
            }
            Ok(minor)
        }));
    let reference = problems.take(validate::optional_text(&path("reference"), input.reference.as_deref(), 200));
    let (amount, reference) = problems.finish(amount.zip(reference))?;

    let now = Utc::now();
    let payment = payment::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order.id),
        amount_minor: Set(amount),
        currency: Set(order.currency.clone()),
        method: Set(input.method),
        reference: Set(reference.clone()),
        actor_role: Set(actor.role_label().to_owned()),
        actor_id: Set(actor.label()),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    use order::Column as O;
    order::Entity::update_many()
        .col_expr(O::PaidMinor, Expr::col(O::PaidMinor).add(amount))
        .col_expr(O::UpdatedAt, Expr::value(now))
        .filter(O::Id.eq(order.id))
        .exec(txn)
        .await?;
    let money = format_money(&order.currency, amount);
    let message = match &reference {
        Some(r) => format!("Payment of {money} recorded ({}, reference {r})", input.method),
        None => format!("Payment of {money} recorded ({})", input.method),
    };
    let data = serde_json::json!({ "paymentId": payment.id, "amountMinor": amount, "method": input.method });
    record_event(txn, order.id, OrderEventKind::PaymentRecorded, actor, message, Some(data)).await?;
    let order = order::Entity::find_by_id(order.id)
        .one(txn)
        .await?
        .ok_or_else(|| DomainError::not_found(&["orderId"], "order"))?;
    Ok((payment, order))
}

/// An amount as people read it: "12.50 EUR".
pub(super) fn format_money(currency: &str, minor: i64) -> String {
    match Currency::parse(currency) {
        Some(c) => format!("{} {}", c.to_decimal(minor), c.code()),
        None => format!("{minor} {currency}"),
    }
}
