//! Stock freed: the orders waiting for it are offered it, one order per transaction, each reading
//! under its lock what it still waits for. Running again does no harm: an order already filled
//! waits for nothing, and what is not free is not taken.
use domain::auth::Actor;
use domain::fulfillment::backorders::{self, Freed};

use super::{HandlerError, JobContext};

pub async fn handle(ctx: &JobContext, freed: &Freed) -> Result<(), HandlerError> {
    let filled = backorders::fill(&ctx.db, &Actor::System, freed).await?;
    if filled > 0 {
        tracing::info!(filled, "backorders filled");
    }
    Ok(())
}
