//! Re-pricing a changed order: its promo code (kept, removed or applied), shipping per shipment
//! and tax at the destination, over the units still ordered. Lines keep the price they were
//! ordered at; new lines take today's catalogue price.
use std::collections::HashMap;

use chrono::Utc;
use entities::{fulfillment_order, order, promotion};
use sea_orm::{DatabaseTransaction, EntityTrait};
use uuid::Uuid;

use super::lines::Plan;
use super::request::{Checked, refused, relabel};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::money::Currency;
use crate::orders::DeliveryMethod;
use crate::orders::capture::shipping_rates;
use crate::pricing::{self, Discount, Totals};
use crate::promotions::{self, discount_of, normalise_code};
use crate::routing::{self, Decision};

/// The order's promotion once the changes are made.
#[derive(Debug, Clone, Default)]
pub(super) struct Promo {
    /// The promotion the order ends with, if any.
    pub(super) kept: Option<promotion::Model>,
    /// The promotion whose use is given back (removed from the order).
    pub(super) given_back: Option<Uuid>,
    /// Whether `kept` is newly applied, and its use must be redeemed.
    pub(super) redeem: bool,
}

impl Promo {
    pub(super) fn discount(&self) -> Discount {
        self.kept.as_ref().map_or(Discount::None, discount_of)
    }
}

/// Checks the promo-code changes against the order now, for a quick answer: nothing is used up
/// until the stock is reserved ([`use_up`]).
pub(super) async fn check_promo(
    txn: &DatabaseTransaction,
    checked: &Checked,
    order: &order::Model,
    currency: Currency,
) -> DomainResult<Promo> {
    let current = match order.promotion_id {
        Some(id) => promotion::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    let applied = order.promo_code.as_deref().map(normalise_code);
    let mut promo = Promo { kept: current, ..Promo::default() };
    if let Some((index, code)) = &checked.remove_promo {
        if applied.as_deref() != Some(normalise_code(code).as_str()) {
            let message = format!("promo code '{code}' is not applied to this order");
            return Err(refused(*index, "removePromoCode", &["code"], ErrorCode::PromoCodeInvalid, message));
        }
        promo.kept = None;
        promo.given_back = order.promotion_id;
    }
    if let Some((index, code)) = &checked.apply_promo {
        if let Some(applied) = applied.as_deref().filter(|_| checked.remove_promo.is_none()) {
            let message = format!("the order already has promo code '{applied}': remove it in the same change");
            return Err(refused(*index, "applyPromoCode", &["code"], ErrorCode::PromoCodeInvalid, message));
        }
        let (found, _) = promotions::check(txn, code, currency, Utc::now()).await.map_err(|e| {
            relabel(e, "promoCode", |_| {
                Some(vec!["changes".to_owned(), index.to_string(), "applyPromoCode".to_owned(), "code".to_owned()])
            })
        })?;
        promo.kept = Some(found);
        promo.redeem = true;
    }
    Ok(promo)
}

/// Gives back the removed promotion's use and redeems the applied one's: after the stock, in
/// the lock order.
pub(super) async fn use_up(txn: &DatabaseTransaction, promo: &Promo) -> DomainResult<()> {
    if let Some(id) = promo.given_back {
        promotions::give_back(txn, id).await?;
    }
    if let (true, Some(p)) = (promo.redeem, &promo.kept) {
        promotions::redeem(txn, p).await?;
    }
    Ok(())
}

/// What the changed order costs, and the shipping of each new shipment.
pub(super) struct Priced {
    pub(super) totals: Totals,
    pub(super) new_shipping: HashMap<Uuid, i64>,
}

impl Priced {
    /// Writes the totals and the promotion on the order as it will be.
    pub(super) fn apply(&self, changed: &mut order::Model, promo: &Promo) {
        let t = self.totals;
        (changed.subtotal_minor, changed.discount_minor, changed.shipping_minor) = (t.subtotal, t.discount, t.shipping);
        (changed.tax_minor, changed.total_minor) = (t.tax, t.total);
        changed.promo_code = promo.kept.as_ref().map(|p| p.code.clone());
        changed.promotion_id = promo.kept.as_ref().map(|p| p.id);
    }
}

/// Prices the changed order: the units still ordered at their lines' prices, the promotion,
/// shipping (every shipment kept, and each new one at its location's rate when the goods ship)
/// and tax where the goods go.
pub(super) async fn price(
    txn: &DatabaseTransaction,
    changed: &order::Model,
    plan: &Plan,
    fos: &HashMap<Uuid, fulfillment_order::Model>,
    decision: Option<&Decision>,
    promo: &Promo,
    field: &[&str],
) -> DomainResult<Priced> {
    let currency = Currency::parse(&changed.currency)
        .ok_or_else(|| DomainError::rejected(&[], ErrorCode::InvalidCurrency, "the order's currency is unknown"))?;
    let reference = crate::reference::current(txn).await?;
    let new_locations = decision.map(|d| routing::locations_of(&d.allocations)).unwrap_or_default();
    let new_shipping = if changed.delivery_method == DeliveryMethod::Ship {
        shipping_rates(&reference, &new_locations, currency, field)?
    } else {
        HashMap::new()
    };
    // Shipments cancelled by this change are no longer charged; rejected ones stay as they were
    // charged (a re-route costs the customer nothing more).
    let kept: i64 = fos
        .values()
        .filter(|f| f.status != crate::orders::FulfillmentStatus::Cancelled && !plan.emptied.contains(&f.id))
        .map(|f| f.shipping_minor)
        .sum();
    let shipping = kept.saturating_add(new_shipping.values().sum());
    let country = match changed.pickup_location_id {
        Some(store) => reference.location(store).map(|l| l.country.clone()),
        None => changed.ship_country.clone(),
    };
    let tax_ppm = reference.tax_ppm(country.as_deref());
    let priced: Vec<(i64, i32)> =
        plan.lines.iter().map(|l| (l.unit_price_minor, l.quantity - l.cancelled_quantity)).collect();
    let totals = pricing::price(&priced, promo.discount(), shipping, tax_ppm)?;
    Ok(Priced { totals, new_shipping })
}
