//! The inputs of the return and exchange mutations and of the `returns` list.
use async_graphql::{ID, InputObject};
use domain::returns as domain_returns;

use crate::graphql::common::uuid_or_nil;
use crate::graphql::enums::{ReturnCondition, ReturnMethod, ReturnStatus};

/// Units of one order line to return.
#[derive(InputObject)]
pub struct ReturnLineInput {
    /// The order line's id.
    pub order_line_id: ID,
    /// Units to return: at most what was delivered less what is already on returns.
    pub quantity: i32,
    /// Why (1 to 500 characters).
    pub reason: String,
}

impl From<&ReturnLineInput> for domain_returns::ReturnLineRequest {
    fn from(l: &ReturnLineInput) -> Self {
        domain_returns::ReturnLineRequest {
            order_line_id: uuid_or_nil(&l.order_line_id),
            quantity: l.quantity,
            reason: l.reason.clone(),
        }
    }
}

/// A return of delivered goods.
#[derive(InputObject)]
pub struct RequestReturnInput {
    /// The order's id.
    pub order_id: ID,
    /// What comes back (1 to 100 lines).
    pub lines: Vec<ReturnLineInput>,
    /// How it comes back.
    pub method: ReturnMethod,
    /// The store it is brought to (required for IN_STORE), or where it is sent (MAIL); the
    /// location must accept returns.
    pub location_code: Option<String>,
}

impl From<&RequestReturnInput> for domain_returns::ReturnRequest {
    fn from(i: &RequestReturnInput) -> Self {
        domain_returns::ReturnRequest {
            order_id: uuid_or_nil(&i.order_id),
            lines: i.lines.iter().map(Into::into).collect(),
            method: i.method.into(),
            location_code: i.location_code.clone(),
        }
    }
}

/// A replacement line of an exchange.
#[derive(InputObject)]
pub struct ReplacementLineInput {
    /// The SKU sent instead (another size, another item).
    pub sku: String,
    /// Units (1 to 1 000 000).
    pub quantity: i32,
}

/// An exchange: a return plus a replacement reserved at once.
#[derive(InputObject)]
pub struct RequestExchangeInput {
    /// The order's id.
    pub order_id: ID,
    /// What comes back (1 to 100 lines).
    pub return_lines: Vec<ReturnLineInput>,
    /// What is sent instead, priced at today's catalogue price (1 to 100 lines).
    pub replacement_lines: Vec<ReplacementLineInput>,
    /// Release the replacement to fulfilment at once instead of when the return is received.
    #[graphql(default = false)]
    pub ship_now: bool,
    /// How the returned goods come back (default MAIL).
    pub method: Option<ReturnMethod>,
    /// The store they are brought to (required for IN_STORE), or where they are sent (MAIL).
    pub location_code: Option<String>,
}

impl From<&RequestExchangeInput> for domain_returns::ExchangeRequest {
    fn from(i: &RequestExchangeInput) -> Self {
        domain_returns::ExchangeRequest {
            request: domain_returns::ReturnRequest {
                order_id: uuid_or_nil(&i.order_id),
                lines: i.return_lines.iter().map(Into::into).collect(),
                method: i.method.map_or(domain_returns::ReturnMethod::Mail, Into::into),
                location_code: i.location_code.clone(),
            },
            replacement: i
                .replacement_lines
                .iter()
                .map(|r| domain_returns::ReplacementLine { sku: r.sku.clone(), quantity: r.quantity })
                .collect(),
            ship_now: i.ship_now,
        }
    }
}

/// The return to approve.
#[derive(InputObject)]
pub struct ApproveReturnInput {
    /// The return's id.
    pub return_id: ID,
}

/// The return to reject, and why.
#[derive(InputObject)]
pub struct RejectReturnInput {
    /// The return's id.
    pub return_id: ID,
    /// Why it is rejected (1 to 500 characters); the customer sees it.
    pub reason: String,
}

/// Units of one order line that arrived, and in what state.
#[derive(InputObject)]
pub struct ReceivedReturnLineInput {
    /// The order line's id (a line of the return).
    pub order_line_id: ID,
    /// Units that arrived in this state.
    pub quantity: i32,
    /// RESELLABLE units are restocked at the receiving location; DAMAGED ones written off.
    pub condition: ReturnCondition,
}

/// What arrived of a return.
#[derive(InputObject)]
pub struct ReceiveReturnInput {
    /// The return's id.
    pub return_id: ID,
    /// What arrived, per order line and condition (1 to 100 lines).
    pub lines: Vec<ReceivedReturnLineInput>,
    /// The receiving location; may be left out when the caller's token names one location or
    /// the return names the store it is brought to. It must accept returns.
    pub location_code: Option<String>,
}

impl From<&ReceiveReturnInput> for domain_returns::ReceiveReturn {
    fn from(i: &ReceiveReturnInput) -> Self {
        domain_returns::ReceiveReturn {
            return_id: uuid_or_nil(&i.return_id),
            lines: i
                .lines
                .iter()
                .map(|l| domain_returns::ReceivedLine {
                    order_line_id: uuid_or_nil(&l.order_line_id),
                    quantity: l.quantity,
                    condition: l.condition.into(),
                })
                .collect(),
            location_code: i.location_code.clone(),
        }
    }
}

/// The shop's return policy.
#[derive(InputObject)]
pub struct SetReturnPolicyInput {
    /// Days after delivery a customer may ask for a return (0 to 3650; default 30).
    pub window_days: i32,
    /// Approve returns asked for within the window at once (default on).
    pub auto_approve: bool,
}

/// Which returns to list.
#[derive(InputObject, Default)]
pub struct ReturnFilter {
    /// Only this order's returns.
    pub order_id: Option<ID>,
    /// Only returns with this status.
    pub status: Option<ReturnStatus>,
    /// Only returns brought to or received at this location.
    pub location_code: Option<String>,
}

impl From<ReturnFilter> for domain_returns::ReturnFilter {
    fn from(f: ReturnFilter) -> Self {
        domain_returns::ReturnFilter {
            order_id: f.order_id.as_ref().map(uuid_or_nil),
            status: f.status.map(Into::into),
            location_code: f.location_code,
        }
    }
}
