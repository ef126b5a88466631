//! The `stomp-server` binary: flags and an optional TOML file over the defaults, tracing logs,
//! the example application, graceful shutdown on SIGINT/SIGTERM, TLS certificates reloaded on
//! SIGHUP, the open-file limit raised at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use stomp_server::app::examples::demo_app;
use stomp_server::config::parse_listen_addr;
use stomp_server::{Config, Listeners, Server};

/// STOMP broker over TCP, WebSocket and SockJS, each optionally over TLS.
///
/// Listener addresses are IP:port, or `off`. The TLS listeners (--tls-tcp, --https) need
/// --tls-cert and --tls-key (PEM); the files are reloaded when they change (tls.reload_ms) and
/// on SIGHUP, without cutting connected clients. HTTP connections must send a request head
/// within limits.http_header_timeout_ms (30 s) and are closed after
/// limits.http_idle_timeout_ms (120 s) without traffic; see stomp-server.example.toml.
#[derive(Debug, Parser)]
#[command(name = "stomp-server", version)]
struct Args {
    /// Raw STOMP TCP listener (default 127.0.0.1:61613; `off`: none).
    #[arg(long, value_name = "ADDR|off", value_parser = listen)]
    tcp: Option<Listen>,
    /// HTTP listener for WebSocket, SockJS and static files (default 127.0.0.1:8080; `off`:
    /// none).
    #[arg(long, value_name = "ADDR|off", value_parser = listen)]
    http: Option<Listen>,
    /// STOMP over TLS listener, like RabbitMQ's 61614 (default off; needs --tls-cert/--tls-key).
    #[arg(long, value_name = "ADDR|off", value_parser = listen)]
    tls_tcp: Option<Listen>,
    /// HTTPS listener: the HTTP listener's routes over TLS, wss:// and https:// (default off;
    /// needs --tls-cert/--tls-key).
    #[arg(long, value_name = "ADDR|off", value_parser = listen)]
    https: Option<Listen>,
    /// PEM certificate chain of the TLS listeners, leaf first (tls.cert).
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate (tls.key).
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Metrics listener: Prometheus text at /metrics and a health check at /healthz (default
    /// off).
    #[arg(long, value_name = "ADDR|off", value_parser = listen)]
    metrics: Option<Listen>,
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
    /// Relay over TLS (relay.tls), e.g. to RabbitMQ's 61614.
    #[arg(long)]
    relay_tls: bool,
    /// PEM file of the CAs trusted for the broker's certificate (relay.tls_ca; implies
    /// --relay-tls; default: the system's roots).
    #[arg(long, value_name = "FILE")]
    relay_tls_ca: Option<PathBuf>,
}

/// A listener flag's value: an address, or `off` (`None`).
#[derive(Debug, Clone, Copy)]
struct Listen(Option<SocketAddr>);

fn listen(text: &str) -> Result<Listen, String> {
    parse_listen_addr(text).map(Listen)
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
    let listeners = [
        (args.tcp, &mut config.tcp),
        (args.http, &mut config.http),
        (args.tls_tcp, &mut config.tls_tcp),
        (args.https, &mut config.https),
        (args.metrics, &mut config.metrics),
    ];
    for (flag, setting) in listeners {
        if let Some(Listen(addr)) = flag {
            *setting = addr;
        }
    }
    if let Some(cert) = args.tls_cert {
        config.tls.cert = Some(cert);
    }
    if let Some(key) = args.tls_key {
        config.tls.key = Some(key);
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
    if args.relay_tls {
        config.relay.tls = true;
    }
    if let Some(ca) = args.relay_tls_ca {
        config.relay.tls = true;
        config.relay.tls_ca = Some(ca);
    }
    config.validate()?;
    let clock = (args.clock_ms > 0).then(|| Duration::from_millis(args.clock_ms));
    stomp_server::fd_limit::raise();
    let shutdown = shutdown_signal()?;
    // Built before binding: a certificate that does not load stops the start before anything
    // is announced as listening. The example handlers plus the demo chat (www/).
    let server = Server::new(config, stomp_server::demo::install(demo_app(clock)))?;
    reload_tls_on_hangup(&server)?;
    let listeners = Listeners::bind(server.config()).await?;
    let show = |a: Option<SocketAddr>| a.map_or_else(|| "off".to_owned(), |a| a.to_string());
    // Scripts read this line: keep `tcp=… http=…` first.
    tracing::info!(
        "listening tcp={} http={} tls_tcp={} https={} metrics={}",
        show(listeners.tcp_addr()),
        show(listeners.http_addr()),
        show(listeners.tls_tcp_addr()),
        show(listeners.https_addr()),
        show(listeners.metrics_addr())
    );
    let relay = &server.config().relay;
    if relay.enabled {
        tracing::info!(broker = %relay.broker, "relaying broker destinations");
    }
    // Extra HTTP routes (the SockJS endpoint) are merged here, before the static files.
    let extra_routes = stomp_server::sockjs::stomp::routes(&server, args.sockjs_test_services);
    server.serve(listeners, Some(extra_routes), shutdown).await
}

/// Reloads the TLS certificate on every SIGHUP (the usual signal after a renewal, e.g. from a
/// certbot deploy hook).
#[cfg(unix)]
fn reload_tls_on_hangup(server: &Server) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    if server.tls().is_none() {
        return Ok(());
    }
    let mut hangup = signal(SignalKind::hangup())?;
    let server = server.clone();
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            if let Err(e) = server.reload_tls() {
                tracing::warn!("{e}; keeping the previous certificate");
            }
        }
    });
    Ok(())
}

#[cfg(not(unix))]
fn reload_tls_on_hangup(_server: &Server) -> std::io::Result<()> {
    Ok(())
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
