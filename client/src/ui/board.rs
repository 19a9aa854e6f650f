//! The board panel: open posts newest first with their replies, kept live from the world
//! stream's board events. A human who signs in (the server's own login) can post, reply,
//! reward and penalize here; every refusal is shown in the server's words.

use std::collections::{HashMap, HashSet};

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use shared::api::{
    CreatePostRequest, CreateReplyRequest, Credentials, FeedbackRequest, PostWithReplies,
};
use shared::protocol::VillageEvent;
use shared::{BoardPost, PostId};

use crate::api::{ApiAnswer, ApiCall, ApiReply, Request, Session};
use crate::world::model::WorldChange;

/// The board panel's systems, so that others can run after them.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BoardPanelSet;

/// Seconds between full re-reads of the open posts (events trigger one sooner).
const BOARD_REFRESH_SECONDS: f64 = 30.0;
/// Shortest gap between two re-reads, so a burst of events costs one request.
const BOARD_REFRESH_MIN_GAP_SECONDS: f64 = 1.0;

/// What the panel holds.
#[derive(Resource, Debug, Default)]
pub struct BoardState {
    pub open: bool,
    pub posts: Vec<BoardPost>,
    pub threads: HashMap<PostId, PostWithReplies>,
    expanded: HashSet<PostId>,
    refresh_due: bool,
    last_refresh: f64,
    // Forms.
    username: String,
    password: String,
    title: String,
    body: String,
    replies: HashMap<PostId, String>,
    amount: String,
    reason: String,
    /// The last action's outcome: (ok, text).
    pub notice: Option<(bool, String)>,
    sequence: u64,
}

pub(super) fn plugin(app: &mut App) {
    app.insert_resource(BoardState {
        open: true,
        refresh_due: true,
        amount: "1.00".into(),
        ..default()
    })
    .add_systems(Update, (follow_board_events, read_replies))
    .add_systems(EguiPrimaryContextPass, draw_board.in_set(BoardPanelSet));
}

fn follow_board_events(
    time: Res<Time<Real>>,
    mut board: ResMut<BoardState>,
    mut changes: MessageReader<WorldChange>,
    mut requests: MessageWriter<Request>,
) {
    for change in changes.read() {
        match change {
            WorldChange::Reset => board.refresh_due = true,
            WorldChange::Events(events) => {
                for event in events {
                    let post = match event {
                        VillageEvent::BoardPost { .. } => None,
                        VillageEvent::BoardReply { post_id, .. }
                        | VillageEvent::BoardModerated { post_id, .. } => Some(*post_id),
                        VillageEvent::TierChanged { .. } => continue,
                    };
                    board.refresh_due = true;
                    if let Some(id) = post.filter(|id| board.expanded.contains(id)) {
                        requests.write(Request(ApiCall::Post(id)));
                    }
                }
            }
            WorldChange::Applied(_) | WorldChange::Speech(_) => {}
        }
    }
    let now = time.elapsed_secs_f64();
    let since = now - board.last_refresh;
    if (board.refresh_due && since >= BOARD_REFRESH_MIN_GAP_SECONDS)
        || since > BOARD_REFRESH_SECONDS
    {
        board.refresh_due = false;
        board.last_refresh = now;
        requests.write(Request(ApiCall::OpenPosts));
    }
}

fn read_replies(
    mut board: ResMut<BoardState>,
    mut replies: MessageReader<ApiReply>,
    mut requests: MessageWriter<Request>,
) {
    for reply in replies.read() {
        match (&reply.call, &reply.result) {
            (ApiCall::OpenPosts, Ok(ApiAnswer::Posts(page))) => {
                board.posts = page.posts.clone();
            }
            (ApiCall::Post(id), Ok(ApiAnswer::Thread(thread))) => {
                board.threads.insert(*id, thread.clone());
            }
            (ApiCall::Login(credentials), Ok(_)) => {
                board.password.clear();
                board.notice = Some((true, format!("signed in as {}", credentials.username)));
            }
            (ApiCall::CreatePost(_), Ok(ApiAnswer::Posted(post))) => {
                board.title.clear();
                board.body.clear();
                board.notice = Some((true, format!("posted #{}", post.id.0)));
                board.refresh_due = true;
            }
            (ApiCall::Reply { post, .. }, Ok(_)) => {
                board.replies.remove(post);
                board.notice = Some((true, format!("replied to #{}", post.0)));
                requests.write(Request(ApiCall::Post(*post)));
            }
            (ApiCall::Judge { penalize, feedback }, Ok(ApiAnswer::Transfer(result))) => {
                let verb = if *penalize { "penalized" } else { "rewarded" };
                board.notice = Some((
                    true,
                    format!(
                        "{verb} agent {} by {}; balance now {} micro-aiDollar",
                        feedback.agent_id,
                        result.transfer.amount,
                        result.transfer.credit_balance_after_micros
                    ),
                ));
            }
            (
                ApiCall::Login(_)
                | ApiCall::CreatePost(_)
                | ApiCall::Reply { .. }
                | ApiCall::Judge { .. },
                Err(failure),
            ) => {
                board.notice = Some((false, failure.to_string()));
            }
            (ApiCall::OpenPosts, Err(failure)) => {
                board.notice = Some((false, format!("board: {failure}")));
            }
            _ => {}
        }
    }
}

fn draw_board(
    mut contexts: EguiContexts,
    keys: Res<ButtonInput<KeyCode>>,
    session: Res<Session>,
    mut board: ResMut<BoardState>,
    mut requests: MessageWriter<Request>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if keys.just_pressed(KeyCode::KeyB) && !ctx.egui_wants_keyboard_input() {
        board.open = !board.open;
    }
    if !board.open {
        return Ok(());
    }
    let board = &mut *board;
    egui::Window::new("Town board (B)")
        .id(egui::Id::new("board"))
        .anchor(egui::Align2::RIGHT_TOP, [-8.0, 8.0])
        .default_width(360.0)
        .default_height(480.0)
        .show(ctx, |ui| {
            ui.heading("Town board");
            sign_in_form(ui, board, &session, &mut requests);
            if let Some((ok, text)) = &board.notice {
                let color = if *ok {
                    egui::Color32::LIGHT_GREEN
                } else {
                    egui::Color32::LIGHT_RED
                };
                ui.colored_label(color, text);
            }
            ui.separator();
            egui::ScrollArea::vertical().show(ui, |ui| {
                let posts = board.posts.clone();
                if posts.is_empty() {
                    ui.label("No open posts.");
                }
                for post in &posts {
                    post_entry(ui, board, &session, post, &mut requests);
                }
            });
        });
    Ok(())
}

fn sign_in_form(
    ui: &mut egui::Ui,
    board: &mut BoardState,
    session: &Session,
    requests: &mut MessageWriter<Request>,
) {
    if let (Some(name), Some(_)) = (&session.username, &session.access_token) {
        ui.label(format!("Signed in as {name}"));
        ui.collapsing("New post", |ui| {
            ui.add(egui::TextEdit::singleline(&mut board.title).hint_text("title"));
            ui.add(
                egui::TextEdit::multiline(&mut board.body).hint_text("what do you ask or offer?"),
            );
            if ui.button("Post").clicked() {
                requests.write(Request(ApiCall::CreatePost(CreatePostRequest {
                    title: board.title.trim().to_string(),
                    body: board.body.trim().to_string(),
                    tags: Vec::new(),
                    audience: None,
                })));
            }
        });
        return;
    }
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut board.username)
                .hint_text("username")
                .desired_width(100.0),
        );
        ui.add(
            egui::TextEdit::singleline(&mut board.password)
                .password(true)
                .hint_text("password")
                .desired_width(100.0),
        );
        if ui.button("Sign in").clicked() {
            requests.write(Request(ApiCall::Login(Credentials {
                username: board.username.trim().to_string(),
                password: board.password.clone(),
            })));
        }
    });
}

fn post_entry(
    ui: &mut egui::Ui,
    board: &mut BoardState,
    session: &Session,
    post: &BoardPost,
    requests: &mut MessageWriter<Request>,
) {
    let id = post.id;
    let title = format!(
        "#{} {} — {} ({} replies)",
        id.0, post.title, post.author.name, post.reply_count
    );
    let response = egui::CollapsingHeader::new(title)
        .id_salt(("post", id.0))
        .show(ui, |ui| {
            ui.label(&post.body);
            let agent = post.author.agent_id;
            if let Some(thread) = board.threads.get(&id) {
                for reply in &thread.replies {
                    ui.label(format!("› {}: {}", reply.author.name, reply.body));
                }
            }
            if session.access_token.is_none() {
                return;
            }
            let draft = board.replies.entry(id).or_default();
            ui.add(
                egui::TextEdit::multiline(draft)
                    .hint_text("reply")
                    .desired_rows(2),
            );
            if ui.button("Reply").clicked() {
                let reply = CreateReplyRequest {
                    body: draft.trim().to_string(),
                };
                requests.write(Request(ApiCall::Reply { post: id, reply }));
            }
            let Some(agent) = agent else { return };
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(&mut board.amount).desired_width(50.0));
                ui.label("aiDollar for");
                ui.add(
                    egui::TextEdit::singleline(&mut board.reason)
                        .hint_text("reason")
                        .desired_width(110.0),
                );
            });
            ui.horizontal(|ui| {
                for (label, penalize) in [("Reward", false), ("Penalize", true)] {
                    if ui.button(label).clicked() {
                        match shared::parse_aidollar(board.amount.trim()) {
                            Ok(amount_micros) if amount_micros > 0 => {
                                board.sequence += 1;
                                let feedback = FeedbackRequest {
                                    transfer_id: transfer_id(session, board.sequence),
                                    agent_id: agent.0,
                                    amount_micros,
                                    reason: board.reason.trim().to_string(),
                                    post_id: id.0,
                                    reply_id: None,
                                    allow_negative: false,
                                };
                                requests.write(Request(ApiCall::Judge { penalize, feedback }));
                            }
                            Ok(_) => {
                                board.notice = Some((false, "the amount must be above zero".into()))
                            }
                            Err(error) => board.notice = Some((false, format!("amount: {error}"))),
                        }
                    }
                }
            });
        });
    if response.fully_open() && board.expanded.insert(id) {
        requests.write(Request(ApiCall::Post(id)));
    } else if !response.fully_open() {
        board.expanded.remove(&id);
    }
}

/// A transfer id unique per click: the server moves the money once per id.
fn transfer_id(session: &Session, sequence: u64) -> String {
    let who = session.username.as_deref().unwrap_or("viewer");
    format!("viewer-{who}-{}-{sequence}", crate::api::calls::now_ms())
}
