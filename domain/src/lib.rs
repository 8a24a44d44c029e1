//! The business of the OMS: catalogue, locations, inventory, routing, orders, pricing,
//! promotions, idempotency and the outbox. Plain async Rust over sea-orm connections: no HTTP,
//! no GraphQL, no queue types in its API.
pub mod allocation;
pub mod auth;
pub mod batch;
pub mod capacity;
pub mod catalog;
pub mod customers;
pub mod db;
pub mod error;
pub mod fulfillment;
pub mod idempotency;
pub mod inventory;
pub mod jobs;
pub mod locations;
pub mod locks;
pub mod money;
pub mod notifications;
pub mod orders;
pub mod outbox;
pub mod pagination;
pub mod payments;
pub mod pricing;
pub mod promise;
pub mod promotions;
pub mod reference;
pub mod returns;
pub mod routing;
pub mod scheduling;
pub mod seed;
pub mod tax;
pub mod validate;
pub mod webhooks;

pub use error::{DomainError, DomainResult, ErrorCode, UserError};
pub use sea_orm::DatabaseConnection;
