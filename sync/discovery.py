"""Finding the other laptops of this event on the local network by mDNS, without saying who anyone is.

A laptop advertises `_fieldkit._tcp.local.` under a random instance name with a TXT
record holding only a protocol version and a per-event id (a labelled hash of the CA
fingerprint's first bytes), plus its port; it browses for instances with the same
event id and reports their addresses as they come and go. Who a peer is (device id,
role) is learned in the TLS handshake, never from mDNS. Interfaces are the ones
chosen (`--interface ADDR`) or, by default, this laptop's private IPv4 addresses
without container bridges; they are checked again every few seconds and the
advertisement moves with them (Wi-Fi joining late). python-zeroconf's blocking
`Zeroconf` runs in this module's own thread: it never attaches to the event loop of
a caller (the Textual app), and the threaded sync transport needs no asyncio.
At most MAX_PEERS laptops are reported at once: names seen while full wait (bounded)
and are looked up again when a slot frees, and a sighting continuous sync could not
reach as a Field Kit laptop can be set aside for a while (`set_aside`), so a flood of
fake records does not hide a real laptop for good.
See docs/sync-protocol.md "Discovery".
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ifaddr
from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

from fieldkit.event.ca import ca_fingerprint, require_identity
from fieldkit.store import Store

SERVICE_TYPE = "_fieldkit._tcp.local."
PAIRING_SERVICE_TYPE = "_fieldkit-pair._tcp.local."
VERSION = "1"
# How much of the CA fingerprint a pairing code carries, and so what the event id is derived from.
PIN_BYTES = 12
RECHECK_SECONDS = 10.0
# More laptops than an event has: beyond this, new records wait for a slot (a flood on the network).
MAX_PEERS = 64
# How many names may wait for a slot, and how many may be set aside, at once (a few KiB each way).
MAX_WAITING = 256
_TAG_LABEL = b"fieldkit mdns event id v1\x00"
# Container and VM bridges: never advertise there, the clinic's laptops are not behind them.
_VIRTUAL_PREFIXES = (
    "docker", "br-", "veth", "virbr", "lxcbr", "lxdbr", "cni", "podman", "flannel", "vboxnet", "vmnet",
)
_INFO_TIMEOUT_MS = 3000

log = logging.getLogger("fieldkit.sync")


def event_pin(ca_cert_pem: str) -> bytes:
    """The first PIN_BYTES of the CA fingerprint: what a pairing code carries to pin the coordinator."""
    return ca_fingerprint(ca_cert_pem)[:PIN_BYTES]


def event_tag(pin: bytes) -> str:
    """The per-event id advertised by mDNS: a labelled hash of the pin, which does not reveal the fingerprint."""
    return hashlib.sha256(_TAG_LABEL + pin).hexdigest()[:16]


def store_event_tag(store: Store) -> str:
    """The event id this laptop advertises and looks for."""
    return event_tag(event_pin(require_identity(store)[0]))


def _is_virtual(adapter: ifaddr.Adapter) -> bool:
    names = (str(adapter.name), str(adapter.nice_name))
    return any(name.startswith(_VIRTUAL_PREFIXES) for name in names)


def private_ipv4(adapters: Sequence[ifaddr.Adapter]) -> list[str]:
    """Private IPv4 addresses (link-local included: two laptops on one cable), no loopback, no bridges."""
    found: list[str] = []
    for adapter in adapters:
        if _is_virtual(adapter):
            continue
        for ip in adapter.ips:
            if not isinstance(ip.ip, str):
                continue  # ifaddr gives IPv6 addresses as tuples
            address = ipaddress.IPv4Address(ip.ip)
            if address.is_private and not address.is_loopback and ip.ip not in found:
                found.append(ip.ip)
    return found


def choose_interfaces(explicit: Sequence[str] = (), adapters: Sequence[ifaddr.Adapter] | None = None) -> list[str]:
    """The IPv4 addresses to use now: those of `explicit` this laptop has, or else its private ones."""
    adapters = ifaddr.get_adapters() if adapters is None else adapters
    if explicit:
        present = {ip.ip for adapter in adapters for ip in adapter.ips if isinstance(ip.ip, str)}
        return [address for address in explicit if address in present]
    return private_ipv4(adapters)


@dataclass(frozen=True)
class Sighting:
    """A laptop of this event seen on the network: its random instance name, addresses and port."""

    instance: str
    hosts: tuple[str, ...]
    port: int


Observer = Callable[[str, Sighting], None]


class Discovery:
    """This laptop's mDNS presence for one event: advertise a port, browse for peers, follow interfaces."""

    def __init__(
        self,
        tag: str,
        *,
        port: int | None = None,
        browse: bool = True,
        service_type: str = SERVICE_TYPE,
        interfaces: Sequence[str] = (),
        on_change: Observer | None = None,
        recheck_seconds: float = RECHECK_SECONDS,
        adapters: Callable[[], Sequence[ifaddr.Adapter]] = ifaddr.get_adapters,
    ):
        self.tag = tag
        self.port = port
        self.service_type = service_type
        self.instance = secrets.token_hex(8)  # new every run: nothing links two days of one laptop
        self.interfaces: list[str] = []
        self._browse = browse
        self._explicit = list(interfaces)
        self._on_change = on_change
        self._recheck = recheck_seconds
        self._adapters = adapters
        self._seen: dict[str, Sighting] = {}
        self._waiting: dict[str, None] = {}  # mDNS names seen while the table was full, oldest first
        self._overflowed = False  # a name was dropped because even the waiting list was full
        self._same: dict[str, Sighting] = {}  # names of a place already reported under another name
        self._aside: dict[str, float] = {}  # full name -> monotonic time it may be looked up again
        self._wake = threading.Event()  # a slot freed: look up the names waiting
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._zeroconf: Zeroconf | None = None
        self._browser: ServiceBrowser | None = None

    @property
    def name(self) -> str:
        """The full mDNS name this laptop advertises under."""
        return f"{self.instance}.{self.service_type}"

    def start(self) -> Discovery:
        self._thread = threading.Thread(target=self._run, name="fieldkit-discovery", daemon=True)
        self._thread.start()
        return self

    def wait_ready(self, timeout: float) -> bool:
        """True once the first advertisement is out (or there was no interface to advertise on)."""
        return self._ready.wait(timeout)

    def peers(self) -> list[Sighting]:
        with self._changed:
            return list(self._seen.values())

    def wait_for_peers(self, timeout: float, count: int = 1) -> list[Sighting]:
        """The peers seen, waiting up to `timeout` seconds until there are at least `count`."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._seen) >= count, timeout=timeout)
            return list(self._seen.values())

    def set_aside(self, instance: str, seconds: float) -> bool:
        """Stop reporting this peer for `seconds` (sync found no Field Kit laptop there), freeing its slot for
        a name waiting; then it is looked up again if its record is still there. False if not reported now."""
        name = f"{instance}.{self.service_type}"
        with self._changed:
            gone = self._seen.pop(name, None)
            if gone is None:
                return False
            self._aside[name] = time.monotonic() + seconds
            if len(self._aside) > MAX_WAITING:  # the oldest set aside waits again instead
                self._waiting[next(iter(self._aside))] = None
                del self._aside[next(iter(self._aside))]
            self._changed.notify_all()
        self._notify("removed", gone)
        self._wake.set()
        return True

    def close(self) -> None:
        """Withdraw the advertisement (a goodbye packet) and stop browsing."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> Discovery:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _run(self) -> None:
        next_check = 0.0
        try:
            while not self._stop.is_set():
                self._wake.clear()  # before the work: a slot freed meanwhile (or `close`) wakes the wait below
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + self._recheck
                    try:
                        wanted = choose_interfaces(self._explicit, self._adapters())
                    except OSError as exc:  # reading interfaces failed this time: keep what we have
                        log.info("could not read the network interfaces: %s", exc)
                        wanted = self.interfaces
                    if wanted != self.interfaces:
                        self._restart(wanted)
                    self._ready.set()
                due = self._refill()
                self._wake.wait(max(0.05, min(next_check, due) - time.monotonic()))
        finally:
            self._shutdown()

    def _refill(self) -> float:
        """Look up names waiting while a slot is free (those set aside wait again once their time is up);
        returns the monotonic time the next set-aside ends."""
        with self._changed:
            now = time.monotonic()
            for name in [name for name, until in self._aside.items() if until <= now]:
                del self._aside[name]
                self._waiting[name] = None
        zeroconf = self._zeroconf
        while zeroconf is not None and not self._stop.is_set():
            with self._changed:
                if len(self._seen) >= MAX_PEERS or not self._waiting:
                    rebrowse = self._overflowed and not self._waiting and len(self._seen) < MAX_PEERS
                    break
                name = next(iter(self._waiting))
                del self._waiting[name]
            self._lookup(zeroconf, name)
        else:
            rebrowse = False
        if rebrowse and self._browser is not None:
            # Names dropped while even the waiting list was full: python-zeroconf reports a record
            # once, so a new browser (it reports every record it holds) is how to hear them again.
            self._overflowed = False
            self._browser.cancel()
            self._browser = ServiceBrowser(zeroconf, self.service_type, handlers=[self._on_service])
        with self._changed:
            return min(self._aside.values(), default=float("inf"))

    def _restart(self, wanted: list[str]) -> None:
        self._shutdown()
        if not wanted:
            self.interfaces = []
            return
        try:
            zeroconf = Zeroconf(interfaces=list(wanted), ip_version=IPVersion.V4Only)
        except OSError as exc:
            log.warning("mDNS could not start on %s: %s; trying again in %.0f s", ", ".join(wanted), exc, self._recheck)
            self.interfaces = []
            return
        self._zeroconf, self.interfaces = zeroconf, list(wanted)
        try:
            if self.port is not None:
                zeroconf.register_service(self._info(wanted))
            if self._browse:
                self._browser = ServiceBrowser(zeroconf, self.service_type, handlers=[self._on_service])
        except Exception as exc:  # zeroconf's own errors (a blocked loop, a name clash): retried at the next check
            log.warning("mDNS advertisement failed on %s: %s", ", ".join(wanted), exc)
            self._shutdown()
            self.interfaces = []

    def _info(self, addresses: list[str]) -> ServiceInfo:
        return ServiceInfo(
            self.service_type,
            self.name,
            port=self.port,
            properties={"v": VERSION, "e": self.tag},
            server=f"{self.instance}.local.",
            parsed_addresses=addresses,
        )

    def _shutdown(self) -> None:
        browser, zeroconf = self._browser, self._zeroconf
        self._browser = self._zeroconf = None
        if browser is not None:
            browser.cancel()
        if zeroconf is not None:
            zeroconf.close()  # sends the goodbye for our own advertisement
        with self._changed:
            gone, self._seen = list(self._seen.values()), {}
            self._waiting.clear()  # a new browser reports every record again
            self._same.clear()
            self._overflowed = False
        for sighting in gone:
            self._notify("removed", sighting)

    def _on_service(
        self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if name == self.name:
            return
        if state_change is ServiceStateChange.Removed:
            with self._changed:  # it left: not waiting, and if it comes back it is looked at afresh
                self._waiting.pop(name, None)
                self._aside.pop(name, None)
                self._same.pop(name, None)
            self._forget(name)
            return
        self._lookup(zeroconf, name)

    def _lookup(self, zeroconf: Zeroconf, name: str) -> None:
        service_type = self.service_type
        try:
            info = zeroconf.get_service_info(service_type, name, timeout=_INFO_TIMEOUT_MS)
        except Exception as exc:  # a malformed record from someone on the network: ignore it
            log.info("mDNS record %s could not be read: %s", name[:80], exc)
            return
        sighting = self._sighting(name, info)
        if sighting is None:
            self._forget(name)
            return
        with self._changed:
            before = self._seen.get(name)
            if name in self._aside:
                return
            if before is None and any(_same_place(sighting, s) for s in self._seen.values()):
                # The laptop already reported, under another name (a fake copying its address, or
                # a restart's new name): one slot and one worker are enough; it stands in if that goes.
                if len(self._same) < MAX_WAITING:
                    self._same[name] = sighting
                return
            if before is None and len(self._seen) >= MAX_PEERS:  # full (a flood?): wait for a slot
                if len(self._waiting) < MAX_WAITING:
                    self._waiting[name] = None
                else:  # not even kept waiting: the browser is asked again once there is room
                    self._overflowed = True
                return
            self._seen[name] = sighting
            self._changed.notify_all()
        if before != sighting:
            self._notify("added", sighting)

    def _sighting(self, name: str, info: ServiceInfo | None) -> Sighting | None:
        """The peer, if the record is of this event and protocol; anything else is ignored."""
        if info is None or not info.port:
            return None
        properties = info.properties or {}
        if properties.get(b"e") != self.tag.encode() or properties.get(b"v") != VERSION.encode():
            return None
        hosts = tuple(info.parsed_addresses(IPVersion.V4Only))
        if not hosts:
            return None
        return Sighting(name[: -len(self.service_type) - 1], hosts, info.port)

    def _forget(self, name: str) -> None:
        with self._changed:
            gone = self._seen.pop(name, None)
            if gone is not None:  # the names that stood for the same place are looked up again
                for other in [n for n, s in self._same.items() if _same_place(s, gone)]:
                    del self._same[other]
                    self._waiting[other] = None
            self._changed.notify_all()
        if gone is not None:
            self._notify("removed", gone)
            self._wake.set()

    def _notify(self, kind: str, sighting: Sighting) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(kind, sighting)
        except Exception:  # an observer's bug must not stop discovery
            log.exception("discovery observer failed on %s %s", kind, sighting)


def _same_place(a: Sighting, b: Sighting) -> bool:
    """Whether two sightings point at the same laptop: one port, an address in common."""
    return a.port == b.port and not set(a.hosts).isdisjoint(b.hosts)
