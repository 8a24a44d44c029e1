//! The database refuses enum values the code cannot read. PostgreSQL takes a named CHECK
//! constraint; SQLite cannot add one to an existing table, so there two triggers (insert, and
//! update of the column) abort with the same name.
//!
//! Migrations pass their value lists written out literally: a migration is frozen in time, and
//! adding a value later is a new migration calling [`replace`] with the whole new list.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

fn name(table: &str, column: &str) -> String {
    format!("ck_{table}_{column}")
}

/// The statements that make the database refuse any value of `table.column` not in `values`.
fn add_statements(backend: DatabaseBackend, table: &str, column: &str, values: &[&str]) -> Vec<String> {
    let name = name(table, column);
    let list = values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
    match backend {
        DatabaseBackend::Sqlite => [("insert", "INSERT".to_owned()), ("update", format!("UPDATE OF {column}"))]
            .into_iter()
            .map(|(suffix, event)| {
                format!(
                    "CREATE TRIGGER {name}_{suffix} BEFORE {event} ON {table} FOR EACH ROW \
                     WHEN NEW.{column} NOT IN ({list}) BEGIN SELECT RAISE(ABORT, '{name}'); END"
                )
            })
            .collect(),
        _ => vec![format!("ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} IN ({list}))")],
    }
}

/// Adds the check on `table.column`.
pub async fn add(manager: &SchemaManager<'_>, table: &str, column: &str, values: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in add_statements(manager.get_database_backend(), table, column, values) {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Replaces the check on `table.column` with one allowing exactly `values` (the whole list).
///
/// On one connection, in one transaction (a savepoint when the migration already runs in one,
/// as `m20261125_000014_order_changed_event` does): SQLite migrations otherwise run each
/// statement on any pooled connection, and one whose schema cache predates the triggers takes
/// `DROP TRIGGER IF EXISTS` for a no-op (nothing in it checks the schema), so the `CREATE` that
/// follows finds the trigger still there. Reading the schema first makes the connection load the
/// current one.
pub async fn replace(manager: &SchemaManager<'_>, table: &str, column: &str, values: &[&str]) -> Result<(), DbErr> {
    let txn = manager.begin().await?;
    let db = txn.get_connection();
    let name = name(table, column);
    match txn.get_database_backend() {
        DatabaseBackend::Sqlite => {
            db.execute_unprepared("SELECT count(*) FROM sqlite_master").await?;
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}_insert")).await?;
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}_update")).await?;
        }
        _ => {
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")).await?;
        }
    }
    add(&txn, table, column, values).await?;
    txn.commit().await
}
