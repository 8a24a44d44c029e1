//! A confirmed order's fulfilment orders were released to their locations (in the confirming
//! transaction). Each location with a webhook hears about its fulfilment order as a signed
//! POST; a delivery already made is not made again, and any failure fails the job so it retries
//! with its backoff.
use domain::webhooks::{self, SIGNATURE_HEADER};
use uuid::Uuid;

use super::{HandlerError, JobContext};

pub async fn handle(ctx: &JobContext, order_id: Uuid) -> Result<(), HandlerError> {
    let outgoing = webhooks::claim_release_deliveries(&ctx.db, order_id).await?;
    let mut failures = Vec::new();
    for o in outgoing {
        let t = chrono::Utc::now().timestamp();
        let sent = ctx
            .http
            .post(&o.url)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, webhooks::signature(&o.secret, t, &o.body))
            .body(o.body.clone())
            .send()
            .await;
        let (status, error) = match sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (Some(r.status().as_u16()), Some(format!("the receiver answered {}", r.status()))),
            Err(e) => (None, Some(e.to_string())),
        };
        webhooks::record_delivery(&ctx.db, o.delivery_id, status, error.as_deref()).await?;
        if let Some(e) = error {
            failures.push(format!("{}: {e}", o.url));
        }
    }
    if failures.is_empty() { Ok(()) } else { Err(HandlerError::Transient(failures.join("; "))) }
}
