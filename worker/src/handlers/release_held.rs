//! The last hold of an order was released: its waiting fulfilment orders are released (under
//! the order's lock, only if no new hold came meanwhile), then the locations with a webhook hear
//! about them exactly as after a confirmation. Both steps are idempotent: a repeated job finds
//! nothing pending, and a delivery already made is not made again.
use domain::orders::holds;
use uuid::Uuid;

use super::{HandlerError, JobContext, release_order};

pub async fn handle(ctx: &JobContext, order_id: Uuid) -> Result<(), HandlerError> {
    holds::release_after_holds(&ctx.db, order_id).await?;
    // Also when nothing was released this time: a first run may have released and then failed
    // to tell a location.
    release_order::handle(ctx, order_id).await
}
