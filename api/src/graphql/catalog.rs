//! Products: the catalogue's types, queries and mutations.
use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};
use domain::DomainError;
use domain::catalog::{self, NewProduct, ProductChanges, ProductFilter as DomainFilter};
use entities::product;

use super::common::{Money, MoneyInput, connection, page_request, parts, payload};
use super::enums::ProductKind;
use super::errors::{ApiResult, respond};
use super::inventory::InventoryLevel;
use super::loaders::loaders;

/// A sellable SKU.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Product {
    /// The product's id.
    pub id: async_graphql::ID,
    /// The stock-keeping unit: the product's unique code.
    pub sku: String,
    /// The name customers see.
    pub name: String,
    /// The catalogue price of one unit.
    pub price: Money,
    /// What the product is.
    pub kind: ProductKind,
    /// Shipping weight of one unit in grams, when known.
    pub weight_grams: Option<i32>,
    /// Whether the product is for sale.
    pub active: bool,
    /// The service or crew it needs at its appointment (e.g. INSTALLATION, TWO_PERSON); null:
    /// any slot serves it.
    pub service_type: Option<String>,
    /// Whether it is delivered or performed at an appointment (always for SERVICE products;
    /// large physical items when flagged).
    pub needs_appointment: bool,
    /// When the product was created (RFC 3339).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When the product last changed (RFC 3339).
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[graphql(skip)]
    pub model_id: uuid::Uuid,
}

impl From<product::Model> for Product {
    fn from(p: product::Model) -> Self {
        Product {
            id: p.id.to_string().into(),
            price: Money::from_minor(p.price_minor, &p.currency),
            kind: p.kind.into(),
            sku: p.sku,
            name: p.name,
            weight_grams: p.weight_grams,
            active: p.active,
            needs_appointment: p.needs_appointment || p.kind == entities::enums::ProductKind::Service,
            service_type: p.service_type,
            created_at: p.created_at,
            updated_at: p.updated_at,
            model_id: p.id,
        }
    }
}

#[ComplexObject]
impl Product {
    /// Stock of this product at each location: staff see every location, an associate the
    /// locations its token names; refused for anyone else.
    async fn inventory(&self, ctx: &Context<'_>) -> ApiResult<Vec<InventoryLevel>> {
        let (_, actor) = parts(ctx)?;
        if !actor.may_read_stock() {
            return Err(DomainError::Forbidden.into());
        }
        let loaders = loaders(ctx)?;
        let levels = loaders.levels_by_product.load_one(self.model_id).await?.unwrap_or_default();
        if actor.is_staff() {
            return Ok(levels.into_iter().map(InventoryLevel::from).collect());
        }
        let locations = loaders.location.load_many(levels.iter().map(|l| l.location_id)).await?;
        Ok(levels
            .into_iter()
            .filter(|l| locations.get(&l.location_id).is_some_and(|loc| actor.may_see_location(&loc.code)))
            .map(InventoryLevel::from)
            .collect())
    }

    /// Units available to promise across the whole network (on hand, less reserved, less
    /// safety stock, at active locations or not). Zero for products that hold no stock.
    async fn available(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        let levels = loaders(ctx)?.levels_by_product.load_one(self.model_id).await?.unwrap_or_default();
        Ok(levels.iter().map(domain::inventory::available).sum())
    }
}

connection!(ProductConnection, ProductEdge, Product, "products");

/// Filters for `products`.
#[derive(InputObject, Default)]
pub struct ProductFilter {
    /// Only products that are (or are not) for sale.
    pub active: Option<bool>,
    /// Only products of this kind.
    pub kind: Option<ProductKind>,
    /// Only SKUs that start with this text.
    pub sku_prefix: Option<String>,
}

/// A product to create.
#[derive(InputObject)]
pub struct CreateProductInput {
    /// The unique stock-keeping unit: letters, digits, '-', '_', '.'.
    pub sku: String,
    /// The name customers see.
    pub name: String,
    /// The price of one unit.
    pub price: MoneyInput,
    /// What the product is.
    #[graphql(default_with = "ProductKind::Physical")]
    pub kind: ProductKind,
    /// Shipping weight of one unit in grams.
    pub weight_grams: Option<i32>,
    /// Whether the product is for sale right away.
    #[graphql(default = true)]
    pub active: bool,
    /// The service or crew it needs at its appointment (a code, e.g. INSTALLATION).
    pub service_type: Option<String>,
    /// Physical goods delivered at an appointment (large items); SERVICE products always are.
    #[graphql(default = false)]
    pub needs_appointment: bool,
}

payload!(CreateProductPayload, product: Product, "createProduct");

/// Changes to a product; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateProductInput {
    /// The SKU of the product to change.
    pub sku: String,
    /// A new name.
    pub name: Option<String>,
    /// A new price.
    pub price: Option<MoneyInput>,
    /// A new kind.
    pub kind: Option<ProductKind>,
    /// A new weight in grams.
    pub weight_grams: Option<i32>,
    /// Put the product on sale, or take it off.
    pub active: Option<bool>,
    /// A new service type; an empty text clears it.
    pub service_type: Option<String>,
    /// Whether it is delivered at an appointment.
    pub needs_appointment: Option<bool>,
}

payload!(UpdateProductPayload, product: Product, "updateProduct");

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The product with this SKU, if any.
    async fn product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The SKU.")] sku: String,
    ) -> ApiResult<Option<Product>> {
        let (db, _) = parts(ctx)?;
        Ok(catalog::find_by_sku(db, &sku).await?.map(Product::from))
    }

    /// The catalogue, oldest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many products to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the products after this cursor.")] after: Option<String>,
        #[graphql(desc = "Which products to return.")] filter: Option<ProductFilter>,
    ) -> ApiResult<ProductConnection> {
        let (db, _) = parts(ctx)?;
        let page = page_request(first, after)?;
        let filter = filter.unwrap_or_default();
        let domain_filter =
            DomainFilter { active: filter.active, kind: filter.kind.map(Into::into), sku_prefix: filter.sku_prefix };
        let result = catalog::list_products(db, &domain_filter, page).await?;
        Ok(ProductConnection::from_page(result, page.after.is_some(), |p| p.id, Product::from))
    }
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// Adds a product to the catalogue. Admins only.
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CreateProduct request.")] input: CreateProductInput,
    ) -> ApiResult<CreateProductPayload> {
        let (db, actor) = parts(ctx)?;
        let new = NewProduct {
            sku: input.sku,
            name: input.name,
            price: input.price.amount.0,
            currency: input.price.currency,
            kind: input.kind.into(),
            weight_grams: input.weight_grams,
            active: input.active,
            service_type: input.service_type,
            needs_appointment: input.needs_appointment,
        };
        respond(catalog::create_product(db, actor, new).await)
    }

    /// Changes a product. Admins only.
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The UpdateProduct request.")] input: UpdateProductInput,
    ) -> ApiResult<UpdateProductPayload> {
        let (db, actor) = parts(ctx)?;
        let changes = ProductChanges {
            name: input.name,
            price: input.price.map(|m| (m.amount.0, m.currency)),
            kind: input.kind.map(Into::into),
            weight_grams: input.weight_grams,
            active: input.active,
            service_type: input.service_type.map(|s| Some(s).filter(|s| !s.trim().is_empty())),
            needs_appointment: input.needs_appointment,
        };
        respond(catalog::update_product(db, actor, &input.sku, changes).await)
    }
}
