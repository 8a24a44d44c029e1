//! A limit async-graphql 7 does not have: how many aliases one request may use. Aliases let one
//! request ask for the same expensive field many times over; depth and complexity limits are
//! set on the schema itself.
use async_graphql::parser::types::{Selection, SelectionSet};

/// More aliases than a real frontend ever needs.
pub const MAX_ALIASES: usize = 64;

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

/// The aliases written in a query document (operations and fragments), or `None` when it does
/// not parse — the executor then reports the syntax error itself.
pub fn count_aliases(query: &str) -> Option<usize> {
    let document = async_graphql::parser::parse_query(query).ok()?;
    let in_operations: usize = document.operations.iter().map(|(_, op)| aliases_in(&op.node.selection_set.node)).sum();
    let in_fragments: usize = document.fragments.values().map(|f| aliases_in(&f.node.selection_set.node)).sum();
    Some(in_operations + in_fragments)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
