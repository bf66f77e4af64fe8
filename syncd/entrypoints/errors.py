"""Errors a command raises to stop with one line for the user (exit 1): str() names the problem and the fix."""

from __future__ import annotations


class CommandError(Exception):
    """A failure that is not a usage or configuration error (those are ConfigError, exit 2)."""
