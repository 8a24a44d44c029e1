use super::*;
use crate::fulfillment::backorders::Freed;

#[test]
fn todays_outbox_rows_parse_into_jobs() {
    let id = Uuid::now_v7();
    let payload = format!("{{\"orderId\":\"{id}\"}}");
    assert_eq!(Job::from_row("oms.fulfillment", "release_order", &payload), Ok(Job::ReleaseOrder { order_id: id }));
    for kind in [
        "order_confirmed",
        "order_cancelled",
        "order_shipped",
        "order_delivered",
        "ready_for_pickup",
        "order_picked_up",
    ] {
        let job = Job::from_row("oms.notification", kind, &payload).expect("parses");
        assert_eq!(job.kind(), kind);
        assert_eq!(job.dedupe_key(), format!("{kind}:{id}"));
        assert_eq!(job.queue(), Queue::Notification);
    }
    assert!(matches!(Job::from_row("oms.notification", "nope", &payload), Err(JobParseError::UnknownKind { .. })));
    assert!(matches!(Job::from_row("oms.fulfillment", "release_order", "{}"), Err(JobParseError::BadPayload { .. })));
}

#[test]
fn a_job_round_trips_through_its_outbox_row() {
    let job = Job::notify(Uuid::now_v7(), NotificationEvent::OrderShipped);
    let back = Job::from_row(job.queue().outbox_name(), job.kind(), &job.payload().to_string());
    assert_eq!(back, Ok(job));
}

#[test]
fn a_repeatable_notification_is_told_once_per_version() {
    let id = Uuid::now_v7();
    let first = Job::notify_version(id, NotificationEvent::OrderChanged, 2);
    let second = Job::notify_version(id, NotificationEvent::OrderChanged, 3);
    assert_eq!(first.dedupe_key(), format!("order_changed:{id}:2"));
    assert_ne!(first.dedupe_key(), second.dedupe_key());
    let back = Job::from_row(first.queue().outbox_name(), first.kind(), &first.payload().to_string());
    assert_eq!(back, Ok(first));
}

#[test]
fn backoff_doubles_and_caps() {
    let p = RetryPolicy::default();
    assert_eq!(p.backoff(1).as_secs(), 5);
    assert_eq!(p.backoff(2).as_secs(), 10);
    assert_eq!(p.backoff(4).as_secs(), 40);
    assert_eq!(p.backoff(30), p.max_delay);
}

#[test]
fn every_job_round_trips_through_its_outbox_row() {
    let order_id = Uuid::now_v7();
    let freed = Freed {
        products: vec![Uuid::now_v7(), Uuid::now_v7()],
        arrived_at: Some(Uuid::now_v7()),
        freed_at: Some(chrono::Utc::now()),
        ..Freed::default()
    };
    let tick = Tick::at(ScheduledTask::ExpireOrders, std::time::Duration::from_secs(60), chrono::Utc::now());
    let held = Job::ReleaseHeld { order_id, hold_id: Uuid::now_v7() };
    for job in [
        Job::ReleaseOrder { order_id },
        Job::AutoConfirm { order_id },
        Job::fill_backorders(freed),
        Job::Tick(tick),
        held,
    ] {
        let back = Job::from_row(job.queue().outbox_name(), job.kind(), &job.payload().to_string());
        assert_eq!(back, Ok(job.clone()));
        assert_eq!(job.queue(), Queue::Fulfillment);
    }
}

#[test]
fn each_freeing_change_gets_its_own_fill() {
    let a = Job::fill_backorders(Freed::default());
    let b = Job::fill_backorders(Freed::default());
    assert_ne!(a.dedupe_key(), b.dedupe_key());
    assert!(a.dedupe_key().starts_with("fill_backorders:"));
}

#[test]
fn every_replica_writes_the_same_tick_for_a_period() {
    use chrono::TimeZone;
    let minute = std::time::Duration::from_secs(60);
    let at = |s: i64, ms: u32| chrono::Utc.timestamp_opt(s, ms * 1_000_000).single().expect("a time");
    let early = Tick::at(ScheduledTask::ExpireOrders, minute, at(1_790_000_040, 5));
    let late = Tick::at(ScheduledTask::ExpireOrders, minute, at(1_790_000_099, 999));
    let next = Tick::at(ScheduledTask::ExpireOrders, minute, at(1_790_000_100, 0));
    assert_eq!(early, late);
    assert_eq!(early.dedupe_key(), "tick:expire_orders:2026-09-21T14:14:00.000Z");
    assert_ne!(early.dedupe_key(), next.dedupe_key());
    let other = Tick::at(ScheduledTask::PurgeIdempotencyKeys, minute, at(1_790_000_040, 5));
    assert_ne!(early.dedupe_key(), other.dedupe_key(), "each task has its own ticks");
}
