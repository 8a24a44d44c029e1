//! A confirmed order's fulfilment orders were released to their locations (in the confirming
//! transaction). The job is the hook for telling the locations' systems; until locations have
//! webhooks it only checks the order still exists.
use entities::order;
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::{HandlerError, JobContext};

pub async fn handle(ctx: &JobContext, order_id: Uuid) -> Result<(), HandlerError> {
    let found =
        order::Entity::find_by_id(order_id).one(&ctx.db).await.map_err(|e| HandlerError::Transient(e.to_string()))?;
    match found {
        Some(o) => {
            tracing::info!(number = %o.number, "fulfilment orders released");
            Ok(())
        }
        None => Err(HandlerError::Permanent(format!("order {order_id} does not exist"))),
    }
}
