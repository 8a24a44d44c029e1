//! The system under test: a fresh PostgreSQL database, migrated by `oms migrate`, and `oms api`
//! (and optionally `oms worker`) processes started from the binary built beside this one. They
//! are separate processes so that their CPU time and peak memory can be read from /proc.
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use oms_bench::CpuTime;

use crate::Res;

/// The JWT secret the benchmark's servers sign with, so that `oms token` issues tokens they accept.
const SECRET: &str = "oms-bench-secret-not-for-production-0123456789abcdef";

pub struct Cluster {
    pub database: String,
    pub database_url: String,
    admin_url: String,
    pub urls: Vec<String>,
    apis: Vec<Child>,
    workers: Vec<Child>,
    keep: bool,
}

/// Where `oms` is: beside this binary. Under `cargo run`, it is built first with this binary's
/// profile and target directory, so `cargo run --release -p oms-bench -- place-orders` works on a
/// fresh clone and never measures a service older than its source (a no-op build takes a second).
fn oms_binary() -> Res<PathBuf> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    Ok(FOUND.get_or_init(locate_oms).clone()?)
}

fn locate_oms() -> Result<PathBuf, String> {
    let here = std::env::current_exe().map_err(|e| format!("where is oms-bench? {e}"))?;
    let oms = here.with_file_name("oms");
    if let Some(cargo) = std::env::var_os("CARGO") {
        build_oms(&cargo, &here)?;
    }
    if oms.exists() {
        Ok(oms)
    } else {
        Err(format!(
            "{} not found: build the service first with `cargo build --release -p oms-api -p oms-bench` \
             (same target directory)",
            oms.display()
        ))
    }
}

/// `cargo build -p oms-api -p oms-bench` into the directory this binary runs from: the same
/// packages as the documented build, so the features (and the artifacts) are the same ones.
fn build_oms(cargo: &OsStr, here: &Path) -> Result<(), String> {
    let (Some(profile_dir), Some(workspace)) = (here.parent(), Path::new(env!("CARGO_MANIFEST_DIR")).parent()) else {
        return Ok(());
    };
    let (Some(target_dir), Some(profile)) = (profile_dir.parent(), profile_dir.file_name().and_then(|p| p.to_str()))
    else {
        return Ok(());
    };
    let mut build = Command::new(cargo);
    // What `cargo run` set for this binary alone: left in, it would reach build scripts that
    // watch it (ring's watches CARGO_MANIFEST_DIR) and rebuild half the tree, twice.
    for (name, _) in std::env::vars_os() {
        let set_by_cargo_run = name.to_str().is_some_and(|n| {
            n.starts_with("CARGO_PKG_")
                || ["CARGO_MANIFEST_DIR", "CARGO_MANIFEST_PATH", "CARGO_CRATE_NAME", "CARGO_BIN_NAME", "OUT_DIR"]
                    .contains(&n)
        });
        if set_by_cargo_run {
            build.env_remove(&name);
        }
    }
    build.args(["build", "--quiet", "-p", "oms-api", "-p", "oms-bench", "--manifest-path"]);
    build.arg(workspace.join("Cargo.toml")).arg("--target-dir").arg(target_dir);
    match profile {
        "debug" => {}
        "release" => {
            build.arg("--release");
        }
        other => {
            build.args(["--profile", other]);
        }
    }
    eprintln!("building oms beside oms-bench ({profile})");
    let status = build.status().map_err(|e| format!("cargo build of oms: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("cargo build of oms failed ({status})")) }
}

fn free_port() -> Res<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn oms(database_url: &str) -> Res<Command> {
    let mut cmd = Command::new(oms_binary()?);
    cmd.env("DATABASE_URL", database_url)
        .env("OMS_JWT_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    Ok(cmd)
}

impl Cluster {
    /// A new database named after the scenario, migrated; no server yet.
    pub async fn create(postgres: &str, scenario: &str, keep: bool) -> Res<Cluster> {
        // Found (or built) before the database exists, so a failed build leaves none behind.
        oms_binary()?;
        let database = format!("oms_bench_{}_{}", scenario.replace('-', "_"), std::process::id());
        let admin_url = format!("{}/postgres", postgres.trim_end_matches('/'));
        let admin = sqlx_connect(&admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")))
            .execute(&admin)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}"))).execute(&admin).await?;
        admin.close().await;
        let database_url = format!("{}/{database}", postgres.trim_end_matches('/'));
        let status = oms(&database_url)?.arg("migrate").status()?;
        if !status.success() {
            return Err(format!("oms migrate failed: {status}").into());
        }
        Ok(Cluster { database, database_url, admin_url, urls: Vec::new(), apis: Vec::new(), workers: Vec::new(), keep })
    }

    /// Starts `n` API processes.
    pub fn start_apis(&mut self, n: usize) -> Res<()> {
        for _ in 0..n {
            let port = free_port()?;
            let child = oms(&self.database_url)?.arg("api").env("OMS_BIND", format!("127.0.0.1:{port}")).spawn()?;
            self.apis.push(child);
            self.urls.push(format!("http://127.0.0.1:{port}/graphql"));
        }
        Ok(())
    }

    /// Waits until every API process answers.
    pub async fn wait_until_up(&self) -> Res<()> {
        for url in &self.urls {
            wait_until_up(url).await?;
        }
        Ok(())
    }

    /// Starts `n` worker processes on Redis with a queue prefix of this run's own.
    pub fn start_workers(&mut self, n: usize, redis_url: &str) -> Res<()> {
        for _ in 0..n {
            let child = oms(&self.database_url)?
                .arg("worker")
                .env("REDIS_URL", redis_url)
                .env("OMS_QUEUE_PREFIX", &self.database)
                .env("OMS_MAIL_DIR", std::env::temp_dir().join(&self.database))
                .spawn()?;
            self.workers.push(child);
        }
        Ok(())
    }

    /// A bearer token of `role` for these servers.
    pub fn token(&self, role: &str) -> Res<String> {
        let out = oms(&self.database_url)?.args(["token", "--role", role]).stdout(Stdio::piped()).output()?;
        if !out.status.success() {
            return Err(format!("oms token failed: {}", out.status).into());
        }
        Ok(String::from_utf8(out.stdout)?.trim().to_owned())
    }

    /// CPU time of the API processes and of PostgreSQL serving this database.
    pub fn cpu(&self) -> ServerCpu {
        let apis = self.apis.iter().map(|c| process_cpu(c.id())).sum();
        ServerCpu { apis, postgres: CpuTime::now(&self.database).postgres }
    }

    /// The largest peak resident set of any API process, in MiB.
    pub fn peak_rss_mb(&self) -> f64 {
        self.apis.iter().map(|c| peak_rss_kb(c.id())).max().unwrap_or(0) as f64 / 1024.0
    }

    /// Stops the servers and drops the database (unless asked to keep it).
    pub async fn finish(mut self) -> Res<()> {
        for child in self.apis.iter_mut().chain(self.workers.iter_mut()) {
            // SIGTERM lets a worker drain; the API just stops.
            let _ = Command::new("kill").arg(child.id().to_string()).status();
        }
        for child in self.apis.iter_mut().chain(self.workers.iter_mut()) {
            let _ = child.wait();
        }
        if !self.keep {
            let admin = sqlx_connect(&self.admin_url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database)))
                .execute(&admin)
                .await?;
            admin.close().await;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ServerCpu {
    pub apis: Duration,
    pub postgres: Duration,
}

impl ServerCpu {
    pub fn since(&self, earlier: &ServerCpu) -> ServerCpu {
        ServerCpu {
            apis: self.apis.saturating_sub(earlier.apis),
            postgres: self.postgres.saturating_sub(earlier.postgres),
        }
    }

    pub fn add(&mut self, other: ServerCpu) {
        self.apis += other.apis;
        self.postgres += other.postgres;
    }
}

pub async fn sqlx_connect(url: &str) -> Res<sqlx::PgPool> {
    sqlx_pool(url, 2).await
}

/// A plain sqlx pool that connects as the service does (its TLS rule included), so the raw-SQL
/// baseline pays for the same connection.
pub async fn sqlx_pool(url: &str, connections: u32) -> Res<sqlx::PgPool> {
    let options = domain::db::with_tls_rule(url, url.parse()?);
    Ok(sqlx::postgres::PgPoolOptions::new().max_connections(connections).connect_with(options).await?)
}

async fn wait_until_up(url: &str) -> Res<()> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let probe = client.post(url).json(&serde_json::json!({ "query": "{ __typename }" })).send().await;
        if probe.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{url} did not answer within a minute").into())
}

/// utime + stime of a process, from /proc/<pid>/stat (100 Hz ticks).
fn process_cpu(pid: u32) -> Duration {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return Duration::ZERO };
    let Some((_, rest)) = text.rsplit_once(')') else { return Duration::ZERO };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// VmHWM (peak resident set) of a process, in KiB.
fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
