//! An order of a channel that confirms at once: confirmed through the same domain function as an
//! agent's confirmation. Already confirmed, cancelled or expired: nothing to do.
use uuid::Uuid;

use super::{HandlerError, JobContext};

pub async fn handle(ctx: &JobContext, order_id: Uuid) -> Result<(), HandlerError> {
    if !domain::orders::confirm_automatically(&ctx.db, order_id).await? {
        tracing::debug!(%order_id, "order no longer pending; not confirmed automatically");
    }
    Ok(())
}
