"""Application security probes: auth, object/function access, CORS, rate limits, webhooks,
input validation, prompt injection, SSRF on tool endpoints and secrets exposed to the browser.

``run_app_probes(spec, options)`` returns ``CheckResult``s for the same scorecard, JSON, JUnit
and handover report as the other verify checks; ``plan_app_probes`` lists the requests
without sending them. ``ProbeOptions`` takes the same before-cutover settings as verify
(``overrides``, ``nameservers``, ``ca_bundle``), so probes reach a staging edge or a local
testbed under the site's real host name.
"""

from launchready.probes.context import SsrfCanary
from launchready.probes.runner import ProbeOptions, plan_app_probes, run_app_probes

__all__ = ["ProbeOptions", "SsrfCanary", "plan_app_probes", "run_app_probes"]
