//! Idempotency keys (IETF httpapi `Idempotency-Key`): a retried request with the same key and
//! body gets the first response again instead of acting twice; the same key with another body
//! is refused; of two concurrent requests with one key, only one executes.
//!
//! The rules that keep a mutation from running twice:
//! - A key is claimed with an insert; the unique (scope, key) index picks the one executor.
//! - Once execution has started, the key is never forgotten: whatever the answer (success,
//!   refusal or fault), it is stored and replayed. A fault after a commit (e.g. a nested field
//!   of `placeOrder`'s payload failing once the order is written) therefore cannot lead a retry
//!   to place a second order. Only a request refused before it ran (unparsable, invalid, over a
//!   limit) is [`abandon`]ed, as Stripe does.
//! - An IN_FLIGHT key is held under a lease the executor renews while it runs. A crashed
//!   executor frees its key when the lease runs out; the next request takes it over with a
//!   conditional update (one taker wins) and a new `attempt`, so the old holder can no longer
//!   complete it.
use chrono::{DateTime, Duration, Utc};
use entities::idempotency_record;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult, ErrorCode};

/// How long a response is remembered.
pub const RETENTION_HOURS: i64 = 24;
/// How long an executing request owns its key without renewing the lease.
pub const LEASE_SECONDS: i64 = 60;
const IN_FLIGHT: &str = "IN_FLIGHT";
const COMPLETED: &str = "COMPLETED";

/// The executing request's hold on a key: it completes, renews or abandons with this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub id: Uuid,
    pub attempt: i32,
}

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The response body, as sent.
    pub body: String,
    /// The answer was a request error: a replay keeps its HTTP status.
    pub request_error: bool,
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First sight of this key (or its holder's lease ran out): execute, then [`complete`].
    Execute(Lease),
    /// Seen and answered: send this stored response again.
    Replay(Stored),
    /// Seen with another body.
    Mismatch,
    /// Seen and still executing under a live lease.
    InFlight,
}

/// A fingerprint of the request body.
pub fn fingerprint(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Validates a key: 1 to 255 visible ASCII characters.
pub fn check_key(key: &str) -> DomainResult<()> {
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(DomainError::rejected(
            &["Idempotency-Key"],
            ErrorCode::InvalidInput,
            "the Idempotency-Key must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(())
}

fn lease_until(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::seconds(LEASE_SECONDS)
}

/// Claims `key` for this request. The unique (scope, key) index decides who executes.
pub async fn claim(db: &DatabaseConnection, scope: &str, key: &str, request_hash: &str) -> DomainResult<Claim> {
    check_key(key)?;
    use idempotency_record::Column as R;
    for _ in 0..3 {
        let id = Uuid::now_v7();
        let now = Utc::now();
        let inserted = idempotency_record::Entity::insert(idempotency_record::ActiveModel {
            id: Set(id),
            scope: Set(scope.to_owned()),
            key: Set(key.to_owned()),
            request_hash: Set(request_hash.to_owned()),
            status: Set(IN_FLIGHT.to_owned()),
            response_body: Set(None),
            created_at: Set(now),
            expires_at: Set(now + Duration::hours(RETENTION_HOURS)),
            lease_expires_at: Set(Some(lease_until(now))),
            attempt: Set(0),
            request_error: Set(false),
        })
        .on_conflict_do_nothing_on([R::Scope, R::Key])
        .exec(db)
        .await?;
        if matches!(inserted, sea_orm::TryInsertResult::Inserted(_)) {
            return Ok(Claim::Execute(Lease { id, attempt: 0 }));
        }
        let Some(existing) =
            idempotency_record::Entity::find().filter(R::Scope.eq(scope)).filter(R::Key.eq(key)).one(db).await?
        else {
            continue; // removed between our insert and read: try again
        };
        let abandoned_in_flight =
            existing.status == IN_FLIGHT && existing.lease_expires_at.is_none_or(|lease| lease <= now);
        if existing.expires_at <= now && (existing.status == COMPLETED || abandoned_in_flight) {
            // Forgotten: clear it and claim afresh.
            idempotency_record::Entity::delete_many()
                .filter(R::Id.eq(existing.id))
                .filter(R::Attempt.eq(existing.attempt))
                .filter(R::ExpiresAt.lte(now))
                .exec(db)
                .await?;
            continue;
        }
        if existing.request_hash != request_hash {
            return Ok(Claim::Mismatch);
        }
        if existing.status == COMPLETED {
            return Ok(match existing.response_body {
                Some(body) => Claim::Replay(Stored { body, request_error: existing.request_error }),
                None => Claim::InFlight,
            });
        }
        if !abandoned_in_flight {
            return Ok(Claim::InFlight);
        }
        // Its executor died: take the key over. The update is conditional on the attempt we
        // read, so of several requests finding the same dead lease exactly one wins.
        let attempt = existing.attempt + 1;
        let taken = idempotency_record::Entity::update_many()
            .col_expr(R::Attempt, Expr::value(attempt))
            .col_expr(R::LeaseExpiresAt, Expr::value(Some(lease_until(now))))
            .col_expr(R::ExpiresAt, Expr::value(now + Duration::hours(RETENTION_HOURS)))
            .filter(R::Id.eq(existing.id))
            .filter(R::Status.eq(IN_FLIGHT))
            .filter(R::Attempt.eq(existing.attempt))
            .exec(db)
            .await?;
        if taken.rows_affected == 1 {
            tracing::warn!(scope, key, attempt, "took over an idempotency key whose lease ran out");
            return Ok(Claim::Execute(Lease { id: existing.id, attempt }));
        }
        return Ok(Claim::InFlight);
    }
    Ok(Claim::InFlight)
}

/// Matches the record while `lease` still holds it.
fn held(lease: &Lease) -> Condition {
    use idempotency_record::Column as R;
    Condition::all().add(R::Id.eq(lease.id)).add(R::Attempt.eq(lease.attempt)).add(R::Status.eq(IN_FLIGHT))
}

/// Extends the lease of a request that is still executing. `false`: the lease was lost.
pub async fn renew(db: &DatabaseConnection, lease: &Lease) -> DomainResult<bool> {
    let result = idempotency_record::Entity::update_many()
        .col_expr(idempotency_record::Column::LeaseExpiresAt, Expr::value(Some(lease_until(Utc::now()))))
        .filter(held(lease))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Stores the answer of the request that executed. `false`: its lease was taken over by
/// another request meanwhile, whose answer stands.
pub async fn complete(db: &DatabaseConnection, lease: &Lease, answer: Stored) -> DomainResult<bool> {
    use idempotency_record::Column as R;
    let now = Utc::now();
    let result = idempotency_record::Entity::update_many()
        .col_expr(R::Status, Expr::value(COMPLETED))
        .col_expr(R::ResponseBody, Expr::value(answer.body))
        .col_expr(R::RequestError, Expr::value(answer.request_error))
        .col_expr(R::LeaseExpiresAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(R::ExpiresAt, Expr::value(now + Duration::hours(RETENTION_HOURS)))
        .filter(held(lease))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Forgets a claim whose request was refused before it ran (so nothing can have changed): a
/// retry executes. Never call it once execution has started.
pub async fn abandon(db: &DatabaseConnection, lease: &Lease) -> DomainResult<()> {
    idempotency_record::Entity::delete_many().filter(held(lease)).exec(db).await?;
    Ok(())
}

/// How many records one purge statement deletes: short statements, so a large backlog never
/// holds a long lock on the table.
pub const PURGE_BATCH: u64 = 1000;

/// Deletes records past their retention, in batches; returns how many. A request still executing
/// under a live lease keeps its record whatever its age. Run by the scheduled
/// `purge_idempotency_keys` job.
pub async fn purge_expired(db: &DatabaseConnection) -> DomainResult<u64> {
    use idempotency_record::Column as R;
    let mut purged = 0;
    loop {
        let now = Utc::now();
        let not_running = Condition::any()
            .add(R::Status.ne(IN_FLIGHT))
            .add(R::LeaseExpiresAt.is_null())
            .add(R::LeaseExpiresAt.lte(now));
        let batch: Vec<Uuid> = idempotency_record::Entity::find()
            .select_only()
            .column(R::Id)
            .filter(R::ExpiresAt.lte(now))
            .filter(not_running.clone())
            .limit(PURGE_BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if batch.is_empty() {
            return Ok(purged);
        }
        let read = batch.len() as u64;
        // The conditions again: a key taken over since it was read is live, not expired.
        purged += idempotency_record::Entity::delete_many()
            .filter(R::Id.is_in(batch))
            .filter(R::ExpiresAt.lte(now))
            .filter(not_running)
            .exec(db)
            .await?
            .rows_affected;
        if read < PURGE_BATCH {
            return Ok(purged);
        }
    }
}
