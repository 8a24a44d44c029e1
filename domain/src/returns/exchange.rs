//! The replacement of an exchange: order lines added at today's catalogue price and reserved at
//! once through the router, as a placement is, so the customer's new size is not sold to
//! someone else meanwhile. Their fulfilment orders wait (PENDING) until the return is received,
//! or are released at once when customer service ships the replacement now.
use std::collections::HashMap;

use chrono::Utc;
use entities::{
    fulfillment_order, fulfillment_order_line, order, order_line, order_return, product, return_replacement,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::ReplacementLine;
use crate::allocation::plan_and_reserve;
use crate::auth::Actor;
use crate::catalog::ProductKindRules;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError};
use crate::fulfillment::{LineNeed, create_fulfillment_orders, demands_of, destination_of, rejected_locations};
use crate::jobs::{Job, NotificationEvent};
use crate::orders::{FulfillmentStatus, OrderEventKind};
use crate::{outbox, routing};

/// Adds and reserves the replacement of the exchange `opened`; refused whole (OUT_OF_STOCK at
/// `replacementLines`) when the router cannot fill all of it.
pub(super) async fn reserve(
    txn: &DatabaseTransaction,
    actor: &Actor,
    order: &order::Model,
    opened: order_return::Model,
    wanted: &[ReplacementLine],
    ship_now: bool,
) -> DomainResult<order_return::Model> {
    let products = load_products(txn, order, wanted).await?;
    let next_line_no = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .order_by_desc(order_line::Column::LineNo)
        .one(txn)
        .await?
        .map_or(1, |l| l.line_no + 1);
    let mut lines: HashMap<Uuid, order_line::Model> = HashMap::new();
    let mut needs = Vec::new();
    let mut value = 0_i64;
    for (i, (want, product)) in wanted.iter().zip(&products).enumerate() {
        let total = product.price_minor * i64::from(want.quantity);
        value += total;
        let line = order_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            order_id: Set(order.id),
            line_no: Set(next_line_no + i32::try_from(i).unwrap_or(0)),
            product_id: Set(product.id),
            sku: Set(product.sku.clone()),
            name: Set(product.name.clone()),
            product_kind: Set(product.kind),
            unit_price_minor: Set(product.price_minor),
            quantity: Set(want.quantity),
            allocated_quantity: Set(want.quantity),
            backordered_quantity: Set(0),
            cancelled_quantity: Set(0),
            shipped_quantity: Set(0),
            returned_quantity: Set(0),
            line_total_minor: Set(total),
        }
        .insert(txn)
        .await?;
        return_replacement::ActiveModel {
            id: Set(Uuid::now_v7()),
            return_id: Set(opened.id),
            order_line_id: Set(line.id),
        }
        .insert(txn)
        .await?;
        needs.push(LineNeed { line_id: line.id, product_id: product.id, quantity: want.quantity });
        lines.insert(line.id, line);
    }
    let request = routing::Request {
        demands: demands_of(&needs, &lines),
        destination: destination_of(order),
        channel: order.channel.as_str().to_owned(),
        allow_split: order.allow_split,
        excluded: rejected_locations(txn, order.id).await?,
    };
    let accept = |d: &routing::Decision| {
        if d.is_complete() {
            return Ok(true);
        }
        let missing: Vec<String> = d.shortfalls.iter().map(|s| format!("{} of {}", s.quantity, s.sku)).collect();
        let message = format!("the replacement cannot be reserved: {} missing ({})", missing.join(", "), d.summary);
        Err(DomainError::rejected(&["replacementLines"], ErrorCode::OutOfStock, message))
    };
    let reference = crate::reference::current(txn).await?;
    let Some(decision) = plan_and_reserve(txn, &reference, &request, None, order.id, actor, None, None, accept).await?
    else {
        return Err(DomainError::rejected(
            &["replacementLines"],
            ErrorCode::OutOfStock,
            "the replacement is out of stock",
        ));
    };
    let ship_to = match decision.mode {
        routing::Mode::ShipToStore => order.pickup_location_id,
        _ => None,
    };
    let status = if ship_now { FulfillmentStatus::Released } else { FulfillmentStatus::Pending };
    let now = Utc::now();
    create_fulfillment_orders(
        txn,
        &reference,
        order.id,
        &decision.allocations,
        &needs,
        status,
        &HashMap::new(),
        ship_to,
        now,
        None,
    )
    .await?;
    routing::record_decision(txn, order.id, routing::trigger::ORDER_CHANGE, &decision).await?;
    let mut update: order_return::ActiveModel = opened.clone().into();
    update.is_exchange = Set(true);
    update.ship_now = Set(ship_now);
    update.replacement_minor = Set(value);
    let updated = update.update(txn).await?;
    let summary = format!("Exchange {}: replacement reserved: {}", opened.number, decision.summary);
    crate::orders::record_event(txn, order.id, OrderEventKind::ReturnRequested, actor, summary, None).await?;
    if ship_now {
        announce_release(txn, actor, order, &updated).await?;
    }
    Ok(updated)
}

/// The replacement's products, each physical, active and priced in the order's currency.
async fn load_products(
    txn: &DatabaseTransaction,
    order: &order::Model,
    wanted: &[ReplacementLine],
) -> DomainResult<Vec<product::Model>> {
    let skus: Vec<&str> = wanted.iter().map(|w| w.sku.trim()).collect();
    let found = product::Entity::find().filter(product::Column::Sku.is_in(skus.iter().copied())).all(txn).await?;
    let mut problems = Problems::default();
    let mut products = Vec::new();
    for (i, sku) in skus.iter().enumerate() {
        let problem = |code, message: String| UserError::at("replacementLines", i, "sku", code, message);
        match found.iter().find(|p| p.sku == *sku) {
            None => problems.push(problem(ErrorCode::UnknownSku, format!("no product has SKU '{sku}'"))),
            Some(p) if !p.active => {
                problems.push(problem(ErrorCode::ProductInactive, format!("{sku} is not for sale")))
            }
            Some(p) if p.currency != order.currency => problems.push(problem(
                ErrorCode::CurrencyMismatch,
                format!("{sku} is priced in {}, the order in {}", p.currency, order.currency),
            )),
            Some(p) if !p.kind.holds_stock() => problems.push(problem(
                ErrorCode::InvalidInput,
                format!("{sku} is a {} product: only physical goods are exchanged", p.kind),
            )),
            Some(p) => products.push(p.clone()),
        }
    }
    problems.into_result()?;
    Ok(products)
}

/// Releases the waiting replacement of an exchange to its locations: the return was received.
pub(super) async fn release(
    txn: &DatabaseTransaction,
    actor: &Actor,
    order: &order::Model,
    exchange: &order_return::Model,
) -> DomainResult<()> {
    let line_ids: Vec<Uuid> = return_replacement::Entity::find()
        .filter(return_replacement::Column::ReturnId.eq(exchange.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|r| r.order_line_id)
        .collect();
    let fo_ids: Vec<Uuid> = fulfillment_order_line::Entity::find()
        .select_only()
        .column(fulfillment_order_line::Column::FulfillmentOrderId)
        .filter(fulfillment_order_line::Column::OrderLineId.is_in(line_ids))
        .into_tuple()
        .all(txn)
        .await?;
    let now = Utc::now();
    let released = fulfillment_order::Entity::update_many()
        .col_expr(fulfillment_order::Column::Status, Expr::value(FulfillmentStatus::Released))
        .col_expr(fulfillment_order::Column::ReleasedAt, Expr::value(now))
        .col_expr(fulfillment_order::Column::UpdatedAt, Expr::value(now))
        .filter(fulfillment_order::Column::Id.is_in(fo_ids))
        .filter(fulfillment_order::Column::Status.eq(FulfillmentStatus::Pending))
        .exec(txn)
        .await?;
    if released.rows_affected > 0 {
        announce_release(txn, actor, order, exchange).await?;
    }
    Ok(())
}

/// The timeline entry and the "exchange shipped" email of a released replacement.
async fn announce_release(
    txn: &DatabaseTransaction,
    actor: &Actor,
    order: &order::Model,
    exchange: &order_return::Model,
) -> DomainResult<()> {
    let message = format!("Exchange {}: the replacement was released to fulfilment", exchange.number);
    crate::fulfillment::follow(txn, order, actor, OrderEventKind::ExchangeReleased, message).await?;
    let job = Job::notify_version(order.id, NotificationEvent::ExchangeShipped, exchange.seq);
    outbox::enqueue_job(txn, &job).await
}
