//! `loadgen`: the load harness for STOMP brokers — ours (stomp-server) and RabbitMQ — over
//! WebSocket and TCP, and STOMP over SockJS (`--transport sockjs-websocket | xhr-streaming |
//! xhr-polling | eventsource`, stomp-server's `--sockjs` endpoint; [`sockjs`]), on 127.0.0.1
//! only.
//!
//! Scenarios (one per run, each bounded in count and time):
//! - `throughput`: N publishers → one topic → M subscribers, as fast as the broker goes;
//!   msgs/s published and deliveries/s ([`throughput`]).
//! - `latency`: one publisher at a fixed rate, one subscriber; p50/p99 ([`latency`]).
//! - `idle`: many idle sessions; broker RSS per connection ([`idle`]).
//!
//! A summary goes to stderr; `--json` also prints one JSON object on stdout for scripts
//! (scripts/bench.sh collects them into docs/BENCHMARKS.md).
//!
//! Frames are encoded and decoded with the repository's codec (`stomp_wasm`), the same one the
//! server uses: the harness adds no parser of its own.

mod conn;
mod error;
mod idle;
mod latency;
mod roles;
mod rss;
mod sockjs;
mod throughput;

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::conn::{ConnectOptions, Target};
use crate::error::LoadError;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Load harness for STOMP brokers over WebSocket, TCP and SockJS (127.0.0.1 only)"
)]
struct Cli {
    /// Which transport to drive.
    #[arg(long, value_enum, default_value_t = Transport::Ws)]
    transport: Transport,
    /// STOMP-over-TCP address (RabbitMQ: 127.0.0.1:61613).
    #[arg(long, default_value = "127.0.0.1:61613")]
    tcp: SocketAddr,
    /// STOMP-over-WebSocket URL (RabbitMQ: ws://127.0.0.1:15674/ws).
    #[arg(long, default_value = "ws://127.0.0.1:15674/ws")]
    ws: String,
    /// SockJS endpoint of the SockJS transports (stomp-server: http://127.0.0.1:8080/stomp).
    #[arg(long, default_value = "http://127.0.0.1:8080/stomp")]
    sockjs: String,
    #[arg(long, default_value = "guest")]
    login: String,
    #[arg(long, default_value = "guest")]
    passcode: String,
    /// CONNECT `host` header (RabbitMQ's vhost).
    #[arg(long, default_value = "/")]
    vhost: String,
    /// Name of the broker under test, copied into the JSON output.
    #[arg(long, default_value = "")]
    label: String,
    /// Runtime worker threads of the harness itself (default: 2, except `latency`, which runs
    /// on one thread; 0 = one thread).
    #[arg(long)]
    threads: Option<usize>,
    /// Print the result as one JSON object on stdout.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Transport {
    Ws,
    Tcp,
    /// SockJS `websocket` transport (SockJS framing inside WebSocket text messages).
    SockjsWebsocket,
    XhrStreaming,
    XhrPolling,
    Eventsource,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// N publishers, M subscribers on one topic, full speed: msgs/s and deliveries/s.
    Throughput(throughput::ThroughputArgs),
    /// One publisher at a fixed rate, one subscriber: latency percentiles.
    Latency(latency::LatencyArgs),
    /// Many idle sessions: broker memory per connection.
    Idle(idle::IdleArgs),
}

#[derive(Serialize)]
struct Output<'a, T: Serialize> {
    label: &'a str,
    transport: &'a str,
    scenario: &'a str,
    #[serde(flatten)]
    result: T,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match runtime_for(&cli).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The harness's own runtime. `latency` defaults to a single thread: its publisher and subscriber
/// then share one thread that waits in epoll for both its pacing timer and the broker's
/// deliveries. On a multi-thread runtime every paced burst and every delivery was an extra
/// thread hand-off (timer → futex wake of the publisher, publisher → eventfd wake of the I/O
/// driver), each one more chance to wait for a CPU on a shared 2-core machine: latency the
/// harness added to the broker's figure. The load itself (≤ tens of thousands of small frames
/// a second) needs nowhere near a second thread.
fn runtime_for(cli: &Cli) -> tokio::runtime::Builder {
    let default = match cli.scenario {
        Scenario::Latency(_) => 1,
        Scenario::Throughput(_) | Scenario::Idle(_) => 2,
    };
    match cli.threads.unwrap_or(default) {
        0 | 1 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(n);
            builder
        }
    }
}

async fn run(cli: &Cli) -> Result<(), LoadError> {
    let target = match cli.transport {
        Transport::Tcp => Target::Tcp(cli.tcp),
        Transport::Ws => Target::Ws(cli.ws.clone()),
        Transport::SockjsWebsocket => Target::SockJs(
            sockjs::Kind::WebSocket,
            sockjs::Endpoint::parse(&cli.sockjs)?,
        ),
        Transport::XhrStreaming => Target::SockJs(
            sockjs::Kind::XhrStreaming,
            sockjs::Endpoint::parse(&cli.sockjs)?,
        ),
        Transport::XhrPolling => Target::SockJs(
            sockjs::Kind::XhrPolling,
            sockjs::Endpoint::parse(&cli.sockjs)?,
        ),
        Transport::Eventsource => Target::SockJs(
            sockjs::Kind::EventSource,
            sockjs::Endpoint::parse(&cli.sockjs)?,
        ),
    };
    target.check_loopback()?;
    let opts = ConnectOptions {
        login: cli.login.clone(),
        passcode: cli.passcode.clone(),
        vhost: cli.vhost.clone(),
        heartbeat: (0, 0),
    };
    let transport = target.transport_name();
    match &cli.scenario {
        Scenario::Throughput(args) => {
            let r = throughput::run(&target, &opts, args).await?;
            eprintln!(
                "[{}/{transport}] throughput {}→{}: published {} in {:.2} s = {:.0} msg/s; delivered {}/{} in {:.2} s = {:.0} deliveries/s{}",
                cli.label,
                r.publishers,
                r.subscribers,
                r.published,
                r.publish_secs,
                r.published_per_sec,
                r.delivered,
                r.expected_deliveries,
                r.deliver_secs,
                r.deliveries_per_sec,
                errors_suffix(&r.errors),
            );
            emit(cli, transport, "throughput", &r);
            incomplete(
                r.delivered < r.expected_deliveries || !r.errors.is_empty(),
                &r.errors,
            )
        }
        Scenario::Latency(args) => {
            let r = latency::run(&target, &opts, args).await?;
            eprintln!(
                "[{}/{transport}] latency at {} msg/s (achieved {:.0}): sent {} received {} measured {}: p50 {:.3} ms p90 {:.3} ms p99 {:.3} ms p99.9 {:.3} ms max {:.3} ms{}",
                cli.label,
                r.rate,
                r.achieved_rate,
                r.sent,
                r.received,
                r.measured,
                r.p50_ms,
                r.p90_ms,
                r.p99_ms,
                r.p999_ms,
                r.max_ms,
                errors_suffix(&r.errors),
            );
            emit(cli, transport, "latency", &r);
            incomplete(r.received < r.sent || !r.errors.is_empty(), &r.errors)
        }
        Scenario::Idle(args) => {
            let r = idle::run(&target, &opts, args).await?;
            eprintln!(
                "[{}/{transport}] idle: {}/{} connected ({} failed{}) in {:.2} s; RSS {:?} → {:?} KiB = {} KiB per connection; {} dropped while idle",
                cli.label,
                r.connected,
                r.requested,
                r.failed,
                r.first_error.as_deref().map(|e| format!(", first: {e}")).unwrap_or_default(),
                r.connect_secs,
                r.rss_before_kib,
                r.rss_after_kib,
                r.kib_per_connection.map(|k| format!("{k:.2}")).unwrap_or_else(|| "?".into()),
                r.dropped_while_idle,
            );
            emit(cli, transport, "idle", &r);
            incomplete(r.failed > 0 || r.dropped_while_idle > 0, &[])
        }
    }
}

fn emit<T: Serialize>(cli: &Cli, transport: &str, scenario: &str, result: &T) {
    if !cli.json {
        return;
    }
    let out = Output {
        label: &cli.label,
        transport,
        scenario,
        result,
    };
    match serde_json::to_string(&out) {
        Ok(line) => println!("{line}"),
        Err(e) => eprintln!("loadgen: cannot write JSON: {e}"),
    }
}

fn errors_suffix(errors: &[String]) -> String {
    if errors.is_empty() {
        String::new()
    } else {
        format!("; errors: {}", errors.join("; "))
    }
}

/// A run that lost messages or connections still printed its figures, but exits non-zero.
fn incomplete(failed: bool, errors: &[String]) -> Result<(), LoadError> {
    if failed {
        Err(LoadError::Invalid(format!(
            "run incomplete (lost messages or connections){}",
            errors_suffix(errors)
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::runtime::RuntimeFlavor;

    fn flavor(args: &[&str]) -> RuntimeFlavor {
        let cli = Cli::try_parse_from(args).expect("valid arguments");
        let runtime = runtime_for(&cli)
            .enable_all()
            .build()
            .expect("runtime builds");
        runtime.handle().runtime_flavor()
    }

    #[test]
    fn latency_runs_on_one_thread_unless_told_otherwise() {
        assert_eq!(
            flavor(&["loadgen", "latency"]),
            RuntimeFlavor::CurrentThread
        );
        assert_eq!(
            flavor(&["loadgen", "--threads", "2", "latency"]),
            RuntimeFlavor::MultiThread
        );
    }

    #[test]
    fn load_scenarios_default_to_two_workers() {
        assert_eq!(
            flavor(&["loadgen", "throughput"]),
            RuntimeFlavor::MultiThread
        );
        assert_eq!(flavor(&["loadgen", "idle"]), RuntimeFlavor::MultiThread);
        assert_eq!(
            flavor(&["loadgen", "--threads", "1", "throughput"]),
            RuntimeFlavor::CurrentThread
        );
    }
}
