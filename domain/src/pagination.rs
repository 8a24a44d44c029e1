//! Keyset pagination over UUIDv7 ids: ids are time-ordered, so "after this id" is a stable
//! position that inserts and deletes elsewhere cannot shift.
use uuid::Uuid;

use crate::error::{DomainError, ErrorCode};

/// How many rows one page may hold.
pub const MAX_PAGE_SIZE: u64 = 100;
pub const DEFAULT_PAGE_SIZE: u64 = 20;

/// One page of rows and whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
}

/// What the caller asked for: at most `first` rows after the row with id `after`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest {
    pub first: Option<i32>,
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// The page size, validated: 1 to 100.
    pub fn limit(&self) -> Result<u64, DomainError> {
        match self.first {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(n) if n >= 1 && (n as u64) <= MAX_PAGE_SIZE => Ok(n as u64),
            Some(_) => Err(DomainError::rejected(
                &["first"],
                ErrorCode::InvalidInput,
                format!("first must be between 1 and {MAX_PAGE_SIZE}"),
            )),
        }
    }
}

/// Cuts the one extra row fetched to learn whether another page follows.
pub fn into_page<T>(mut rows: Vec<T>, limit: u64) -> Page<T> {
    let has_next_page = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Page { items: rows, has_next_page }
}
