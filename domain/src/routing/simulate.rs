//! `simulateRouting`: the router's answer for a hypothetical order, reserving nothing, so rules
//! can be tried before they go live.
use std::collections::{BTreeMap, HashMap};

use entities::product;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::model::{Decision, Demand, Destination, Request};
use super::plan::route;
use crate::auth::Actor;
use crate::catalog::ProductKindRules;
use crate::error::{DomainError, DomainResult, ErrorCode, Problems, UserError};

/// A cart (promise, simulation) has at most as many lines as an order.
pub use crate::orders::MAX_LINES;

/// A hypothetical order.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub channel: String,
    /// (sku, quantity)
    pub lines: Vec<(String, i32)>,
    /// The customer's coordinates, for SHIP.
    pub point: Option<(f64, f64)>,
    /// The store, for PICKUP.
    pub pickup_location_code: Option<String>,
    pub allow_split: bool,
}

/// The demand of some lines: physical products only, lines of one SKU added up. At most
/// `MAX_LINES` lines, as an order; unknown SKUs and bad quantities are reported against
/// `lines.i`. Lines of one SKU add up in i64 and a sum past what a quantity holds is refused, so
/// no cart can wrap a demand negative.
pub async fn demands_for<C: sea_orm::ConnectionTrait>(
    db: &C,
    lines: &[(String, i32)],
) -> DomainResult<(Vec<Demand>, HashMap<String, product::Model>)> {
    let mut problems = Problems::default();
    if lines.is_empty() {
        problems.add(&["lines"], ErrorCode::InvalidInput, "give at least one line");
    }
    if lines.len() > MAX_LINES {
        // Refused before any lookup: thousands of lines are no cart, and would cost a query
        // parameter each.
        return Err(DomainError::rejected(
            &["lines"],
            ErrorCode::InvalidInput,
            format!("give at most {MAX_LINES} lines"),
        ));
    }
    let skus: Vec<&str> = lines.iter().map(|(s, _)| s.as_str()).collect();
    let products: HashMap<String, product::Model> = product::Entity::find()
        .filter(product::Column::Sku.is_in(skus))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.sku.clone(), p))
        .collect();
    let mut demand: BTreeMap<Uuid, (String, i64, usize)> = BTreeMap::new();
    for (i, (sku, qty)) in lines.iter().enumerate() {
        if *qty < 1 || *qty > crate::inventory::MAX_QUANTITY {
            problems.push(UserError::at(
                "lines",
                i,
                "quantity",
                ErrorCode::InvalidInput,
                "quantity must be between 1 and 1000000",
            ));
        }
        match products.get(sku) {
            None => problems.push(crate::catalog::unknown_sku_on_line(i, sku)),
            Some(p) if p.kind.holds_stock() => {
                let entry = demand.entry(p.id).or_insert_with(|| (p.sku.clone(), 0, i));
                entry.1 = entry.1.saturating_add(i64::from(*qty));
                entry.2 = i;
            }
            Some(_) => {}
        }
    }
    let mut demands = Vec::with_capacity(demand.len());
    for (product_id, (sku, total, last_line)) in demand {
        match i32::try_from(total) {
            Ok(quantity) => demands.push(Demand { product_id, sku, quantity }),
            Err(_) => problems.push(UserError::at(
                "lines",
                last_line,
                "quantity",
                ErrorCode::InvalidInput,
                format!("the lines of {sku} add up to more units than an order can hold"),
            )),
        }
    }
    problems.into_result()?;
    Ok((demands, products))
}

pub async fn simulate(db: &DatabaseConnection, actor: &Actor, input: Simulation) -> DomainResult<Decision> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let (demands, _) = demands_for(db, &input.lines).await?;
    let reference = crate::reference::current(db).await?;
    let destination = match &input.pickup_location_code {
        Some(code) => {
            let store = reference.location_by_code(code).ok_or_else(|| {
                DomainError::rejected(
                    &["pickupLocationCode"],
                    ErrorCode::UnknownLocation,
                    format!("no location has code '{code}'"),
                )
            })?;
            Destination::Pickup { location_id: store.id }
        }
        None => Destination::Ship { point: input.point },
    };
    let product_ids: Vec<Uuid> = demands.iter().map(|d| d.product_id).collect();
    let network = super::load_network(db, &reference, &product_ids).await?;
    let rules = reference.routing_rules();
    let request =
        Request { demands, destination, channel: input.channel, allow_split: input.allow_split, excluded: Vec::new() };
    Ok(route(&request, &network, rules))
}
