//! Partial cancellation: some lines, or some units of them, are no longer wanted, with a reason.
//! It is an order change like any other — the same steps under the order's lock give the units
//! back (backordered ones first, then those of fulfilment orders not yet packed), release their
//! stock through the ledger, offer it to backorders, re-price the order and move its version on —
//! and it refuses units that are packed or shipped (INVALID_STATE naming their line). What was
//! paid for the cancelled units shows on the order's balance as a refund owed; the money is given
//! back when an agent records the refund (`issueRefund`), since the OMS moves no money itself.
use std::collections::HashSet;

use entities::{order, order_line};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::request::{Checked, Edit, Target, relabel};
use super::{Finish, Intent, OrderChange, run};
use crate::auth::Actor;
use crate::db::retry_once;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError};
use crate::inventory::MAX_QUANTITY;
use crate::orders::lifecycle::cancel_order;
use crate::validate;

/// Units of one line to cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelLine {
    pub order_line_id: Uuid,
    pub quantity: i32,
}

/// Cancels `lines` of the order with `reason`. When they are every unit the order still has,
/// the whole order is cancelled instead (as `cancelOrder` without lines). Staff may cancel any
/// order's lines; a customer its own, until fulfilment starts.
#[tracing::instrument(skip(db, actor, lines, reason), fields(order_id = %order_id))]
pub async fn cancel_lines(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
    lines: &[CancelLine],
    reason: &str,
    expected_version: Option<i32>,
) -> DomainResult<order::Model> {
    if !actor.is_staff() && actor.own_customer().is_none() {
        return Err(DomainError::Forbidden);
    }
    let mut problems = Problems::default();
    let reason = problems.take(validate::text(&["reason"], reason, 500));
    if lines.is_empty() {
        problems.add(&["lines"], ErrorCode::InvalidInput, "give at least one line, or none to cancel the whole order");
    }
    let mut seen = HashSet::new();
    for (i, line) in lines.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            let message = format!("quantity must be between 1 and {MAX_QUANTITY}");
            problems.push(UserError::at("lines", i, "quantity", ErrorCode::InvalidInput, message));
        }
        if !seen.insert(line.order_line_id) {
            let message = "the line is named twice";
            problems.push(UserError::at("lines", i, "orderLineId", ErrorCode::InvalidInput, message));
        }
    }
    let reason = problems.finish(reason)?;

    if cancels_everything(db, order_id, lines).await? {
        return cancel_order(db, actor, order_id, &reason, expected_version).await;
    }
    let checked = Checked {
        edits: lines
            .iter()
            .enumerate()
            .map(|(index, l)| Edit { index, line_id: l.order_line_id, target: Target::Cancel(l.quantity) })
            .collect(),
        ..Checked::default()
    };
    // Only the order id is read from the change: the edits are `checked`, the version `intent`'s.
    let change = OrderChange { order_id, expected_version: expected_version.unwrap_or_default(), changes: Vec::new() };
    let intent = Intent::Cancel { reason: reason.clone(), expected_version };
    let changed = retry_once(|| run(db, actor, &change, &checked, Finish::Commit, &intent))
        .await
        .map_err(|e| relabel(e, "changes", |rest| Some(to_lines_path(rest))))?;
    tracing::info!(number = %changed.order.number, version = changed.order.version, "order partly cancelled");
    Ok(changed.order)
}

/// `changes.<i>.cancelLine.<leaf>` as the caller sent it: `lines.<i>.<leaf>`.
fn to_lines_path(rest: &[String]) -> Vec<String> {
    let mut path = vec!["lines".to_owned()];
    path.extend(rest.first().cloned());
    path.extend(rest.iter().skip(2).cloned());
    path
}

/// Whether `lines` name every unit the order still has: then it is a whole cancellation. Read
/// without the lock; the whole cancellation checks the order's state under it.
async fn cancels_everything(db: &DatabaseConnection, order_id: Uuid, lines: &[CancelLine]) -> DomainResult<bool> {
    let current = order_line::Entity::find().filter(order_line::Column::OrderId.eq(order_id)).all(db).await?;
    let all_known = lines.iter().all(|c| current.iter().any(|l| l.id == c.order_line_id));
    if current.is_empty() || !all_known {
        return Ok(false);
    }
    Ok(current.iter().all(|l| {
        let live = l.quantity - l.cancelled_quantity;
        let asked = lines.iter().find(|c| c.order_line_id == l.id).map_or(0, |c| c.quantity);
        live == asked
    }))
}

#[cfg(test)]
mod tests {
    use super::to_lines_path;

    #[test]
    fn errors_point_at_the_cancelled_line_as_sent() {
        let rest: Vec<String> = ["2", "cancelLine", "quantity"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(to_lines_path(&rest), vec!["lines", "2", "quantity"]);
    }
}
