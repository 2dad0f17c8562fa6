"""Cloudflare rule expressions built from spec values, using only operators every plan offers.

Pure string building (no pulumi): ``starts_with``, ``in`` and ``eq`` work on Free, while
``matches`` needs Business, so generated expressions never use regex.
"""

from __future__ import annotations

from collections.abc import Iterable


def quote(value: str) -> str:
    """A rule-language string literal; spec validation already rejects quotes and backslashes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def value_set(values: Iterable[str]) -> str:
    """``{"a" "b"}``: the rule language's set literal, sorted so input order never matters."""
    return "{" + " ".join(quote(v) for v in sorted(set(values))) + "}"


def path_prefixes(paths: Iterable[str]) -> str:
    """Any of the path prefixes, in one parenthesised clause."""
    clauses = [f"starts_with(http.request.uri.path, {quote(p)})" for p in sorted(set(paths))]
    return clauses[0] if len(clauses) == 1 else "(" + " or ".join(clauses) + ")"


def source_not_in(networks: Iterable[str]) -> str:
    """Client IP outside an allowlist of addresses and CIDR ranges (space-separated set)."""
    return "not ip.src in {" + " ".join(sorted(set(networks))) + "}"


def methods_in(methods: Iterable[str]) -> str:
    return f"http.request.method in {value_set(methods)}"


def all_of(*clauses: str) -> str:
    return " and ".join(c for c in clauses if c)
