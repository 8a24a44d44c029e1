//! Reference data: the locations, the routing rules, the tax rates and the channels'
//! confirmation rules. Every order reads them; admins change them a few times a day. Each process
//! keeps one copy per database and checks it with one primary-key read of `reference_version`,
//! whose token triggers replace in the same transaction as any change to those tables (see the
//! migration). So a copy is never used past a committed change, in this process or another, and
//! an order pays one statement for what used to be five.
//!
//! The token is read first and the tables after it: a change committing in between leaves a
//! copy newer than its token says, which only costs a reload. A copy made inside a transaction
//! that changed the tables carries that transaction's own fresh token, which nobody else can see
//! unless it commits.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use entities::{location, tax_rate};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::orders::Channel;
use crate::orders::confirmation::{self, ConfirmationRule};
use crate::routing::{self, Rules};

/// Copies kept per process: one per database it serves (tests run many databases in one
/// process); past this many, the oldest are dropped and simply reloaded when asked for.
const MAX_COPIES: usize = 32;

/// The reference data as of one token.
#[derive(Debug)]
pub struct Reference {
    token: String,
    /// Every location, in id order (the router's order).
    locations: Vec<location::Model>,
    by_id: HashMap<Uuid, usize>,
    by_code: HashMap<String, usize>,
    routing_rules: Rules,
    tax_ppm: HashMap<String, i64>,
    confirmation: Vec<ConfirmationRule>,
}

impl Reference {
    /// Every location, in id order.
    pub fn locations(&self) -> &[location::Model] {
        &self.locations
    }

    pub fn location(&self, id: Uuid) -> Option<&location::Model> {
        self.by_id.get(&id).and_then(|i| self.locations.get(*i))
    }

    /// A location by its code, as an admin or a customer types it (surrounding spaces ignored).
    pub fn location_by_code(&self, code: &str) -> Option<&location::Model> {
        self.by_code.get(code.trim()).and_then(|i| self.locations.get(*i))
    }

    /// The routing rules in force.
    pub fn routing_rules(&self) -> &Rules {
        &self.routing_rules
    }

    /// The tax rate of a destination country in parts per million; zero where none is set.
    pub fn tax_ppm(&self, country: Option<&str>) -> i64 {
        country.and_then(|c| self.tax_ppm.get(c)).copied().unwrap_or(0)
    }

    /// How a channel's orders are confirmed.
    pub fn confirmation_rule(&self, channel: Channel) -> ConfirmationRule {
        self.confirmation
            .iter()
            .find(|r| r.channel == channel)
            .copied()
            .unwrap_or_else(|| ConfirmationRule::default_for(channel))
    }
}

/// The copies this process holds, by token.
static COPIES: Mutex<Vec<Arc<Reference>>> = Mutex::new(Vec::new());

/// The reference data as the connection (or transaction) sees it now.
pub async fn current<C: ConnectionTrait>(db: &C) -> DomainResult<Arc<Reference>> {
    let token = token(db).await?;
    as_of(db, token).await
}

/// The reference data of a token the caller has just read in its own statement (capture reads
/// it with the order's products): the process's copy, or one loaded now.
pub async fn as_of<C: ConnectionTrait>(db: &C, token: String) -> DomainResult<Arc<Reference>> {
    if let Some(copy) = copies().iter().find(|c| c.token == token) {
        return Ok(copy.clone());
    }
    let copy = Arc::new(load(db, token).await?);
    let mut copies = copies();
    if copies.len() >= MAX_COPIES {
        copies.remove(0);
    }
    copies.push(copy.clone());
    Ok(copy)
}

fn copies() -> std::sync::MutexGuard<'static, Vec<Arc<Reference>>> {
    // A panic while holding the lock cannot leave the list half-changed (push and remove are
    // whole), so a poisoned lock is still good.
    COPIES.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) async fn token<C: ConnectionTrait>(db: &C) -> DomainResult<String> {
    let backend = db.get_database_backend();
    let sql = "SELECT token FROM reference_version WHERE id = 1";
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| DomainError::Database(sea_orm::DbErr::RecordNotFound("reference_version".to_owned())))?;
    Ok(row.try_get::<String>("", "token")?)
}

async fn load<C: ConnectionTrait>(db: &C, token: String) -> DomainResult<Reference> {
    let locations = location::Entity::find().order_by_asc(location::Column::Id).all(db).await?;
    let routing_rules = routing::load_rules(db).await?;
    let tax_ppm = tax_rate::Entity::find().all(db).await?.into_iter().map(|r| (r.country, r.rate_ppm)).collect();
    let confirmation = confirmation::load_rules(db).await?;
    let by_id = locations.iter().enumerate().map(|(i, l)| (l.id, i)).collect();
    let by_code = locations.iter().enumerate().map(|(i, l)| (l.code.clone(), i)).collect();
    tracing::debug!(locations = locations.len(), "reference data loaded");
    Ok(Reference { token, locations, by_id, by_code, routing_rules, tax_ppm, confirmation })
}
