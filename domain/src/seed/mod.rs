//! The demo data set (`oms seed --demo`): a European fashion and home retailer selling in EUR.
//!
//! Everything goes through the ordinary domain functions as `Actor::System`, so the demo data
//! passes the same validation and leaves the same ledger entries as data entered by an admin;
//! nothing here writes to tables directly. Stock is spread by index arithmetic rather than
//! randomness, so every run of the demo (and every test against it) sees the same shelves.
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

use crate::DomainResult;
use crate::auth::Actor;
use crate::catalog::{self, NewProduct, ProductKind};
use crate::inventory;
use crate::locations::{self, AddressInput, NewLocation};
use crate::promotions::{self, NewPromotion};
use crate::tax;

mod data;

pub use data::SeedSummary;
use data::*;

/// Seeds a demo catalogue (at least 50 products), 6+ locations in real cities with real
/// coordinates, stock at those locations, a few tax rates and promotions. Idempotent: if the
/// demo data is already there (e.g. a product with the first demo SKU exists) it does nothing and
/// returns skipped_existing = true.
///
/// The check is on one marker SKU only: each domain call commits on its own, so a run that
/// failed half-way is not resumed; it needs an empty database to start again.
pub async fn seed_demo(db: &DatabaseConnection) -> DomainResult<SeedSummary> {
    let actor = Actor::System;
    let marker = PHYSICAL.first().map_or("", |p| p.0);
    if catalog::find_by_sku(db, marker).await?.is_some() {
        tracing::info!(marker, "demo data already present, seeding skipped");
        return Ok(SeedSummary { skipped_existing: true, ..SeedSummary::default() });
    }
    let mut summary = SeedSummary::default();

    for &(sku, name, cents, grams) in PHYSICAL {
        let product = NewProduct {
            sku: sku.to_owned(),
            name: name.to_owned(),
            price: euros(cents),
            currency: CURRENCY.to_owned(),
            kind: ProductKind::Physical,
            weight_grams: Some(grams),
            active: true,
            service_type: None,
            needs_appointment: false,
        };
        catalog::create_product(db, &actor, product).await?;
        summary.products += 1;
    }
    for &(sku, name, kind, cents) in NON_PHYSICAL {
        let product = NewProduct {
            sku: sku.to_owned(),
            name: name.to_owned(),
            price: euros(cents),
            currency: CURRENCY.to_owned(),
            kind,
            weight_grams: None,
            active: true,
            service_type: None,
            needs_appointment: false,
        };
        catalog::create_product(db, &actor, product).await?;
        summary.products += 1;
    }

    for l in LOCATIONS {
        let location = NewLocation {
            code: l.code.to_owned(),
            name: l.name.to_owned(),
            kind: l.kind,
            address: AddressInput {
                line1: l.line1.to_owned(),
                city: l.city.to_owned(),
                postal_code: l.postal_code.to_owned(),
                country: l.country.to_owned(),
                latitude: l.latitude,
                longitude: l.longitude,
            },
            can_ship: l.can_ship,
            can_pickup: l.can_pickup,
            accepts_returns: l.accepts_returns,
            daily_capacity: Some(l.daily_capacity),
            priority: l.priority,
            shipping_rate: Some((euros(l.shipping_rate_cents), CURRENCY.to_owned())),
            active: true,
            acceptance_deadline_minutes: None,
        };
        locations::create_location(db, &actor, location).await?;
        summary.locations += 1;
    }

    for (index, &(sku, ..)) in PHYSICAL.iter().enumerate() {
        for stock in stock_plan(index) {
            let Some(code) = LOCATIONS.get(stock.location).map(|l| l.code) else { continue };
            inventory::receive(db, &actor, sku, code, stock.quantity, Some(RECEIPT_REFERENCE)).await?;
            if stock.safety_stock > 0 {
                inventory::set_safety_stock(db, &actor, sku, code, stock.safety_stock).await?;
            }
            summary.inventory_levels += 1;
        }
    }

    for &(country, percent) in TAX_RATES {
        tax::set_tax_rate(db, &actor, country, Decimal::from(percent)).await?;
        summary.tax_rates += 1;
    }

    // No validity window: a demo database may be opened months later and the codes should
    // still work.
    let promos = [
        NewPromotion {
            code: "WELCOME10".to_owned(),
            percent_off: Some(Decimal::from(10)),
            amount_off: None,
            starts_at: None,
            ends_at: None,
            usage_limit: None,
        },
        NewPromotion {
            code: "SPRING5".to_owned(),
            percent_off: None,
            amount_off: Some((euros(500), CURRENCY.to_owned())),
            starts_at: None,
            ends_at: None,
            usage_limit: Some(100),
        },
    ];
    for promo in promos {
        promotions::create_promotion(db, &actor, promo).await?;
        summary.promotions += 1;
    }

    tracing::info!(?summary, "demo data seeded");
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use crate::locations::LocationKind;

    use entities::{inventory_level, location, product, promotion, tax_rate};
    use sea_orm::{EntityTrait, PaginatorTrait};

    use super::*;

    #[test]
    fn demo_data_is_valid_and_distinct() {
        let skus: HashSet<&str> = PHYSICAL.iter().map(|p| p.0).chain(NON_PHYSICAL.iter().map(|p| p.0)).collect();
        assert_eq!(skus.len(), PHYSICAL.len() + NON_PHYSICAL.len(), "SKUs must be unique");
        let codes: HashSet<&str> = LOCATIONS.iter().map(|l| l.code).collect();
        assert_eq!(codes.len(), LOCATIONS.len(), "location codes must be unique");
        assert_eq!(LOCATIONS.len(), FULFILMENT_CENTRES + STORES);
        assert!(LOCATIONS[..FULFILMENT_CENTRES].iter().all(|l| l.kind != LocationKind::Store && !l.can_pickup));
        assert!(LOCATIONS[FULFILMENT_CENTRES..].iter().all(|l| l.kind == LocationKind::Store && l.can_pickup));
    }

    #[test]
    fn stock_plan_spreads_items_as_intended() {
        let plans: Vec<Vec<Stock>> = (0..PHYSICAL.len()).map(stock_plan).collect();
        for (index, plan) in plans.iter().enumerate() {
            let places: HashSet<usize> = plan.iter().map(|s| s.location).collect();
            assert_eq!(places.len(), plan.len(), "item {index} is stocked twice at one location");
            assert!((2..=4).contains(&plan.len()), "item {index} is in {} locations", plan.len());
            assert!(plan.iter().all(|s| s.quantity > 0 && s.safety_stock < s.quantity));
        }
        let store_only_items = plans.iter().filter(|p| p.iter().all(|s| s.location >= FULFILMENT_CENTRES)).count();
        assert!((2..=4).contains(&store_only_items), "{store_only_items} store-only items");
        let scarce_items = plans.iter().filter(|p| p.iter().all(|s| s.quantity <= 3)).count();
        assert!(scarce_items >= 3, "only {scarce_items} scarce items");
        let buffered = plans.iter().flatten().filter(|s| s.safety_stock > 0).count();
        assert!(buffered >= 3, "only {buffered} levels with safety stock");
        let used: HashSet<usize> = plans.iter().flatten().map(|s| s.location).collect();
        assert_eq!(used.len(), LOCATIONS.len(), "every location holds some stock");
    }

    #[tokio::test]
    async fn seeds_once_then_skips() {
        let path = std::env::temp_dir().join(format!("oms-seed-{}.db", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = crate::db::connect(&url).await.expect("connect to the temp database");
        crate::db::migrate(&db).await.expect("migrate");

        let summary = seed_demo(&db).await.expect("first seed");
        println!("{summary:?}");
        assert!(!summary.skipped_existing);
        assert!(summary.products >= 50, "{} products", summary.products);
        assert!(summary.locations >= 6, "{} locations", summary.locations);
        assert!(summary.inventory_levels >= summary.products, "{} levels", summary.inventory_levels);
        assert_eq!(summary.tax_rates, 5);
        assert_eq!(summary.promotions, 2);

        let count = |n: u64| usize::try_from(n).expect("count fits in usize");
        assert_eq!(count(product::Entity::find().count(&db).await.expect("count products")), summary.products);
        assert_eq!(count(location::Entity::find().count(&db).await.expect("count locations")), summary.locations);
        assert_eq!(
            count(inventory_level::Entity::find().count(&db).await.expect("count levels")),
            summary.inventory_levels
        );
        assert_eq!(count(tax_rate::Entity::find().count(&db).await.expect("count tax rates")), summary.tax_rates);
        assert_eq!(count(promotion::Entity::find().count(&db).await.expect("count promotions")), summary.promotions);
        assert!(inventory::ledger_discrepancies(&db).await.expect("ledger check").is_empty());

        let again = seed_demo(&db).await.expect("second seed");
        assert_eq!(again, SeedSummary { skipped_existing: true, ..SeedSummary::default() });
        assert_eq!(count(product::Entity::find().count(&db).await.expect("count products")), summary.products);

        db.close().await.expect("close the database");
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}
