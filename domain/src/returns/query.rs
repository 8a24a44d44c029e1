//! Reading returns back: staff see all, a customer the returns of their own orders, an
//! associate those brought to or received at their locations. A foreign return looks missing.
use entities::{location, order, order_return, return_line, return_replacement};
use sea_orm::sea_query::{ExprTrait, Query};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::ReturnStatus;
use crate::auth::Actor;
use crate::error::{DomainError, DomainResult};
use crate::pagination::{Page, PageRequest, into_page};

/// Which returns to list.
#[derive(Debug, Clone, Default)]
pub struct ReturnFilter {
    pub order_id: Option<Uuid>,
    pub status: Option<ReturnStatus>,
    /// Brought to or received at this location.
    pub location_code: Option<String>,
}

/// Which returns `actor` may see.
enum Visible {
    All,
    /// A customer's: those of its own orders.
    OfCustomer(Uuid),
    /// An associate's: those brought to or received at these locations.
    AtLocations(Vec<Uuid>),
}

async fn visible_to(db: &DatabaseConnection, actor: &Actor) -> DomainResult<Visible> {
    if actor.is_staff() {
        return Ok(Visible::All);
    }
    if let Some(customer) = actor.own_customer() {
        return Ok(Visible::OfCustomer(customer));
    }
    if let Some(codes) = actor.associate_locations() {
        let ids: Vec<Uuid> = location::Entity::find()
            .filter(location::Column::Code.is_in(codes.iter().map(String::as_str)))
            .all(db)
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect();
        return Ok(Visible::AtLocations(ids));
    }
    Err(DomainError::Forbidden)
}

/// Returns, newest first, one page at a time. Those of a location are one index-ordered read
/// per location and role (brought to it, received at it), each at most a page, merged here: a
/// single `location OR receiving location` read cannot follow an index in id order, so it read
/// the store's whole history of returns (or walked everyone's) for a page.
pub async fn list_returns(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &ReturnFilter,
    page: PageRequest,
) -> DomainResult<Page<order_return::Model>> {
    use order_return::Column as R;
    let limit = page.limit()?;
    let visible = visible_to(db, actor).await?;
    let mut query = order_return::Entity::find();
    if let Visible::OfCustomer(customer) = visible {
        let mut own = Query::select();
        own.column(order::Column::Id).from(order::Entity).and_where(order::Column::CustomerId.eq(customer));
        query = query.filter(R::OrderId.in_subquery(own.to_owned()));
    }
    if let Some(after) = page.after {
        query = query.filter(R::Id.lt(after));
    }
    if let Some(order_id) = filter.order_id {
        query = query.filter(R::OrderId.eq(order_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(R::Status.eq(status));
    }
    let locations = match (&filter.location_code, visible) {
        (Some(code), visible) => {
            if let Visible::AtLocations(ids) = visible {
                query = query.filter(R::LocationId.is_in(ids.clone()).or(R::ReceivingLocationId.is_in(ids)));
            }
            vec![crate::locations::find_by_code(db, code).await?.map_or(Uuid::nil(), |l| l.id)]
        }
        (None, Visible::AtLocations(ids)) => ids,
        (None, Visible::All | Visible::OfCustomer(_)) => {
            return Ok(into_page(query.order_by_desc(R::Id).limit(limit + 1).all(db).await?, limit));
        }
    };
    let mut rows = Vec::new();
    for id in locations {
        for column in [R::LocationId, R::ReceivingLocationId] {
            let read = query.clone().filter(column.eq(id)).order_by_desc(R::Id).limit(limit + 1);
            rows.extend(read.all(db).await?);
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.id));
    // A return brought to one of the caller's locations and received at another (or the same)
    // came from both reads.
    rows.dedup_by_key(|r| r.id);
    Ok(into_page(rows, limit))
}

/// The returns of these orders, oldest first: one query for a page of orders. Callers check
/// access to the orders.
pub async fn returns_for_orders(db: &DatabaseConnection, order_ids: &[Uuid]) -> DomainResult<Vec<order_return::Model>> {
    Ok(order_return::Entity::find()
        .filter(order_return::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_return::Column::Seq)
        .all(db)
        .await?)
}

/// The lines of these returns.
pub async fn lines_for_returns(db: &DatabaseConnection, return_ids: &[Uuid]) -> DomainResult<Vec<return_line::Model>> {
    Ok(return_line::Entity::find()
        .filter(return_line::Column::ReturnId.is_in(return_ids.iter().copied()))
        .order_by_asc(return_line::Column::Id)
        .all(db)
        .await?)
}

/// The replacement order lines of these exchanges.
pub async fn replacements_for_returns(
    db: &DatabaseConnection,
    return_ids: &[Uuid],
) -> DomainResult<Vec<return_replacement::Model>> {
    Ok(return_replacement::Entity::find()
        .filter(return_replacement::Column::ReturnId.is_in(return_ids.iter().copied()))
        .order_by_asc(return_replacement::Column::Id)
        .all(db)
        .await?)
}
