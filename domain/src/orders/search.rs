//! Agent search: find an order by its number, the customer's email, phone or name, typed in
//! part. The query is one condition on `orders`, shaped so each database answers it from the
//! indexes of migration `m20261125_000015_order_care`:
//!
//! - PostgreSQL matches anywhere in one lower-cased text of the four fields (the phone as its
//!   digits), which its trigram (GIN) index serves; the expression here is the index's, letter
//!   for letter, or the planner would not use it.
//! - SQLite has no such index: it matches from the start of the email, the name or the phone
//!   (without separators), each a range on an expression index, and the order number exactly.
//!
//! Both also find an order by the digits of its number ("123" is SO-000123).
use sea_orm::sea_query::{Condition, Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, DbBackend};

use crate::error::{DomainError, ErrorCode};
use entities::order;

/// The longest query an agent may type.
pub const MAX_QUERY: usize = 200;

/// The PostgreSQL search text: exactly the trigram index's expression.
const PG_SEARCH_TEXT: &str = "lower(number::text || ' ' || customer_email::text || ' ' || customer_name::text || ' ' || \
     coalesce(regexp_replace(customer_phone::text, '[^0-9]', '', 'g'), ''))";

/// SQLite's phone without separators: exactly its expression index.
const SQLITE_PHONE: &str =
    "replace(replace(replace(replace(replace(customer_phone, ' ', ''), '.', ''), '-', ''), '(', ''), ')', '')";

/// The condition finding `query` on `backend`; `None` for a blank query (no filter).
pub fn condition(backend: DbBackend, query: &str) -> Result<Option<Condition>, DomainError> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return Ok(None);
    }
    if q.chars().count() > MAX_QUERY || q.chars().any(char::is_control) {
        return Err(DomainError::rejected(
            &["filter", "query"],
            ErrorCode::InvalidInput,
            format!("the query must be at most {MAX_QUERY} characters, without control characters"),
        ));
    }
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let phone_like = !digits.is_empty() && q.chars().all(|c| c.is_ascii_digit() || " +-.()/".contains(c));
    let mut any = Condition::any();
    if phone_like && let Ok(seq) = digits.parse::<i64>() {
        any = any.add(order::Column::NumberSeq.eq(seq));
    }
    if backend == DbBackend::Postgres {
        any = any.add(pg_like(&format!("%{}%", escape_like(&q))));
        if phone_like && digits != q {
            any = any.add(pg_like(&format!("%{digits}%")));
        }
    } else {
        any = any
            .add(order::Column::Number.eq(q.to_uppercase()))
            .add(prefix(Expr::cust("lower(customer_email)"), &q))
            .add(prefix(Expr::cust("lower(customer_name)"), &q));
        if phone_like {
            let typed: String = q.chars().filter(|c| !" .-()/".contains(*c)).collect();
            any = any.add(prefix(Expr::cust(SQLITE_PHONE), &typed));
        }
    }
    Ok(Some(any))
}

fn pg_like(pattern: &str) -> SimpleExpr {
    Expr::cust_with_values(format!("{PG_SEARCH_TEXT} LIKE $1"), [pattern.to_owned()])
}

/// `expr` starts with `text`: a range, which an index on `expr` serves (SQLite applies its LIKE
/// optimisation only to case-insensitive indexes).
fn prefix(expr: SimpleExpr, text: &str) -> Condition {
    let upper = format!("{text}{}", char::MAX);
    Condition::all().add(expr.clone().gte(text.to_owned())).add(expr.lt(upper))
}

/// `text` as a LIKE pattern matching itself: PostgreSQL's escape character is the backslash.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_typed_by_the_agent_match_themselves() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn a_blank_query_filters_nothing_and_a_long_one_is_refused() {
        assert!(condition(DbBackend::Postgres, "   ").expect("blank").is_none());
        assert!(condition(DbBackend::Sqlite, &"x".repeat(MAX_QUERY + 1)).is_err());
        assert!(condition(DbBackend::Sqlite, "ann").expect("ok").is_some());
    }
}
