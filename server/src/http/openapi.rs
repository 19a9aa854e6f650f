//! The OpenAPI document's header (title, tags, the `bearer` scheme) and the error answers that
//! every operation shares, added to the finished document by [`with_shared_errors`] so that a
//! new route cannot forget them: 400/413/415/422 where a JSON body, a path or a query is read,
//! 401/423/429 where a token is read, 408 and 414 everywhere. What only one route answers stays
//! in its `#[utoipa::path]`. This file describes answers; it decides none of them.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

use super::error::ErrorBody;

/// The document's header; paths come from the router.
#[derive(OpenApi)]
#[openapi(
    info(title = "AI Village API", description = "The authoritative world server of AI Village."),
    modifiers(&BearerScheme),
    components(schemas(ErrorBody)),
    tags(
        (name = "world", description = "The tile world as a whole"),
        (name = "agents", description = "Agents: reading, moving, acting, perceiving"),
        (name = "auth", description = "Accounts, sign-in, tokens"),
        (name = "admin", description = "Agents and their tokens, accounts and roles, the audit log"),
        (name = "board", description = "The town bulletin board"),
        (name = "chats", description = "Private task chats between a person and an agent"),
        (name = "economy", description = "The aiDollar ledger, rewards, penalties, deposits, compute boosts"),
        (name = "llm", description = "The OpenAI-compatible LLM gateway for agents"),
        (name = "payments", description = "Real-money credit from the payment provider"),
        (name = "runtime", description = "The agent runtime: desired container state, fresh agent tokens"),
        (name = "operations", description = "Health and metrics")
    )
)]
pub struct ApiDoc;

/// `bearer`: a JWT from `POST /auth/login`, or an agent token from `POST /admin/agents`.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// One shared error answer: its status, its name under `components/responses`, and what it
/// means (also appended to a route's own description of the same status, unless that one
/// already names `code`).
struct SharedError {
    status: &'static str,
    name: &'static str,
    code: &'static str,
    description: &'static str,
    retry_after: bool,
}

const MALFORMED: SharedError = SharedError {
    status: "400",
    name: "MalformedRequest",
    code: "`malformed_json`",
    description: "Malformed request: a JSON body that does not parse (`malformed_json`), a \
        path parameter that is not a number (`invalid_path`), or an unknown or ill-typed query \
        parameter (`invalid_query`).",
    retry_after: false,
};
const UNAUTHORIZED: SharedError = SharedError {
    status: "401",
    name: "Unauthorized",
    code: "`missing_token`",
    description: "No token where one is needed (`missing_token`; also on anonymous reads while \
        `auth.anonymous_reads` is off), not `Bearer <token>` (`bad_authorization`), or a token \
        that is unknown, expired, retired, revoked or bound to the agent door (`bad_token`, \
        `token_expired`, `token_key_retired`, `token_revoked`, `token_bound_to_agent_door`). A \
        bad token is never read as anonymous.",
    retry_after: false,
};
const TIMEOUT: SharedError = SharedError {
    status: "408",
    name: "RequestTimeout",
    code: "`request_timeout`",
    description: "The request took longer than `http.request_timeout_ms` (default 10000; \
        configurable; `llm.upstream_timeout_ms` under `/v1/`): `request_timeout`.",
    retry_after: false,
};
const TOO_LARGE: SharedError = SharedError {
    status: "413",
    name: "BodyTooLarge",
    code: "`body_too_large`",
    description: "The body is over `http.body_bytes_max` bytes (default 16384; configurable): \
        `body_too_large`.",
    retry_after: false,
};
const URI_TOO_LONG: SharedError = SharedError {
    status: "414",
    name: "UriTooLong",
    code: "`uri_too_long`",
    description: "The path and query are over `http.uri_bytes_max` bytes (default 8192; \
        configurable): `uri_too_long`.",
    retry_after: false,
};
const MEDIA_TYPE: SharedError = SharedError {
    status: "415",
    name: "UnsupportedMediaType",
    code: "`unsupported_media_type`",
    description: "The body is not sent as `Content-Type: application/json`: \
        `unsupported_media_type`.",
    retry_after: false,
};
const INVALID_BODY: SharedError = SharedError {
    status: "422",
    name: "InvalidBody",
    code: "`invalid_body`",
    description: "JSON of the wrong shape: an unknown or missing field, a wrong type, an unknown \
        enum value (`invalid_body`).",
    retry_after: false,
};
const HELD: SharedError = SharedError {
    status: "423",
    name: "AgentHeld",
    code: "`agent_held`",
    description: "An agent token of an agent under an admin's pause, stop or kill hold: it may \
        not act on any route until an admin resumes it (`agent_held`).",
    retry_after: false,
};
const RATE_LIMITED: SharedError = SharedError {
    status: "429",
    name: "RateLimited",
    code: "`account_rate_limited`",
    description: "The caller's rate limit: requests per account (`account_rate_limited`), per \
        agent by its compute tier (`tier_rate_limited`), per address without a token \
        (`anonymous_rate_limited`), or writes per account (`write_rate_limited`); \
        `Retry-After` says when to try again.",
    retry_after: true,
};

/// Every shared answer, for `components/responses`.
const SHARED: [&SharedError; 9] = [
    &MALFORMED,
    &UNAUTHORIZED,
    &TIMEOUT,
    &TOO_LARGE,
    &URI_TOO_LONG,
    &MEDIA_TYPE,
    &INVALID_BODY,
    &HELD,
    &RATE_LIMITED,
];

impl SharedError {
    /// The answer as a component: the description and the `ErrorBody` schema.
    fn response(&self) -> Response {
        let body = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build();
        let mut response = ResponseBuilder::new()
            .description(self.description)
            .content("application/json", body);
        if self.retry_after {
            let seconds = HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                ))
                .description(Some("Seconds to wait before trying again"))
                .build();
            response = response.header("Retry-After", seconds);
        }
        response.build()
    }

    /// Adds this answer to `operation`: a reference to the component, or, where the route
    /// documents the status itself, this meaning appended to the route's own.
    fn add_to(&self, operation: &mut Operation) {
        let answers = &mut operation.responses.responses;
        match answers.get_mut(self.status) {
            None => {
                answers.insert(
                    self.status.into(),
                    RefOr::Ref(Ref::from_response_name(self.name)),
                );
            }
            Some(RefOr::T(own)) => {
                if !own.description.contains(self.code) {
                    let stop = if own.description.ends_with('.') {
                        ""
                    } else {
                        "."
                    };
                    own.description = format!("{}{stop} {}", own.description, self.description);
                }
            }
            Some(RefOr::Ref(_)) => {}
        }
    }
}

/// Adds the shared error answers to every operation of `openapi` (see the module doc), and
/// their definitions to `components/responses`.
pub fn with_shared_errors(mut openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    for item in openapi.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            add_shared_errors(operation);
        }
    }
    let components = openapi.components.get_or_insert_with(Default::default);
    for shared in SHARED {
        components
            .responses
            .insert(shared.name.into(), RefOr::T(shared.response()));
    }
    openapi
}

fn add_shared_errors(operation: &mut Operation) {
    let has_body = operation.request_body.is_some();
    let reads_params = operation.parameters.iter().flatten().any(|parameter| {
        matches!(
            parameter,
            RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query)
        )
    });
    // `security` lists alternatives; an empty one (`{}`) means anonymous is allowed too, but
    // a token that is given is still checked (401), held (423) and counted (429).
    let reads_token = operation
        .security
        .as_ref()
        .is_some_and(|alternatives| !alternatives.is_empty());
    let mut shared: Vec<&SharedError> = vec![&TIMEOUT, &URI_TOO_LONG];
    if has_body || reads_params {
        shared.push(&MALFORMED);
    }
    if has_body {
        shared.extend([&TOO_LARGE, &MEDIA_TYPE, &INVALID_BODY]);
    }
    if reads_token {
        shared.extend([&UNAUTHORIZED, &HELD, &RATE_LIMITED]);
    }
    for error in shared {
        error.add_to(operation);
    }
}

/// The operations of a path, whatever their methods.
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}
