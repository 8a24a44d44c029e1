//! A change to an order as the caller sends it, and every check that needs no database. Problems
//! are reported at the change they concern: `changes.<index>.<kind>.<field>`.
use std::collections::HashSet;

use uuid::Uuid;

use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError};
use crate::inventory::MAX_QUANTITY;
use crate::orders::capture::request::{Address, parse_address};
use crate::orders::{DeliveryMethod, MAX_LINES, ShippingAddressInput};
use crate::validate;

/// One change to an order.
#[derive(Debug, Clone)]
pub enum Change {
    /// A new line: `quantity` units of `sku` at today's catalogue price.
    /// `slot_id`: the appointment slot of a line delivered or performed at one.
    AddLine { sku: String, quantity: i32, slot_id: Option<String> },
    /// Every unit of the line not yet packed or shipped is no longer wanted.
    RemoveLine { order_line_id: Uuid },
    /// The line's units become `quantity` (units shipped included, cancelled ones not).
    ChangeQuantity { order_line_id: Uuid, quantity: i32 },
    /// Ship to another address: the unshipped units are routed again.
    ChangeShippingAddress { address: ShippingAddressInput },
    /// Another way to receive the goods (a store for PICKUP): the unshipped units are routed again.
    ChangeDeliveryMethod { delivery_method: DeliveryMethod, pickup_location_code: Option<String> },
    /// Apply a promo code (the order has none, or removes its own in the same change).
    ApplyPromoCode { code: String },
    /// Remove the order's promo code; its use is given back.
    RemovePromoCode { code: String },
}

impl Change {
    /// The GraphQL name of the change, as it appears in error paths.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::AddLine { .. } => "addLine",
            Change::RemoveLine { .. } => "removeLine",
            Change::ChangeQuantity { .. } => "changeQuantity",
            Change::ChangeShippingAddress { .. } => "changeShippingAddress",
            Change::ChangeDeliveryMethod { .. } => "changeDeliveryMethod",
            Change::ApplyPromoCode { .. } => "applyPromoCode",
            Change::RemovePromoCode { .. } => "removePromoCode",
        }
    }
}

/// Changes to apply to one order at once, against the version the caller saw.
#[derive(Debug, Clone)]
pub struct OrderChange {
    pub order_id: Uuid,
    /// The version the caller saw; a change made since refuses this one with STALE_VERSION.
    pub expected_version: i32,
    pub changes: Vec<Change>,
}

/// At most this many changes in one request.
pub const MAX_CHANGES: usize = 100;

/// A problem with the `index`-th change, at `changes.<index>.<kind>.<leaf…>`.
pub(super) fn at(index: usize, kind: &str, leaf: &[&str], code: ErrorCode, message: impl Into<String>) -> UserError {
    let mut field = vec!["changes".to_owned(), index.to_string(), kind.to_owned()];
    field.extend(leaf.iter().map(|s| (*s).to_owned()));
    UserError { field, code, message: message.into() }
}

/// A refusal of the `index`-th change.
pub(super) fn refused(
    index: usize,
    kind: &str,
    leaf: &[&str],
    code: ErrorCode,
    message: impl Into<String>,
) -> DomainError {
    DomainError::Rejected(vec![at(index, kind, leaf, code, message)])
}

/// Moves errors reported under `from` (e.g. `shippingAddress.city`, by a check shared with
/// capture) under the change that caused them (`changes.3.changeShippingAddress.address.city`):
/// `to` gets the rest of the path (`["city"]`) and gives the whole new one.
pub(super) fn relabel(err: DomainError, from: &str, to: impl Fn(&[String]) -> Option<Vec<String>>) -> DomainError {
    match err {
        DomainError::Rejected(errors) => DomainError::Rejected(
            errors
                .into_iter()
                .map(|mut e| {
                    if e.field.first().is_some_and(|f| f == from)
                        && let Some(field) = to(e.field.get(1..).unwrap_or_default())
                    {
                        e.field = field;
                    }
                    e
                })
                .collect(),
        ),
        other => other,
    }
}

/// What a line edit asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    Remove,
    Quantity(i32),
    /// A partial cancellation: this many of the line's live units go.
    Cancel(i32),
}

/// A line to add, and the change that asks for it.
#[derive(Debug, Clone)]
pub(super) struct Added {
    pub(super) index: usize,
    pub(super) sku: String,
    pub(super) quantity: i32,
    pub(super) slot_id: Option<String>,
}

/// An existing line to edit, and the change that asks for it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Edit {
    pub(super) index: usize,
    pub(super) line_id: Uuid,
    pub(super) target: Target,
}

/// The new delivery choice, and the change that asks for it.
#[derive(Debug, Clone)]
pub(super) struct Delivery {
    pub(super) index: usize,
    pub(super) method: DeliveryMethod,
    pub(super) pickup_code: Option<String>,
}

/// The request after every check that needs no database.
#[derive(Debug, Clone, Default)]
pub(super) struct Checked {
    pub(super) added: Vec<Added>,
    pub(super) edits: Vec<Edit>,
    pub(super) address: Option<(usize, Address)>,
    pub(super) delivery: Option<Delivery>,
    pub(super) apply_promo: Option<(usize, String)>,
    pub(super) remove_promo: Option<(usize, String)>,
}

impl Checked {
    /// Whether the goods go somewhere else: every unshipped unit is routed again.
    pub(super) fn moves(&self) -> bool {
        self.address.is_some() || self.delivery.is_some()
    }

    /// The change that moves the goods, for errors about the move.
    pub(super) fn move_field(&self) -> (usize, &'static str) {
        match (&self.delivery, &self.address) {
            (Some(d), _) => (d.index, "changeDeliveryMethod"),
            (None, Some((i, _))) => (*i, "changeShippingAddress"),
            (None, None) => (0, "changes"),
        }
    }
}

fn quantity_problem(index: usize, kind: &str) -> UserError {
    at(index, kind, &["quantity"], ErrorCode::InvalidInput, format!("quantity must be between 1 and {MAX_QUANTITY}"))
}

/// Checks every change, reporting all problems at once.
pub(super) fn check(input: &OrderChange) -> DomainResult<Checked> {
    let mut problems = Problems::default();
    if input.changes.is_empty() {
        problems.add(&["changes"], ErrorCode::InvalidInput, "give at least one change");
    }
    if input.changes.len() > MAX_CHANGES {
        problems.add(&["changes"], ErrorCode::InvalidInput, format!("give at most {MAX_CHANGES} changes at once"));
    }
    let mut checked = Checked::default();
    let mut edited: HashSet<Uuid> = HashSet::new();
    let once = |problems: &mut Problems, taken: bool, index: usize, kind: &str| {
        if taken {
            problems.push(at(index, kind, &[], ErrorCode::InvalidInput, format!("give {kind} at most once")));
        }
        !taken
    };
    for (index, change) in input.changes.iter().enumerate() {
        let kind = change.kind();
        match change {
            Change::AddLine { sku, quantity, slot_id } => {
                let sku = validate::code(&[], sku, 64)
                    .map_err(|e| at(index, kind, &["sku"], ErrorCode::UnknownSku, e.message));
                let sku = problems.take(sku);
                if !(1..=MAX_QUANTITY).contains(quantity) {
                    problems.push(quantity_problem(index, kind));
                } else if let Some(sku) = sku {
                    let slot_id = slot_id.clone().filter(|s| !s.trim().is_empty());
                    checked.added.push(Added { index, sku, quantity: *quantity, slot_id });
                }
            }
            Change::RemoveLine { order_line_id } | Change::ChangeQuantity { order_line_id, .. } => {
                let target = match change {
                    Change::ChangeQuantity { quantity, .. } if !(1..=MAX_QUANTITY).contains(quantity) => {
                        problems.push(quantity_problem(index, kind));
                        continue;
                    }
                    Change::ChangeQuantity { quantity, .. } => Target::Quantity(*quantity),
                    _ => Target::Remove,
                };
                if !edited.insert(*order_line_id) {
                    let message = "this line is already changed by another change of this request";
                    problems.push(at(index, kind, &["orderLineId"], ErrorCode::InvalidInput, message));
                    continue;
                }
                checked.edits.push(Edit { index, line_id: *order_line_id, target });
            }
            Change::ChangeShippingAddress { address } => {
                if !once(&mut problems, checked.address.is_some(), index, kind) {
                    continue;
                }
                let mut found = Problems::default();
                let parsed = parse_address(&mut found, address);
                match found.into_result() {
                    Ok(()) => checked.address = parsed.map(|a| (index, a)),
                    Err(e) => {
                        let e = relabel(e, "shippingAddress", |rest| {
                            let mut field = vec!["changes".to_owned(), index.to_string(), kind.to_owned()];
                            field.push("address".to_owned());
                            field.extend(rest.iter().cloned());
                            Some(field)
                        });
                        if let DomainError::Rejected(errors) = e {
                            errors.into_iter().for_each(|e| problems.push(e));
                        }
                    }
                }
            }
            Change::ChangeDeliveryMethod { delivery_method, pickup_location_code } => {
                if !once(&mut problems, checked.delivery.is_some(), index, kind) {
                    continue;
                }
                let code = pickup_location_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
                match (delivery_method, code) {
                    (DeliveryMethod::Pickup, None) => problems.push(at(
                        index,
                        kind,
                        &["pickupLocationCode"],
                        ErrorCode::InvalidInput,
                        "a pickup location is required for PICKUP",
                    )),
                    (DeliveryMethod::Ship | DeliveryMethod::Digital, Some(_)) => problems.push(at(
                        index,
                        kind,
                        &["pickupLocationCode"],
                        ErrorCode::InvalidInput,
                        "a pickup location is only for PICKUP",
                    )),
                    (method, code) => {
                        checked.delivery =
                            Some(Delivery { index, method: *method, pickup_code: code.map(str::to_owned) })
                    }
                }
            }
            Change::ApplyPromoCode { code } | Change::RemovePromoCode { code } => {
                let slot = if matches!(change, Change::ApplyPromoCode { .. }) {
                    &mut checked.apply_promo
                } else {
                    &mut checked.remove_promo
                };
                if !once(&mut problems, slot.is_some(), index, kind) {
                    continue;
                }
                match validate::text(&[], code, 64) {
                    Ok(code) => *slot = Some((index, code)),
                    Err(e) => problems.push(at(index, kind, &["code"], ErrorCode::InvalidInput, e.message)),
                }
            }
        }
    }
    if checked.added.len() > MAX_LINES {
        problems.add(&["changes"], ErrorCode::InvalidInput, format!("an order has at most {MAX_LINES} lines"));
    }
    problems.into_result()?;
    Ok(checked)
}
