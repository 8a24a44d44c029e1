//! The order's lines and fulfilment orders as committed, and what the changes make of them:
//! units cancelled, units taken back from fulfilment orders, and units to route.
//!
//! A unit that is packed or shipped stays where it is: a change that needs it back is refused
//! with INVALID_STATE naming its line. Units of fulfilment orders not yet packed (pending,
//! released or accepted) and backordered units can be given up or moved.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use entities::{fulfillment_order, fulfillment_order_line, order, order_line, product};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::request::{Checked, Target, at};
use crate::catalog::ProductKindRules;
use crate::error::{DomainResult, ErrorCode, Problems};
use crate::orders::{FulfillmentStatus as FS, MAX_LINES};

/// The order's lines and fulfilment orders as committed, read under the order's lock.
pub(super) struct Current {
    pub(super) lines: Vec<order_line::Model>,
    pub(super) fos: HashMap<Uuid, fulfillment_order::Model>,
    pub(super) fo_lines: Vec<fulfillment_order_line::Model>,
}

/// How far a fulfilment order has gone, as a change sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// Not yet packed: its units can be given up or routed elsewhere. Ranked by how far it went,
    /// so units are taken back from the least advanced first.
    Open(u8),
    /// Packed, or on its way (shipped, waiting at the store): its units stay.
    Committed,
    /// Over: delivered, picked up, rejected or cancelled.
    Closed,
}

fn stage(status: FS) -> Stage {
    match status {
        FS::Pending => Stage::Open(0),
        FS::Released => Stage::Open(1),
        FS::Accepted => Stage::Open(2),
        FS::Packed | FS::Shipped | FS::ReadyForPickup => Stage::Committed,
        FS::Delivered | FS::PickedUp | FS::Rejected | FS::Cancelled => Stage::Closed,
    }
}

pub(super) async fn load(txn: &DatabaseTransaction, order_id: Uuid) -> DomainResult<Current> {
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order_id))
        .order_by_asc(order_line::Column::LineNo)
        .all(txn)
        .await?;
    let fos: HashMap<Uuid, fulfillment_order::Model> = fulfillment_order::Entity::find()
        .filter(fulfillment_order::Column::OrderId.eq(order_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let fo_lines = fulfillment_order_line::Entity::find()
        .filter(fulfillment_order_line::Column::FulfillmentOrderId.is_in(fos.keys().copied()))
        .order_by_asc(fulfillment_order_line::Column::Id)
        .all(txn)
        .await?;
    Ok(Current { lines, fos, fo_lines })
}

impl Current {
    fn stage_of(&self, fo_line: &fulfillment_order_line::Model) -> Stage {
        self.fos.get(&fo_line.fulfillment_order_id).map_or(Stage::Closed, |f| stage(f.status))
    }

    /// Whether fulfilment has started: a location accepted, packed or shipped part of the order.
    pub(super) fn fulfilment_started(&self) -> bool {
        self.fos.values().any(|f| !matches!(f.status, FS::Pending | FS::Released | FS::Rejected | FS::Cancelled))
    }

    /// Units of `line` that are packed or shipped: no change takes them back.
    fn fixed_units(&self, line: &order_line::Model) -> i32 {
        let held: i32 = self
            .fo_lines
            .iter()
            .filter(|l| l.order_line_id == line.id)
            .filter(|l| self.fos.get(&l.fulfillment_order_id).is_some_and(holds_packed_units))
            .map(|l| l.quantity)
            .sum();
        line.shipped_quantity + held
    }

    /// The lines with units packed or on their way to the current destination.
    fn lines_on_their_way(&self) -> BTreeSet<Uuid> {
        self.fo_lines.iter().filter(|l| self.stage_of(l) == Stage::Committed).map(|l| l.order_line_id).collect()
    }

    /// `line`'s units in fulfilment orders not yet packed, least advanced and newest first.
    fn open_units(&self, line_id: Uuid) -> Vec<&fulfillment_order_line::Model> {
        let mut open: Vec<(Stage, &fulfillment_order_line::Model)> = self
            .fo_lines
            .iter()
            .filter(|l| l.order_line_id == line_id)
            .map(|l| (self.stage_of(l), l))
            .filter(|(s, _)| matches!(s, Stage::Open(_)))
            .collect();
        open.sort_by(|(a, x), (b, y)| a.cmp(b).then(y.fulfillment_order_id.cmp(&x.fulfillment_order_id)));
        open.into_iter().map(|(_, l)| l).collect()
    }
}

/// Packed units, or units waiting at the store from its own shelves: held, and going nowhere
/// else. (Shipped units are already counted as shipped on their line.)
fn holds_packed_units(fo: &fulfillment_order::Model) -> bool {
    fo.status == FS::Packed || (fo.status == FS::ReadyForPickup && fo.shipped_at.is_none())
}

/// Units of one line to route, and the changes that ask for them (to name them if refused).
#[derive(Debug, Clone)]
pub(super) struct Need {
    pub(super) line_id: Uuid,
    pub(super) product_id: Uuid,
    pub(super) quantity: i32,
    pub(super) origins: Vec<(usize, &'static str)>,
}

/// What the changes do to the lines, before routing.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// Every line as it will be, new ones last; routed units are added once routing is done.
    pub(super) lines: Vec<order_line::Model>,
    /// Units each fulfilment-order line gives back.
    pub(super) released: BTreeMap<Uuid, i32>,
    /// The fulfilment orders that give back every unit: they are cancelled.
    pub(super) emptied: BTreeSet<Uuid>,
    /// Units to route, one entry per line (physical goods only).
    pub(super) needs: Vec<Need>,
    /// What changed, in words, for the timeline.
    pub(super) summary: Vec<String>,
}

impl Plan {
    fn line_mut(&mut self, line_id: Uuid) -> Option<&mut order_line::Model> {
        self.lines.iter_mut().find(|l| l.id == line_id)
    }

    fn need(&mut self, line: &order_line::Model, quantity: i32, origin: (usize, &'static str)) {
        if let Some(n) = self.needs.iter_mut().find(|n| n.line_id == line.id) {
            n.quantity += quantity;
            n.origins.push(origin);
            return;
        }
        let need = Need { line_id: line.id, product_id: line.product_id, quantity, origins: vec![origin] };
        self.needs.push(need);
    }
}

fn describe(line: &order_line::Model) -> String {
    format!("line {} ({})", line.line_no, line.sku)
}

/// Works out what the changes do to the lines. Every problem is reported at once.
pub(super) fn plan(
    current: &Current,
    checked: &Checked,
    products: &HashMap<String, product::Model>,
    order: &order::Model,
) -> DomainResult<Plan> {
    let mut problems = Problems::default();
    let mut plan = Plan { lines: current.lines.clone(), ..Plan::default() };

    for edit in &checked.edits {
        let kind = match edit.target {
            Target::Remove => "removeLine",
            Target::Quantity(_) => "changeQuantity",
            Target::Cancel(_) => "cancelLine",
        };
        let Some(line) = current.lines.iter().find(|l| l.id == edit.line_id) else {
            let message = "this order has no such line";
            problems.push(at(edit.index, kind, &["orderLineId"], ErrorCode::NotFound, message));
            continue;
        };
        let live = line.quantity - line.cancelled_quantity;
        let fixed = current.fixed_units(line);
        let target = match edit.target {
            Target::Remove if fixed > 0 => {
                let message =
                    format!("{} cannot be removed: {fixed} of its units are packed or shipped", describe(line));
                problems.push(at(edit.index, kind, &["orderLineId"], ErrorCode::InvalidState, message));
                continue;
            }
            Target::Remove if live == 0 => {
                let message = format!("{} has no units left to remove", describe(line));
                problems.push(at(edit.index, kind, &["orderLineId"], ErrorCode::InvalidState, message));
                continue;
            }
            Target::Remove => 0,
            Target::Quantity(q) if q < fixed => {
                let message = format!("{} cannot go below {fixed} unit(s): they are packed or shipped", describe(line));
                problems.push(at(edit.index, kind, &["quantity"], ErrorCode::InvalidState, message));
                continue;
            }
            Target::Quantity(q) => q,
            Target::Cancel(n) if n > live => {
                let message = format!("{} has {live} unit(s) left to cancel, not {n}", describe(line));
                problems.push(at(edit.index, kind, &["quantity"], ErrorCode::InvalidInput, message));
                continue;
            }
            Target::Cancel(n) if live - n < fixed => {
                let message = format!(
                    "{} cannot lose {n} unit(s): {fixed} of its {live} units are packed or shipped",
                    describe(line)
                );
                problems.push(at(edit.index, kind, &["orderLineId"], ErrorCode::InvalidState, message));
                continue;
            }
            Target::Cancel(n) => live - n,
        };
        if target < live {
            take_back(current, &mut plan, line, live - target);
            plan.summary.push(match (edit.target, target) {
                (Target::Cancel(n), _) => format!("{n} × {} cancelled on line {}", line.sku, line.line_no),
                (_, 0) => format!("removed {}", describe(line)),
                _ => format!("{} down from {live} to {target}", describe(line)),
            });
        } else if target > live {
            let more = target - live;
            if let Some(l) = plan.line_mut(line.id) {
                l.quantity += more;
                if !l.product_kind.holds_stock() {
                    l.allocated_quantity += more;
                }
            }
            if line.product_kind.holds_stock() {
                plan.need(line, more, (edit.index, kind));
            }
            plan.summary.push(format!("{} up from {live} to {target}", describe(line)));
        }
    }

    if current.lines.len() + checked.added.len() > MAX_LINES {
        problems.add(&["changes"], ErrorCode::InvalidInput, format!("an order has at most {MAX_LINES} lines"));
    }
    let mut line_no = current.lines.iter().map(|l| l.line_no).max().unwrap_or(0);
    for added in &checked.added {
        // Unknown or inactive products were refused with the goods.
        let Some(p) = products.get(&added.sku) else { continue };
        line_no += 1;
        let stocked = p.kind.holds_stock();
        let line = order_line::Model {
            id: Uuid::now_v7(),
            order_id: order.id,
            line_no,
            product_id: p.id,
            sku: p.sku.clone(),
            name: p.name.clone(),
            product_kind: p.kind,
            unit_price_minor: p.price_minor,
            quantity: added.quantity,
            allocated_quantity: if stocked { 0 } else { added.quantity },
            backordered_quantity: 0,
            cancelled_quantity: 0,
            shipped_quantity: 0,
            returned_quantity: 0,
            line_total_minor: p.price_minor.saturating_mul(i64::from(added.quantity)),
        };
        if stocked {
            plan.need(&line, added.quantity, (added.index, "addLine"));
        }
        plan.summary.push(format!("added {} × {}", added.quantity, p.sku));
        plan.lines.push(line);
    }

    if checked.moves() {
        move_open_units(current, checked, &mut plan, &mut problems);
    }
    problems.into_result()?;

    // A fulfilment order that gives back every unit it holds is cancelled.
    let mut held: HashMap<Uuid, (i32, i32)> = HashMap::new();
    for l in &current.fo_lines {
        let entry = held.entry(l.fulfillment_order_id).or_default();
        entry.0 += l.quantity;
        entry.1 += plan.released.get(&l.id).copied().unwrap_or(0);
    }
    plan.emptied = held.into_iter().filter(|(_, (all, back))| *back > 0 && back == all).map(|(fo, _)| fo).collect();
    Ok(plan)
}

/// Gives up `units` of `line`: backordered units first, then units of the least advanced
/// fulfilment orders. They are cancelled on the line.
fn take_back(current: &Current, plan: &mut Plan, line: &order_line::Model, units: i32) {
    let Some(edited) = plan.line_mut(line.id) else { return };
    edited.cancelled_quantity += units;
    if !line.product_kind.holds_stock() {
        edited.allocated_quantity -= units;
        return;
    }
    let from_backorder = std::cmp::min(units, edited.backordered_quantity);
    edited.backordered_quantity -= from_backorder;
    let mut left = units - from_backorder;
    edited.allocated_quantity -= left;
    for fo_line in current.open_units(line.id) {
        if left == 0 {
            break;
        }
        let released = plan.released.entry(fo_line.id).or_default();
        let take = std::cmp::min(left, fo_line.quantity - *released);
        *released += take;
        left -= take;
    }
}

/// The goods go somewhere else: every unit of a fulfilment order not yet packed is taken back
/// and routed again. Units packed or on their way to the old destination refuse the move.
fn move_open_units(current: &Current, checked: &Checked, plan: &mut Plan, problems: &mut Problems) {
    let (index, kind) = checked.move_field();
    let committed = current.lines_on_their_way();
    let on_their_way: Vec<String> = current.lines.iter().filter(|l| committed.contains(&l.id)).map(describe).collect();
    if !on_their_way.is_empty() {
        let message = format!(
            "units of {} are packed or shipped to the current destination, so it cannot change until they \
             are delivered",
            on_their_way.join(", ")
        );
        problems.push(at(index, kind, &[], ErrorCode::InvalidState, message));
        return;
    }
    for line in &current.lines {
        let mut moved = 0;
        for fo_line in current.open_units(line.id) {
            let released = plan.released.entry(fo_line.id).or_default();
            let rest = fo_line.quantity - *released;
            *released += rest;
            moved += rest;
        }
        if moved > 0 {
            if let Some(l) = plan.line_mut(line.id) {
                l.allocated_quantity -= moved;
            }
            plan.need(line, moved, (index, kind));
        }
    }
}
