//! stomp-server: placeholder until the broker lands.
