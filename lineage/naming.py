"""OpenLineage dataset naming for warehouse locations (the one place names are made)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class DatasetName:
    """An OpenLineage dataset identifier."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return (
            f"{self.namespace}/{self.name.lstrip('/')}" if self.namespace != "file" else f"file:{self.name}"
        )


def dataset_name_for_location(location: str) -> DatasetName:
    """Name a dataset stored at a path or URI, following the OpenLineage naming conventions.

    Local paths → namespace ``file`` and the absolute path; ``scheme://authority/path`` URIs
    (hdfs, s3, s3a, abfss, gs) → namespace ``scheme://authority`` and the path.
    """
    parts = urlsplit(location)
    if not parts.scheme or parts.scheme == "file" or len(parts.scheme) == 1:
        path = parts.path if parts.scheme == "file" else location
        return DatasetName("file", path)
    return DatasetName(f"{parts.scheme}://{parts.netloc}", parts.path or "/")


def dataset_name_for_table(namespace: str, short_name: str) -> DatasetName:
    """Name a dataset known only by its short name ``tier.name`` (no location), within a job namespace."""
    return DatasetName(namespace, short_name)
