"""Decode SageMaker data-capture JSON Lines into feature rows, predictions and ids.

A capture line looks like (one line, shown wrapped)::

    {"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",
     "data":"1,32.25,1,24","encoding":"CSV"},"endpointOutput":{"observedContentType":
     "text/csv; charset=utf-8","mode":"OUTPUT","data":"0.12,0\\n","encoding":"CSV"}},
     "eventMetadata":{"eventId":"...","inferenceId":"...","inferenceTime":"..."},
     "eventVersion":"0"}

``encoding`` is ``CSV`` or ``JSON`` (``data`` is the payload text) or ``BASE64`` (``data`` is
the base64 of the payload bytes); ``observedContentType`` says how to read the payload
(``text/csv``, ``application/json``, ``application/jsonlines``). One line is one request and
may hold several rows (a batch); each row is one record.

Two decoders give the same result:

* the *line decoder* (``json.loads`` per line) reads every shape above;
* the *bulk decoder* reads a whole chunk of lines with numpy when they have the exact
  layout SageMaker writes for CSV traffic (the layout above, with or without
  ``inferenceId``, single-row CSV input of plain decimal numbers, single-row CSV output),
  and hands every other line to the line decoder. It checks every byte outside the variable
  strings against the layout, so it never accepts a line the line decoder would read
  differently; ``tests/lambda/drift`` runs both on the same input and compares.

Nothing here raises on bad input: every line that cannot be used is counted under a reason.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .common import class_name, to_float

CSV_TYPES = frozenset({"text/csv", "application/csv"})
JSON_TYPES = frozenset({"application/json"})
JSONL_TYPES = frozenset({"application/jsonlines", "application/x-jsonlines", "application/jsonl"})
PREDICTION_KEYS = ("label", "predicted_label", "prediction", "class", "score", "value")

# Bad-record reasons (keys of the report's ``bad_record_reasons``).
MALFORMED_LINE = "malformed_line"
MISSING_INPUT = "missing_input"
UNSUPPORTED_ENCODING = "unsupported_encoding"
UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
UNDECODABLE_PAYLOAD = "undecodable_payload"
EMPTY_PAYLOAD = "empty_payload"
WRONG_FEATURE_COUNT = "wrong_feature_count"

PAD = 8192
"""Zero bytes after a chunk, so fixed-width reads near its end stay in bounds."""

_MAX_DATA = 4096  # longest input/output ``data`` the bulk decoder takes; longer goes per line
_MAX_FIELD_DIGITS = 15  # a decimal with at most 15 digits converts exactly (see _parse_decimals)
_MAX_CLASS = 32  # longest class name the bulk decoder takes
_MAX_ID = 64  # longest eventId / inferenceId the bulk decoder takes (inferenceId is <= 64)


@dataclass
class DecodeConfig:
    """What the decoder extracts.

    ``prediction_column`` picks the output column of a CSV response (default: the last, so
    ``probability,label`` gives the label); ``prediction_keys`` are tried in order on JSON
    response objects. ``want_ids`` keeps each record's inference and event ids (for labels).
    ``bulk`` False forces the line decoder (tests).
    """

    feature_names: Sequence[str]
    task: str = "classification"
    prediction_column: int = -1
    prediction_keys: Sequence[str] = PREDICTION_KEYS
    want_ids: bool = False
    bulk: bool = True


@dataclass
class Batch:
    """Decoded records of a chunk of capture lines.

    ``values`` has one row per record and one column per feature (NaN: missing or not a
    number). ``classes``/``class_codes`` (classification: code per record, -1 when the
    prediction could not be read) or ``predicted`` (regression: NaN when unreadable).
    ``ids``: ``(inference_id, event_id, row_in_line, rows_in_line)`` per record when asked.
    """

    values: np.ndarray
    class_codes: np.ndarray
    classes: list[str]
    predicted: np.ndarray
    ids: list[tuple[str | None, str | None, int, int]] | None
    lines: int
    bad: Counter[str] = field(default_factory=Counter)
    prediction_unreadable: int = 0

    @property
    def records(self) -> int:
        """Records (rows) decoded."""
        return int(self.values.shape[0])


class _Bad(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_chunk(chunk: bytes | bytearray | memoryview, config: DecodeConfig) -> Batch:
    """Decode a chunk of whole capture lines (the last may lack its newline)."""
    size = len(chunk)
    buffer = np.zeros(size + PAD, dtype=np.uint8)
    buffer[:size] = np.frombuffer(chunk, dtype=np.uint8)
    return decode_buffer(buffer, size, config)


def decode_buffer(buffer: np.ndarray, size: int, config: DecodeConfig) -> Batch:
    """Decode ``buffer[:size]``; ``buffer`` must have ``PAD`` zero bytes after ``size``."""
    collector = _Collector(config)
    if size == 0:
        return collector.batch()
    raw = buffer[:size]
    ends = np.flatnonzero(raw == 10)
    if raw[size - 1] != 10:
        ends = np.append(ends, size)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    taken = np.zeros(ends.size, dtype=bool)
    if config.bulk:
        _bulk_decode(buffer, raw, starts, ends, config, collector, taken)
    rest = np.flatnonzero(~taken & (ends > starts))
    if rest.size:
        data = raw.tobytes()
        for start, end in zip(starts[rest].tolist(), ends[rest].tolist()):  # noqa: B905
            collector.line(data[start:end])
    return collector.batch()


def decode_lines(text: bytes, config: DecodeConfig) -> Batch:
    """Decode capture lines with the line decoder only (reference for the bulk decoder)."""
    collector = _Collector(config)
    for line in text.split(b"\n"):
        collector.line(line)
    return collector.batch()


# --------------------------------------------------------------------------- line decoder


class _Collector:
    """Accumulates records from both decoders into one ``Batch``."""

    def __init__(self, config: DecodeConfig) -> None:
        self.config = config
        self.width = len(config.feature_names)
        self.names = list(config.feature_names)
        self.regression = config.task == "regression"
        self.bad: Counter[str] = Counter()
        self.lines = 0
        self.unreadable = 0
        self.bulk_values: list[np.ndarray] = []
        self.bulk_codes: list[np.ndarray] = []
        self.bulk_predicted: list[np.ndarray] = []
        self.rows: list[list[float]] = []
        self.row_codes: list[int] = []
        self.row_predicted: list[float] = []
        self.ids: list[tuple[str | None, str | None, int, int]] | None = (
            [] if config.want_ids else None
        )
        self.bulk_ids: list[tuple[str | None, str | None, int, int]] = []
        self.classes: list[str] = []
        self.class_index: dict[str, int] = {}

    def code(self, name: str | None) -> int:
        if name is None:
            return -1
        index = self.class_index.get(name)
        if index is None:
            index = len(self.classes)
            self.class_index[name] = index
            self.classes.append(name)
        return index

    def line(self, raw: bytes) -> None:
        if not raw.strip():
            return
        self.lines += 1
        try:
            self._line(raw)
        except _Bad as problem:
            self.bad[problem.reason] += 1

    def _line(self, raw: bytes) -> None:
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):
            raise _Bad(MALFORMED_LINE) from None
        if not isinstance(document, dict):
            raise _Bad(MALFORMED_LINE)
        capture = document.get("captureData")
        if not isinstance(capture, dict):
            raise _Bad(MALFORMED_LINE)
        part = capture.get("endpointInput")
        if not isinstance(part, dict) or "data" not in part:
            raise _Bad(MISSING_INPUT)
        rows = self._input_rows(*_payload(part))
        good: list[tuple[int, list[float]]] = []
        for position, row in enumerate(rows):
            if row is None:
                self.bad[WRONG_FEATURE_COUNT] += 1
            else:
                good.append((position, row))
        if not good:
            return
        predictions = self._predictions(capture.get("endpointOutput"), len(rows))
        metadata = document.get("eventMetadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        inference_id = _text_or_none(metadata.get("inferenceId"))
        event_id = _text_or_none(metadata.get("eventId"))
        for position, row in good:
            self.rows.append(row)
            prediction = predictions[position] if predictions is not None else None
            if self.regression:
                number = to_float(prediction) if prediction is not None else math.nan
                if number != number:
                    self.unreadable += 1
                self.row_predicted.append(number)
            else:
                code = self.code(class_name(prediction) if _scalar(prediction) else None)
                if code < 0:
                    self.unreadable += 1
                self.row_codes.append(code)
            if self.ids is not None:
                self.ids.append((inference_id, event_id, position, len(rows)))

    def _input_rows(self, text: str, kind: str) -> list[list[float] | None]:
        if kind == "csv":
            rows: list[list[float] | None] = []
            for cells in csv.reader(io.StringIO(text)):
                if not any(cell.strip() for cell in cells):
                    continue
                rows.append([to_float(c) for c in cells] if len(cells) == self.width else None)
        else:
            rows = [self._json_row(item) for item in _json_items(text, kind)]
        if not rows:
            raise _Bad(EMPTY_PAYLOAD)
        return rows

    def _json_row(self, item: object) -> list[float] | None:
        if isinstance(item, dict):
            if not any(name in item for name in self.names):
                return None
            return [to_float(item.get(name)) for name in self.names]
        if isinstance(item, list):
            return [to_float(v) for v in item] if len(item) == self.width else None
        if self.width == 1:
            return [to_float(item)]
        return None

    def _predictions(self, part: object, rows: int) -> list[object] | None:
        if not isinstance(part, dict) or "data" not in part:
            return None
        try:
            text, kind = _payload(part)
        except _Bad:
            return None
        column = self.config.prediction_column
        values: list[object] = []
        if kind == "csv":
            for cells in csv.reader(io.StringIO(text)):
                if not any(cell.strip() for cell in cells):
                    continue
                values.append(cells[column].strip() if -len(cells) <= column < len(cells) else None)
        else:
            try:
                items = _json_items(text, kind, predictions=True)
            except _Bad:
                return None
            for item in items:
                values.append(self._json_prediction(item))
        return values if len(values) == rows else None

    def _json_prediction(self, item: object) -> object:
        if isinstance(item, dict):
            for key in self.config.prediction_keys:
                if key in item:
                    return item[key]
            return None
        if isinstance(item, list):
            column = self.config.prediction_column
            return item[column] if -len(item) <= column < len(item) else None
        return item

    def add_bulk(
        self,
        values: np.ndarray,
        codes: np.ndarray,
        predicted: np.ndarray,
        ids: list[tuple[str | None, str | None, int, int]] | None,
    ) -> None:
        self.bulk_values.append(values)
        if self.regression:
            self.bulk_predicted.append(predicted)
            self.unreadable += int(np.count_nonzero(np.isnan(predicted)))
        else:
            self.bulk_codes.append(codes)
            self.unreadable += int(np.count_nonzero(codes < 0))
        if ids is not None:
            self.bulk_ids.extend(ids)

    def batch(self) -> Batch:
        parts = [*self.bulk_values]
        if self.rows:
            parts.append(np.asarray(self.rows, dtype=np.float64).reshape(-1, self.width))
        values = np.concatenate(parts) if parts else np.empty((0, self.width))
        codes = np.concatenate([*self.bulk_codes, np.asarray(self.row_codes, dtype=np.int64)])
        predicted = np.concatenate(
            [*self.bulk_predicted, np.asarray(self.row_predicted, dtype=np.float64)]
        )
        ids = None
        if self.ids is not None:
            ids = [*self.bulk_ids, *self.ids]
        return Batch(
            values=values,
            class_codes=codes.astype(np.int64),
            classes=list(self.classes),
            predicted=predicted,
            ids=ids,
            lines=self.lines,
            bad=self.bad,
            prediction_unreadable=self.unreadable,
        )


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _text_or_none(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _media_type(content_type: object) -> str:
    if not isinstance(content_type, str):
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def _payload(part: dict[str, object]) -> tuple[str, str]:
    """The payload text of a capture part and how to read it (``csv``/``json``/``jsonl``)."""
    data = part.get("data")
    if not isinstance(data, str):
        raise _Bad(UNDECODABLE_PAYLOAD)
    encoding = str(part.get("encoding") or "").upper()
    if encoding == "BASE64":
        try:
            text = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise _Bad(UNDECODABLE_PAYLOAD) from None
    elif encoding in ("CSV", "JSON"):
        text = data
    else:
        raise _Bad(UNSUPPORTED_ENCODING)
    media = _media_type(part.get("observedContentType"))
    if media in CSV_TYPES:
        return text, "csv"
    if media in JSON_TYPES:
        return text, "json"
    if media in JSONL_TYPES:
        return text, "jsonl"
    if not media and encoding in ("CSV", "JSON"):
        return text, encoding.lower()
    raise _Bad(UNSUPPORTED_CONTENT_TYPE)


def _json_items(text: str, kind: str, predictions: bool = False) -> list[object]:
    """The rows of a JSON or JSON Lines payload."""
    try:
        if kind == "jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise _Bad(UNDECODABLE_PAYLOAD) from None
    if isinstance(document, dict):
        for key in ("predictions",) if predictions else ("instances", "inputs"):
            if key in document:
                document = document[key]
                break
        else:
            return [document]
    if isinstance(document, list):
        if not predictions and document and all(not isinstance(v, (list, dict)) for v in document):
            return [document]
        return document
    return [document]


# --------------------------------------------------------------------------- bulk decoder
#
# The bulk decoder walks every line of a chunk through the layout at once (numpy over lines):
# check the constant, find the closing quote of the variable string that follows, check the
# next constant at that quote, and so on; the last constant must end exactly at the line's
# end. Variable strings then contain no quote by construction, and every byte outside them
# has been compared with the layout. Backslashes (other than a trailing "\n" in a data
# string), control characters and non-ASCII bytes send a line to the line decoder: they are
# counted over the chunk, and located line by line only when the counts say there are any.

_PREFIX = b'{"captureData":{"endpointInput":{"observedContentType":"'
_STEPS = (
    ("in_type", b'","mode":"INPUT","data":"'),
    ("in_data", b'","encoding":"CSV"},"endpointOutput":{"observedContentType":"'),
    ("out_type", b'","mode":"OUTPUT","data":"'),
    ("out_data", b'","encoding":"CSV"}},"eventMetadata":{"eventId":"'),
)
_AFTER_EVENT_ID = b'","inferenceTime":"'
_AFTER_EVENT_ID_WITH_INFERENCE_ID = b'","inferenceId":"'
_SUFFIX = b'"},"eventVersion":"0"}'
_QUOTE_WINDOWS = (64, 512, 4096)
_MAX_WINDOW = max(_QUOTE_WINDOWS)


def _rows(buffer: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """``width`` bytes from each start as a ``(len(starts), width)`` array (a copy).

    Items of a ``void`` view with a one-byte stride are copied whole, far faster than
    fancy-indexing a ``sliding_window_view``.
    """
    view = np.ndarray(
        shape=(buffer.size - width + 1,),
        dtype=np.dtype((np.void, width)),
        buffer=buffer,
        strides=(1,),
    )
    return view[starts].view(np.uint8).reshape(-1, width)


def _equals(buffer: np.ndarray, starts: np.ndarray, constant: bytes) -> np.ndarray:
    """Whether the bytes at each start equal ``constant`` (compared as 8-byte words)."""
    size = len(constant)
    width = -(-size // 8) * 8
    words = _rows(buffer, starts, width).view(np.uint64)
    padding = b"\0" * (width - size)
    template = np.frombuffer(constant + padding, dtype=np.uint64)
    mask = np.frombuffer(b"\xff" * size + padding, dtype=np.uint64)
    result: np.ndarray = ((words & mask) == template).all(axis=1)
    return result


def _first_quote(buffer: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Position of the first ``"`` at or after each start (-1 if none within the windows)."""
    result = np.full(starts.size, -1, dtype=np.int64)
    todo = np.arange(starts.size)
    for width in _QUOTE_WINDOWS:
        if todo.size == 0:
            break
        hits = _rows(buffer, starts[todo], width) == 34
        first = hits.argmax(axis=1)
        found = hits[np.arange(todo.size), first]
        result[todo[found]] = starts[todo[found]] + first[found]
        todo = todo[~found]
    return result


class _Walk:
    """Lines being matched against the layout: position reached, spans found, still ``ok``.

    Rows are never dropped while walking (a failed row keeps being read at a safe position);
    only the ``ok`` rows are used at the end.
    """

    def __init__(self, rows: np.ndarray, position: np.ndarray) -> None:
        self.rows = rows
        self.position = position
        self.ok = np.ones(rows.size, dtype=bool)
        self.spans: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def subset(self, mask: np.ndarray) -> _Walk:
        part = _Walk(self.rows[mask], self.position[mask])
        part.ok = self.ok[mask]
        part.spans = {k: (b[mask], e[mask]) for k, (b, e) in self.spans.items()}
        return part

    def keep(self, mask: np.ndarray) -> None:
        self.ok &= mask

    def step(self, buffer: np.ndarray, constant: bytes, name: str | None, window: int) -> None:
        """Match ``constant`` here, then (if ``name``) the variable string after it."""
        size = len(constant)
        words = -(-size // 8)
        width = words * 8 + (window if name else 0)
        rows = _rows(buffer, np.where(self.ok, self.position, 0), width)
        padding = b"\0" * (words * 8 - size)
        template = np.frombuffer(constant + padding, dtype=np.uint64)
        mask = np.frombuffer(b"\xff" * size + padding, dtype=np.uint64)
        self.ok &= ((rows.view(np.uint64)[:, :words] & mask) == template).all(axis=1)
        begin = self.position + size
        if name is None:
            self.position = begin
            return
        hits = rows[:, size:] == 34
        first = hits.argmax(axis=1)
        found = hits[np.arange(hits.shape[0]), first]
        close = begin + first
        missing = np.flatnonzero(~found & self.ok)
        if missing.size:
            close[missing] = _first_quote(buffer, begin[missing])
        close = np.where(self.ok, close, begin)
        self.ok &= close >= begin
        self.spans[name] = (begin, close)
        self.position = close


def _walk_layout(buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[_Walk]:
    rows = np.flatnonzero(ends - starts >= len(_PREFIX) + len(_SUFFIX))
    walk = _Walk(rows, starts[rows])
    walk.step(buffer, _PREFIX, "in_type", 16)
    for (_, constant), (following, window) in zip(  # noqa: B905 (py3.9)
        _STEPS, (("in_data", 32), ("out_type", 32), ("out_data", 32), ("event_id", 48))
    ):
        walk.step(buffer, constant, following, window)
    with_id = _equals(
        buffer, np.where(walk.ok, walk.position, 0), _AFTER_EVENT_ID_WITH_INFERENCE_ID
    )
    result = []
    for index, part in enumerate((walk.subset(~with_id), walk.subset(with_id))):
        if part.rows.size == 0:
            continue
        if index == 1:
            part.step(buffer, _AFTER_EVENT_ID_WITH_INFERENCE_ID, "inference_id", 48)
        part.step(buffer, _AFTER_EVENT_ID, "time", 32)
        part.step(buffer, _SUFFIX, None, 0)
        part.keep(part.position == ends[part.rows])
        result.append(part.subset(part.ok))
    return result


def _bulk_decode(
    buffer: np.ndarray,
    raw: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    config: DecodeConfig,
    collector: _Collector,
    taken: np.ndarray,
) -> None:
    walks = _walk_layout(buffer, starts, ends)
    allowed = np.full((starts.size, 2), -1, dtype=np.int64)
    for walk in walks:
        for name in ("in_type", "out_type"):
            walk.keep(_is_csv_type(buffer, *walk.spans[name]))
        # A trailing escaped newline ("\n") in a data string is allowed and dropped.
        for column, name in enumerate(("in_data", "out_data")):
            begin, stop = walk.spans[name]
            escaped = ((stop - begin) >= 2) & (buffer[stop - 2] == 92) & (buffer[stop - 1] == 110)
            escaped &= walk.ok
            allowed[walk.rows[escaped], column] = (stop - 2)[escaped]
            walk.spans[name] = (begin, stop - 2 * escaped)
    walks = [w.subset(w.ok) for w in walks]
    rejected = _odd_lines(raw, starts.size, ends, allowed, walks)
    for walk in walks:
        walk = walk.subset(~rejected[walk.rows])
        if walk.rows.size:
            _take(buffer, walk, config, collector, taken)


def _odd_lines(
    raw: np.ndarray, count: int, ends: np.ndarray, allowed: np.ndarray, walks: list[_Walk]
) -> np.ndarray:
    """Lines with a byte the layout forbids (outside the allowed trailing backslashes)."""
    rejected = np.zeros(count, dtype=bool)
    newlines = ends.size - (1 if raw[-1] != 10 else 0)
    special = int(np.count_nonzero(raw < 32)) - newlines + int(np.count_nonzero(raw >= 128))
    backslashes = int(np.count_nonzero(raw == 92))
    expected = sum(int(np.count_nonzero(allowed[w.rows] >= 0)) for w in walks)
    if special == 0 and backslashes == expected:
        return rejected
    odd = np.flatnonzero((raw == 92) | ((raw - np.uint8(32)) >= 96))
    odd = odd[raw[odd] != 10]
    line = np.searchsorted(ends, odd, side="left")
    bad = (odd != allowed[line, 0]) & (odd != allowed[line, 1])
    rejected[line[bad]] = True
    return rejected


def _take(
    buffer: np.ndarray,
    walk: _Walk,
    config: DecodeConfig,
    collector: _Collector,
    taken: np.ndarray,
) -> None:
    values, ok = _parse_rows(buffer, *walk.spans["in_data"], len(config.feature_names))
    count = walk.rows.size
    codes = np.full(count, -1, dtype=np.int64)
    predicted = np.full(count, np.nan)
    field_begin, field_stop, found = _csv_field(
        buffer, *walk.spans["out_data"], config.prediction_column
    )
    ok &= found
    if config.task == "regression":
        numbers, parsed = _parse_rows(buffer, field_begin, field_stop, 1)
        predicted = numbers[:, 0]
        for i in np.flatnonzero(ok & ~parsed).tolist():
            text = buffer[field_begin[i] : field_stop[i]].tobytes()
            predicted[i] = to_float(text) if text.strip() else math.nan
    else:
        codes, named = _class_codes(buffer, field_begin, field_stop, collector)
        ok &= named
    ids = None
    if config.want_ids:
        ids_ok, ids = _ids(buffer, walk.spans)
        ok &= ids_ok
    good = np.flatnonzero(ok)
    if good.size == 0:
        return
    taken[walk.rows[good]] = True
    collector.lines += int(good.size)
    collector.add_bulk(
        values[good],
        codes[good],
        predicted[good],
        [ids[i] for i in good.tolist()] if ids is not None else None,
    )


def _is_csv_type(buffer: np.ndarray, begin: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """``text/csv`` alone or followed by ``;`` parameters (what ``_media_type`` maps to csv)."""
    length = stop - begin
    ok = (length >= 8) & _equals(buffer, begin, b"text/csv")
    after = buffer[begin + 8]
    result: np.ndarray = ok & ((length == 8) | (after == 59))
    return result


def _parse_rows(
    buffer: np.ndarray, begin: np.ndarray, stop: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``width`` comma-separated plain decimals per span; ``ok`` False where not plain.

    A plain decimal is ``-?digits[.digits]`` (or ``.5``/``5.``) with 1 to 15 digits: its
    digits form an integer below 2**53, exact in float64, and one correctly rounded division
    by an exact power of ten gives the same double as ``float(text)``. The bytes are read
    column by column (vectorized over the rows), keeping the current field's state.
    """
    count = begin.size
    values = np.full((count, width), np.nan)
    length = stop - begin
    ok = (length >= 1) & (length <= _MAX_DATA)
    if count == 0 or not ok.any():
        return values, ok & False
    length = np.where(ok, length, 0)
    cols = int(length.max())
    columns = np.ascontiguousarray(_rows(buffer, np.where(ok, begin, 0), cols).T)
    rows = np.arange(count)
    mantissa = np.zeros(count)
    digits = np.zeros(count, dtype=np.int64)
    fraction = np.zeros(count, dtype=np.int64)
    dot = np.zeros(count, dtype=bool)
    negative = np.zeros(count, dtype=bool)
    at_start = np.ones(count, dtype=bool)
    field = np.zeros(count, dtype=np.int64)
    for j in range(cols + 1):
        live = j < length
        byte = columns[j] if j < cols else np.zeros(count, dtype=np.uint8)
        comma = (byte == 44) & live
        closing = comma | (j == length)
        if closing.any():
            done = np.flatnonzero(closing & ok)
            ok &= ~(closing & ((digits < 1) | (digits > _MAX_FIELD_DIGITS) | (field >= width)))
            done = done[ok[done]]
            number = mantissa[done] / np.power(10.0, fraction[done])
            values[done, field[done]] = np.where(negative[done], -number, number)
            field += closing
            mantissa[closing] = 0.0
            digits[closing] = 0
            fraction[closing] = 0
            dot &= ~closing
            negative &= ~closing
        digit = byte - np.uint8(48)
        is_digit = (digit < 10) & live
        mantissa = np.where(is_digit, mantissa * 10.0 + digit, mantissa)
        digits += is_digit
        fraction += is_digit & dot
        is_dot = (byte == 46) & live
        is_minus = (byte == 45) & live
        ok &= ~(is_dot & dot) & ~(is_minus & ~at_start)
        ok &= ~(live & ~(is_digit | comma | is_dot | is_minus))
        dot |= is_dot
        negative |= is_minus
        at_start = comma
    ok &= field == width
    del rows
    return values, ok


def _csv_field(
    buffer: np.ndarray, begin: np.ndarray, stop: np.ndarray, column: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Span of one column of a single CSV row per span (``found`` False if no such column)."""
    count = begin.size
    length = stop - begin
    found = (length >= 1) & (length <= _MAX_DATA)
    if count == 0 or not found.any():
        return begin, begin, found & False
    length = np.where(found, length, 0)
    cols = int(length.max())
    matrix = _rows(buffer, np.where(found, begin, 0), cols)
    is_comma = (matrix == 44) & (np.arange(cols) < length[:, None])
    if column == -1:
        has_comma = is_comma.any(axis=1)
        last = cols - 1 - is_comma[:, ::-1].argmax(axis=1)
        field_begin = np.where(has_comma, begin + last + 1, begin)
        return field_begin, stop, found
    commas = is_comma.sum(axis=1)
    target = column if column >= 0 else commas + 1 + column
    found &= (target >= 0) & (target <= commas)
    target = np.where(found, target, 0)
    field_id = np.cumsum(is_comma, axis=1)
    valid = np.arange(cols) < length[:, None]
    before = ((field_id < target[:, None]) | ((field_id == target[:, None]) & is_comma)) & valid
    in_field = valid & (field_id == target[:, None]) & ~is_comma
    field_begin = begin + before.sum(axis=1)
    field_stop = field_begin + in_field.sum(axis=1)
    return field_begin, field_stop, found


def _class_codes(
    buffer: np.ndarray, begin: np.ndarray, stop: np.ndarray, collector: _Collector
) -> tuple[np.ndarray, np.ndarray]:
    """Class code per span (the collector's codes); ``ok`` False: the line decoder reads it."""
    count = begin.size
    length = stop - begin
    ok = (length >= 1) & (length <= _MAX_CLASS)
    codes = np.full(count, -1, dtype=np.int64)
    if not ok.any():
        return codes, ok
    width = 8 if int(length[ok].max()) <= 8 else _MAX_CLASS
    matrix = _rows(buffer, np.where(ok, begin, 0), width)
    valid = np.arange(width) < np.where(ok, length, 0)[:, None]
    # Spaces would be stripped by the line decoder; leave those to it.
    ok &= ~((matrix == 32) & valid).any(axis=1)
    matrix[~valid] = 0
    keys = matrix.view(np.uint64) if width == 8 else matrix.view(f"S{width}")
    keys = keys.reshape(-1)
    unique, inverse = np.unique(keys[ok], return_inverse=True)
    if width == 8:
        names = [
            int(u).to_bytes(8, sys.byteorder).rstrip(b"\0").decode("ascii") for u in unique.tolist()
        ]
    else:
        names = [u.decode("ascii") for u in unique.tolist()]
    mapping = np.array([collector.code(class_name(n)) for n in names], dtype=np.int64)
    if unique.size:
        codes[ok] = mapping[inverse.reshape(-1)]
    return codes, ok


def _ids(
    buffer: np.ndarray, spans: dict[str, tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, list[tuple[str | None, str | None, int, int]]]:
    count = next(iter(spans.values()))[0].size

    def texts(name: str) -> tuple[np.ndarray, list[str | None]]:
        if name not in spans:
            return np.ones(count, dtype=bool), [None] * count
        begin, stop = spans[name]
        length = stop - begin
        ok = length <= _MAX_ID
        matrix = _rows(buffer, begin, _MAX_ID)
        matrix[np.arange(_MAX_ID) >= length[:, None]] = 0
        names = matrix.view(f"S{_MAX_ID}").reshape(-1).tolist()
        return ok, [n.decode("ascii") or None for n in names]

    event_ok, event_ids = texts("event_id")
    inference_ok, inference_ids = texts("inference_id")
    ids = [(inf, ev, 0, 1) for inf, ev in zip(inference_ids, event_ids)]  # noqa: B905 (py3.9)
    return event_ok & inference_ok, ids
