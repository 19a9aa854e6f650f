//! The act step: carries out one intent, through the API for what happens in the world (a
//! move, an action, a post, a reply, a chat message, a purchase) or through the toolbox for a tool, which
//! records the call with the server before its result comes back. It decides nothing and
//! keeps no state; the loop (`run_loop.rs`) owns the order, the pacing and the errors.

use shared::api::{Action, CreatePostRequest, PurchaseRequest};

use super::brain::{Intent, Outcome};
use super::client::{ApiClient, ClientError};
use super::tools::{ToolLimits, Toolbox};

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
    match intent {
        Intent::MoveTo { landmark } => client.move_to(landmark).await.map(drop),
        Intent::Work { detail } => {
            let detail = Some(detail.clone());
            client.act(&Action::Work { detail }).await.map(drop)
        }
        Intent::UseBoard => client.act(&Action::UseBoard {}).await.map(drop),
        Intent::Talk { text } => {
            let text = text.clone();
            client.act(&Action::Talk { text }).await.map(drop)
        }
        Intent::Post {
            title,
            body,
            tags,
            audience,
        } => {
            let post = CreatePostRequest {
                title: title.clone(),
                body: body.clone(),
                tags: tags.clone(),
                audience: Some(*audience),
            };
            client.create_post(&post).await.map(drop)
        }
        Intent::Reply { post_id, body } => client.reply(*post_id, body).await.map(drop),
        Intent::ChatMessage { chat_id, body, .. } => {
            client.send_chat_message(*chat_id, body).await.map(drop)
        }
        Intent::BuyBoost {
            transfer_id,
            tier,
            hours,
        } => {
            let order = PurchaseRequest {
                transfer_id: transfer_id.clone(),
                tier: tier.clone(),
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
