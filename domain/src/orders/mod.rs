//! Orders: capture, the status rules, changes and reading them back.
mod capture;
mod change;
pub mod confirmation;
pub(crate) mod events;
mod expiry;
pub mod holds;
mod lifecycle;
pub mod notes;
mod query;
pub mod search;
pub(crate) mod status;
mod unwinding;
mod whole;

pub use capture::read as capture_read;
pub use capture::{BackorderPolicy, LineInput, MAX_LINES, PlaceOrder, ShippingAddressInput, place_order};
pub use change::{
    CancelLine, Change, ChangedOrder, MAX_CHANGES, OrderChange, cancel_lines, commit_order_change, preview_order_change,
};
pub use entities::enums::OrderEventKind;
pub use events::{OrderEventKindRules, record_event};
pub use expiry::expire_due;
pub use lifecycle::{cancel_order, confirm_automatically, confirm_order};
pub use query::{
    OrderFilter, events_for_orders, fulfillment_lines_for, fulfillment_orders_for_orders, get_order,
    get_order_by_number, lines_for_orders, list_orders,
};
pub use query::{check_routing_visible, reject_reason_for, timeline_for};
pub use status::{
    Channel, DeliveryMethod, FulfillmentStatus, FulfillmentStatusRules, OrderStatus, OrderStatusRules,
    derive_order_status,
};
pub use whole::{OrderKey, WholeOrder, get_whole_order, read_whole_order_by_kind, reads_whole_orders_in_one_statement};
