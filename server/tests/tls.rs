//! TLS on the listeners (issue 17, part 1), with a CA and certificates made at test time:
//! STOMP over TLS TCP, STOMP over `wss://` and SockJS over `https://`, next to the plain
//! listeners; certificates reloaded without cutting connected clients; clear start errors for
//! missing, garbage and mismatched files.

mod common;
mod tls_support;

use std::net::SocketAddr;
use std::path::Path;

use bytes::BytesMut;
use common::*;
use futures_util::{SinkExt, StreamExt};
use stomp_server::transport::tls::TlsError;
use stomp_server::{App, Config, Listeners, Server, ServerError};
use stomp_wasm::{Command, Decoded, Decoder, Frame};
use tls_support::{CertFiles, TestCa};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

struct TlsServer {
    server: Server,
    tcp: SocketAddr,
    tls_tcp: SocketAddr,
    https: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

/// A directory removed when the test ends.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "stomp-server-tls-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tls_config(files: &CertFiles) -> Config {
    let mut config = test_config();
    config.tls.cert = Some(files.cert.clone());
    config.tls.key = Some(files.key.clone());
    config
}

impl TlsServer {
    /// Plain TCP, TLS TCP and HTTPS listeners (with the SockJS routes) on the given files.
    async fn start(config: Config, dir: TempDir) -> TlsServer {
        let server = Server::new(config, App::new()).expect("server builds");
        let bind = || TcpListener::bind("127.0.0.1:0");
        let (tcp, tls_tcp, https) = (
            bind().await.unwrap(),
            bind().await.unwrap(),
            bind().await.unwrap(),
        );
        let addr = |l: &TcpListener| l.local_addr().unwrap();
        let (tcp_addr, tls_tcp_addr, https_addr) = (addr(&tcp), addr(&tls_tcp), addr(&https));
        let listeners = Listeners {
            tcp: Some(tcp),
            tls_tcp: Some(tls_tcp),
            https: Some(https),
            ..Listeners::default()
        };
        let routes = stomp_server::sockjs::stomp::routes(&server, false);
        let s = server.clone();
        let task = tokio::spawn(async move {
            s.serve(listeners, Some(routes), std::future::pending())
                .await
                .expect("server runs");
        });
        TlsServer {
            server,
            tcp: tcp_addr,
            tls_tcp: tls_tcp_addr,
            https: https_addr,
            task,
            _dir: dir,
        }
    }

    async fn stop(self) {
        self.server.shutdown();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("server stops")
            .expect("server task");
    }
}

/// A TLS connection trusting `ca` to `addr`, checked for the name `localhost`.
async fn tls_connect(ca: &TestCa, addr: SocketAddr) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    tokio::time::timeout(
        WAIT,
        TlsConnector::from(ca.client_config()).connect(name, tcp),
    )
    .await
    .expect("handshake in time")
    .expect("handshake verifies against the test CA")
}

fn served_leaf(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    let (_, connection) = stream.get_ref();
    connection.peer_certificates().expect("a certificate")[0].clone()
}

/// STOMP over any byte stream (here: TLS).
struct Stomp<S> {
    stream: S,
    decoder: Decoder,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stomp<S> {
    async fn connect(stream: S) -> Stomp<S> {
        let mut stomp = Stomp {
            stream,
            decoder: Decoder::default(),
        };
        stomp
            .send_raw("CONNECT\naccept-version:1.2\nhost:localhost\n\n\0")
            .await;
        assert_eq!(stomp.recv().await.command, Command::Connected);
        stomp
    }

    async fn send_raw(&mut self, text: &str) {
        self.stream.write_all(text.as_bytes()).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    async fn recv(&mut self) -> Frame {
        loop {
            if let Some(Decoded::Frame(f)) = self.decoder.decode().unwrap() {
                return f;
            }
            let mut buf = BytesMut::zeroed(16 * 1024);
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut buf))
                .await
                .expect("a frame in time")
                .expect("read");
            assert!(n > 0, "closed while a frame was expected");
            self.decoder.feed(&buf[..n]);
        }
    }

    async fn subscribe(&mut self, destination: &str) {
        let f = format!("SUBSCRIBE\nid:0\ndestination:{destination}\nreceipt:sub\n\n\0");
        self.send_raw(&f).await;
        assert_eq!(self.recv().await.command, Command::Receipt);
    }

    async fn publish(&mut self, destination: &str, body: &str) {
        let f = format!("SEND\ndestination:{destination}\nreceipt:sent\n\n{body}\0");
        self.send_raw(&f).await;
        let receipt = self.recv().await;
        assert_eq!(receipt.command, Command::Receipt, "{receipt:?}");
    }

    async fn expect_message(&mut self, body: &str) {
        let f = self.recv().await;
        assert_eq!(f.command, Command::Message, "{f:?}");
        assert_eq!(f.body_str(), Some(body));
    }
}

/// A STOMP 1.2 WebSocket over `wss://localhost:PORT/ws`.
async fn wss_connect(
    ca: &TestCa,
    https: SocketAddr,
) -> (WebSocketStream<TlsStream<TcpStream>>, Decoder) {
    let stream = tls_connect(ca, https).await;
    let mut request = format!("wss://localhost:{}/ws", https.port())
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("v12.stomp"),
    );
    let (mut ws, response) = tokio_tungstenite::client_async(request, stream)
        .await
        .expect("WebSocket upgrade over TLS");
    assert_eq!(
        response.headers().get("sec-websocket-protocol").unwrap(),
        "v12.stomp"
    );
    ws.send(Message::text(
        "CONNECT\naccept-version:1.2\nhost:localhost\n\n\0",
    ))
    .await
    .unwrap();
    let mut decoder = Decoder::default();
    let connected = wss_frame(&mut ws, &mut decoder).await;
    assert_eq!(connected.command, Command::Connected);
    (ws, decoder)
}

async fn wss_frame(ws: &mut WebSocketStream<TlsStream<TcpStream>>, decoder: &mut Decoder) -> Frame {
    loop {
        if let Some(Decoded::Frame(f)) = decoder.decode().unwrap() {
            return f;
        }
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("in time")
        {
            Some(Ok(Message::Text(t))) => decoder.feed(t.as_bytes()),
            Some(Ok(Message::Binary(b))) => decoder.feed(&b),
            Some(Ok(_)) => {}
            other => panic!("WebSocket ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn stomp_over_tls_tcp_wss_and_sockjs_over_https_next_to_plain_tcp() {
    let ca = TestCa::new();
    let dir = TempDir::new("exchange");
    let files = CertFiles::in_dir(&dir.0);
    let leaf = ca.leaf();
    files.write(&leaf);
    let s = TlsServer::start(tls_config(&files), dir).await;

    let tls = tls_connect(&ca, s.tls_tcp).await;
    assert_eq!(served_leaf(&tls), leaf.der);
    let mut over_tls = Stomp::connect(tls).await;
    over_tls.subscribe("/topic/tls").await;
    let mut plain = Client::connect(s.tcp).await;
    plain.subscribe("0", "/topic/tls", "auto").await;

    // wss:// → TLS TCP and plain TCP subscribers.
    let (mut ws, mut decoder) = wss_connect(&ca, s.https).await;
    ws.send(Message::text("SEND\ndestination:/topic/tls\n\nfrom wss\0"))
        .await
        .unwrap();
    over_tls.expect_message("from wss").await;
    assert_eq!(body(&plain.recv_message().await), "from wss");

    // TLS TCP → wss:// subscriber.
    ws.send(Message::text(
        "SUBSCRIBE\nid:w\ndestination:/topic/back\nreceipt:w\n\n\0",
    ))
    .await
    .unwrap();
    assert_eq!(
        wss_frame(&mut ws, &mut decoder).await.command,
        Command::Receipt
    );
    over_tls.publish("/topic/back", "from tls tcp").await;
    let message = wss_frame(&mut ws, &mut decoder).await;
    assert_eq!(message.body_str(), Some("from tls tcp"));

    // SockJS over https://: its info document.
    let mut https = tls_connect(&ca, s.https).await;
    let request = "GET /stomp/info HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    https.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, https.read_to_end(&mut answer))
        .await
        .expect("answer in time")
        .ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"websocket\":true"), "{answer}");
    s.stop().await;
}

#[tokio::test]
async fn a_plain_text_peer_on_the_tls_port_is_dropped_and_others_are_served() {
    let ca = TestCa::new();
    let dir = TempDir::new("plaintext");
    let files = CertFiles::in_dir(&dir.0);
    files.write(&ca.leaf());
    let s = TlsServer::start(tls_config(&files), dir).await;
    let mut confused = TcpStream::connect(s.tls_tcp).await.unwrap();
    confused
        .write_all(b"CONNECT\naccept-version:1.2\n\n\0")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, confused.read_to_end(&mut answer))
        .await
        .expect("closed in time");
    assert!(!answer.starts_with(b"CONNECTED"), "no STOMP without TLS");
    let mut fine = Stomp::connect(tls_connect(&ca, s.tls_tcp).await).await;
    fine.subscribe("/topic/x").await;
    s.stop().await;
}

#[tokio::test]
async fn a_renewed_certificate_reaches_new_clients_and_never_cuts_connected_ones() {
    let ca = TestCa::new();
    let dir = TempDir::new("reload");
    let files = CertFiles::in_dir(&dir.0);
    let first = ca.leaf();
    files.write(&first);
    let mut config = tls_config(&files);
    config.tls.reload_ms = 50;
    let s = TlsServer::start(config, dir).await;

    // Connected before the renewal, over TLS TCP and wss://.
    let before = tls_connect(&ca, s.tls_tcp).await;
    assert_eq!(served_leaf(&before), first.der);
    let mut before = Stomp::connect(before).await;
    before.subscribe("/topic/renewal").await;
    let (mut ws, mut decoder) = wss_connect(&ca, s.https).await;

    // Renewed on disk: picked up by the file watch.
    let second = ca.leaf();
    assert_ne!(first.der, second.der);
    files.write(&second);
    let renewed = tokio::time::timeout(WAIT, async {
        loop {
            let stream = tls_connect(&ca, s.tls_tcp).await;
            if served_leaf(&stream) == second.der {
                return stream;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("new connections get the renewed certificate");
    let mut after = Stomp::connect(renewed).await;
    let wss_after = tls_connect(&ca, s.https).await;
    assert_eq!(served_leaf(&wss_after), second.der, "https too");

    // The clients from before still exchange frames, both ways.
    after.publish("/topic/renewal", "after renewal").await;
    before.expect_message("after renewal").await;
    ws.send(Message::text(
        "SEND\ndestination:/topic/renewal\n\nfrom old wss\0",
    ))
    .await
    .unwrap();
    before.expect_message("from old wss").await;
    ws.send(Message::text("DISCONNECT\nreceipt:bye\n\n\0"))
        .await
        .unwrap();
    assert_eq!(
        wss_frame(&mut ws, &mut decoder).await.command,
        Command::Receipt
    );

    // A broken renewal (a key of another certificate) is refused and the good one stays.
    let third = ca.leaf();
    std::fs::write(&files.key, &third.key_pem).unwrap();
    let refused = s.server.reload_tls().unwrap_err();
    assert!(matches!(refused, TlsError::KeyMismatch { .. }), "{refused}");
    let still = tls_connect(&ca, s.tls_tcp).await;
    assert_eq!(served_leaf(&still), second.der);

    // An explicit reload (what SIGHUP does) of a good pair.
    std::fs::write(&files.cert, &third.cert_pem).unwrap();
    assert!(s.server.reload_tls().unwrap());
    let third_client = tls_connect(&ca, s.tls_tcp).await;
    assert_eq!(served_leaf(&third_client), third.der);
    let mut third_client = Stomp::connect(third_client).await;
    third_client.publish("/topic/renewal", "still here").await;
    before.expect_message("still here").await;
    s.stop().await;
}

/// `Server::new` with the given cert and key files: the start error.
fn start_error(cert: &Path, key: &Path) -> TlsError {
    let mut config = test_config();
    config.tls.cert = Some(cert.to_owned());
    config.tls.key = Some(key.to_owned());
    match Server::new(config, App::new()) {
        Err(ServerError::Tls(e)) => e,
        Err(e) => panic!("not a TLS error: {e}"),
        Ok(_) => panic!("the server started"),
    }
}

#[test]
fn start_errors_name_the_file_and_the_problem() {
    let ca = TestCa::new();
    let dir = TempDir::new("errors");
    let files = CertFiles::in_dir(&dir.0);
    let leaf = ca.leaf();
    files.write(&leaf);
    let missing = dir.0.join("missing.pem");
    let garbage = dir.0.join("garbage.pem");
    std::fs::write(&garbage, "this is not PEM\n").unwrap();
    let broken = dir.0.join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n!!! not base64 !!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let other_key = dir.0.join("other-key.pem");
    std::fs::write(&other_key, ca.leaf().key_pem).unwrap();

    // Certificate file, key file, the file the message must name, the expected error.
    type Case<'a> = (&'a Path, &'a Path, &'a Path, fn(&TlsError) -> bool);
    let cases: [Case; 6] = [
        (&missing, &files.key, &missing, |e| {
            matches!(
                e,
                TlsError::Read {
                    what: "certificate",
                    ..
                }
            )
        }),
        (&files.cert, &missing, &missing, |e| {
            matches!(e, TlsError::Read { what: "key", .. })
        }),
        (&garbage, &files.key, &garbage, |e| {
            matches!(e, TlsError::NoCertificate { .. })
        }),
        (&files.cert, &garbage, &garbage, |e| {
            matches!(e, TlsError::NoKey { .. })
        }),
        (&broken, &files.key, &broken, |e| {
            matches!(e, TlsError::Pem { .. })
        }),
        (&files.cert, &other_key, &other_key, |e| {
            matches!(e, TlsError::KeyMismatch { .. })
        }),
    ];
    for (cert, key, named, expected) in cases {
        let e = start_error(cert, key);
        assert!(expected(&e), "{cert:?} + {key:?}: {e:?}");
        assert!(
            e.to_string().contains(&named.display().to_string()),
            "the message names {named:?}: {e}"
        );
    }
    // The certificate as the key file: no private key in it.
    assert!(matches!(
        start_error(&files.cert, &files.cert),
        TlsError::NoKey { .. }
    ));
    // And the good pair starts.
    assert!(Server::new(tls_config(&files), App::new()).is_ok());
}

#[tokio::test]
async fn tls_listeners_need_a_certificate() {
    let listeners = Listeners {
        https: Some(TcpListener::bind("127.0.0.1:0").await.unwrap()),
        ..Listeners::default()
    };
    let server = Server::new(test_config(), App::new()).unwrap();
    let e = server
        .serve(listeners, None, std::future::pending())
        .await
        .unwrap_err();
    assert!(matches!(e, ServerError::NoCertificate("https")), "{e}");

    let mut config = test_config();
    config.tls_tcp = Some("127.0.0.1:0".parse().unwrap());
    let e = config.validate().unwrap_err();
    assert!(e.to_string().contains("tls.cert"), "{e}");
}

/// A node relaying to `broker` over TLS, trusting the CA certificates in `ca_file`.
async fn relay_over_tls(broker: SocketAddr, ca_file: &Path) -> TestServer {
    let mut config = test_config();
    config.relay.enabled = true;
    config.relay.broker = broker.to_string();
    config.relay.tls = true;
    config.relay.tls_ca = Some(ca_file.to_owned());
    // The test leaf is made for `localhost`; the broker address is an IP.
    config.relay.tls_server_name = Some("localhost".into());
    config.relay.connect_timeout_ms = 3_000;
    TestServer::start(config, App::new()).await
}

// The relay's broker connections over TLS, with a stomp-server TLS listener as the broker (the
// relay stage runs the same against RabbitMQ's 61614): a client of the relaying node reaches
// the broker's subscribers; a broker certificate from an unknown CA is refused, and the client
// is told why.
#[tokio::test]
async fn the_relay_reaches_its_broker_over_tls_and_refuses_an_unknown_certificate() {
    let ca = TestCa::new();
    let dir = TempDir::new("relay");
    let files = CertFiles::in_dir(&dir.0);
    files.write(&ca.leaf());
    let trusted = dir.0.join("ca.pem");
    std::fs::write(&trusted, ca.pem()).unwrap();
    let stranger = dir.0.join("other-ca.pem");
    std::fs::write(&stranger, TestCa::new().pem()).unwrap();
    let broker = TlsServer::start(tls_config(&files), dir).await;

    let node = relay_over_tls(broker.tls_tcp, &trusted).await;
    let mut on_broker = Client::connect(broker.tcp).await;
    on_broker.subscribe("b", "/topic/relayed", "auto").await;
    let mut on_node = Client::connect(node.tcp).await;
    on_node.subscribe("n", "/topic/relayed", "auto").await;
    on_node.send("/topic/relayed", "over tls").await;
    assert_eq!(body(&on_broker.recv_message().await), "over tls");
    assert_eq!(body(&on_node.recv_message().await), "over tls");
    node.stop().await;

    let suspicious = relay_over_tls(broker.tls_tcp, &stranger).await;
    let mut c = Client::raw(suspicious.tcp).await;
    let reply = c
        .handshake(&[("accept-version", "1.2"), ("host", "localhost")])
        .await;
    assert_eq!(reply.command, Command::Error, "{reply:?}");
    assert_eq!(reply.get("message"), Some("message broker unavailable"));
    assert!(body(&reply).contains("certificate"), "{reply:?}");
    suspicious.stop().await;
    broker.stop().await;
}

#[tokio::test]
async fn relay_tls_start_errors_name_the_problem() {
    let mut config = test_config();
    config.relay.enabled = true;
    config.relay.tls = true;
    config.relay.tls_ca = Some("/nonexistent/relay-ca.pem".into());
    let e = Server::new(config, App::new()).expect_err("no CA file");
    assert!(e.to_string().contains("/nonexistent/relay-ca.pem"), "{e}");

    let mut config = test_config();
    config.relay.tls_ca = Some("/etc/ssl/certs/ca-certificates.crt".into());
    let e = Server::new(config, App::new()).expect_err("tls_ca without tls");
    assert!(e.to_string().contains("relay.tls = true"), "{e}");
}
