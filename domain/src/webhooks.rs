//! Webhooks: a location's own system (a WMS, a store app) hears about each fulfilment order
//! released to it, as a signed JSON POST. Each (fulfilment order, event) is one delivery row;
//! the job that sends them retries with its backoff and re-sends only what was not delivered.
//!
//! The signature is Stripe's scheme: header `OMS-Signature: t=<unix seconds>,v1=<hex>` where
//! the hex is HMAC-SHA256 with the location's secret over `"{t}.{body}"`. A receiver recomputes
//! it and refuses old timestamps, so a captured request cannot be replayed later.
use chrono::Utc;
use entities::enums::WebhookDeliveryStatus;
use entities::{
    fulfillment_order, fulfillment_order_line, location, location_webhook, order, order_line, webhook_delivery,
};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems};
use crate::orders::FulfillmentStatus;

/// The event a released fulfilment order is announced with.
pub const RELEASED: &str = "fulfillment_order.released";
/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "OMS-Signature";

/// `t=<t>,v1=<hex of HMAC-SHA256(secret, "{t}.{body}")>`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this branch cannot happen.
        Err(_) => return format!("t={t},v1="),
    };
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sets (or replaces) a location's webhook. Admins only.
pub async fn set_location_webhook(
    db: &DatabaseConnection,
    actor: &Actor,
    location_code: &str,
    url: &str,
    secret: &str,
) -> DomainResult<location_webhook::Model> {
    if !actor.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let mut problems = Problems::default();
    let url = url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.len() > 2000
        || url.contains(char::is_whitespace)
    {
        problems.add(
            &["url"],
            ErrorCode::InvalidInput,
            "the URL must be an http:// or https:// URL of at most 2000 characters",
        );
    }
    if secret.len() < 16 || secret.len() > 200 {
        problems.add(&["secret"], ErrorCode::InvalidInput, "the secret must be 16 to 200 characters");
    }
    problems.into_result()?;
    let Some(loc) = crate::locations::find_by_code(db, location_code.trim()).await? else {
        return Err(DomainError::rejected(&["locationCode"], ErrorCode::UnknownLocation, "no location has this code"));
    };
    let now = Utc::now();
    location_webhook::Entity::insert(location_webhook::ActiveModel {
        id: Set(Uuid::now_v7()),
        location_id: Set(loc.id),
        url: Set(url.to_owned()),
        secret: Set(secret.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(location_webhook::Column::LocationId)
            .update_columns([
                location_webhook::Column::Url,
                location_webhook::Column::Secret,
                location_webhook::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    location_webhook::Entity::find()
        .filter(location_webhook::Column::LocationId.eq(loc.id))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found(&["locationCode"], "the webhook"))
}

/// A POST to make.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub delivery_id: Uuid,
    pub url: String,
    pub secret: String,
    pub body: String,
}

/// The deliveries an order's released fulfilment orders still owe: created on first sight,
/// claimed (attempt counted) unless already delivered.
pub async fn claim_release_deliveries(db: &DatabaseConnection, order_id: Uuid) -> DomainResult<Vec<Outgoing>> {
    let Some(order) = order::Entity::find_by_id(order_id).one(db).await? else {
        return Ok(Vec::new());
    };
    let fos = fulfillment_order::Entity::find()
        .filter(fulfillment_order::Column::OrderId.eq(order_id))
        .filter(fulfillment_order::Column::Status.is_not_in([
            FulfillmentStatus::Pending,
            FulfillmentStatus::Cancelled,
            FulfillmentStatus::Rejected,
        ]))
        .order_by_asc(fulfillment_order::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for fo in fos {
        let Some(hook) = location_webhook::Entity::find()
            .filter(location_webhook::Column::LocationId.eq(fo.location_id))
            .one(db)
            .await?
        else {
            continue;
        };
        let key = format!("{RELEASED}:{}", fo.id);
        let now = Utc::now();
        webhook_delivery::Entity::insert(webhook_delivery::ActiveModel {
            id: Set(Uuid::now_v7()),
            fulfillment_order_id: Set(fo.id),
            location_id: Set(fo.location_id),
            event: Set(RELEASED.to_owned()),
            dedupe_key: Set(key.clone()),
            url: Set(hook.url.clone()),
            status: Set(WebhookDeliveryStatus::Pending),
            attempts: Set(0),
            response_status: Set(None),
            error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            delivered_at: Set(None),
        })
        .on_conflict_do_nothing_on([webhook_delivery::Column::DedupeKey])
        .exec_without_returning(db)
        .await?;
        let claimed = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::Attempts, Expr::col(webhook_delivery::Column::Attempts).add(1))
            .col_expr(webhook_delivery::Column::Url, Expr::value(hook.url.clone()))
            .col_expr(webhook_delivery::Column::UpdatedAt, Expr::value(now))
            .filter(webhook_delivery::Column::DedupeKey.eq(key.as_str()))
            .filter(webhook_delivery::Column::Status.ne(WebhookDeliveryStatus::Delivered))
            .exec(db)
            .await?;
        if claimed.rows_affected == 0 {
            continue;
        }
        let Some(delivery) = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::DedupeKey.eq(key.as_str()))
            .one(db)
            .await?
        else {
            continue;
        };
        let body = release_body(db, &order, &fo).await?;
        out.push(Outgoing { delivery_id: delivery.id, url: hook.url, secret: hook.secret, body });
    }
    Ok(out)
}

async fn release_body(
    db: &DatabaseConnection,
    order: &order::Model,
    fo: &fulfillment_order::Model,
) -> DomainResult<String> {
    let fo_lines = fulfillment_order_line::Entity::find()
        .filter(fulfillment_order_line::Column::FulfillmentOrderId.eq(fo.id))
        .all(db)
        .await?;
    let order_lines = order_line::Entity::find().filter(order_line::Column::OrderId.eq(order.id)).all(db).await?;
    let code = location::Entity::find_by_id(fo.location_id).one(db).await?.map(|l| l.code).unwrap_or_default();
    let lines: Vec<serde_json::Value> = fo_lines
        .iter()
        .map(|l| {
            let ol = order_lines.iter().find(|o| o.id == l.order_line_id);
            serde_json::json!({
                "sku": ol.map(|o| o.sku.clone()),
                "name": ol.map(|o| o.name.clone()),
                "quantity": l.quantity,
            })
        })
        .collect();
    Ok(serde_json::json!({
        "event": RELEASED,
        "fulfillmentOrder": {
            "id": fo.id,
            "status": fo.status,
            "locationCode": code,
            "lines": lines,
        },
        "order": {
            "id": order.id,
            "number": order.number,
            "deliveryMethod": order.delivery_method,
            "shipTo": {
                "name": order.ship_name, "line1": order.ship_line1, "line2": order.ship_line2,
                "city": order.ship_city, "postalCode": order.ship_postal_code, "country": order.ship_country,
            },
        },
    })
    .to_string())
}

/// Records how a delivery went: the receiver's HTTP status, or why there was none.
pub async fn record_delivery(
    db: &DatabaseConnection,
    delivery_id: Uuid,
    status: Option<u16>,
    error: Option<&str>,
) -> DomainResult<()> {
    let delivered = error.is_none() && status.is_some_and(|s| (200..300).contains(&s));
    let now = Utc::now();
    let mut q = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(if delivered { WebhookDeliveryStatus::Delivered } else { WebhookDeliveryStatus::Failed }),
        )
        .col_expr(webhook_delivery::Column::ResponseStatus, Expr::value(status.map(i32::from)))
        .col_expr(webhook_delivery::Column::Error, Expr::value(error.map(|e| e.chars().take(2000).collect::<String>())))
        .col_expr(webhook_delivery::Column::UpdatedAt, Expr::value(now));
    if delivered {
        q = q.col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(now));
    }
    q.filter(webhook_delivery::Column::Id.eq(delivery_id)).exec(db).await?;
    Ok(())
}

/// A fulfilment order's webhook deliveries, oldest first. Staff only.
pub async fn deliveries_for<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    fulfillment_order_id: Uuid,
) -> DomainResult<Vec<webhook_delivery::Model>> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    Ok(webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::FulfillmentOrderId.eq(fulfillment_order_id))
        .order_by_asc(webhook_delivery::Column::Id)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_and_body() {
        // Known answer: HMAC-SHA256(key "secret", "1700000000.{}").
        let sig = signature("secret", 1_700_000_000, "{}");
        assert!(sig.starts_with("t=1700000000,v1="), "{sig}");
        assert_eq!(sig.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(sig, signature("other", 1_700_000_000, "{}"));
        assert_ne!(sig, signature("secret", 1_700_000_001, "{}"));
    }
}
