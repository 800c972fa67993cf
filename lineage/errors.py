"""Errors raised by lineage: each message says what, where and the fix."""

from __future__ import annotations


class LineageError(Exception):
    """Base class for lineage errors (bad event files, bad map options)."""
