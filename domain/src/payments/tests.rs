use chrono::Utc;
use entities::enums::{BackorderPolicy, Channel, DeliveryMethod};
use entities::order;
use uuid::Uuid;

use super::{Balance, PaymentStatus, balance, payment_status};
use crate::orders::OrderStatus;

fn order(status: OrderStatus, total: i64, paid: i64, refunded: i64) -> order::Model {
    order::Model {
        id: Uuid::nil(),
        number: "SO-000001".into(),
        number_seq: 1,
        channel: Channel::Web,
        status,
        customer_id: Uuid::nil(),
        customer_email: "a@example.com".into(),
        customer_name: "A".into(),
        customer_phone: None,
        ship_name: None,
        ship_line1: None,
        ship_line2: None,
        ship_city: None,
        ship_region: None,
        ship_postal_code: None,
        ship_country: None,
        ship_latitude: None,
        ship_longitude: None,
        delivery_method: DeliveryMethod::Ship,
        pickup_location_id: None,
        promo_code: None,
        promotion_id: None,
        note: None,
        currency: "EUR".into(),
        subtotal_minor: total,
        discount_minor: 0,
        shipping_minor: 0,
        tax_minor: 0,
        total_minor: total,
        version: 1,
        allow_split: true,
        backorder_policy: BackorderPolicy::Reject,
        placed_by: "t".into(),
        paid_minor: paid,
        refunded_minor: refunded,
        open_holds: 0,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

#[test]
fn the_balance_says_what_is_owed_either_way() {
    let b = balance(&order(OrderStatus::Confirmed, 10_000, 4_000, 0));
    assert_eq!(b, Balance { charged: 10_000, paid: 4_000, refunded: 0, owed: 6_000, refund_owed: 0 });
    // A partial cancellation brought the total below what was paid: the difference is owed back.
    let b = balance(&order(OrderStatus::Confirmed, 7_000, 10_000, 1_000));
    assert_eq!((b.owed, b.refund_owed), (0, 2_000));
    // A cancelled order charges nothing: all that was kept is owed back.
    let b = balance(&order(OrderStatus::Cancelled, 10_000, 10_000, 0));
    assert_eq!((b.charged, b.owed, b.refund_owed), (0, 0, 10_000));
}

#[test]
fn the_payment_status_follows_payments_then_refunds() {
    let status = |total, paid, refunded| payment_status(&order(OrderStatus::Confirmed, total, paid, refunded));
    assert_eq!(status(10_000, 0, 0), PaymentStatus::Unpaid);
    assert_eq!(status(10_000, 5_000, 0), PaymentStatus::PartiallyPaid);
    assert_eq!(status(10_000, 10_000, 0), PaymentStatus::Paid);
    assert_eq!(status(10_000, 12_000, 0), PaymentStatus::Paid);
    assert_eq!(status(10_000, 10_000, 2_500), PaymentStatus::PartiallyRefunded);
    assert_eq!(status(10_000, 10_000, 10_000), PaymentStatus::Refunded);
}
