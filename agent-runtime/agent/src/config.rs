//! The in-container agent's settings, read from its environment and nowhere else: which server
//! to talk to (TCP or the API's unix socket), which agent it is, its token, its workspace, its
//! brain (and, for the LLM brain, its model) and its pace. Parsing is a pure function of a map of variables (plus reading the token
//! file it names), so it is tested without touching the process environment. The token is kept
//! in [`AgentToken`], whose `Debug` hides it: it must never reach a log or an error message.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use shared::AgentId;

/// Where the launcher writes the agent's token inside its container before every start; the
/// agent reads the path from [`TOKEN_FILE_VAR`]. Never in the image or the environment, so
/// an inspection shows no secret, and a restart gets a fresh token.
pub const AGENT_TOKEN_PATH: &str = "/run/village/agent-token";
/// Where the server's HTTP API is: `http://host:port` or `unix:/path/to/api.sock`.
pub const SERVER_URL_VAR: &str = "VILLAGE_SERVER_URL";
/// The agent's id (a `u64`).
pub const AGENT_ID_VAR: &str = "VILLAGE_AGENT_ID";
/// The agent token itself; wins over [`TOKEN_FILE_VAR`].
pub const TOKEN_VAR: &str = "VILLAGE_AGENT_TOKEN";
/// A file holding the agent token (a mounted secret), read when [`TOKEN_VAR`] is unset.
pub const TOKEN_FILE_VAR: &str = "VILLAGE_AGENT_TOKEN_FILE";
/// The folder the agent keeps its memory in.
pub const WORKSPACE_VAR: &str = "VILLAGE_WORKSPACE";
/// Which brain decides: `scripted` (the default) or `llm`.
pub const BRAIN_VAR: &str = "VILLAGE_BRAIN";
/// The model the LLM brain asks the server's gateway for (a name of the agent's tier).
pub const LLM_MODEL_VAR: &str = "VILLAGE_LLM_MODEL";
/// Pause between loop steps, in milliseconds.
pub const STEP_MS_VAR: &str = "VILLAGE_STEP_MS";
/// The container's egress proxy URL (`http://agent-<id>:<secret>@host:port`), set by the
/// runtime only for tiers with egress; the tools send HTTP through it.
pub const EGRESS_PROXY_VAR: &str = "VILLAGE_EGRESS_PROXY";

/// Every variable this module reads; the binary collects only these from the environment.
pub const VARS: [&str; 9] = [
    SERVER_URL_VAR,
    AGENT_ID_VAR,
    TOKEN_VAR,
    TOKEN_FILE_VAR,
    WORKSPACE_VAR,
    BRAIN_VAR,
    LLM_MODEL_VAR,
    STEP_MS_VAR,
    EGRESS_PROXY_VAR,
];

/// The workspace when [`WORKSPACE_VAR`] is unset: the container's mounted volume.
pub const WORKSPACE_DEFAULT: &str = "/workspace";
/// Pause between steps when [`STEP_MS_VAR`] is unset.
pub const STEP_MS_DEFAULT: u64 = 2_000;
/// Shortest allowed pause: faster would only burn the agent's request budget.
pub const STEP_MS_MIN: u64 = 50;
/// Longest allowed pause: slower and the agent looks dead (the server idles it after 60 s).
pub const STEP_MS_MAX: u64 = 60_000;
/// A token file larger than this is not a token (agent tokens are 68 bytes).
pub const TOKEN_FILE_BYTES_MAX: u64 = 4_096;
/// The model asked for when neither [`LLM_MODEL_VAR`] nor the tier names one (an older
/// server): the one every tier lists.
pub const LLM_MODEL_DEFAULT: &str = "village-small";
/// Longest model name accepted, in bytes (the gateway's names are short slugs).
pub const LLM_MODEL_BYTES_MAX: usize = 64;

/// What went wrong reading the settings; every message names the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{var} is not valid: {reason}")]
    Invalid { var: &'static str, reason: String },
    #[error("{var} names {path}, which cannot be read: {source}")]
    TokenFile {
        var: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn invalid(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        var,
        reason: reason.into(),
    }
}

/// How to reach the server's HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAddress {
    /// Plain HTTP over TCP; `authority` is `host:port`, also sent as the `Host` header.
    Tcp { authority: String },
    /// HTTP over a unix socket: the containers have no network, the API is a mounted socket.
    Unix { path: PathBuf },
}

impl fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerAddress::Tcp { authority } => write!(f, "http://{authority}"),
            ServerAddress::Unix { path } => write!(f, "unix:{}", path.display()),
        }
    }
}

impl ServerAddress {
    /// Parses `http://host:port` (an optional trailing `/`) or `unix:/absolute/path`.
    pub fn parse(value: &str) -> Result<ServerAddress, ConfigError> {
        let var = SERVER_URL_VAR;
        if let Some(path) = value.strip_prefix("unix:") {
            let path = Path::new(path);
            if !path.is_absolute() {
                return Err(invalid(
                    var,
                    "a unix socket path must be absolute (unix:/...)",
                ));
            }
            return Ok(ServerAddress::Unix {
                path: path.to_path_buf(),
            });
        }
        let Some(rest) = value.strip_prefix("http://") else {
            return Err(invalid(
                var,
                format!(
                    "{value:?} is neither http://host:port nor unix:/path (no TLS inside the village)"
                ),
            ));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        let Some((host, port)) = authority.rsplit_once(':') else {
            return Err(invalid(var, "give the port: http://host:port"));
        };
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
        if !host_ok {
            return Err(invalid(
                var,
                format!("{host:?} is not a host name or address"),
            ));
        }
        if port.parse::<u16>().is_err() {
            return Err(invalid(var, format!("{port:?} is not a port")));
        }
        Ok(ServerAddress::Tcp {
            authority: authority.to_string(),
        })
    }
}

/// The agent's bearer token. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct AgentToken(String);

impl AgentToken {
    /// Checks the token is a non-empty run of visible ASCII, so it always fits a header.
    pub fn new(value: &str, var: &'static str) -> Result<AgentToken, ConfigError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(invalid(var, "the token is empty"));
        }
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            // Says what is wrong without echoing any of the secret.
            return Err(invalid(
                var,
                "the token has characters other than visible ASCII",
            ));
        }
        Ok(AgentToken(value.to_string()))
    }

    /// The token itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AgentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AgentToken(<hidden>)")
    }
}

/// Which brain decides what the agent does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrainKind {
    /// Deterministic rules, no LLM (`scripted.rs`).
    Scripted,
    /// An LLM through the server's gateway, the scripted brain when it fails (`llm_brain.rs`).
    Llm,
}

/// Everything the agent needs to run.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub server: ServerAddress,
    pub agent_id: AgentId,
    pub token: AgentToken,
    /// The file the token was read from, when it was (the binary removes the runtime's own
    /// token file once read, so no command the agent runs can read it).
    pub token_file: Option<PathBuf>,
    /// Where `memory.jsonl` lives, and where the tools work.
    pub workspace: PathBuf,
    pub brain: BrainKind,
    /// The gateway model the LLM brain prefers (read, and checked, whatever the brain);
    /// `None`: the best its tier allows, step by step.
    pub llm_model: Option<String>,
    /// Pause between loop steps.
    pub step: Duration,
    /// The egress proxy the tools use, when the tier goes out.
    pub egress_proxy: Option<String>,
}

impl AgentConfig {
    /// Reads the settings from the process environment (only the [`VARS`]).
    pub fn from_env() -> Result<AgentConfig, ConfigError> {
        let mut vars = BTreeMap::new();
        for var in VARS {
            if let Some(value) = std::env::var_os(var) {
                let value = value
                    .into_string()
                    .map_err(|_| invalid(var, "not valid UTF-8"))?;
                vars.insert(var.to_string(), value);
            }
        }
        AgentConfig::from_vars(&vars)
    }

    /// Reads the settings from `vars` (name → value); reads the token file if one is named.
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<AgentConfig, ConfigError> {
        let get = |var: &str| vars.get(var).map(String::as_str);
        let server =
            ServerAddress::parse(get(SERVER_URL_VAR).ok_or(ConfigError::Missing(SERVER_URL_VAR))?)?;
        let agent_id = get(AGENT_ID_VAR)
            .ok_or(ConfigError::Missing(AGENT_ID_VAR))?
            .trim()
            .parse::<u64>()
            .map(AgentId)
            .map_err(|_| invalid(AGENT_ID_VAR, "not a whole number (u64)"))?;
        let (token, token_file) = match (get(TOKEN_VAR), get(TOKEN_FILE_VAR)) {
            (Some(token), _) => (AgentToken::new(token, TOKEN_VAR)?, None),
            (None, Some(path)) => (read_token_file(Path::new(path))?, Some(PathBuf::from(path))),
            (None, None) => return Err(ConfigError::Missing(TOKEN_VAR)),
        };
        let workspace = match get(WORKSPACE_VAR) {
            Some("") => return Err(invalid(WORKSPACE_VAR, "empty")),
            Some(path) => PathBuf::from(path),
            None => PathBuf::from(WORKSPACE_DEFAULT),
        };
        let brain = match get(BRAIN_VAR).map(str::trim) {
            None | Some("scripted") => BrainKind::Scripted,
            Some("llm") => BrainKind::Llm,
            Some(other) => {
                return Err(invalid(
                    BRAIN_VAR,
                    format!("{other:?} is not a brain this agent has; use \"scripted\" or \"llm\""),
                ));
            }
        };
        let llm_model = match get(LLM_MODEL_VAR).map(str::trim) {
            None => None,
            Some(model) => Some(check_model(model)?),
        };
        let step_ms = match get(STEP_MS_VAR) {
            None => STEP_MS_DEFAULT,
            Some(value) => value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|ms| (STEP_MS_MIN..=STEP_MS_MAX).contains(ms))
                .ok_or_else(|| {
                    invalid(
                        STEP_MS_VAR,
                        format!(
                            "{value:?} is not a whole number of ms in {STEP_MS_MIN}..={STEP_MS_MAX}"
                        ),
                    )
                })?,
        };
        let egress_proxy = match get(EGRESS_PROXY_VAR).map(str::trim) {
            None | Some("") => None,
            Some(url) if url.starts_with("http://") && !url.contains(char::is_whitespace) => {
                Some(url.to_string())
            }
            Some(_) => {
                return Err(invalid(EGRESS_PROXY_VAR, "not an http:// proxy URL"));
            }
        };
        Ok(AgentConfig {
            server,
            agent_id,
            token,
            token_file,
            workspace,
            brain,
            llm_model,
            step: Duration::from_millis(step_ms),
            egress_proxy,
        })
    }
}

/// A model name: a short run of letters, digits and `-._:/` (it goes into a JSON body as is).
fn check_model(model: &str) -> Result<String, ConfigError> {
    let fits = !model.is_empty()
        && model.len() <= LLM_MODEL_BYTES_MAX
        && model
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:/".contains(&b));
    if !fits {
        return Err(invalid(
            LLM_MODEL_VAR,
            format!(
                "{model:?} is not a model name (1 to {LLM_MODEL_BYTES_MAX} letters, digits, -._:/)"
            ),
        ));
    }
    Ok(model.to_string())
}

/// Reads the token from a mounted file, refusing anything too large to be one.
fn read_token_file(path: &Path) -> Result<AgentToken, ConfigError> {
    let file_error = |source| ConfigError::TokenFile {
        var: TOKEN_FILE_VAR,
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(file_error)?.len();
    if len > TOKEN_FILE_BYTES_MAX {
        return Err(invalid(
            TOKEN_FILE_VAR,
            format!(
                "{} holds {len} bytes, more than a token ({TOKEN_FILE_BYTES_MAX})",
                path.display()
            ),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(file_error)?;
    AgentToken::new(&text, TOKEN_FILE_VAR)
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
