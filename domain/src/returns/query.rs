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

/// Narrows a query of returns to what `actor` may see; `Forbidden` for who may see none.
async fn visible_to(
    db: &DatabaseConnection,
    actor: &Actor,
    query: sea_orm::Select<order_return::Entity>,
) -> DomainResult<sea_orm::Select<order_return::Entity>> {
    use order_return::Column as R;
    if actor.is_staff() {
        return Ok(query);
    }
    if let Some(customer) = actor.own_customer() {
        let mut own = Query::select();
        own.column(order::Column::Id).from(order::Entity).and_where(order::Column::CustomerId.eq(customer));
        return Ok(query.filter(R::OrderId.in_subquery(own.to_owned())));
    }
    if let Some(codes) = actor.associate_locations() {
        let ids: Vec<Uuid> = location::Entity::find()
            .filter(location::Column::Code.is_in(codes.iter().map(String::as_str)))
            .all(db)
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect();
        return Ok(query.filter(R::LocationId.is_in(ids.clone()).or(R::ReceivingLocationId.is_in(ids))));
    }
    Err(DomainError::Forbidden)
}

/// Returns, newest first, one page at a time.
pub async fn list_returns(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &ReturnFilter,
    page: PageRequest,
) -> DomainResult<Page<order_return::Model>> {
    use order_return::Column as R;
    let limit = page.limit()?;
    let mut query = visible_to(db, actor, order_return::Entity::find().order_by_desc(R::Id)).await?;
    if let Some(after) = page.after {
        query = query.filter(R::Id.lt(after));
    }
    if let Some(order_id) = filter.order_id {
        query = query.filter(R::OrderId.eq(order_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(R::Status.eq(status));
    }
    if let Some(code) = &filter.location_code {
        let id = crate::locations::find_by_code(db, code).await?.map_or(Uuid::nil(), |l| l.id);
        query = query.filter(R::LocationId.eq(id).or(R::ReceivingLocationId.eq(id)));
    }
    Ok(into_page(query.limit(limit + 1).all(db).await?, limit))
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
