//! `oms`: one binary, many subcommands. `cargo run` with no arguments serves the embedded
//! default: SQLite, GraphiQL on http://127.0.0.1:8080/graphql.
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use domain::auth::{Role, TokenKeys};
use migration::MigratorTrait as _;
use oms_api::{Application, Migrations, Settings};
use oms_worker::WorkerSettings;

/// Every request and every row allocates: with glibc's allocator, malloc and free were about 13 %
/// of the service's CPU under load, and mimalloc cut its CPU per order by a tenth
/// (BENCHMARKS.md, sixth sitting).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "oms", version, about = "An order management system: GraphQL API, inventory, orders.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// The API and the job workers in one process, with migrations applied at start (the
    /// default).
    Serve,
    /// The API only; the database must already be migrated.
    Api,
    /// The job workers only (the outbox relay and the queues' workers); the database must
    /// already be migrated. Run as many as you like; SIGTERM drains in-flight jobs.
    Worker,
    /// Applies pending migrations and exits.
    Migrate,
    /// Loads data.
    Seed {
        /// A demo catalogue, locations in real cities, stock, tax rates and promotions.
        #[arg(long)]
        demo: bool,
    },
    /// Prints a bearer token signed with this installation's secret.
    Token {
        /// customer, agent, associate or admin.
        #[arg(long)]
        role: String,
        /// The customer record a customer token acts for.
        #[arg(long)]
        customer_id: Option<uuid::Uuid>,
        /// Comma-separated location codes an associate works at.
        #[arg(long, value_delimiter = ',')]
        locations: Vec<String>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 86_400)]
        ttl: i64,
        /// The token's subject (who it names in the timeline and the ledger).
        #[arg(long)]
        subject: Option<String>,
    },
    /// Prints the GraphQL schema (SDL), or writes it to a file.
    ExportSchema {
        /// Where to write it; standard output when absent.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(Migrations::Apply, true).await,
        Command::Api => serve(Migrations::Require, false).await,
        Command::Worker => worker().await,
        Command::Migrate => {
            let settings = Settings::from_env()?;
            let db = domain::db::connect(&settings.database_url).await.context("connecting to the database")?;
            oms_api::app::migrate(&db).await.context("migrating")?;
            tracing::info!("database migrated");
            Ok(())
        }
        Command::Seed { demo } => {
            anyhow::ensure!(demo, "say what to seed: `oms seed --demo`");
            let settings = Settings::from_env()?;
            let db = domain::db::connect(&settings.database_url).await.context("connecting to the database")?;
            oms_api::app::migrate(&db).await.context("migrating")?;
            let summary = domain::seed::seed_demo(&db).await.map_err(|e| anyhow::anyhow!("seeding failed: {e:?}"))?;
            println!("{summary:?}");
            Ok(())
        }
        Command::Token { role, customer_id, locations, ttl, subject } => {
            let role = Role::parse(&role).context("--role must be customer, agent, associate or admin")?;
            anyhow::ensure!(ttl > 0, "--ttl must be positive");
            anyhow::ensure!(role != Role::Customer || customer_id.is_some(), "a customer token needs --customer-id");
            let settings = Settings::from_env()?;
            let keys = TokenKeys::from_secret(&settings.jwt_secret.0);
            let subject = subject.unwrap_or_else(|| format!("{}-cli", role.as_str()));
            println!("{}", keys.issue_for(&subject, role, customer_id, locations, ttl)?);
            Ok(())
        }
        Command::ExportSchema { output } => {
            let sdl = oms_api::graphql::sdl();
            match output {
                Some(path) => std::fs::write(&path, sdl).with_context(|| format!("writing {}", path.display()))?,
                None => print!("{sdl}"),
            }
            Ok(())
        }
    }
}

async fn serve(migrations: Migrations, with_workers: bool) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let worker_settings = if with_workers { Some(WorkerSettings::from_env()?) } else { None };
    let app = Application::build(&settings, migrations).await?;
    let pool = match worker_settings {
        Some(ws) => {
            tracing::info!(
                queue = if ws.redis_url.is_some() { "redis" } else { "sqlite" },
                email = if ws.smtp_url.is_some() { "smtp" } else { "files" },
                "job workers starting"
            );
            match oms_worker::spawn(app.db().clone(), ws) {
                Ok(pool) => Some(pool),
                // PostgreSQL without Redis: serve anyway; jobs wait in the outbox until a worker
                // with REDIS_URL runs.
                Err(oms_worker::PoolError::Connect(e)) => {
                    tracing::warn!(error = %e, "job workers not started; jobs wait in the outbox");
                    None
                }
                Err(e) => return Err(e.into()),
            }
        }
        None => None,
    };
    tracing::info!(port = app.port(), database = %redact(&settings.database_url), "OMS listening");
    println!("GraphiQL: http://{}/graphql", display_addr(&settings.bind, app.port()));
    if settings.is_embedded() {
        let token = app.keys().issue_for("admin", Role::Admin, None, Vec::new(), 30 * 86_400)?;
        println!("Admin token (30 days): {token}");
    }
    // The server returns on SIGTERM or Ctrl-C (actix stops gracefully); the workers then
    // finish their in-flight jobs before the process exits.
    let served = app.run().await.context("the server stopped");
    if let Some(pool) = pool {
        pool.shutdown().await.context("stopping the job workers")?;
    }
    served
}

async fn worker() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let ws = WorkerSettings::from_env()?;
    let db = domain::db::connect(&settings.database_url).await.context("connecting to the database")?;
    let pending = migration::Migrator::get_pending_migrations(&db).await?.len();
    anyhow::ensure!(pending == 0, "the database has {pending} pending migration(s): run `oms migrate` first");
    let pool = oms_worker::spawn(db, ws)?;
    shutdown_signal().await;
    tracing::info!("stopping: draining in-flight jobs");
    pool.shutdown().await.context("stopping the job workers")
}

/// SIGTERM (what orchestrators send) or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn display_addr(bind: &str, port: u16) -> String {
    let host = bind.rsplit_once(':').map_or(bind, |(h, _)| h);
    format!("{host}:{port}")
}

/// The URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_owned(),
    }
}
