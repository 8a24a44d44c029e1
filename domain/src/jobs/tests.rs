use super::*;

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
