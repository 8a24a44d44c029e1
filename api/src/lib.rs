//! The OMS service: configuration, the GraphQL schema, HTTP and start-up.
pub mod admission;
pub mod app;
pub mod config;
pub mod graphql;
pub mod http;

pub use app::{Application, Migrations};
pub use config::Settings;
