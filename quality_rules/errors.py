"""Errors raised by the rule library; each message says what, where (file, line, rule) and the fix."""

from __future__ import annotations


class RuleError(Exception):
    """Base of every error raised by lakehub.quality_rules."""


class SuiteFileError(RuleError):
    """A suite file cannot be read or is not valid YAML, or its layout is wrong."""

    def __init__(self, origin: str, line: int | None, problem: str, advice: str) -> None:
        self.origin = origin
        self.line = line
        self.problem = problem
        where = f"{origin} line {line}" if line else origin
        super().__init__(f"{problem} in {where}. {advice}")


class UnknownExpectationError(SuiteFileError):
    """A rule names an expectation the registry does not know."""


class RuleConfigError(SuiteFileError):
    """A rule's keyword arguments are missing, unknown or of the wrong type."""


class SuiteNotFoundError(RuleError):
    """A suite reference is neither a file nor a built-in suite name."""


class DatasetMismatchError(RuleError):
    """A suite refers to columns the validated data does not have."""
