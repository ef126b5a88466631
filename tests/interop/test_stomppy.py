"""Interop: stomp.py (PyPI stomp-py, a client no one here wrote) against a STOMP broker over TCP.

The broker is chosen by environment variables, so the same tests run against RabbitMQ and
against our stomp-server:

    STOMP_HOST      default 127.0.0.1
    STOMP_PORT      default 61613
    STOMP_LOGIN     default guest
    STOMP_PASSCODE  default guest
    STOMP_VHOST     default /   (the CONNECT `host` header; RabbitMQ reads it as the vhost)
    STOMP_SSL_CA    unset: plain TCP. A CA file (PEM): every connection is TLS, verified against
                    it (`conn.set_ssl`), e.g. to our `tls_tcp` listener

Run: python3 -m unittest -v tests/interop/test_stomppy.py

Every wait is bounded (WAIT seconds) so a broker that never answers fails the test instead of
hanging it; no assertion depends on how fast anything is.
"""

import os
import queue
import ssl
import threading
import unittest
import uuid

import stomp

HOST = os.environ.get("STOMP_HOST", "127.0.0.1")
PORT = int(os.environ.get("STOMP_PORT", "61613"))
LOGIN = os.environ.get("STOMP_LOGIN", "guest")
PASSCODE = os.environ.get("STOMP_PASSCODE", "guest")
VHOST = os.environ.get("STOMP_VHOST", "/")
SSL_CA = os.environ.get("STOMP_SSL_CA")
WAIT = 10.0


class Recorder(stomp.ConnectionListener):
    """Keeps every frame the broker sends, in order, for the test thread to wait on."""

    def __init__(self):
        self.frames = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connected_frame = None
        self.errors = []

    def on_connected(self, frame):
        self.connected_frame = frame
        self.connected.set()

    def on_message(self, frame):
        self.frames.put(("MESSAGE", frame))

    def on_receipt(self, frame):
        self.frames.put(("RECEIPT", frame))

    def on_error(self, frame):
        self.errors.append(frame)
        self.frames.put(("ERROR", frame))

    def on_disconnected(self):
        self.disconnected.set()

    def next(self, what="frame"):
        try:
            return self.frames.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no {what} from the broker within {WAIT} s") from None

    def message(self):
        kind, frame = self.next("MESSAGE")
        if kind != "MESSAGE":
            raise AssertionError(f"expected MESSAGE, got {kind}: {frame}")
        return frame

    def receipt(self, receipt_id):
        """Waits for RECEIPT `receipt_id`; returns the MESSAGEs that arrived before it."""
        before = []
        while True:
            kind, frame = self.next(f"RECEIPT {receipt_id}")
            if kind == "RECEIPT" and frame.headers.get("receipt-id") == receipt_id:
                return before
            if kind == "ERROR":
                raise AssertionError(f"ERROR while waiting for receipt {receipt_id}: {frame}")
            before.append(frame)


def unique(prefix):
    return f"{prefix}/interop-py-{uuid.uuid4().hex[:12]}"


def connect(version="1.2", auto_decode=True, with_connect_command=False):
    cls = {
        "1.0": stomp.Connection10,
        "1.1": stomp.Connection11,
        "1.2": stomp.Connection12,
    }[version]
    kwargs = dict(auto_decode=auto_decode, reconnect_attempts_max=1)
    if version != "1.0":
        kwargs["vhost"] = VHOST
    conn = cls([(HOST, PORT)], **kwargs)
    if SSL_CA:
        conn.set_ssl(for_hosts=[(HOST, PORT)], ca_certs=SSL_CA, ssl_version=ssl.PROTOCOL_TLS_CLIENT)
    rec = Recorder()
    conn.set_listener("rec", rec)
    connect_kwargs = dict(username=LOGIN, passcode=PASSCODE, wait=True)
    if version != "1.0":
        connect_kwargs["with_connect_command"] = with_connect_command
    else:
        connect_kwargs["headers"] = {"host": VHOST}
    conn.connect(**connect_kwargs)
    if not rec.connected.wait(WAIT):
        raise AssertionError("no CONNECTED frame")
    return conn, rec


def close(conn, rec):
    if conn.is_connected():
        receipt = f"bye-{uuid.uuid4().hex[:8]}"
        conn.disconnect(receipt=receipt)
    conn.transport.stop() if conn.transport.running else None


class StompPyInterop(unittest.TestCase):
    def setUp(self):
        self.conns = []

    def tearDown(self):
        for conn, rec in self.conns:
            try:
                close(conn, rec)
            except Exception:  # a test already failed; do not mask it
                pass

    def open(self, **kwargs):
        conn, rec = connect(**kwargs)
        self.conns.append((conn, rec))
        return conn, rec

    def subscribe(self, conn, rec, destination, sub_id, ack="auto"):
        """SUBSCRIBE with a receipt, so the subscription is live when this returns."""
        receipt = f"sub-{sub_id}"
        conn.subscribe(destination, id=sub_id, ack=ack, receipt=receipt)
        self.assertEqual(rec.receipt(receipt), [])

    # --- connect --------------------------------------------------------------------------

    def test_connect_negotiates_each_version(self):
        for version in ("1.0", "1.1", "1.2"):
            with self.subTest(version=version):
                conn, rec = self.open(version=version)
                headers = rec.connected_frame.headers
                if version == "1.0":
                    # A 1.0 server may omit `version`; if present it must be 1.0.
                    self.assertIn(headers.get("version", "1.0"), ("1.0",))
                else:
                    self.assertEqual(headers.get("version"), version)
                self.assertEqual(rec.errors, [])

    def test_connect_with_connect_command(self):
        conn, rec = self.open(with_connect_command=True)
        self.assertEqual(rec.connected_frame.headers.get("version"), "1.2")

    # --- publish / subscribe / receive ----------------------------------------------------

    def test_publish_subscribe_receive_in_order(self):
        dest = unique("/topic")
        sub, sub_rec = self.open()
        self.subscribe(sub, sub_rec, dest, "s1")
        pub, pub_rec = self.open()
        for i in range(5):
            pub.send(dest, f"message {i}", headers={"x-seq": str(i)})
        pub.send(dest, "last", receipt="sent")
        self.assertEqual(pub_rec.receipt("sent"), [])

        for i in range(5):
            msg = sub_rec.message()
            self.assertEqual(msg.body, f"message {i}")
            self.assertEqual(msg.headers.get("x-seq"), str(i))
            self.assertEqual(msg.headers.get("destination"), dest)
            self.assertEqual(msg.headers.get("subscription"), "s1")
            self.assertTrue(msg.headers.get("message-id"))
        self.assertEqual(sub_rec.message().body, "last")

    def test_publisher_receives_its_own_message_when_subscribed(self):
        dest = unique("/topic")
        conn, rec = self.open()
        self.subscribe(conn, rec, dest, "self")
        conn.send(dest, "to myself", receipt="r-self")
        before = rec.receipt("r-self")
        msgs = before or [rec.message()]
        self.assertEqual(msgs[0].body, "to myself")

    def test_header_escaping_round_trip(self):
        dest = unique("/topic")
        conn, rec = self.open()
        self.subscribe(conn, rec, dest, "esc")
        value = "a:b\\c\nd"
        conn.send(dest, "escaped", headers={"x-tricky": value})
        msg = rec.message()
        self.assertEqual(msg.headers.get("x-tricky"), value)

    def test_binary_body_with_nul_bytes(self):
        dest = unique("/topic")
        conn, rec = self.open(auto_decode=False)
        self.subscribe(conn, rec, dest, "bin")
        body = bytes(range(256)) * 4
        conn.send(dest, body, content_type="application/octet-stream")
        msg = rec.message()
        self.assertEqual(msg.body, body)
        self.assertEqual(msg.headers.get("content-length"), str(len(body)))

    def test_fan_out_to_every_subscriber(self):
        dest = unique("/topic")
        subs = [self.open() for _ in range(3)]
        for n, (conn, rec) in enumerate(subs):
            self.subscribe(conn, rec, dest, f"fan-{n}")
        pub, pub_rec = self.open()
        pub.send(dest, "to all", receipt="fan")
        pub_rec.receipt("fan")
        for n, (_, rec) in enumerate(subs):
            msg = rec.message()
            self.assertEqual(msg.body, "to all")
            self.assertEqual(msg.headers.get("subscription"), f"fan-{n}")

    def test_unsubscribe_stops_delivery(self):
        dest = unique("/topic")
        conn, rec = self.open()
        self.subscribe(conn, rec, dest, "keep")
        self.subscribe(conn, rec, dest, "drop")
        conn.unsubscribe("drop", receipt="unsub")
        self.assertEqual(rec.receipt("unsub"), [])
        conn.send(dest, "after unsubscribe")
        # Frames on one connection are ordered: once the receipt for a later frame arrives,
        # every MESSAGE for the publish above has arrived too.
        self.assertEqual(rec.message().headers.get("subscription"), "keep")
        conn.send(unique("/topic"), "flush", receipt="flush")
        late = rec.receipt("flush")
        self.assertEqual([m.headers.get("subscription") for m in late], [])

    # --- acknowledgements -----------------------------------------------------------------

    def _ack_setup(self, mode, count=3):
        dest = unique("/queue")
        conn, rec = self.open()
        self.subscribe(conn, rec, dest, "acks", ack=mode)
        pub, pub_rec = self.open()
        for i in range(count):
            pub.send(dest, f"m{i}")
        pub.send(dest, "end", receipt="pub")
        pub_rec.receipt("pub")
        msgs = [rec.message() for _ in range(count + 1)]
        self.assertEqual([m.body for m in msgs], [f"m{i}" for i in range(count)] + ["end"])
        for m in msgs:
            # STOMP 1.2: a subscription that needs acks gets an `ack` header to echo back.
            self.assertTrue(m.headers.get("ack"), f"MESSAGE without ack header: {m}")
        return dest, conn, rec, msgs

    def _redelivered(self, dest):
        """Subscribes anew (auto ack) and returns the bodies delivered before a sentinel."""
        conn, rec = self.open()
        # A broker may deliver what it kept for the queue before or after the SUBSCRIBE's
        # receipt (RabbitMQ: after; stomp-server: before); both orders are valid.
        conn.subscribe(dest, id="again", ack="auto", receipt="sub-again")
        bodies = [m.body for m in rec.receipt("sub-again")]
        conn.send(dest, "sentinel")
        while True:
            body = rec.message().body
            if body == "sentinel":
                return bodies
            bodies.append(body)

    def test_client_ack_is_cumulative(self):
        dest, conn, rec, msgs = self._ack_setup("client")
        # Acking the last message acknowledges every earlier one too.
        conn.ack(msgs[-1].headers["ack"], receipt="ack-all")
        self.assertEqual(rec.receipt("ack-all"), [])
        self.assertEqual(rec.errors, [])
        close(conn, rec)
        self.assertEqual(self._redelivered(dest), [])

    def test_client_individual_ack_and_nack(self):
        dest, conn, rec, msgs = self._ack_setup("client-individual")
        conn.ack(msgs[0].headers["ack"], receipt="a0")
        self.assertEqual(rec.receipt("a0"), [])
        conn.ack(msgs[2].headers["ack"], receipt="a2")
        self.assertEqual(rec.receipt("a2"), [])
        conn.ack(msgs[3].headers["ack"], receipt="a3")
        self.assertEqual(rec.receipt("a3"), [])
        # m1 is refused; a NACK with a receipt is answered like any frame.
        conn.nack(msgs[1].headers["ack"], receipt="n1", requeue="false")
        rec.receipt("n1")
        self.assertEqual(rec.errors, [])

    def test_unacked_messages_are_redelivered_after_disconnect(self):
        dest, conn, rec, msgs = self._ack_setup("client-individual")
        for i in (0, 2, 3):
            conn.ack(msgs[i].headers["ack"], receipt=f"ack{i}")
            self.assertEqual(rec.receipt(f"ack{i}"), [])
        close(conn, rec)
        self.assertEqual(self._redelivered(dest), ["m1"])

    # --- receipts and disconnect ----------------------------------------------------------

    def test_receipt_for_each_frame_kind(self):
        dest = unique("/topic")
        conn, rec = self.open()
        conn.subscribe(dest, id="r", receipt="r-sub")
        self.assertEqual(rec.receipt("r-sub"), [])
        conn.send(unique("/topic"), "x", receipt="r-send")
        self.assertEqual(rec.receipt("r-send"), [])
        conn.unsubscribe("r", receipt="r-unsub")
        self.assertEqual(rec.receipt("r-unsub"), [])

    def test_disconnect_with_receipt_closes_gracefully(self):
        conn, rec = connect()
        conn.disconnect(receipt="goodbye")
        self.assertTrue(rec.disconnected.wait(WAIT), "socket not closed after DISCONNECT")
        kinds = []
        while not rec.frames.empty():
            kind, frame = rec.frames.get_nowait()
            kinds.append((kind, frame.headers.get("receipt-id")))
        self.assertIn(("RECEIPT", "goodbye"), kinds)
        self.assertEqual(rec.errors, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
