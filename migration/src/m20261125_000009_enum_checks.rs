//! The database refuses values the code cannot read: every enum column gets its list of known
//! values. PostgreSQL takes a named CHECK constraint; SQLite cannot add one to an existing table,
//! so there two triggers (insert, and update of the column) abort with the same name.
//!
//! The lists are written out here, not taken from `entities::enums`: a migration is frozen in
//! time, and adding a value later is a new migration. A test (`enum_checks` in `tests/`) proves
//! they still match the enums.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, column, the values it may hold).
const CHECKS: &[(&str, &str, &[&str])] = &[
    (
        "orders",
        "status",
        &[
            "PENDING",
            "CONFIRMED",
            "PARTIALLY_SHIPPED",
            "SHIPPED",
            "DELIVERED",
            "READY_FOR_PICKUP",
            "PICKED_UP",
            "CANCELLED",
        ],
    ),
    ("orders", "channel", &["WEB", "MOBILE", "CALL_CENTER", "STORE", "MARKETPLACE"]),
    ("orders", "delivery_method", &["SHIP", "PICKUP", "DIGITAL"]),
    ("orders", "backorder_policy", &["REJECT", "BACKORDER"]),
    (
        "fulfillment_orders",
        "status",
        &[
            "PENDING",
            "RELEASED",
            "ACCEPTED",
            "PACKED",
            "SHIPPED",
            "DELIVERED",
            "READY_FOR_PICKUP",
            "PICKED_UP",
            "REJECTED",
            "CANCELLED",
        ],
    ),
    (
        "inventory_movements",
        "kind",
        &["RECEIPT", "ADJUSTMENT", "SAFETY_STOCK", "RESERVE", "RELEASE", "SHIP", "RESTOCK", "WRITE_OFF", "TRANSFER"],
    ),
    ("locations", "kind", &["WAREHOUSE", "DISTRIBUTION_CENTER", "STORE", "SUPPLIER"]),
    ("products", "kind", &["PHYSICAL", "DIGITAL", "SERVICE"]),
    ("order_lines", "product_kind", &["PHYSICAL", "DIGITAL", "SERVICE"]),
];

/// The statements that make the database refuse any other value, on this backend.
fn statements(backend: DatabaseBackend) -> Vec<String> {
    let mut out = Vec::new();
    for (table, column, values) in CHECKS {
        let name = format!("ck_{table}_{column}");
        let list = values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
        match backend {
            DatabaseBackend::Sqlite => {
                for (suffix, event) in [("insert", "INSERT".to_owned()), ("update", format!("UPDATE OF {column}"))] {
                    out.push(format!(
                        "CREATE TRIGGER {name}_{suffix} BEFORE {event} ON {table} FOR EACH ROW \
                         WHEN NEW.{column} NOT IN ({list}) BEGIN SELECT RAISE(ABORT, '{name}'); END"
                    ));
                }
            }
            _ => out.push(format!("ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} IN ({list}))")),
        }
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in statements(manager.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}
