//! OS processes for the stories that prove the job pipeline with real crashes: the `oms` binary
//! (built by this package from the API's own `main.rs`, see `tests/Cargo.toml`), a Redis server
//! of a test's own, and a client for a process's GraphQL API. Every child is killed and reaped
//! when its handle is dropped, so a failing test leaves no process behind; a failing test also
//! prints the end of each child's log.
use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uuid::Uuid;

/// The `oms` binary, as cargo built it for these tests.
const OMS: &str = env!("CARGO_BIN_EXE_oms-under-test");

/// A child process, killed (SIGKILL) and reaped when dropped.
pub struct Process {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Process {
    /// Starts `program` with exactly `env` (nothing inherited), its output to a log file.
    fn spawn(name: &str, program: &str, args: &[&str], env: &[(String, String)]) -> Process {
        let log = std::env::temp_dir().join(format!("oms-process-{name}-{}.log", Uuid::new_v4().simple()));
        let out = std::fs::File::create(&log).expect("create the log file");
        let err = out.try_clone().expect("clone the log file");
        let child = Command::new(program)
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name} ({program}): {e}"));
        Process { name: name.to_owned(), child, log }
    }

    /// Kills the process at once (SIGKILL), mid-whatever it was doing, as a crash or an
    /// out-of-memory kill would, and waits until it is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What the process wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many lines of the log contain `needle`.
    pub fn log_lines_with(&self, needle: &str) -> usize {
        self.log().lines().filter(|l| l.contains(needle)).count()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines.get(lines.len().saturating_sub(40)..).unwrap_or_default().join("\n");
            eprintln!("---- the last lines of {} ({}) ----\n{tail}", self.name, self.log.display());
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// How to start `oms` on a test's database: the environment every process of the test shares.
#[derive(Clone)]
pub struct Oms {
    env: Vec<(String, String)>,
}

impl Oms {
    pub fn new(database_url: &str, jwt_secret: &str) -> Oms {
        let env = [
            ("DATABASE_URL", database_url),
            ("OMS_JWT_SECRET", jwt_secret),
            // Each pass of a relay logs at debug, so a story can tell which processes relayed.
            ("RUST_LOG", "info,sqlx=warn,sea_orm=warn,oms_worker::relay=debug"),
            ("NO_COLOR", "1"),
            // Many stories run at once, each with several processes: small pools keep them all
            // under PostgreSQL's connection limit.
            ("OMS_DB_MAX_CONNECTIONS", "8"),
            // No scheduled work: its ticks would be jobs the stories do not count.
            ("OMS_TICK_EXPIRE_ORDERS_SECS", "0"),
            ("OMS_TICK_ACCEPTANCE_DEADLINES_SECS", "0"),
            ("OMS_TICK_PURGE_IDEMPOTENCY_KEYS_SECS", "0"),
            ("OMS_TICK_REQUEUE_LOST_JOBS_SECS", "0"),
            ("OMS_TICK_APPOINTMENTS_SECS", "0"),
        ];
        Oms { env: env.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect() }
    }

    /// The same, with `name` set to `value`.
    pub fn with(mut self, name: &str, value: &str) -> Oms {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `oms <command>`, without waiting for anything (a start that should fail).
    pub fn start(&self, name: &str, command: &str) -> Process {
        Process::spawn(name, OMS, &[command], &self.env)
    }

    /// `oms worker`: a relay and the queues' workers.
    pub fn worker(&self, name: &str) -> Process {
        Process::spawn(name, OMS, &["worker"], &self.env)
    }

    /// `oms serve` on a free port: the API, a relay and the workers in one process. Returns once
    /// it listens, with its address.
    pub async fn serve(&self, name: &str) -> (Process, String) {
        self.listening(name, "serve").await
    }

    /// `oms api` on a free port: the API alone (no relay, no workers). Returns once it listens.
    pub async fn api(&self, name: &str) -> (Process, String) {
        self.listening(name, "api").await
    }

    async fn listening(&self, name: &str, command: &str) -> (Process, String) {
        let env = self.clone().with("OMS_BIND", "127.0.0.1:0").env;
        let mut process = Process::spawn(name, OMS, &[command], &env);
        let address = eventually(Duration::from_secs(60), &format!("{name} to listen"), || {
            let running = process.is_running();
            let log = process.log();
            async move {
                assert!(running, "{name} exited before it listened:\n{log}");
                log.lines()
                    .find_map(|l| l.strip_prefix("GraphiQL: "))
                    .and_then(|url| url.strip_suffix("/graphql"))
                    .map(|a| a.trim().to_owned())
            }
        })
        .await;
        (process, address)
    }
}

/// Waits until `probe` answers `Some`, looking every 50 ms; fails the test after `timeout` (a
/// guard against hanging, not a measurement).
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(t) = probe().await {
            return t;
        }
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Redis server of the test's own, on a free port: the test may stop it without touching the
/// Redis other tests share. It writes nothing by itself; [`RedisServer::save`] takes a
/// snapshot, which it loads when started again, as a Redis with persistence would.
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    process: Option<Process>,
}

impl RedisServer {
    pub async fn start() -> RedisServer {
        let dir = std::env::temp_dir().join(format!("oms-redis-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create the Redis directory");
        let mut server = RedisServer { port: free_port(), dir, process: None };
        server.start_again().await;
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Writes a snapshot of everything Redis holds, to be loaded at the next start.
    pub async fn save(&self) {
        let client = redis::Client::open(self.url()).expect("redis URL");
        let mut conn = client.get_multiplexed_async_connection().await.expect("connect to Redis");
        redis::cmd("SAVE").query_async::<()>(&mut conn).await.expect("SAVE");
    }

    /// Kills the server (SIGKILL): every connection drops, and what it held since the last
    /// snapshot is gone.
    pub fn stop(&mut self) {
        self.process = None;
    }

    /// Starts the server again on the same port, from its snapshot if there is one; returns once
    /// it answers.
    pub async fn start_again(&mut self) {
        assert!(self.process.is_none(), "the Redis server is already running");
        let (port, dir) = (self.port.to_string(), self.dir.display().to_string());
        let args = ["--port", &port, "--bind", "127.0.0.1", "--dir", &dir, "--save", "", "--appendonly", "no"];
        let env = [("PATH".to_owned(), std::env::var("PATH").unwrap_or_default())];
        let mut process = Process::spawn(&format!("redis-{port}"), "redis-server", &args, &env);
        let url = self.url();
        eventually(Duration::from_secs(20), "redis-server to answer", || {
            let running = process.is_running();
            let url = url.clone();
            async move {
                assert!(running, "redis-server exited (is it installed, is the port free?)");
                let client = redis::Client::open(url).ok()?;
                let mut conn = client.get_multiplexed_async_connection().await.ok()?;
                redis::cmd("PING").query_async::<String>(&mut conn).await.ok()
            }
        })
        .await;
        self.process = Some(process);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.process = None;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("address").port()
}

/// Deletes a test's Redis keys (its queue prefix) when dropped, whether the test passed or not.
pub struct RedisKeys {
    pub url: String,
    pub prefix: String,
}

impl RedisKeys {
    /// A fresh queue prefix on the Redis at `url`.
    pub fn new(url: String) -> RedisKeys {
        RedisKeys { url, prefix: format!("oms-proc-{}.", Uuid::new_v4().simple()) }
    }

    /// Each worker's set of jobs in flight on `queue` (apalis-redis keeps one per worker until
    /// the jobs are done, or until another worker re-enqueues a dead one's), and its size.
    pub async fn in_flight(&self, queue: &str) -> Vec<(String, usize)> {
        let client = redis::Client::open(self.url.as_str()).expect("redis URL");
        let mut conn = client.get_multiplexed_async_connection().await.expect("connect to Redis");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}{queue}:inflight:*", self.prefix))
            .query_async(&mut conn)
            .await
            .expect("KEYS");
        let mut sets = Vec::new();
        for key in keys {
            let n: usize = redis::cmd("SCARD").arg(&key).query_async(&mut conn).await.expect("SCARD");
            sets.push((key, n));
        }
        sets
    }
}

impl Drop for RedisKeys {
    fn drop(&mut self) {
        let (url, prefix) = (self.url.clone(), self.prefix.clone());
        // Drop cannot await: clean up on a thread with its own runtime, and wait for it.
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                let Ok(client) = redis::Client::open(url) else { return };
                let Ok(mut conn) = client.get_multiplexed_async_connection().await else { return };
                let keys: Vec<String> =
                    redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.unwrap_or_default();
                if !keys.is_empty() {
                    let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A GraphQL client for a process's API.
pub struct Remote {
    pub address: String,
    pub token: String,
    client: reqwest::Client,
}

impl Remote {
    pub fn new(address: String, token: String) -> Remote {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        Remote { address, token, client }
    }

    /// Runs an operation; returns `data`, failing the test on anything but a 200 without errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("send the request");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }
}
