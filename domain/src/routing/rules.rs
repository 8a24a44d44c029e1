//! The routing rules admins set, effective for the next order.
use std::collections::BTreeMap;

use chrono::Utc;
use entities::routing_rule;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set};
use uuid::Uuid;

use super::model::Rules;
use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems};
use crate::locations::LocationKind;
use crate::orders::Channel;
use entities::enums::from_text;

/// The one row's id.
const RULES_ID: Uuid = Uuid::nil();

/// The rules in force (the defaults when none were set).
pub async fn load_rules<C: ConnectionTrait>(db: &C) -> DomainResult<Rules> {
    let Some(row) = routing_rule::Entity::find_by_id(RULES_ID).one(db).await? else {
        return Ok(Rules::default());
    };
    let channel_location_kinds: BTreeMap<String, Vec<String>> =
        serde_json::from_str(&row.channel_location_kinds).unwrap_or_default();
    Ok(Rules {
        channel_location_kinds,
        ship_from_store: row.ship_from_store,
        ship_from_store_max_km: row.ship_from_store_max_km,
        max_shipments: row.max_shipments,
        enforce_capacity: row.enforce_capacity,
    })
}

/// The rules, for staff.
pub async fn get_rules(db: &DatabaseConnection, actor: &Actor) -> DomainResult<Rules> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    load_rules(db).await
}

/// Replaces the rules. Admins only. Channels and kinds are validated; a channel given with no
/// kinds is refused (it could never be fulfilled).
pub async fn set_rules(db: &DatabaseConnection, actor: &Actor, rules: Rules) -> DomainResult<Rules> {
    if !actor.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let mut problems = Problems::default();
    for (channel, kinds) in &rules.channel_location_kinds {
        if from_text::<Channel>(channel).is_none() {
            problems.add(&["channelLocationKinds"], ErrorCode::InvalidInput, format!("unknown channel {channel}"));
        }
        if kinds.is_empty() {
            problems.add(
                &["channelLocationKinds"],
                ErrorCode::InvalidInput,
                format!("{channel} needs at least one location kind"),
            );
        }
        for kind in kinds {
            if from_text::<LocationKind>(kind).is_none() {
                problems.add(
                    &["channelLocationKinds"],
                    ErrorCode::InvalidInput,
                    format!("unknown location kind {kind}"),
                );
            }
        }
    }
    if rules.ship_from_store_max_km.is_some_and(|km| !km.is_finite() || km <= 0.0) {
        problems.add(&["shipFromStoreMaxDistanceKm"], ErrorCode::InvalidInput, "must be a positive distance");
    }
    if rules.max_shipments.is_some_and(|m| !(1..=50).contains(&m)) {
        problems.add(&["maxShipmentsPerOrder"], ErrorCode::InvalidInput, "must be between 1 and 50");
    }
    problems.into_result()?;
    let json = serde_json::to_string(&rules.channel_location_kinds).unwrap_or_else(|_| "{}".to_owned());
    let existing = routing_rule::Entity::find_by_id(RULES_ID).one(db).await?;
    let mut model = match existing {
        Some(row) => row.into_active_model(),
        None => routing_rule::ActiveModel { id: Set(RULES_ID), ..Default::default() },
    };
    model.channel_location_kinds = Set(json);
    model.ship_from_store = Set(rules.ship_from_store);
    model.ship_from_store_max_km = Set(rules.ship_from_store_max_km);
    model.max_shipments = Set(rules.max_shipments);
    model.enforce_capacity = Set(rules.enforce_capacity);
    model.updated_at = Set(Utc::now());
    if model.id.is_unchanged() {
        model.update(db).await?;
    } else {
        model.insert(db).await?;
    }
    load_rules(db).await
}
