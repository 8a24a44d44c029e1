//! `Return` and `ReturnLine`: a return (or an exchange) as the API shows it.
use async_graphql::{Context, ID, Object, SimpleObject};
use entities::{order_return, return_line};

use crate::graphql::common::{Money, connection};
use crate::graphql::enums::{ReturnMethod, ReturnStatus};
use crate::graphql::errors::ApiResult;
use crate::graphql::loaders::loaders;
use crate::graphql::locations::Location;
use crate::graphql::orders::OrderLine;

/// A return (RMA) or an exchange.
#[derive(Clone, Debug)]
pub struct Return(pub order_return::Model);

impl From<order_return::Model> for Return {
    fn from(r: order_return::Model) -> Self {
        Return(r)
    }
}

impl Return {
    fn money(&self, minor: i64) -> Money {
        Money::from_minor(minor, &self.0.currency)
    }

    async fn location_of(&self, ctx: &Context<'_>, id: Option<uuid::Uuid>) -> ApiResult<Option<Location>> {
        let Some(id) = id else { return Ok(None) };
        Ok(loaders(ctx)?.location.load_one(id).await?.map(Location::from))
    }
}

/// A return (RMA) of an order, or an exchange (a return plus a replacement): what comes back,
/// how and where, where it stands, and the money.
#[Object]
impl Return {
    /// The return's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// The return's number: the order's number and its return count, e.g. "SO-000123-R1".
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The id of the order it returns goods of.
    async fn order_id(&self) -> ID {
        self.0.order_id.to_string().into()
    }

    /// Where the return stands.
    async fn status(&self) -> ReturnStatus {
        self.0.status.into()
    }

    /// How the goods come back.
    async fn method(&self) -> ReturnMethod {
        self.0.method.into()
    }

    /// The store the goods are brought to (IN_STORE), or where they are sent (MAIL), if named.
    async fn location(&self, ctx: &Context<'_>) -> ApiResult<Option<Location>> {
        self.location_of(ctx, self.0.location_id).await
    }

    /// Where the goods were received (and the resellable ones restocked), once received.
    async fn receiving_location(&self, ctx: &Context<'_>) -> ApiResult<Option<Location>> {
        self.location_of(ctx, self.0.receiving_location_id).await
    }

    /// The units returned, per order line.
    async fn lines(&self, ctx: &Context<'_>) -> ApiResult<Vec<ReturnLine>> {
        let lines = loaders(ctx)?.lines_by_return.load_one(self.0.id).await?;
        Ok(lines
            .unwrap_or_default()
            .into_iter()
            .map(|l| ReturnLine { line: l, currency: self.0.currency.clone() })
            .collect())
    }

    /// Whether it is an exchange: a return plus a replacement.
    async fn is_exchange(&self) -> bool {
        self.0.is_exchange
    }

    /// Whether an exchange's replacement was released at once rather than on receipt.
    async fn ship_now(&self) -> bool {
        self.0.ship_now
    }

    /// The order lines an exchange added as the replacement (empty for a plain return).
    async fn replacement_lines(&self, ctx: &Context<'_>) -> ApiResult<Vec<OrderLine>> {
        let loaders = loaders(ctx)?;
        let ids: Vec<uuid::Uuid> = loaders
            .replacements_by_return
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.order_line_id)
            .collect();
        let found = loaders.order_line.load_many(ids.iter().copied()).await?;
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).map(OrderLine).collect())
    }

    /// What the requested units were bought for.
    async fn return_value(&self) -> Money {
        self.money(self.0.return_value_minor)
    }

    /// What an exchange's replacement costs (zero for a plain return).
    async fn replacement_total(&self) -> Money {
        self.money(self.0.replacement_minor)
    }

    /// What the customer owes on an exchange whose replacement costs more than what comes back.
    async fn balance_due(&self) -> Money {
        self.money(std::cmp::max(self.0.replacement_minor - self.0.return_value_minor, 0))
    }

    /// What the customer is owed for what comes back, less an exchange's replacement, if every
    /// unit arrives; the refund itself is `refund`, from what was received.
    async fn refund_owed(&self) -> Money {
        self.money(std::cmp::max(self.0.return_value_minor - self.0.replacement_minor, 0))
    }

    /// The refund recorded once the return was received and processed; null until then.
    async fn refund(&self) -> Option<Money> {
        self.0.refund_minor.map(|m| self.money(m))
    }

    /// Why an agent rejected it.
    async fn reject_reason(&self) -> Option<&str> {
        self.0.reject_reason.as_deref()
    }

    /// When it was requested (RFC 3339).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    /// When it was approved (RFC 3339).
    async fn approved_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.approved_at
    }

    /// When it was received (RFC 3339).
    async fn received_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.received_at
    }

    /// When its refund was recorded (RFC 3339).
    async fn refunded_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.refunded_at
    }
}

/// One order line's units on a return.
#[derive(Clone, Debug)]
pub struct ReturnLine {
    line: return_line::Model,
    currency: String,
}

/// One order line's units on a return, and what became of them once received.
#[Object]
impl ReturnLine {
    /// The order line returned.
    async fn order_line(&self, ctx: &Context<'_>) -> ApiResult<Option<OrderLine>> {
        Ok(loaders(ctx)?.order_line.load_one(self.line.order_line_id).await?.map(OrderLine))
    }

    /// Units returned.
    async fn quantity(&self) -> i32 {
        self.line.quantity
    }

    /// Why the customer returns them.
    async fn reason(&self) -> &str {
        &self.line.reason
    }

    /// What one unit was bought for.
    async fn unit_price(&self) -> Money {
        Money::from_minor(self.line.unit_price_minor, &self.currency)
    }

    /// Units received fit to sell again (restocked).
    async fn resellable_quantity(&self) -> i32 {
        self.line.resellable_quantity
    }

    /// Units received damaged (written off).
    async fn damaged_quantity(&self) -> i32 {
        self.line.damaged_quantity
    }
}

/// The shop's return policy.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReturnPolicy {
    /// Days after delivery a customer may still ask for a return (agents may take later ones).
    pub window_days: i32,
    /// Returns asked for within the window are approved at once.
    pub auto_approve: bool,
}

impl From<domain::returns::ReturnPolicy> for ReturnPolicy {
    fn from(p: domain::returns::ReturnPolicy) -> Self {
        ReturnPolicy { window_days: p.window_days, auto_approve: p.auto_approve }
    }
}

connection!(ReturnConnection, ReturnEdge, Return, "returns");
