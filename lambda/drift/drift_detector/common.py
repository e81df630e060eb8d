"""Small helpers shared by the decoder, the baseline and the labels: values, classes, times."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

_INT_TEXT = re.compile(r"[-+]?[0-9]+\Z")
UTC = timezone.utc  # noqa: UP017 (datetime.UTC is Python 3.11+; this code also runs on 3.9)


def to_float(value: object) -> float:
    """A feature value as a float; NaN when missing, not a number or not finite.

    Strings are stripped and parsed with ``float()``; booleans, ``None``, lists and objects
    are not numbers.
    """
    if isinstance(value, bool) or value is None:
        return math.nan
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            return math.nan
    elif isinstance(value, (str, bytes)):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        try:
            number = float(text.strip())
        except ValueError:
            return math.nan
    else:
        return math.nan
    return number if math.isfinite(number) else math.nan


def class_name(value: object) -> str | None:
    """The class a prediction or label names, as a string; ``None`` when there is none.

    Integer-valued numbers and numeric text name the same class (``1``, ``1.0``, ``"1"`` and
    ``" 1.0 "`` are all ``"1"``); booleans are ``"true"``/``"false"``; other text is stripped.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _INT_TEXT.match(text):
            return str(int(text))
        try:
            number = float(text)
        except ValueError:
            return text
        if math.isfinite(number) and number.is_integer() and abs(number) < 2**53:
            return str(int(number))
        return text
    return None


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (``Z`` or an offset; naive means UTC) as an aware UTC datetime."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def floor_hour(moment: datetime) -> datetime:
    """The start of the UTC hour holding ``moment``."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    """The first whole UTC hour at or after ``moment``."""
    floored = floor_hour(moment)
    return floored if floored == moment else floored + timedelta(hours=1)


def format_time(moment: datetime) -> str:
    """``2024-06-07T12:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def compact_time(moment: datetime) -> str:
    """``20240607T1200Z``, for object keys."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
