//! Promotions: promo codes worth a percentage or an amount off, valid in a window, with an
//! optional usage limit that holds under concurrent orders.
use chrono::{DateTime, Utc};
use entities::promotion;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError, unique_violation};
use crate::money::{Currency, parse_amount, percent_to_ppm};
use crate::pagination::{Page, PageRequest, into_page};
use crate::pricing::Discount;
use crate::validate;

#[derive(Debug, Clone)]
pub struct NewPromotion {
    pub code: String,
    pub percent_off: Option<Decimal>,
    pub amount_off: Option<(Decimal, String)>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<i32>,
}

/// Codes are matched case-insensitively: stored and looked up upper-cased.
pub fn normalise_code(code: &str) -> String {
    code.trim().to_uppercase()
}

pub async fn create_promotion(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewPromotion,
) -> DomainResult<promotion::Model> {
    if !actor.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let mut problems = Problems::default();
    let code = problems.take(validate::code(&["code"], &input.code, 64).map(|c| normalise_code(&c)));
    let discount = match (input.percent_off, &input.amount_off) {
        (Some(p), None) => {
            let ppm = percent_to_ppm(p).filter(|ppm| *ppm > 0 && *ppm <= 1_000_000);
            problems.take(ppm.map(|ppm| (Some(ppm), None, None)).ok_or_else(|| {
                UserError::new(
                    &["percentOff"],
                    ErrorCode::InvalidInput,
                    "percentOff must be above 0 and at most 100, with at most 4 decimals",
                )
            }))
        }
        (None, Some((amount, currency))) => match parse_amount(&["amountOff"], *amount, currency) {
            Ok((_, 0)) => problems.take(Err(UserError::new(
                &["amountOff", "amount"],
                ErrorCode::InvalidInput,
                "amountOff must be above 0",
            ))),
            Ok((cur, minor)) => Some((None, Some(minor), Some(cur.code().to_owned()))),
            Err(e) => problems.take(Err(e)),
        },
        _ => problems.take(Err(UserError::new(
            &["percentOff"],
            ErrorCode::InvalidInput,
            "give exactly one of percentOff and amountOff",
        ))),
    };
    if let (Some(s), Some(e)) = (input.starts_at, input.ends_at)
        && e <= s
    {
        problems.add(&["endsAt"], ErrorCode::InvalidInput, "endsAt must be after startsAt");
    }
    if let Some(limit) = input.usage_limit
        && limit < 1
    {
        problems.add(&["usageLimit"], ErrorCode::InvalidInput, "usageLimit must be at least 1");
    }
    let (code, (percent, amount, currency)) = problems.finish((|| Some((code?, discount?)))())?;
    let created = promotion::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(code),
        percent_off_ppm: Set(percent),
        amount_off_minor: Set(amount),
        currency: Set(currency),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        usage_limit: Set(input.usage_limit),
        used_count: Set(0),
        active: Set(true),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(unique_violation)?;
    Ok(created)
}

pub async fn list_promotions(
    db: &DatabaseConnection,
    actor: &Actor,
    page: PageRequest,
) -> DomainResult<Page<promotion::Model>> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let limit = page.limit()?;
    let mut query = promotion::Entity::find().order_by_asc(promotion::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(promotion::Column::Id.gt(after));
    }
    Ok(into_page(query.limit(limit + 1).all(db).await?, limit))
}

fn invalid(code: &str, why: &str) -> DomainError {
    DomainError::rejected(&["promoCode"], ErrorCode::PromoCodeInvalid, format!("promo code '{code}' {why}"))
}

/// Checks a code for an order in `currency` at `now`, without using it up.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    code: &str,
    currency: Currency,
    now: DateTime<Utc>,
) -> DomainResult<(promotion::Model, Discount)> {
    let normalised = normalise_code(code);
    let promo = promotion::Entity::find()
        .filter(promotion::Column::Code.eq(normalised.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| invalid(code, "does not exist"))?;
    if !promo.active {
        return Err(invalid(code, "is no longer active"));
    }
    if promo.starts_at.is_some_and(|s| now < s) {
        return Err(invalid(code, "is not valid yet"));
    }
    if promo.ends_at.is_some_and(|e| now >= e) {
        return Err(invalid(code, "has expired"));
    }
    if promo.usage_limit.is_some_and(|limit| promo.used_count >= limit) {
        return Err(invalid(code, "has been used up"));
    }
    if promo.percent_off_ppm.is_none()
        && promo.amount_off_minor.is_some()
        && promo.currency.as_deref() != Some(currency.code())
    {
        return Err(invalid(code, &format!("does not apply to orders in {}", currency.code())));
    }
    let discount = discount_of(&promo);
    Ok((promo, discount))
}

/// What a promotion takes off an order: a percentage, or an amount (in the currency [`check`]
/// accepted it for). An order keeps the promotion it redeemed when the code later expires, so a
/// changed order is re-priced with this, not with [`check`].
pub fn discount_of(promo: &promotion::Model) -> Discount {
    match (promo.percent_off_ppm, promo.amount_off_minor) {
        (Some(ppm), _) => Discount::PercentPpm(ppm),
        (None, Some(amount)) => Discount::Amount(amount),
        (None, None) => Discount::None,
    }
}

/// Uses the code once. The conditional update is what makes the limit hold when two orders take
/// the last use at once: only one update matches.
pub async fn redeem<C: ConnectionTrait>(txn: &C, promo: &promotion::Model) -> DomainResult<()> {
    use promotion::Column as P;
    let result = promotion::Entity::update_many()
        .col_expr(P::UsedCount, Expr::col(P::UsedCount).add(1))
        .filter(P::Id.eq(promo.id))
        .filter(P::UsageLimit.is_null().or(Expr::col(P::UsedCount).lt(Expr::col(P::UsageLimit))))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(invalid(&promo.code, "has been used up"));
    }
    Ok(())
}

/// Gives a use back (its order was cancelled), so the code can be used again up to its limit.
pub async fn give_back<C: ConnectionTrait>(txn: &C, promotion_id: uuid::Uuid) -> DomainResult<()> {
    use promotion::Column as P;
    promotion::Entity::update_many()
        .col_expr(P::UsedCount, Expr::col(P::UsedCount).sub(1))
        .filter(P::Id.eq(promotion_id))
        .filter(P::UsedCount.gt(0))
        .exec(txn)
        .await?;
    Ok(())
}
