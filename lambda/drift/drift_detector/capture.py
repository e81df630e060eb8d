"""Find and read data-capture files: S3 (one listing per hour of the window) or a local folder.

SageMaker writes capture files under ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/`` (UTC
hour of capture). A window is a whole number of hours: ``[start, end)``, with ``start``
rounded down and ``end`` rounded up to the hour. Only objects ending in ``.jsonl`` are read;
nothing is ever written, moved or deleted here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from .common import ceil_hour, floor_hour
from .decode import PAD, Batch, DecodeConfig, decode_buffer

CHUNK_BYTES = 8 * 1024 * 1024
"""Bytes decoded at a time (whole lines); bounds memory whatever the file size."""

CAPTURE_SUFFIX = ".jsonl"
_HOUR_PATH = re.compile(r"(?:^|/)([^/]+)/(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]+$")


def window_hours(start: datetime, end: datetime) -> list[datetime]:
    """The UTC hours ``[floor(start), ceil(end))`` of a window."""
    first = floor_hour(start)
    last = ceil_hour(end)
    hours = []
    current = first
    while current < last:
        hours.append(current)
        current += timedelta(hours=1)
    return hours


def variant_prefix(prefix: str, endpoint: str, variant: str) -> str:
    """``<prefix>/<endpoint>/<variant>/`` (no leading slash; an empty prefix is allowed)."""
    parts = [p for p in (prefix.strip("/"), endpoint, variant) if p]
    return "/".join(parts) + "/"


def hour_prefixes(
    prefix: str, endpoint: str, variant: str, start: datetime, end: datetime
) -> list[str]:
    """The S3 prefixes of a variant's capture files in a window, one per hour."""
    root = variant_prefix(prefix, endpoint, variant)
    return [root + hour.strftime("%Y/%m/%d/%H/") for hour in window_hours(start, end)]


@dataclass
class CaptureObject:
    """One capture file: an S3 key (with ``bucket``) or a local path."""

    location: str
    size: int
    bucket: str | None = None


def list_s3_capture(
    s3: Any, bucket: str, prefix: str, endpoint: str, variant: str, start: datetime, end: datetime
) -> list[CaptureObject]:
    """Capture objects of one variant in a window (paginated listing of each hour prefix)."""
    objects: list[CaptureObject] = []
    paginator = s3.get_paginator("list_objects_v2")
    for hour in hour_prefixes(prefix, endpoint, variant, start, end):
        for page in paginator.paginate(Bucket=bucket, Prefix=hour):
            for item in page.get("Contents", []):
                if item["Key"].endswith(CAPTURE_SUFFIX):
                    objects.append(CaptureObject(item["Key"], int(item.get("Size", 0)), bucket))
    return objects


def list_s3_variants(s3: Any, bucket: str, prefix: str, endpoint: str) -> list[str]:
    """Variant names that have capture data under ``<prefix>/<endpoint>/``."""
    root = variant_prefix(prefix, endpoint, "")
    names: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=root, Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            name = common["Prefix"][len(root) :].strip("/")
            if name and name != "drift-reports":
                names.append(name)
    return sorted(names)


def list_local_capture(
    folder: str, start: datetime | None = None, end: datetime | None = None
) -> dict[str | None, list[CaptureObject]]:
    """``.jsonl`` files under ``folder`` (recursively), grouped by variant.

    The variant of a file is the folder above its ``yyyy/mm/dd/hh/`` folders, as SageMaker
    lays them out; files outside that layout are grouped under ``None``. With ``start`` and
    ``end``, only files in the window's hour folders are kept.
    """
    hours = {h.strftime("%Y/%m/%d/%H") for h in window_hours(start, end)} if start and end else None
    groups: dict[str | None, list[CaptureObject]] = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if not name.endswith(CAPTURE_SUFFIX):
                continue
            path = os.path.join(root, name)
            relative = os.path.relpath(path, folder).replace(os.sep, "/")
            match = _HOUR_PATH.search(relative)
            variant = match.group(1) if match else None
            if hours is not None and (not match or "/".join(match.groups()[1:]) not in hours):
                continue
            groups.setdefault(variant, []).append(CaptureObject(path, os.path.getsize(path)))
    for items in groups.values():
        items.sort(key=lambda item: item.location)
    return groups


def iter_line_chunks(
    read: Callable[[int], bytes], chunk_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[np.ndarray, int]]:
    """Line-aligned chunks of a stream as ``(buffer, size)`` with ``PAD`` zero bytes after.

    ``read(n)`` returns up to ``n`` bytes (``b""`` at the end). A line longer than
    ``chunk_bytes`` is read whole.
    """
    carry = b""
    while True:
        block = read(chunk_bytes)
        if not block:
            break
        data = carry + block if carry else block
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        carry = data[cut + 1 :]
        yield _padded(data, cut + 1)
    if carry:
        yield _padded(carry, len(carry))


def _padded(data: bytes, size: int) -> tuple[np.ndarray, int]:
    buffer = np.zeros(size + PAD, dtype=np.uint8)
    buffer[:size] = np.frombuffer(data, dtype=np.uint8, count=size)
    return buffer, size


def read_batches(
    objects: Sequence[CaptureObject],
    config: DecodeConfig,
    s3: Any = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[Batch]:
    """Decode every object chunk by chunk; an unreadable object yields nothing (see ``errors``)."""
    for item in objects:
        yield from read_object(item, config, s3, chunk_bytes)


def read_object(
    item: CaptureObject, config: DecodeConfig, s3: Any = None, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[Batch]:
    """Decode one capture object or file."""
    if item.bucket is not None:
        body = s3.get_object(Bucket=item.bucket, Key=item.location)["Body"]
        try:
            for buffer, size in iter_line_chunks(body.read, chunk_bytes):
                yield decode_buffer(buffer, size, config)
        finally:
            body.close()
    else:
        with open(item.location, "rb") as handle:
            for buffer, size in iter_line_chunks(handle.read, chunk_bytes):
                yield decode_buffer(buffer, size, config)
