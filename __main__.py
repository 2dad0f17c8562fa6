"""The Pulumi program (`pulumi up -s <stack>`): one client domain, launch ready.

The site spec comes from the stack config key ``launchready:site`` and is read once, in
``launchready.program.site_from_config``; Cloudflare credentials come from the
``cloudflare:apiToken`` config (or CLOUDFLARE_API_TOKEN) as usual.
"""

from launchready.program import main

main()
