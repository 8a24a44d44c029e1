//! Connecting to the database, migrating it, and opening write transactions that behave the
//! same on PostgreSQL and SQLite.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionOptions, TransactionTrait, sqlx::sqlite::SqliteJournalMode,
};

/// A lock id that every `oms` process takes around migrations, so two replicas starting at once
/// do not both try to create the same tables.
const MIGRATION_LOCK_ID: i64 = 0x006f_6d73_5f6d_6967;

/// Connects to `postgres://…` or `sqlite://…`. SQLite gets WAL, a busy timeout and foreign keys,
/// and a file that is created when missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        options.max_connections(8).map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
        });
    } else {
        options.max_connections(32).min_connections(1);
    }
    Database::connect(options).await
}

/// Applies every pending migration, holding an advisory lock on PostgreSQL.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    // Advisory locks belong to a session, so lock and unlock on one pooled connection.
    let conn = db.begin().await?;
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [MIGRATION_LOCK_ID.into()],
    ))
    .await?;
    Migrator::up(&conn, None).await?;
    conn.commit().await
}

/// Begins a transaction that will write. On SQLite it starts IMMEDIATE, taking the write lock
/// up front: a deferred transaction that reads and then writes can deadlock with another one.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    } else {
        db.begin().await
    }
}

/// Whether the database answers: what `/readyz` asks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}
