"""The one error type of the surface-map adapters: a one-line message naming the problem and the fix."""

from __future__ import annotations


class SurfaceMapError(Exception):
    """A map source could not be read or asked; the message says what to do about it."""
