//! Automatic Persisted Queries, the protocol Apollo clients speak (`apollo-link-persisted-queries`,
//! Apollo Client's `createPersistedQueryLink`, Apollo iOS and Kotlin): a client first sends only
//! the SHA-256 of its query in `extensions.persistedQuery`; a server that has not seen it answers
//! `PersistedQueryNotFound` and the client sends the hash again with the query, which the server
//! checks, keeps and runs. From then on the hash alone is enough.
//!
//! What this service answers, in Apollo Server's words where it has some:
//!
//! | request                                   | answer                                                            |
//! |-------------------------------------------|-------------------------------------------------------------------|
//! | hash, no query, hash known                | the query's result                                                |
//! | hash, no query, hash unknown              | HTTP 200, `PersistedQueryNotFound`, code `PERSISTED_QUERY_NOT_FOUND` |
//! | hash and query, hash matches              | the query is kept and run                                         |
//! | hash and query, hash does not match       | HTTP 400, `provided sha does not match query`, code `PERSISTED_QUERY_HASH_MISMATCH`; nothing runs |
//! | `version` other than 1                    | HTTP 400, `Unsupported persisted query version`, code `BAD_REQUEST` |
//! | `persistedQuery` not `{version, sha256Hash}` | HTTP 400, code `BAD_REQUEST`                                   |
//!
//! Apollo Server sends the mismatch with code `BAD_REQUEST`; the more precise code here is the one
//! other servers use, and Apollo clients go by the status (a 400 turns persisted queries off for
//! that client, which then sends whole queries), not by the code.
//!
//! This is done over HTTP rather than with async-graphql's `ApolloPersistedQueries` extension:
//! that extension runs inside the schema, after the alias and depth limits have been checked on
//! the (empty) query text, and it keeps a second cache of its own. Here the hash is resolved to
//! its query first, so the limits and the idempotency fingerprint see the real query, and hashes
//! and repeated query texts share one bounded cache ([`Documents`]).
use std::sync::Arc;

use async_graphql::{Extensions, Value};
use sha2::{Digest, Sha256};

use super::documents::{Documents, ParsedQuery};

/// The key of the request's extensions that holds a persisted query.
pub const EXTENSION: &str = "persistedQuery";

/// The SHA-256 of a query's text, the identity Apollo clients give a persisted query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueryHash([u8; 32]);

impl QueryHash {
    /// The hash of a query's text, exactly as sent (Apollo clients hash the printed query).
    pub fn of(query: &str) -> QueryHash {
        QueryHash(Sha256::digest(query.as_bytes()).into())
    }

    /// Reads a hash written as 64 hexadecimal digits (either case).
    pub fn parse(hex_digits: &str) -> Result<QueryHash, PersistedQueryError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_digits, &mut bytes)
            .map_err(|_| PersistedQueryError::Malformed("sha256Hash is not 64 hexadecimal digits"))?;
        Ok(QueryHash(bytes))
    }
}

impl std::fmt::Display for QueryHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Why a persisted-query request is answered without running anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersistedQueryError {
    /// The hash is not (or no longer) known here: the client resends it with its query.
    #[error("PersistedQueryNotFound")]
    NotFound,
    /// The query sent does not have the hash sent with it.
    #[error("provided sha does not match query")]
    HashMismatch,
    /// Only version 1 of the protocol exists.
    #[error("Unsupported persisted query version")]
    UnsupportedVersion,
    /// `extensions.persistedQuery` is not `{ "version": 1, "sha256Hash": "<64 hex digits>" }`.
    #[error("the persistedQuery extension is malformed: {0}")]
    Malformed(&'static str),
}

impl PersistedQueryError {
    /// The `extensions.code` of the answer.
    pub fn code(&self) -> &'static str {
        match self {
            PersistedQueryError::NotFound => "PERSISTED_QUERY_NOT_FOUND",
            PersistedQueryError::HashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
            PersistedQueryError::UnsupportedVersion | PersistedQueryError::Malformed(_) => "BAD_REQUEST",
        }
    }

    /// Whether the answer is a client error (HTTP 400). `PersistedQueryNotFound` is not: it is
    /// the normal first step of the protocol, answered with HTTP 200 as Apollo Server does and
    /// as every Apollo client expects.
    pub fn is_bad_request(&self) -> bool {
        !matches!(self, PersistedQueryError::NotFound)
    }
}

/// What `extensions.persistedQuery` asks for: the hash of the query to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersistedQuery {
    pub hash: QueryHash,
}

impl PersistedQuery {
    /// Reads a request's `persistedQuery` extension: `None` when there is none (absent or
    /// `null`, as Apollo Server reads it).
    pub fn from_extensions(extensions: &Extensions) -> Result<Option<PersistedQuery>, PersistedQueryError> {
        let fields = match extensions.get(EXTENSION) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(fields)) => fields,
            Some(_) => return Err(PersistedQueryError::Malformed("it is not an object")),
        };
        let version = fields.get("version").and_then(|v| match v {
            Value::Number(n) => n.as_i64(),
            _ => None,
        });
        if version != Some(1) {
            return Err(PersistedQueryError::UnsupportedVersion);
        }
        let Some(Value::String(hash)) = fields.get("sha256Hash") else {
            return Err(PersistedQueryError::Malformed("sha256Hash is missing"));
        };
        Ok(Some(PersistedQuery { hash: QueryHash::parse(hash)? }))
    }
}

/// Finds the document a request runs, following the persisted-query protocol when the request
/// speaks it: the hash alone is looked up (and the request's query text filled in from it); a
/// hash with a query is checked against it, and the query kept under it when it parses. The
/// `persistedQuery` extension is taken out of the request once read.
///
/// `Ok(None)`: the query does not parse; the executor reports the syntax error.
pub fn resolve(
    documents: &Documents,
    request: &mut async_graphql::Request,
) -> Result<Option<Arc<ParsedQuery>>, PersistedQueryError> {
    let persisted = PersistedQuery::from_extensions(&request.extensions)?;
    request.extensions.remove(EXTENSION);
    let Some(PersistedQuery { hash }) = persisted else {
        return Ok(documents.parse(&request.query));
    };
    // An empty query is no query, as for async-graphql's own extension.
    if request.query.is_empty() {
        let parsed = documents.persisted(&hash).ok_or(PersistedQueryError::NotFound)?;
        request.query.clone_from(&parsed.text);
        return Ok(Some(parsed));
    }
    if QueryHash::of(&request.query) != hash {
        return Err(PersistedQueryError::HashMismatch);
    }
    let parsed = documents.parse(&request.query);
    if let Some(parsed) = &parsed {
        documents.persist(hash, parsed.clone());
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extensions(version: i64, hash: &str) -> Extensions {
        let value = serde_json::json!({ "version": version, "sha256Hash": hash });
        let mut extensions = Extensions::default();
        extensions.insert(EXTENSION.to_owned(), Value::from_json(value).expect("a GraphQL value"));
        extensions
    }

    fn request(query: &str, hash: &str) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(query);
        request.extensions = extensions(1, hash);
        request
    }

    #[test]
    fn hashes_are_sha256_in_hex() {
        // `printf '{ __typename }' | sha256sum`
        let hash = QueryHash::of("{ __typename }");
        assert_eq!(QueryHash::parse(&hash.to_string()), Ok(hash));
        assert_eq!(QueryHash::parse(&hash.to_string().to_uppercase()), Ok(hash));
        assert!(QueryHash::parse("abc").is_err());
        assert!(QueryHash::parse(&"g".repeat(64)).is_err());
    }

    #[test]
    fn reads_the_extension() {
        let hash = QueryHash::of("{ a }").to_string();
        assert_eq!(PersistedQuery::from_extensions(&Extensions::default()), Ok(None));
        assert_eq!(
            PersistedQuery::from_extensions(&extensions(1, &hash)),
            Ok(Some(PersistedQuery { hash: QueryHash::of("{ a }") }))
        );
        assert_eq!(
            PersistedQuery::from_extensions(&extensions(2, &hash)),
            Err(PersistedQueryError::UnsupportedVersion)
        );
        assert!(matches!(
            PersistedQuery::from_extensions(&extensions(1, "nope")),
            Err(PersistedQueryError::Malformed(_))
        ));
    }

    #[test]
    fn a_hash_is_found_once_its_query_was_sent() {
        let documents = Documents::new(12);
        let query = "{ a { b } }";
        let hash = QueryHash::of(query).to_string();

        let mut hash_only = request("", &hash);
        assert_eq!(resolve(&documents, &mut hash_only).err(), Some(PersistedQueryError::NotFound));

        let mut with_query = request(query, &hash);
        assert!(resolve(&documents, &mut with_query).expect("resolves").is_some());
        assert!(with_query.extensions.is_empty());

        let mut hash_only = request("", &hash);
        let parsed = resolve(&documents, &mut hash_only).expect("resolves").expect("parsed");
        assert_eq!(parsed.text, query);
        assert_eq!(hash_only.query, query);
    }

    #[test]
    fn a_wrong_hash_is_refused_and_not_kept() {
        let documents = Documents::new(12);
        let wrong = QueryHash::of("{ something { else } }");
        let mut mismatched = request("{ a }", &wrong.to_string());
        assert_eq!(resolve(&documents, &mut mismatched).err(), Some(PersistedQueryError::HashMismatch));
        assert!(documents.persisted(&wrong).is_none());
    }

    #[test]
    fn a_query_that_does_not_parse_is_run_but_not_kept() {
        let documents = Documents::new(12);
        let query = "{ broken";
        let hash = QueryHash::of(query);
        let mut with_query = request(query, &hash.to_string());
        assert!(matches!(resolve(&documents, &mut with_query), Ok(None)));
        assert!(documents.persisted(&hash).is_none());
    }
}
