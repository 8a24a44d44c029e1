//! Location webhooks: where a location's own system hears about its released fulfilment orders,
//! and the deliveries made to it.
use async_graphql::{Context, ID, InputObject, Object};
use domain::webhooks;
use entities::{location_webhook, webhook_delivery};
use uuid::Uuid;

use super::common::{parts, payload};
use super::enums::WebhookDeliveryStatus;
use super::errors::{ApiResult, respond};

/// A location's webhook. The secret is never shown again.
#[derive(Clone, Debug)]
pub struct LocationWebhook(pub location_webhook::Model);

/// Where a location hears about its released fulfilment orders: a signed JSON POST
/// (`OMS-Signature: t=<unix>,v1=<hex HMAC-SHA256 over "{t}.{body}">`).
#[Object]
impl LocationWebhook {
    /// The URL released fulfilment orders are POSTed to.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// When it was last set (RFC 3339).
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

impl From<location_webhook::Model> for LocationWebhook {
    fn from(m: location_webhook::Model) -> Self {
        LocationWebhook(m)
    }
}

/// One POST about a fulfilment order.
#[derive(Clone, Debug)]
pub struct WebhookDelivery(pub webhook_delivery::Model);

/// One webhook POST about a fulfilment order, and what became of it.
#[Object]
impl WebhookDelivery {
    /// The delivery's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// What it announced, e.g. "fulfillment_order.released".
    async fn event(&self) -> &str {
        &self.0.event
    }

    /// Where it was POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// Where the delivery stands (a failed one is retried with backoff within the job's budget).
    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }

    /// How many POSTs were tried.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// The receiver's HTTP status on the last attempt, if it answered.
    async fn response_status(&self) -> Option<i32> {
        self.0.response_status
    }

    /// Why the last attempt failed, if it did.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// When the receiver accepted it (RFC 3339).
    async fn delivered_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.delivered_at
    }
}

/// Set a location's webhook.
#[derive(InputObject, Debug)]
pub struct SetLocationWebhookInput {
    /// The location's code.
    pub location_code: String,
    /// An http:// or https:// URL.
    pub url: String,
    /// The HMAC-SHA256 signing secret, 16 to 200 characters.
    pub secret: String,
}

payload!(SetLocationWebhookPayload, webhook: LocationWebhook, "setLocationWebhook");

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The webhook deliveries made about a fulfilment order, oldest first. Staff only.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fulfilment order's id.")] fulfillment_order_id: ID,
    ) -> ApiResult<Vec<WebhookDelivery>> {
        let (db, actor) = parts(ctx)?;
        let id = Uuid::parse_str(fulfillment_order_id.as_str()).unwrap_or_default();
        let rows = webhooks::deliveries_for(db, actor, id).await?;
        Ok(rows.into_iter().map(WebhookDelivery).collect())
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Sets (or replaces) the webhook of a location. Admins only.
    async fn set_location_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The SetLocationWebhook request.")] input: SetLocationWebhookInput,
    ) -> ApiResult<SetLocationWebhookPayload> {
        let (db, actor) = parts(ctx)?;
        respond(webhooks::set_location_webhook(db, actor, &input.location_code, &input.url, &input.secret).await)
    }
}
