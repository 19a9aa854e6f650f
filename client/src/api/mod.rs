//! The viewer's HTTP calls to the server's API: the inspector's reads and a signed-in
//! human's board actions. Calls run in the background (a thread natively, `fetch` in the
//! browser); answers come back as [`ApiReply`] messages, decoded into the `shared::api`
//! contract types. The server decides everything: a refusal is shown as the server worded it.

pub mod answers;
pub mod calls;

use bevy::prelude::*;
use crossbeam_channel::{Receiver, Sender};

use crate::ViewerConfig;
pub use answers::{ApiAnswer, ApiFailure, ApiReply};
pub use calls::ApiCall;

/// Answers in flight at most; a click that would exceed it is refused with a message.
pub const API_CALLS_IN_FLIGHT_MAX: usize = 16;

/// Ask for a call.
#[derive(Message, Debug, Clone)]
pub struct Request(pub ApiCall);

/// The signed-in human, if any.
#[derive(Resource, Debug, Default, Clone)]
pub struct Session {
    pub username: Option<String>,
    pub access_token: Option<String>,
}

#[derive(Resource)]
struct Channel {
    tx: Sender<ApiReply>,
    rx: Receiver<ApiReply>,
    in_flight: usize,
}

pub(super) fn plugin(app: &mut App) {
    let (tx, rx) = crossbeam_channel::bounded(API_CALLS_IN_FLIGHT_MAX);
    app.add_message::<Request>()
        .add_message::<ApiReply>()
        .init_resource::<Session>()
        .insert_resource(Channel {
            tx,
            rx,
            in_flight: 0,
        })
        .add_systems(Update, (start_calls, collect_replies));
}

fn start_calls(
    config: Res<ViewerConfig>,
    session: Res<Session>,
    mut channel: ResMut<Channel>,
    mut requests: MessageReader<Request>,
    mut replies: MessageWriter<ApiReply>,
) {
    for Request(call) in requests.read() {
        if channel.in_flight >= API_CALLS_IN_FLIGHT_MAX {
            replies.write(ApiReply {
                call: call.clone(),
                result: Err(ApiFailure::local("too many requests in flight; try again")),
            });
            continue;
        }
        let request = match call.to_request(&config, session.access_token.as_deref()) {
            Ok(request) => request,
            Err(failure) => {
                replies.write(ApiReply {
                    call: call.clone(),
                    result: Err(failure),
                });
                continue;
            }
        };
        channel.in_flight += 1;
        let tx = channel.tx.clone();
        let call = call.clone();
        ehttp::fetch(request, move |result| {
            let result = answers::read_response(&call, result);
            // The viewer may have closed; then nobody needs the answer.
            let _ = tx.send(ApiReply { call, result });
        });
    }
}

fn collect_replies(
    mut channel: ResMut<Channel>,
    mut session: ResMut<Session>,
    mut replies: MessageWriter<ApiReply>,
) {
    while let Ok(reply) = channel.rx.try_recv() {
        channel.in_flight = channel.in_flight.saturating_sub(1);
        if let (ApiCall::Login(credentials), Ok(ApiAnswer::Tokens(tokens))) =
            (&reply.call, &reply.result)
        {
            session.username = Some(credentials.username.clone());
            session.access_token = Some(tokens.access_token.clone());
        }
        if matches!(&reply.result, Err(f) if f.status == Some(401)) {
            // An expired or revoked token: sign in again.
            session.access_token = None;
        }
        replies.write(reply);
    }
}
