//! `TestApp::spawn`: the real service on a random port over a fresh database of its own, and a
//! small GraphQL client. Each test's database is dropped when its `TestApp` is.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::auth::Role;
use oms_api::{Application, Migrations, Settings};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

/// Which database a test runs on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Runs a story, an `async fn(Backend)`, once on PostgreSQL and once on SQLite: `on_both_backends!(story)`
/// makes the tests `story::postgres` and `story::sqlite`. With `multi_thread`, both run on a
/// four-thread runtime, for stories whose requests race each other.
macro_rules! on_both_backends {
    ($story:ident) => {
        $crate::helpers::on_both_backends!(@tests $story, #[tokio::test]);
    };
    ($story:ident, multi_thread) => {
        $crate::helpers::on_both_backends!(@tests $story, #[tokio::test(flavor = "multi_thread", worker_threads = 4)]);
    };
    (@tests $story:ident, #[$runtime:meta]) => {
        mod $story {
            #[$runtime]
            async fn postgres() {
                super::$story($crate::helpers::Backend::Postgres).await;
            }

            #[$runtime]
            async fn sqlite() {
                super::$story($crate::helpers::Backend::Sqlite).await;
            }
        }
    };
}
pub(crate) use on_both_backends;

/// Where the tests find PostgreSQL: `TEST_POSTGRES_URL`, or the local server.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn postgres_url_for(db_name: &str) -> String {
    let admin = postgres_admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{db_name}")
}

enum Store {
    Postgres { name: String },
    Sqlite { path: std::path::PathBuf },
}

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    client: reqwest::Client,
    keys: domain::auth::TokenKeys,
    settings: Settings,
    handle: actix_web::dev::ServerHandle,
    store: Store,
    documents: Arc<oms_api::graphql::documents::Documents>,
}

/// Creates an empty PostgreSQL database of a test's own; returns its name and URL.
pub async fn create_postgres_database() -> (String, String) {
    let name = format!("oms_test_{}", Uuid::new_v4().simple());
    let admin = Database::connect(postgres_admin_url()).await.expect("connect to PostgreSQL");
    admin
        .execute_raw(Statement::from_string(DbBackend::Postgres, format!("CREATE DATABASE {name}")))
        .await
        .expect("create test database");
    admin.close().await.expect("close admin connection");
    let url = postgres_url_for(&name);
    (name, url)
}

/// Drops a test's PostgreSQL database, whoever is still connected to it.
pub async fn drop_postgres_database(name: &str) {
    if let Ok(admin) = Database::connect(postgres_admin_url()).await {
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = admin.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await;
        let _ = admin.close().await;
    }
}

/// Creates an empty database and returns its URL and how to remove it.
async fn fresh_database(backend: Backend) -> (String, Store) {
    let id = Uuid::new_v4().simple().to_string();
    match backend {
        Backend::Postgres => {
            let (name, url) = create_postgres_database().await;
            (url, Store::Postgres { name })
        }
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("oms_test_{id}.db"));
            (format!("sqlite://{}", path.display()), Store::Sqlite { path })
        }
    }
}

impl TestApp {
    /// Starts the service on a fresh, migrated database.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_counting(backend, None).await
    }

    /// Like [`TestApp::spawn`], counting every SQL statement the service sends in `counter`.
    pub async fn spawn_counting(backend: Backend, counter: Option<Arc<AtomicUsize>>) -> TestApp {
        match counter {
            Some(counter) => {
                Self::spawn_observed(backend, move |_| {
                    counter.fetch_add(1, Ordering::SeqCst);
                })
                .await
            }
            None => Self::spawn_observed(backend, |_| {}).await,
        }
    }

    /// Like [`TestApp::spawn`], keeping every SQL statement the service sends, with its values,
    /// in `sent`: to re-run them under EXPLAIN and see what PostgreSQL read for them.
    pub async fn spawn_recording(backend: Backend, sent: Arc<Mutex<Vec<Statement>>>) -> TestApp {
        Self::spawn_observed(backend, move |info| {
            if let Ok(mut sent) = sent.lock() {
                sent.push(info.statement.clone());
            }
        })
        .await
    }

    async fn spawn_observed(
        backend: Backend,
        observe: impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
    ) -> TestApp {
        let (url, store) = fresh_database(backend).await;
        let mut db = domain::db::connect(&url).await.expect("connect to the test database");
        db.set_metric_callback(observe);
        let settings = Settings {
            database_url: url,
            bind: "127.0.0.1:0".to_owned(),
            jwt_secret: oms_api::config::Secret(format!("test-secret-{}", Uuid::new_v4()).into_bytes()),
        };
        let app = Application::build_on(&settings, db, Migrations::Apply).await.expect("build the application");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db().clone();
        let keys = app.keys().clone();
        let handle = app.handle();
        let documents = app.documents();
        tokio::spawn(app.run());
        TestApp {
            address,
            db,
            client: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client"),
            keys,
            settings,
            handle,
            store,
            documents,
        }
    }

    /// A second API replica on the same database, as production runs several `oms api`
    /// processes: its own pool, its own server, the same signing secret.
    pub async fn spawn_replica(&self) -> Replica {
        let app = Application::build(&self.settings, Migrations::Require).await.expect("build a replica");
        let replica = Replica { address: format!("http://127.0.0.1:{}", app.port()), handle: app.handle() };
        tokio::spawn(app.run());
        replica
    }

    /// The database URL, for processes started on this test's database.
    pub fn database_url(&self) -> &str {
        &self.settings.database_url
    }

    /// The signing secret, so processes started by the test accept its tokens.
    pub fn jwt_secret(&self) -> String {
        String::from_utf8_lossy(&self.settings.jwt_secret.0).into_owned()
    }

    /// How many requests found their query document parsed already (by text or by hash).
    pub fn documents_reused(&self) -> u64 {
        self.documents.hits()
    }

    /// A bearer token for `role`.
    pub fn token(&self, role: Role) -> String {
        self.keys.issue_for(&format!("test-{}", role.as_str()), role, None, Vec::new(), 3600).expect("token")
    }

    /// A customer token bound to `customer_id`.
    pub fn customer_token(&self, customer_id: &str) -> String {
        let id = Uuid::parse_str(customer_id).expect("customer id");
        self.keys.issue_for(&format!("customer-{id}"), Role::Customer, Some(id), Vec::new(), 3600).expect("token")
    }

    /// An associate token for these location codes.
    pub fn associate_token(&self, locations: &[&str]) -> String {
        let locations = locations.iter().map(|s| (*s).to_owned()).collect();
        self.keys.issue_for("associate-test", Role::Associate, None, locations, 3600).expect("token")
    }

    /// A token with every claim chosen by the test (e.g. two customers sharing one subject).
    pub fn token_for(&self, subject: &str, role: Role, customer_id: Option<Uuid>, locations: &[&str]) -> String {
        let locations = locations.iter().map(|s| (*s).to_owned()).collect();
        self.keys.issue_for(subject, role, customer_id, locations, 3600).expect("token")
    }

    pub fn admin(&self) -> String {
        self.token(Role::Admin)
    }

    /// POSTs a GraphQL request; returns the status and the JSON body.
    pub async fn post(&self, token: Option<&str>, idempotency_key: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.client.post(format!("{}/graphql", self.address)).json(body);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(k) = idempotency_key {
            request = request.header("Idempotency-Key", k);
        }
        let response = request.send().await.expect("send request");
        let status = response.status().as_u16();
        let json = response.json::<Value>().await.expect("JSON body");
        (status, json)
    }

    /// Runs a GraphQL operation and returns its whole response body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(token, None, &json!({ "query": query, "variables": variables })).await;
        assert_eq!(status, 200, "unexpected status; body: {body}");
        body
    }

    /// Runs a GraphQL operation as admin and returns `data`, failing on any top-level error.
    pub async fn admin_data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(Some(&self.admin()), query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("GET")
    }

    /// Counts the rows of a table, to prove a refused request wrote nothing.
    pub async fn count(&self, table: &str) -> i64 {
        self.scalar(format!("SELECT COUNT(*) AS n FROM {table}")).await
    }

    /// Row counts of every business table: equal before and after means nothing was written.
    pub async fn snapshot(&self) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        for t in [
            "products",
            "locations",
            "inventory_levels",
            "inventory_movements",
            "customers",
            "orders",
            "order_lines",
            "fulfillment_orders",
            "fulfillment_order_lines",
            "order_events",
            "outbox",
            "promotions",
            "tax_rates",
            "payments",
            "refunds",
            "refund_lines",
            "order_holds",
            "returns",
            "return_lines",
            "return_replacements",
        ] {
            out.push((t.to_owned(), self.count(t).await));
        }
        out.push(("reserved".to_owned(), self.sum("inventory_levels", "reserved").await));
        out.push(("on_hand".to_owned(), self.sum("inventory_levels", "on_hand").await));
        out.push(("promo_uses".to_owned(), self.sum("promotions", "used_count").await));
        out
    }

    pub async fn sum(&self, table: &str, column: &str) -> i64 {
        self.scalar(format!("SELECT CAST(COALESCE(SUM({column}), 0) AS BIGINT) AS n FROM {table}")).await
    }

    /// The number `n` that `sql` answers in its one row.
    async fn scalar(&self, sql: String) -> i64 {
        let statement = Statement::from_string(self.db.get_database_backend(), sql);
        let row = self.db.query_one_raw(statement).await.expect("query").expect("a row");
        row.try_get::<i64>("", "n").expect("n")
    }
}

/// Another API server on a test's database; stopped when dropped.
pub struct Replica {
    pub address: String,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Replica {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stopping only sends a command; awaiting it here would block the runtime that serves it.
        drop(self.handle.stop(false));
        let store = std::mem::replace(&mut self.store, Store::Sqlite { path: std::path::PathBuf::new() });
        // Drop cannot await: clean up on a thread with its own runtime, and wait for it.
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                match store {
                    Store::Postgres { name } => drop_postgres_database(&name).await,
                    Store::Sqlite { path } => {
                        if !path.as_os_str().is_empty() {
                            for suffix in ["", "-wal", "-shm"] {
                                let mut p = path.clone().into_os_string();
                                p.push(suffix);
                                let _ = std::fs::remove_file(p);
                            }
                            let _ = std::fs::remove_file(path.with_extension("secret"));
                        }
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}
