//! The shop's return policy: how many days after delivery a customer may still return goods,
//! and whether returns asked for within that window are approved at once.
use chrono::Utc;
use entities::return_policy;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};

use crate::auth::Actor;
use crate::db::begin_write;
use crate::error::{DomainError, DomainResult, ErrorCode};

/// The window when no admin set one.
pub const DEFAULT_WINDOW_DAYS: i32 = 30;
/// The longest window an admin may set: ten years.
pub const MAX_WINDOW_DAYS: i32 = 3650;

/// The return policy in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnPolicy {
    /// Days after delivery a customer may ask for a return (0: only agents may).
    pub window_days: i32,
    /// Returns asked for within the window are approved at once.
    pub auto_approve: bool,
}

impl Default for ReturnPolicy {
    fn default() -> Self {
        ReturnPolicy { window_days: DEFAULT_WINDOW_DAYS, auto_approve: true }
    }
}

pub(super) async fn load<C: ConnectionTrait>(db: &C) -> DomainResult<ReturnPolicy> {
    Ok(return_policy::Entity::find_by_id(1).one(db).await?.map_or_else(ReturnPolicy::default, |p| ReturnPolicy {
        window_days: p.window_days,
        auto_approve: p.auto_approve,
    }))
}

/// The policy, for staff.
pub async fn get_policy(db: &DatabaseConnection, actor: &Actor) -> DomainResult<ReturnPolicy> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    load(db).await
}

/// Sets the policy; admins only. Applies to returns requested from now on.
pub async fn set_policy(db: &DatabaseConnection, actor: &Actor, policy: ReturnPolicy) -> DomainResult<ReturnPolicy> {
    if !actor.is_admin() {
        return Err(DomainError::Forbidden);
    }
    if !(0..=MAX_WINDOW_DAYS).contains(&policy.window_days) {
        return Err(DomainError::rejected(
            &["windowDays"],
            ErrorCode::InvalidInput,
            format!("windowDays must be between 0 and {MAX_WINDOW_DAYS}"),
        ));
    }
    let txn = begin_write(db).await?;
    return_policy::Entity::insert(return_policy::ActiveModel {
        id: Set(1),
        window_days: Set(policy.window_days),
        auto_approve: Set(policy.auto_approve),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(return_policy::Column::Id)
            .update_columns([
                return_policy::Column::WindowDays,
                return_policy::Column::AutoApprove,
                return_policy::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let stored = load(&txn).await?;
    txn.commit().await?;
    tracing::info!(window_days = stored.window_days, auto_approve = stored.auto_approve, "return policy set");
    Ok(stored)
}
