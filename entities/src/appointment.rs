//! An order line's appointment: a delivery window or a service visit.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "appointments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_line_id: Uuid,
    /// The slot it holds; all `None` while UNSCHEDULED.
    pub location_id: Option<Uuid>,
    pub template_id: Option<Uuid>,
    /// The slot's local day at its location.
    pub day: Option<Date>,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub service_type: Option<String>,
    pub status: crate::enums::AppointmentStatus,
    /// The customer's name as signed at completion.
    pub signed_by: Option<String>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
