//! Idempotency keys (IETF httpapi `Idempotency-Key`): a retried request with the same key and
//! body gets the first response again instead of acting twice; the same key with another body
//! is refused; of two concurrent requests with one key, only one executes.
use chrono::{Duration, Utc};
use entities::idempotency_record;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult, ErrorCode};

/// How long a response is remembered.
pub const RETENTION_HOURS: i64 = 24;
const IN_FLIGHT: &str = "IN_FLIGHT";
const COMPLETED: &str = "COMPLETED";

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First sight of this key: execute, then [`complete`] with the response.
    Execute(Uuid),
    /// Seen and answered: send this stored response again.
    Replay(String),
    /// Seen with another body.
    Mismatch,
    /// Seen and still executing.
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

/// Claims `key` for this request. The unique (scope, key) index decides who executes.
pub async fn claim(db: &DatabaseConnection, scope: &str, key: &str, request_hash: &str) -> DomainResult<Claim> {
    check_key(key)?;
    use idempotency_record::Column as R;
    for _ in 0..2 {
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
        })
        .on_conflict_do_nothing_on([R::Scope, R::Key])
        .exec(db)
        .await?;
        if matches!(inserted, sea_orm::TryInsertResult::Inserted(_)) {
            return Ok(Claim::Execute(id));
        }
        let Some(existing) =
            idempotency_record::Entity::find().filter(R::Scope.eq(scope)).filter(R::Key.eq(key)).one(db).await?
        else {
            continue; // removed between our insert and read: try again
        };
        if existing.expires_at <= now {
            // Forgotten: clear it and claim afresh.
            idempotency_record::Entity::delete_many()
                .filter(R::Id.eq(existing.id))
                .filter(R::ExpiresAt.lte(now))
                .exec(db)
                .await?;
            continue;
        }
        if existing.request_hash != request_hash {
            return Ok(Claim::Mismatch);
        }
        return Ok(match (existing.status.as_str(), existing.response_body) {
            (COMPLETED, Some(body)) => Claim::Replay(body),
            _ => Claim::InFlight,
        });
    }
    Ok(Claim::InFlight)
}

/// Stores the response of the request that executed.
pub async fn complete(db: &DatabaseConnection, id: Uuid, response_body: String) -> DomainResult<()> {
    use idempotency_record::Column as R;
    idempotency_record::Entity::update_many()
        .col_expr(R::Status, sea_orm::sea_query::Expr::value(COMPLETED))
        .col_expr(R::ResponseBody, sea_orm::sea_query::Expr::value(response_body))
        .filter(R::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets a claim whose request failed before it could change anything, so a retry executes.
pub async fn abandon(db: &DatabaseConnection, id: Uuid) -> DomainResult<()> {
    idempotency_record::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Deletes expired records; returns how many.
pub async fn purge_expired(db: &DatabaseConnection) -> DomainResult<u64> {
    let result = idempotency_record::Entity::delete_many()
        .filter(idempotency_record::Column::ExpiresAt.lte(Utc::now()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
