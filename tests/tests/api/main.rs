//! End-to-end tests of the OMS: real server, real PostgreSQL and SQLite, GraphQL over HTTP.
mod helpers;

mod access;
mod concurrency;
mod dom;
mod inputs;
mod inventory;
mod lifecycle;
mod loaders;
mod replicas;
mod schema;
mod smoke;
mod smtp;
mod workers;
