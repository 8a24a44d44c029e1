//! Connecting to the database, migrating it, and opening write transactions that behave the
//! same on PostgreSQL and SQLite.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionOptions, TransactionTrait,
    sqlx::postgres::{PgConnectOptions, PgSslMode},
    sqlx::sqlite::SqliteJournalMode,
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
        let url = url.to_owned();
        options.map_sqlx_postgres_opts(move |opts| with_tls_rule(&url, opts));
    }
    Database::connect(options).await
}

/// `opts` (parsed from `url`) with the service's TLS rule applied: a server on this machine is
/// spoken to in plain unless the operator chose a mode (see [`names_ssl_mode`]). Public so a
/// plain sqlx pool (the load generator's raw-SQL baseline) connects exactly as the service does.
pub fn with_tls_rule(url: &str, opts: PgConnectOptions) -> PgConnectOptions {
    if names_ssl_mode(url, std::env::var_os("PGSSLMODE").is_some()) || !is_loopback(opts.get_host()) {
        opts
    } else {
        opts.ssl_mode(PgSslMode::Disable)
    }
}

/// Whether the operator chose how to use TLS: `sslmode` in the URL, or `PGSSLMODE`.
///
/// When they did not, a server on this host is spoken to in plain: TLS over loopback protects
/// nothing (the bytes never leave the kernel) and cost a quarter of PostgreSQL's CPU per read
/// here (BENCHMARKS.md). Any other host keeps libpq's default, `prefer`, and a chosen mode
/// always wins.
fn names_ssl_mode(url: &str, in_environment: bool) -> bool {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    in_environment
        || query.split('&').any(|pair| {
            let name = pair.split_once('=').map_or(pair, |(n, _)| n);
            name.eq_ignore_ascii_case("sslmode") || name.eq_ignore_ascii_case("ssl-mode")
        })
}

/// A host that is this machine; a Unix socket's directory (no TLS there at all) counts too.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.starts_with('/')
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// PostgreSQL connections per process: `OMS_DB_MAX_CONNECTIONS`, 32 by default. Several
/// processes on one server must stay under its `max_connections` together (3 APIs and 2 workers
/// at 32 each already want 160 of PostgreSQL's default 100 when busy). Queries want many (a
/// page's loaders run at once); write transactions are held to a few per core by the API's
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

/// Rows PostgreSQL wrote as JSON in one column (`json_agg(t)`, `row_to_json(t)`) beside a
/// statement's other columns: its JSON of a row names the columns as the entity's fields are
/// named and writes timestamps in RFC 3339, so the entity's model reads it back as it would the
/// row. A NULL column (no row) is `None`.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(
    row: &sea_orm::QueryResult,
    column: &str,
) -> Result<Option<T>, DbErr> {
    let text: Option<String> = row.try_get("", column)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| DbErr::Json(format!("{column}: {e}")))).transpose()
}

/// A list PostgreSQL aggregated to JSON ([`json_column`]), empty when NULL.
pub(crate) fn json_list<T: serde::de::DeserializeOwned>(
    row: &sea_orm::QueryResult,
    column: &str,
) -> Result<Vec<T>, DbErr> {
    Ok(json_column(row, column)?.unwrap_or_default())
}

/// Whether the database answers: what `/readyz` asks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_ssl_mode_is_seen_in_the_url_or_the_environment() {
        assert!(!names_ssl_mode("postgres://postgres@127.0.0.1:5432/oms", false));
        assert!(!names_ssl_mode("postgres://u@127.0.0.1/oms?application_name=oms", false));
        assert!(names_ssl_mode("postgres://u@127.0.0.1/oms?sslmode=require", false));
        assert!(names_ssl_mode("postgres://u@127.0.0.1/oms?application_name=a&SSLMODE=prefer", false));
        assert!(names_ssl_mode("postgres://u@127.0.0.1/oms?ssl-mode=verify-full", false));
        assert!(names_ssl_mode("postgres://u@127.0.0.1/oms", true));
    }

    #[test]
    fn only_this_machine_is_loopback() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]", "/var/run/postgresql"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["db.example.com", "10.0.0.5", "192.168.1.2", "2001:db8::1", "localhost.example.com"] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
