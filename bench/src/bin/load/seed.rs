//! Seeding through the API, as a retailer's integration would: locations, a catalogue and stock,
//! sent as batches of aliased mutations (50 to a request) so that seeding 10,000 SKUs takes
//! seconds, not minutes.
use oms_bench::Rng;
use serde_json::{Value, json};

use crate::Res;
use crate::drive::{Target, call};

/// City centres the locations and the customers are spread around: country, postal code, lat, lon.
pub const CITIES: &[(&str, &str, f64, f64)] = &[
    ("FR", "75011", 48.8566, 2.3522),
    ("FR", "69003", 45.7640, 4.8357),
    ("FR", "13001", 43.2965, 5.3698),
    ("DE", "10115", 52.5200, 13.4050),
    ("DE", "80331", 48.1351, 11.5820),
    ("DE", "50667", 50.9375, 6.9603),
    ("ES", "28013", 40.4168, -3.7038),
    ("ES", "08001", 41.3874, 2.1686),
    ("IT", "00184", 41.9028, 12.4964),
    ("IT", "20121", 45.4642, 9.1900),
    ("NL", "1012 AB", 52.3676, 4.9041),
];

/// What the scenarios order.
pub struct Catalogue {
    pub skus: Vec<String>,
}

/// The API allows 64 aliases to a request.
const BATCH: usize = 50;

/// Sends `items` as aliased copies of one mutation, BATCH to a request.
async fn batched(target: &Target, mutation: &str, input_type: &str, items: Vec<Value>) -> Res<()> {
    for chunk in items.chunks(BATCH) {
        let params: Vec<String> = (0..chunk.len()).map(|i| format!("$i{i}: {input_type}!")).collect();
        let fields: Vec<String> = (0..chunk.len())
            .map(|i| format!("m{i}: {mutation}(input: $i{i}) {{ userErrors {{ code message }} }}"))
            .collect();
        let query = format!("mutation({}) {{ {} }}", params.join(", "), fields.join(" "));
        let variables: serde_json::Map<String, Value> =
            chunk.iter().enumerate().map(|(i, v)| (format!("i{i}"), v.clone())).collect();
        call(target, &query, Value::Object(variables)).await?;
    }
    Ok(())
}

/// `locations` warehouses and stores, `skus` products, each stocked at `stocked_at` random
/// locations with `units` units, and a tax rate per country.
pub async fn catalogue(
    target: &Target,
    rng: &mut Rng,
    skus: usize,
    locations: usize,
    stocked_at: usize,
    units: i64,
) -> Res<Catalogue> {
    let codes: Vec<String> = (0..locations).map(|i| format!("L{i:03}")).collect();
    let sites: Vec<Value> = codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let &(country, postal, lat, lon) = &CITIES[i % CITIES.len()];
            json!({
                "code": code, "name": format!("Site {code}"),
                "kind": if i % 5 == 0 { "DISTRIBUTION_CENTER" } else if i % 5 == 1 { "STORE" } else { "WAREHOUSE" },
                "address": { "line1": format!("{i} Bench Street"), "city": "Bench", "postalCode": postal,
                    "country": country, "latitude": lat + rng.between(-0.2, 0.2), "longitude": lon + rng.between(-0.2, 0.2) },
                "canShip": true, "canPickup": i % 5 == 1, "priority": 100,
                "shippingRate": { "amount": "4.90", "currency": "EUR" },
            })
        })
        .collect();
    batched(target, "createLocation", "CreateLocationInput", sites).await?;
    let taxes: Vec<Value> =
        ["FR", "DE", "ES", "IT", "NL"].iter().map(|c| json!({ "country": c, "ratePercent": "20" })).collect();
    batched(target, "setTaxRate", "SetTaxRateInput", taxes).await?;

    let sku_codes: Vec<String> = (0..skus).map(|i| format!("BENCH-{i:05}")).collect();
    let products: Vec<Value> = sku_codes
        .iter()
        .map(|sku| {
            let cents = 500 + rng.below(20_000);
            json!({ "sku": sku, "name": format!("Product {sku}"),
                "price": { "amount": format!("{}.{:02}", cents / 100, cents % 100), "currency": "EUR" } })
        })
        .collect();
    batched(target, "createProduct", "CreateProductInput", products).await?;

    let mut receipts = Vec::with_capacity(skus * stocked_at);
    for sku in &sku_codes {
        let mut at: Vec<usize> = Vec::with_capacity(stocked_at);
        while at.len() < stocked_at.min(locations) {
            let l = rng.below(locations);
            if !at.contains(&l) {
                at.push(l);
            }
        }
        for l in at {
            receipts.push(json!({ "sku": sku, "locationCode": codes[l], "quantity": units, "reference": "bench" }));
        }
    }
    batched(target, "receiveInventory", "ReceiveInventoryInput", receipts).await?;
    Ok(Catalogue { skus: sku_codes })
}

/// A random customer point near one of the cities.
pub fn address(rng: &mut Rng) -> Value {
    let &(country, postal, lat, lon) = rng.pick(CITIES);
    json!({ "name": "Bench Customer", "line1": "1 Load Street", "city": "Bench", "postalCode": postal, "country": country,
        "latitude": lat + rng.between(-0.1, 0.1), "longitude": lon + rng.between(-0.15, 0.15) })
}
