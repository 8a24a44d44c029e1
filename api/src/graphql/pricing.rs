//! Promotions and tax rates.
use async_graphql::{Context, InputObject, Object, SimpleObject};
use domain::money::ppm_to_percent;
use domain::{promotions, tax};
use entities::{promotion, tax_rate};

use super::common::{Decimal, Money, MoneyInput, connection, page_request, parts, payload};
use super::errors::{ApiResult, respond};

/// A promo code.
#[derive(SimpleObject, Clone, Debug)]
pub struct Promotion {
    /// The promotion's id.
    pub id: async_graphql::ID,
    /// The code customers enter (matched case-insensitively).
    pub code: String,
    /// Percent off the goods, when it is a percentage promotion.
    pub percent_off: Option<Decimal>,
    /// Amount off the goods, when it is an amount promotion.
    pub amount_off: Option<Money>,
    /// From when the code is valid (RFC 3339); always, when null.
    pub starts_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Until when the code is valid (RFC 3339, exclusive); forever, when null.
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How many orders may use it; unlimited, when null.
    pub usage_limit: Option<i32>,
    /// How many orders have used it.
    pub used_count: i32,
    /// Whether the code is on.
    pub active: bool,
}

impl From<promotion::Model> for Promotion {
    fn from(p: promotion::Model) -> Self {
        Promotion {
            id: p.id.to_string().into(),
            percent_off: p.percent_off_ppm.map(|ppm| Decimal(ppm_to_percent(ppm))),
            amount_off: p.amount_off_minor.map(|a| Money::from_minor(a, p.currency.as_deref().unwrap_or_default())),
            code: p.code,
            starts_at: p.starts_at,
            ends_at: p.ends_at,
            usage_limit: p.usage_limit,
            used_count: p.used_count,
            active: p.active,
        }
    }
}

connection!(PromotionConnection, PromotionEdge, Promotion, "promotions");

/// A promo code to create: give exactly one of `percentOff` and `amountOff`.
#[derive(InputObject)]
pub struct CreatePromotionInput {
    /// The code customers enter: letters, digits, '-', '_', '.'.
    pub code: String,
    /// Percent off the goods (above 0, at most 100).
    pub percent_off: Option<Decimal>,
    /// Amount off the goods; applies to orders in its currency only.
    pub amount_off: Option<MoneyInput>,
    /// From when the code is valid.
    pub starts_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Until when the code is valid (exclusive).
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How many orders may use it, in all.
    pub usage_limit: Option<i32>,
}

payload!(CreatePromotionPayload, promotion: Promotion, "createPromotion");

/// The tax rate of a destination country.
#[derive(SimpleObject, Clone, Debug)]
pub struct TaxRate {
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// The rate in percent, applied to discounted goods and shipping.
    pub rate_percent: Decimal,
    /// When it was last set (RFC 3339).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<tax_rate::Model> for TaxRate {
    fn from(t: tax_rate::Model) -> Self {
        TaxRate { country: t.country, rate_percent: Decimal(ppm_to_percent(t.rate_ppm)), updated_at: t.updated_at }
    }
}

/// A country's tax rate to set or replace.
#[derive(InputObject)]
pub struct SetTaxRateInput {
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// The rate in percent, 0 to 100, e.g. "20" or "8.875".
    pub rate_percent: Decimal,
}

payload!(SetTaxRatePayload, tax_rate: TaxRate, "setTaxRate");

#[derive(Default)]
pub struct PricingQuery;

#[Object]
impl PricingQuery {
    /// Promo codes, oldest first. Staff only.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn promotions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many promotions to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the promotions after this cursor.")] after: Option<String>,
    ) -> ApiResult<PromotionConnection> {
        let (db, actor) = parts(ctx)?;
        let page = page_request(first, after)?;
        let result = promotions::list_promotions(db, actor, page).await?;
        Ok(PromotionConnection::from_page(result, page.after.is_some(), |p| p.id, Promotion::from))
    }

    /// Every country's tax rate; countries not listed are not taxed.
    async fn tax_rates(&self, ctx: &Context<'_>) -> ApiResult<Vec<TaxRate>> {
        let (db, _) = parts(ctx)?;
        let rates = tax::list_tax_rates(db).await?;
        Ok(rates.into_iter().map(TaxRate::from).collect())
    }
}

#[derive(Default)]
pub struct PricingMutation;

#[Object]
impl PricingMutation {
    /// Creates a promo code. Admins only.
    async fn create_promotion(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CreatePromotion request.")] input: CreatePromotionInput,
    ) -> ApiResult<CreatePromotionPayload> {
        let (db, actor) = parts(ctx)?;
        let new = promotions::NewPromotion {
            code: input.code,
            percent_off: input.percent_off.map(|d| d.0),
            amount_off: input.amount_off.map(|m| (m.amount.0, m.currency)),
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            usage_limit: input.usage_limit,
        };
        respond(promotions::create_promotion(db, actor, new).await)
    }

    /// Sets a country's tax rate, effective for the next order. Admins only.
    async fn set_tax_rate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The SetTaxRate request.")] input: SetTaxRateInput,
    ) -> ApiResult<SetTaxRatePayload> {
        let (db, actor) = parts(ctx)?;
        respond(tax::set_tax_rate(db, actor, &input.country, input.rate_percent.0).await)
    }
}
