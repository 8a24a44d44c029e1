//! The goods of an order: its products in one query, its currency and its pickup store, with
//! every problem (unknown, inactive, mixed currencies, physical goods sent digitally, a store
//! that does not offer pickup) reported at once.
use std::collections::HashMap;

use entities::{location, product};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use crate::catalog::ProductKindRules;
use crate::error::{DomainResult, ErrorCode, Problems, UserError};
use crate::money::Currency;
use crate::orders::status::DeliveryMethod;

/// The products of an order by SKU, the order's currency and its pickup store.
pub(crate) struct Goods {
    pub(crate) products: HashMap<String, product::Model>,
    pub(crate) currency: Currency,
    pub(crate) pickup: Option<location::Model>,
}

impl Goods {
    /// The product of a line, if it holds stock (physical goods).
    pub(crate) fn stocked(&self, sku: &str) -> Option<&product::Model> {
        self.products.get(sku).filter(|p| p.kind.holds_stock())
    }
}

/// Loads the goods of `lines` (SKU, units) and the pickup store. `currency` is the order's when
/// it is already fixed (an order being changed): every line must then be priced in it, even
/// when there are none.
pub(crate) async fn load(
    txn: &DatabaseTransaction,
    reference: &crate::reference::Reference,
    lines: &[(String, i32)],
    pickup_code: Option<&str>,
    delivery_method: DeliveryMethod,
    currency: Option<Currency>,
) -> DomainResult<Goods> {
    let skus = lines.iter().map(|(s, _)| s.as_str());
    let products = product::Entity::find().filter(product::Column::Sku.is_in(skus)).all(txn).await?;
    check(reference, products, lines, pickup_code, delivery_method, currency)
}

/// The goods of `lines` from their products as just read (capture reads them with the rest of
/// what it needs), checked as [`load`] checks them.
pub(crate) fn check(
    reference: &crate::reference::Reference,
    products: Vec<product::Model>,
    lines: &[(String, i32)],
    pickup_code: Option<&str>,
    delivery_method: DeliveryMethod,
    currency: Option<Currency>,
) -> DomainResult<Goods> {
    let products: HashMap<String, product::Model> = products.into_iter().map(|p| (p.sku.clone(), p)).collect();
    let mut problems = Problems::default();
    let mut currency = currency;
    for (i, (sku, _)) in lines.iter().enumerate() {
        match products.get(sku) {
            None => problems.push(crate::catalog::unknown_sku_on_line(i, sku)),
            Some(p) if !p.active => problems.push(UserError::at(
                "lines",
                i,
                "sku",
                ErrorCode::ProductInactive,
                format!("{sku} is not for sale"),
            )),
            Some(p) => {
                let line_currency = Currency::parse(&p.currency);
                match (currency, line_currency) {
                    (None, c) => currency = c,
                    (Some(a), Some(b)) if a != b => problems.push(UserError::at(
                        "lines",
                        i,
                        "sku",
                        ErrorCode::CurrencyMismatch,
                        format!("{sku} is priced in {} but the order is in {}", b.code(), a.code()),
                    )),
                    _ => {}
                }
                let physical = p.kind.holds_stock();
                if physical && delivery_method == DeliveryMethod::Digital {
                    problems.push(UserError::at(
                        "lines",
                        i,
                        "sku",
                        ErrorCode::InvalidInput,
                        format!("{sku} is a physical product and cannot be delivered digitally"),
                    ));
                }
            }
        }
    }

    // The pickup store, if any.
    let pickup: Option<location::Model> = match pickup_code {
        None => None,
        Some(code) => match reference.location_by_code(code).cloned() {
            None => {
                problems.add(
                    &["pickupLocationCode"],
                    ErrorCode::UnknownLocation,
                    format!("no location has code '{code}'"),
                );
                None
            }
            Some(l) if !l.active || !l.can_pickup => {
                problems.add(
                    &["pickupLocationCode"],
                    ErrorCode::LocationCannotPickup,
                    format!("{} does not offer store pickup", l.code),
                );
                None
            }
            Some(l) => Some(l),
        },
    };
    let currency = problems.finish(currency)?;

    Ok(Goods { products, currency, pickup })
}
