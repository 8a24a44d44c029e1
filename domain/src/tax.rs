//! Tax rates per destination country, set by admins. No rate set means no tax; orders read the
//! rates from the reference copy (`reference::Reference::tax_ppm`).
use chrono::Utc;
use entities::tax_rate;
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, ErrorCode, UserError};
use crate::money::percent_to_ppm;
use crate::validate;

/// Sets (or replaces) the rate of a country, as a percentage such as 20 or 8.875.
pub async fn set_tax_rate(
    db: &DatabaseConnection,
    actor: &Actor,
    country: &str,
    percent: Decimal,
) -> DomainResult<tax_rate::Model> {
    if !actor.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let country = validate::country(&["country"], country).map_err(|e| DomainError::Rejected(vec![e]))?;
    let ppm = percent_to_ppm(percent).filter(|p| (0..=1_000_000).contains(p)).ok_or_else(|| {
        DomainError::Rejected(vec![UserError::new(
            &["ratePercent"],
            ErrorCode::InvalidInput,
            "ratePercent must be between 0 and 100, with at most 4 decimals",
        )])
    })?;
    use tax_rate::Column as T;
    tax_rate::Entity::insert(tax_rate::ActiveModel {
        id: Set(Uuid::now_v7()),
        country: Set(country.clone()),
        rate_ppm: Set(ppm),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(OnConflict::column(T::Country).update_columns([T::RatePpm, T::UpdatedAt]).to_owned())
    .exec(db)
    .await?;
    tax_rate::Entity::find()
        .filter(T::Country.eq(country))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found(&["country"], "tax rate"))
}

pub async fn list_tax_rates(db: &DatabaseConnection) -> DomainResult<Vec<tax_rate::Model>> {
    Ok(tax_rate::Entity::find().order_by_asc(tax_rate::Column::Country).all(db).await?)
}
