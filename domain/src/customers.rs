//! Customers: one record per email address.
use chrono::Utc;
use entities::customer;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, Problems, unique_violation};
use crate::pagination::{Page, PageRequest, into_page};
use crate::validate;

/// Contact data as the caller gave it.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
}

/// Contact data, validated: email lower-cased, name trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
}

/// Validates contact data; `prefix` is where it sits in the input (e.g. `customer`), empty when
/// it is the input itself.
pub fn parse_contact(problems: &mut Problems, prefix: &str, input: &ContactInput) -> Option<Contact> {
    let path = |field: &'static str| -> Vec<&str> { if prefix.is_empty() { vec![field] } else { vec![prefix, field] } };
    let email = problems.take(validate::email(&path("email"), &input.email));
    let name = problems.take(validate::text(&path("name"), &input.name, 200));
    let phone = match input.phone.as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(p) => problems.take(validate::phone(&path("phone"), p)).map(Some),
    };
    Some(Contact { email: email?, name: name?, phone: phone? })
}

/// An agent's way of registering a customer, so a customer token can be issued for it.
pub async fn create_customer(
    db: &DatabaseConnection,
    actor: &Actor,
    input: ContactInput,
) -> DomainResult<customer::Model> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let mut problems = Problems::default();
    let contact = parse_contact(&mut problems, "", &input);
    let contact = problems.finish(contact)?;
    let now = Utc::now();
    customer::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(contact.email),
        name: Set(contact.name),
        phone: Set(contact.phone),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(unique_violation)
}

/// Creates the customer of a contact found missing a moment ago (capture reads customers by
/// email with its products). Two orders of a new customer at once meet at the unique email: a
/// racing twin's insert wins quietly, and both end up with the one record, read back.
pub async fn create_for_order<C: ConnectionTrait>(txn: &C, contact: &Contact) -> DomainResult<customer::Model> {
    let now = Utc::now();
    customer::Entity::insert(customer::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(contact.email.clone()),
        name: Set(contact.name.clone()),
        phone: Set(contact.phone.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict_do_nothing_on([customer::Column::Email])
    .exec(txn)
    .await?;
    customer::Entity::find()
        .filter(customer::Column::Email.eq(contact.email.as_str()))
        .one(txn)
        .await?
        .ok_or_else(|| DomainError::not_found(&["customer"], "customer"))
}

pub async fn find_by_id<C: ConnectionTrait>(db: &C, id: Uuid) -> DomainResult<Option<customer::Model>> {
    Ok(customer::Entity::find_by_id(id).one(db).await?)
}

pub async fn find_by_ids<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> DomainResult<Vec<customer::Model>> {
    Ok(customer::Entity::find().filter(customer::Column::Id.is_in(ids.iter().copied())).all(db).await?)
}

/// A customer, if the actor may see it; a foreign one looks missing.
pub async fn get_customer(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> DomainResult<Option<customer::Model>> {
    if !actor.may_see_customer(id) {
        return Ok(None);
    }
    find_by_id(db, id).await
}

pub async fn list_customers(
    db: &DatabaseConnection,
    actor: &Actor,
    email: Option<&str>,
    page: PageRequest,
) -> DomainResult<Page<customer::Model>> {
    if !actor.is_staff() {
        return Err(DomainError::Forbidden);
    }
    let limit = page.limit()?;
    let mut query = customer::Entity::find().order_by_asc(customer::Column::Id);
    if let Some(email) = email {
        query = query.filter(customer::Column::Email.eq(email.trim().to_lowercase()));
    }
    if let Some(after) = page.after {
        query = query.filter(customer::Column::Id.gt(after));
    }
    Ok(into_page(query.limit(limit + 1).all(db).await?, limit))
}
