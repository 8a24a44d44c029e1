//! Routing: the rules admins set, the decisions the router made and simulations.
use std::collections::BTreeMap;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use domain::routing::{self, Decision, Rules, Simulation, StoredDecision};

use super::common::{parts, payload};
use entities::enums::from_text;

use super::enums::{Channel, LocationKind, RoutingMode};
use super::errors::{ApiResult, Payload, UserError, respond};
use super::orders::OrderLineInput;

/// One location the router looked at, and what it made of it.
#[derive(SimpleObject, Clone, Debug)]
pub struct RoutingCandidate {
    /// The location's code.
    pub location_code: String,
    /// Whether every rule allowed it.
    pub eligible: bool,
    /// Why it was excluded, or how it scored.
    pub reason: String,
    /// Great-circle distance to the customer (or pickup store), when known.
    pub distance_km: Option<f64>,
    /// Its shipping rate, in minor units of the rate's currency.
    pub shipping_cost_minor: i64,
    /// Its routing priority (lower is preferred).
    pub priority: i32,
    /// Units of the order's items it could promise.
    pub units_available: i32,
    /// Whether it alone could fill the whole order.
    pub fills_order: bool,
    /// Whether the winning plan uses it.
    pub chosen: bool,
    /// Whether it has no capacity left today: it stays eligible, but ships a day later.
    pub at_capacity: bool,
}

/// Units of one SKU the plan takes from one location.
#[derive(SimpleObject, Clone, Debug)]
pub struct RoutingAllocation {
    /// The location.
    pub location_code: String,
    /// The SKU.
    pub sku: String,
    /// Units.
    pub quantity: i32,
}

/// Units of one SKU nothing could fill.
#[derive(SimpleObject, Clone, Debug)]
pub struct RoutingShortfall {
    /// The SKU.
    pub sku: String,
    /// Units missing.
    pub quantity: i32,
}

/// A routing decision: the candidates, the reasons and the plan that won.
#[derive(SimpleObject, Clone, Debug)]
pub struct RoutingDecision {
    /// The decision's id; null for a simulation.
    pub id: Option<ID>,
    /// What caused it: PLACEMENT, REROUTE, BACKORDER_FILL or ORDER_CHANGE (SIMULATION for a
    /// simulation).
    pub trigger: String,
    /// When (RFC 3339); null for a simulation.
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How the goods reach the customer.
    pub mode: RoutingMode,
    /// The decision in one sentence.
    pub summary: String,
    /// How many shipments the plan makes.
    pub shipments: i32,
    /// Every location holding any of the items, eligible or not, and why.
    pub candidates: Vec<RoutingCandidate>,
    /// What the plan takes from where.
    pub allocations: Vec<RoutingAllocation>,
    /// What nothing could fill.
    pub shortfalls: Vec<RoutingShortfall>,
}

impl RoutingDecision {
    pub fn new(
        decision: Decision,
        trigger: &str,
        id: Option<ID>,
        created_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        RoutingDecision {
            id,
            trigger: trigger.to_owned(),
            created_at,
            mode: decision.mode.into(),
            summary: decision.summary,
            shipments: i32::try_from(decision.shipments).unwrap_or(i32::MAX),
            candidates: decision
                .candidates
                .into_iter()
                .map(|c| RoutingCandidate {
                    location_code: c.location_code,
                    eligible: c.eligible,
                    reason: c.reason,
                    distance_km: c.distance_km,
                    shipping_cost_minor: c.shipping_minor,
                    priority: c.priority,
                    units_available: c.units_available,
                    fills_order: c.fills_order,
                    chosen: c.chosen,
                    at_capacity: c.at_capacity,
                })
                .collect(),
            allocations: decision
                .allocations
                .into_iter()
                .map(|a| RoutingAllocation { location_code: a.location_code, sku: a.sku, quantity: a.quantity })
                .collect(),
            shortfalls: decision
                .shortfalls
                .into_iter()
                .map(|s| RoutingShortfall { sku: s.sku, quantity: s.quantity })
                .collect(),
        }
    }
}

impl From<StoredDecision> for RoutingDecision {
    fn from(d: StoredDecision) -> Self {
        let id = Some(ID::from(d.id.to_string()));
        RoutingDecision::new(d.decision, &d.trigger, id, Some(d.created_at))
    }
}

/// The location kinds allowed to fulfil one channel.
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "ChannelLocationKindsInput")]
pub struct ChannelLocationKinds {
    /// The channel.
    pub channel: Channel,
    /// The kinds of location that may fulfil its orders.
    pub location_kinds: Vec<LocationKind>,
}

/// The rules the router applies to the next order.
#[derive(SimpleObject, Clone, Debug)]
pub struct RoutingRules {
    /// Per channel, the location kinds that may fulfil it; channels not listed may use any.
    pub channel_location_kinds: Vec<ChannelLocationKinds>,
    /// Whether stores may ship orders to customers.
    pub ship_from_store: bool,
    /// How far from the customer a store may be to ship to it; no limit when null.
    pub ship_from_store_max_distance_km: Option<f64>,
    /// The most shipments one order may be split into; no limit when null.
    pub max_shipments_per_order: Option<i32>,
    /// Whether the router prefers locations with capacity left today. A location at capacity is
    /// never skipped for it: when chosen (no other can serve as well) it ships a day later.
    pub enforce_capacity: bool,
}

impl From<Rules> for RoutingRules {
    fn from(r: Rules) -> Self {
        RoutingRules {
            channel_location_kinds: r
                .channel_location_kinds
                .into_iter()
                .filter_map(|(channel, kinds)| {
                    Some(ChannelLocationKinds {
                        channel: from_text::<entities::enums::Channel>(&channel)?.into(),
                        // Kinds were checked when the rules were set.
                        location_kinds: kinds
                            .iter()
                            .filter_map(|k| from_text::<entities::enums::LocationKind>(k))
                            .map(LocationKind::from)
                            .collect(),
                    })
                })
                .collect(),
            ship_from_store: r.ship_from_store,
            ship_from_store_max_distance_km: r.ship_from_store_max_km,
            max_shipments_per_order: r.max_shipments,
            enforce_capacity: r.enforce_capacity,
        }
    }
}

/// New routing rules; they replace the current ones whole.
#[derive(InputObject)]
pub struct SetRoutingRulesInput {
    /// Per channel, the location kinds that may fulfil it; channels not listed may use any.
    #[graphql(default)]
    pub channel_location_kinds: Vec<ChannelLocationKinds>,
    /// Whether stores may ship orders to customers.
    #[graphql(default = true)]
    pub ship_from_store: bool,
    /// How far from the customer a store may be to ship to it (km).
    pub ship_from_store_max_distance_km: Option<f64>,
    /// The most shipments one order may be split into.
    pub max_shipments_per_order: Option<i32>,
    /// Whether the router prefers locations with capacity left today. A location at capacity is
    /// never skipped for it: when chosen (no other can serve as well) it ships a day later.
    #[graphql(default = true)]
    pub enforce_capacity: bool,
}

payload!(SetRoutingRulesPayload, routing_rules: RoutingRules, "setRoutingRules");

/// A hypothetical order to route.
#[derive(InputObject)]
pub struct SimulateRoutingInput {
    /// The channel it would come from.
    #[graphql(default_with = "Channel::Web")]
    pub channel: Channel,
    /// What it would contain.
    pub lines: Vec<OrderLineInput>,
    /// The customer's latitude, for shipping.
    pub latitude: Option<f64>,
    /// The customer's longitude, for shipping.
    pub longitude: Option<f64>,
    /// The store to pick up at, for a pickup order.
    pub pickup_location_code: Option<String>,
    /// Whether it may ship in several shipments.
    #[graphql(default = true)]
    pub allow_split: bool,
}

/// The result of `simulateRouting`.
#[derive(SimpleObject)]
pub struct SimulateRoutingPayload {
    /// What the router would decide now; null when the input had problems.
    pub decision: Option<RoutingDecision>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

impl Payload for SimulateRoutingPayload {
    type Value = RoutingDecision;
    fn ok(value: RoutingDecision) -> Self {
        SimulateRoutingPayload { decision: Some(value), user_errors: Vec::new() }
    }
    fn failed(user_errors: Vec<UserError>) -> Self {
        SimulateRoutingPayload { decision: None, user_errors }
    }
}

#[derive(Default)]
pub struct RoutingQuery;

#[Object]
impl RoutingQuery {
    /// The routing rules in force. Staff only.
    async fn routing_rules(&self, ctx: &Context<'_>) -> ApiResult<RoutingRules> {
        let (db, actor) = parts(ctx)?;
        Ok(routing::get_rules(db, actor).await?.into())
    }

    /// What the router would decide for a hypothetical order, reserving nothing. Staff only.
    async fn simulate_routing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The SimulateRouting request.")] input: SimulateRoutingInput,
    ) -> ApiResult<SimulateRoutingPayload> {
        let (db, actor) = parts(ctx)?;
        let simulation = Simulation {
            channel: entities::enums::Channel::from(input.channel).as_str().to_owned(),
            lines: input.lines.into_iter().map(OrderLineInput::pair).collect(),
            point: input.latitude.zip(input.longitude),
            pickup_location_code: input.pickup_location_code,
            allow_split: input.allow_split,
        };
        let result =
            routing::simulate(db, actor, simulation).await.map(|d| RoutingDecision::new(d, "SIMULATION", None, None));
        respond(result)
    }
}

#[derive(Default)]
pub struct RoutingMutation;

#[Object]
impl RoutingMutation {
    /// Replaces the routing rules; the next order is routed by them. Admins only.
    async fn set_routing_rules(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The SetRoutingRules request.")] input: SetRoutingRulesInput,
    ) -> ApiResult<SetRoutingRulesPayload> {
        let (db, actor) = parts(ctx)?;
        let mut kinds: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for c in input.channel_location_kinds {
            let names =
                c.location_kinds.into_iter().map(|k| entities::enums::LocationKind::from(k).as_str().to_owned());
            kinds.entry(entities::enums::Channel::from(c.channel).as_str().to_owned()).or_default().extend(names);
        }
        let rules = Rules {
            channel_location_kinds: kinds,
            ship_from_store: input.ship_from_store,
            ship_from_store_max_km: input.ship_from_store_max_distance_km,
            max_shipments: input.max_shipments_per_order,
            enforce_capacity: input.enforce_capacity,
        };
        respond(routing::set_rules(db, actor, rules).await)
    }
}
