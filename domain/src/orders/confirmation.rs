//! How each channel's orders are confirmed: at once by a job (payment was taken at checkout), or
//! by an agent (a marketplace order waits for its checks); and how long an order may wait
//! unconfirmed, holding stock, before it expires.
//!
//! Defaults, used for a channel an admin never configured: WEB, MOBILE, CALL_CENTER and STORE
//! confirm at once; MARKETPLACE waits for an agent; every channel's unconfirmed orders expire
//! after 30 minutes.
use chrono::Utc;
use entities::channel_confirmation_rule as rule;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Iterable, Set};

use super::status::Channel;
use crate::auth::Actor;
use crate::db::begin_write;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError};

/// How long an unconfirmed order holds its stock when nobody said otherwise.
pub const DEFAULT_EXPIRE_AFTER_MINUTES: i32 = 30;
/// The longest an admin may let an order wait unconfirmed: 30 days.
pub const MAX_EXPIRE_AFTER_MINUTES: i32 = 30 * 24 * 60;

/// How one channel's orders are confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmationRule {
    pub channel: Channel,
    /// Orders are confirmed by a job as soon as they are placed.
    pub auto_confirm: bool,
    /// Minutes an order may wait unconfirmed before it expires; never when `None`.
    pub expire_after_minutes: Option<i32>,
}

impl ConfirmationRule {
    /// The rule of a channel no admin configured.
    pub fn default_for(channel: Channel) -> ConfirmationRule {
        ConfirmationRule {
            channel,
            auto_confirm: channel != Channel::Marketplace,
            expire_after_minutes: Some(DEFAULT_EXPIRE_AFTER_MINUTES),
        }
    }
}

/// A change to one channel's rule; fields left `None` keep their value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleChange {
    pub channel: Channel,
    pub auto_confirm: Option<bool>,
    /// `Some(None)`: its orders never expire.
    pub expire_after_minutes: Option<Option<i32>>,
}

/// Every channel's rule, in channel order: the stored ones, the defaults for the others.
pub async fn load_rules<C: ConnectionTrait>(db: &C) -> DomainResult<Vec<ConfirmationRule>> {
    let stored = rule::Entity::find().all(db).await?;
    Ok(Channel::iter()
        .map(|channel| {
            stored.iter().find(|r| r.channel == channel).map_or_else(
                || ConfirmationRule::default_for(channel),
                |r| ConfirmationRule {
                    channel,
                    auto_confirm: r.auto_confirm,
                    expire_after_minutes: r.expire_after_minutes,
                },
            )
        })
        .collect())
}

/// The rule of one channel.
pub async fn rule_for<C: ConnectionTrait>(db: &C, channel: Channel) -> DomainResult<ConfirmationRule> {
    Ok(rule::Entity::find_by_id(channel).one(db).await?.map_or_else(
        || ConfirmationRule::default_for(channel),
        |r| ConfirmationRule { channel, auto_confirm: r.auto_confirm, expire_after_minutes: r.expire_after_minutes },
    ))
}

/// The rules, for admins.
pub async fn get_rules(db: &DatabaseConnection, actor: &Actor) -> DomainResult<Vec<ConfirmationRule>> {
    if !actor.is_admin() {
        return Err(DomainError::Forbidden);
    }
    load_rules(db).await
}

/// Changes the rules of the channels named; the others keep theirs. Admins only. Applies to
/// orders placed from now on (auto-confirmation) and to every unconfirmed order at the next
/// expiry run (the waiting time).
pub async fn set_rules(
    db: &DatabaseConnection,
    actor: &Actor,
    changes: &[RuleChange],
) -> DomainResult<Vec<ConfirmationRule>> {
    if !actor.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let mut problems = Problems::default();
    for (i, change) in changes.iter().enumerate() {
        if changes.iter().take(i).any(|c| c.channel == change.channel) {
            problems.push(UserError::at(
                "rules",
                i,
                "channel",
                ErrorCode::InvalidInput,
                format!("{} is given more than once", change.channel),
            ));
        }
        if let Some(Some(minutes)) = change.expire_after_minutes
            && !(1..=MAX_EXPIRE_AFTER_MINUTES).contains(&minutes)
        {
            problems.push(UserError::at(
                "rules",
                i,
                "expireAfterMinutes",
                ErrorCode::InvalidInput,
                format!("must be between 1 and {MAX_EXPIRE_AFTER_MINUTES} minutes, or null for never"),
            ));
        }
    }
    problems.into_result()?;
    let txn = begin_write(db).await?;
    let now = Utc::now();
    for change in changes {
        let current = rule_for(&txn, change.channel).await?;
        let model = rule::ActiveModel {
            channel: Set(change.channel),
            auto_confirm: Set(change.auto_confirm.unwrap_or(current.auto_confirm)),
            expire_after_minutes: Set(change.expire_after_minutes.unwrap_or(current.expire_after_minutes)),
            updated_at: Set(now),
        };
        rule::Entity::insert(model)
            .on_conflict(
                OnConflict::column(rule::Column::Channel)
                    .update_columns([
                        rule::Column::AutoConfirm,
                        rule::Column::ExpireAfterMinutes,
                        rule::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    let rules = load_rules(&txn).await?;
    txn.commit().await?;
    tracing::info!(channels = changes.len(), "confirmation rules changed");
    Ok(rules)
}
