//! The `stomp-server` binary: flags and an optional TOML file over the defaults, tracing logs,
//! the example application, graceful shutdown on SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use stomp_server::app::examples::demo_app;
use stomp_server::{Config, Listeners, Server};

/// STOMP broker over TCP, WebSocket and SockJS.
#[derive(Debug, Parser)]
#[command(name = "stomp-server", version)]
struct Args {
    /// Raw STOMP TCP listener (default 127.0.0.1:61613).
    #[arg(long, value_name = "ADDR")]
    tcp: Option<SocketAddr>,
    /// HTTP listener for WebSocket, SockJS and static files (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// Metrics listener: Prometheus text at /metrics and a health check at /healthz (default: off).
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,
    /// Static files served at / (default ./www).
    #[arg(long, value_name = "DIR")]
    www: Option<PathBuf>,
    /// TOML configuration file (flags override it).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Users file of name:password lines (overrides security.users_file).
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// Refuse CONNECT without login.
    #[arg(long)]
    no_anonymous: bool,
    /// Period of the example /topic/clock push, in milliseconds (0 = off).
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    clock_ms: u64,
    /// Also serve the SockJS protocol suite's test services (/echo, /close,
    /// /disabled_websocket_echo, /cookie_needed_echo).
    #[arg(long)]
    sockjs_test_services: bool,
    /// Relay broker destinations to this external STOMP broker (RabbitMQ, host:port) instead of
    /// the built-in broker (sets relay.enabled and relay.broker).
    #[arg(long, value_name = "HOST:PORT")]
    relay: Option<String>,
    /// Login on the relay's broker connections (relay.login).
    #[arg(long, value_name = "NAME")]
    relay_login: Option<String>,
    /// Passcode on the relay's broker connections (relay.passcode).
    #[arg(long, value_name = "SECRET")]
    relay_passcode: Option<String>,
    /// Virtual host (CONNECT host header) on the relay's broker connections (relay.virtual_host).
    #[arg(long, value_name = "VHOST")]
    relay_vhost: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        // Plain text when piped: scripts grep the "listening tcp=… http=…" line.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match serve(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> Result<(), stomp_server::ServerError> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    if let Some(a) = args.tcp {
        config.tcp = Some(a);
    }
    if let Some(a) = args.http {
        config.http = Some(a);
    }
    if let Some(a) = args.metrics {
        config.metrics = Some(a);
    }
    if let Some(d) = args.www {
        config.www = d;
    }
    if let Some(u) = args.users {
        config.security.users_file = Some(u);
    }
    if args.no_anonymous {
        config.security.allow_anonymous = false;
    }
    if let Some(broker) = args.relay {
        config.relay.enabled = true;
        config.relay.broker = broker;
    }
    if let Some(login) = args.relay_login {
        config.relay.login = login;
    }
    if let Some(passcode) = args.relay_passcode {
        config.relay.passcode = passcode;
    }
    if let Some(vhost) = args.relay_vhost {
        config.relay.virtual_host = vhost;
    }
    config.validate()?;
    let clock = (args.clock_ms > 0).then(|| Duration::from_millis(args.clock_ms));
    let shutdown = shutdown_signal()?;
    let listeners = Listeners::bind(&config).await?;
    let show = |a: Option<SocketAddr>| a.map_or_else(|| "off".to_owned(), |a| a.to_string());
    tracing::info!(
        "listening tcp={} http={} metrics={}",
        show(listeners.tcp_addr()),
        show(listeners.http_addr()),
        show(listeners.metrics_addr())
    );
    if config.relay.enabled {
        tracing::info!(broker = %config.relay.broker, "relaying broker destinations");
    }
    // The example handlers plus the demo chat (www/).
    let server = Server::new(config, stomp_server::demo::install(demo_app(clock)))?;
    // Extra HTTP routes (the SockJS endpoint) are merged here, before the static files.
    let extra_routes = stomp_server::sockjs::stomp::routes(&server, args.sockjs_test_services);
    server.serve(listeners, Some(extra_routes), shutdown).await
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled: a signal sent right after the startup line must already be caught.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
