//! Promise (available to promise): what a storefront can offer before checkout — ship from a
//! location arriving by a date, pick up at a store, or digital delivery — with cost and date,
//! reserving nothing. It runs on every product page, so it reads the network once and routes
//! in memory. A location at capacity today ships a day later, and its dates say so.
use chrono::{Duration, NaiveDate, Timelike, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::catalog::ProductKindRules;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems};
use crate::orders::DeliveryMethod;
use crate::routing::{self, Decision, Destination, Network, Request, Rules, Site, distance_km};
use crate::validate;

/// Days in transit by great-circle distance: the carrier model, kept simple and explicit.
const TRANSIT_BANDS: &[(f64, i64)] = &[(50.0, 1), (300.0, 2), (800.0, 3), (1500.0, 4)];
const TRANSIT_BEYOND: i64 = 6;
/// How many stores near the customer are offered for pickup.
const PICKUP_STORES: usize = 3;
/// How many alternative single-location shipments are offered beside the recommended plan.
const SHIP_ALTERNATIVES: usize = 2;

pub fn transit_days(km: Option<f64>) -> i64 {
    let Some(km) = km else { return 3 };
    TRANSIT_BANDS.iter().find(|(max, _)| km <= *max).map_or(TRANSIT_BEYOND, |(_, days)| *days)
}

/// The question.
#[derive(Debug, Clone)]
pub struct PromiseQuery {
    pub lines: Vec<(String, i32)>,
    pub country: Option<String>,
    pub point: Option<(f64, f64)>,
    /// SHIP, PICKUP or DIGITAL; all when absent.
    pub delivery_method: Option<String>,
    pub channel: String,
}

/// One way the customer could receive the order.
#[derive(Debug, Clone, PartialEq)]
pub struct PromiseOption {
    pub delivery_method: DeliveryMethod,
    pub available: bool,
    /// The option the router itself would choose.
    pub recommended: bool,
    pub location_codes: Vec<String>,
    pub pickup_location_code: Option<String>,
    /// Shipping cost in minor units of `currency`.
    pub cost_minor: i64,
    pub currency: String,
    pub estimated_date: Option<NaiveDate>,
    pub shipments: usize,
    pub description: String,
}

/// The day a shipment leaves `site` and arrives `transit` days later: today if before the
/// cut-off hour (UTC), plus the location's processing days, plus a day when the location is at
/// capacity today (what it takes now counts against tomorrow).
fn arrival(site: &Site, t: &Timing, transit: i64) -> NaiveDate {
    let now = Utc::now();
    let late = now.hour() >= t.cutoff_hour;
    let full = site.at_capacity();
    (now + Duration::days(t.processing_days + i64::from(late) + i64::from(full) + transit)).date_naive()
}

struct Timing {
    processing_days: i64,
    cutoff_hour: u32,
}

fn timing(locations: &[entities::location::Model], id: Uuid) -> Timing {
    locations.iter().find(|l| l.id == id).map_or(Timing { processing_days: 1, cutoff_hour: 14 }, |l| Timing {
        processing_days: i64::from(l.processing_days.max(0)),
        cutoff_hour: u32::try_from(l.cutoff_hour.clamp(0, 24)).unwrap_or(14),
    })
}

/// The latest arrival over a plan's shipments.
fn plan_arrival(
    decision: &Decision,
    network: &Network,
    locations: &[entities::location::Model],
    to: Option<(f64, f64)>,
) -> Option<NaiveDate> {
    decision
        .locations()
        .into_iter()
        .filter_map(|id| {
            let site = network.sites.iter().find(|s| s.location_id == id)?;
            let t = timing(locations, id);
            let km = to.map(|p| distance_km(p, (site.latitude, site.longitude)));
            Some(arrival(site, &t, transit_days(km)))
        })
        .max()
}

fn plan_cost(decision: &Decision, network: &Network) -> i64 {
    decision
        .locations()
        .iter()
        .filter_map(|id| network.sites.iter().find(|s| s.location_id == *id))
        .map(|s| s.shipping_minor)
        .sum()
}

/// Answers the question. Anyone may ask: it reveals no more than a product page does.
pub async fn available_to_promise(db: &DatabaseConnection, query: PromiseQuery) -> DomainResult<Vec<PromiseOption>> {
    let mut problems = Problems::default();
    if let Some(c) = &query.country {
        problems.take(validate::country(&["address", "country"], c));
    }
    if let Some((lat, lon)) = query.point {
        problems.take(validate::latitude(&["address", "latitude"], lat));
        problems.take(validate::longitude(&["address", "longitude"], lon));
    }
    if query.delivery_method.as_deref().is_some_and(|m| !["SHIP", "PICKUP", "DIGITAL"].contains(&m)) {
        problems.add(&["deliveryMethod"], ErrorCode::InvalidInput, "unknown delivery method");
    }
    problems.into_result()?;
    let (demands, products) = routing::demands_for(db, &query.lines).await?;
    if let Some((i, (sku, _))) =
        query.lines.iter().enumerate().find(|(_, (sku, _))| products.get(sku).is_some_and(|p| !p.active))
    {
        return Err(DomainError::Rejected(vec![crate::error::UserError::at(
            "lines",
            i,
            "sku",
            ErrorCode::ProductInactive,
            format!("{sku} is not for sale"),
        )]));
    }
    let currency = products.values().next().map(|p| p.currency.clone()).unwrap_or_else(|| "EUR".to_owned());
    let wants = |m: &str| query.delivery_method.as_deref().is_none_or(|w| w == m);
    let mut options = Vec::new();

    let all_digital = products.values().all(|p| !p.kind.holds_stock());
    if all_digital {
        if wants("DIGITAL") {
            options.push(PromiseOption {
                delivery_method: DeliveryMethod::Digital,
                available: true,
                recommended: true,
                location_codes: Vec::new(),
                pickup_location_code: None,
                cost_minor: 0,
                currency,
                estimated_date: Some(Utc::now().date_naive()),
                shipments: 0,
                description: "Delivered by email right away".to_owned(),
            });
        }
        return Ok(options);
    }

    let product_ids: Vec<Uuid> = demands.iter().map(|d| d.product_id).collect();
    let reference = crate::reference::current(db).await?;
    let network = routing::load_network(db, &reference, &product_ids).await?;
    let rules = reference.routing_rules().clone();
    let locations = reference.locations();
    let request = |destination| Request {
        demands: demands.clone(),
        destination,
        channel: query.channel.clone(),
        allow_split: true,
        excluded: Vec::new(),
    };

    if wants("SHIP") {
        ship_options(
            &mut options,
            &request(Destination::Ship { point: query.point }),
            &network,
            &rules,
            locations,
            query.point,
            &currency,
        );
    }
    if wants("PICKUP") {
        pickup_options(&mut options, &request, &network, &rules, locations, query.point, &currency);
    }
    Ok(options)
}

fn ship_options(
    options: &mut Vec<PromiseOption>,
    request: &Request,
    network: &Network,
    rules: &Rules,
    locations: &[entities::location::Model],
    point: Option<(f64, f64)>,
    currency: &str,
) {
    let decision = routing::route(request, network, rules);
    if !decision.is_complete() {
        let short: Vec<String> = decision.shortfalls.iter().map(|s| format!("{} × {}", s.quantity, s.sku)).collect();
        options.push(PromiseOption {
            delivery_method: DeliveryMethod::Ship,
            available: false,
            recommended: false,
            location_codes: Vec::new(),
            pickup_location_code: None,
            cost_minor: 0,
            currency: currency.to_owned(),
            estimated_date: None,
            shipments: 0,
            description: format!("Cannot ship now: {} not available", short.join(", ")),
        });
        return;
    }
    let codes = |d: &Decision| {
        let mut c: Vec<String> = d.allocations.iter().map(|a| a.location_code.clone()).collect();
        c.sort();
        c.dedup();
        c
    };
    let date = plan_arrival(&decision, network, locations, point);
    let chosen = codes(&decision);
    options.push(PromiseOption {
        delivery_method: DeliveryMethod::Ship,
        available: true,
        recommended: true,
        description: match date {
            Some(d) => format!("Arrives by {} if shipped from {}", d.format("%A %-d %B"), chosen.join(" and ")),
            None => format!("Ships from {}", chosen.join(" and ")),
        },
        location_codes: chosen,
        pickup_location_code: None,
        cost_minor: plan_cost(&decision, network),
        currency: currency.to_owned(),
        estimated_date: date,
        shipments: decision.shipments,
    });
    // Other single locations that could ship it all, nearest first.
    let mut others: Vec<_> = decision.candidates.iter().filter(|c| c.eligible && c.fills_order && !c.chosen).collect();
    others.sort_by(|a, b| a.distance_km.partial_cmp(&b.distance_km).unwrap_or(std::cmp::Ordering::Equal));
    for c in others.into_iter().take(SHIP_ALTERNATIVES) {
        let Some(site) = network.sites.iter().find(|s| s.location_id == c.location_id) else { continue };
        let t = timing(locations, site.location_id);
        let date = arrival(site, &t, transit_days(c.distance_km));
        options.push(PromiseOption {
            delivery_method: DeliveryMethod::Ship,
            available: true,
            recommended: false,
            location_codes: vec![c.location_code.clone()],
            pickup_location_code: None,
            cost_minor: site.shipping_minor,
            currency: currency.to_owned(),
            estimated_date: Some(date),
            shipments: 1,
            description: format!("Arrives by {} if shipped from {}", date.format("%A %-d %B"), c.location_code),
        });
    }
}

fn pickup_options(
    options: &mut Vec<PromiseOption>,
    request: &impl Fn(Destination) -> Request,
    network: &Network,
    rules: &Rules,
    locations: &[entities::location::Model],
    point: Option<(f64, f64)>,
    currency: &str,
) {
    let mut stores: Vec<(&Site, Option<f64>)> = network
        .sites
        .iter()
        .filter(|s| s.active && s.can_pickup)
        .map(|s| (s, point.map(|p| distance_km(p, (s.latitude, s.longitude)))))
        .collect();
    stores.sort_by(|a, b| {
        a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.code.cmp(&b.0.code))
    });
    for (store, km) in stores.into_iter().take(PICKUP_STORES) {
        let decision = routing::route(&request(Destination::Pickup { location_id: store.location_id }), network, rules);
        let away = km.map_or_else(String::new, |k| format!(" ({k:.0} km away)"));
        if !decision.is_complete() {
            options.push(PromiseOption {
                delivery_method: DeliveryMethod::Pickup,
                available: false,
                recommended: false,
                location_codes: Vec::new(),
                pickup_location_code: Some(store.code.clone()),
                cost_minor: 0,
                currency: currency.to_owned(),
                estimated_date: None,
                shipments: 0,
                description: format!("Not available for pickup at {}{away}", store.code),
            });
            continue;
        }
        let t = timing(locations, store.location_id);
        let date = match decision.mode {
            routing::Mode::PickupInStore => {
                let late = Utc::now().hour() >= t.cutoff_hour;
                (Utc::now() + Duration::days(i64::from(late) + i64::from(store.at_capacity()))).date_naive()
            }
            _ => plan_arrival(&decision, network, locations, Some((store.latitude, store.longitude)))
                .unwrap_or_else(|| Utc::now().date_naive()),
        };
        let today = Utc::now().date_naive();
        let when = if date == today { "today".to_owned() } else { date.format("%A %-d %B").to_string() };
        let mut codes: Vec<String> = decision.allocations.iter().map(|a| a.location_code.clone()).collect();
        codes.sort();
        codes.dedup();
        options.push(PromiseOption {
            delivery_method: DeliveryMethod::Pickup,
            available: true,
            recommended: false,
            location_codes: codes,
            pickup_location_code: Some(store.code.clone()),
            cost_minor: 0,
            currency: currency.to_owned(),
            estimated_date: Some(date),
            shipments: decision.shipments,
            description: match decision.mode {
                routing::Mode::PickupInStore => format!("Pick up {when} at {}{away}", store.code),
                _ => format!("Pick up {when} at {}{away}, shipped to the store", store.code),
            },
        });
    }
}
