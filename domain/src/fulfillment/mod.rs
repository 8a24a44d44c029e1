//! Fulfilment: the fulfilment orders locations work through — release, accept, pack, ship,
//! deliver, store pickup — re-routing when a location rejects one, and backorders filled when
//! stock frees. Every action locks the order first (see [`crate::locks`]) and derives the
//! order's status from what is committed.
//!
//! - `creation`: fulfilment orders made from a routing plan;
//! - `access`: who may see and work on a location's fulfilment orders, and their queue;
//! - `transitions`: the steps of a fulfilment order's life;
//! - `rerouting`: a rejection given back and routed elsewhere;
//! - `deadlines`: fulfilment orders not accepted in time, routed elsewhere as a rejection is;
//! - `backorders`: waiting units filled whenever stock frees.
mod access;
pub mod backorders;
mod creation;
pub mod deadlines;
mod rerouting;
mod transitions;

pub use access::list_for_locations;
pub(crate) use creation::status_for_new_work;
pub use creation::{LineNeed, create_fulfillment_orders, shares};
pub(crate) use rerouting::{demands_of, destination_of, rejected_locations};
pub(crate) use transitions::follow;
pub use transitions::{Action, MAX_PICKUP_ATTEMPTS, act};
