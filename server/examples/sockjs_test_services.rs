//! Serves the SockJS protocol suite's test services (`/echo`, `/close`,
//! `/disabled_websocket_echo`, `/cookie_needed_echo`) on 127.0.0.1.
//!
//! ```text
//! cargo run -p stomp-server --example sockjs_test_services -- 8081
//! ```

use stomp_server::sockjs::test_services::test_services_router;
use stomp_server::sockjs::SockJsConfig;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8081);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("SockJS test services on http://{}", listener.local_addr()?);
    axum::serve(listener, test_services_router(SockJsConfig::default())).await
}
