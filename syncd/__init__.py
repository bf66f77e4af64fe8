"""syncd: a set-and-forget sync daemon that annotates runs with back-care advice."""

__version__ = "0.1.0"
