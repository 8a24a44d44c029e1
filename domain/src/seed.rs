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
use crate::locations::{self, AddressInput, LocationKind, NewLocation};
use crate::promotions::{self, NewPromotion};
use crate::tax;

/// What the demo seed created (counts), for the CLI to print.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedSummary {
    pub products: usize,
    pub locations: usize,
    pub inventory_levels: usize,
    pub tax_rates: usize,
    pub promotions: usize,
    /// The demo data was already there, so nothing was written and the counts are zero.
    pub skipped_existing: bool,
}

const CURRENCY: &str = "EUR";

/// Written on every demo receipt so the ledger shows where the opening stock came from.
const RECEIPT_REFERENCE: &str = "DEMO-SEED opening stock";

/// Physical products: SKU, name, price in euro cents, weight in grams. The first SKU doubles as
/// the marker that the demo has been seeded, so it must stay first.
const PHYSICAL: &[(&str, &str, i64, i32)] = &[
    // Apparel
    ("TSHIRT-ORG-M", "Organic Cotton T-Shirt, White, M", 2490, 190),
    ("TSHIRT-ORG-S", "Organic Cotton T-Shirt, White, S", 2490, 180),
    ("TSHIRT-ORG-L", "Organic Cotton T-Shirt, White, L", 2490, 200),
    ("TSHIRT-ORG-XL", "Organic Cotton T-Shirt, White, XL", 2490, 210),
    ("TSHIRT-STRIPE-M", "Breton Striped Top, Navy/Ecru, M", 3900, 230),
    ("TSHIRT-STRIPE-L", "Breton Striped Top, Navy/Ecru, L", 3900, 240),
    ("SHIRT-OXF-WHT-M", "Oxford Shirt, White, M", 5900, 320),
    ("SHIRT-OXF-BLU-L", "Oxford Shirt, Light Blue, L", 5900, 330),
    ("SHIRT-LINEN-SND-M", "Linen Shirt, Sand, M", 6900, 260),
    ("POLO-PIQUE-NVY-M", "Pique Polo Shirt, Navy, M", 4500, 280),
    ("SWTR-MERINO-GRY-M", "Merino Crew-Neck Jumper, Grey, M", 8900, 350),
    ("SWTR-MERINO-GRY-L", "Merino Crew-Neck Jumper, Grey, L", 8900, 370),
    ("CARDI-CASH-CML-M", "Cashmere Cardigan, Camel, M", 17900, 380),
    ("HOODIE-FLC-BLK-L", "Brushed Fleece Hoodie, Black, L", 6490, 620),
    ("JEANS-SLIM-3232", "Slim Selvedge Jeans, Indigo, W32 L32", 9900, 720),
    ("JEANS-SLIM-3432", "Slim Selvedge Jeans, Indigo, W34 L32", 9900, 740),
    ("CHINO-STR-BEI-32", "Stretch Chinos, Beige, W32", 6900, 540),
    ("DRESS-WRAP-FLR-S", "Floral Wrap Dress, S", 7900, 300),
    ("DRESS-WRAP-FLR-M", "Floral Wrap Dress, M", 7900, 310),
    ("SKIRT-PLEAT-NVY-M", "Pleated Midi Skirt, Navy, M", 5900, 340),
    ("JKT-DENIM-M", "Denim Trucker Jacket, M", 8900, 850),
    ("COAT-TRENCH-BEI-M", "Cotton Trench Coat, Beige, M", 19900, 1250),
    ("COAT-WOOL-CHR-L", "Wool Overcoat, Charcoal, L", 24900, 1650),
    ("JKT-DOWN-BLK-M", "Down Puffer Jacket, Black, M", 15900, 900),
    ("SCARF-WOOL-RED", "Lambswool Scarf, Red", 3900, 150),
    ("BEANIE-RIB-GRY", "Ribbed Beanie, Grey", 1990, 90),
    ("SOCKS-BAMBOO-3PK", "Bamboo Socks, 3-Pack", 1490, 120),
    ("BELT-LTH-BRN-90", "Leather Belt, Brown, 90 cm", 4900, 210),
    ("TOTE-CANVAS-NAT", "Canvas Tote Bag, Natural", 2400, 320),
    // Shoes
    ("SNKR-CANVAS-WHT-38", "Canvas Sneakers, White, EU 38", 6900, 690),
    ("SNKR-CANVAS-WHT-42", "Canvas Sneakers, White, EU 42", 6900, 780),
    ("SNKR-RUN-BLK-43", "Running Shoes, Black, EU 43", 11900, 620),
    ("BOOT-CHELSEA-BRN-42", "Chelsea Boots, Brown Suede, EU 42", 16900, 1300),
    ("BOOT-CHELSEA-BLK-39", "Chelsea Boots, Black Leather, EU 39", 16900, 1150),
    ("LOAFER-LTH-BRN-41", "Leather Loafers, Brown, EU 41", 13900, 900),
    ("SANDAL-LTH-TAN-38", "Leather Sandals, Tan, EU 38", 7900, 450),
    ("ESPADRILLE-NVY-40", "Jute Espadrilles, Navy, EU 40", 3990, 500),
    // Home
    ("DUVET-LINEN-DBL", "Linen Duvet Cover, Double", 14900, 1600),
    ("SHEET-PERCALE-DBL", "Percale Fitted Sheet, Double", 5900, 800),
    ("PILLOWCASE-2PK", "Cotton Pillowcases, Set of 2", 2990, 350),
    ("TOWEL-BATH-WHT", "Waffle Bath Towel, White", 3490, 650),
    ("TOWEL-HAND-WHT-2PK", "Waffle Hand Towels, White, Set of 2", 2490, 500),
    ("THROW-WOOL-GRY", "Wool Throw Blanket, Grey", 11900, 1400),
    ("CUSHION-VLV-GRN", "Velvet Cushion Cover, Forest Green", 2900, 300),
    ("MUG-STONE-350", "Stoneware Mug, 350 ml", 1450, 380),
    ("PLATE-STONE-4PK", "Stoneware Dinner Plates, Set of 4", 5900, 3200),
    ("BOWL-SERVE-OAK", "Oak Serving Bowl", 4500, 900),
    ("GLASS-TUMBLER-6PK", "Recycled Glass Tumblers, Set of 6", 3600, 1800),
    ("CANDLE-FIG-200", "Scented Candle, Fig, 200 g", 3200, 420),
    ("VASE-CERAMIC-WHT", "Ceramic Vase, Matte White", 4900, 1100),
    ("LAMP-TABLE-BRASS", "Brass Table Lamp", 13900, 2600),
    ("RUG-JUTE-160X230", "Jute Rug, 160 x 230 cm", 17900, 7500),
];

/// Products that never touch a shelf: SKU, name, kind, price in euro cents. They exist so a
/// demo order can mix shippable and non-shippable lines.
const NON_PHYSICAL: &[(&str, &str, ProductKind, i64)] = &[
    ("GIFTCARD-E-25", "E-Gift Card, 25 EUR (sent by email)", ProductKind::Digital, 2500),
    ("GIFTCARD-E-50", "E-Gift Card, 50 EUR (sent by email)", ProductKind::Digital, 5000),
    ("SVC-GIFTWRAP", "Gift Wrapping", ProductKind::Service, 450),
];

struct DemoLocation {
    code: &'static str,
    name: &'static str,
    kind: LocationKind,
    line1: &'static str,
    city: &'static str,
    postal_code: &'static str,
    country: &'static str,
    latitude: f64,
    longitude: f64,
    can_ship: bool,
    can_pickup: bool,
    accepts_returns: bool,
    daily_capacity: i32,
    priority: i32,
    shipping_rate_cents: i64,
}

/// The four fulfilment centres come first and the four stores after them: `stock_plan` relies on
/// that order. Stores ship too (except Amsterdam, pickup only) but at a higher rate and lower
/// priority, so routing prefers the big sites and falls back to stores for what only they hold.
const LOCATIONS: &[DemoLocation] = &[
    DemoLocation {
        code: "DC-PARIS",
        name: "Paris Distribution Centre (Gennevilliers)",
        kind: LocationKind::DistributionCenter,
        line1: "Route du Bassin n°6, Port de Gennevilliers",
        city: "Gennevilliers",
        postal_code: "92230",
        country: "FR",
        latitude: 48.9333,
        longitude: 2.3000,
        can_ship: true,
        can_pickup: false,
        accepts_returns: true,
        daily_capacity: 2000,
        priority: 10,
        shipping_rate_cents: 490,
    },
    DemoLocation {
        code: "DC-HAMBURG",
        name: "Hamburg Distribution Centre",
        kind: LocationKind::DistributionCenter,
        line1: "Billbrookdeich 210",
        city: "Hamburg",
        postal_code: "22113",
        country: "DE",
        latitude: 53.5511,
        longitude: 9.9937,
        can_ship: true,
        can_pickup: false,
        accepts_returns: true,
        daily_capacity: 1500,
        priority: 10,
        shipping_rate_cents: 490,
    },
    DemoLocation {
        code: "WH-LYON",
        name: "Lyon Warehouse",
        kind: LocationKind::Warehouse,
        line1: "40 Rue de Gerland",
        city: "Lyon",
        postal_code: "69007",
        country: "FR",
        latitude: 45.7640,
        longitude: 4.8357,
        can_ship: true,
        can_pickup: false,
        accepts_returns: true,
        daily_capacity: 800,
        priority: 20,
        shipping_rate_cents: 590,
    },
    DemoLocation {
        code: "WH-MILAN",
        name: "Milan Warehouse",
        kind: LocationKind::Warehouse,
        line1: "Via Mecenate 76",
        city: "Milano",
        postal_code: "20138",
        country: "IT",
        latitude: 45.4642,
        longitude: 9.1900,
        can_ship: true,
        can_pickup: false,
        accepts_returns: false,
        daily_capacity: 600,
        priority: 20,
        shipping_rate_cents: 590,
    },
    DemoLocation {
        code: "ST-PARIS-OPERA",
        name: "Store Paris Opéra",
        kind: LocationKind::Store,
        line1: "16 Rue de la Chaussée-d'Antin",
        city: "Paris",
        postal_code: "75009",
        country: "FR",
        latitude: 48.8719,
        longitude: 2.3316,
        can_ship: true,
        can_pickup: true,
        accepts_returns: true,
        daily_capacity: 60,
        priority: 50,
        shipping_rate_cents: 690,
    },
    DemoLocation {
        code: "ST-BERLIN-MITTE",
        name: "Store Berlin Mitte",
        kind: LocationKind::Store,
        line1: "Rosenthaler Straße 40",
        city: "Berlin",
        postal_code: "10178",
        country: "DE",
        latitude: 52.5200,
        longitude: 13.4050,
        can_ship: true,
        can_pickup: true,
        accepts_returns: true,
        daily_capacity: 50,
        priority: 50,
        shipping_rate_cents: 690,
    },
    DemoLocation {
        code: "ST-MADRID-GRANVIA",
        name: "Store Madrid Gran Vía",
        kind: LocationKind::Store,
        line1: "Gran Vía 32",
        city: "Madrid",
        postal_code: "28013",
        country: "ES",
        latitude: 40.4200,
        longitude: -3.7050,
        can_ship: true,
        can_pickup: true,
        accepts_returns: true,
        daily_capacity: 40,
        priority: 60,
        shipping_rate_cents: 690,
    },
    DemoLocation {
        code: "ST-AMSTERDAM",
        name: "Store Amsterdam Kalverstraat",
        kind: LocationKind::Store,
        line1: "Kalverstraat 92",
        city: "Amsterdam",
        postal_code: "1012 PH",
        country: "NL",
        latitude: 52.3676,
        longitude: 4.9041,
        can_ship: false,
        can_pickup: true,
        accepts_returns: true,
        daily_capacity: 30,
        priority: 60,
        shipping_rate_cents: 0,
    },
];

/// How many of `LOCATIONS` are fulfilment centres (warehouses and DCs); the rest are stores.
const FULFILMENT_CENTRES: usize = 4;
const STORES: usize = 4;

/// The destination countries of the demo locations, so orders to each of them carry VAT.
const TAX_RATES: &[(&str, i64)] = &[("FR", 20), ("DE", 19), ("ES", 21), ("IT", 22), ("NL", 21)];

/// One stock level to open: where, how many, and how many to hold back from promising.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stock {
    location: usize,
    quantity: i32,
    safety_stock: i32,
}

/// Items that only the stores carry, so the demo shows ship-from-store and pickup-only routing.
fn store_only(index: usize) -> bool {
    index % 17 == 5
}

/// Items with one to three units per location, so the demo can run out of them and show
/// reservations racing for the last unit.
fn scarce(index: usize) -> bool {
    index % 11 == 7
}

/// Where the physical product at `index` is stocked. Ordinary items sit in 2 to 4 locations,
/// always including one fulfilment centre and one store, with every combination of both
/// appearing across the catalogue.
fn stock_plan(index: usize) -> Vec<Stock> {
    let store = |offset: usize| FULFILMENT_CENTRES + (index / 2 + offset) % STORES;
    let centre = |offset: usize| (index + offset) % FULFILMENT_CENTRES;
    let candidates: Vec<usize> = if store_only(index) {
        vec![store(0), store(1)]
    } else {
        let all = [centre(0), store(0), centre(1), store(1)];
        all[..2 + index % 3].to_vec()
    };
    // Quantities stay well inside i32 (at most 70), so the casts cannot truncate.
    candidates
        .into_iter()
        .enumerate()
        .map(|(k, location)| {
            let is_store = location >= FULFILMENT_CENTRES;
            let quantity = if scarce(index) {
                1 + (index + k) % 3
            } else if store_only(index) {
                3 + (index + k) % 4
            } else if is_store {
                2 + (index * 7 + k * 3) % 12
            } else {
                10 + (index * 37 + k * 13) % 61
            } as i32;
            // A small buffer on some store shelves, for display pieces that cannot be sold.
            let safety_stock = if is_store && k == 1 && index.is_multiple_of(8) && !scarce(index) {
                1 + (index / 8 % 2) as i32
            } else {
                0
            };
            Stock { location, quantity, safety_stock }
        })
        .collect()
}

fn euros(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Seeds a demo catalogue (at least 50 products), 6+ locations in real cities with real
/// coordinates, stock at those locations, a few tax rates and promotions. Idempotent: if the
/// demo data is already there (e.g. a product with the first demo SKU exists) it does nothing and
/// returns skipped_existing = true.
///
/// The check is on one marker SKU only: each domain call commits on its own, so a run that
/// failed half-way is not resumed; it needs an empty database to start again.
pub async fn seed_demo(db: &DatabaseConnection) -> DomainResult<SeedSummary> {
    let actor = Actor::System;
    if catalog::find_by_sku(db, PHYSICAL[0].0).await?.is_some() {
        tracing::info!(marker = PHYSICAL[0].0, "demo data already present, seeding skipped");
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
        };
        locations::create_location(db, &actor, location).await?;
        summary.locations += 1;
    }

    for (index, &(sku, ..)) in PHYSICAL.iter().enumerate() {
        for stock in stock_plan(index) {
            let code = LOCATIONS[stock.location].code;
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
