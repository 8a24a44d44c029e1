//! End-to-end tests of the OMS: real server, real PostgreSQL and SQLite, GraphQL over HTTP.
mod background;
mod documents;
mod fixtures;
mod helpers;
mod processes;

mod access;
mod capacity;
mod changes;
mod concurrency;
mod confirmation;
mod dom;
mod edge;
mod enum_checks;
mod first_week;
mod idempotency_lease;
mod inputs;
mod inventory;
mod lifecycle;
mod loaders;
mod replicas;
mod scheduled;
mod schema;
mod smoke;
mod smtp;
mod worker_processes;
mod workers;
