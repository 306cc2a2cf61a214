"""Command line entry point (filled in by the client and app issues)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    return 0
