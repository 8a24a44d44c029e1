//! Idempotency records below the HTTP layer: a crashed request's key is freed by its lease, not
//! after the 24 hours a record is kept, and expired records are purged.
use domain::idempotency::{self, Claim};
use entities::idempotency_record;
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;

use crate::helpers::{Backend, TestApp, on_both_backends};

/// Moves a column of every record to its `created_at`: a moment already past.
async fn expire(app: &TestApp, column: idempotency_record::Column) {
    idempotency_record::Entity::update_many()
        .col_expr(column, Expr::col(idempotency_record::Column::CreatedAt))
        .exec(&app.db)
        .await
        .expect("expire");
}

async fn a_crashed_requests_key_is_taken_over_after_its_lease(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.db;
    let Claim::Execute(crashed) = idempotency::claim(db, "agent:ann", "k-1", "h-1").await.expect("claim") else {
        panic!("a fresh key executes");
    };
    // While its lease runs, the key is busy; another body is still refused.
    assert_eq!(idempotency::claim(db, "agent:ann", "k-1", "h-1").await.expect("claim"), Claim::InFlight);
    assert_eq!(idempotency::claim(db, "agent:ann", "k-1", "h-2").await.expect("claim"), Claim::Mismatch);

    // The process dies; its lease runs out (not the 24 hours the record is kept).
    expire(&app, idempotency_record::Column::LeaseExpiresAt).await;
    let (one, two) = tokio::join!(
        idempotency::claim(db, "agent:ann", "k-1", "h-1"),
        idempotency::claim(db, "agent:ann", "k-1", "h-1")
    );
    let claims = [one.expect("claim"), two.expect("claim")];
    let takers: Vec<_> = claims.iter().filter(|c| matches!(c, Claim::Execute(_))).collect();
    assert_eq!(takers.len(), 1, "exactly one request takes the key over: {claims:?}");
    let Claim::Execute(taker) = takers[0].clone() else { unreachable!() };

    // The crashed holder, should it wake up, can no longer record an answer; the taker can.
    let late = idempotency::Stored { body: "{\"late\":true}".to_owned(), request_error: false };
    assert!(!idempotency::complete(db, &crashed, late).await.expect("complete"));
    let answer = idempotency::Stored { body: "{\"data\":{}}".to_owned(), request_error: false };
    assert!(idempotency::complete(db, &taker, answer.clone()).await.expect("complete"));
    assert_eq!(idempotency::claim(db, "agent:ann", "k-1", "h-1").await.expect("claim"), Claim::Replay(answer));
}

on_both_backends!(a_crashed_requests_key_is_taken_over_after_its_lease);

async fn expired_keys_are_purged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.db;
    for key in ["old-1", "old-2"] {
        let Claim::Execute(lease) = idempotency::claim(db, "admin:root", key, "h").await.expect("claim") else {
            panic!("a fresh key executes");
        };
        let stored = idempotency::Stored { body: "{}".to_owned(), request_error: false };
        assert!(idempotency::complete(db, &lease, stored).await.expect("complete"));
    }
    expire(&app, idempotency_record::Column::ExpiresAt).await;
    // Kept: a fresh answer, and a request still executing under its lease.
    let Claim::Execute(_running) = idempotency::claim(db, "admin:root", "running", "h").await.expect("claim") else {
        panic!("a fresh key executes");
    };
    assert_eq!(idempotency::purge_expired(db).await.expect("purge"), 2);
    assert_eq!(app.count("idempotency_records").await, 1);
    assert_eq!(idempotency::purge_expired(db).await.expect("purge"), 0);
    assert_eq!(idempotency::claim(db, "admin:root", "running", "h").await.expect("claim"), Claim::InFlight);
}

on_both_backends!(expired_keys_are_purged);
