"""Peer sync between the laptops of one event: change feed, merge, protocol, TLS transport, enrollment, discovery, pairing."""

import logging

# `sync serve` shows these lines; `sync with` says the same in its error sentence, so
# without a configured handler they are not printed a second time.
logging.getLogger("fieldkit.sync").addHandler(logging.NullHandler())
