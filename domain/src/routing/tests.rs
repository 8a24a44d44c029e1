//! The router on hand-built networks.
use std::collections::BTreeMap;

use uuid::Uuid;

use super::*;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

struct Net(Network);

impl Net {
    fn new() -> Net {
        Net(Network::default())
    }

    /// A site at (lat, lon) with a priority and shipping rate.
    fn site(mut self, n: u128, kind: &str, at: (f64, f64), priority: i32, shipping: i64) -> Net {
        self.0.sites.push(Site {
            location_id: id(n),
            code: format!("L{n}"),
            kind: kind.to_owned(),
            latitude: at.0,
            longitude: at.1,
            active: true,
            can_ship: true,
            can_pickup: kind == "STORE",
            daily_capacity: None,
            assigned_today: 0,
            priority,
            shipping_minor: shipping,
        });
        self
    }

    fn stock(mut self, location: u128, product: u128, available: i32) -> Net {
        self.0.stock.insert((id(location), id(product)), Stock { level_id: id(location * 1000 + product), available });
        self
    }
}

fn demand(product: u128, quantity: i32) -> Demand {
    Demand { product_id: id(product), sku: format!("SKU{product}"), quantity }
}

fn ship_to(point: (f64, f64), demands: Vec<Demand>) -> Request {
    Request {
        demands,
        destination: Destination::Ship { point: Some(point) },
        channel: "WEB".to_owned(),
        allow_split: true,
        excluded: Vec::new(),
    }
}

const PARIS: (f64, f64) = (48.8566, 2.3522);
const LYON: (f64, f64) = (45.7640, 4.8357);
const LILLE: (f64, f64) = (50.6292, 3.0573);
const MARSEILLE: (f64, f64) = (43.2965, 5.3698);

#[test]
fn distance_beats_priority() {
    let net = Net::new()
        .site(1, "WAREHOUSE", MARSEILLE, 1, 500)
        .site(2, "WAREHOUSE", LILLE, 50, 500)
        .stock(1, 7, 5)
        .stock(2, 7, 5);
    let d = route(&ship_to(PARIS, vec![demand(7, 2)]), &net.0, &Rules::default());
    assert_eq!(d.locations(), vec![id(2)], "{}", d.summary);
    assert!(d.summary.contains("L2"), "{}", d.summary);
}

#[test]
fn one_shipment_beats_a_closer_split() {
    // Lille has product 7 only, Lyon has 8 only, Marseille (farthest) has both.
    let net = Net::new()
        .site(1, "WAREHOUSE", LILLE, 1, 500)
        .site(2, "WAREHOUSE", LYON, 1, 500)
        .site(3, "WAREHOUSE", MARSEILLE, 1, 500)
        .stock(1, 7, 5)
        .stock(2, 8, 5)
        .stock(3, 7, 5)
        .stock(3, 8, 5);
    let d = route(&ship_to(PARIS, vec![demand(7, 1), demand(8, 1)]), &net.0, &Rules::default());
    assert_eq!(d.shipments, 1);
    assert_eq!(d.locations(), vec![id(3)]);
}

#[test]
fn splits_only_when_it_must_and_then_picks_the_nearest_pair() {
    let net = Net::new()
        .site(1, "WAREHOUSE", LILLE, 1, 500)
        .site(2, "WAREHOUSE", LYON, 1, 500)
        .site(3, "WAREHOUSE", MARSEILLE, 1, 500)
        .stock(1, 7, 5)
        .stock(2, 8, 5)
        .stock(3, 8, 5);
    let d = route(&ship_to(PARIS, vec![demand(7, 1), demand(8, 1)]), &net.0, &Rules::default());
    assert_eq!(d.shipments, 2);
    assert_eq!(d.locations(), vec![id(1), id(2)], "Lyon is nearer Paris than Marseille");
    // A line is split only when no chosen location has all of it.
    let net =
        Net::new().site(1, "WAREHOUSE", LILLE, 1, 500).site(2, "WAREHOUSE", LYON, 1, 500).stock(1, 7, 3).stock(2, 7, 3);
    let d = route(&ship_to(PARIS, vec![demand(7, 5)]), &net.0, &Rules::default());
    assert!(d.is_complete());
    assert_eq!(d.allocations.iter().map(|a| a.quantity).sum::<i32>(), 5);
}

#[test]
fn no_split_means_one_shipment_or_a_shortfall() {
    let net =
        Net::new().site(1, "WAREHOUSE", LILLE, 1, 500).site(2, "WAREHOUSE", LYON, 1, 500).stock(1, 7, 3).stock(2, 8, 3);
    let mut request = ship_to(PARIS, vec![demand(7, 1), demand(8, 1)]);
    request.allow_split = false;
    let d = route(&request, &net.0, &Rules::default());
    assert!(!d.is_complete());
    assert_eq!(d.shipments, 1);
    assert!(d.summary.contains("splitting was not allowed"), "{}", d.summary);
}

#[test]
fn safety_stock_is_respected_through_available() {
    // The network is built from `available`, which already excludes safety stock.
    let net = Net::new().site(1, "WAREHOUSE", LILLE, 1, 500).stock(1, 7, 0);
    let d = route(&ship_to(PARIS, vec![demand(7, 1)]), &net.0, &Rules::default());
    assert_eq!(d.shortfalls, vec![Shortfall { product_id: id(7), sku: "SKU7".into(), quantity: 1 }]);
}

impl Net {
    /// Gives site `n` a daily capacity and how much of it today's orders used.
    fn capacity(mut self, n: u128, capacity: i32, used: i32) -> Net {
        if let Some(site) = self.0.sites.iter_mut().find(|s| s.location_id == id(n)) {
            site.daily_capacity = Some(capacity);
            site.assigned_today = used;
        }
        self
    }
}

#[test]
fn a_location_with_capacity_left_is_preferred_unless_enforcement_is_off() {
    // Lille is nearer Paris but full today; Marseille has room.
    let net = Net::new()
        .site(1, "WAREHOUSE", LILLE, 1, 500)
        .site(2, "WAREHOUSE", MARSEILLE, 1, 500)
        .stock(1, 7, 5)
        .stock(2, 7, 5)
        .capacity(1, 100, 100);
    let request = ship_to(PARIS, vec![demand(7, 1)]);
    let d = route(&request, &net.0, &Rules::default());
    assert_eq!(d.locations(), vec![id(2)], "{}", d.summary);
    let lille = d.candidates.iter().find(|c| c.location_id == id(1)).expect("Lille reported");
    assert!(lille.eligible, "a full location stays eligible: {}", lille.reason);
    assert!(lille.reason.contains("at capacity: 100 of 100"), "{}", lille.reason);
    let rules = Rules { enforce_capacity: false, ..Rules::default() };
    assert_eq!(route(&request, &net.0, &rules).locations(), vec![id(1)]);
}

#[test]
fn a_full_location_still_sells_and_says_it_ships_a_day_later() {
    let net = Net::new().site(1, "WAREHOUSE", LILLE, 1, 500).stock(1, 7, 5).capacity(1, 2, 2);
    let d = route(&ship_to(PARIS, vec![demand(7, 3)]), &net.0, &Rules::default());
    assert!(d.is_complete(), "{}", d.summary);
    assert_eq!(d.locations(), vec![id(1)]);
    assert!(d.summary.contains("L1 is at capacity today and ships a day later"), "{}", d.summary);
    assert_eq!(d.late_locations(), vec![id(1)]);
}

#[test]
fn no_limit_means_never_full() {
    let mut net = Net::new().site(1, "WAREHOUSE", LILLE, 1, 500).site(2, "WAREHOUSE", MARSEILLE, 1, 500);
    net = net.stock(1, 7, 5).stock(2, 7, 5);
    net.0.sites[0].assigned_today = 1_000_000;
    let d = route(&ship_to(PARIS, vec![demand(7, 1)]), &net.0, &Rules::default());
    assert_eq!(d.locations(), vec![id(1)], "{}", d.summary);
    assert!(d.late_locations().is_empty());
}

#[test]
fn one_shipment_from_a_full_location_beats_a_split_between_locations_with_room() {
    // Marseille (full) has both products; Lille and Lyon (room) one each. Fewer shipments still
    // comes first: a day's delay costs less than a second parcel.
    let net = Net::new()
        .site(1, "WAREHOUSE", LILLE, 1, 500)
        .site(2, "WAREHOUSE", LYON, 1, 500)
        .site(3, "WAREHOUSE", MARSEILLE, 1, 500)
        .stock(1, 7, 5)
        .stock(2, 8, 5)
        .stock(3, 7, 5)
        .stock(3, 8, 5)
        .capacity(3, 10, 10);
    let d = route(&ship_to(PARIS, vec![demand(7, 1), demand(8, 1)]), &net.0, &Rules::default());
    assert_eq!(d.locations(), vec![id(3)], "{}", d.summary);
}

#[test]
fn a_split_prefers_the_pair_with_capacity_left() {
    // Product 7 at Lille (full) and Lyon; product 8 at Marseille only.
    let net = Net::new()
        .site(1, "WAREHOUSE", LILLE, 1, 500)
        .site(2, "WAREHOUSE", LYON, 1, 500)
        .site(3, "WAREHOUSE", MARSEILLE, 1, 500)
        .stock(1, 7, 5)
        .stock(2, 7, 5)
        .stock(3, 8, 5)
        .capacity(1, 3, 5);
    let d = route(&ship_to(PARIS, vec![demand(7, 1), demand(8, 1)]), &net.0, &Rules::default());
    assert_eq!(d.locations(), vec![id(2), id(3)], "{}", d.summary);
}

#[test]
fn channel_rules_and_ship_from_store_limits_apply() {
    let net = Net::new()
        .site(1, "STORE", PARIS, 1, 500)
        .site(2, "DISTRIBUTION_CENTER", MARSEILLE, 1, 500)
        .stock(1, 7, 5)
        .stock(2, 7, 5);
    let mut request = ship_to(PARIS, vec![demand(7, 1)]);
    assert_eq!(route(&request, &net.0, &Rules::default()).locations(), vec![id(1)]);
    let mut kinds = BTreeMap::new();
    kinds.insert("MARKETPLACE".to_owned(), vec!["DISTRIBUTION_CENTER".to_owned()]);
    let rules = Rules { channel_location_kinds: kinds, ..Rules::default() };
    request.channel = "MARKETPLACE".to_owned();
    let d = route(&request, &net.0, &rules);
    assert_eq!(d.locations(), vec![id(2)]);
    assert!(d.candidates.iter().any(|c| c.reason.contains("may not be fulfilled from a STORE")));
    request.channel = "WEB".to_owned();
    let off = Rules { ship_from_store: false, ..Rules::default() };
    assert_eq!(route(&request, &net.0, &off).locations(), vec![id(2)]);
    let near = Net::new()
        .site(1, "STORE", LYON, 1, 500)
        .site(2, "DISTRIBUTION_CENTER", MARSEILLE, 1, 500)
        .stock(1, 7, 5)
        .stock(2, 7, 5);
    let limited = Rules { ship_from_store_max_km: Some(100.0), ..Rules::default() };
    let d = route(&request, &near.0, &limited);
    assert_eq!(d.locations(), vec![id(2)], "Lyon's store is ~390 km from Paris");
}

#[test]
fn pickup_reserves_at_the_store_or_ships_to_it() {
    let net = Net::new().site(1, "STORE", PARIS, 1, 0).site(2, "WAREHOUSE", LYON, 1, 500).stock(1, 7, 1).stock(2, 7, 9);
    let mut request = ship_to(PARIS, vec![demand(7, 1)]);
    request.destination = Destination::Pickup { location_id: id(1) };
    let d = route(&request, &net.0, &Rules::default());
    assert_eq!((d.mode, d.locations()), (Mode::PickupInStore, vec![id(1)]));
    request.demands = vec![demand(7, 3)];
    let d = route(&request, &net.0, &Rules::default());
    assert_eq!((d.mode, d.locations()), (Mode::ShipToStore, vec![id(2)]));
}

#[test]
fn excluded_locations_are_not_used_again() {
    let net = Net::new()
        .site(1, "WAREHOUSE", LILLE, 1, 500)
        .site(2, "WAREHOUSE", MARSEILLE, 1, 500)
        .stock(1, 7, 5)
        .stock(2, 7, 5);
    let mut request = ship_to(PARIS, vec![demand(7, 1)]);
    request.excluded = vec![id(1)];
    assert_eq!(route(&request, &net.0, &Rules::default()).locations(), vec![id(2)]);
}

#[test]
fn max_shipments_caps_a_split() {
    let net = Net::new()
        .site(1, "WAREHOUSE", LILLE, 1, 500)
        .site(2, "WAREHOUSE", LYON, 1, 500)
        .site(3, "WAREHOUSE", MARSEILLE, 1, 500)
        .stock(1, 7, 1)
        .stock(2, 8, 1)
        .stock(3, 9, 1);
    let request = ship_to(PARIS, vec![demand(7, 1), demand(8, 1), demand(9, 1)]);
    assert!(route(&request, &net.0, &Rules::default()).is_complete());
    let d = route(&request, &net.0, &Rules { max_shipments: Some(2), ..Rules::default() });
    assert_eq!(d.shipments, 2);
    assert_eq!(d.shortfalls.len(), 1);
}
