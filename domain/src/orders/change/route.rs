//! Routing what a change adds or moves: through the router, against the stock as it is, with the
//! units the change gives back released in the same pass (see [`crate::locks`]) and counted as
//! available. What nothing can fill is refused (OUT_OF_STOCK, naming the changes that asked for
//! it), or backordered when the order was placed to wait for stock.
use std::collections::{BTreeMap, HashMap};

use entities::{fulfillment_order_line, order, order_line};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::lines::{Need, Plan};
use super::request::at;
use crate::allocation::{Giveback, Givebacks, plan_and_reserve, reserve_all};
use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::fulfillment::{LineNeed, demands_of, destination_of, rejected_locations, shares};
use crate::inventory::Cause;
use crate::orders::BackorderPolicy;
use crate::routing::{self, Decision};

/// The units the plan takes back from fulfilment orders, as givebacks to their levels.
pub(super) fn givebacks(
    plan: &Plan,
    fo_lines: &[fulfillment_order_line::Model],
    order: &order::Model,
) -> Option<Givebacks> {
    let items: Vec<Giveback> = fo_lines
        .iter()
        .filter_map(|l| {
            let quantity = plan.released.get(&l.id).copied().filter(|q| *q > 0)?;
            Some(Giveback { level_id: l.inventory_level_id, quantity, written_off: 0 })
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    let cause = Cause {
        reason: Some("order changed".to_owned()),
        reference: Some(order.number.clone()),
        order_id: Some(order.id),
    };
    Some(Givebacks { items, cause: cause.clone(), write_off_cause: cause })
}

/// The plan's needs as the fulfilment orders read them.
pub(super) fn line_needs(needs: &[Need]) -> Vec<LineNeed> {
    needs.iter().map(|n| LineNeed { line_id: n.line_id, product_id: n.product_id, quantity: n.quantity }).collect()
}

/// Routes and reserves the plan's needs to where `changed` (the order as it will be) sends its
/// goods, giving back what the plan takes back in the same pass. `None`: nothing to route (the
/// givebacks, if any, are released).
pub(super) async fn route(
    txn: &DatabaseTransaction,
    actor: &Actor,
    changed: &order::Model,
    plan: &Plan,
    givebacks: Option<&Givebacks>,
) -> DomainResult<Option<Decision>> {
    if plan.needs.is_empty() {
        if givebacks.is_some() {
            reserve_all(txn, &[], givebacks, changed.id, actor, None).await?;
        }
        return Ok(None);
    }
    let lines: HashMap<Uuid, order_line::Model> = plan.lines.iter().map(|l| (l.id, l.clone())).collect();
    let request = routing::Request {
        demands: demands_of(&line_needs(&plan.needs), &lines),
        destination: destination_of(changed),
        channel: changed.channel.as_str().to_owned(),
        allow_split: changed.allow_split,
        excluded: rejected_locations(txn, changed.id).await?,
    };
    let waits = changed.backorder_policy == BackorderPolicy::Backorder;
    let accept = |decision: &Decision| {
        if decision.is_complete() || waits {
            return Ok(true);
        }
        Err(out_of_stock(plan, decision))
    };
    let reference = crate::reference::current(txn).await?;
    let decision =
        plan_and_reserve(txn, &reference, &request, None, changed.id, actor, givebacks, None, accept).await?;
    Ok(decision)
}

/// OUT_OF_STOCK on every change that asked for units of a product nothing can fill.
fn out_of_stock(plan: &Plan, decision: &Decision) -> DomainError {
    let mut asked: BTreeMap<(usize, &'static str), Vec<String>> = BTreeMap::new();
    for shortfall in &decision.shortfalls {
        for need in plan.needs.iter().filter(|n| n.product_id == shortfall.product_id) {
            for origin in &need.origins {
                let missing = format!("{} of {} cannot be filled", shortfall.quantity, shortfall.sku);
                let entry = asked.entry(*origin).or_default();
                if !entry.contains(&missing) {
                    entry.push(missing);
                }
            }
        }
    }
    let errors = asked
        .into_iter()
        .map(|((index, kind), missing)| {
            let leaf: &[&str] = match kind {
                "addLine" | "changeQuantity" => &["quantity"],
                _ => &[],
            };
            let message = format!("{} ({})", missing.join("; "), decision.summary);
            at(index, kind, leaf, ErrorCode::OutOfStock, message)
        })
        .collect();
    DomainError::Rejected(errors)
}

/// Gives each need its share of the decision: units allocated now, the rest backordered.
pub(super) fn allocate(plan: &mut Plan, decision: Option<&Decision>) {
    let needs = line_needs(&plan.needs);
    let allocations = decision.map(|d| d.allocations.as_slice()).unwrap_or_default();
    let mut got: HashMap<Uuid, i32> = HashMap::new();
    for (line, _, quantity) in shares(allocations, &needs) {
        *got.entry(line.line_id).or_default() += quantity;
    }
    for need in &needs {
        let allocated = got.get(&need.line_id).copied().unwrap_or(0);
        if let Some(line) = plan.lines.iter_mut().find(|l| l.id == need.line_id) {
            line.allocated_quantity += allocated;
            line.backordered_quantity += need.quantity - allocated;
        }
    }
}
