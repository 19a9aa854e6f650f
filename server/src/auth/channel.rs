//! Which door a request came through, and what each door lets a credential do.
//!
//! The public listener (`server.bind`) serves everyone. The agent door (the API socket mounted
//! into agent containers, and `server.agent_bind`, where other nodes' relays pass their
//! containers' connections) serves agents only: every request there must carry an agent
//! token, and only the routes an agent uses are routed. Tokens the runtime fetches for the
//! containers it starts are *container tokens*: they work only through the agent door, so the
//! runtime's account, which fetches them over the public listener, cannot act as an agent with
//! them there. Tokens an admin issues work through either door (an operator may run an agent
//! by hand).
//!
//! The binding is in the token itself (its prefix, covered by the stored hash), so it needs no
//! lookup and cannot be changed by the holder: a token with another prefix hashes to nothing
//! known.

use super::secret_token;

/// The door a request came through; the routers put it in each request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Channel {
    /// The public listener: people, staff, the runtime, admin-issued agent tokens.
    #[default]
    Public,
    /// The agent door: agent tokens only.
    AgentDoor,
}

/// What kind of bearer token a string is, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An agent token an admin issued: works through either door.
    Agent,
    /// An agent token the runtime fetched for a container: the agent door only.
    Container,
    /// Anything else: a JWT (or garbage, which the JWT check refuses).
    Jwt,
}

impl TokenKind {
    pub fn of(token: &str) -> TokenKind {
        if token.starts_with(secret_token::AGENT_TOKEN_PREFIX) {
            TokenKind::Agent
        } else if token.starts_with(secret_token::CONTAINER_TOKEN_PREFIX) {
            TokenKind::Container
        } else {
            TokenKind::Jwt
        }
    }

    /// Whether this kind of token may be used through `channel`; the agent door's further
    /// rule (agents only) is checked once the caller is known.
    pub fn allowed_through(self, channel: Channel) -> bool {
        !matches!((self, channel), (TokenKind::Container, Channel::Public))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_tokens_are_refused_only_through_the_public_door() {
        // A container token is refused on the public listener and allowed at the agent door;
        // admin-issued agent tokens and JWTs pass either door at this step.
        let container = secret_token::generate(secret_token::CONTAINER_TOKEN_PREFIX);
        let agent = secret_token::generate(secret_token::AGENT_TOKEN_PREFIX);
        assert_eq!(TokenKind::of(&container), TokenKind::Container);
        assert_eq!(TokenKind::of(&agent), TokenKind::Agent);
        assert_eq!(TokenKind::of("eyJhbGciOi.x.y"), TokenKind::Jwt);
        assert!(!TokenKind::Container.allowed_through(Channel::Public));
        assert!(TokenKind::Container.allowed_through(Channel::AgentDoor));
        for kind in [TokenKind::Agent, TokenKind::Jwt] {
            assert!(kind.allowed_through(Channel::Public));
            assert!(kind.allowed_through(Channel::AgentDoor));
        }
    }
}
