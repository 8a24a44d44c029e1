//! Customers.
use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};
use domain::customers::{self, ContactInput};
use domain::orders::{self, OrderFilter};
use entities::customer;

use super::common::{connection, page_request, parts, payload, uuid_or_nil};
use super::errors::{ApiResult, respond};
use super::orders::{Order, OrderConnection};

/// A customer.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Customer {
    /// The customer's id: what a customer token names.
    pub id: async_graphql::ID,
    /// The email address (lower-cased), unique per customer.
    pub email: String,
    /// The customer's name.
    pub name: String,
    /// The phone number, if given.
    pub phone: Option<String>,
    /// When the customer was first seen (RFC 3339).
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<customer::Model> for Customer {
    fn from(c: customer::Model) -> Self {
        Customer { id: c.id.to_string().into(), email: c.email, name: c.name, phone: c.phone, created_at: c.created_at }
    }
}

/// A customer: contact data and what they ordered.
#[ComplexObject]
impl Customer {
    /// The customer's orders the caller may see, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many orders to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the orders after this cursor.")] after: Option<String>,
    ) -> ApiResult<OrderConnection> {
        let (db, actor) = parts(ctx)?;
        let page = page_request(first, after)?;
        let filter = OrderFilter { customer_id: Some(uuid_or_nil(&self.id)), ..OrderFilter::default() };
        let found = orders::list_orders(db, actor, &filter, page).await?;
        Ok(OrderConnection::from_page(found, page.after.is_some(), |o| o.id, Order))
    }
}

connection!(CustomerConnection, CustomerEdge, Customer, "customers");

/// A customer's contact data.
#[derive(InputObject, Clone)]
pub struct CustomerInput {
    /// Email address.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Phone number.
    pub phone: Option<String>,
}

impl From<CustomerInput> for ContactInput {
    fn from(c: CustomerInput) -> Self {
        ContactInput { email: c.email, name: c.name, phone: c.phone }
    }
}

/// A customer to register.
#[derive(InputObject)]
pub struct CreateCustomerInput {
    /// Email address; must not belong to another customer.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Phone number.
    pub phone: Option<String>,
}

payload!(CreateCustomerPayload, customer: Customer, "createCustomer");

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// A customer by id: staff see any, a customer only itself.
    async fn customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's id.")] id: async_graphql::ID,
    ) -> ApiResult<Option<Customer>> {
        let (db, actor) = parts(ctx)?;
        let Ok(id) = uuid::Uuid::parse_str(&id) else {
            return Ok(None);
        };
        Ok(customers::get_customer(db, actor, id).await?.map(Customer::from))
    }

    /// Customers, oldest first. Staff only.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the customer with this email.")] email: Option<String>,
        #[graphql(desc = "How many customers to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the customers after this cursor.")] after: Option<String>,
    ) -> ApiResult<CustomerConnection> {
        let (db, actor) = parts(ctx)?;
        let page = page_request(first, after)?;
        let result = customers::list_customers(db, actor, email.as_deref(), page).await?;
        Ok(CustomerConnection::from_page(result, page.after.is_some(), |c| c.id, Customer::from))
    }
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    /// Registers a customer, e.g. before issuing it a customer token. Staff only.
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CreateCustomer request.")] input: CreateCustomerInput,
    ) -> ApiResult<CreateCustomerPayload> {
        let (db, actor) = parts(ctx)?;
        let contact = ContactInput { email: input.email, name: input.name, phone: input.phone };
        respond(customers::create_customer(db, actor, contact).await)
    }
}
