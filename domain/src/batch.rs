//! Rows a change decides along the way, written together just before it commits. On PostgreSQL
//! that is one statement, each insert a data-modifying CTE: foreign keys are checked at the end
//! of the statement, so an order, its lines and its fulfilment orders go in together, and a
//! new order pays one round trip for its seven tables instead of one each. SQLite's writes are
//! local calls, so there each insert simply runs in turn.
//!
//! Nothing may read a batched row before [`InsertBatch::write`]: callers write the batch before
//! anything else in their transaction looks at what they inserted.
use std::fmt::Write as _;

use sea_orm::sea_query::InsertStatement;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::error::DomainResult;

/// Inserts waiting to be written, in the order they were added.
#[derive(Debug, Default)]
pub struct InsertBatch {
    inserts: Vec<InsertStatement>,
}

impl InsertBatch {
    pub fn push(&mut self, insert: InsertStatement) {
        self.inserts.push(insert);
    }

    /// Adds an insert when there is one.
    pub fn extend(&mut self, insert: Option<InsertStatement>) {
        self.inserts.extend(insert);
    }

    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty()
    }

    /// Writes every insert, emptying the batch.
    pub async fn write<C: ConnectionTrait>(&mut self, db: &C) -> DomainResult<()> {
        let inserts = std::mem::take(&mut self.inserts);
        let backend = db.get_database_backend();
        if backend != DbBackend::Postgres || inserts.len() == 1 {
            for insert in &inserts {
                db.execute_raw(backend.build(insert)).await?;
            }
            return Ok(());
        }
        if let Some(statement) = one_statement(&inserts) {
            db.execute_raw(statement).await?;
        }
        Ok(())
    }
}

/// `WITH w0 AS (INSERT …), w1 AS (INSERT …) … SELECT 1`, each insert's `$n` placeholders moved
/// past those of the inserts before it. `None` when there is nothing to write.
fn one_statement(inserts: &[InsertStatement]) -> Option<Statement> {
    if inserts.is_empty() {
        return None;
    }
    let mut sql = String::from("WITH ");
    let mut values: Vec<Value> = Vec::new();
    for (i, insert) in inserts.iter().enumerate() {
        let built = DbBackend::Postgres.build(insert);
        if i > 0 {
            sql.push_str(", ");
        }
        let _ = write!(sql, "w{i} AS (");
        renumber(&built.sql, values.len(), &mut sql);
        sql.push(')');
        values.extend(built.values.map(|v| v.0).unwrap_or_default());
    }
    sql.push_str(" SELECT 1");
    Some(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
}

/// Copies `sql` into `out` with every `$n` outside quotes turned into `$(n + offset)`.
fn renumber(sql: &str, offset: usize, out: &mut String) {
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '$') if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                let n: usize = digits.parse().unwrap_or(0);
                let _ = write!(out, "${}", n + offset);
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_move_past_the_earlier_inserts_and_quotes_are_left_alone() {
        let mut out = String::new();
        renumber(r#"INSERT INTO "t$1" ("a", "b") VALUES ($1, $2), ('$3', $10)"#, 4, &mut out);
        assert_eq!(out, r#"INSERT INTO "t$1" ("a", "b") VALUES ($5, $6), ('$3', $14)"#);
    }
}
