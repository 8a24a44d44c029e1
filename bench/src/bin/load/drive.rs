//! Driving GraphQL over HTTP: `concurrency` tasks, each sending one request at a time to the API
//! processes in turn, for a warm-up and then a measured period.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oms_bench::Rng;
use serde_json::Value;

/// What one scenario sends and how it reads the answers.
pub trait Workload: Send + Sync + 'static {
    /// The next request body (`{"query": …, "variables": …}`).
    fn request(&self, rng: &mut Rng) -> Value;
    /// The payload's field in `data` whose `userErrors` say whether it was refused; `None` for
    /// queries.
    fn payload(&self) -> Option<&'static str>;
}

/// How a run went, from the client's side.
#[derive(Default, Debug)]
pub struct Tally {
    /// Nanoseconds of each request that got an answer.
    pub latencies: Vec<u64>,
    pub ok: u64,
    /// Refusals by userErrors code (e.g. OUT_OF_STOCK in the hot-SKU race): answers, not errors.
    pub refused: BTreeMap<String, u64>,
    /// Transport failures, non-200 answers, GraphQL errors.
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Tally {
    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.ok += other.ok;
        for (code, n) in other.refused {
            *self.refused.entry(code).or_default() += n;
        }
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn error(&mut self, text: String) {
        self.errors += 1;
        self.first_error.get_or_insert_with(|| text.chars().take(300).collect());
    }

    fn judge(&mut self, payload: Option<&str>, status: u16, body: &str) {
        if status != 200 {
            return self.error(format!("HTTP {status}: {body}"));
        }
        let Ok(json) = serde_json::from_str::<Value>(body) else { return self.error(format!("not JSON: {body}")) };
        if json.get("errors").is_some_and(|e| !e.is_null()) {
            return self.error(json["errors"].to_string());
        }
        match payload.map(|p| &json["data"][p]["userErrors"]) {
            Some(Value::Array(errors)) if !errors.is_empty() => {
                let code = errors[0]["code"].as_str().unwrap_or("?").to_owned();
                *self.refused.entry(code).or_default() += 1;
            }
            _ => self.ok += 1,
        }
    }
}

pub struct Target {
    pub client: reqwest::Client,
    pub urls: Vec<String>,
    pub token: String,
}

/// Runs the workload for `measure`; returns the measured tally and its wall time. Warm up first
/// with [`warm_up`].
pub async fn run(
    target: &Arc<Target>,
    workload: &Arc<dyn Workload>,
    concurrency: usize,
    measure: Duration,
    seed: u64,
) -> (Tally, Duration) {
    period(target, workload, concurrency, measure, seed).await
}

/// Runs the workload for `length`, unmeasured: caches, pools and plans settle before a
/// measurement (and before its CPU is sampled).
pub async fn warm_up(
    target: &Arc<Target>,
    workload: &Arc<dyn Workload>,
    concurrency: usize,
    length: Duration,
    seed: u64,
) {
    if !length.is_zero() {
        let _ = period(target, workload, concurrency, length, seed ^ 0xAAAA).await;
    }
}

async fn period(
    target: &Arc<Target>,
    workload: &Arc<dyn Workload>,
    concurrency: usize,
    length: Duration,
    seed: u64,
) -> (Tally, Duration) {
    let started = Instant::now();
    let deadline = started + length;
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            let (target, workload) = (target.clone(), workload.clone());
            let mut rng = Rng::new(seed ^ 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1));
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut n = i;
                while Instant::now() < deadline {
                    let body = workload.request(&mut rng);
                    let url = &target.urls[n % target.urls.len()];
                    n += 1;
                    let sent = Instant::now();
                    let answer = async {
                        let r = target.client.post(url).bearer_auth(&target.token).json(&body).send().await?;
                        let status = r.status().as_u16();
                        Ok::<_, reqwest::Error>((status, r.text().await?))
                    }
                    .await;
                    match answer {
                        Ok((status, text)) => {
                            tally.latencies.push(u64::try_from(sent.elapsed().as_nanos()).unwrap_or(u64::MAX));
                            tally.judge(workload.payload(), status, &text);
                        }
                        Err(e) => tally.error(format!("transport: {e}")),
                    }
                }
                tally
            })
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        match task.await {
            Ok(t) => total.merge(t),
            Err(e) => total.error(format!("task: {e}")),
        }
    }
    (total, started.elapsed())
}

/// One GraphQL call with the admin token, for seeding; an error or a userError stops the run.
pub async fn call(target: &Target, query: &str, variables: Value) -> crate::Res<Value> {
    let body: Value = target
        .client
        .post(&target.urls[0])
        .bearer_auth(&target.token)
        .json(&serde_json::json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await?;
    if body.get("errors").is_some_and(|e| !e.is_null()) {
        return Err(format!("GraphQL errors: {}", body["errors"]).into());
    }
    let user_errors: Vec<&Value> = body["data"]
        .as_object()
        .map(|o| o.values().filter_map(|p| p["userErrors"].as_array()).flatten().collect())
        .unwrap_or_default();
    if let Some(e) = user_errors.first() {
        return Err(format!("refused while seeding: {e}").into());
    }
    Ok(body["data"].clone())
}
