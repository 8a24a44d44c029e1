//! Emails the customer about an event of their order, once: the notification row is claimed
//! first, and a row already SENT means this is a repeat delivery.
use domain::jobs::Notification;
use domain::notifications::{self, Claim};

use super::{Finished, HandlerError, JobContext};

/// `run` is the job's run record, finished with the email: [`Finished::Recorded`] when the email
/// went out now. `claimed` is the claim the run's start already made, if it made one.
pub async fn handle(
    ctx: &JobContext,
    n: &Notification,
    run: &str,
    claimed: Option<Claim>,
) -> Result<Finished, HandlerError> {
    let claim = match claimed {
        Some(claim) => claim,
        None => notifications::claim(&ctx.db, n).await?,
    };
    let (notification_id, recipient, template, context) = match claim {
        Claim::AlreadySent => return Ok(Finished::Done),
        Claim::NoOrder => return Err(HandlerError::Permanent(format!("order {} does not exist", n.order_id))),
        Claim::Send { notification_id, recipient, template, context } => {
            (notification_id, recipient, template, context)
        }
    };
    let result = match ctx.templates.render(&template, &context) {
        Ok(mail) => ctx.mailer.send(&recipient, &notification_id.to_string(), &mail).await.map(|()| mail.subject),
        Err(e) => Err(e),
    };
    match result {
        Ok(subject) => {
            notifications::mark_sent(&ctx.db, notification_id, &subject, run).await?;
            tracing::info!(to = %recipient, template = %template, "email sent");
            Ok(Finished::Recorded)
        }
        Err(e) => {
            notifications::mark_failed(&ctx.db, notification_id, &e.to_string()).await?;
            Err(HandlerError::Transient(e.to_string()))
        }
    }
}
