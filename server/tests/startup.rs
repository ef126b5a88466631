//! Starting the server: problems with the listen addresses are reported by name.

use stomp_server::{Config, Listeners, ServerError};

#[tokio::test]
async fn a_taken_port_is_reported_with_its_address_and_flag() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let config = Config {
        tcp: Some(addr),
        http: None,
        ..Config::default()
    };
    let err = Listeners::bind(&config).await.unwrap_err();
    assert!(
        matches!(err, ServerError::Bind { what: "tcp", addr: a, .. } if a == addr),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&addr.to_string()) && message.contains("--tcp"),
        "{message}"
    );
}
