//! Order changes: an agent (or the customer) adds, removes and re-quantifies lines, changes the
//! address, the delivery method or the promo code, sees the result first and then commits it.
//!
//! A preview and a commit run the very same steps in one transaction under the order's lock —
//! check the request (`request`), work out what the changes do to the lines (`lines`), route and
//! reserve what is added or moved (`route`), re-price (`price`) and write (`write`) — and the
//! preview rolls it all back, so what the agent is shown is exactly what committing would do,
//! and nothing of it stays. A commit names the version it was based on: a change made meanwhile
//! refuses it (STALE_VERSION) rather than being merged blindly.
use std::collections::HashMap;

use chrono::Utc;
use entities::{order, order_line};
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::capture::goods::{self, Goods};
use super::query::visible;
use super::{DeliveryMethod, OrderStatus};
use crate::auth::Actor;
use crate::catalog::ProductKindRules;
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::fulfillment::backorders::{self, Freed};
use crate::locks;
use crate::money::Currency;
use crate::pricing::Totals;
use crate::routing::Decision;

mod cancel;
mod lines;
mod price;
mod request;
mod route;
mod write;

pub use cancel::{CancelLine, cancel_lines};
pub use request::{Change, MAX_CHANGES, OrderChange};

use lines::{Current, Plan};
use request::{Checked, Target, refused, relabel};

/// An order as a change leaves it (committed) or would leave it (previewed).
#[derive(Debug, Clone)]
pub struct ChangedOrder {
    pub order: order::Model,
    pub lines: Vec<order_line::Model>,
    /// The version the change was made at (`expectedVersion`); the change moves it on by one.
    pub from_version: i32,
    /// The order's totals before the change.
    pub previous_totals: Totals,
    /// Where the units the change added or moved go: the router's decision, `None` when the
    /// change routed nothing.
    pub decision: Option<Decision>,
}

impl ChangedOrder {
    /// What the change adds to the customer's bill (negative: what it takes off): the new total
    /// less the old.
    pub fn balance_difference(&self) -> i64 {
        self.order.total_minor - self.previous_totals.total
    }
}

/// Shows the order as `change` would leave it, writing nothing.
#[tracing::instrument(skip_all, fields(order_id = %change.order_id))]
pub async fn preview_order_change(
    db: &DatabaseConnection,
    actor: &Actor,
    change: &OrderChange,
) -> DomainResult<ChangedOrder> {
    let checked = authorise_and_check(actor, change)?;
    retry_once(|| run(db, actor, change, &checked, Finish::RollBack, &Intent::Change)).await
}

/// Applies `change` at once, or refuses it whole. Stock the change gave back is offered to
/// backorders (a job written with the change).
#[tracing::instrument(skip_all, fields(order_id = %change.order_id))]
pub async fn commit_order_change(
    db: &DatabaseConnection,
    actor: &Actor,
    change: &OrderChange,
) -> DomainResult<ChangedOrder> {
    let checked = authorise_and_check(actor, change)?;
    let changed = retry_once(|| run(db, actor, change, &checked, Finish::Commit, &Intent::Change)).await?;
    tracing::info!(number = %changed.order.number, version = changed.order.version, "order changed");
    Ok(changed)
}

/// Staff change any order; a customer its own (until fulfilment starts, checked under the
/// lock). Associates work on fulfilment orders, not on what the customer bought.
fn authorise_and_check(actor: &Actor, change: &OrderChange) -> DomainResult<Checked> {
    if !actor.is_staff() && actor.own_customer().is_none() {
        return Err(DomainError::Forbidden);
    }
    request::check(change)
}

/// What a run of the steps is for: a change, or a partial cancellation (with its reason, and the
/// version the caller saw if it named one).
#[derive(Debug, Clone)]
enum Intent {
    Change,
    Cancel { reason: String, expected_version: Option<i32> },
}

/// How a change's transaction ends: a commit keeps it, a preview rolls it back.
#[derive(Debug, Clone, Copy)]
enum Finish {
    Commit,
    RollBack,
}

/// One attempt: every step in one transaction, committed or (a preview) rolled back. Returns the
/// order as changed; the stock it gave back is offered to backorders in the same transaction.
async fn run(
    db: &DatabaseConnection,
    actor: &Actor,
    input: &OrderChange,
    checked: &Checked,
    finish: Finish,
    intent: &Intent,
) -> DomainResult<ChangedOrder> {
    let txn = begin_write(db).await?;
    let now = Utc::now();
    let expected = match intent {
        Intent::Change => Some(input.expected_version),
        Intent::Cancel { expected_version, .. } => *expected_version,
    };
    let order = lock(&txn, actor, input.order_id, expected).await?;
    let current = lines::load(&txn, order.id).await?;
    if actor.own_customer().is_some() && current.fulfilment_started() {
        let message = format!("fulfilment of order {} has started: customer service can still change it", order.number);
        return Err(DomainError::rejected(&["orderId"], ErrorCode::InvalidState, message));
    }
    let currency = Currency::parse(&order.currency)
        .ok_or_else(|| DomainError::rejected(&[], ErrorCode::InvalidCurrency, "the order's currency is unknown"))?;
    // Every problem at once: the goods, the promo code and the lines are checked side by side.
    let goods = load_goods(&txn, checked, &current, &order, currency).await;
    let promo = price::check_promo(&txn, checked, &order, currency).await;
    let no_products = HashMap::new();
    let products = goods.as_ref().map_or(&no_products, |g| &g.products);
    let plan = lines::plan(&current, checked, products, &order);
    let ((goods, promo), mut plan) = together(together(goods, promo), plan)?;
    let mut changed = destination(&order, checked, &goods, &plan)?;

    let givebacks = route::givebacks(&plan, &current.fo_lines, &order);
    let decision = route::route(&txn, actor, &changed, &plan, givebacks.as_ref()).await?;
    route::allocate(&mut plan, decision.as_ref());
    price::use_up(&txn, &promo).await?;
    let (index, kind) = checked.move_field();
    let field = if checked.moves() { vec!["changes".to_owned(), index.to_string(), kind.to_owned()] } else { vec![] };
    let field: Vec<&str> = field.iter().map(String::as_str).collect();
    let priced = price::price(&txn, &changed, &plan, &current.fos, decision.as_ref(), &promo, &field).await?;
    priced.apply(&mut changed, &promo);

    let message = describe(&order, &changed, checked, &plan, intent);
    let decided = write::Decided {
        intent,
        order: &order,
        changed: &changed,
        current: &current,
        plan: &plan,
        decision: decision.as_ref(),
        priced: &priced,
        message,
    };
    write::write(&txn, actor, decided, now).await?;
    book_added(&txn, &order, &current, checked, &plan, &goods.products).await?;

    let outcome = read_back(&txn, &order, decision).await?;
    let mut freed: Vec<Uuid> = current
        .fo_lines
        .iter()
        .filter(|l| plan.released.get(&l.id).is_some_and(|q| *q > 0))
        .filter_map(|l| current.lines.iter().find(|o| o.id == l.order_line_id).map(|o| o.product_id))
        .collect();
    freed.sort();
    freed.dedup();
    backorders::offer(&txn, Freed { products: freed, ..Freed::default() }).await?;
    match finish {
        Finish::Commit => txn.commit().await?,
        Finish::RollBack => txn.rollback().await?,
    }
    Ok(outcome)
}

/// Books the appointments of the added lines that need one (new lines come last in the plan, in
/// the order they were asked for), after the stock: slot counters come last in the lock order.
async fn book_added(
    txn: &DatabaseTransaction,
    order: &order::Model,
    current: &Current,
    checked: &Checked,
    plan: &lines::Plan,
    products: &HashMap<String, entities::product::Model>,
) -> DomainResult<()> {
    let new_lines = plan.lines.iter().skip(current.lines.len());
    let mut wanted = Vec::new();
    for (added, line) in checked.added.iter().zip(new_lines) {
        let field = vec!["changes".to_owned(), added.index.to_string(), "addLine".to_owned(), "slotId".to_owned()];
        let Some(product) = products.get(&line.sku) else { continue };
        if crate::scheduling::needs_appointment(product) {
            wanted.push(crate::scheduling::Wanted {
                field,
                line_id: line.id,
                product,
                slot_id: added.slot_id.as_deref(),
            });
        } else if added.slot_id.is_some() {
            let message = format!("{} is not delivered at an appointment", line.sku);
            return Err(DomainError::Rejected(vec![crate::error::UserError {
                field,
                code: ErrorCode::SlotUnavailable,
                message,
            }]));
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let policy = crate::scheduling::FullSlotPolicy::Refuse;
    let booked = crate::scheduling::book_lines(txn, order.id, &wanted, policy).await?;
    if booked.iter().any(|a| a.status == crate::scheduling::AppointmentStatus::Booked) {
        // The change moved the version on by one: the email is about that version.
        let event = crate::jobs::NotificationEvent::AppointmentBooked;
        crate::outbox::enqueue_job(txn, &crate::jobs::Job::notify_version(order.id, event, order.version + 1)).await?;
    }
    Ok(())
}

/// The order as the change left it, read in its transaction, with what it was before.
async fn read_back(
    txn: &DatabaseTransaction,
    before: &order::Model,
    decision: Option<Decision>,
) -> DomainResult<ChangedOrder> {
    let order = order::Entity::find_by_id(before.id)
        .one(txn)
        .await?
        .ok_or_else(|| DomainError::not_found(&["orderId"], "order"))?;
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(before.id))
        .order_by_asc(order_line::Column::LineNo)
        .all(txn)
        .await?;
    let previous_totals = Totals {
        subtotal: before.subtotal_minor,
        discount: before.discount_minor,
        shipping: before.shipping_minor,
        tax: before.tax_minor,
        total: before.total_minor,
    };
    Ok(ChangedOrder { order, lines, from_version: before.version, previous_totals, decision })
}

/// Both results, or every problem either found; a fault wins over problems.
fn together<A, B>(a: DomainResult<A>, b: DomainResult<B>) -> DomainResult<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(DomainError::Rejected(mut x)), Err(DomainError::Rejected(y))) => {
            x.extend(y);
            Err(DomainError::Rejected(x))
        }
        (Err(e @ (DomainError::Forbidden | DomainError::Database(_))), _)
        | (_, Err(e @ (DomainError::Forbidden | DomainError::Database(_)))) => Err(e),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
    }
}

/// Locks the order (see [`crate::locks`]) and checks it may still change at the version the
/// caller saw.
async fn lock(
    txn: &DatabaseTransaction,
    actor: &Actor,
    order_id: Uuid,
    expected_version: Option<i32>,
) -> DomainResult<order::Model> {
    let order = locks::order(txn, order_id)
        .await?
        .filter(|o| visible(actor, o))
        .ok_or_else(|| DomainError::not_found(&["orderId"], "order"))?;
    if let Some(expected) = expected_version
        && order.version != expected
    {
        return Err(DomainError::rejected(
            &["expectedVersion"],
            ErrorCode::StaleVersion,
            format!(
                "order {} is at version {}, not {expected}: someone changed it meanwhile; reload it and try again",
                order.number, order.version
            ),
        ));
    }
    if matches!(order.status, OrderStatus::Cancelled | OrderStatus::Delivered | OrderStatus::PickedUp) {
        return Err(DomainError::rejected(
            &["orderId"],
            ErrorCode::InvalidState,
            format!("order {} is {} and can no longer change", order.number, order.status),
        ));
    }
    Ok(order)
}

/// The products of the added lines and of the lines that grow (still for sale, in the order's
/// currency), and the new pickup store. Problems are reported at the changes that caused them.
async fn load_goods(
    txn: &DatabaseTransaction,
    checked: &Checked,
    current: &Current,
    order: &order::Model,
    currency: Currency,
) -> DomainResult<Goods> {
    let mut wanted: Vec<(String, i32)> = checked.added.iter().map(|a| (a.sku.clone(), a.quantity)).collect();
    let mut origins: Vec<(usize, &str, &str)> = checked.added.iter().map(|a| (a.index, "addLine", "sku")).collect();
    for edit in &checked.edits {
        let Target::Quantity(q) = edit.target else { continue };
        let Some(line) = current.lines.iter().find(|l| l.id == edit.line_id) else { continue };
        if q > line.quantity - line.cancelled_quantity {
            wanted.push((line.sku.clone(), q));
            origins.push((edit.index, "changeQuantity", "orderLineId"));
        }
    }
    let delivery = checked.delivery.as_ref();
    let method = delivery.map_or(order.delivery_method, |d| d.method);
    let pickup_code = delivery.and_then(|d| d.pickup_code.as_deref());
    let reference = crate::reference::current(txn).await?;
    let loaded = goods::load(txn, &reference, &wanted, pickup_code, method, Some(currency)).await;
    let loaded = loaded.map_err(|e| {
        relabel(e, "lines", |rest| {
            let k: usize = rest.first()?.parse().ok()?;
            let (index, kind, leaf) = origins.get(k)?;
            Some(vec!["changes".to_owned(), index.to_string(), (*kind).to_owned(), (*leaf).to_owned()])
        })
    });
    loaded.map_err(|e| {
        relabel(e, "pickupLocationCode", |_| {
            let index = delivery?.index;
            Some(vec![
                "changes".to_owned(),
                index.to_string(),
                "changeDeliveryMethod".to_owned(),
                "pickupLocationCode".to_owned(),
            ])
        })
    })
}

/// The order with its new destination: address, delivery method and pickup store, each checked
/// against the others (an address only for goods that ship, physical goods never DIGITAL).
fn destination(order: &order::Model, checked: &Checked, goods: &Goods, plan: &Plan) -> DomainResult<order::Model> {
    let mut changed = order.clone();
    let method = checked.delivery.as_ref().map_or(order.delivery_method, |d| d.method);
    if let Some(delivery) = &checked.delivery {
        changed.delivery_method = delivery.method;
        changed.pickup_location_id = goods.pickup.as_ref().map(|p| p.id).filter(|_| method == DeliveryMethod::Pickup);
        let kind = "changeDeliveryMethod";
        if method == DeliveryMethod::Ship && checked.address.is_none() && order.ship_line1.is_none() {
            let message = "a shipping address is required to ship: add a changeShippingAddress";
            return Err(refused(delivery.index, kind, &["deliveryMethod"], ErrorCode::InvalidInput, message));
        }
        let physical = plan.lines.iter().any(|l| l.product_kind.holds_stock() && l.quantity > l.cancelled_quantity);
        if method == DeliveryMethod::Digital && physical {
            let message = "the order has physical goods, which cannot be delivered digitally";
            return Err(refused(delivery.index, kind, &["deliveryMethod"], ErrorCode::InvalidInput, message));
        }
        if method != DeliveryMethod::Ship {
            set_address(&mut changed, None);
        }
    }
    if let Some((index, address)) = &checked.address {
        if method != DeliveryMethod::Ship {
            let message = "only an order that ships has a shipping address: change the delivery method to SHIP too";
            return Err(refused(*index, "changeShippingAddress", &["address"], ErrorCode::InvalidInput, message));
        }
        set_address(&mut changed, Some(address));
    }
    Ok(changed)
}

fn set_address(order: &mut order::Model, a: Option<&super::capture::request::Address>) {
    order.ship_name = a.and_then(|a| a.name.clone());
    order.ship_line1 = a.map(|a| a.line1.clone());
    order.ship_line2 = a.and_then(|a| a.line2.clone());
    order.ship_city = a.map(|a| a.city.clone());
    order.ship_region = a.and_then(|a| a.region.clone());
    order.ship_postal_code = a.map(|a| a.postal_code.clone());
    order.ship_country = a.map(|a| a.country.clone());
    order.ship_latitude = a.and_then(|a| a.latitude);
    order.ship_longitude = a.and_then(|a| a.longitude);
}

/// The timeline's words for the change: what changed, and the new total.
fn describe(order: &order::Model, changed: &order::Model, checked: &Checked, plan: &Plan, intent: &Intent) -> String {
    let mut parts = plan.summary.clone();
    if checked.address.is_some() {
        let city = changed.ship_city.as_deref().unwrap_or_default();
        let country = changed.ship_country.as_deref().unwrap_or_default();
        parts.push(format!("shipping address changed to {city}, {country}"));
    }
    if let Some(d) = &checked.delivery {
        parts.push(format!("delivery method changed to {}", d.method));
    }
    if order.promo_code != changed.promo_code {
        parts.push(match &changed.promo_code {
            Some(code) => format!("promo code {code} applied"),
            None => "promo code removed".to_owned(),
        });
    }
    let currency = Currency::parse(&order.currency);
    let money = |minor: i64| match currency {
        Some(c) => format!("{} {}", c.to_decimal(minor), c.code()),
        None => format!("{minor} {}", order.currency),
    };
    let what = match intent {
        Intent::Change => "changed".to_owned(),
        Intent::Cancel { reason, .. } => format!("partly cancelled ({reason})"),
    };
    format!(
        "Order {} {what}: {}; total {} → {}",
        order.number,
        if parts.is_empty() { "nothing".to_owned() } else { parts.join("; ") },
        money(order.total_minor),
        money(changed.total_minor)
    )
}
