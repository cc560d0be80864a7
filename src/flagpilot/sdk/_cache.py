"""The last-known-good snapshot on disk, and the bootstrap document: what a client serves first.

The cache file is one header line — the format, the environment, the entity tag and the SHA-256
of the rest — then the snapshot's JSON. It is written to a temporary file in the same folder,
flushed to disk and renamed over the old one, so a reader (another worker, the next start) sees
the old file or the new one, never half of one. A file whose checksum or content does not hold
up is ignored with a warning: a torn or tampered cache must never be served.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flagpilot.core import InvalidConfiguration, Snapshot, snapshot_from_dict, snapshot_to_dict

logger = logging.getLogger("flagpilot.sdk")
CACHE_FORMAT = 1


class CachedSnapshot:
    """A snapshot read back from the cache, with the entity tag it was served with."""

    def __init__(self, snapshot: Snapshot, etag: str | None) -> None:
        self.snapshot, self.etag = snapshot, etag


def cache_file(folder: str | os.PathLike[str], environment: str | None) -> Path:
    """The cache file for one environment in `folder`."""
    name = hashlib.sha256((environment or "(default)").encode()).hexdigest()[:16]
    return Path(folder) / f"flagpilot-snapshot-{name}.json"


def save(path: Path, snapshot: Snapshot, etag: str | None) -> None:
    """Write `snapshot` to `path` atomically; a failure is logged, never raised."""
    body = json.dumps(snapshot_to_dict(snapshot), sort_keys=True, separators=(",", ":")).encode()
    header = {
        "format": CACHE_FORMAT,
        "environment": snapshot.environment,
        "etag": etag,
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(json.dumps(header).encode() + b"\n" + body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        logger.warning("flagpilot: could not save the snapshot cache %s: %s", path, error)


def load(path: Path, environment: str | None) -> CachedSnapshot | None:
    """The snapshot saved at `path`, or None (with a warning if the file exists but is bad)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        logger.warning("flagpilot: cannot read the snapshot cache %s: %s", path, error)
        return None
    try:
        return _parse(raw, environment)
    except (ValueError, InvalidConfiguration) as error:
        logger.warning("flagpilot: ignoring the corrupt snapshot cache %s: %s", path, error)
        return None


def _parse(raw: bytes, environment: str | None) -> CachedSnapshot:
    head, newline, body = raw.partition(b"\n")
    if not newline:
        raise ValueError("no header line")
    header = json.loads(head)
    if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT:
        raise ValueError("not a flagpilot snapshot cache of a known format")
    if hashlib.sha256(body).hexdigest() != header.get("sha256"):
        raise ValueError("the checksum does not match: the file is torn or was changed")
    snapshot = snapshot_from_dict(json.loads(body))
    if environment is not None and snapshot.environment != environment:
        raise ValueError(f"it holds environment {snapshot.environment!r}, not {environment!r}")
    etag = header.get("etag")
    return CachedSnapshot(snapshot, etag if isinstance(etag, str) else None)


def read_bootstrap(bootstrap: str | os.PathLike[str] | Mapping[str, Any]) -> Snapshot:
    """The snapshot of a bootstrap file or mapping (the wire format, e.g. `flagpilot export`).

    Raises:
        ValueError: the file cannot be read or is not a valid snapshot; the caller asked for
            this document explicitly, so a bad one is a configuration mistake to fix, not to hide.
    """
    if isinstance(bootstrap, Mapping):
        data: Any = bootstrap
    else:
        try:
            data = json.loads(Path(bootstrap).read_bytes())
        except (OSError, ValueError) as error:
            raise ValueError(
                f"cannot read the bootstrap snapshot {os.fspath(bootstrap)!r}: {error}"
            ) from error
    try:
        return snapshot_from_dict(data)
    except InvalidConfiguration as error:
        raise ValueError(f"the bootstrap snapshot is not valid: {error}") from error
