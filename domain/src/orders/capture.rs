//! Capture: turning a cart from any channel into an order with its stock reserved, in one
//! transaction. Either the whole order is written — lines, reservations, fulfilment orders,
//! ledger, timeline — or nothing is.
use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use entities::{location, order, order_line, product};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, Set, Statement,
};
use uuid::Uuid;

use super::events::record_event;
use super::status::{Channel, DeliveryMethod, FulfillmentStatus, OrderStatus};
use crate::allocation::plan_and_reserve;
use crate::auth::Actor;
use crate::catalog::ProductKind;
use crate::customers::{self, ContactInput, parse_contact};
use crate::db::{begin_write, retry_once};
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError};
use crate::fulfillment::{LineNeed, create_fulfillment_orders, shares};
use crate::inventory::MAX_QUANTITY;
use crate::money::Currency;
use crate::pricing::{self, Discount};
use crate::routing::{self, Allocation, Demand, Destination};
use crate::{promotions, tax, validate};

/// At most this many lines in one order.
pub const MAX_LINES: usize = 200;

#[derive(Debug, Clone)]
pub struct LineInput {
    pub sku: String,
    pub quantity: i32,
}

#[derive(Debug, Clone, Default)]
pub struct ShippingAddressInput {
    pub name: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub channel: Channel,
    /// Required for staff; a customer's own record is used when absent.
    pub customer: Option<ContactInput>,
    pub lines: Vec<LineInput>,
    pub shipping_address: Option<ShippingAddressInput>,
    pub delivery_method: DeliveryMethod,
    pub pickup_location_code: Option<String>,
    pub promo_code: Option<String>,
    pub note: Option<String>,
    /// `false`: one shipment or nothing.
    pub allow_split: bool,
    /// What to do with units nothing can fill now.
    pub backorder_policy: BackorderPolicy,
}

/// What happens to units no location can fill when the order is placed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BackorderPolicy {
    /// Refuse the order with OUT_OF_STOCK.
    Reject,
    /// Take the order; the units wait and are filled, oldest order first, when stock arrives.
    Backorder,
}

impl BackorderPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            BackorderPolicy::Reject => "REJECT",
            BackorderPolicy::Backorder => "BACKORDER",
        }
    }
}

#[derive(Debug, Clone)]
struct Address {
    name: Option<String>,
    line1: String,
    line2: Option<String>,
    city: String,
    region: Option<String>,
    postal_code: String,
    country: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

fn parse_address(problems: &mut Problems, a: &ShippingAddressInput) -> Option<Address> {
    let f = |name: &'static str| ["shippingAddress", name];
    let name = problems.take(validate::optional_text(&f("name"), a.name.as_deref(), 200));
    let line1 = problems.take(validate::text(&f("line1"), &a.line1, 200));
    let line2 = problems.take(validate::optional_text(&f("line2"), a.line2.as_deref(), 200));
    let city = problems.take(validate::text(&f("city"), &a.city, 100));
    let region = problems.take(validate::optional_text(&f("region"), a.region.as_deref(), 100));
    let postal_code = problems.take(validate::text(&f("postalCode"), &a.postal_code, 20));
    let country = problems.take(validate::country(&f("country"), &a.country));
    let latitude = match a.latitude {
        Some(v) => problems.take(validate::latitude(&f("latitude"), v)).map(Some),
        None => Some(None),
    };
    let longitude = match a.longitude {
        Some(v) => problems.take(validate::longitude(&f("longitude"), v)).map(Some),
        None => Some(None),
    };
    if a.latitude.is_some() != a.longitude.is_some() {
        problems.add(&f("latitude"), ErrorCode::InvalidInput, "give both latitude and longitude, or neither");
    }
    Some(Address {
        name: name?,
        line1: line1?,
        line2: line2?,
        city: city?,
        region: region?,
        postal_code: postal_code?,
        country: country?,
        latitude: latitude?,
        longitude: longitude?,
    })
}

/// The request after every check that needs no database.
struct Checked {
    contact: Option<customers::Contact>,
    lines: Vec<(String, i32)>,
    address: Option<Address>,
    pickup_code: Option<String>,
    promo_code: Option<String>,
    note: Option<String>,
}

fn check_request(input: &PlaceOrder) -> DomainResult<Checked> {
    let mut problems = Problems::default();
    let contact = match &input.customer {
        Some(c) => parse_contact(&mut problems, "customer", c).map(Some),
        None => Some(None),
    };
    if input.lines.is_empty() {
        problems.add(&["lines"], ErrorCode::InvalidInput, "an order needs at least one line");
    }
    if input.lines.len() > MAX_LINES {
        problems.add(&["lines"], ErrorCode::InvalidInput, format!("an order has at most {MAX_LINES} lines"));
    }
    let mut lines = Vec::with_capacity(input.lines.len());
    for (i, line) in input.lines.iter().enumerate() {
        let sku = validate::code(&[], &line.sku, 64)
            .map_err(|e| UserError::at("lines", i, "sku", ErrorCode::UnknownSku, e.message));
        let sku = problems.take(sku);
        if line.quantity < 1 || line.quantity > MAX_QUANTITY {
            problems.push(UserError::at(
                "lines",
                i,
                "quantity",
                ErrorCode::InvalidInput,
                format!("quantity must be between 1 and {MAX_QUANTITY}"),
            ));
        } else if let Some(sku) = sku {
            lines.push((sku, line.quantity));
        }
    }
    let address = match (&input.shipping_address, input.delivery_method) {
        (Some(a), _) => parse_address(&mut problems, a).map(Some),
        (None, DeliveryMethod::Ship) => {
            problems.add(&["shippingAddress"], ErrorCode::InvalidInput, "a shipping address is required to ship");
            None
        }
        (None, _) => Some(None),
    };
    let pickup_code = match (input.delivery_method, input.pickup_location_code.as_deref().map(str::trim)) {
        (DeliveryMethod::Pickup, None | Some("")) => {
            problems.add(&["pickupLocationCode"], ErrorCode::InvalidInput, "a pickup location is required for PICKUP");
            None
        }
        (DeliveryMethod::Pickup, Some(code)) => Some(Some(code.to_owned())),
        (_, Some(code)) if !code.is_empty() => {
            problems.add(&["pickupLocationCode"], ErrorCode::InvalidInput, "a pickup location is only for PICKUP");
            None
        }
        _ => Some(None),
    };
    let promo_code = problems.take(validate::optional_text(&["promoCode"], input.promo_code.as_deref(), 64));
    let note = problems.take(validate::optional_text(&["note"], input.note.as_deref(), 2000));
    problems.finish((|| {
        Some(Checked {
            contact: contact?,
            lines,
            address: address?,
            pickup_code: pickup_code?,
            promo_code: promo_code?,
            note: note?,
        })
    })())
}

/// The next order number: a sequence on PostgreSQL; on SQLite, whose writers are serialised by
/// the IMMEDIATE transaction, the highest so far plus one.
async fn next_order_number(txn: &DatabaseTransaction) -> DomainResult<i64> {
    let backend = txn.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        "SELECT nextval('order_number_seq') AS n"
    } else {
        "SELECT COALESCE(MAX(number_seq), 0) + 1 AS n FROM orders"
    };
    let row = txn
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| DomainError::not_found(&[], "order number"))?;
    Ok(row.try_get::<i64>("", "n")?)
}

pub fn format_order_number(seq: i64) -> String {
    format!("SO-{seq:06}")
}

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
    if actor.is_staff() && checked.contact.is_none() {
        return Err(DomainError::rejected(&["customer"], ErrorCode::InvalidInput, "the customer is required"));
    }

    let txn = begin_write(db).await?;
    let now = Utc::now();

    // Products, in one query; unknown, inactive and mixed-currency lines are all reported.
    let skus: Vec<&str> = checked.lines.iter().map(|(s, _)| s.as_str()).collect();
    let products: HashMap<String, product::Model> = product::Entity::find()
        .filter(product::Column::Sku.is_in(skus.iter().copied()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.sku.clone(), p))
        .collect();
    let mut problems = Problems::default();
    let mut currency: Option<Currency> = None;
    for (i, (sku, _)) in checked.lines.iter().enumerate() {
        match products.get(sku) {
            None => problems.push(UserError::at(
                "lines",
                i,
                "sku",
                ErrorCode::UnknownSku,
                format!("no product has SKU '{sku}'"),
            )),
            Some(p) if !p.active => problems.push(UserError::at(
                "lines",
                i,
                "sku",
                ErrorCode::ProductInactive,
                format!("{sku} is not for sale"),
            )),
            Some(p) => {
                let line_currency = Currency::parse(&p.currency);
                match (currency, line_currency) {
                    (None, c) => currency = c,
                    (Some(a), Some(b)) if a != b => problems.push(UserError::at(
                        "lines",
                        i,
                        "sku",
                        ErrorCode::CurrencyMismatch,
                        format!("{sku} is priced in {} but the order is in {}", b.code(), a.code()),
                    )),
                    _ => {}
                }
                let physical = ProductKind::parse(&p.kind).holds_stock();
                if physical && input.delivery_method == DeliveryMethod::Digital {
                    problems.push(UserError::at(
                        "lines",
                        i,
                        "sku",
                        ErrorCode::InvalidInput,
                        format!("{sku} is a physical product and cannot be delivered digitally"),
                    ));
                }
            }
        }
    }

    // The pickup store, if any.
    let pickup: Option<location::Model> = match &checked.pickup_code {
        None => None,
        Some(code) => match crate::locations::find_by_code(&txn, code).await? {
            None => {
                problems.add(
                    &["pickupLocationCode"],
                    ErrorCode::UnknownLocation,
                    format!("no location has code '{code}'"),
                );
                None
            }
            Some(l) if !l.active || !l.can_pickup => {
                problems.add(
                    &["pickupLocationCode"],
                    ErrorCode::LocationCannotPickup,
                    format!("{} does not offer store pickup", l.code),
                );
                None
            }
            Some(l) => Some(l),
        },
    };
    let currency = problems.finish(currency)?;

    // The promotion is checked now, for a quick answer, and used up last, after the stock.
    let promotion = match &checked.promo_code {
        Some(code) => Some(promotions::check(&txn, code, currency, now).await?),
        None => None,
    };

    // The customer: a customer token orders for itself; staff order for anyone by email.
    let customer = if let Some(own) = actor.own_customer() {
        let record = customers::find_by_id(&txn, own).await?.ok_or(DomainError::Forbidden)?;
        if checked.contact.as_ref().is_some_and(|c| c.email != record.email) {
            return Err(DomainError::Forbidden);
        }
        record
    } else {
        let contact = checked
            .contact
            .as_ref()
            .ok_or_else(|| DomainError::rejected(&["customer"], ErrorCode::InvalidInput, "the customer is required"))?;
        customers::find_or_create(&txn, contact).await?
    };
    let contact = checked.contact.clone().unwrap_or(customers::Contact {
        email: customer.email.clone(),
        name: customer.name.clone(),
        phone: customer.phone.clone(),
    });

    // Route and reserve; a lost race re-plans against the stock as it now is.
    let order_id = Uuid::now_v7();
    tracing::Span::current().record("order_id", tracing::field::display(order_id));
    // Units per product (lines of one SKU add up), with the SKU for explanations.
    let mut demand: BTreeMap<Uuid, (&str, i32)> = BTreeMap::new();
    for (sku, qty) in &checked.lines {
        if let Some(p) = products.get(sku).filter(|p| ProductKind::parse(&p.kind).holds_stock()) {
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
    let plan: Option<routing::Decision> = if request.demands.is_empty() {
        None
    } else {
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
        plan_and_reserve(&txn, &request, order_id, actor, None, refuse_shortfalls).await?
    };
    let allocations: Vec<Allocation> = plan.as_ref().map(|p| p.allocations.clone()).unwrap_or_default();

    // Money.
    let shipment_locations = routing::locations_of(&allocations);
    let shipping_rates: HashMap<Uuid, i64> = if input.delivery_method == DeliveryMethod::Ship {
        crate::locations::find_by_ids(&txn, &shipment_locations)
            .await?
            .into_iter()
            .map(|l| {
                // A rate in another currency is never silently free: the order is refused, as
                // nothing here converts currencies.
                if l.shipping_rate_minor != 0 && l.shipping_currency != currency.code() {
                    return Err(DomainError::rejected(
                        &["shippingAddress"],
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
            .collect::<DomainResult<_>>()?
    } else {
        HashMap::new()
    };
    let tax_country = match (&pickup, &checked.address) {
        (Some(store), _) => Some(store.country.clone()),
        (None, Some(a)) => Some(a.country.clone()),
        _ => None,
    };
    let tax_ppm = tax::rate_ppm(&txn, tax_country.as_deref()).await?;
    let priced: Vec<(i64, i32)> =
        checked.lines.iter().filter_map(|(sku, qty)| products.get(sku).map(|p| (p.price_minor, *qty))).collect();
    let discount = promotion.as_ref().map_or(Discount::None, |(_, d)| *d);
    let totals = pricing::price(&priced, discount, shipping_rates.values().sum(), tax_ppm)?;
    if let Some((promo, _)) = &promotion {
        promotions::redeem(&txn, promo).await?;
    }

    // The order.
    let seq = next_order_number(&txn).await?;
    let address = checked.address.clone();
    let created = order::ActiveModel {
        id: Set(order_id),
        number: Set(format_order_number(seq)),
        number_seq: Set(seq),
        channel: Set(input.channel.as_str().to_owned()),
        status: Set(OrderStatus::Pending.as_str().to_owned()),
        customer_id: Set(customer.id),
        customer_email: Set(contact.email.clone()),
        customer_name: Set(contact.name.clone()),
        customer_phone: Set(contact.phone.clone()),
        ship_name: Set(address.as_ref().and_then(|a| a.name.clone())),
        ship_line1: Set(address.as_ref().map(|a| a.line1.clone())),
        ship_line2: Set(address.as_ref().and_then(|a| a.line2.clone())),
        ship_city: Set(address.as_ref().map(|a| a.city.clone())),
        ship_region: Set(address.as_ref().and_then(|a| a.region.clone())),
        ship_postal_code: Set(address.as_ref().map(|a| a.postal_code.clone())),
        ship_country: Set(address.as_ref().map(|a| a.country.clone())),
        ship_latitude: Set(address.as_ref().and_then(|a| a.latitude)),
        ship_longitude: Set(address.as_ref().and_then(|a| a.longitude)),
        delivery_method: Set(input.delivery_method.as_str().to_owned()),
        pickup_location_id: Set(pickup.as_ref().map(|p| p.id)),
        promo_code: Set(promotion.as_ref().map(|(p, _)| p.code.clone())),
        promotion_id: Set(promotion.as_ref().map(|(p, _)| p.id)),
        note: Set(checked.note.clone()),
        currency: Set(currency.code().to_owned()),
        subtotal_minor: Set(totals.subtotal),
        discount_minor: Set(totals.discount),
        shipping_minor: Set(totals.shipping),
        tax_minor: Set(totals.tax),
        total_minor: Set(totals.total),
        version: Set(1),
        allow_split: Set(input.allow_split),
        backorder_policy: Set(input.backorder_policy.as_str().to_owned()),
        placed_by: Set(actor.label()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;

    // Lines, each with its share of its product's allocations; the rest is backordered.
    let line_ids: Vec<Uuid> = checked.lines.iter().map(|_| Uuid::now_v7()).collect();
    let needs: Vec<LineNeed> = checked
        .lines
        .iter()
        .zip(&line_ids)
        .filter_map(|((sku, qty), id)| {
            let p = products.get(sku).filter(|p| ProductKind::parse(&p.kind).holds_stock())?;
            Some(LineNeed { line_id: *id, product_id: p.id, quantity: *qty })
        })
        .collect();
    let mut allocated: HashMap<Uuid, i32> = HashMap::new();
    for (line, _, quantity) in shares(&allocations, &needs) {
        *allocated.entry(needs[line].line_id).or_default() += quantity;
    }
    for (i, ((sku, qty), line_id)) in checked.lines.iter().zip(&line_ids).enumerate() {
        let Some(p) = products.get(sku) else { continue };
        let got =
            if ProductKind::parse(&p.kind).holds_stock() { allocated.get(line_id).copied().unwrap_or(0) } else { *qty };
        order_line::ActiveModel {
            id: Set(*line_id),
            order_id: Set(order_id),
            line_no: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            product_id: Set(p.id),
            sku: Set(p.sku.clone()),
            name: Set(p.name.clone()),
            product_kind: Set(p.kind.clone()),
            unit_price_minor: Set(p.price_minor),
            quantity: Set(*qty),
            allocated_quantity: Set(got),
            backordered_quantity: Set(*qty - got),
            cancelled_quantity: Set(0),
            shipped_quantity: Set(0),
            returned_quantity: Set(0),
            line_total_minor: Set(p.price_minor * i64::from(*qty)),
        }
        .insert(&txn)
        .await?;
    }
    let ship_to = match plan.as_ref().map(|p| p.mode) {
        Some(routing::Mode::ShipToStore) => pickup.as_ref().map(|p| p.id),
        _ => None,
    };
    create_fulfillment_orders(
        &txn,
        order_id,
        &allocations,
        &needs,
        FulfillmentStatus::Pending,
        &shipping_rates,
        ship_to,
        now,
    )
    .await?;

    if let Some(decision) = &plan {
        routing::record_decision(&txn, order_id, routing::trigger::PLACEMENT, decision).await?;
    }
    record_event(
        &txn,
        order_id,
        "ORDER_PLACED",
        actor,
        format!(
            "Order {} placed on {} with {} line(s), shipping from {} location(s)",
            created.number,
            input.channel.as_str(),
            checked.lines.len(),
            shipment_locations.len()
        ),
        plan.as_ref().map(|p| serde_json::json!({ "routing": p.summary })),
    )
    .await?;
    if let Some(decision) = plan.as_ref().filter(|d| !d.is_complete()) {
        let short: Vec<String> = decision.shortfalls.iter().map(|s| format!("{} × {}", s.quantity, s.sku)).collect();
        let message = format!("Backordered until stock arrives: {}", short.join(", "));
        record_event(&txn, order_id, "BACKORDERED", actor, message, None).await?;
    }
    txn.commit().await?;
    tracing::info!(number = %created.number, total = created.total_minor, "order placed");
    Ok(created)
}
