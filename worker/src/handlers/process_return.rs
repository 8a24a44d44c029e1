//! A return was received: restock, write off, record the refund, offer the restocked units to
//! backorders and tell the customer, in one domain call. A return already processed is left
//! alone, so a retried or duplicated job restocks once.
use uuid::Uuid;

use super::{HandlerError, JobContext};

pub async fn handle(ctx: &JobContext, return_id: Uuid) -> Result<(), HandlerError> {
    if !domain::returns::process_received(&ctx.db, return_id).await? {
        tracing::debug!(%return_id, "return already processed or not received; nothing to do");
    }
    Ok(())
}
