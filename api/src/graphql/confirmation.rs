//! How each channel's orders are confirmed, and how long they may wait unconfirmed: admins read
//! and change the rules.
use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject};
use domain::orders::confirmation::{self, ConfirmationRule, RuleChange};

use super::common::{parts, payload};
use super::enums::Channel;
use super::errors::{ApiResult, respond};

/// How one channel's orders are confirmed.
#[derive(SimpleObject, Clone, Debug)]
pub struct ChannelConfirmationRule {
    /// The channel.
    pub channel: Channel,
    /// Whether its orders are confirmed automatically as soon as they are placed (by a job,
    /// through the same steps as an agent's confirmation); when false they wait for an agent.
    pub auto_confirm: bool,
    /// Minutes an order may wait unconfirmed, holding its stock, before it is cancelled as expired
    /// (its stock released and the customer told); null when its orders never expire.
    pub expire_after_minutes: Option<i32>,
}

impl From<ConfirmationRule> for ChannelConfirmationRule {
    fn from(r: ConfirmationRule) -> Self {
        ChannelConfirmationRule {
            channel: r.channel.into(),
            auto_confirm: r.auto_confirm,
            expire_after_minutes: r.expire_after_minutes,
        }
    }
}

/// A change to one channel's rule; omitted fields keep their value.
#[derive(InputObject, Debug)]
pub struct ChannelConfirmationRuleInput {
    /// The channel.
    pub channel: Channel,
    /// Whether its orders are confirmed automatically as soon as they are placed.
    pub auto_confirm: Option<bool>,
    /// Minutes (1 to 43 200) an order may wait unconfirmed before it expires; null: never.
    pub expire_after_minutes: MaybeUndefined<i32>,
}

/// New rules for some channels; channels not named keep theirs.
#[derive(InputObject, Debug)]
pub struct SetConfirmationRulesInput {
    /// One entry per channel to change.
    pub rules: Vec<ChannelConfirmationRuleInput>,
}

payload!(SetConfirmationRulesPayload, confirmation_rules: Vec<ChannelConfirmationRule>, "setConfirmationRules");

#[derive(Default)]
pub struct ConfirmationQuery;

#[Object]
impl ConfirmationQuery {
    /// Every channel's confirmation rule, in channel order: whether its orders confirm at once
    /// and how long they may wait unconfirmed. Admins only.
    async fn confirmation_rules(&self, ctx: &Context<'_>) -> ApiResult<Vec<ChannelConfirmationRule>> {
        let (db, actor) = parts(ctx)?;
        Ok(confirmation::get_rules(db, actor).await?.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct ConfirmationMutation;

#[Object]
impl ConfirmationMutation {
    /// Changes the confirmation rules of the channels named. Auto-confirmation applies to orders
    /// placed from then on; the waiting time to every unconfirmed order. Admins only.
    async fn set_confirmation_rules(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The SetConfirmationRules request.")] input: SetConfirmationRulesInput,
    ) -> ApiResult<SetConfirmationRulesPayload> {
        let (db, actor) = parts(ctx)?;
        let changes: Vec<RuleChange> = input
            .rules
            .into_iter()
            .map(|r| RuleChange {
                channel: r.channel.into(),
                auto_confirm: r.auto_confirm,
                expire_after_minutes: match r.expire_after_minutes {
                    MaybeUndefined::Undefined => None,
                    MaybeUndefined::Null => Some(None),
                    MaybeUndefined::Value(m) => Some(Some(m)),
                },
            })
            .collect();
        let result = confirmation::set_rules(db, actor, &changes).await;
        respond(result.map(|rules| rules.into_iter().map(ChannelConfirmationRule::from).collect::<Vec<_>>()))
    }
}
