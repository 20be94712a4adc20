"""Discovery by mDNS with real zeroconf bound to 127.0.0.1: same event found, other events ignored, nothing said."""

from __future__ import annotations

import re
import secrets
import threading
import time

import ifaddr
from zeroconf import IPVersion, ServiceInfo, Zeroconf

from fieldkit.event import load_event
from fieldkit.event.ca import ca_fingerprint, require_identity
from sync import discovery
from sync.discovery import (
    SERVICE_TYPE,
    Discovery,
    choose_interfaces,
    event_pin,
    event_tag,
    private_ipv4,
    store_event_tag,
)

LOOPBACK = ["127.0.0.1"]


def _until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _adapter(name: str, *ips: str) -> ifaddr.Adapter:
    return ifaddr.Adapter(name, name, [ifaddr.IP(ip, 24, name) for ip in ips])


def test_two_laptops_of_one_event_find_each_other_and_another_event_is_ignored():
    changes = []
    with Discovery("0123456789abcdef", port=47911, interfaces=LOOPBACK) as other_event:
        assert other_event.wait_ready(10)
        with Discovery("fedcba9876543210", port=47912, interfaces=LOOPBACK,
                       on_change=lambda kind, seen: changes.append((kind, seen.port))) as first, \
             Discovery("fedcba9876543210", port=47913, interfaces=LOOPBACK) as second:
            assert [s.port for s in first.wait_for_peers(10)] == [47913]
            assert [s.port for s in second.wait_for_peers(10)] == [47912]
            assert first.peers()[0].hosts == ("127.0.0.1",)
            assert first.peers()[0].instance == second.instance
            second.close()  # its goodbye reaches the other laptop
            assert _until(lambda: not first.peers())
        assert changes == [("added", 47913), ("removed", 47913)]
        # It was advertising before the others started, so they would have seen it by now.
        assert other_event.peers() == []


def test_the_records_hold_only_the_event_id_and_the_port(coordinator):
    tag = store_event_tag(coordinator)
    with Discovery(tag, port=47914, interfaces=LOOPBACK, browse=False) as advertiser:
        assert advertiser.wait_ready(10)
        reader = Zeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)
        try:
            info = reader.get_service_info(SERVICE_TYPE, advertiser.name, timeout=5000)
        finally:
            reader.close()
    assert info is not None
    assert info.properties == {b"v": b"1", b"e": tag.encode()}
    assert info.port == 47914
    assert info.parsed_addresses() == ["127.0.0.1"]
    assert re.fullmatch(r"[0-9a-f]{16}\._fieldkit\._tcp\.local\.", info.name)
    assert info.server == info.name.split(".")[0] + ".local."
    said = f"{info.name} {info.server} {info.text!r}".lower()
    event = load_event(coordinator).template.event
    fingerprint = ca_fingerprint(require_identity(coordinator)[0]).hex()
    for private in (event.name, event.venue, coordinator.device_name, coordinator.device_id,
                    coordinator.event_id, fingerprint[:16], fingerprint[-16:]):
        assert private.lower() not in said


def test_the_event_id_is_a_labelled_hash_that_does_not_show_the_fingerprint(coordinator):
    ca_pem = require_identity(coordinator)[0]
    pin = event_pin(ca_pem)
    tag = event_tag(pin)
    assert tag == store_event_tag(coordinator) and re.fullmatch(r"[0-9a-f]{16}", tag)
    assert tag not in ca_fingerprint(ca_pem).hex()
    assert event_tag(bytes(12)) != tag


def test_an_interface_that_appears_later_is_picked_up():
    """Wi-Fi joining late: nothing to advertise on at first, then the address comes."""
    present = {"now": [_adapter("wlan0", "192.168.7.20")]}
    with Discovery("00000000000000aa", port=47915, interfaces=LOOPBACK, recheck_seconds=0.2,
                   adapters=lambda: present["now"]) as late, \
         Discovery("00000000000000aa", port=47916, interfaces=LOOPBACK) as watcher:
        assert late.wait_ready(5) and late.interfaces == []
        present["now"] = [_adapter("lo", "127.0.0.1"), _adapter("wlan0", "192.168.7.20")]
        assert [s.port for s in watcher.wait_for_peers(15)] == [47915]
        assert late.interfaces == LOOPBACK


def test_default_interfaces_are_private_ipv4_without_container_bridges():
    adapters = [
        _adapter("lo", "127.0.0.1"),
        _adapter("wlp2s0", "192.168.1.20"),
        _adapter("enp0s31f6", "10.0.0.7"),
        _adapter("docker0", "172.17.0.1"),
        _adapter("br-5f2a", "172.18.0.1"),
        _adapter("veth12ab", "169.254.3.3"),
        _adapter("virbr0", "192.168.122.1"),
        _adapter("usb0", "169.254.10.2"),  # two laptops on one cable, no DHCP
        _adapter("wwan0", "8.8.4.4"),
    ]
    assert private_ipv4(adapters) == ["192.168.1.20", "10.0.0.7", "169.254.10.2"]
    assert choose_interfaces((), adapters) == ["192.168.1.20", "10.0.0.7", "169.254.10.2"]
    assert choose_interfaces(("127.0.0.1", "10.9.9.9"), adapters) == ["127.0.0.1"]


def test_a_failure_to_read_interfaces_does_not_stop_discovery():
    calls = []

    def adapters():
        calls.append(1)
        if len(calls) < 3:
            raise OSError("netlink said no")
        return [_adapter("lo", "127.0.0.1")]

    with Discovery("00000000000000bb", port=47917, interfaces=LOOPBACK, recheck_seconds=0.1,
                   adapters=adapters) as flaky, \
         Discovery("00000000000000bb", port=47918, interfaces=LOOPBACK) as watcher:
        assert [s.port for s in watcher.wait_for_peers(15)] == [47917]
        assert flaky.interfaces == LOOPBACK and len(calls) >= 3


def flood(tag: str, ports: list[int]) -> Zeroconf:
    """A stranger's fake records of the event (`tag` read off a real laptop's), one per port, on 127.0.0.1."""
    stranger = Zeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)

    def register(port: int) -> None:
        name = secrets.token_hex(8)
        stranger.register_service(ServiceInfo(
            SERVICE_TYPE, f"{name}.{SERVICE_TYPE}", port=port, properties={"v": "1", "e": tag},
            server=f"{name}.local.", parsed_addresses=LOOPBACK), cooperating_responders=True)

    threads = [threading.Thread(target=register, args=(port,), daemon=True) for port in ports]
    [thread.start() for thread in threads]
    [thread.join(15) for thread in threads]
    return stranger


def test_a_laptop_ignored_while_fake_records_fill_the_table_is_found_once_they_leave(monkeypatch):
    monkeypatch.setattr(discovery, "MAX_PEERS", 4)  # 64 in use: the same, only slower to fill
    tag = secrets.token_hex(8)
    with Discovery(tag, port=47919, interfaces=LOOPBACK) as desk:
        assert desk.wait_ready(10)
        stranger = flood(tag, [9, 10, 11, 12])
        try:
            assert sorted(s.port for s in desk.wait_for_peers(15, 4)) == [9, 10, 11, 12]
            with Discovery(tag, port=47920, interfaces=LOOPBACK, browse=False) as real:
                assert _until(lambda: real.name in desk._waiting)  # seen while full: not reported, kept waiting
                assert 47920 not in [s.port for s in desk.peers()]
                stranger.unregister_all_services()  # the goodbyes free the slots
                assert _until(lambda: [s.port for s in desk.peers()] == [47920])
        finally:
            stranger.close()


def test_a_laptop_dropped_while_even_the_waiting_list_was_full_is_found_once_the_flood_leaves(monkeypatch):
    # 64 + 256 fake records before a real laptop starts: its name was not even kept waiting,
    # and python-zeroconf reports a record once. Found once there is room again.
    monkeypatch.setattr(discovery, "MAX_PEERS", 2)
    monkeypatch.setattr(discovery, "MAX_WAITING", 1)
    tag = secrets.token_hex(8)
    with Discovery(tag, port=47923, interfaces=LOOPBACK) as desk:
        assert desk.wait_ready(10)
        stranger = flood(tag, [9, 10, 11])
        try:
            assert len(desk.wait_for_peers(15, 2)) == 2 and _until(lambda: len(desk._waiting) == 1)
            with Discovery(tag, port=47924, interfaces=LOOPBACK, browse=False) as real:
                assert _until(lambda: desk._overflowed)  # dropped: neither reported nor waiting
                assert real.name not in desk._waiting
                stranger.unregister_all_services()
                assert _until(lambda: [s.port for s in desk.peers()] == [47924], timeout=20)
        finally:
            stranger.close()


def test_fake_records_copying_a_real_laptops_address_take_one_slot_not_all(monkeypatch):
    # They pass TLS (the real laptop answers), so they are never set aside: before, five of
    # them filled the table and hid every other laptop.
    monkeypatch.setattr(discovery, "MAX_PEERS", 3)
    tag = secrets.token_hex(8)
    with Discovery(tag, port=47925, interfaces=LOOPBACK) as desk, \
            Discovery(tag, port=47926, interfaces=LOOPBACK, browse=False) as real:
        assert desk.wait_ready(10) and [s.port for s in desk.wait_for_peers(15)] == [47926]
        stranger = flood(tag, [47926] * 5)
        try:
            assert _until(lambda: len(desk._same) == 5)
            assert [s.port for s in desk.peers()] == [47926]
            with Discovery(tag, port=47927, interfaces=LOOPBACK, browse=False):
                assert _until(lambda: sorted(s.port for s in desk.peers()) == [47926, 47927])
            real.close()  # its goodbye: a name that stood for the same place takes its slot
            assert _until(lambda: len(desk._same) == 4)
            assert _until(lambda: [s.port for s in desk.peers()] == [47926])
        finally:
            stranger.close()


def test_a_sighting_set_aside_frees_its_slot_and_comes_back_when_its_time_is_up(monkeypatch):
    monkeypatch.setattr(discovery, "MAX_PEERS", 2)
    tag = secrets.token_hex(8)
    changes = []
    with Discovery(tag, port=47921, interfaces=LOOPBACK,
                   on_change=lambda kind, seen: changes.append((kind, seen.port))) as desk:
        assert desk.wait_ready(10)
        stranger = flood(tag, [9, 10])
        try:
            fake = min(desk.wait_for_peers(15, 2), key=lambda s: s.port)
            with Discovery(tag, port=47922, interfaces=LOOPBACK, browse=False) as real:
                assert _until(lambda: real.name in desk._waiting)
                assert not desk.set_aside("0123456789abcdef", 60)  # not reported now: nothing to set aside
                assert desk.set_aside(fake.instance, 2.0)  # the fakes stay on the network
                assert _until(lambda: sorted(s.port for s in desk.peers()) == [10, 47922])
                assert ("removed", 9) in changes and changes[-1] == ("added", 47922)
            # The real laptop left; once the 2 s are up the record set aside is looked up again.
            assert _until(lambda: sorted(s.port for s in desk.peers()) == [9, 10])
        finally:
            stranger.close()
