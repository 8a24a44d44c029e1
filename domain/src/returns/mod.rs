//! Returns (RMAs) and exchanges. A return is requested by the customer (their own order, within
//! the return window from delivery) or an agent, approved (at once when the policy says so) or
//! rejected by an agent, and received by an associate of a location that accepts returns — a
//! store receiving an online order's return is BORIS. Receiving hands over to a job on the
//! `returns` queue, written in the receiving transaction: it restocks the resellable units at the
//! receiving location, writes off the damaged ones, records the refund, offers the restocked
//! units to waiting backorders and tells the customer, all in one transaction guarded by the
//! return's status, so a job run twice acts once.
//!
//! An exchange is a return plus replacement lines added to the order, reserved at once through
//! the router like any placement and released to fulfilment when the return is received (or at
//! once, when the agent ships it now).
//!
//! - `policy`: the return window and auto-approval;
//! - `request`: requesting a return or an exchange;
//! - `exchange`: the replacement, reserved and later released;
//! - `review`: approval and rejection;
//! - `receive`: receiving at a location;
//! - `process`: the returns job's work;
//! - `query`: reading returns back, each caller seeing only what it may.
mod exchange;
mod policy;
mod process;
mod query;
mod receive;
mod request;
mod review;

use entities::{order, order_return};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

pub use entities::enums::{ReturnMethod, ReturnStatus};
pub use policy::{DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, ReturnPolicy, get_policy, set_policy};
pub use process::process_received;
pub use query::{ReturnFilter, lines_for_returns, list_returns, replacements_for_returns, returns_for_orders};
pub use receive::{Condition, ReceiveReturn, ReceivedLine, receive_return};
pub use request::{
    ExchangeRequest, ReplacementLine, ReturnLineRequest, ReturnRequest, request_exchange, request_return,
};
pub use review::{approve_return, reject_return};

use crate::error::{DomainError, DomainResult};
use crate::locks;

/// The most lines one return may name.
pub const MAX_RETURN_LINES: usize = 100;

/// Locks the return's order (see [`crate::locks`]) and reads the return under it. A return the
/// caller may not see answers like a missing one.
async fn lock_return(
    txn: &DatabaseTransaction,
    return_id: Uuid,
) -> DomainResult<Option<(order::Model, order_return::Model)>> {
    use sea_orm::EntityTrait;
    let Some(found) = order_return::Entity::find_by_id(return_id).one(txn).await? else { return Ok(None) };
    let Some(order) = locks::order(txn, found.order_id).await? else { return Ok(None) };
    // Read again under the order's lock: the return only ever changes under it.
    let found = order_return::Entity::find_by_id(return_id).one(txn).await?;
    Ok(found.map(|r| (order, r)))
}

fn missing_return() -> DomainError {
    DomainError::not_found(&["returnId"], "return")
}
