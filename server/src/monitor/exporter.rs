//! The Prometheus exposition: the server's counters, plus the broker and relay state read at
//! scrape time, written through `prometheus-client`'s text encoder.
//!
//! Every series is listed with its meaning in `docs/METRICS.md`; keep the two in step.

use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::broker::{user_queue_target, Broker, QueueStats};
use crate::metrics::counters::{Metrics, Traffic};
use crate::relay::{Relay, RelayStats};

/// Queues shown one by one (the fullest ones); the totals cover all of them. Peers choose queue
/// names, and a scrape must stay small whatever they do.
pub const MAX_QUEUE_SERIES: usize = 100;

/// What one scrape reads. See the [module docs](self).
#[derive(Debug)]
pub struct Exporter {
    metrics: Arc<Metrics>,
    broker: Arc<Broker>,
    relay: Option<Arc<Relay>>,
}

impl Exporter {
    pub fn new(metrics: Arc<Metrics>, broker: Arc<Broker>, relay: Option<Arc<Relay>>) -> Exporter {
        Exporter {
            metrics,
            broker,
            relay,
        }
    }

    /// A registry that renders this exporter on every encode.
    pub fn into_registry(self) -> Registry {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(self));
        registry
    }
}

/// The Prometheus text exposition (format 0.0.4) of `registry`.
pub fn render(registry: &Registry) -> String {
    let mut out = String::with_capacity(8 * 1024);
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, registry);
    out
}

pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

fn load(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

fn gauge(a: &AtomicI64) -> u64 {
    a.load(Ordering::Relaxed).max(0) as u64
}

/// Writes one metric family: its HELP and TYPE lines and one sample per row.
fn family<S: EncodeLabelSet>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    rows: impl IntoIterator<Item = (S, u64)>,
) -> fmt::Result {
    let mut m = enc.encode_descriptor(name, help, None, kind)?;
    for (labels, value) in rows {
        let sample = m.encode_family(&labels)?;
        match kind {
            MetricType::Counter => ConstCounter::new(value).encode(sample)?,
            _ => ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX)).encode(sample)?,
        }
    }
    Ok(())
}

fn single(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    value: u64,
) -> fmt::Result {
    let m = enc.encode_descriptor(name, help, None, kind)?;
    match kind {
        MetricType::Counter => ConstCounter::new(value).encode(m),
        _ => ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX)).encode(m),
    }
}

fn traffic(
    enc: &mut DescriptorEncoder,
    direction: &str,
    traffic: &Traffic,
    what: &str,
) -> fmt::Result {
    let rows: Vec<_> = traffic.by_command().collect();
    family(
        enc,
        &format!("stomp_frames_{direction}"),
        &format!("STOMP frames {what}, by command"),
        MetricType::Counter,
        rows.iter().map(|(c, n, _)| ([("command", c.as_str())], *n)),
    )?;
    family(
        enc,
        &format!("stomp_bytes_{direction}"),
        &format!("Bytes of STOMP frames {what} (before WebSocket or SockJS framing), by command"),
        MetricType::Counter,
        rows.iter().map(|(c, _, b)| ([("command", c.as_str())], *b)),
    )?;
    single(
        enc,
        &format!("stomp_heartbeats_{direction}"),
        &format!("STOMP heart-beat EOLs {what}"),
        MetricType::Counter,
        traffic.heartbeats(),
    )
}

/// Queues as shown: a per-session `/user` queue under the `/user` destination its clients
/// subscribe to (its name holds the session's secret id), the fullest [`MAX_QUEUE_SERIES`] only, sorted by name.
fn shown_queues(queues: &[QueueStats]) -> Vec<(String, [u64; 3])> {
    let mut by_name: std::collections::BTreeMap<String, [u64; 3]> = Default::default();
    for q in queues {
        let name = match user_queue_target(&q.name) {
            Some(target) => format!("/user{target}"),
            None => q.name.to_string(),
        };
        let e = by_name.entry(name).or_default();
        e[0] += q.depth as u64;
        e[1] += q.unacked as u64;
        e[2] += q.consumers as u64;
    }
    let mut rows: Vec<_> = by_name.into_iter().collect();
    if rows.len() > MAX_QUEUE_SERIES {
        rows.sort_by_key(|(_, [depth, unacked, _])| std::cmp::Reverse(depth + unacked));
        rows.truncate(MAX_QUEUE_SERIES);
        rows.sort_by(|a, b| a.0.cmp(&b.0));
    }
    rows
}

impl Collector for Exporter {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        use MetricType::{Counter, Gauge};
        let enc = &mut enc;
        let m = &self.metrics;
        let transports = m.transports();
        let per_transport =
            |enc: &mut DescriptorEncoder,
             name: &str,
             help: &str,
             kind: MetricType,
             value: &dyn Fn(&crate::metrics::TransportMetrics) -> u64| {
                family(
                    enc,
                    name,
                    help,
                    kind,
                    transports
                        .iter()
                        .map(|(t, c)| ([("transport", *t)], value(c))),
                )
            };
        per_transport(
            enc,
            "stomp_connections",
            "Connections accepted, by transport (tcp, ws, sockjs-<transport>)",
            Counter,
            &|c| load(&c.connections),
        )?;
        per_transport(
            enc,
            "stomp_open_connections",
            "Connections open now, CONNECTed or not, by transport",
            Gauge,
            &|c| gauge(&c.open),
        )?;
        per_transport(
            enc,
            "stomp_rejected_connections",
            "Connections turned away at limits.max_connections, by transport",
            Counter,
            &|c| load(&c.rejected),
        )?;
        per_transport(
            enc,
            "stomp_sessions",
            "STOMP sessions open now (CONNECT accepted), by transport",
            Gauge,
            &|c| gauge(&c.sessions),
        )?;
        family(
            enc,
            "stomp_connects",
            "CONNECT and STOMP frames answered, by transport and result (accepted, refused)",
            Counter,
            transports.iter().flat_map(|(t, c)| {
                [
                    (
                        [("transport", *t), ("result", "accepted")],
                        load(&c.connects_accepted),
                    ),
                    (
                        [("transport", *t), ("result", "refused")],
                        load(&c.connects_refused),
                    ),
                ]
            }),
        )?;
        per_transport(
            enc,
            "stomp_auth_failures",
            "CONNECTs refused for their login and passcode, by transport",
            Counter,
            &|c| load(&c.auth_failures),
        )?;
        per_transport(
            enc,
            "stomp_deliveries",
            "MESSAGE frames handed to clients, by transport",
            Counter,
            &|c| load(&c.deliveries),
        )?;
        traffic(enc, "received", &m.received, "received from clients")?;
        traffic(enc, "sent", &m.sent, "sent to clients")?;
        single(enc, "stomp_slow_consumer_closes", "Sessions closed because their outbound buffer overflowed (limits.slow_consumer = close)", Counter, load(&m.slow_consumer_closes))?;
        single(
            enc,
            "stomp_slow_consumer_drops",
            "MESSAGE frames discarded for a full outbound buffer (limits.slow_consumer = drop)",
            Counter,
            load(&m.slow_consumer_drops),
        )?;
        single(
            enc,
            "stomp_heartbeat_timeouts",
            "Sessions closed because the client fell silent past its heart-beat interval",
            Counter,
            load(&m.heartbeat_timeouts),
        )?;
        single(
            enc,
            "stomp_connect_timeouts",
            "Connections closed for sending no CONNECT in time",
            Counter,
            load(&m.connect_timeouts),
        )?;
        single(
            enc,
            "stomp_send_timeouts",
            "Sessions closed because their peer did not take queued frames in time",
            Counter,
            load(&m.send_timeouts),
        )?;
        single(
            enc,
            "stomp_duplicate_sends",
            "Re-sent SENDs (same x-stomp-wasm-id from the same client) answered but not delivered again",
            Counter,
            load(&m.duplicate_sends),
        )?;
        family(
            enc,
            "stomp_access_denied",
            "SEND and SUBSCRIBE frames refused by the authorizer, by action",
            Counter,
            [
                ([("action", "send")], load(&m.denied_sends)),
                ([("action", "subscribe")], load(&m.denied_subscribes)),
            ],
        )?;

        let stats = self.broker.stats();
        let queues = shown_queues(&stats.queues);
        family(enc, "stomp_queue_depth", "Messages waiting in a queue for a subscriber (per-session /user queues summed under /user<destination>)", Gauge, queues.iter().map(|(q, v)| ([("queue", q.as_str())], v[0])))?;
        family(
            enc,
            "stomp_queue_unacked",
            "Queue messages delivered to client-ack subscribers and not yet acknowledged",
            Gauge,
            queues.iter().map(|(q, v)| ([("queue", q.as_str())], v[1])),
        )?;
        family(
            enc,
            "stomp_queue_consumers",
            "Subscriptions of a queue",
            Gauge,
            queues.iter().map(|(q, v)| ([("queue", q.as_str())], v[2])),
        )?;
        single(
            enc,
            "stomp_queues",
            "Queues that exist (with a backlog or subscribers)",
            Gauge,
            stats.queues.len() as u64,
        )?;
        single(
            enc,
            "stomp_queued_messages",
            "Messages waiting in all queues",
            Gauge,
            stats.queues.iter().map(|q| q.depth as u64).sum(),
        )?;
        single(
            enc,
            "stomp_unacked_messages",
            "Queue messages awaiting ACK, all queues",
            Gauge,
            stats.queues.iter().map(|q| q.unacked as u64).sum(),
        )?;
        single(
            enc,
            "stomp_topics",
            "Topic destinations with at least one subscription",
            Gauge,
            stats.topics as u64,
        )?;
        family(
            enc,
            "stomp_topic_subscriptions",
            "Topic subscriptions, by kind (exact destination or wildcard pattern)",
            Gauge,
            [
                ([("kind", "exact")], stats.topic_subscriptions as u64),
                ([("kind", "pattern")], stats.pattern_subscriptions as u64),
            ],
        )?;

        if let Some(relay) = &self.relay {
            let s: &RelayStats = relay.stats();
            single(
                enc,
                "stomp_relay_connected",
                "1 when the relay's system connection to the external broker is open",
                Gauge,
                u64::from(relay.is_connected()),
            )?;
            single(
                enc,
                "stomp_relay_pending_frames",
                "Publishes queued for the relay's system connection",
                Gauge,
                relay.pending_frames() as u64,
            )?;
            single(
                enc,
                "stomp_relay_session_connections",
                "Client sessions' own broker connections open now",
                Gauge,
                gauge(&s.upstreams),
            )?;
            single(
                enc,
                "stomp_relay_session_pending_frames",
                "Frames queued towards client sessions' broker connections",
                Gauge,
                gauge(&s.upstream_pending),
            )?;
            single(
                enc,
                "stomp_relay_connect_failures",
                "CONNECTs refused because their broker connection could not be opened",
                Counter,
                load(&s.upstream_failures),
            )?;
            single(
                enc,
                "stomp_relay_session_connections_lost",
                "Client sessions' broker connections lost mid-session",
                Counter,
                load(&s.upstreams_lost),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stomp_wasm::ByteStr;

    fn q(name: &str, depth: usize) -> QueueStats {
        QueueStats {
            name: ByteStr::from(name.to_owned()),
            depth,
            consumers: 1,
            unacked: 0,
        }
    }

    #[test]
    fn user_queues_are_shown_without_their_session_ids() {
        let shown = shown_queues(&[
            q("user-session:s1-0123456789abcdef/queue/errors", 2),
            q("user-session:a1b2c3d4-s2f-0123456789abcdef/queue/errors", 3),
            q("/queue/work", 5),
            q("/queue/errors-users1-0123456789abcdef", 1),
        ]);
        let names: Vec<_> = shown.iter().map(|(n, v)| (n.as_str(), v[0])).collect();
        assert_eq!(
            names,
            vec![
                ("/queue/errors-users1-0123456789abcdef", 1),
                ("/queue/work", 5),
                ("/user/queue/errors", 5)
            ]
        );
    }

    #[test]
    fn only_the_fullest_queues_get_series() {
        let many: Vec<_> = (0..MAX_QUEUE_SERIES + 20)
            .map(|i| q(&format!("/queue/q{i:04}"), i))
            .collect();
        let shown = shown_queues(&many);
        assert_eq!(shown.len(), MAX_QUEUE_SERIES);
        assert_eq!(shown[0].0, "/queue/q0020");
    }
}
