//! Limits checked on the parsed document before anything runs: how many aliases one request may
//! use (async-graphql 7 has no such limit) and how deep its application selections nest.
//!
//! Depth is counted here rather than with the schema's `limit_depth`, which also counts
//! introspection: graphql-js's standard introspection query (GraphiQL, Apollo, graphql-codegen,
//! Postman, schemathesis) nests `ofType` nine levels deep inside `__schema`, and every such tool
//! would be refused. Selections under `__schema` and `__type` are not counted (introspection
//! is bounded by the schema itself and still pays the complexity limit); everything else is,
//! through fragments and inline fragments alike.
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::{Name, Positioned};

/// More aliases than a real frontend ever needs.
pub const MAX_ALIASES: usize = 64;

/// What a request is, and why it may not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The operation that will run is a mutation (idempotency keys apply only to these).
    pub is_mutation: bool,
    /// The operation that will run is one field at its root ([`one_root_field`]).
    pub one_root_field: bool,
    /// Why the request is refused unrun, if it is.
    pub refusal: Option<Refusal>,
}

/// A request refused before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    TooManyAliases,
    TooDeep,
}

impl Refusal {
    /// The `extensions.code` of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TooManyAliases => "TOO_MANY_ALIASES",
            Refusal::TooDeep => "TOO_DEEP",
        }
    }

    /// Says why, in the words async-graphql uses for its own limits.
    pub fn message(&self, max_depth: usize) -> String {
        match self {
            Refusal::TooManyAliases => format!("the query uses more than {MAX_ALIASES} aliases"),
            Refusal::TooDeep => format!("Query is nested too deep (the limit is {max_depth} levels)"),
        }
    }
}

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

fn is_introspection(name: &str) -> bool {
    name == "__schema" || name == "__type"
}

fn aliases_in(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some()) + aliases_in(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => aliases_in(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

fn aliases_in_document(document: &ExecutableDocument) -> usize {
    let in_operations: usize = document.operations.iter().map(|(_, op)| aliases_in(&op.node.selection_set.node)).sum();
    let in_fragments: usize = document.fragments.values().map(|f| aliases_in(&f.node.selection_set.node)).sum();
    in_operations + in_fragments
}

/// The depth of a selection set in fields, following fragment spreads. `visiting` guards
/// against fragment cycles (the validator refuses them later; here they must not loop).
fn depth_of<'a>(set: &'a SelectionSet, fragments: &'a Fragments, visiting: &mut Vec<&'a str>) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) if is_introspection(field.node.name.node.as_str()) => 0,
            Selection::Field(field) => 1 + depth_of(&field.node.selection_set.node, fragments, visiting),
            Selection::InlineFragment(fragment) => depth_of(&fragment.node.selection_set.node, fragments, visiting),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                let Some(fragment) = fragments.get(name) else { return 0 };
                if visiting.contains(&name) {
                    return 0;
                }
                visiting.push(name);
                let depth = depth_of(&fragment.node.selection_set.node, fragments, visiting);
                visiting.pop();
                depth
            }
        })
        .max()
        .unwrap_or(0)
}

/// Whether the operation that will run is a mutation. Unknown or ambiguous operation names are
/// the executor's to report: no idempotency key is used for them.
pub fn runs_mutation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    operation_to_run(document, operation_name).is_some_and(|op| op.node.ty == OperationType::Mutation)
}

/// Whether the operation that will run is one field at its root, not behind a fragment: a
/// mutation so written is the request's only change, so what its answer reads stays true until
/// the request ends (`orders::changed_order` hands it to the loaders).
pub fn one_root_field(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    operation_to_run(document, operation_name).is_some_and(|op| {
        let root = &op.node.selection_set.node.items;
        root.len() == 1 && root.iter().all(|item| matches!(item.node, Selection::Field(_)))
    })
}

/// The operation the executor will run, when the name (or its absence) picks exactly one.
fn operation_to_run<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a Positioned<OperationDefinition>> {
    let mut operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(wanted) => ops.iter().filter(|(name, _)| name.as_str() == wanted).map(|(_, op)| op).collect(),
            None => ops.values().collect(),
        },
    };
    if operations.len() == 1 { operations.pop() } else { None }
}

/// Why a document may not run, whichever of its operations is chosen: the aliases of every
/// operation and fragment are counted and every operation's depth is checked, so the answer
/// depends on the document alone and can be kept with it.
pub fn refusal(document: &ExecutableDocument, max_depth: usize) -> Option<Refusal> {
    if aliases_in_document(document) > MAX_ALIASES {
        Some(Refusal::TooManyAliases)
    } else if document
        .operations
        .iter()
        .any(|(_, op)| depth_of(&op.node.selection_set.node, &document.fragments, &mut Vec::new()) > max_depth)
    {
        Some(Refusal::TooDeep)
    } else {
        None
    }
}

/// Put in a request's data; set once the request passed parsing, validation and the limits and
/// its resolvers may run. Until then nothing can have changed, so an idempotency key may be
/// forgotten; from then on it never is.
#[derive(Debug, Default)]
pub struct ExecutionStarted(AtomicBool);

impl ExecutionStarted {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The schema extension that sets [`ExecutionStarted`].
pub struct ExecutionWatch;

impl ExtensionFactory for ExecutionWatch {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ExecutionWatchExtension)
    }
}

struct ExecutionWatchExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for ExecutionWatchExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> async_graphql::Response {
        if let Some(started) = ctx.data_opt::<Arc<ExecutionStarted>>() {
            started.0.store(true, Ordering::SeqCst);
        }
        next.run(ctx, operation_name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspect(query: &str, operation_name: Option<&str>, max_depth: usize) -> Option<Inspection> {
        let document = async_graphql::parser::parse_query(query).ok()?;
        Some(Inspection {
            is_mutation: runs_mutation(&document, operation_name),
            one_root_field: one_root_field(&document, operation_name),
            refusal: refusal(&document, max_depth),
        })
    }

    #[test]
    fn tells_an_operation_of_one_root_field() {
        let one = |query: &str, name: Option<&str>| inspect(query, name, 32).map(|i| i.one_root_field);
        assert_eq!(one("mutation { placeOrder(input: {}) { order { id } } }", None), Some(true));
        assert_eq!(
            one(
                "mutation { a: cancelOrder(input: {}) { order { id } } b: addOrderNote(input: {}) { order { id } } }",
                None
            ),
            Some(false)
        );
        assert_eq!(
            one("mutation { ...F } fragment F on MutationRoot { placeOrder(input: {}) { order { id } } }", None),
            Some(false)
        );
        assert_eq!(one("mutation M { a { b } } mutation N { a { b } c { d } }", Some("M")), Some(true));
        assert_eq!(one("mutation M { a { b } } mutation N { a { b } c { d } }", Some("N")), Some(false));
        // No name among several: the executor refuses it, and nothing is primed.
        assert_eq!(one("mutation M { a { b } } mutation N { a { b } }", None), Some(false));
    }

    fn count_aliases(query: &str) -> Option<usize> {
        async_graphql::parser::parse_query(query).ok().map(|document| aliases_in_document(&document))
    }

    #[test]
    fn counts_aliases_everywhere() {
        assert_eq!(count_aliases("{ a: product(sku: \"A\") { sku } b: product(sku: \"B\") { x: sku } }"), Some(3));
        assert_eq!(
            count_aliases("query { ...F } fragment F on QueryRoot { c: products { edges { cursor } } }"),
            Some(1)
        );
        assert_eq!(count_aliases("{ product(sku: \"A\") { sku } }"), Some(0));
        assert_eq!(count_aliases("{ broken"), None);
    }

    fn depth(query: &str) -> usize {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        document
            .operations
            .iter()
            .map(|(_, op)| depth_of(&op.node.selection_set.node, &document.fragments, &mut Vec::new()))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn depth_follows_fragments_and_skips_introspection() {
        assert_eq!(depth("{ a { b { c } } }"), 3);
        assert_eq!(depth("{ a { ...F } } fragment F on A { b { c { d } } }"), 4);
        assert_eq!(depth("{ a { ... on A { b } } }"), 2);
        assert_eq!(depth("{ __schema { types { fields { type { ofType { ofType { name } } } } } } }"), 0);
        assert_eq!(depth("{ __typename a { b } }"), 2);
        // A cycle does not loop (the validator refuses it afterwards).
        assert_eq!(depth("{ ...F } fragment F on Q { a { ...F } }"), 1);
    }

    #[test]
    fn knows_the_operation_that_runs() {
        let mutation = inspect("mutation { a }", None, 12).expect("parses");
        assert!(mutation.is_mutation);
        assert!(!inspect("{ a }", None, 12).expect("parses").is_mutation);
        let two = "query Q { a } mutation M { b }";
        assert!(inspect(two, Some("M"), 12).expect("parses").is_mutation);
        assert!(!inspect(two, Some("Q"), 12).expect("parses").is_mutation);
        assert_eq!(inspect("{ a { b { c } } }", None, 2).expect("parses").refusal, Some(Refusal::TooDeep));
    }
}
