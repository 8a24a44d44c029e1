//! sea-orm entities: one module per table, data only. Business rules live in `domain`.

pub mod channel_confirmation_rule;
pub mod customer;
pub mod enums;
pub mod fulfillment_order;
pub mod fulfillment_order_line;
pub mod idempotency_record;
pub mod inventory_level;
pub mod inventory_movement;
pub mod job;
pub mod location;
pub mod location_capacity_usage;
pub mod location_webhook;
pub mod notification;
pub mod order;
pub mod order_event;
pub mod order_line;
pub mod outbox_message;
pub mod product;
pub mod promotion;
pub mod routing_decision;
pub mod routing_rule;
pub mod tax_rate;
pub mod webhook_delivery;
