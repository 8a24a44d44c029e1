//! Forward-only schema migrations. One migration set serves PostgreSQL and SQLite, so only the
//! portable schema helpers are used (no arrays, no native enums: enums are short strings).
pub use sea_orm_migration::prelude::*;

pub mod checks;
mod m20261125_000001_catalog_and_inventory;
mod m20261125_000002_orders;
mod m20261125_000003_platform;
mod m20261125_000004_distributed_order_management;
mod m20261125_000005_idempotency_lease;
mod m20261125_000006_location_capacity;
mod m20261125_000007_pickup_attempts_and_backorders;
mod m20261125_000008_jobs_and_notifications;
mod m20261125_000009_enum_checks;
mod m20261125_000010_event_kind_and_run_status_checks;
mod m20261125_000011_scheduled_fulfilment;
mod m20261125_000014_order_changed_event;
mod m20261125_000015_order_care;
mod m20261125_000016_returns;
mod m20261125_000017_appointments;
mod m20261126_000018_reference_version;
mod m20261126_000019_list_indexes;
mod m20261126_000020_store_history_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_catalog_and_inventory::Migration),
            Box::new(m20261125_000002_orders::Migration),
            Box::new(m20261125_000003_platform::Migration),
            Box::new(m20261125_000004_distributed_order_management::Migration),
            Box::new(m20261125_000005_idempotency_lease::Migration),
            Box::new(m20261125_000006_location_capacity::Migration),
            Box::new(m20261125_000007_pickup_attempts_and_backorders::Migration),
            Box::new(m20261125_000008_jobs_and_notifications::Migration),
            Box::new(m20261125_000009_enum_checks::Migration),
            Box::new(m20261125_000010_event_kind_and_run_status_checks::Migration),
            Box::new(m20261125_000014_order_changed_event::Migration),
            Box::new(m20261125_000011_scheduled_fulfilment::Migration),
            Box::new(m20261125_000015_order_care::Migration),
            Box::new(m20261125_000017_appointments::Migration),
            Box::new(m20261125_000016_returns::Migration),
            Box::new(m20261126_000018_reference_version::Migration),
            Box::new(m20261126_000019_list_indexes::Migration),
            Box::new(m20261126_000020_store_history_indexes::Migration),
        ]
    }
}
