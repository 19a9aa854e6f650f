//! The agent runtime: runs every agent of the village as root inside its own hardened
//! container, on one of the village's nodes (sparky1, sparky2, ...), with the CPU, memory,
//! process and GPU limits of the agent's compute tier.
//!
//! Layers, each knowing only the one below:
//! - [`spec`]: what an agent's container must be (limits from its tier, labels, name), in the
//!   runtime's own types;
//! - [`backend`]: the [`backend::ContainerBackend`] trait that creates, updates, inspects and
//!   stops such containers, and its Docker implementation (the only module that imports
//!   bollard);
//! - [`hardening`]: the checks every started container must pass;
//! - [`image`]: agent images built locally (no registry) and tagged by content hash, on an
//!   empty base or a root filesystem archive ([`image_base`]);
//! - [`plan`] and [`placement`]: the reconcile decision, from wanted and seen state to
//!   actions, and where new containers go;
//! - [`desired`]: the server's `GET /runtime/agents` answer as the pass's input;
//! - [`reconcile`]: a pass that lists the nodes, plans and applies, with node-loss and
//!   crash-loop handling ([`crash_loop`]: the restart backoff; [`tokens`]: a fresh agent
//!   token written into each container before it starts).
//! - [`launcher`]: the `village-runtime` daemon: settings, the server link, metrics, the
//!   loop of passes.
//! - the disk meter: what a workspace holds on disk, counted by `village-agent measure-disk`
//!   (`agent::disk_meter`) in a meter container, since the engine cannot cap a volume;
//! - [`egress`]: the proxy through which agents of tiers with egress reach the internet,
//!   each request authenticated, checked and logged;
//! - [`node`]: `village-node`, on every other node: the API socket relayed to the server, and
//!   that node's egress proxy;
//!
//! The in-container agent (`village-agent`: perceive, decide, act, reflect against the
//! server's HTTP API with its own token) is its own crate, `agent-runtime/agent`.

pub mod backend;
pub mod crash_loop;
pub mod desired;
pub mod egress;
pub mod hardening;
pub mod image;
pub mod image_base;
pub mod launcher;
pub mod node;
pub mod placement;
pub mod plan;
pub mod reconcile;
pub mod spec;
pub mod tokens;
