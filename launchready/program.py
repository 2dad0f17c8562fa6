"""The Pulumi program: read the stack's site spec once and build its zone component.

``__main__.py`` (what ``pulumi up`` runs) and the offline plan both go through here, so the
plan shows exactly what the real program would create.
"""

from __future__ import annotations

import pulumi

from launchready.components import SiteZone, SiteZoneArgs
from launchready.spec import SiteSpec, SpecError, parse_site

CONFIG_NAMESPACE = "launchready"
CONFIG_NAME = "site"


def component_name(spec: SiteSpec) -> str:
    """Logical name of the top component: the domain, dots as dashes (stable per client)."""
    return spec.domain.replace(".", "-")


def build_site(
    spec: SiteSpec, name: str | None = None, opts: pulumi.ResourceOptions | None = None
) -> SiteZone:
    return SiteZone(name or component_name(spec), SiteZoneArgs(spec=spec), opts)


def site_from_config() -> SiteSpec:
    """The stack's ``launchready:site``, validated; a bad spec stops the run with every problem."""
    raw = pulumi.Config(CONFIG_NAMESPACE).require_object(CONFIG_NAME)
    try:
        return parse_site(raw, source=f"stack {pulumi.get_stack()}")
    except SpecError as exc:
        raise pulumi.RunError(exc.render()) from None


def main() -> SiteZone:
    """Entry point of ``__main__.py``: build the site and export what the registrar needs."""
    site = build_site(site_from_config())
    pulumi.export("zone_id", site.zone_id)
    pulumi.export("name_servers", site.name_servers)
    pulumi.export("dnssec_ds", site.dnssec_ds)
    return site
