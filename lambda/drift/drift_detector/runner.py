"""Runs shared by the Lambda handler, the Processing job and the local command.

``analyze`` turns capture objects into a ``Partial``; ``build_report`` (report.py) turns a
(merged) partial into the report. Locations are local paths or ``s3://bucket/key`` URIs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .baseline import Profile, load_profile
from .capture import CaptureObject, read_object, variant_prefix
from .common import compact_time
from .decode import DecodeConfig
from .labels import Labels
from .partial import Partial
from .report import report_json

LOG = logging.getLogger("drift_detector")

UNREADABLE_FILE = "unreadable_file"
REPORT_FOLDER = "drift-reports"


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``; raises ``ValueError`` otherwise."""
    if not uri.startswith("s3://"):
        raise ValueError(f"expected an s3://bucket/key URI, got {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    return bucket, key


def read_location(location: str, s3: Any = None) -> bytes:
    """The bytes of a local file or an S3 object."""
    if location.startswith("s3://"):
        bucket, key = parse_s3_uri(location)
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            data: bytes = body.read()
        finally:
            body.close()
        return data
    with open(location, "rb") as handle:
        return handle.read()


def write_location(location: str, text: str, s3: Any = None) -> None:
    """Write text to a local file (creating folders) or an S3 object (JSON content type)."""
    if location.startswith("s3://"):
        bucket, key = parse_s3_uri(location)
        s3.put_object(
            Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/json"
        )
        return
    folder = os.path.dirname(os.path.abspath(location))
    os.makedirs(folder, exist_ok=True)
    with open(location, "w", encoding="utf-8") as handle:
        handle.write(text)


def load_baseline(location: str, task: str = "classification", s3: Any = None) -> Profile:
    """Read a baseline CSV (local or S3) and build its profile."""
    return load_profile(read_location(location, s3), task=task, source=location)


def load_labels(location: str, s3: Any = None) -> Labels:
    """Labels from a local file or folder, an S3 object, or every object under an S3 prefix.

    A location that cannot be read gives empty labels (the report then shows 0 labeled
    records and names the source), never an error.
    """
    labels = Labels()
    try:
        if location.startswith("s3://"):
            bucket, key = parse_s3_uri(location)
            keys = [key]
            if not key or key.endswith("/"):
                keys = []
                paginator = s3.get_paginator("list_objects_v2")
                for page in paginator.paginate(Bucket=bucket, Prefix=key):
                    keys.extend(item["Key"] for item in page.get("Contents", []))
            for item in sorted(keys):
                labels.add(read_location(f"s3://{bucket}/{item}", s3), f"s3://{bucket}/{item}")
        elif os.path.isdir(location):
            for root, _dirs, files in os.walk(location):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    labels.add(read_location(path), path)
        else:
            labels.add(read_location(location), location)
    except Exception as error:  # a missing or unreadable labels source must not stop a run
        LOG.warning("labels %s could not be read: %s", location, error)
        labels.sources.append(location)
        labels.bad_lines += 1
    return labels


def decode_config(
    profile: Profile, labels: Labels | None, prediction_column: int = -1
) -> DecodeConfig:
    """The decoder settings for a profile."""
    return DecodeConfig(
        feature_names=profile.feature_names,
        task=profile.task,
        prediction_column=prediction_column,
        want_ids=labels is not None,
    )


def analyze(
    objects: Sequence[CaptureObject],
    profile: Profile,
    *,
    labels: Labels | None = None,
    s3: Any = None,
    prediction_column: int = -1,
) -> Partial:
    """Count every capture object into one partial result.

    An object that cannot be read (gone, access denied, I/O error) is counted as one bad
    record under ``unreadable_file`` and the run goes on.
    """
    config = decode_config(profile, labels, prediction_column)
    partial = Partial(profile)
    if labels is not None:
        partial.use_labels(labels)
    for item in objects:
        try:
            for batch in read_object(item, config, s3):
                partial.add(batch, labels)
        except Exception as error:  # one bad object must not stop the run
            LOG.warning("capture file %s could not be read: %s", item.location, error)
            partial.bad[UNREADABLE_FILE] += 1
        else:
            partial.files += 1
    return partial


def report_key(prefix: str, endpoint: str, variant: str, start: datetime, end: datetime) -> str:
    """Where a window's report goes in S3: next to the variant's capture folders.

    ``<prefix>/<endpoint>/<variant>/drift-reports/<start>-<end>.json``; the detector only
    lists ``yyyy/mm/dd/hh/`` folders, so it never reads a report back as capture data.
    """
    return (
        variant_prefix(prefix, endpoint, variant)
        + f"{REPORT_FOLDER}/{compact_time(start)}-{compact_time(end)}.json"
    )


def save_report(report: dict[str, Any], location: str, s3: Any = None) -> None:
    """Write a report as JSON to a local path or S3 URI."""
    write_location(location, report_json(report), s3)
