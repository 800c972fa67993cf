"""Errors raised by the pipelines package; each message names the cause and the fix."""

from __future__ import annotations

from pydantic import ValidationError


class PipelineError(Exception):
    """Base of every error raised by lakehub.pipelines."""


class ConfigError(PipelineError):
    """lakehub.toml or an environment override is invalid."""


class SourceSpecError(PipelineError):
    """A source spec YAML is invalid or a source id is unknown."""


class SparkUnavailableError(PipelineError):
    """Java, Spark or the Delta Lake jars cannot be found or started."""


class LandingError(PipelineError):
    """A landing run could not complete; nothing it had not yet committed was changed."""


class InputFileError(PipelineError):
    """A delivered file cannot be landed as it is; message names file, row, field and the fix."""

    def __init__(
        self,
        file: str,
        problem: str,
        fix: str,
        *,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.problem = problem
        self.fix = fix
        self.row = row
        self.field = field
        where = ", ".join(
            part for part in (f"row {row}" if row else "", f"field '{field}'" if field else "") if part
        )
        location = f" ({where})" if where else ""
        super().__init__(f"{file}{location}: {problem}. Fix: {fix}")


def first_problem(err: ValidationError) -> tuple[str, str]:
    """(dotted location, message) of the first problem pydantic found."""
    first = err.errors()[0]
    return ".".join(str(p) for p in first["loc"]), first["msg"]


class ShareExportError(PipelineError):
    """A sharing export cannot be written: unsupported file type, missing Delta table, unwritable path."""
