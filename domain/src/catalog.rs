//! The catalogue: products (SKUs), their prices and kinds.
use chrono::Utc;
use entities::product;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::{DomainError, DomainResult, Problems, unique_violation};
use crate::money::parse_amount;
use crate::pagination::{Page, PageRequest, into_page};
use crate::validate;

pub use entities::enums::ProductKind;

/// The rules of a product's kind (the enum itself is stored data, in `entities`).
pub trait ProductKindRules {
    /// Only physical products hold stock and ship.
    fn holds_stock(self) -> bool;
    /// A service is performed at an appointment, always.
    fn performed(self) -> bool;
}

impl ProductKindRules for ProductKind {
    fn holds_stock(self) -> bool {
        self == ProductKind::Physical
    }

    fn performed(self) -> bool {
        self == ProductKind::Service
    }
}

/// A product to create.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub price: Decimal,
    pub currency: String,
    pub kind: ProductKind,
    pub weight_grams: Option<i32>,
    pub active: bool,
    /// The service the product needs at its appointment; any slot when `None`.
    pub service_type: Option<String>,
    /// Physical goods delivered in an appointment window.
    pub needs_appointment: bool,
}

/// Changes to a product; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub price: Option<(Decimal, String)>,
    pub kind: Option<ProductKind>,
    pub weight_grams: Option<i32>,
    pub active: Option<bool>,
    /// A new service type; `Some(None)` clears it.
    pub service_type: Option<Option<String>>,
    pub needs_appointment: Option<bool>,
}

/// Filters for listing products.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub active: Option<bool>,
    pub kind: Option<ProductKind>,
    /// Matches SKUs that start with this text.
    pub sku_prefix: Option<String>,
}

fn require_admin(actor: &Actor) -> DomainResult<()> {
    if actor.is_admin() { Ok(()) } else { Err(DomainError::Forbidden) }
}

fn check_weight(problems: &mut Problems, weight: Option<i32>) {
    if let Some(w) = weight
        && !(0..=10_000_000).contains(&w)
    {
        problems.add(
            &["weightGrams"],
            crate::error::ErrorCode::InvalidInput,
            "weight must be between 0 and 10 000 000 grams",
        );
    }
}

/// A service type is a code (INSTALLATION, TWO_PERSON…), compared as written in capitals.
pub fn service_type(value: Option<&str>) -> Result<Option<String>, crate::error::UserError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => validate::code(&["serviceType"], v, 64).map(|c| Some(c.to_ascii_uppercase())),
    }
}

pub async fn create_product(db: &DatabaseConnection, actor: &Actor, input: NewProduct) -> DomainResult<product::Model> {
    require_admin(actor)?;
    let mut problems = Problems::default();
    let sku = problems.take(validate::code(&["sku"], &input.sku, 64));
    let name = problems.take(validate::text(&["name"], &input.name, 200));
    let price = problems.take(parse_amount(&["price"], input.price, &input.currency));
    check_weight(&mut problems, input.weight_grams);
    let service_type = problems.take(service_type(input.service_type.as_deref()));
    let (sku, name, (currency, price_minor), service_type) =
        problems.finish((|| Some((sku?, name?, price?, service_type?)))())?;
    let now = Utc::now();
    let model = product::ActiveModel {
        id: Set(Uuid::now_v7()),
        sku: Set(sku),
        name: Set(name),
        price_minor: Set(price_minor),
        currency: Set(currency.code().to_owned()),
        kind: Set(input.kind),
        weight_grams: Set(input.weight_grams),
        active: Set(input.active),
        service_type: Set(service_type),
        needs_appointment: Set(input.needs_appointment),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let created = model.insert(db).await.map_err(unique_violation)?;
    tracing::info!(sku = %created.sku, "product created");
    Ok(created)
}

pub async fn update_product(
    db: &DatabaseConnection,
    actor: &Actor,
    sku: &str,
    changes: ProductChanges,
) -> DomainResult<product::Model> {
    require_admin(actor)?;
    let existing = find_by_sku(db, sku).await?.ok_or_else(|| DomainError::not_found(&["sku"], "product"))?;
    let mut problems = Problems::default();
    let mut model: product::ActiveModel = existing.into();
    if let Some(name) = &changes.name {
        match validate::text(&["name"], name, 200) {
            Ok(n) => model.name = Set(n),
            Err(e) => problems.push(e),
        }
    }
    if let Some((amount, currency)) = &changes.price {
        match parse_amount(&["price"], *amount, currency) {
            Ok((cur, minor)) => {
                model.price_minor = Set(minor);
                model.currency = Set(cur.code().to_owned());
            }
            Err(e) => problems.push(e),
        }
    }
    check_weight(&mut problems, changes.weight_grams);
    if let Some(st) = &changes.service_type {
        match service_type(st.as_deref()) {
            Ok(st) => model.service_type = Set(st),
            Err(e) => problems.push(e),
        }
    }
    if let Some(needs) = changes.needs_appointment {
        model.needs_appointment = Set(needs);
    }
    problems.into_result()?;
    if let Some(kind) = changes.kind {
        model.kind = Set(kind);
    }
    if changes.weight_grams.is_some() {
        model.weight_grams = Set(changes.weight_grams);
    }
    if let Some(active) = changes.active {
        model.active = Set(active);
    }
    model.updated_at = Set(Utc::now());
    Ok(model.update(db).await?)
}

pub async fn find_by_sku<C: ConnectionTrait>(db: &C, sku: &str) -> DomainResult<Option<product::Model>> {
    Ok(product::Entity::find().filter(product::Column::Sku.eq(sku.trim())).one(db).await?)
}

pub async fn find_by_ids<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> DomainResult<Vec<product::Model>> {
    Ok(product::Entity::find().filter(product::Column::Id.is_in(ids.iter().copied())).all(db).await?)
}

pub async fn list_products(
    db: &DatabaseConnection,
    filter: &ProductFilter,
    page: PageRequest,
) -> DomainResult<Page<product::Model>> {
    let limit = page.limit()?;
    let mut query = product::Entity::find().order_by_asc(product::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(product::Column::Id.gt(after));
    }
    if let Some(active) = filter.active {
        query = query.filter(product::Column::Active.eq(active));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(product::Column::Kind.eq(kind));
    }
    if let Some(prefix) = &filter.sku_prefix {
        // Compared as text, not as a LIKE pattern: SKUs may contain '_', and SQLite's LIKE
        // ignores case where PostgreSQL's does not.
        let prefix = prefix.trim();
        let length = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
        let head = Func::cust("SUBSTR").arg(Expr::col(product::Column::Sku)).arg(1).arg(length);
        query = query.filter(Expr::expr(head).eq(prefix));
    }
    let rows = query.limit(limit + 1).all(db).await?;
    Ok(into_page(rows, limit))
}

/// The problem of a cart or order line naming a SKU no product has.
pub fn unknown_sku_on_line(index: usize, sku: &str) -> crate::error::UserError {
    crate::error::UserError::at(
        "lines",
        index,
        "sku",
        crate::error::ErrorCode::UnknownSku,
        format!("no product has SKU '{sku}'"),
    )
}
