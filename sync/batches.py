"""Batch frames: runs of changes with their proofs and their origins' signatures, written and read back.

    {"type": "batch", "origins": [id, ...],
     "runs": [[origin_index, prev_hash_hex, signature_hex, count, [[seq, signature_hex], ...]], ...],
     "changes": [[seq, table, row_id, hlc, op, content, proof], ...]}

Each run covers the next `count` changes, consecutive changes of one origin; the origin
signed the hash of its last change, and of each change its checkpoints name. A laptop
signs its own runs when it sends them, with a checkpoint before each block of changes
that some role does not receive, so a laptop holding them as placeholders can still
relay what precedes them. `proof`
is what a change's content cannot say by itself (docs/sync-protocol.md "Provenance"): the
body digest of a placeholder; the digests of the fields a fact or a record write had
that it does not carry (a purged fact's, fields later writes decide); null otherwise.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fieldkit.store.chain import DIGEST_SIZE, FIELD_DIGEST_SIZE, field_digest, split_digests
from fieldkit.store.changes import INSERT, SET, WITHHELD, RemoteChange
from sync.feed import Run
from sync.frames import FrameError, encode

Signer = Callable[[str, int, bytes], bytes]  # (origin, seq, head hash) -> signature
Scoped = Callable[[str], bool]  # whether some role does not receive a table
_MAX_ID = 64
_HEX_DIGEST = 2 * DIGEST_SIZE
_HEX_FIELD = 2 * FIELD_DIGEST_SIZE
_MAX_FIELD_DIGESTS = 256


@dataclass
class Arrived:
    """One run as received: its changes not yet proven, and the proofs that came with them."""

    origin: str
    prev: bytes
    signature: bytes
    changes: list[RemoteChange]
    proofs: list[Any]
    checkpoints: list[tuple[int, bytes]]


def _wire_proof(c: RemoteChange) -> Any:
    if c.op == WITHHELD:
        return c.proof.hex()
    if c.op not in (INSERT, SET):
        return None
    if c.payload is None:
        return [d.hex() for d in split_digests(c.proof)]
    carried = len(c.payload) if c.op == SET else len(c.payload) - list(c.payload.values()).count(None)
    if len(c.proof) == FIELD_DIGEST_SIZE * carried:
        return None  # every field it proves travels with it (a later write or purge only ever takes fields away)
    sent = {field_digest(k, v) for k, v in c.payload.items() if v is not None or c.op == SET}
    return [d.hex() for d in split_digests(c.proof) if d not in sent]


def _own_checkpoints(run: Run, sign: Signer, scoped: Scoped) -> list[tuple[int, bytes]]:
    points = []
    for before, change in zip(run.changes, run.changes[1:]):
        if scoped(change.table) and not scoped(before.table):
            points.append((before.seq, sign(run.origin, before.seq, before.hash)))
    return points


def _message(runs: list[Run], sign: Signer, scoped: Scoped) -> dict[str, Any]:
    origins = sorted({run.origin for run in runs})
    index = {o: i for i, o in enumerate(origins)}
    run_rows, change_rows = [], []
    for run in runs:
        last = run.changes[-1]
        if run.signature is None:
            signature, checkpoints = sign(run.origin, last.seq, last.hash), _own_checkpoints(run, sign, scoped)
        else:
            signature, checkpoints = run.signature, run.checkpoints
        run_rows.append([
            index[run.origin], run.prev.hex(), signature.hex(), len(run.changes),
            [[seq, point.hex()] for seq, point in checkpoints],
        ])
        change_rows.extend(
            [c.seq, c.table, c.row_id, c.hlc, c.op, c.payload, _wire_proof(c)] for c in run.changes
        )
    return {"type": "batch", "origins": origins, "runs": run_rows, "changes": change_rows}


def encode_runs(runs: list[Run], sign: Signer, scoped: Scoped) -> list[dict[str, Any]]:
    """One or more batch frames, split between runs (or inside this laptop's own, which it
    signs again) so that none is over the frame limit; FrameError if one run cannot fit."""
    return [message for message, _wire in encoded_runs(runs, sign, scoped)]


def encoded_runs(runs: list[Run], sign: Signer, scoped: Scoped) -> list[tuple[dict[str, Any], bytes]]:
    """The frames of `encode_runs`, each with its bytes as sent: encoding a frame to check its
    size is the encoding sent, not done twice (a sixth of what a sending laptop spends)."""
    message = _message(runs, sign, scoped)
    try:
        wire = encode(message)
    except FrameError:
        if len(runs) > 1:
            half = len(runs) // 2
            return encoded_runs(runs[:half], sign, scoped) + encoded_runs(runs[half:], sign, scoped)
        (run,) = runs
        if run.signature is not None or len(run.changes) == 1:
            raise FrameError("one run of changes is larger than the frame limit") from None
        half = len(run.changes) // 2
        first, second = run.changes[:half], run.changes[half:]
        return encoded_runs([Run(run.origin, run.prev, first)], sign, scoped) + encoded_runs(
            [Run(run.origin, first[-1].hash, second)], sign, scoped
        )
    return [(message, wire)]


def _malformed(why: str) -> FrameError:
    return FrameError(f"malformed batch frame: {why}")


def _hex(value: Any, size: int) -> bytes:
    if not isinstance(value, str) or len(value) != size:
        raise _malformed("a hash, signature or digest is not hex of the right length")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise _malformed("a hash, signature or digest is not hex") from None


def decode_runs(message: dict[str, Any]) -> list[Arrived]:
    """The runs of a batch frame; FrameError if its shape is wrong (content is checked later)."""
    origins, runs, rows = message.get("origins"), message.get("runs"), message.get("changes")
    if not (isinstance(origins, list) and isinstance(runs, list) and isinstance(rows, list)):
        raise _malformed("origins, runs or changes is missing or not a list")
    if not all(isinstance(o, str) and 0 < len(o) <= _MAX_ID for o in origins):
        raise _malformed("an origin is not an id")
    arrived, position = [], 0
    for run in runs:
        if not (isinstance(run, list) and len(run) == 5 and type(run[0]) is int and type(run[3]) is int):
            raise _malformed("a run is not [origin, prev, signature, count, checkpoints]")
        index, prev, signature, count, points = run
        if not (0 <= index < len(origins) and 0 < count <= len(rows) - position):
            raise _malformed("a run names no origin or more changes than the frame holds")
        if not (isinstance(points, list) and len(points) < count):
            raise _malformed("a run has more checkpoints than changes")
        origin = origins[index]
        changes, proofs = [], []
        for row in rows[position : position + count]:
            if type(row) is not list or len(row) != 7:
                raise _malformed("a change is not a list of 7 items")
            seq, table, row_id, hlc, op, payload, proof = row
            # JSON gives exact types: `type(v) is str` is isinstance here, without a call per field.
            if type(table) is not str or type(row_id) is not str or type(hlc) is not str or type(op) is not str:
                raise _malformed("a change has fields of the wrong type")
            changes.append(RemoteChange(origin, seq, table, row_id, hlc, op, payload))
            if proof is None and payload is not None and (op == INSERT or op == SET):
                proofs.append(())  # the usual case: every field it proves travels with it
            else:
                proofs.append(_proof(op, payload, proof))
        checkpoints = [_checkpoint(point) for point in points]
        arrived.append(Arrived(origin, _hex(prev, _HEX_DIGEST), _hex(signature, 128), changes, proofs, checkpoints))
        position += count
    if position != len(rows):
        raise _malformed("changes outside any run")
    return arrived


def _checkpoint(point: Any) -> tuple[int, bytes]:
    if not (isinstance(point, list) and len(point) == 2 and type(point[0]) is int):
        raise _malformed("a checkpoint is not [seq, signature]")
    return point[0], _hex(point[1], 128)


def _proof(op: str, payload: Any, proof: Any) -> Any:
    """A placeholder's body, or the field digests a fact or record write carries as digests
    only (a tuple); checked for shape only."""
    if op == WITHHELD:
        return _hex(proof, _HEX_DIGEST)
    if proof is None:
        return () if op in (INSERT, SET) and payload is not None else None
    if op in (INSERT, SET) and isinstance(proof, list) and len(proof) <= _MAX_FIELD_DIGESTS:
        return tuple(_hex(p, _HEX_FIELD) for p in proof)
    raise _malformed("a change carries a proof it should not")


@contextlib.contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Receive and apply one batch with Python's cycle collector paused. A batch makes a few
    hundred thousand small objects, none in a cycle (reference counting frees them all), which
    the collector would otherwise walk again and again: 2% of the instructions of admitting and
    applying 4,000 changes (callgrind). It runs again as before once the batch is done."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
