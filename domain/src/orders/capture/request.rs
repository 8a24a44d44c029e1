//! The request to place an order, and every check that needs no database.

use crate::customers::{self, ContactInput, parse_contact};
use crate::error::{DomainResult, ErrorCode, Problems, UserError};
use crate::inventory::MAX_QUANTITY;
use crate::orders::status::{Channel, DeliveryMethod};
use crate::validate;

/// At most this many lines in one order.
pub const MAX_LINES: usize = 200;

#[derive(Debug, Clone)]
pub struct LineInput {
    pub sku: String,
    pub quantity: i32,
    /// The appointment slot of a line that needs one (`scheduling::SlotId`).
    pub slot_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ShippingAddressInput {
    pub name: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub channel: Channel,
    /// Required for staff; a customer's own record is used when absent.
    pub customer: Option<ContactInput>,
    pub lines: Vec<LineInput>,
    pub shipping_address: Option<ShippingAddressInput>,
    pub delivery_method: DeliveryMethod,
    pub pickup_location_code: Option<String>,
    pub promo_code: Option<String>,
    pub note: Option<String>,
    /// `false`: one shipment or nothing.
    pub allow_split: bool,
    /// What to do with units nothing can fill now.
    pub backorder_policy: BackorderPolicy,
    /// What the storefront collected at checkout, recorded with the order.
    pub payment: Option<crate::payments::PaymentInput>,
    /// What to do with a line whose slot is full.
    pub full_slot_policy: crate::scheduling::FullSlotPolicy,
}

pub use entities::enums::BackorderPolicy;

/// A checked shipping address.
#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub(crate) name: Option<String>,
    pub(crate) line1: String,
    pub(crate) line2: Option<String>,
    pub(crate) city: String,
    pub(crate) region: Option<String>,
    pub(crate) postal_code: String,
    pub(crate) country: String,
    pub(crate) latitude: Option<f64>,
    pub(crate) longitude: Option<f64>,
}

/// Checks a shipping address, reporting problems under `shippingAddress.<field>`.
pub(crate) fn parse_address(problems: &mut Problems, a: &ShippingAddressInput) -> Option<Address> {
    let f = |name: &'static str| ["shippingAddress", name];
    let name = problems.take(validate::optional_text(&f("name"), a.name.as_deref(), 200));
    let line1 = problems.take(validate::text(&f("line1"), &a.line1, 200));
    let line2 = problems.take(validate::optional_text(&f("line2"), a.line2.as_deref(), 200));
    let city = problems.take(validate::text(&f("city"), &a.city, 100));
    let region = problems.take(validate::optional_text(&f("region"), a.region.as_deref(), 100));
    let postal_code = problems.take(validate::text(&f("postalCode"), &a.postal_code, 20));
    let country = problems.take(validate::country(&f("country"), &a.country));
    let latitude = match a.latitude {
        Some(v) => problems.take(validate::latitude(&f("latitude"), v)).map(Some),
        None => Some(None),
    };
    let longitude = match a.longitude {
        Some(v) => problems.take(validate::longitude(&f("longitude"), v)).map(Some),
        None => Some(None),
    };
    if a.latitude.is_some() != a.longitude.is_some() {
        problems.add(&f("latitude"), ErrorCode::InvalidInput, "give both latitude and longitude, or neither");
    }
    Some(Address {
        name: name?,
        line1: line1?,
        line2: line2?,
        city: city?,
        region: region?,
        postal_code: postal_code?,
        country: country?,
        latitude: latitude?,
        longitude: longitude?,
    })
}

/// The request after every check that needs no database.
pub(super) struct Checked {
    pub(super) contact: Option<customers::Contact>,
    pub(super) lines: Vec<(String, i32)>,
    pub(super) address: Option<Address>,
    pub(super) pickup_code: Option<String>,
    pub(super) promo_code: Option<String>,
    pub(super) note: Option<String>,
}

pub(super) fn check_request(input: &PlaceOrder) -> DomainResult<Checked> {
    let mut problems = Problems::default();
    let contact = match &input.customer {
        Some(c) => parse_contact(&mut problems, "customer", c).map(Some),
        None => Some(None),
    };
    if input.lines.is_empty() {
        problems.add(&["lines"], ErrorCode::InvalidInput, "an order needs at least one line");
    }
    if input.lines.len() > MAX_LINES {
        problems.add(&["lines"], ErrorCode::InvalidInput, format!("an order has at most {MAX_LINES} lines"));
    }
    let mut lines = Vec::with_capacity(input.lines.len());
    for (i, line) in input.lines.iter().enumerate() {
        let sku = validate::code(&[], &line.sku, 64)
            .map_err(|e| UserError::at("lines", i, "sku", ErrorCode::UnknownSku, e.message));
        let sku = problems.take(sku);
        if line.quantity < 1 || line.quantity > MAX_QUANTITY {
            problems.push(UserError::at(
                "lines",
                i,
                "quantity",
                ErrorCode::InvalidInput,
                format!("quantity must be between 1 and {MAX_QUANTITY}"),
            ));
        } else if let Some(sku) = sku {
            lines.push((sku, line.quantity));
        }
    }
    let address = match (&input.shipping_address, input.delivery_method) {
        (Some(a), _) => parse_address(&mut problems, a).map(Some),
        (None, DeliveryMethod::Ship) => {
            problems.add(&["shippingAddress"], ErrorCode::InvalidInput, "a shipping address is required to ship");
            None
        }
        (None, _) => Some(None),
    };
    let pickup_code = match (input.delivery_method, input.pickup_location_code.as_deref().map(str::trim)) {
        (DeliveryMethod::Pickup, None | Some("")) => {
            problems.add(&["pickupLocationCode"], ErrorCode::InvalidInput, "a pickup location is required for PICKUP");
            None
        }
        (DeliveryMethod::Pickup, Some(code)) => Some(Some(code.to_owned())),
        (_, Some(code)) if !code.is_empty() => {
            problems.add(&["pickupLocationCode"], ErrorCode::InvalidInput, "a pickup location is only for PICKUP");
            None
        }
        _ => Some(None),
    };
    let promo_code = problems.take(validate::optional_text(&["promoCode"], input.promo_code.as_deref(), 64));
    let note = problems.take(validate::optional_text(&["note"], input.note.as_deref(), 2000));
    problems.finish((|| {
        Some(Checked {
            contact: contact?,
            lines,
            address: address?,
            pickup_code: pickup_code?,
            promo_code: promo_code?,
            note: note?,
        })
    })())
}
