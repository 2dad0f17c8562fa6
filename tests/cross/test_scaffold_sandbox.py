"""The sandbox of every email preset's scaffolded stack passes verify, judged by that stack.

The stack's email TODOs are done the way its comments say (MX, SPF include, DKIM, tenant); nothing
else is changed, and the sandbox has no deliberate faults, so no check may fail, warn or
error, and only the checks a "sends no mail" domain does not need may be skipped.
"""

from __future__ import annotations

import pytest

from launchready.spec import parse_site
from launchready.verify.model import Status
from tests.cross.common import scaffolded_document, verify_sandbox
from tests.cross.test_scaffold_matrix import PROVIDERS, options

pytestmark = pytest.mark.integration


def completed(plan: str, provider: str, variant: int) -> dict[str, object]:
    """The scaffolded stack with its email TODOs done the way its comments say."""
    site = scaffolded_document(options(plan, provider, variant))
    email = dict(site["email"])  # type: ignore[call-overload]
    if provider == "custom":
        email["mx"] = [{"host": "mx1.provider.example", "priority": 10}]
        email["spf"] = {"includes": ["spf.provider.example"]}
        email["mta_sts"] = {"mode": "testing", "max_age": 604800}
    if provider == "microsoft_365":
        email.setdefault("tenant", "contoso")
    if provider in ("custom", "google_workspace"):
        email["dkim"] = [{"selector": "s1", "cname": "s1.dkim.provider.example"}]
    return {**site, "email": email}


@pytest.mark.parametrize(("plan", "provider", "variant"),
                         [("pro", p, n) for n, p in enumerate(PROVIDERS)]
                         + [("free", p, n + 1) for n, p in enumerate(PROVIDERS)])
def test_sandbox_of_scaffolded_stack_passes_verify(plan: str, provider: str, variant: int) -> None:
    spec = parse_site(completed(plan, provider, variant), source="(completed stack)")
    results = verify_sandbox(spec)
    assert len(results) >= 26
    unhappy = [(r.id, r.status.value, r.summary) for r in results
               if r.status in (Status.FAIL, Status.ERROR, Status.WARN)]
    assert unhappy == []
    skipped = {r.id for r in results if r.status is Status.SKIPPED}
    expected_skips = {"email.dkim", "email.mta_sts", "email.tls_rpt"} if provider == "none" else set()
    assert skipped == expected_skips
