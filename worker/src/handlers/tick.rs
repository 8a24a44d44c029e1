//! A period of scheduled work began (see [`crate::scheduler`]): the work is done here, once
//! across all replicas. Each task is idempotent by its nature: it acts on what is due now, and
//! what it already did is no longer due.
use domain::jobs::{ScheduledTask, Tick};

use super::{HandlerError, JobContext};

pub async fn handle(ctx: &JobContext, tick: &Tick) -> Result<(), HandlerError> {
    match tick.task {
        ScheduledTask::ExpireOrders => {
            domain::orders::expire_due(&ctx.db).await?;
        }
        ScheduledTask::AcceptanceDeadlines => {
            domain::fulfillment::deadlines::time_out_overdue(&ctx.db).await?;
        }
        ScheduledTask::PurgeIdempotencyKeys => {
            let keys = domain::idempotency::purge_expired(&ctx.db).await?;
            let ticks = domain::jobs::purge_finished_ticks(&ctx.db).await?;
            if keys + ticks > 0 {
                tracing::info!(keys, ticks, "expired idempotency keys and old ticks purged");
            }
        }
        ScheduledTask::RequeueLostJobs => {
            let lost = domain::jobs::requeue_lost(&ctx.db, ctx.lost_after).await?;
            if lost > 0 {
                tracing::warn!(lost, "jobs their queue lost handed back to the relay");
            }
        }
        ScheduledTask::Appointments => {
            let now = chrono::Utc::now();
            let reminded = domain::scheduling::due::send_reminders(&ctx.db, now).await?;
            let released = domain::scheduling::due::release_held(&ctx.db, now).await?;
            if reminded + released > 0 {
                tracing::info!(reminded, released, "appointment reminders written and held goods released");
            }
        }
    }
    Ok(())
}
