//! The query documents this process has parsed. A frontend sends the same few dozen operations
//! all day with different variables; each is parsed, and checked against the alias and depth
//! limits, once, and later requests reuse the syntax tree and the verdict. The same entries serve
//! Automatic Persisted Queries by hash ([`super::persisted_queries`]).
//!
//! Per process and bounded: at most [`MAX_DOCUMENTS`] documents by text and as many by hash,
//! [`MAX_KEPT_BYTES`] of query text each way, and no query longer than [`MAX_KEPT_QUERY_BYTES`]
//! (it is parsed every time). The least recently used entries go first. Losing an entry costs a
//! parse, or, for a persisted query, one more round trip of the client; nothing else. Only
//! documents that parse are kept: a syntax error is the executor's to report, every time.
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

use super::limits::{self, Inspection, Refusal};
use super::persisted_queries::QueryHash;

/// How many documents are kept by text, and how many by hash.
pub const MAX_DOCUMENTS: usize = 1_000;
/// How much query text is kept by text, and how much by hash (the syntax trees take several
/// times this).
pub const MAX_KEPT_BYTES: usize = 4 * 1024 * 1024;
/// A longer query is parsed each time (and cannot be found by its hash alone).
pub const MAX_KEPT_QUERY_BYTES: usize = 64 * 1024;

/// A query parsed once: its text, its syntax tree and why the limits refuse it, if they do.
#[derive(Debug)]
pub struct ParsedQuery {
    pub text: String,
    pub document: ExecutableDocument,
    /// Depends on the document alone, not on the operation chosen (see [`limits::refusal`]).
    pub refusal: Option<Refusal>,
}

impl ParsedQuery {
    /// Parses `text` and checks it against the limits; `None` when it does not parse.
    pub fn parse(text: &str, max_depth: usize) -> Option<ParsedQuery> {
        let document = async_graphql::parser::parse_query(text).ok()?;
        let refusal = limits::refusal(&document, max_depth);
        Some(ParsedQuery { text: text.to_owned(), document, refusal })
    }

    /// What the limits say of the operation `operation_name` of this document.
    pub fn inspection(&self, operation_name: Option<&str>) -> Inspection {
        Inspection {
            is_mutation: limits::runs_mutation(&self.document, operation_name),
            one_root_field: limits::one_root_field(&self.document, operation_name),
            refusal: self.refusal.clone(),
        }
    }
}

/// Least recently used entries, bounded in number and in bytes of query text.
struct Kept<K: Hash + Eq> {
    entries: LruCache<K, Arc<ParsedQuery>>,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
}

impl<K: Hash + Eq> Kept<K> {
    fn new(max_entries: usize, max_bytes: usize) -> Kept<K> {
        Kept { entries: LruCache::unbounded(), bytes: 0, max_entries, max_bytes }
    }

    fn get<Q>(&mut self, key: &Q) -> Option<Arc<ParsedQuery>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.get(key).cloned()
    }

    fn insert(&mut self, key: K, parsed: Arc<ParsedQuery>) {
        let size = parsed.text.len();
        if size > MAX_KEPT_QUERY_BYTES || size > self.max_bytes || self.max_entries == 0 {
            return;
        }
        if let Some((_, replaced)) = self.entries.push(key, parsed) {
            self.bytes = self.bytes.saturating_sub(replaced.text.len());
        }
        self.bytes += size;
        while self.entries.len() > self.max_entries || self.bytes > self.max_bytes {
            let Some((_, evicted)) = self.entries.pop_lru() else { break };
            self.bytes = self.bytes.saturating_sub(evicted.text.len());
        }
    }
}

struct Entries {
    by_text: Kept<String>,
    by_hash: Kept<QueryHash>,
}

/// The parsed documents of this process, by query text and by persisted-query hash.
pub struct Documents {
    entries: Mutex<Entries>,
    max_depth: usize,
    hits: AtomicU64,
}

impl Documents {
    /// A cache with the default bounds; documents are checked against `max_depth`.
    pub fn new(max_depth: usize) -> Documents {
        Documents::bounded(max_depth, MAX_DOCUMENTS, MAX_KEPT_BYTES)
    }

    /// A cache of at most `max_documents` documents and `max_bytes` of query text each way.
    pub fn bounded(max_depth: usize, max_documents: usize, max_bytes: usize) -> Documents {
        Documents {
            entries: Mutex::new(Entries {
                by_text: Kept::new(max_documents, max_bytes),
                by_hash: Kept::new(max_documents, max_bytes),
            }),
            max_depth,
            hits: AtomicU64::new(0),
        }
    }

    /// A panic elsewhere while the lock was held cannot leave the entries inconsistent in a
    /// way that matters (at worst a byte count is off): keep serving.
    fn entries(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The document of `text`: kept from an earlier request, or parsed now (outside the lock)
    /// and kept. `None` when it does not parse.
    pub fn parse(&self, text: &str) -> Option<Arc<ParsedQuery>> {
        if let Some(parsed) = self.entries().by_text.get(text) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Some(parsed);
        }
        let parsed = Arc::new(ParsedQuery::parse(text, self.max_depth)?);
        self.entries().by_text.insert(text.to_owned(), parsed.clone());
        Some(parsed)
    }

    /// The document kept under a persisted-query hash.
    pub fn persisted(&self, hash: &QueryHash) -> Option<Arc<ParsedQuery>> {
        let parsed = self.entries().by_hash.get(hash)?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(parsed)
    }

    /// Keeps a document under its persisted-query hash (which the caller checked).
    pub fn persist(&self, hash: QueryHash, parsed: Arc<ParsedQuery>) {
        self.entries().by_hash.insert(hash, parsed);
    }

    /// How many requests found their document here rather than parsing it.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_query_is_parsed_once() {
        let documents = Documents::new(12);
        let first = documents.parse("{ a { b } }").expect("parses");
        let again = documents.parse("{ a { b } }").expect("parses");
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(documents.hits(), 1);
        assert!(documents.parse("{ a { c } }").is_some());
        assert_eq!(documents.hits(), 1);
    }

    #[test]
    fn a_query_that_does_not_parse_is_not_kept() {
        let documents = Documents::new(12);
        assert!(documents.parse("{ broken").is_none());
        assert!(documents.parse("{ broken").is_none());
        assert_eq!(documents.hits(), 0);
    }

    #[test]
    fn the_verdict_of_the_limits_is_kept_with_the_document() {
        let documents = Documents::new(2);
        for _ in 0..2 {
            let parsed = documents.parse("query Q { a { b { c } } } mutation M { d }").expect("parses");
            assert_eq!(parsed.refusal, Some(Refusal::TooDeep));
            assert!(parsed.inspection(Some("M")).is_mutation);
            assert!(!parsed.inspection(Some("Q")).is_mutation);
        }
    }

    #[test]
    fn the_least_recently_used_documents_go_first() {
        let documents = Documents::bounded(12, 2, MAX_KEPT_BYTES);
        let a = documents.parse("{ a }").expect("parses");
        documents.parse("{ b }");
        documents.parse("{ a }"); // `a` is now the most recently used
        documents.parse("{ c }"); // `b` goes
        assert!(Arc::ptr_eq(&a, &documents.parse("{ a }").expect("parses")));
        let hits = documents.hits();
        documents.parse("{ b }");
        assert_eq!(documents.hits(), hits, "b was parsed again");
    }

    #[test]
    fn the_query_text_kept_is_bounded_in_bytes() {
        let documents = Documents::bounded(12, 100, 20);
        documents.parse("{ aaaaaaaaaa }"); // 14 bytes
        documents.parse("{ bbbbbbbbbb }"); // 28 in all: `a` goes
        documents.parse("{ bbbbbbbbbb }");
        assert_eq!(documents.hits(), 1);
        documents.parse("{ aaaaaaaaaa }");
        assert_eq!(documents.hits(), 1);
        let mut entries = documents.entries();
        assert!(entries.by_text.bytes <= 20);
        assert_eq!(entries.by_text.entries.len(), 1);
        assert!(entries.by_text.get("{ aaaaaaaaaa }").is_some());
    }

    #[test]
    fn persisted_queries_are_found_by_hash() {
        let documents = Documents::new(12);
        let hash = QueryHash::of("{ a }");
        assert!(documents.persisted(&hash).is_none());
        let parsed = documents.parse("{ a }").expect("parses");
        documents.persist(hash, parsed.clone());
        assert!(Arc::ptr_eq(&parsed, &documents.persisted(&hash).expect("kept")));
    }
}
