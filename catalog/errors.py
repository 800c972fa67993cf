"""Errors raised by the metadata catalog; each message says what, where and the fix."""

from __future__ import annotations

from collections.abc import Sequence

LIST_HINT = "Run `lakehub catalog list` to see all datasets."


class CatalogError(Exception):
    """Base class for every catalog error."""


class CatalogUnavailableError(CatalogError):
    """The catalog database cannot be reached, created or is at the wrong schema revision."""


class DatasetNotFoundError(CatalogError):
    """A dataset reference matches nothing in the catalog."""

    def __init__(self, ref: str, where: str, suggestions: Sequence[str] = ()) -> None:
        self.ref = ref
        self.where = where
        self.suggestions = tuple(suggestions)
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"Dataset '{ref}' is not in the catalog at {where} .{hint} {LIST_HINT}")


class AmbiguousDatasetError(CatalogError):
    """A bare dataset name matches datasets in more than one tier."""

    def __init__(self, ref: str, where: str, candidates: Sequence[str]) -> None:
        self.ref = ref
        self.where = where
        self.candidates = tuple(candidates)
        super().__init__(
            f"Dataset name '{ref}' is ambiguous in the catalog at {where}: it matches "
            f"{', '.join(self.candidates)}. Use the full name tier.name, e.g. {self.candidates[0]}."
        )


class RunNotFoundError(CatalogError):
    """A run id matches no run in the catalog."""

    def __init__(self, run_id: str, where: str) -> None:
        self.run_id = run_id
        self.where = where
        super().__init__(
            f"Run '{run_id}' is not in the catalog at {where}. "
            "Use a run id printed by `lakehub ingest` or `lakehub run`."
        )
