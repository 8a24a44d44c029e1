//! Allocation: the router's plan made real. One loop, shared by capture, re-routing and
//! backorder fills: route against the stock as it is, reserve the plan's units in level-id
//! order, and route again when a reservation loses a race to another order.
use std::collections::BTreeMap;

use entities::inventory_level;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use crate::auth::Actor;
use crate::batch::InsertBatch;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::inventory::{self, Cause};
use crate::routing::{self, Allocation, Decision};

/// A reservation that loses a race is re-planned at most this many times.
pub const MAX_PLAN_ATTEMPTS: usize = 8;

/// Units an order gives back at a level in the same pass as its new reservations (a rejected
/// fulfilment order), and how many of them the shelf turned out not to have.
#[derive(Debug, Clone)]
pub struct Giveback {
    pub level_id: Uuid,
    pub quantity: i32,
    pub written_off: i32,
}

/// What a re-routed fulfilment order gives back, and why.
#[derive(Debug, Clone)]
pub struct Givebacks {
    pub items: Vec<Giveback>,
    pub cause: Cause,
    pub write_off_cause: Cause,
}

/// Routes `request` and reserves the plan, re-planning when a reservation loses a race.
/// `accept` sees each plan before anything is reserved: `Ok(false)` gives up (nothing is
/// written, `None` is returned), an error refuses. `givebacks` are applied in the same
/// level-id-ordered pass as the reservations (see [`crate::locks`]), and the router counts them
/// as available: an order moving its own units (a changed address) may take them again. The
/// reservations' ledger rows go into `ledger` when given (written with the caller's other rows),
/// else are written at once. `levels_read`: the products' stock levels as this transaction has
/// just read them (capture reads them with its products), planned on first instead of read again.
#[expect(clippy::too_many_arguments, reason = "the parts of one allocation, each held by every caller")]
pub async fn plan_and_reserve(
    txn: &DatabaseTransaction,
    reference: &crate::reference::Reference,
    request: &routing::Request,
    mut levels_read: Option<&[inventory_level::Model]>,
    order_id: Uuid,
    actor: &Actor,
    givebacks: Option<&Givebacks>,
    mut ledger: Option<&mut InsertBatch>,
    mut accept: impl FnMut(&Decision) -> DomainResult<bool>,
) -> DomainResult<Option<Decision>> {
    let product_ids: Vec<Uuid> = request.demands.iter().map(|d| d.product_id).collect();
    let rules = reference.routing_rules();
    for attempt in 1..=MAX_PLAN_ATTEMPTS {
        let mut network = match levels_read.take() {
            Some(levels) => routing::network_of(txn, reference, &product_ids, levels).await?,
            None => routing::load_network(txn, reference, &product_ids).await?,
        };
        if let Some(g) = givebacks {
            credit(txn, &mut network, &g.items).await?;
        }
        let decision = routing::route(request, &network, rules);
        if !accept(&decision)? {
            return Ok(None);
        }
        if reserve_all(txn, &decision.allocations, givebacks, order_id, actor, ledger.as_deref_mut()).await? {
            return Ok(Some(decision));
        }
        tracing::debug!(attempt, %order_id, "a reservation lost a race; re-planning");
    }
    Err(DomainError::rejected(
        &["lines"],
        ErrorCode::OutOfStock,
        "the stock for this order is being taken by other orders; try again",
    ))
}

/// Counts units given back as available at their levels, as they will be once the pass has
/// released them (less what is written off), so the router sees the stock as it will be.
async fn credit(txn: &DatabaseTransaction, network: &mut routing::Network, items: &[Giveback]) -> DomainResult<()> {
    // Per level: (units released, units written off).
    let mut back: BTreeMap<Uuid, (i32, i32)> = BTreeMap::new();
    for g in items {
        let entry = back.entry(g.level_id).or_default();
        *entry = (entry.0 + g.quantity, entry.1 + g.written_off);
    }
    let levels = inventory_level::Entity::find()
        .filter(inventory_level::Column::Id.is_in(back.keys().copied()))
        .all(txn)
        .await?;
    for level in levels {
        let (released, written_off) = back.get(&level.id).copied().unwrap_or_default();
        let after = inventory_level::Model {
            on_hand: level.on_hand - written_off,
            reserved: level.reserved - released,
            ..level.clone()
        };
        let available = inventory::available(&after);
        network.stock.insert((level.location_id, level.product_id), routing::Stock { level_id: level.id, available });
    }
    Ok(())
}

/// One level's part of a pass: what is given back and what is reserved there.
#[derive(Default)]
struct LevelWork {
    giveback: Option<(i32, i32)>,
    reserve: i32,
}

/// Applies the givebacks and reserves a plan's allocations, level by level in id order.
/// `false`: a reservation lost a race and nothing of this attempt was kept. The reservations'
/// ledger rows go into `ledger` when given, else are written at once.
///
/// With givebacks the pass runs in a savepoint (a release and its ledger row are undone with
/// it). Without (every new order), the levels are reserved in one statement, and a lost race
/// gives back the units the pass did take, which the transaction still holds locked: two
/// statements fewer on every order than a savepoint, one more on the rare lost race.
pub async fn reserve_all(
    txn: &DatabaseTransaction,
    allocations: &[Allocation],
    givebacks: Option<&Givebacks>,
    order_id: Uuid,
    actor: &Actor,
    ledger: Option<&mut InsertBatch>,
) -> DomainResult<bool> {
    let mut work: BTreeMap<Uuid, LevelWork> = BTreeMap::new();
    for g in givebacks.map(|g| g.items.as_slice()).unwrap_or_default() {
        let entry = work.entry(g.level_id).or_default();
        let (quantity, written_off) = entry.giveback.unwrap_or((0, 0));
        entry.giveback = Some((quantity + g.quantity, written_off + g.written_off));
    }
    for a in allocations {
        work.entry(a.level_id).or_default().reserve += a.quantity;
    }
    if givebacks.is_none() {
        let wanted: Vec<(Uuid, i32)> =
            work.into_iter().filter(|(_, w)| w.reserve > 0).map(|(level_id, w)| (level_id, w.reserve)).collect();
        let reserved = inventory::reserve_many(txn, &wanted, order_id, actor).await?;
        if reserved.len() < wanted.len() {
            let taken: Vec<(Uuid, i32)> =
                wanted.into_iter().filter(|(id, _)| reserved.iter().any(|r| r.0 == *id)).collect();
            inventory::unreserve(txn, &taken).await?;
            return Ok(false);
        }
        let reservations = reserved.into_iter().map(|(_, row)| row).collect();
        match ledger {
            Some(batch) => batch.extend(inventory::movements_insert(reservations)),
            None => inventory::record_movements(txn, reservations).await?,
        }
        return Ok(true);
    }
    let savepoint = txn.begin().await?;
    let mut reservations = Vec::new();
    for (level_id, w) in work {
        if let (Some((quantity, written_off)), Some(g)) = (w.giveback, givebacks) {
            inventory::release(&savepoint, level_id, quantity, &g.cause, actor).await?;
            if written_off > 0 {
                inventory::record_shortfall(&savepoint, level_id, written_off, &g.write_off_cause, actor).await?;
            }
        }
        if w.reserve > 0 {
            match inventory::reserve(&savepoint, level_id, w.reserve, order_id, actor).await? {
                Some(row) => reservations.push(row),
                None => {
                    savepoint.rollback().await?;
                    return Ok(false);
                }
            }
        }
    }
    match ledger {
        Some(batch) => batch.extend(inventory::movements_insert(reservations)),
        None => inventory::record_movements(&savepoint, reservations).await?,
    }
    savepoint.commit().await?;
    Ok(true)
}
