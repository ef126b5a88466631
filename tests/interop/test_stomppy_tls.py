"""Interop over TLS: stomp.py (`conn.set_ssl`) against a broker's STOMP TLS listener.

The whole of test_stomppy.py also runs over TLS when STOMP_SSL_CA is set; these tests check
the TLS itself. Environment as test_stomppy.py, with STOMP_SSL_CA required (the CA that signed
the broker's certificate, PEM).

Run: STOMP_PORT=61614 STOMP_SSL_CA=ca.pem python3 -m unittest -v tests/interop/test_stomppy_tls.py
"""

import os
import ssl
import unittest

import stomp

from .test_stomppy import HOST, PORT, WAIT, close, connect, unique

SSL_CA = os.environ["STOMP_SSL_CA"]


class StompPyTls(unittest.TestCase):
    def test_the_session_runs_over_verified_tls(self):
        conn, rec = connect()
        try:
            sock = conn.transport.socket
            self.assertIsInstance(sock, ssl.SSLSocket)
            self.assertTrue(sock.version().startswith("TLSv1."), sock.version())
            names = [value for _, value in sock.getpeercert()["subjectAltName"]]
            self.assertIn(HOST, names)
            destination = unique("/topic")
            conn.subscribe(destination, id="tls", ack="auto", receipt="sub-tls")
            self.assertEqual(rec.receipt("sub-tls"), [])
            conn.send(destination, "over TLS")
            self.assertEqual(rec.message().body, "over TLS")
        finally:
            close(conn, rec)

    def test_a_client_not_trusting_the_ca_is_refused_by_its_own_check(self):
        conn = stomp.Connection12([(HOST, PORT)], reconnect_attempts_max=1, timeout=WAIT)
        # The system's CAs only: the broker's test certificate does not verify.
        conn.set_ssl(for_hosts=[(HOST, PORT)], ssl_version=ssl.PROTOCOL_TLS_CLIENT)
        with self.assertRaises(stomp.exception.ConnectFailedException):
            conn.connect(wait=True)


if __name__ == "__main__":
    unittest.main()
