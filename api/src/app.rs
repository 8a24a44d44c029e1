//! Building the running service: database, migrations, schema and HTTP server. Tests start the
//! real thing on port 0 through [`Application::build`].
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use domain::auth::TokenKeys;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::graphql;
use crate::graphql::documents::Documents;
use crate::http::{self, AppState};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot connect to the database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("the database has {0} pending migration(s): run `oms migrate` first")]
    NotMigrated(usize),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("{0}")]
    Admission(#[from] crate::admission::BadLimit),
    #[error("{0}")]
    Queues(#[from] oms_worker::queues::ConnectError),
}

/// Applies every pending migration: the schema's, and on SQLite the job queue's tables in the
/// same file, so that no table changes once anything serves or works.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), StartError> {
    domain::db::migrate(db).await?;
    oms_worker::QueueBackend::migrate_sqlite(db).await?;
    Ok(())
}

/// Whether to apply migrations at start (`oms serve`) or only insist they were (`oms api`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Migrations {
    Apply,
    Require,
}

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    db: DatabaseConnection,
    keys: TokenKeys,
    documents: Arc<Documents>,
}

impl Application {
    pub async fn build(settings: &Settings, migrations: Migrations) -> Result<Application, StartError> {
        let db = domain::db::connect(&settings.database_url).await?;
        Self::build_on(settings, db, migrations).await
    }

    /// Builds on a connection the caller made (tests use it to watch the statements sent).
    pub async fn build_on(
        settings: &Settings,
        db: DatabaseConnection,
        migrations: Migrations,
    ) -> Result<Application, StartError> {
        match migrations {
            Migrations::Apply => migrate(&db).await?,
            Migrations::Require => {
                let pending = Migrator::get_pending_migrations(&db).await?.len();
                if pending > 0 {
                    return Err(StartError::NotMigrated(pending));
                }
            }
        }
        let keys = TokenKeys::from_secret(&settings.jwt_secret.0);
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|source| StartError::Bind { addr: settings.bind.clone(), source })?;
        let port = listener.local_addr().map_err(|source| StartError::Bind { addr: settings.bind.clone(), source })?;
        let documents = Arc::new(Documents::new(graphql::MAX_DEPTH));
        let admission = Arc::new(crate::admission::Admission::from_env()?);
        let state = web::Data::new(AppState {
            db: db.clone(),
            schema: graphql::build_schema(db.clone()),
            watched_schema: graphql::build_watched_schema(db.clone()),
            keys: keys.clone(),
            documents: documents.clone(),
            admission,
        });
        let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(http::routes))
            .listen(listener)
            .map_err(|source| StartError::Bind { addr: settings.bind.clone(), source })?
            .run();
        Ok(Application { port: port.port(), server, db, keys, documents })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// The query documents the server has parsed (tests read how often they were reused).
    pub fn documents(&self) -> Arc<Documents> {
        self.documents.clone()
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Runs until stopped.
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}
