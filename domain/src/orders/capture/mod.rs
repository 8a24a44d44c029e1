//! Capture: turning a cart from any channel into an order with its stock reserved, in one
//! transaction. Either the whole order is written — lines, reservations, fulfilment orders,
//! ledger, timeline — or nothing is.
//!
//! `place_order` runs named steps: check the request (`request`), read what it decides on
//! (`read`: the reference token, products, stock levels and customer, one statement on
//! PostgreSQL), check the goods (`goods`), resolve the customer, plan and reserve, price, and
//! write (`write`).
use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use entities::order;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use super::status::DeliveryMethod;
use crate::allocation::plan_and_reserve;
use crate::auth::Actor;
use crate::batch::InsertBatch;
use crate::customers::{self};
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode, UserError};
use crate::pricing::{self, Discount};
use crate::promotions;
use crate::reference::{self, Reference};
use crate::routing::{self, Allocation, Demand, Destination};

pub(crate) mod goods;
pub mod read;
pub(crate) mod request;
mod write;

pub use request::{BackorderPolicy, LineInput, MAX_LINES, PlaceOrder, ShippingAddressInput};

use crate::money::Currency;
use goods::Goods;
use read::CustomerKey;
use request::{Checked, check_request};

/// Places an order: validates, prices from the catalogue, routes, reserves and writes it all in
/// one transaction. An order that cannot be filled is refused with OUT_OF_STOCK naming the
/// lines, and nothing is written.
#[tracing::instrument(skip_all, fields(channel = input.channel.as_str(), order_id))]
pub async fn place_order(db: &DatabaseConnection, actor: &Actor, input: PlaceOrder) -> DomainResult<order::Model> {
    retry_once(|| place_once(db, actor, &input)).await
}

async fn place_once(db: &DatabaseConnection, actor: &Actor, input: &PlaceOrder) -> DomainResult<order::Model> {
    let is_customer = actor.own_customer().is_some();
    if !actor.is_staff() && !is_customer {
        return Err(DomainError::Forbidden);
    }
    let checked = check_request(input)?;
    // Staff order for a customer by email, which they must give.
    let customer_key = match (actor.own_customer(), &checked.contact) {
        (Some(own), _) => CustomerKey::Id(own),
        (None, Some(contact)) => CustomerKey::Email(&contact.email),
        (None, None) => {
            return Err(DomainError::rejected(&["customer"], ErrorCode::InvalidInput, "the customer is required"));
        }
    };

    let txn = begin_write(db).await?;
    let now = Utc::now();
    let skus: Vec<&str> = checked.lines.iter().map(|(sku, _)| sku.as_str()).collect();
    let read::Read { token, products, levels, customer: found } = read::read(&txn, &skus, customer_key).await?;
    let reference = reference::as_of(&txn, token).await?;

    let goods = goods::check(
        &reference,
        products,
        &checked.lines,
        checked.pickup_code.as_deref(),
        input.delivery_method,
        None,
    )?;

    // The promotion is checked now, for a quick answer, and used up last, after the stock.
    let promotion = match &checked.promo_code {
        Some(code) => Some(promotions::check(&txn, code, goods.currency, now).await?),
        None => None,
    };

    let customer = resolve_customer(&txn, actor, &checked, found).await?;
    let order_id = Uuid::now_v7();
    tracing::Span::current().record("order_id", tracing::field::display(order_id));
    // The order's rows are written together at the end of `write`, the ledger's included.
    let mut rows = InsertBatch::default();
    let plan = plan(&txn, &reference, actor, order_id, input, &checked, &goods, &levels, &mut rows).await?;
    let allocations: Vec<Allocation> = plan.as_ref().map(|p| p.allocations.clone()).unwrap_or_default();
    let discount = promotion.as_ref().map_or(Discount::None, |(_, d)| *d);
    let money = price(&reference, input, &checked, &goods, &allocations, discount)?;
    // Used up last, after the stock: a promotion is not spent on an order that was refused.
    if let Some((promo, _)) = &promotion {
        promotions::redeem(&txn, promo).await?;
    }
    let new = write::NewOrder {
        id: order_id,
        reference: &reference,
        input,
        checked: &checked,
        goods: &goods,
        customer: &customer,
        plan: plan.as_ref(),
        money: &money,
        promotion: promotion.as_ref().map(|(p, _)| p),
    };
    let mut created = write::write(&txn, actor, new, rows).await?;
    book_appointments(&txn, &created, input, &goods).await?;
    if let Some(payment) = &input.payment {
        created = crate::payments::record_with_order(&txn, actor, &created, payment, &["payment"]).await?.1;
    }
    txn.commit().await?;
    tracing::info!(number = %created.number, total = created.total_minor, "order placed");
    Ok(created)
}

/// Books the appointments of the lines that need one, after the stock and fulfilment orders
/// (the slot counters come last in the lock order). The customer hears of booked slots by email.
async fn book_appointments(
    txn: &DatabaseTransaction,
    order: &order::Model,
    input: &PlaceOrder,
    goods: &Goods,
) -> DomainResult<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    // Most orders book nothing: they pay no query here.
    let booking = input.lines.iter().any(|l| l.slot_id.is_some())
        || goods.products.values().any(crate::scheduling::needs_appointment);
    if !booking {
        return Ok(());
    }
    let lines = entities::order_line::Entity::find()
        .filter(entities::order_line::Column::OrderId.eq(order.id))
        .order_by_asc(entities::order_line::Column::LineNo)
        .all(txn)
        .await?;
    let mut wanted = Vec::new();
    for (index, (asked, line)) in input.lines.iter().zip(&lines).enumerate() {
        let Some(product) = goods.products.get(&line.sku) else { continue };
        if crate::scheduling::needs_appointment(product) {
            wanted.push(crate::scheduling::Wanted {
                field: vec!["lines".to_owned(), index.to_string(), "slotId".to_owned()],
                line_id: line.id,
                product,
                slot_id: asked.slot_id.as_deref().filter(|s| !s.trim().is_empty()),
            });
        } else if asked.slot_id.is_some() {
            return Err(DomainError::Rejected(vec![UserError::at(
                "lines",
                index,
                "slotId",
                ErrorCode::SlotUnavailable,
                format!("{} is not delivered at an appointment", line.sku),
            )]));
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let booked = crate::scheduling::book_lines(txn, order.id, &wanted, input.full_slot_policy).await?;
    if booked.iter().any(|a| a.status == crate::scheduling::AppointmentStatus::Booked) {
        let job = crate::jobs::Job::notify_version(
            order.id,
            crate::jobs::NotificationEvent::AppointmentBooked,
            order.version,
        );
        crate::outbox::enqueue_job(txn, &job).await?;
    }
    Ok(())
}

/// The customer record the order is for, and the contact written on it.
struct Customer {
    record: entities::customer::Model,
    contact: customers::Contact,
}

/// A customer token orders for itself; staff order for anyone by email, a new one created.
/// `found`: the record the capture read found by the token's id or the email.
async fn resolve_customer(
    txn: &DatabaseTransaction,
    actor: &Actor,
    checked: &Checked,
    found: Option<entities::customer::Model>,
) -> DomainResult<Customer> {
    let record = if actor.own_customer().is_some() {
        let own_record = found.ok_or(DomainError::Forbidden)?;
        if checked.contact.as_ref().is_some_and(|c| c.email != own_record.email) {
            return Err(DomainError::Forbidden);
        }
        own_record
    } else {
        let contact = checked
            .contact
            .as_ref()
            .ok_or_else(|| DomainError::rejected(&["customer"], ErrorCode::InvalidInput, "the customer is required"))?;
        match found {
            Some(known) => known,
            None => customers::create_for_order(txn, contact).await?,
        }
    };
    let contact = checked.contact.clone().unwrap_or(customers::Contact {
        email: record.email.clone(),
        name: record.name.clone(),
        phone: record.phone.clone(),
    });
    Ok(Customer { record, contact })
}

/// Routes the order and reserves its stock; a lost race re-plans against the stock as it now
/// is. `None`: nothing of the order holds stock (digital goods only).
#[expect(clippy::too_many_arguments, reason = "the steps before it hand over each of these")]
async fn plan(
    txn: &DatabaseTransaction,
    reference: &Reference,
    actor: &Actor,
    order_id: Uuid,
    input: &PlaceOrder,
    checked: &Checked,
    goods: &Goods,
    levels: &[entities::inventory_level::Model],
    rows: &mut InsertBatch,
) -> DomainResult<Option<routing::Decision>> {
    let products = &goods.products;
    let pickup = &goods.pickup;
    tracing::Span::current().record("order_id", tracing::field::display(order_id));
    // Units per product (lines of one SKU add up), with the SKU for explanations.
    let mut demand: BTreeMap<Uuid, (&str, i32)> = BTreeMap::new();
    for (sku, qty) in &checked.lines {
        if let Some(p) = goods.stocked(sku) {
            demand.entry(p.id).or_insert((p.sku.as_str(), 0)).1 += qty;
        }
    }
    let demands: Vec<Demand> =
        demand.iter().map(|(p, (sku, q))| Demand { product_id: *p, sku: (*sku).to_owned(), quantity: *q }).collect();
    let destination = match &pickup {
        Some(store) => Destination::Pickup { location_id: store.id },
        None => Destination::Ship { point: checked.address.as_ref().and_then(|a| a.latitude.zip(a.longitude)) },
    };
    let request = routing::Request {
        demands,
        destination,
        channel: input.channel.as_str().to_owned(),
        allow_split: input.allow_split,
        excluded: Vec::new(),
    };
    if request.demands.is_empty() {
        return Ok(None);
    }
    // An incomplete plan is refused before anything is reserved when the order may not wait.
    let refuse_shortfalls = |decision: &routing::Decision| {
        if decision.is_complete() || input.backorder_policy == BackorderPolicy::Backorder {
            return Ok(true);
        }
        let short: HashMap<Uuid, i32> = decision.shortfalls.iter().map(|s| (s.product_id, s.quantity)).collect();
        let errors = checked
            .lines
            .iter()
            .enumerate()
            .filter_map(|(i, (sku, qty))| {
                let p = products.get(sku)?;
                let missing = short.get(&p.id)?;
                Some(UserError::at(
                    "lines",
                    i,
                    "quantity",
                    ErrorCode::OutOfStock,
                    format!(
                        "{sku}: {missing} of the {} units ordered cannot be filled ({})",
                        demand.get(&p.id).map_or(*qty, |(_, q)| *q),
                        decision.summary
                    ),
                ))
            })
            .collect();
        Err(DomainError::Rejected(errors))
    };
    plan_and_reserve(txn, reference, &request, Some(levels), order_id, actor, None, Some(rows), refuse_shortfalls).await
}

/// The shipping rate of each of `locations`, in minor units of `currency`. A rate in another
/// currency is never silently free: the order is refused (on `field`), as nothing here converts
/// currencies.
pub(crate) fn shipping_rates(
    reference: &Reference,
    locations: &[Uuid],
    currency: Currency,
    field: &[&str],
) -> DomainResult<HashMap<Uuid, i64>> {
    locations
        .iter()
        .filter_map(|id| reference.location(*id))
        .map(|l| {
            if l.shipping_rate_minor != 0 && l.shipping_currency != currency.code() {
                return Err(DomainError::rejected(
                    field,
                    ErrorCode::CurrencyMismatch,
                    format!(
                        "{} would ship this order but charges shipping in {}, not {}",
                        l.code,
                        l.shipping_currency,
                        currency.code()
                    ),
                ));
            }
            Ok((l.id, l.shipping_rate_minor))
        })
        .collect()
}

/// What the order costs: shipping per location and the totals.
struct Money {
    shipping_rates: HashMap<Uuid, i64>,
    totals: pricing::Totals,
}

/// Prices the order from the catalogue: goods, discount, shipping from each location that ships
/// it (in the order's currency, or refused), and tax at the destination.
fn price(
    reference: &Reference,
    input: &PlaceOrder,
    checked: &Checked,
    goods: &Goods,
    allocations: &[Allocation],
    discount: Discount,
) -> DomainResult<Money> {
    let (products, currency, pickup) = (&goods.products, goods.currency, &goods.pickup);
    let shipment_locations = routing::locations_of(allocations);
    let shipping_rates: HashMap<Uuid, i64> = if input.delivery_method == DeliveryMethod::Ship {
        shipping_rates(reference, &shipment_locations, currency, &["shippingAddress"])?
    } else {
        HashMap::new()
    };
    let tax_country = match (&pickup, &checked.address) {
        (Some(store), _) => Some(store.country.clone()),
        (None, Some(a)) => Some(a.country.clone()),
        _ => None,
    };
    let tax_ppm = reference.tax_ppm(tax_country.as_deref());
    let priced: Vec<(i64, i32)> =
        checked.lines.iter().filter_map(|(sku, qty)| products.get(sku).map(|p| (p.price_minor, *qty))).collect();
    let totals = pricing::price(&priced, discount, shipping_rates.values().sum(), tax_ppm)?;
    Ok(Money { shipping_rates, totals })
}
