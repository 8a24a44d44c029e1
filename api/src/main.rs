//! `oms`: one binary, many subcommands. `cargo run` with no arguments serves the embedded
//! default: SQLite, GraphiQL on http://127.0.0.1:8080/graphql.
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use domain::auth::{Role, TokenKeys};
use oms_api::{Application, Migrations, Settings};

#[derive(Parser)]
#[command(name = "oms", version, about = "An order management system: GraphQL API, inventory, orders.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// The API with migrations applied at start (the default).
    Serve,
    /// The API only; the database must already be migrated.
    Api,
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
        Command::Serve => serve(Migrations::Apply).await,
        Command::Api => serve(Migrations::Require).await,
        Command::Migrate => {
            let settings = Settings::from_env()?;
            let db = domain::db::connect(&settings.database_url).await.context("connecting to the database")?;
            domain::db::migrate(&db).await.context("migrating")?;
            tracing::info!("database migrated");
            Ok(())
        }
        Command::Seed { demo } => {
            anyhow::ensure!(demo, "say what to seed: `oms seed --demo`");
            let settings = Settings::from_env()?;
            let db = domain::db::connect(&settings.database_url).await.context("connecting to the database")?;
            domain::db::migrate(&db).await.context("migrating")?;
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

async fn serve(migrations: Migrations) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let app = Application::build(&settings, migrations).await?;
    tracing::info!(port = app.port(), database = %redact(&settings.database_url), "OMS listening");
    println!("GraphiQL: http://{}/graphql", display_addr(&settings.bind, app.port()));
    if settings.is_embedded() {
        let token = app.keys().issue_for("admin", Role::Admin, None, Vec::new(), 30 * 86_400)?;
        println!("Admin token (30 days): {token}");
    }
    app.run().await.context("the server stopped")
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
