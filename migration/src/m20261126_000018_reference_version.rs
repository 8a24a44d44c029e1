//! The version of the reference data: locations, routing rules, tax rates and the channels'
//! confirmation rules. Every order reads them and admins rarely change them, so each `oms`
//! process keeps a copy (`domain::reference`) and checks it against this one row's token: one
//! primary-key read instead of four tables per order.
//!
//! Triggers give the row a new random token in the same transaction as any change to those
//! tables, whoever makes it (the API, a later migration, an operator's SQL), so a copy is never
//! used past a committed change. A random token, not a counter: a change that rolls back must
//! not leave behind a number that a later, different change would reuse.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables the reference copy is made of.
const TABLES: &[&str] = &["locations", "routing_rules", "tax_rates", "channel_confirmation_rules"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let mut statements: Vec<String> = Vec::new();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                statements.push(
                    "CREATE TABLE reference_version (id integer PRIMARY KEY CHECK (id = 1), token text NOT NULL, \
                     changed_at timestamptz NOT NULL DEFAULT now())"
                        .to_owned(),
                );
                statements
                    .push("INSERT INTO reference_version (id, token) VALUES (1, gen_random_uuid()::text)".to_owned());
                statements.push(
                    "CREATE FUNCTION reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                     UPDATE reference_version SET token = gen_random_uuid()::text, changed_at = now() WHERE id = 1; \
                     RETURN NULL; END $$"
                        .to_owned(),
                );
                for table in TABLES {
                    statements.push(format!(
                        "CREATE TRIGGER {table}_reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE \
                         ON {table} FOR EACH STATEMENT EXECUTE FUNCTION reference_changed()"
                    ));
                }
            }
            _ => {
                statements.push(
                    "CREATE TABLE reference_version (id integer PRIMARY KEY CHECK (id = 1), token text NOT NULL, \
                     changed_at text NOT NULL DEFAULT CURRENT_TIMESTAMP)"
                        .to_owned(),
                );
                statements.push(
                    "INSERT INTO reference_version (id, token) VALUES (1, lower(hex(randomblob(16))))".to_owned(),
                );
                // SQLite has row triggers only, one per event.
                for table in TABLES {
                    for event in ["INSERT", "UPDATE", "DELETE"] {
                        statements.push(format!(
                            "CREATE TRIGGER {table}_reference_changed_{} AFTER {event} ON {table} BEGIN \
                             UPDATE reference_version SET token = lower(hex(randomblob(16))), \
                             changed_at = CURRENT_TIMESTAMP WHERE id = 1; END",
                            event.to_lowercase()
                        ));
                    }
                }
            }
        }
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}
