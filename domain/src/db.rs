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
        // A busy connection is not pinged before each use (a round trip per statement outside
        // a transaction); one idle long enough to have been dropped by the server or a proxy is.
        options
            .max_connections(pool_size()?)
            .min_connections(1)
            .test_before_acquire_if_idle_for(Duration::from_secs(30));
    }
    Database::connect(options).await
}

/// PostgreSQL connections per process: `OMS_DB_MAX_CONNECTIONS`, 32 by default. Several
/// processes on one server must stay under its `max_connections` together (3 APIs and 2 workers
/// at 32 each already want 160 of PostgreSQL's default 100 when busy). Queries want many (a
/// page's DataLoaders run at once); write transactions are held to a few per core by the API's
/// admission of mutations (`api/src/admission.rs`) and the workers' concurrency per queue.
fn pool_size() -> Result<u32, DbErr> {
    match std::env::var("OMS_DB_MAX_CONNECTIONS") {
        Err(_) => Ok(32),
        Ok(v) => v.trim().parse::<u32>().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
            DbErr::Custom(format!("OMS_DB_MAX_CONNECTIONS must be a whole number from 1 to 1000, not '{v}'"))
        }),
    }
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

/// Whether a statement failed because PostgreSQL chose this transaction as a deadlock victim
/// (40P01) or could not serialise it (40001): the transaction did nothing, and running it again
/// is safe.
pub fn is_retryable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err else {
        return false;
    };
    match &**e {
        sea_orm::sqlx::Error::Database(db_err) => {
            matches!(db_err.code().as_deref(), Some("40P01") | Some("40001"))
        }
        _ => false,
    }
}

/// Runs a write transaction, and once more if the database aborted it as a deadlock victim or
/// for a serialization failure. Every flow takes its locks in the order of [`crate::locks`], so
/// this is a safety net, not the way correctness is reached.
pub async fn retry_once<T, F, Fut>(mut run: F) -> crate::DomainResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::DomainResult<T>>,
{
    match run().await {
        Err(crate::DomainError::Database(e)) if is_retryable(&e) => {
            tracing::warn!(error = %e, "transaction aborted by the database; running it once more");
            run().await
        }
        other => other,
    }
}

/// Whether the database answers: what `/readyz` asks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}
