//! HTTP: GraphQL over POST (with bearer tokens and idempotency keys), GraphiQL over GET, and
//! the health probes.
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use domain::auth::{Actor, TokenKeys};
use domain::idempotency::{self, Claim, Lease, Stored};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use serde_json::json;

use crate::graphql::documents::Documents;
use crate::graphql::limits::ExecutionStarted;
use crate::graphql::loaders;
use crate::graphql::persisted_queries::{self, PersistedQueryError};
use crate::graphql::{self, OmsSchema};

/// What every handler shares.
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: OmsSchema,
    /// The schema for mutations holding an idempotency key: it tells whether execution started.
    pub watched_schema: OmsSchema,
    pub keys: TokenKeys,
    /// The query documents parsed so far, by text and by persisted-query hash.
    pub documents: Arc<Documents>,
    /// How many mutations run at once.
    pub admission: Arc<crate::admission::Admission>,
}

/// How long a request waits for another one with the same idempotency key to finish.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(10);
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(graphql_post))
        .route("/graphql", web::get().to(graphiql))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

/// A GraphQL-shaped error response with `extensions.code`.
fn error_response(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }).to_string())
}

/// A bad or expired bearer token: refused outright rather than treated as anonymous.
struct Unauthenticated;

impl Unauthenticated {
    fn response(self) -> HttpResponse {
        error_response(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "the bearer token is missing, invalid or expired")
    }
}

/// The caller: anonymous without a token.
fn authenticate(req: &HttpRequest, keys: &TokenKeys) -> Result<Actor, Unauthenticated> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(Actor::Anonymous);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let token = token.ok_or(Unauthenticated)?;
    keys.verify(token).map(Actor::from_claims).map_err(|_| Unauthenticated)
}

/// A stable fingerprint of a JSON body: object keys sorted, whitespace ignored, so a client that
/// re-serialises the same request is still recognised.
fn canonical_fingerprint(body: &serde_json::Value) -> String {
    // serde_json may keep insertion order, so keys are written in sorted order by hand.
    fn write(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push(':');
                    write(&map[k], out);
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut text = String::new();
    write(body, &mut text);
    idempotency::fingerprint(text.as_bytes())
}

/// The fingerprint an idempotency key is bound to: the body as sent, canonicalised. A
/// persisted-query request is fingerprinted as the plain request it stands for, its query text
/// (`query`, resolved from the hash when only the hash came) in and its `persistedQuery`
/// extension out: the hash-only retry of a mutation first sent with its query, or the same
/// request sent plainly, is the same request, and two different queries never share a
/// fingerprint since the whole query text is in it.
fn request_fingerprint(body: &serde_json::Value, query: &str) -> String {
    let persisted = body
        .get("extensions")
        .and_then(|extensions| extensions.get(persisted_queries::EXTENSION))
        .is_some_and(|persisted| !persisted.is_null());
    if !persisted {
        return canonical_fingerprint(body);
    }
    let mut plain = body.clone();
    if let Some(fields) = plain.as_object_mut() {
        fields.insert("query".to_owned(), serde_json::Value::String(query.to_owned()));
        let mut no_extensions_left = false;
        if let Some(serde_json::Value::Object(extensions)) = fields.get_mut("extensions") {
            extensions.remove(persisted_queries::EXTENSION);
            no_extensions_left = extensions.is_empty();
        }
        if no_extensions_left {
            fields.remove("extensions");
        }
    }
    canonical_fingerprint(&plain)
}

/// What running one GraphQL request produced.
struct Outcome {
    body: String,
    /// A request error: no data (HTTP 400 under `application/graphql-response+json`).
    request_error: bool,
    /// Resolvers may have run (the request passed parsing and validation): its effects may be
    /// committed, so its idempotency key is kept whatever the answer.
    started: bool,
}

/// A request refused before it runs, shaped like a GraphQL request error.
fn refusal_body(code: &str, message: &str) -> String {
    json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }).to_string()
}

/// Runs one GraphQL request; `watch`: tell whether execution started (the schema that does
/// costs more per field, so only keyed mutations use it). A mutation waits for its turn first.
async fn execute(
    state: &AppState,
    actor: Actor,
    request: async_graphql::Request,
    watch: bool,
    is_mutation: bool,
) -> Outcome {
    let _turn = if is_mutation { state.admission.mutation().await } else { None };
    let started = Arc::new(ExecutionStarted::default());
    let anonymous = matches!(actor, Actor::Anonymous);
    let request = request.data(actor).data(started.clone());
    let schema = if watch { &state.watched_schema } else { &state.schema };
    let mut response = loaders::execute(schema, request, &state.db).await;
    if anonymous {
        crate::graphql::errors::ask_anonymous_to_sign_in(&mut response);
    }
    let request_error = response.data == async_graphql::Value::Null && !response.errors.is_empty();
    let body = serde_json::to_string(&response)
        .unwrap_or_else(|_| r#"{"errors":[{"message":"unserialisable response"}]}"#.to_owned());
    Outcome { body, request_error, started: started.get() }
}

/// Runs a request that holds an idempotency key, renewing the key's lease while it runs so a
/// slow request keeps its key and a crashed one frees it after the lease.
async fn execute_leased(state: &AppState, lease: &Lease, actor: Actor, request: async_graphql::Request) -> Outcome {
    let execution = execute(state, actor, request, true, true);
    tokio::pin!(execution);
    let mut renewal = tokio::time::interval(Duration::from_secs((idempotency::LEASE_SECONDS / 3).max(1) as u64));
    renewal.tick().await; // the first tick is immediate; the lease is fresh
    loop {
        tokio::select! {
            outcome = &mut execution => return outcome,
            _ = renewal.tick() => match idempotency::renew(&state.db, lease).await {
                Ok(true) => {}
                Ok(false) => tracing::warn!("an idempotency lease was taken over while its request ran"),
                Err(e) => tracing::warn!(error = %e, "could not renew an idempotency lease"),
            },
        }
    }
}

fn graphql_response(body: String, request_error: bool, accept_graphql_json: bool, replayed: bool) -> HttpResponse {
    let (status, content_type) = if accept_graphql_json {
        let status = if request_error { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        (status, GRAPHQL_RESPONSE_JSON)
    } else {
        (StatusCode::OK, "application/json")
    };
    let mut response = HttpResponse::build(status);
    response.content_type(content_type);
    if replayed {
        response.insert_header(("Idempotent-Replayed", HeaderValue::from_static("true")));
    }
    response.body(body)
}

/// The answer to a persisted-query request that cannot run. `PersistedQueryNotFound` is the
/// normal first step of the protocol: HTTP 200 (Apollo clients then resend with the query),
/// never cached by a proxy, as Apollo Server sends it.
fn persisted_query_response(error: &PersistedQueryError, accept_graphql_json: bool) -> HttpResponse {
    let message = error.to_string();
    if error.is_bad_request() {
        return error_response(StatusCode::BAD_REQUEST, error.code(), &message);
    }
    let mut response = graphql_response(refusal_body(error.code(), &message), false, accept_graphql_json, false);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache, must-revalidate"));
    response
}

async fn graphql_post(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let actor = match authenticate(&req, &state.keys) {
        Ok(actor) => actor,
        Err(refused) => return refused.response(),
    };
    let accept_graphql_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(GRAPHQL_RESPONSE_JSON));
    let json_body: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", &format!("the body is not JSON: {e}"));
        }
    };
    // Read from the JSON already parsed, which is kept for the idempotency fingerprint.
    let mut request = match async_graphql::Request::deserialize(&json_body) {
        Ok(r) => r,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("the body is not a GraphQL request (batches are not supported): {e}"),
            );
        }
    };

    // The query's document: a persisted query's hash resolved to its query, then parsed once
    // per process (a repeated query is neither parsed nor inspected again). A persisted query
    // that cannot run is answered here, before any key is claimed.
    let parsed = match persisted_queries::resolve(&state.documents, &mut request) {
        Ok(parsed) => parsed,
        Err(error) => return persisted_query_response(&error, accept_graphql_json),
    };

    // The limits async-graphql does not check (aliases) or checks badly (depth, which must not
    // count introspection): refused unrun, so no key is claimed for them. A query that does not
    // parse has no inspection; the executor reports its syntax error.
    let inspection = parsed.as_ref().map(|parsed| parsed.inspection(request.operation_name.as_deref()));
    if let Some(refusal) = inspection.as_ref().and_then(|i| i.refusal.as_ref()) {
        let body = refusal_body(refusal.code(), &refusal.message(graphql::MAX_DEPTH));
        return graphql_response(body, true, accept_graphql_json, false);
    }
    if let Some(parsed) = &parsed {
        // The executor takes the tree as its own (it prunes `@skip`ped fields): a copy.
        request.set_parsed_query(parsed.document.clone());
    }
    if inspection.as_ref().is_some_and(|i| i.one_root_field) {
        request = request.data(crate::graphql::loaders::OneRootField);
    }

    // Keys guard mutations of a known principal; a query or an anonymous caller's request
    // carrying one simply runs, and nothing is stored for it.
    let is_mutation = inspection.is_some_and(|i| i.is_mutation);
    let scope = actor.idempotency_scope().filter(|_| is_mutation);
    let (Some(key), Some(scope)) = (req.headers().get("Idempotency-Key"), scope) else {
        let outcome = execute(&state, actor, request, false, is_mutation).await;
        return graphql_response(outcome.body, outcome.request_error, accept_graphql_json, false);
    };
    let Ok(key) = key.to_str().map(str::to_owned) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "INVALID_INPUT",
            "the Idempotency-Key header is not valid text",
        );
    };
    let hash = request_fingerprint(&json_body, &request.query);
    let started = Instant::now();
    loop {
        let claim = match idempotency::claim(&state.db, &scope, &key, &hash).await {
            Ok(claim) => claim,
            Err(domain::DomainError::Rejected(errors)) => {
                let message = errors.first().map_or("invalid Idempotency-Key", |e| e.message.as_str());
                return error_response(StatusCode::BAD_REQUEST, "INVALID_INPUT", message);
            }
            Err(e) => {
                tracing::error!(error = %e, "idempotency claim failed");
                return error_response(StatusCode::SERVICE_UNAVAILABLE, "INTERNAL", "try again shortly");
            }
        };
        match claim {
            Claim::Execute(lease) => {
                let outcome = execute_leased(&state, &lease, actor, request).await;
                // Once resolvers may have run, the answer is kept whatever it is (a fault
                // included): the mutation may have committed before a later field failed, and
                // a retry must not run it again. Only a request refused before it ran is
                // forgotten, so its corrected retry executes.
                let stored = if outcome.started {
                    let answer = Stored { body: outcome.body.clone(), request_error: outcome.request_error };
                    idempotency::complete(&state.db, &lease, answer).await.map(|kept| {
                        if !kept {
                            tracing::warn!("an idempotent answer was not stored: its lease was taken over");
                        }
                    })
                } else {
                    idempotency::abandon(&state.db, &lease).await
                };
                if let Err(e) = stored {
                    tracing::error!(error = %e, "could not store the idempotent response");
                }
                return graphql_response(outcome.body, outcome.request_error, accept_graphql_json, false);
            }
            Claim::Replay(stored) => {
                return graphql_response(stored.body, stored.request_error, accept_graphql_json, true);
            }
            Claim::Mismatch => {
                return error_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "IDEMPOTENCY_KEY_REUSED",
                    "this Idempotency-Key was already used with a different request",
                );
            }
            Claim::InFlight if started.elapsed() < IN_FLIGHT_WAIT => {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Claim::InFlight => {
                return error_response(
                    StatusCode::CONFLICT,
                    "IDEMPOTENCY_KEY_IN_FLIGHT",
                    "a request with this Idempotency-Key is still being processed",
                );
            }
        }
    }
}

async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GraphiQLSource::build().endpoint("/graphql").title("OMS GraphiQL").finish())
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(r#"{"status":"ok"}"#)
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match domain::db::ping(&state.db).await {
        Ok(()) => HttpResponse::Ok().content_type("application/json").body(r#"{"status":"ready"}"#),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            HttpResponse::ServiceUnavailable()
                .content_type("application/json")
                .body(r#"{"status":"database unreachable"}"#)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persisted(query: &str) -> serde_json::Value {
        let hash = persisted_queries::QueryHash::of(query).to_string();
        json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
    }

    #[test]
    fn a_plain_request_is_fingerprinted_as_sent() {
        let body = json!({ "query": "mutation { a }", "variables": { "x": 1 }, "extensions": {} });
        assert_eq!(request_fingerprint(&body, "mutation { a }"), canonical_fingerprint(&body));
        let null = json!({ "query": "mutation { a }", "extensions": { "persistedQuery": null } });
        assert_eq!(request_fingerprint(&null, "mutation { a }"), canonical_fingerprint(&null));
    }

    #[test]
    fn a_persisted_query_is_fingerprinted_as_the_plain_request_it_stands_for() {
        let query = "mutation { a }";
        let plain = json!({ "query": query, "variables": { "x": 1 } });
        let with_query = json!({ "query": query, "variables": { "x": 1 }, "extensions": persisted(query) });
        let by_hash = json!({ "variables": { "x": 1 }, "extensions": persisted(query) });
        let fingerprint = canonical_fingerprint(&plain);
        assert_eq!(request_fingerprint(&with_query, query), fingerprint);
        assert_eq!(request_fingerprint(&by_hash, query), fingerprint);

        let other = "mutation { b }";
        let other_by_hash = json!({ "variables": { "x": 1 }, "extensions": persisted(other) });
        assert_ne!(request_fingerprint(&other_by_hash, other), fingerprint);
        let other_variables = json!({ "variables": { "x": 2 }, "extensions": persisted(query) });
        assert_ne!(request_fingerprint(&other_variables, query), fingerprint);

        // Other extensions stay in the fingerprint.
        let mut traced = persisted(query);
        traced["tracing"] = json!(true);
        let traced = json!({ "variables": { "x": 1 }, "extensions": traced });
        assert_ne!(request_fingerprint(&traced, query), fingerprint);
    }
}
