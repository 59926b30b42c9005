"""Exceptions that the CLI boundary turns into exit statuses (one place: `cli.main`)."""

from __future__ import annotations


class StsdiagError(Exception):
    """Base class: a one-line message for the user."""


class UsageError(StsdiagError):
    """Bad options or arguments (exit 2)."""


class InputError(StsdiagError):
    """Unreadable or unusable input (exit 2)."""
