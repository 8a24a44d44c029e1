//! Payments and refunds: what was collected for an order and what was given back, recorded by
//! the storefront or an agent (the OMS talks to no payment processor).
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use domain::payments::{self, IssueRefund, PaymentInput as DomainPayment, RecordPayment, RefundLineInput};
use entities::{order, payment, refund};

use super::common::{Money, MoneyInput, parts, uuid_or_nil};
use super::enums::PaymentMethod;
use super::errors::{ApiResult, Payload, UserError, respond};
use super::loaders::loaders;
use super::orders::{Order, OrderLine};

/// A payment collected for an order.
#[derive(Clone, Debug)]
pub struct Payment(pub payment::Model);

/// A payment collected for an order, as it was recorded.
#[Object]
impl Payment {
    /// The payment's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// What was collected.
    async fn amount(&self) -> Money {
        Money::from_minor(self.0.amount_minor, &self.0.currency)
    }

    /// How it was collected.
    async fn method(&self) -> PaymentMethod {
        self.0.method.into()
    }

    /// The processor's or the till's reference, if given.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }

    /// The role of who recorded it: customer (the storefront), agent, admin or system.
    async fn recorded_by_role(&self) -> &str {
        &self.0.actor_role
    }

    /// When it was recorded (RFC 3339).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

/// Money given back to the customer of an order.
#[derive(Clone, Debug)]
pub struct Refund(pub refund::Model);

/// Money given back to the customer of an order, with why and for which lines.
#[Object]
impl Refund {
    /// The refund's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// The refund's number within its order: 1, 2, …
    async fn number(&self) -> i32 {
        self.0.refund_no
    }

    /// What was given back.
    async fn amount(&self) -> Money {
        Money::from_minor(self.0.amount_minor, &self.0.currency)
    }

    /// Why, in the words of who recorded it: for staff and associates; null for a customer
    /// (the customer reads the timeline's wording instead).
    async fn reason(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        let (_, actor) = parts(ctx)?;
        Ok(actor.sees_order_internals().then_some(self.0.reason.as_str()))
    }

    /// The lines and units it is for; empty when it is for the order as a whole.
    async fn lines(&self, ctx: &Context<'_>) -> ApiResult<Vec<RefundLine>> {
        let lines = loaders(ctx)?.lines_by_refund.load_one(self.0.id).await?;
        Ok(lines.unwrap_or_default().into_iter().map(RefundLine).collect())
    }

    /// The role of who recorded it: agent, admin or system.
    async fn recorded_by_role(&self) -> &str {
        &self.0.actor_role
    }

    /// When it was recorded (RFC 3339).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

/// Units of an order line a refund is for.
#[derive(Clone, Debug)]
pub struct RefundLine(pub entities::refund_line::Model);

/// Units of an order line a refund is for.
#[Object]
impl RefundLine {
    /// The order line.
    async fn order_line(&self, ctx: &Context<'_>) -> ApiResult<Option<OrderLine>> {
        Ok(loaders(ctx)?.order_line.load_one(self.0.order_line_id).await?.map(OrderLine))
    }

    /// How many of its units.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
}

/// Where an order stands with its money.
#[derive(SimpleObject, Clone, Debug)]
pub struct OrderBalance {
    /// What the customer is charged: the order's total, nothing once it is cancelled.
    pub total: Money,
    /// What was collected.
    pub paid: Money,
    /// What was given back.
    pub refunded: Money,
    /// What the customer still owes: total - (paid - refunded), never below 0.
    pub owed: Money,
    /// What is owed back to the customer and not yet refunded (an overpayment, or units
    /// cancelled after they were paid for): (paid - refunded) - total, never below 0.
    pub refund_owed: Money,
}

impl OrderBalance {
    pub fn of(o: &order::Model) -> OrderBalance {
        let b = payments::balance(o);
        let m = |minor| Money::from_minor(minor, &o.currency);
        OrderBalance {
            total: m(b.charged),
            paid: m(b.paid),
            refunded: m(b.refunded),
            owed: m(b.owed),
            refund_owed: m(b.refund_owed),
        }
    }
}

/// A payment collected at checkout, recorded with the order (`placeOrder`'s `payment`).
#[derive(InputObject)]
pub struct PaymentInput {
    /// What was collected, in the order's currency.
    pub amount: MoneyInput,
    /// How it was collected.
    pub method: PaymentMethod,
    /// The processor's or the till's reference, for reconciliation (at most 200 characters).
    pub reference: Option<String>,
}

impl From<PaymentInput> for DomainPayment {
    fn from(p: PaymentInput) -> Self {
        DomainPayment {
            amount: p.amount.amount.0,
            currency: p.amount.currency,
            method: p.method.into(),
            reference: p.reference,
        }
    }
}

/// A payment to record.
#[derive(InputObject)]
pub struct RecordPaymentInput {
    /// The order's id.
    pub order_id: ID,
    /// What was collected, in the order's currency.
    pub amount: MoneyInput,
    /// How it was collected.
    pub method: PaymentMethod,
    /// The processor's or the till's reference, for reconciliation (at most 200 characters).
    pub reference: Option<String>,
}

/// Units of an order line a refund is for.
#[derive(InputObject)]
pub struct RefundLineItemInput {
    /// The order line's id.
    pub order_line_id: ID,
    /// How many of its units (1 to the line's quantity).
    pub quantity: i32,
}

/// A refund to record.
#[derive(InputObject)]
pub struct IssueRefundInput {
    /// The order's id.
    pub order_id: ID,
    /// What is given back, in the order's currency; at most what was paid less what was
    /// already refunded (REFUND_EXCEEDS_PAID).
    pub amount: MoneyInput,
    /// Why; recorded on the refund and the timeline (at most 500 characters).
    pub reason: String,
    /// The lines and units it is for; none for the order as a whole.
    #[graphql(default)]
    pub lines: Vec<RefundLineItemInput>,
}

/// The result of `recordPayment`.
#[derive(SimpleObject)]
pub struct RecordPaymentPayload {
    /// The payment recorded; null when it was refused.
    pub payment: Option<Payment>,
    /// The order as it is now, with its balance; null when the payment was refused.
    pub order: Option<Order>,
    /// Problems the caller can fix; empty on success.
    pub user_errors: Vec<UserError>,
}

impl Payload for RecordPaymentPayload {
    type Value = (payment::Model, order::Model);
    fn ok((p, o): Self::Value) -> Self {
        RecordPaymentPayload { payment: Some(Payment(p)), order: Some(Order(o)), user_errors: Vec::new() }
    }
    fn failed(user_errors: Vec<UserError>) -> Self {
        RecordPaymentPayload { payment: None, order: None, user_errors }
    }
}

/// The result of `issueRefund`.
#[derive(SimpleObject)]
pub struct IssueRefundPayload {
    /// The refund recorded; null when it was refused.
    pub refund: Option<Refund>,
    /// The order as it is now, with its balance; null when the refund was refused.
    pub order: Option<Order>,
    /// Problems the caller can fix; empty on success.
    pub user_errors: Vec<UserError>,
}

impl Payload for IssueRefundPayload {
    type Value = (refund::Model, order::Model);
    fn ok((r, o): Self::Value) -> Self {
        IssueRefundPayload { refund: Some(Refund(r)), order: Some(Order(o)), user_errors: Vec::new() }
    }
    fn failed(user_errors: Vec<UserError>) -> Self {
        IssueRefundPayload { refund: None, order: None, user_errors }
    }
}

#[derive(Default)]
pub struct PaymentMutation;

#[Object]
impl PaymentMutation {
    /// Records a payment collected for an order (by the storefront, a till or an agent): the
    /// order's balance and payment status follow. Staff, or a customer token for its own order.
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The RecordPayment request.")] input: RecordPaymentInput,
    ) -> ApiResult<RecordPaymentPayload> {
        let (db, actor) = parts(ctx)?;
        let request = RecordPayment {
            order_id: uuid_or_nil(&input.order_id),
            payment: DomainPayment {
                amount: input.amount.amount.0,
                currency: input.amount.currency,
                method: input.method.into(),
                reference: input.reference,
            },
        };
        respond(payments::record_payment(db, actor, &request).await)
    }

    /// Records a refund given back to the customer (through the payment processor, outside the
    /// OMS), with a reason and the lines it is for. Never more than was paid less what was
    /// already refunded, even when two agents refund at once (REFUND_EXCEEDS_PAID). The customer
    /// is emailed. Agents and admins only.
    async fn issue_refund(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The IssueRefund request.")] input: IssueRefundInput,
    ) -> ApiResult<IssueRefundPayload> {
        let (db, actor) = parts(ctx)?;
        let request = IssueRefund {
            order_id: uuid_or_nil(&input.order_id),
            amount: input.amount.amount.0,
            currency: input.amount.currency,
            reason: input.reason,
            lines: input
                .lines
                .into_iter()
                .map(|l| RefundLineInput { order_line_id: uuid_or_nil(&l.order_line_id), quantity: l.quantity })
                .collect(),
        };
        respond(payments::issue_refund(db, actor, &request).await)
    }
}
