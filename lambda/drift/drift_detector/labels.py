"""Ground-truth labels keyed by a capture's inference id or event id.

Accepted files (several may be combined, e.g. every object under an S3 prefix):

* JSON Lines in SageMaker Model Monitor's ground-truth shape:
  ``{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "..."},
  "eventVersion": "0"}`` (``eventId`` holds the capture's inference id, or its event id);
* JSON Lines of flat objects: ``{"inferenceId" | "eventId" | "id": "...", "label": 1}``;
* a JSON object ``{"<id>": label, ...}`` or a list of flat objects;
* CSV with a header holding an id column (``inference_id``, ``inferenceId``, ``event_id``,
  ``eventId`` or ``id``) and a ``label`` column.

A label value may hold several comma-separated values (or a JSON list) for a capture line
with several rows; it then matches row by row. Unreadable lines are counted, never fatal.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass, field

ID_KEYS = ("inferenceId", "inference_id", "eventId", "event_id", "id")
LABEL_KEYS = ("label", "ground_truth", "groundTruth", "target")


@dataclass
class Labels:
    """Label values by id (each a list of the values for the rows of one capture line)."""

    values: dict[str, list[object]] = field(default_factory=dict)
    bad_lines: int = 0
    sources: list[str] = field(default_factory=list)

    def lookup(
        self, inference_id: str | None, event_id: str | None, row: int, rows: int
    ) -> object | None:
        """The label of one record, or ``None``; the inference id wins over the event id."""
        for key in (inference_id, event_id):
            if key is not None:
                found = self.values.get(key)
                if found is not None and len(found) == rows:
                    return found[row]
        return None

    def add(self, text: str | bytes, name: str = "") -> None:
        """Read one labels file (its format is told by its name, else by its content)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.sources.append(name)
        lowered = name.lower()
        stripped = text.lstrip()
        if lowered.endswith(".csv"):
            self._csv(text)
        elif lowered.endswith(".json") or stripped.startswith("["):
            try:
                document = json.loads(text)
            except ValueError:
                self._json_lines(text)
            else:
                self._json_document(document)
        else:
            self._json_lines(text)

    def _put(self, key: object, value: object) -> bool:
        if not isinstance(key, str) or not key or value is None:
            return False
        if isinstance(value, list):
            values: list[object] = value
        elif isinstance(value, str) and "," in value:
            values = [v.strip() for v in value.split(",")]
        else:
            values = [value]
        self.values[key] = values
        return True

    def _flat(self, item: object) -> bool:
        if not isinstance(item, dict):
            return False
        truth = item.get("groundTruthData")
        if isinstance(truth, dict):
            metadata = item.get("eventMetadata")
            key = metadata.get("eventId") if isinstance(metadata, dict) else None
            data = truth.get("data")
            if isinstance(data, str) and str(truth.get("encoding", "")).upper() == "BASE64":
                try:
                    data = base64.b64decode(data, validate=True).decode("utf-8")
                except ValueError:
                    return False
            if isinstance(data, str) and str(truth.get("encoding", "")).upper() == "JSON":
                try:
                    data = json.loads(data)
                except ValueError:
                    return False
            return self._put(key, data)
        key = next((item[k] for k in ID_KEYS if k in item), None)
        value = next((item[k] for k in LABEL_KEYS if k in item), None)
        return self._put(key, value)

    def _json_lines(self, text: str) -> None:
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                self.bad_lines += 1
                continue
            if not self._flat(item):
                self.bad_lines += 1

    def _json_document(self, document: object) -> None:
        if isinstance(document, dict) and not any(k in document for k in ID_KEYS):
            for key, value in document.items():
                if not self._put(key, value):
                    self.bad_lines += 1
        elif isinstance(document, list):
            for item in document:
                if not self._flat(item):
                    self.bad_lines += 1
        elif not self._flat(document):
            self.bad_lines += 1

    def _csv(self, text: str) -> None:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
        if not rows:
            return
        header = [c.strip() for c in rows[0]]
        id_column = next((header.index(k) for k in ID_KEYS if k in header), None)
        label_column = next((header.index(k) for k in LABEL_KEYS if k in header), None)
        if id_column is None or label_column is None:
            self.bad_lines += len(rows)
            return
        for row in rows[1:]:
            if len(row) != len(header) or not self._put(row[id_column].strip(), row[label_column]):
                self.bad_lines += 1
