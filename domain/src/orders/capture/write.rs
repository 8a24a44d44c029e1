//! Writing a placed order: the order row, its lines with their shares of the allocations (the
//! rest backordered), its fulfilment orders, the routing decision and the timeline.
use std::collections::HashMap;

use chrono::{SubsecRound, Utc};
use entities::{order, order_line};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, IntoActiveModel, QueryTrait, Set,
    Statement,
};
use uuid::Uuid;

use crate::auth::Actor;
use crate::batch::InsertBatch;
use crate::catalog::ProductKindRules;
use crate::error::{DomainError, DomainResult};
use crate::fulfillment::{LineNeed, create_fulfillment_orders, shares};
use crate::orders::OrderEventKind;
use crate::orders::events::event_insert;
use crate::orders::status::{FulfillmentStatus, OrderStatus};
use crate::routing::{self, Allocation};

use super::goods::Goods;
use super::request::{Checked, PlaceOrder};
use super::{Customer, Money};

/// Everything decided about a new order, ready to be written.
pub(super) struct NewOrder<'a> {
    pub(super) id: Uuid,
    pub(super) reference: &'a crate::reference::Reference,
    pub(super) input: &'a PlaceOrder,
    pub(super) checked: &'a Checked,
    pub(super) goods: &'a Goods,
    pub(super) customer: &'a Customer,
    pub(super) plan: Option<&'a routing::Decision>,
    pub(super) money: &'a Money,
    pub(super) promotion: Option<&'a entities::promotion::Model>,
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

/// Writes the order: every row goes into `rows` (which already holds the reservations' ledger)
/// and is written in one go at the end.
pub(super) async fn write(
    txn: &DatabaseTransaction,
    actor: &Actor,
    new: NewOrder<'_>,
    mut rows: InsertBatch,
) -> DomainResult<order::Model> {
    let NewOrder { id: order_id, reference, input, checked, goods, customer, plan, money, promotion } = new;
    // As the database keeps it (microseconds), since the rows are not read back.
    let now = Utc::now().trunc_subsecs(6);
    let currency = goods.currency;
    let products = &goods.products;
    let pickup = &goods.pickup;
    let contact = &customer.contact;
    let totals = &money.totals;
    let shipping_rates = &money.shipping_rates;
    let allocations: Vec<Allocation> = plan.map(|p| p.allocations.clone()).unwrap_or_default();
    let shipment_locations = routing::locations_of(&allocations);
    let seq = next_order_number(txn).await?;
    let address = checked.address.clone();
    let created = order::Model {
        id: order_id,
        number: format_order_number(seq),
        number_seq: seq,
        channel: input.channel,
        status: OrderStatus::Pending,
        customer_id: customer.record.id,
        customer_email: contact.email.clone(),
        customer_name: contact.name.clone(),
        customer_phone: contact.phone.clone(),
        ship_name: address.as_ref().and_then(|a| a.name.clone()),
        ship_line1: address.as_ref().map(|a| a.line1.clone()),
        ship_line2: address.as_ref().and_then(|a| a.line2.clone()),
        ship_city: address.as_ref().map(|a| a.city.clone()),
        ship_region: address.as_ref().and_then(|a| a.region.clone()),
        ship_postal_code: address.as_ref().map(|a| a.postal_code.clone()),
        ship_country: address.as_ref().map(|a| a.country.clone()),
        ship_latitude: address.as_ref().and_then(|a| a.latitude),
        ship_longitude: address.as_ref().and_then(|a| a.longitude),
        delivery_method: input.delivery_method,
        pickup_location_id: pickup.as_ref().map(|p| p.id),
        promo_code: promotion.map(|p| p.code.clone()),
        promotion_id: promotion.map(|p| p.id),
        note: checked.note.clone(),
        currency: currency.code().to_owned(),
        subtotal_minor: totals.subtotal,
        discount_minor: totals.discount,
        shipping_minor: totals.shipping,
        tax_minor: totals.tax,
        total_minor: totals.total,
        version: 1,
        allow_split: input.allow_split,
        backorder_policy: input.backorder_policy,
        placed_by: actor.label(),
        paid_minor: 0,
        refunded_minor: 0,
        open_holds: 0,
        created_at: now,
        updated_at: now,
    };
    rows.push(order::Entity::insert(created.clone().into_active_model().reset_all()).into_query());

    // Lines, each with its share of its product's allocations; the rest is backordered.
    let line_ids: Vec<Uuid> = checked.lines.iter().map(|_| Uuid::now_v7()).collect();
    let needs: Vec<LineNeed> = checked
        .lines
        .iter()
        .zip(&line_ids)
        .filter_map(|((sku, qty), id)| {
            let p = products.get(sku).filter(|p| p.kind.holds_stock())?;
            Some(LineNeed { line_id: *id, product_id: p.id, quantity: *qty })
        })
        .collect();
    let mut allocated: HashMap<Uuid, i32> = HashMap::new();
    for (line, _, quantity) in shares(&allocations, &needs) {
        *allocated.entry(line.line_id).or_default() += quantity;
    }
    let mut lines = Vec::with_capacity(line_ids.len());
    for (i, ((sku, qty), line_id)) in checked.lines.iter().zip(&line_ids).enumerate() {
        let Some(p) = products.get(sku) else { continue };
        let got = if p.kind.holds_stock() { allocated.get(line_id).copied().unwrap_or(0) } else { *qty };
        lines.push(order_line::ActiveModel {
            id: Set(*line_id),
            order_id: Set(order_id),
            line_no: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            product_id: Set(p.id),
            sku: Set(p.sku.clone()),
            name: Set(p.name.clone()),
            product_kind: Set(p.kind),
            unit_price_minor: Set(p.price_minor),
            quantity: Set(*qty),
            allocated_quantity: Set(got),
            backordered_quantity: Set(*qty - got),
            cancelled_quantity: Set(0),
            shipped_quantity: Set(0),
            returned_quantity: Set(0),
            line_total_minor: Set(p.price_minor * i64::from(*qty)),
        });
    }
    rows.extend((!lines.is_empty()).then(|| order_line::Entity::insert_many(lines).into_query()));
    let ship_to = match plan.map(|p| p.mode) {
        Some(routing::Mode::ShipToStore) => pickup.as_ref().map(|p| p.id),
        _ => None,
    };
    create_fulfillment_orders(
        txn,
        reference,
        order_id,
        &allocations,
        &needs,
        FulfillmentStatus::Pending,
        shipping_rates,
        ship_to,
        now,
        Some(&mut rows),
    )
    .await?;

    if let Some(decision) = &plan {
        rows.push(routing::decision_insert(order_id, routing::trigger::PLACEMENT, decision)?);
    }
    rows.push(event_insert(
        order_id,
        OrderEventKind::OrderPlaced,
        actor,
        format!(
            "Order {} placed on {} with {} line(s), shipping from {} location(s)",
            created.number,
            input.channel.as_str(),
            checked.lines.len(),
            shipment_locations.len()
        ),
        plan.map(|p| serde_json::json!({ "routing": p.summary })),
    ));
    if let Some(decision) = plan.filter(|d| !d.is_complete()) {
        let short: Vec<String> = decision.shortfalls.iter().map(|s| format!("{} × {}", s.quantity, s.sku)).collect();
        let message = format!("Backordered until stock arrives: {}", short.join(", "));
        rows.push(event_insert(order_id, OrderEventKind::Backordered, actor, message, None));
        let job = crate::jobs::Job::notify(order_id, crate::jobs::NotificationEvent::OrderBackordered);
        rows.push(crate::outbox::job_insert(&job));
    }
    // A channel that confirms at once does so in a job, so capture answers without waiting for
    // the confirmation's release and email.
    if reference.confirmation_rule(input.channel).auto_confirm {
        rows.push(crate::outbox::job_insert(&crate::jobs::Job::AutoConfirm { order_id }));
    }
    rows.write(txn).await?;
    Ok(created)
}
