//! Who ordered and where it goes, as given on the order.
use async_graphql::{InputObject, SimpleObject};
use entities::order;

/// Where an order ships to: read on the order, given (as `ShippingAddressInput`) when placing it.
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "ShippingAddressInput")]
pub struct ShippingAddress {
    /// Recipient's name.
    pub name: Option<String>,
    /// Street and number.
    pub line1: String,
    /// Apartment, floor, building.
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State, province or region.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, e.g. "FR".
    pub country: String,
    /// Latitude, when known (used for routing).
    pub latitude: Option<f64>,
    /// Longitude, when known (used for routing).
    pub longitude: Option<f64>,
}

impl ShippingAddress {
    /// The order's address; none when it does not ship (its required parts are empty).
    pub fn of(o: &order::Model) -> Option<ShippingAddress> {
        Some(ShippingAddress {
            name: o.ship_name.clone(),
            line1: o.ship_line1.clone()?,
            line2: o.ship_line2.clone(),
            city: o.ship_city.clone()?,
            region: o.ship_region.clone(),
            postal_code: o.ship_postal_code.clone()?,
            country: o.ship_country.clone()?,
            latitude: o.ship_latitude,
            longitude: o.ship_longitude,
        })
    }
}

/// The customer's contact data as given on the order.
#[derive(SimpleObject, Clone, Debug)]
pub struct OrderContact {
    /// Email address.
    pub email: String,
    /// Name.
    pub name: String,
    /// Phone number.
    pub phone: Option<String>,
}

impl OrderContact {
    /// The contact data written on the order.
    pub fn of(o: &order::Model) -> OrderContact {
        OrderContact { email: o.customer_email.clone(), name: o.customer_name.clone(), phone: o.customer_phone.clone() }
    }
}
