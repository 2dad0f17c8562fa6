"""Application security probes: auth, object/function access, CORS, rate limits, webhooks,
input validation, prompt injection and secrets exposed to the browser.

``run_app_probes(spec, options)`` returns ``CheckResult``s for the same scorecard, JSON, JUnit
and handover report as the other verify checks; ``plan_app_probes`` lists the requests
without sending them.
"""

from launchready.probes.runner import ProbeOptions, plan_app_probes, run_app_probes

__all__ = ["ProbeOptions", "plan_app_probes", "run_app_probes"]
