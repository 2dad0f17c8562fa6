"""Cloudflare components (pulumi-cloudflare 6.x), one module per concern.

The only package that imports ``pulumi_cloudflare``. ``SiteZone`` composes the others.
"""

from launchready.components.zone import SiteZone, SiteZoneArgs

__all__ = ["SiteZone", "SiteZoneArgs"]
