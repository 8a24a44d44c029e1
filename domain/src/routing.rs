//! Routing: which locations fill an order. This is the simple rule the DOM router replaces:
//! fill everything from one location if any can (the best priority wins), otherwise take the
//! location that covers the most units, then the next, splitting only where it must.
use std::collections::{BTreeMap, HashMap};

use entities::{inventory_level, location};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::DomainResult;
use crate::inventory::available;

/// Units of one product the order needs (lines of the same SKU are added together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Demand {
    pub product_id: Uuid,
    pub quantity: i32,
}

/// Stock of one product at one location that may serve the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub level_id: Uuid,
    pub product_id: Uuid,
    pub location_id: Uuid,
    pub location_code: String,
    /// Lower is preferred.
    pub location_priority: i32,
    pub available: i32,
}

/// Units of one product to reserve at one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    pub level_id: Uuid,
    pub product_id: Uuid,
    pub location_id: Uuid,
    pub quantity: i32,
}

/// The router's answer: what to reserve where, and what nothing can fill.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub allocations: Vec<Allocation>,
    /// Product id and the units no candidate can fill.
    pub shortfalls: Vec<(Uuid, i32)>,
}

impl Plan {
    /// The locations the order ships from, in a stable order.
    pub fn locations(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self.allocations.iter().map(|a| a.location_id).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// Where the order may be fulfilled from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fulfilment {
    /// Any active location that ships.
    Ship,
    /// Only this store.
    Pickup(Uuid),
}

/// Loads, in one query per table, the stock that may serve `product_ids`.
pub async fn load_candidates<C: ConnectionTrait>(
    db: &C,
    product_ids: &[Uuid],
    fulfilment: Fulfilment,
) -> DomainResult<Vec<Candidate>> {
    let mut locations = location::Entity::find().filter(location::Column::Active.eq(true));
    locations = match fulfilment {
        Fulfilment::Ship => locations.filter(location::Column::CanShip.eq(true)),
        Fulfilment::Pickup(id) => {
            locations.filter(location::Column::Id.eq(id)).filter(location::Column::CanPickup.eq(true))
        }
    };
    let locations: HashMap<Uuid, location::Model> = locations.all(db).await?.into_iter().map(|l| (l.id, l)).collect();
    let levels = inventory_level::Entity::find()
        .filter(inventory_level::Column::ProductId.is_in(product_ids.iter().copied()))
        .filter(inventory_level::Column::LocationId.is_in(locations.keys().copied()))
        .all(db)
        .await?;
    Ok(levels
        .into_iter()
        .filter_map(|level| {
            let loc = locations.get(&level.location_id)?;
            let available = available(&level);
            (available > 0).then(|| Candidate {
                level_id: level.id,
                product_id: level.product_id,
                location_id: level.location_id,
                location_code: loc.code.clone(),
                location_priority: loc.priority,
                available,
            })
        })
        .collect())
}

/// Plans the order: see the module's description for the rule.
pub fn plan(demands: &[Demand], candidates: &[Candidate]) -> Plan {
    // location -> product -> candidate; BTreeMap keeps the walk deterministic.
    let mut by_location: BTreeMap<Uuid, HashMap<Uuid, &Candidate>> = BTreeMap::new();
    for c in candidates {
        by_location.entry(c.location_id).or_default().insert(c.product_id, c);
    }
    let rank = |location_id: &Uuid| -> (i32, String) {
        by_location
            .get(location_id)
            .and_then(|m| m.values().next())
            .map(|c| (c.location_priority, c.location_code.clone()))
            .unwrap_or((i32::MAX, String::new()))
    };
    let mut remaining: BTreeMap<Uuid, i32> = BTreeMap::new();
    for d in demands {
        *remaining.entry(d.product_id).or_default() += d.quantity;
    }
    let mut plan = Plan::default();
    let mut used: Vec<Uuid> = Vec::new();
    while remaining.values().any(|q| *q > 0) {
        // The location covering the most of what is still missing; ties go to priority, then code.
        let best = by_location
            .iter()
            .filter(|(id, _)| !used.contains(id))
            .map(|(id, stock)| {
                let covered: i64 =
                    remaining.iter().map(|(p, q)| i64::from((*q).min(stock.get(p).map_or(0, |c| c.available)))).sum();
                (id, covered)
            })
            .filter(|(_, covered)| *covered > 0)
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| rank(b.0).cmp(&rank(a.0))));
        let Some((location_id, _)) = best else { break };
        let location_id = *location_id;
        used.push(location_id);
        let stock = &by_location[&location_id];
        for (product_id, missing) in remaining.iter_mut() {
            if let Some(c) = stock.get(product_id) {
                let take = (*missing).min(c.available);
                if take > 0 {
                    *missing -= take;
                    plan.allocations.push(Allocation {
                        level_id: c.level_id,
                        product_id: *product_id,
                        location_id,
                        quantity: take,
                    });
                }
            }
        }
    }
    plan.shortfalls = remaining.into_iter().filter(|(_, q)| *q > 0).collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn stock(level: u128, product: u128, location: u128, priority: i32, available: i32) -> Candidate {
        Candidate {
            level_id: id(level),
            product_id: id(product),
            location_id: id(location),
            location_code: format!("L{location}"),
            location_priority: priority,
            available,
        }
    }

    #[test]
    fn one_location_that_has_everything_beats_a_split() {
        let candidates = vec![
            stock(1, 100, 10, 1, 5), // best priority but only product 100
            stock(2, 100, 20, 5, 5),
            stock(3, 200, 20, 5, 5),
        ];
        let demands = [Demand { product_id: id(100), quantity: 2 }, Demand { product_id: id(200), quantity: 1 }];
        let plan = plan(&demands, &candidates);
        assert!(plan.shortfalls.is_empty());
        assert_eq!(plan.locations(), vec![id(20)]);
    }

    #[test]
    fn priority_breaks_ties_between_complete_locations() {
        let candidates = vec![stock(1, 100, 10, 7, 5), stock(2, 100, 20, 3, 5)];
        let plan = plan(&[Demand { product_id: id(100), quantity: 5 }], &candidates);
        assert_eq!(plan.locations(), vec![id(20)]);
    }

    #[test]
    fn splits_only_when_no_location_can_fill_a_line() {
        let candidates = vec![stock(1, 100, 10, 1, 3), stock(2, 100, 20, 2, 4)];
        let plan = plan(&[Demand { product_id: id(100), quantity: 6 }], &candidates);
        assert!(plan.shortfalls.is_empty());
        let total: i32 = plan.allocations.iter().map(|a| a.quantity).sum();
        assert_eq!(total, 6);
        // The larger stock is taken first, so the split uses as few units elsewhere as it can.
        assert_eq!(plan.allocations[0].location_id, id(20));
        assert_eq!(plan.allocations[0].quantity, 4);
    }

    #[test]
    fn lines_of_the_same_sku_add_up_and_shortfalls_are_reported() {
        let candidates = vec![stock(1, 100, 10, 1, 3)];
        let demands = [Demand { product_id: id(100), quantity: 2 }, Demand { product_id: id(100), quantity: 2 }];
        let plan = plan(&demands, &candidates);
        assert_eq!(plan.shortfalls, vec![(id(100), 1)]);
    }
}
