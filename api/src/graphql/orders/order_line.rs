//! `OrderLine`: one line of an order.
use async_graphql::{Context, ID, Object};
use entities::order_line;

use crate::graphql::catalog::Product;
use crate::graphql::common::Money;
use crate::graphql::errors::ApiResult;
use crate::graphql::loaders::loaders;

/// One line of an order.
#[derive(Clone, Debug)]
pub struct OrderLine(pub order_line::Model);

impl OrderLine {
    /// An amount of this line: priced in its order's currency, whatever the catalogue says today.
    async fn money(&self, ctx: &Context<'_>, minor: i64) -> ApiResult<Money> {
        let order = loaders(ctx)?.order.load_one(self.0.order_id).await?;
        let currency = order.map(|o| o.currency).unwrap_or_default();
        Ok(Money::from_minor(minor, &currency))
    }
}

/// One line of an order.
#[Object]
impl OrderLine {
    /// The line's id.
    async fn id(&self) -> ID {
        self.0.id.to_string().into()
    }

    /// The line's position in the order, from 1.
    async fn line_no(&self) -> i32 {
        self.0.line_no
    }

    /// The SKU ordered.
    async fn sku(&self) -> &str {
        &self.0.sku
    }

    /// The product's name when ordered.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Units ordered.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// The unit price when ordered, from the catalogue.
    async fn unit_price(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        self.money(ctx, self.0.unit_price_minor).await
    }

    /// Unit price × quantity.
    async fn line_total(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        self.money(ctx, self.0.line_total_minor).await
    }

    /// Units reserved at a location (or needing none: digital goods and services).
    async fn allocated_quantity(&self) -> i32 {
        self.0.allocated_quantity
    }

    /// Units waiting for stock.
    async fn backordered_quantity(&self) -> i32 {
        self.0.backordered_quantity
    }

    /// Units cancelled.
    async fn cancelled_quantity(&self) -> i32 {
        self.0.cancelled_quantity
    }

    /// Units shipped or handed over.
    async fn shipped_quantity(&self) -> i32 {
        self.0.shipped_quantity
    }

    /// Units returned.
    async fn returned_quantity(&self) -> i32 {
        self.0.returned_quantity
    }

    /// The product as it is in the catalogue now.
    async fn product(&self, ctx: &Context<'_>) -> ApiResult<Option<Product>> {
        let found = loaders(ctx)?.product.load_one(self.0.product_id).await?;
        Ok(found.map(Product::from))
    }
}
