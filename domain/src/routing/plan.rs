//! The router's pure core: given the network as it is, the order and the rules, which locations
//! fill which units — and why each candidate was or was not used.
//!
//! Objective, in order: serve the delivery method; fewest shipments; locations with capacity
//! left today (when `Rules::enforce_capacity`); shortest great-circle distance to the customer;
//! lowest shipping cost; location priority (lower first). A location at capacity stays eligible:
//! it ships a day later, which costs less than a lost sale or a second parcel. A line is
//! split across locations only when no single location of the plan can fill it; with
//! `allow_split: false` the order ships in one shipment or not at all.
#![expect(
    clippy::indexing_slicing,
    reason = "the router indexes the candidate and stock tables it built itself, so every index comes from enumerating them; this is the hot path"
)]

use uuid::Uuid;

use super::geo::distance_km;
use super::model::*;

/// A candidate that passed every rule, with what it can promise of each demand.
struct Eligible {
    site: usize,
    distance: Option<f64>,
    /// min(available, demanded) per demand, in demand order.
    covers: Vec<i32>,
    fills: bool,
    /// Ranked after sites with capacity left: full today and the rules prefer capacity.
    full: bool,
}

/// The tie-break order between locations: capacity left, nearer, cheaper, higher priority, then
/// code.
fn site_key<'a>(site: &'a Site, e: &Eligible) -> (bool, u64, i64, i32, &'a str) {
    // Distances compare as whole metres so the key is totally ordered.
    let metres = e.distance.map_or(0, |d| (d * 1000.0).round() as u64);
    (e.full, metres, site.shipping_minor, site.priority, site.code.as_str())
}

/// Routes an order. See the module's description for the objective.
pub fn route(request: &Request, network: &Network, rules: &Rules) -> Decision {
    match request.destination {
        Destination::Ship { point } => route_to(request, network, rules, Target::Customer(point)),
        Destination::Pickup { location_id } => {
            let at_store = route_to(request, network, rules, Target::Store(location_id));
            if at_store.is_complete() {
                return at_store;
            }
            let Some(store) = network.sites.iter().find(|s| s.location_id == location_id) else {
                return at_store;
            };
            let mut request = request.clone();
            request.excluded.push(location_id);
            let shipped = route_to(&request, network, rules, Target::ShipToStore((store.latitude, store.longitude)));
            let missing = |d: &Decision| d.shortfalls.iter().map(|s| s.quantity).sum::<i32>();
            if missing(&shipped) < missing(&at_store) { shipped } else { at_store }
        }
    }
}

#[derive(Clone, Copy)]
enum Target {
    Customer(Option<(f64, f64)>),
    Store(Uuid),
    ShipToStore((f64, f64)),
}

fn route_to(request: &Request, network: &Network, rules: &Rules, target: Target) -> Decision {
    let mode = match target {
        Target::Customer(_) => Mode::Ship,
        Target::Store(_) => Mode::PickupInStore,
        Target::ShipToStore(_) => Mode::ShipToStore,
    };
    let point = match target {
        Target::Customer(p) => p,
        Target::ShipToStore(p) => Some(p),
        Target::Store(_) => None,
    };
    let allowed_kinds = rules.channel_location_kinds.get(&request.channel);
    let mut reports = Vec::new();
    let mut eligible = Vec::new();
    let mut silent = 0usize;
    for (index, site) in network.sites.iter().enumerate() {
        if let Target::Store(store) = target
            && site.location_id != store
        {
            continue;
        }
        let covers: Vec<i32> = request
            .demands
            .iter()
            .map(|d| {
                network.stock.get(&(site.location_id, d.product_id)).map_or(0, |s| s.available.max(0).min(d.quantity))
            })
            .collect();
        let units: i32 = covers.iter().sum();
        if units == 0 && !matches!(target, Target::Store(_)) {
            // Holds none of the items: not worth a line of explanation each, nor the distance.
            silent += 1;
            continue;
        }
        let fills = covers.iter().zip(&request.demands).all(|(c, d)| *c >= d.quantity);
        let distance = point.map(|p| distance_km(p, (site.latitude, site.longitude)));
        let exclusion = exclusion(request, site, target, distance, allowed_kinds, units, rules);
        let mut report = CandidateReport {
            location_id: site.location_id,
            location_code: site.code.clone(),
            eligible: exclusion.is_none(),
            reason: exclusion.clone().unwrap_or_default(),
            distance_km: distance.map(|d| (d * 10.0).round() / 10.0),
            shipping_minor: site.shipping_minor,
            priority: site.priority,
            units_available: units,
            fills_order: fills,
            chosen: false,
            at_capacity: site.at_capacity(),
        };
        if exclusion.is_none() {
            report.reason = describe(distance, site, fills, units);
            let full = rules.enforce_capacity && site.at_capacity();
            eligible.push(Eligible { site: index, distance, covers, fills, full });
        }
        reports.push(report);
    }

    let max_shipments = rules.max_shipments.map_or(usize::MAX, |m| m.max(1) as usize);
    let split = request.allow_split && max_shipments > 1;
    let chosen = choose(&eligible, &request.demands, network, split, max_shipments);
    let (allocations, shortfalls) = assign(&chosen, &eligible, request, network);
    let decision_locations = locations_of(&allocations);
    for report in &mut reports {
        report.chosen = decision_locations.contains(&report.location_id);
    }
    let summary = summarise(mode, &reports, &allocations, &shortfalls, silent, request.allow_split, network);
    Decision { mode, candidates: reports, shipments: decision_locations.len(), allocations, shortfalls, summary }
}

/// Why a site may not serve this order, if it may not.
fn exclusion(
    request: &Request,
    site: &Site,
    target: Target,
    distance: Option<f64>,
    allowed_kinds: Option<&Vec<String>>,
    units: i32,
    rules: &Rules,
) -> Option<String> {
    if request.excluded.contains(&site.location_id) {
        return Some("rejected these lines before".to_owned());
    }
    if !site.active {
        return Some("inactive".to_owned());
    }
    match target {
        Target::Store(_) => {
            if !site.can_pickup {
                return Some("does not offer store pickup".to_owned());
            }
        }
        Target::Customer(_) | Target::ShipToStore(_) => {
            if !site.can_ship {
                return Some("does not ship".to_owned());
            }
            if let Some(kinds) = allowed_kinds
                && !kinds.contains(&site.kind)
            {
                return Some(format!("{} orders may not be fulfilled from a {}", request.channel, site.kind));
            }
            if site.kind == "STORE" {
                if !rules.ship_from_store {
                    return Some("ship-from-store is off".to_owned());
                }
                if let (Some(max), Some(d)) = (rules.ship_from_store_max_km, distance)
                    && d > max
                {
                    return Some(format!("{d:.0} km away, beyond the {max:.0} km ship-from-store limit"));
                }
            }
        }
    }
    if units == 0 {
        return Some("holds none of the items".to_owned());
    }
    None
}

fn describe(distance: Option<f64>, site: &Site, fills: bool, units: i32) -> String {
    let distance = distance.map_or_else(|| "distance unknown".to_owned(), |d| format!("{d:.0} km away"));
    let coverage = if fills { "can fill the whole order".to_owned() } else { format!("can fill {units} unit(s)") };
    let mut text =
        format!("{distance}, {coverage}, shipping {} (minor units), priority {}", site.shipping_minor, site.priority);
    if let Some(limit) = site.daily_capacity.filter(|_| site.at_capacity()) {
        text.push_str(&format!(", at capacity: {} of {limit} orders today, ships a day later", site.assigned_today));
    }
    text
}

/// A pair's score: sites at capacity, then summed metres, shipping and priority (lower wins).
type PairScore = (u8, u64, i64, i32);

/// Picks the set of eligible sites (indexes into `eligible`) with the fewest shipments, then
/// the shortest total distance, the lowest cost and the best priority. When nothing covers the
/// order, the set that covers the most units (for backorders and for the explanation).
fn choose(
    eligible: &[Eligible],
    demands: &[Demand],
    network: &Network,
    split: bool,
    max_shipments: usize,
) -> Vec<usize> {
    let key = |e: &Eligible| site_key(&network.sites[e.site], e);
    // One shipment.
    if let Some((best, _)) = eligible.iter().enumerate().filter(|(_, e)| e.fills).min_by(|a, b| key(a.1).cmp(&key(b.1)))
    {
        return vec![best];
    }
    if !split {
        // The single site covering most units; the rest is short.
        return eligible
            .iter()
            .enumerate()
            .max_by(|a, b| {
                let units = |e: &Eligible| e.covers.iter().sum::<i32>();
                units(a.1).cmp(&units(b.1)).then_with(|| key(b.1).cmp(&key(a.1)))
            })
            .map(|(i, _)| vec![i])
            .unwrap_or_default();
    }
    // Two shipments: every pair, exactly.
    if max_shipments >= 2 {
        let mut best: Option<(PairScore, usize, usize)> = None;
        for a in 0..eligible.len() {
            for b in (a + 1)..eligible.len() {
                let (ea, eb) = (&eligible[a], &eligible[b]);
                let covered = demands.iter().enumerate().all(|(p, d)| ea.covers[p] + eb.covers[p] >= d.quantity);
                if !covered {
                    continue;
                }
                let (ka, kb) = (key(ea), key(eb));
                let score = (u8::from(ka.0) + u8::from(kb.0), ka.1 + kb.1, ka.2 + kb.2, ka.3 + kb.3);
                if best.as_ref().is_none_or(|(s, _, _)| score < *s) {
                    best = Some((score, a, b));
                }
            }
        }
        if let Some((_, a, b)) = best {
            return vec![a, b];
        }
    }
    // More: greedily take the site that covers most of what is missing.
    let mut missing: Vec<i32> = demands.iter().map(|d| d.quantity).collect();
    let mut chosen: Vec<usize> = Vec::new();
    while chosen.len() < max_shipments && missing.iter().any(|m| *m > 0) {
        let next = eligible
            .iter()
            .enumerate()
            .filter(|(i, _)| !chosen.contains(i))
            .map(|(i, e)| (i, e.covers.iter().zip(&missing).map(|(c, m)| (*c).min(*m)).sum::<i32>(), key(e)))
            .filter(|(_, gain, _)| *gain > 0)
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.2.cmp(&a.2)));
        let Some((i, _, _)) = next else { break };
        for (m, c) in missing.iter_mut().zip(&eligible[i].covers) {
            *m -= (*c).min(*m);
        }
        chosen.push(i);
    }
    chosen
}

/// Turns the chosen sites into allocations: each product from the best chosen site that has all
/// of it, split over the chosen sites (most stock first) only when none has.
fn assign(
    chosen: &[usize],
    eligible: &[Eligible],
    request: &Request,
    network: &Network,
) -> (Vec<Allocation>, Vec<Shortfall>) {
    let mut allocations = Vec::new();
    let mut shortfalls = Vec::new();
    for (p, demand) in request.demands.iter().enumerate() {
        let key = |i: &usize| site_key(&network.sites[eligible[*i].site], &eligible[*i]);
        let whole =
            chosen.iter().filter(|i| eligible[**i].covers[p] >= demand.quantity).min_by(|a, b| key(a).cmp(&key(b)));
        let mut order: Vec<usize> = match whole {
            Some(i) => vec![*i],
            None => {
                let mut all = chosen.to_vec();
                all.sort_by(|a, b| {
                    eligible[*b].covers[p].cmp(&eligible[*a].covers[p]).then_with(|| key(a).cmp(&key(b)))
                });
                all
            }
        };
        order.retain(|i| eligible[*i].covers[p] > 0);
        let mut missing = demand.quantity;
        for i in order {
            if missing == 0 {
                break;
            }
            let site = &network.sites[eligible[i].site];
            let Some(stock) = network.stock.get(&(site.location_id, demand.product_id)) else { continue };
            let take = missing.min(eligible[i].covers[p]);
            missing -= take;
            allocations.push(Allocation {
                level_id: stock.level_id,
                product_id: demand.product_id,
                sku: demand.sku.clone(),
                location_id: site.location_id,
                location_code: site.code.clone(),
                quantity: take,
            });
        }
        if missing > 0 {
            shortfalls.push(Shortfall { product_id: demand.product_id, sku: demand.sku.clone(), quantity: missing });
        }
    }
    (allocations, shortfalls)
}

fn summarise(
    mode: Mode,
    reports: &[CandidateReport],
    allocations: &[Allocation],
    shortfalls: &[Shortfall],
    silent: usize,
    allow_split: bool,
    network: &Network,
) -> String {
    let mut codes: Vec<&str> = allocations.iter().map(|a| a.location_code.as_str()).collect();
    codes.sort();
    codes.dedup();
    let eligible = reports.iter().filter(|r| r.eligible).count();
    let mut text = match (mode, codes.is_empty()) {
        (_, true) => "No location can fill the order".to_owned(),
        (Mode::PickupInStore, false) => format!("Picked up at {} from its own stock", codes.join(", ")),
        (Mode::ShipToStore, false) => format!("Shipped to the pickup store from {}", codes.join(", ")),
        (Mode::Ship, false) if codes.len() == 1 => {
            let winner = reports.iter().find(|r| r.chosen);
            let why = winner.map_or_else(String::new, |w| {
                w.distance_km.map_or_else(|| format!(" (priority {})", w.priority), |d| format!(" ({d:.0} km away)"))
            });
            format!("Ships in one shipment from {}{why}, the best of {eligible} eligible location(s)", codes[0])
        }
        (Mode::Ship, false) => {
            format!("Ships in {} shipments from {}: no single location holds everything", codes.len(), codes.join(", "))
        }
    };
    let mut late: Vec<&str> =
        reports.iter().filter(|r| r.chosen && r.at_capacity).map(|r| r.location_code.as_str()).collect();
    late.sort();
    match late.as_slice() {
        [] => {}
        [one] => text.push_str(&format!("; {one} is at capacity today and ships a day later")),
        many => text.push_str(&format!("; {} are at capacity today and ship a day later", many.join(", "))),
    }
    if !shortfalls.is_empty() {
        let short: Vec<String> = shortfalls.iter().map(|s| format!("{} × {}", s.quantity, s.sku)).collect();
        text.push_str(&format!("; short: {}", short.join(", ")));
        if !allow_split {
            text.push_str(" (splitting was not allowed)");
        }
    }
    let excluded = reports.len() - eligible;
    text.push_str(&format!(
        ". {} location(s) considered: {eligible} eligible, {excluded} excluded, {silent} holding none of the items.",
        network.sites.len()
    ));
    text
}
