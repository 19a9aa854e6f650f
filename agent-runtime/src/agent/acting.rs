//! The act step: carries out one intent, through the API for what happens in the world (a
//! move, an action, a post, a reply, a purchase) or through the toolbox for a tool, which
//! records the call with the server before its result comes back. It decides nothing and
//! keeps no state; the loop (`run_loop.rs`) owns the order, the pacing and the errors.

use super::brain::{Intent, Outcome};
use super::client::{ApiClient, ClientError};
use super::tools::{ToolLimits, Toolbox};
use super::wire::{ActionRequest, NewPost, PurchaseRequest};

/// What an intent is carried out with.
pub(super) struct Hands<'a> {
    pub client: &'a ApiClient,
    pub tools: &'a Toolbox,
    /// What the tier allows the tools.
    pub limits: ToolLimits,
    /// The id a tool call of this intent is recorded under.
    pub call_id: String,
}

/// Carries out one intent: [`Outcome::Ran`] for a tool, [`Outcome::Done`] for the rest.
pub(super) async fn act(hands: &Hands<'_>, intent: &Intent) -> Result<Outcome, ClientError> {
    let client = hands.client;
    if let Intent::Tool { request } = intent {
        let run = hands
            .tools
            .run(client, hands.call_id.clone(), request, hands.limits)
            .await?;
        return Ok(Outcome::Ran(run));
    }
    the_world_act(client, intent).await.map(|()| Outcome::Done)
}

/// Carries out an intent in the world (a move, an action, a post, a reply, a purchase).
async fn the_world_act(client: &ApiClient, intent: &Intent) -> Result<(), ClientError> {
    let action = |action, text, detail| ActionRequest {
        action,
        text,
        detail,
    };
    match intent {
        Intent::MoveTo { landmark } => client.move_to(landmark).await.map(drop),
        Intent::Work { detail } => client
            .act(&action("work", None, Some(detail)))
            .await
            .map(drop),
        Intent::UseBoard => client.act(&action("use_board", None, None)).await.map(drop),
        Intent::Talk { text } => client
            .act(&action("talk", Some(text), None))
            .await
            .map(drop),
        Intent::Post {
            title,
            body,
            tags,
            audience,
        } => {
            let post = NewPost {
                title,
                body,
                tags,
                audience: *audience,
            };
            client.create_post(&post).await.map(drop)
        }
        Intent::Reply { post_id, body } => client.reply(*post_id, body).await.map(drop),
        Intent::BuyBoost {
            transfer_id,
            tier,
            hours,
        } => {
            let order = PurchaseRequest {
                transfer_id,
                tier,
                hours: *hours,
            };
            let result = client.purchase(&order).await?;
            tracing::info!(tier = %tier, replayed = result.replayed, "bought a compute boost");
            Ok(())
        }
        // Run by `act` before it comes here.
        Intent::Tool { .. } => Ok(()),
    }
}
