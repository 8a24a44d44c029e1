//! Returns and exchanges: requesting, approving or rejecting, receiving, the return policy, and
//! reading returns back. One file per kind of thing; the query and mutation roots here.
mod inputs;
mod types;

use async_graphql::{Context, Object};
use domain::returns as domain_returns;

pub use inputs::{
    ApproveReturnInput, ReceiveReturnInput, RejectReturnInput, RequestExchangeInput, RequestReturnInput, ReturnFilter,
    SetReturnPolicyInput,
};
pub use types::{Return, ReturnConnection, ReturnEdge, ReturnLine, ReturnPolicy};

use super::common::{page_request, parts, payload, uuid_or_nil};
use super::errors::{ApiResult, respond};

/// Declares a return mutation's payload: the return and `userErrors` (`payload!` would name the
/// field `r#return` in its description).
macro_rules! return_payload {
    ($name:ident, $mutation:literal) => {
        #[doc = concat!("The result of `", $mutation, "`.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            /// The return as it is now; null when the request was refused.
            pub r#return: Option<Return>,
            /// Problems the caller can fix; empty on success.
            pub user_errors: Vec<crate::graphql::errors::UserError>,
        }

        impl crate::graphql::errors::Payload for $name {
            type Value = Return;
            fn ok(value: Return) -> Self {
                $name { r#return: Some(value), user_errors: Vec::new() }
            }
            fn failed(user_errors: Vec<crate::graphql::errors::UserError>) -> Self {
                $name { r#return: None, user_errors }
            }
        }
    };
}

return_payload!(RequestReturnPayload, "requestReturn");
return_payload!(RequestExchangePayload, "requestExchange");
return_payload!(ApproveReturnPayload, "approveReturn");
return_payload!(RejectReturnPayload, "rejectReturn");
return_payload!(ReceiveReturnPayload, "receiveReturn");
payload!(SetReturnPolicyPayload, policy: ReturnPolicy, "setReturnPolicy");

#[derive(Default)]
pub struct ReturnQuery;

#[Object]
impl ReturnQuery {
    /// Returns the caller may see, newest first: staff all, a customer those of its own orders,
    /// an associate those brought to or received at its locations.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn returns(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which returns to return.")] filter: Option<ReturnFilter>,
        #[graphql(desc = "How many returns to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the returns after this cursor.")] after: Option<String>,
    ) -> ApiResult<ReturnConnection> {
        let (db, actor) = parts(ctx)?;
        let page = page_request(first, after)?;
        let filter = domain_returns::ReturnFilter::from(filter.unwrap_or_default());
        let found = domain_returns::list_returns(db, actor, &filter, page).await?;
        Ok(ReturnConnection::from_page(found, page.after.is_some(), |r| r.id, Return))
    }

    /// The return policy in force. Staff only.
    async fn return_policy(&self, ctx: &Context<'_>) -> ApiResult<ReturnPolicy> {
        let (db, actor) = parts(ctx)?;
        Ok(domain_returns::get_policy(db, actor).await?.into())
    }
}

#[derive(Default)]
pub struct ReturnMutation;

#[Object]
impl ReturnMutation {
    /// Requests a return of delivered goods: the customer for its own order within the return
    /// window (RETURN_WINDOW_CLOSED after it), or an agent. At most what was delivered less what
    /// is already on returns (RETURN_EXCEEDS_DELIVERED). Approved at once when an agent asks or
    /// the policy auto-approves.
    async fn request_return(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The RequestReturn request.")] input: RequestReturnInput,
    ) -> ApiResult<RequestReturnPayload> {
        let (db, actor) = parts(ctx)?;
        respond(domain_returns::request_return(db, actor, &(&input).into()).await)
    }

    /// Requests an exchange (customer service): a return plus a replacement, priced at today's
    /// prices, reserved at once and released to fulfilment when the return is received (or at
    /// once with `shipNow`). The difference is the return's `balanceDue` or `refundOwed`.
    async fn request_exchange(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The RequestExchange request.")] input: RequestExchangeInput,
    ) -> ApiResult<RequestExchangePayload> {
        let (db, actor) = parts(ctx)?;
        respond(domain_returns::request_exchange(db, actor, &(&input).into()).await)
    }

    /// Approves a requested return. Staff only.
    async fn approve_return(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ApproveReturn request.")] input: ApproveReturnInput,
    ) -> ApiResult<ApproveReturnPayload> {
        let (db, actor) = parts(ctx)?;
        respond(domain_returns::approve_return(db, actor, uuid_or_nil(&input.return_id)).await)
    }

    /// Rejects a requested return, with a reason. Staff only.
    async fn reject_return(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The RejectReturn request.")] input: RejectReturnInput,
    ) -> ApiResult<RejectReturnPayload> {
        let (db, actor) = parts(ctx)?;
        respond(domain_returns::reject_return(db, actor, uuid_or_nil(&input.return_id), &input.reason).await)
    }

    /// Receives an approved return at a location that accepts returns
    /// (LOCATION_CANNOT_ACCEPT_RETURNS otherwise): by an associate of that location, or staff.
    /// A job then restocks the resellable units there, writes off the damaged ones, records the
    /// refund, fills backorders the restock can serve and emails the customer.
    async fn receive_return(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ReceiveReturn request.")] input: ReceiveReturnInput,
    ) -> ApiResult<ReceiveReturnPayload> {
        let (db, actor) = parts(ctx)?;
        respond(domain_returns::receive_return(db, actor, &(&input).into()).await)
    }

    /// Sets the return policy: the window in days from delivery and auto-approval. Admins only.
    async fn set_return_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The SetReturnPolicy request.")] input: SetReturnPolicyInput,
    ) -> ApiResult<SetReturnPolicyPayload> {
        let (db, actor) = parts(ctx)?;
        let policy = domain_returns::ReturnPolicy { window_days: input.window_days, auto_approve: input.auto_approve };
        respond(domain_returns::set_policy(db, actor, policy).await)
    }
}
