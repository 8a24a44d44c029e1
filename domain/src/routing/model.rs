//! What the router reads and what it decides: the network, the request, the rules and the
//! decision with its reasons.
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A fulfilment node as the router sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    pub location_id: Uuid,
    pub code: String,
    /// WAREHOUSE, DISTRIBUTION_CENTER, STORE or SUPPLIER.
    pub kind: String,
    pub latitude: f64,
    pub longitude: f64,
    pub active: bool,
    pub can_ship: bool,
    pub can_pickup: bool,
    /// Fulfilment orders it takes per day before the next ones ship a day later; no limit
    /// when `None`.
    pub daily_capacity: Option<i32>,
    /// Fulfilment orders already counted against today's capacity.
    pub assigned_today: i32,
    pub priority: i32,
    pub shipping_minor: i64,
}

impl Site {
    /// Whether it has no capacity left today: what it takes now ships a day later.
    pub fn at_capacity(&self) -> bool {
        crate::capacity::is_full(self.daily_capacity, self.assigned_today)
    }
}

/// Units of a product promisable at a location, and the level to reserve them from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stock {
    pub level_id: Uuid,
    pub available: i32,
}

/// The network: sites and their stock of the order's products.
#[derive(Clone, Debug, Default)]
pub struct Network {
    pub sites: Vec<Site>,
    /// (location, product) -> stock.
    pub stock: HashMap<(Uuid, Uuid), Stock>,
}

/// Units of one product the order needs (lines of the same SKU are added together).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demand {
    pub product_id: Uuid,
    pub sku: String,
    pub quantity: i32,
}

/// Where the goods go.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Destination {
    /// To the customer, whose coordinates may be unknown.
    Ship { point: Option<(f64, f64)> },
    /// Collected at this store: from its own shelves, else shipped there (ship-to-store).
    Pickup { location_id: Uuid },
}

/// What to route.
#[derive(Clone, Debug)]
pub struct Request {
    pub demands: Vec<Demand>,
    pub destination: Destination,
    /// WEB, MOBILE, CALL_CENTER, STORE or MARKETPLACE.
    pub channel: String,
    pub allow_split: bool,
    /// Locations that must not be used (they rejected these lines before).
    pub excluded: Vec<Uuid>,
}

/// The rules an admin sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// Channel -> the location kinds that may fulfil it; a channel not named may use any.
    pub channel_location_kinds: BTreeMap<String, Vec<String>>,
    pub ship_from_store: bool,
    pub ship_from_store_max_km: Option<f64>,
    pub max_shipments: Option<i32>,
    pub enforce_capacity: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            channel_location_kinds: BTreeMap::new(),
            ship_from_store: true,
            ship_from_store_max_km: None,
            max_shipments: None,
            enforce_capacity: true,
        }
    }
}

/// How the order reaches the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    Ship,
    PickupInStore,
    ShipToStore,
}

/// One candidate location and what the router made of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateReport {
    pub location_id: Uuid,
    pub location_code: String,
    pub eligible: bool,
    /// Why it was excluded, or how it scored.
    pub reason: String,
    pub distance_km: Option<f64>,
    pub shipping_minor: i64,
    pub priority: i32,
    /// Units of the order's items it could promise.
    pub units_available: i32,
    /// Whether it alone could fill the whole order.
    pub fills_order: bool,
    /// Whether the winning plan uses it.
    pub chosen: bool,
    /// Whether it has no capacity left today (it would ship a day later).
    #[serde(default)]
    pub at_capacity: bool,
}

/// Units of one product to reserve at one level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub level_id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub location_id: Uuid,
    pub location_code: String,
    pub quantity: i32,
}

/// Units nothing could fill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortfall {
    pub product_id: Uuid,
    pub sku: String,
    pub quantity: i32,
}

/// The router's answer and its explanation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub mode: Mode,
    pub candidates: Vec<CandidateReport>,
    pub allocations: Vec<Allocation>,
    pub shortfalls: Vec<Shortfall>,
    pub shipments: usize,
    pub summary: String,
}

impl Decision {
    /// The locations the plan ships from, in a stable order.
    pub fn locations(&self) -> Vec<Uuid> {
        locations_of(&self.allocations)
    }

    pub fn is_complete(&self) -> bool {
        self.shortfalls.is_empty()
    }

    /// The locations of the plan that are at capacity today: they ship a day later.
    pub fn late_locations(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> =
            self.candidates.iter().filter(|c| c.chosen && c.at_capacity).map(|c| c.location_id).collect();
        ids.sort();
        ids
    }
}

/// The distinct locations some allocations take from, in a stable order.
pub fn locations_of(allocations: &[Allocation]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = allocations.iter().map(|a| a.location_id).collect();
    ids.sort();
    ids.dedup();
    ids
}
