"""Command groups of the `syncd` CLI, one module each, found at start-up.

Each module defines `register(subparsers)`, adding parsers whose defaults set `handler(args, settings) -> int` and
`needs_settings: bool`. Keep heavy imports (stravalib, matplotlib, …) inside the handlers so `syncd --help` is fast.
"""
