"""Exposed secrets: what the browser downloads must hold no server-side secret.

Fetches the entry page, the scripts and stylesheets it loads from the target host, and their
source maps (``SourceMap`` / ``X-SourceMap`` header, ``sourceMappingURL`` comment, inline
``data:`` maps, else a guessed ``<asset>.map``), with caps on count and size, and passes
each through the shared secret scanner (``launchready.secrets``). Third-party assets are
counted, not fetched: the probe never leaves the target host.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from launchready.probes.context import MAX_CASES, ProbeContext
from launchready.probes.http import Exchange
from launchready.secrets import Finding, Severity, scan_source_map
from launchready.secrets.engine import scan_bundle
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

PROBE = "exposed_secrets"
MAX_ASSETS = 25
MAX_MAPS = 25
_MAP_COMMENT = re.compile(r"[#@]\s*sourceMappingURL\s*=\s*([^\s'\"*]+)")

Scanner = Callable[[str, str], list[Finding]]


class _Assets(HTMLParser):
    """Script and stylesheet URLs an HTML page loads, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script" and attr.get("src"):
            self.urls.append(attr["src"])
        elif tag == "link" and attr.get("href"):
            rel = attr.get("rel", "").lower().split()
            if (
                "stylesheet" in rel
                or "modulepreload" in rel
                or ("preload" in rel and attr.get("as") == "script")
            ):
                self.urls.append(attr["href"])


def asset_urls(html: str, page_url: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    out: list[str] = []
    for url in parser.urls:
        absolute = urljoin(page_url, url.strip())
        if absolute not in out:
            out.append(absolute)
    return out


def map_urls(asset: Exchange) -> tuple[list[str], bool]:
    """Source-map URLs an asset declares (header or comment) and whether any is inline ``data:``."""
    declared: list[str] = []
    inline = False
    for header in ("sourcemap", "x-sourcemap"):
        if value := asset.header(header):
            declared.append(urljoin(asset.url, value.strip()))
    for match in _MAP_COMMENT.finditer(asset.text):
        target = match.group(1)
        if target.startswith("data:"):
            inline = True
        else:
            declared.append(urljoin(asset.url, target))
    return list(dict.fromkeys(declared)), inline


def _is_source_map(ex: Exchange) -> bool:
    return 200 <= ex.status < 300 and ex.text.lstrip().startswith("{") and '"mappings"' in ex.text


def probe_exposed_secrets(
    ctx: ProbeContext,
    *,
    scan_asset: Scanner = scan_bundle,
    scan_map: Scanner = scan_source_map,
) -> CheckResult:
    page = ctx.client.request(PROBE, "GET", ctx.app.entry_path, follow=True)
    if not page.answered:
        summary = (
            "plan only: the entry page, then each script/stylesheet and source map it references"
            if ctx.client.dry_run
            else f"entry page not fetched: {page.error}"
        )
        return result("app.exposed_secrets", Status.ERROR, summary, {"entry": page.url})
    findings: list[Finding] = list(scan_asset(page.text, page.url)) if page.status < 400 else []
    assets = asset_urls(page.text, page.url)
    local = [url for url in assets if ctx.client.on_target(url)]
    third_party = sorted({urlsplit(url).netloc for url in assets if not ctx.client.on_target(url)})
    fetched: list[dict[str, Any]] = []
    maps_public: list[str] = []
    maps_tried: list[str] = []
    for url in local[:MAX_ASSETS]:
        asset = ctx.client.request(PROBE, "GET", url, follow=True)
        entry: dict[str, Any] = {"url": url, "status": asset.status, "bytes": len(asset.body)}
        if asset.truncated:
            entry["truncated"] = True
        fetched.append(entry)
        if not 200 <= asset.status < 300:
            continue
        findings.extend(scan_asset(asset.text, url))
        declared, inline = map_urls(asset)
        if inline:
            maps_public.append(f"{url} (inline)")
        candidates = declared or ([] if inline else [url.split("?")[0] + ".map"])
        for map_url in candidates:
            if map_url in maps_tried or len(maps_tried) >= MAX_MAPS or not ctx.client.on_target(map_url):
                continue
            maps_tried.append(map_url)
            source_map = ctx.client.request(PROBE, "GET", map_url, follow=True)
            if _is_source_map(source_map):
                maps_public.append(map_url)
                findings.extend(scan_map(source_map.text, map_url))
    return _judge(findings, page, fetched, maps_public, maps_tried, len(local), third_party)


def _judge(
    findings: list[Finding],
    page: Exchange,
    fetched: list[dict[str, Any]],
    maps_public: list[str],
    maps_tried: list[str],
    n_local: int,
    third_party: list[str],
) -> CheckResult:
    unique = list({(f.fingerprint, f.source, f.line): f for f in findings}.values())
    evidence: dict[str, Any] = {
        "entry": page.url,
        "assets": fetched,
        "assets_not_fetched": max(0, n_local - len(fetched)),
        "third_party_hosts": third_party,
        "source_maps_tried": len(maps_tried),
        "source_maps_public": maps_public,
        "findings": [f.to_dict() for f in unique[:MAX_CASES]],
    }
    serious = [f for f in unique if f.severity in (Severity.CRITICAL, Severity.HIGH)]
    test_only = [f for f in unique if f.severity is Severity.WARNING]
    fix = (
        "Move the key server-side (the browser gets only publishable keys), rotate it now, and stop "
        "serving source maps publicly (upload them to the error tracker instead)."
    )
    if serious:
        kinds = sorted({f.description for f in serious})
        return result(
            "app.exposed_secrets",
            Status.FAIL,
            f"{len(serious)} secret(s) shipped to the browser: " + "; ".join(kinds[:4]),
            evidence,
            fix,
        )
    if test_only:
        return result(
            "app.exposed_secrets",
            Status.WARN,
            f"{len(test_only)} test-mode key(s) in the browser bundle: "
            + "; ".join(sorted({f.description for f in test_only})[:3]),
            evidence,
            "Test-mode secret keys are still server-side only: move them out of the bundle.",
        )
    if maps_public:
        return result(
            "app.exposed_secrets",
            Status.WARN,
            f"no secrets found, but {len(maps_public)} source map(s) are public (they reveal the source)",
            evidence,
            "Stop serving source maps publicly; upload them to the error tracker instead.",
        )
    return result(
        "app.exposed_secrets",
        Status.PASS,
        f"no secrets in the entry page and {len(fetched)} script/style asset(s); no public source maps",
        evidence,
    )
