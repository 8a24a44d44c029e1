//! Capacity as a preference, counted in one row per location and day.
//!
//! - `locations.daily_capacity` becomes nullable: NULL means no limit, and no limit is the
//!   default. Rows holding 1000, the value the API used to fill in when an admin gave none,
//!   become NULL: that number was never a decision, and it is what refused sales once a busy
//!   location took its thousandth order. Any other value was set on purpose and is kept.
//! - `location_capacity_usage` counts the fulfilment orders each location took per (UTC) day.
//!   Its primary key is (location, day), so a claim is one conditional update of one row instead
//!   of a count over the day's fulfilment orders, and two claims for the last slot serialise on
//!   that row.
//! - `fulfillment_orders.capacity_day` is the day whose capacity a fulfilment order uses: the
//!   day it was created, or the next one when its location was full (it ships a day later).
//!   NULL for fulfilment orders created before this migration.
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, sqlx};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What the API filled in when an admin created a location without a capacity.
const OLD_DEFAULT_CAPACITY: i32 = 1000;

#[derive(DeriveIden)]
enum Locations {
    Table,
    Id,
    Code,
    Name,
    Kind,
    Line1,
    City,
    PostalCode,
    Country,
    Latitude,
    Longitude,
    CanShip,
    CanPickup,
    AcceptsReturns,
    DailyCapacity,
    Priority,
    ShippingRateMinor,
    ShippingCurrency,
    Active,
    ProcessingDays,
    CutoffHour,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LocationCapacityUsage {
    Table,
    LocationId,
    Day,
    Used,
}

#[derive(DeriveIden)]
enum FulfillmentOrders {
    Table,
    CapacityDay,
}

/// The locations table as it is after this migration, under `name`: what SQLite rebuilds into,
/// since it cannot drop a NOT NULL in place.
fn locations_table(name: &str) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(name))
        .col(pk_uuid(Locations::Id))
        .col(string_len_uniq(Locations::Code, 32))
        .col(string_len(Locations::Name, 200))
        .col(string_len(Locations::Kind, 24))
        .col(string_len(Locations::Line1, 200))
        .col(string_len(Locations::City, 100))
        .col(string_len(Locations::PostalCode, 20))
        .col(string_len(Locations::Country, 2))
        .col(double(Locations::Latitude))
        .col(double(Locations::Longitude))
        .col(boolean(Locations::CanShip))
        .col(boolean(Locations::CanPickup))
        .col(boolean(Locations::AcceptsReturns))
        .col(integer_null(Locations::DailyCapacity))
        .col(integer(Locations::Priority))
        .col(big_integer(Locations::ShippingRateMinor))
        .col(string_len(Locations::ShippingCurrency, 3))
        .col(boolean(Locations::Active))
        .col(timestamp_with_time_zone(Locations::CreatedAt))
        .col(timestamp_with_time_zone(Locations::UpdatedAt))
        .col(integer(Locations::ProcessingDays).default(1))
        .col(integer(Locations::CutoffHour).default(14))
        .check(("locations_capacity_non_negative", Expr::col(Locations::DailyCapacity).gte(0)))
        .check(("locations_shipping_rate_non_negative", Expr::col(Locations::ShippingRateMinor).gte(0)))
        .to_owned()
}

/// SQLite's documented way to change a column: build the new table, copy, drop, rename. Other
/// tables reference `locations`, so foreign keys must be off while the old table is dropped; that
/// pragma is per connection and refused inside a transaction, so all of it runs on one
/// connection taken from the pool, and foreign keys are checked before the copy commits.
async fn rebuild_locations_on_sqlite(db: &sea_orm_migration::sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    let columns = "id, code, name, kind, line1, city, postal_code, country, latitude, longitude, can_ship, \
                   can_pickup, accepts_returns, daily_capacity, priority, shipping_rate_minor, shipping_currency, \
                   active, created_at, updated_at, processing_days, cutoff_hour";
    let create = locations_table("locations_rebuilt").to_string(SqliteQueryBuilder);
    let steps = [
        "BEGIN IMMEDIATE".to_owned(),
        create,
        format!("INSERT INTO locations_rebuilt ({columns}) SELECT {columns} FROM locations"),
        "DROP TABLE locations".to_owned(),
        "ALTER TABLE locations_rebuilt RENAME TO locations".to_owned(),
    ];
    let sql_err = |e: sqlx::Error| DbErr::Migration(format!("rebuilding locations: {e}"));
    let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(sql_err)?;
    sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut *conn).await.map_err(sql_err)?;
    let mut outcome: Result<(), DbErr> = Ok(());
    // The steps are built here from constants and the schema helpers: no input reaches them.
    for step in &steps {
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(step.as_str())).execute(&mut *conn).await {
            outcome = Err(sql_err(e));
            break;
        }
    }
    if outcome.is_ok() {
        match sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut *conn).await {
            Ok(rows) if rows.is_empty() => {}
            Ok(rows) => outcome = Err(DbErr::Migration(format!("{} foreign key(s) broken", rows.len()))),
            Err(e) => outcome = Err(sql_err(e)),
        }
    }
    let end = if outcome.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = sqlx::query(end).execute(&mut *conn).await;
    let restored = sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await;
    if ended.is_err() || restored.is_err() {
        // Never hand a connection without foreign keys back to the pool.
        conn.detach();
    }
    outcome?;
    ended.map_err(sql_err)?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => match manager.get_connection() {
                SchemaManagerConnection::Connection(db) => rebuild_locations_on_sqlite(db).await?,
                _ => return Err(DbErr::Migration("SQLite migrations run outside a transaction".to_owned())),
            },
            _ => {
                manager
                    .get_connection()
                    .execute_unprepared("ALTER TABLE locations ALTER COLUMN daily_capacity DROP NOT NULL")
                    .await?;
            }
        }
        manager
            .exec_stmt(
                Query::update()
                    .table(Locations::Table)
                    .value(Locations::DailyCapacity, Option::<i32>::None)
                    .and_where(Expr::col(Locations::DailyCapacity).eq(OLD_DEFAULT_CAPACITY))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LocationCapacityUsage::Table)
                    .col(uuid(LocationCapacityUsage::LocationId))
                    .col(date(LocationCapacityUsage::Day))
                    .col(integer(LocationCapacityUsage::Used).default(0))
                    .primary_key(Index::create().col(LocationCapacityUsage::LocationId).col(LocationCapacityUsage::Day))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_location_capacity_usage_location")
                            .from(LocationCapacityUsage::Table, LocationCapacityUsage::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .check(("location_capacity_usage_used_non_negative", Expr::col(LocationCapacityUsage::Used).gte(0)))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(FulfillmentOrders::Table)
                    .add_column(date_null(FulfillmentOrders::CapacityDay))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
