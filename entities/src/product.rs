//! A sellable SKU.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub sku: String,
    pub name: String,
    /// Price in the currency's minor units (cents for EUR).
    pub price_minor: i64,
    pub currency: String,
    pub kind: crate::enums::ProductKind,
    pub weight_grams: Option<i32>,
    pub active: bool,
    /// The crew or service it needs at its appointment (INSTALLATION, ASSEMBLY…); any slot when
    /// `None`.
    pub service_type: Option<String>,
    /// Physical goods delivered in an appointment window (large items). SERVICE products always
    /// need one.
    pub needs_appointment: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
