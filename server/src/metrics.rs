//! Prometheus metrics of one server instance, in its own registry (no global recorder, so
//! several servers can live in one test process).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// Labels of an HTTP request count.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    /// The matched route pattern (`/agents/{id}`), or `unmatched`.
    pub route: String,
    pub status: u16,
}

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    pub world_tick_duration: Histogram,
    pub world_agents: Gauge,
    pub ws_clients: Gauge,
    pub ws_frames_sent: Counter,
    pub ws_bytes_sent: Counter,
    pub ws_resyncs: Counter,
    pub ws_closed_bad_frame: Counter,
    pub http_requests: Family<HttpLabels, Counter>,
    pub store_positions_written: Counter,
    pub store_write_failures: Counter,
    pub board_world_events_dropped: Counter,
    pub auth_logins: Family<OutcomeLabels, Counter>,
    pub ledger_transfers: Counter,
    pub ledger_group_transfers: Histogram,
    pub ledger_commit_duration: Histogram,
    pub ledger_check_duration: Histogram,
    pub llm_tokens: Counter,
    pub llm_uncollected_micros: Counter,
}

/// Labels of a counted outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `ok`, `denied` or `limited`.
    pub outcome: String,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let world_tick_duration = Histogram::new(exponential_buckets(0.000_05, 2.0, 16));
        let world_agents = Gauge::default();
        let ws_clients = Gauge::default();
        let ws_frames_sent = Counter::default();
        let ws_bytes_sent = Counter::default();
        let ws_resyncs = Counter::default();
        let ws_closed_bad_frame = Counter::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        let store_positions_written = Counter::default();
        let store_write_failures = Counter::default();
        let board_world_events_dropped = Counter::default();
        let auth_logins = Family::<OutcomeLabels, Counter>::default();
        let ledger_transfers = Counter::default();
        let ledger_group_transfers = Histogram::new(exponential_buckets(1.0, 2.0, 10));
        let ledger_commit_duration = Histogram::new(exponential_buckets(0.000_25, 2.0, 14));
        let ledger_check_duration = Histogram::new(exponential_buckets(0.000_05, 2.0, 16));
        let llm_tokens = Counter::default();
        let llm_uncollected_micros = Counter::default();
        registry.register(
            "village_llm_tokens",
            "LLM tokens used through the gateway, as upstreams reported them",
            llm_tokens.clone(),
        );
        registry.register(
            "village_llm_uncollected_micros",
            "Cost of LLM calls that agents could not pay in full, in micro-aiDollar",
            llm_uncollected_micros.clone(),
        );
        registry.register_with_unit(
            "village_ledger_check_duration",
            "Time to check one group of transfers (reads included) before writing it",
            Unit::Seconds,
            ledger_check_duration.clone(),
        );
        registry.register(
            "village_ledger_transfers",
            "Transfers written to the ledger",
            ledger_transfers.clone(),
        );
        registry.register(
            "village_ledger_group_transfers",
            "Transfers per group commit",
            ledger_group_transfers.clone(),
        );
        registry.register_with_unit(
            "village_ledger_commit_duration",
            "Time to write one group of transfers, durably",
            Unit::Seconds,
            ledger_commit_duration.clone(),
        );
        registry.register(
            "village_board_world_events_dropped",
            "Board events that did not reach the world stream (the board stream has them)",
            board_world_events_dropped.clone(),
        );
        registry.register(
            "village_auth_logins",
            "Login attempts by outcome",
            auth_logins.clone(),
        );
        registry.register_with_unit(
            "village_world_tick_duration",
            "Time to compute, encode and broadcast one tick",
            Unit::Seconds,
            world_tick_duration.clone(),
        );
        registry.register(
            "village_world_agents",
            "Agents in the world",
            world_agents.clone(),
        );
        registry.register(
            "village_ws_clients",
            "Open world-stream connections",
            ws_clients.clone(),
        );
        registry.register(
            "village_ws_frames_sent",
            "WebSocket frames sent",
            ws_frames_sent.clone(),
        );
        registry.register_with_unit(
            "village_ws_sent",
            "WebSocket payload bytes sent",
            Unit::Bytes,
            ws_bytes_sent.clone(),
        );
        registry.register(
            "village_ws_resyncs",
            "Resyncs sent to clients that fell behind",
            ws_resyncs.clone(),
        );
        registry.register(
            "village_ws_closed_bad_frame",
            "Connections closed for an oversized or undecodable frame",
            ws_closed_bad_frame.clone(),
        );
        registry.register(
            "village_http_requests",
            "HTTP requests by route and status",
            http_requests.clone(),
        );
        registry.register(
            "village_store_positions_written",
            "Agent positions written behind to the store",
            store_positions_written.clone(),
        );
        registry.register(
            "village_store_write_failures",
            "Write-behind batches the store failed to write",
            store_write_failures.clone(),
        );
        Self {
            registry,
            world_tick_duration,
            world_agents,
            ws_clients,
            ws_frames_sent,
            ws_bytes_sent,
            ws_resyncs,
            ws_closed_bad_frame,
            http_requests,
            store_positions_written,
            store_write_failures,
            board_world_events_dropped,
            auth_logins,
            ledger_transfers,
            ledger_group_transfers,
            ledger_commit_duration,
            ledger_check_duration,
            llm_tokens,
            llm_uncollected_micros,
        }
    }

    /// The metrics in the Prometheus/OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
