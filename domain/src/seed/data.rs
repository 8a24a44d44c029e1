//! The demo data: products, locations, stock plan, tax rates.
use rust_decimal::Decimal;

use crate::catalog::ProductKind;
use crate::locations::LocationKind;

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

pub(super) const CURRENCY: &str = "EUR";

/// Written on every demo receipt so the ledger shows where the opening stock came from.
pub(super) const RECEIPT_REFERENCE: &str = "DEMO-SEED opening stock";

/// Physical products: SKU, name, price in euro cents, weight in grams. The first SKU doubles as
/// the marker that the demo has been seeded, so it must stay first.
pub(super) const PHYSICAL: &[(&str, &str, i64, i32)] = &[
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
pub(super) const NON_PHYSICAL: &[(&str, &str, ProductKind, i64)] = &[
    ("GIFTCARD-E-25", "E-Gift Card, 25 EUR (sent by email)", ProductKind::Digital, 2500),
    ("GIFTCARD-E-50", "E-Gift Card, 50 EUR (sent by email)", ProductKind::Digital, 5000),
    ("SVC-GIFTWRAP", "Gift Wrapping", ProductKind::Service, 450),
];

pub(super) struct DemoLocation {
    pub(super) code: &'static str,
    pub(super) name: &'static str,
    pub(super) kind: LocationKind,
    pub(super) line1: &'static str,
    pub(super) city: &'static str,
    pub(super) postal_code: &'static str,
    pub(super) country: &'static str,
    pub(super) latitude: f64,
    pub(super) longitude: f64,
    pub(super) can_ship: bool,
    pub(super) can_pickup: bool,
    pub(super) accepts_returns: bool,
    pub(super) daily_capacity: i32,
    pub(super) priority: i32,
    pub(super) shipping_rate_cents: i64,
}

/// The four fulfilment centres come first and the four stores after them: `stock_plan` relies on
/// that order. Stores ship too (except Amsterdam, pickup only) but at a higher rate and lower
/// priority, so routing prefers the big sites and falls back to stores for what only they hold.
pub(super) const LOCATIONS: &[DemoLocation] = &[
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
pub(super) const FULFILMENT_CENTRES: usize = 4;
pub(super) const STORES: usize = 4;

/// The destination countries of the demo locations, so orders to each of them carry VAT.
pub(super) const TAX_RATES: &[(&str, i64)] = &[("FR", 20), ("DE", 19), ("ES", 21), ("IT", 22), ("NL", 21)];

/// One stock level to open: where, how many, and how many to hold back from promising.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stock {
    pub(super) location: usize,
    pub(super) quantity: i32,
    pub(super) safety_stock: i32,
}

/// Items that only the stores carry, so the demo shows ship-from-store and pickup-only routing.
pub(super) fn store_only(index: usize) -> bool {
    index % 17 == 5
}

/// Items with one to three units per location, so the demo can run out of them and show
/// reservations racing for the last unit.
pub(super) fn scarce(index: usize) -> bool {
    index % 11 == 7
}

/// Where the physical product at `index` is stocked. Ordinary items sit in 2 to 4 locations,
/// always including one fulfilment centre and one store, with every combination of both
/// appearing across the catalogue.
pub(super) fn stock_plan(index: usize) -> Vec<Stock> {
    let store = |offset: usize| FULFILMENT_CENTRES + (index / 2 + offset) % STORES;
    let centre = |offset: usize| (index + offset) % FULFILMENT_CENTRES;
    let candidates: Vec<usize> = if store_only(index) {
        vec![store(0), store(1)]
    } else {
        let all = [centre(0), store(0), centre(1), store(1)];
        all.iter().take(2 + index % 3).copied().collect()
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

pub(super) fn euros(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}
