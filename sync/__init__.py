"""Peer sync between the laptops of one event: change feed, merge, protocol, TLS transport, enrollment."""
