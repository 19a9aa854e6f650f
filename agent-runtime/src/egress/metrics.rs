//! The proxy's Prometheus metrics, registered into the registry of the process that runs it
//! (the launcher, or `village-node` on another node): requests by method and outcome, and
//! bytes each way. Per agent they stay in the log lines, not in labels: an agent id per label
//! would grow the series without bound.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::{Registry, Unit};

use super::EgressRecord;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `CONNECT`, `GET`, `HEAD`, or `other`.
    pub method: String,
    /// `allowed` or `refused`.
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DirectionLabels {
    /// `up` (agent to destination) or `down`.
    pub direction: String,
}

/// What the proxy counts.
#[derive(Clone, Debug, Default)]
pub struct EgressMetrics {
    requests: Family<RequestLabels, Counter>,
    bytes: Family<DirectionLabels, Counter>,
}

impl EgressMetrics {
    /// Registers the proxy's metrics in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "village_egress_requests",
            "Requests through the egress proxy, by method and outcome",
            self.requests.clone(),
        );
        registry.register_with_unit(
            "village_egress",
            "Bytes through the egress proxy, each way",
            Unit::Bytes,
            self.bytes.clone(),
        );
    }

    /// Counts one request.
    pub fn record(&self, record: &EgressRecord) {
        let method = match record.method.as_str() {
            known @ ("CONNECT" | "GET" | "HEAD") => known,
            _ => "other",
        };
        let outcome = if record.refusal.is_some() {
            "refused"
        } else {
            "allowed"
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
        for (direction, bytes) in [("up", record.bytes_up), ("down", record.bytes_down)] {
            self.bytes
                .get_or_create(&DirectionLabels {
                    direction: direction.to_string(),
                })
                .inc_by(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_method_and_outcome_with_their_bytes() {
        // A refused PUT counts as `other`/`refused`; an allowed GET adds its bytes.
        let metrics = EgressMetrics::default();
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        let mut record = EgressRecord {
            agent: None,
            peer: "10.0.0.2:4000".parse().unwrap(),
            method: "PUT".into(),
            target: "example.org:80".into(),
            status: 405,
            refusal: Some("only GET and HEAD".into()),
            bytes_up: 0,
            bytes_down: 0,
            duration_ms: 1,
        };
        metrics.record(&record);
        record.method = "GET".into();
        record.refusal = None;
        record.bytes_up = 10;
        record.bytes_down = 300;
        metrics.record(&record);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        for line in [
            r#"village_egress_requests_total{method="other",outcome="refused"} 1"#,
            r#"village_egress_requests_total{method="GET",outcome="allowed"} 1"#,
            r#"village_egress_bytes_total{direction="down"} 300"#,
            r#"village_egress_bytes_total{direction="up"} 10"#,
        ] {
            assert!(text.contains(line), "{line} missing from {text}");
        }
    }
}
