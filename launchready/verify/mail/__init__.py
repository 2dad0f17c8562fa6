"""Email authentication checks: MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT.

``check_email`` collects every answer the six checks need concurrently (one ``gather``),
then evaluates each check as a pure function of that snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

from launchready.verify.dnsclient import Lookup
from launchready.verify.mail import dkim, dmarc, mta_sts, mx, spf, tls_rpt
from launchready.verify.mail.collect import Collector, Gathered, HttpGet, gather
from launchready.verify.mail.expectation import DkimSelector, EmailExpectation
from launchready.verify.model import CheckResult

__all__ = ["CHECK_IDS", "DkimSelector", "EmailExpectation", "check_email", "collect_email", "evaluate_email"]

_EVALUATORS: tuple[tuple[str, Callable[[Gathered, EmailExpectation], CheckResult]], ...] = (
    (mx.CHECK_ID, mx.evaluate),
    (spf.CHECK_ID, spf.evaluate),
    (dkim.CHECK_ID, dkim.evaluate),
    (dmarc.CHECK_ID, dmarc.evaluate),
    (mta_sts.CHECK_ID, mta_sts.evaluate),
    (tls_rpt.CHECK_ID, tls_rpt.evaluate),
)
CHECK_IDS = tuple(check_id for check_id, _ in _EVALUATORS)
_WORKERS = 16


def collect_email(
    domain: str,
    lookup: Lookup,
    expectation: EmailExpectation,
    http_get: HttpGet,
    executor: Executor,
    deadline: float | None = None,
) -> Gathered:
    """Every DNS answer and the MTA-STS policy file the mail checks need, fetched concurrently."""
    collectors: list[Callable[[Gathered], Collector]] = [
        mx.collect,
        spf.collect,
        dkim.collector(expectation.dkim_selectors),
        dmarc.collect,
        mta_sts.collect,
        tls_rpt.collect,
    ]
    return gather(domain.rstrip(".").lower(), collectors, lookup, http_get, executor, deadline=deadline)


def evaluate_email(gathered: Gathered, expectation: EmailExpectation) -> list[CheckResult]:
    """Pure: the six results from a snapshot, in catalogue order."""
    return [evaluate(gathered, expectation) for _, evaluate in _EVALUATORS]


def check_email(
    domain: str,
    lookup: Lookup,
    expectation: EmailExpectation,
    http_get: HttpGet,
    executor: Executor | None = None,
    deadline: float | None = None,
) -> list[CheckResult]:
    """Results for email.mx, email.spf, email.dkim, email.dmarc, email.mta_sts and email.tls_rpt.

    ``domain`` is the A-label form. ``http_get(url)`` returns ``(status, body_text)`` or an error
    reason (raising works too); it must verify TLS, cap the body and time out. Pass the run's
    ``executor`` to share its threads; this call blocks on that pool, so call it from a thread
    outside it (its tasks never wait on each other). ``deadline`` bounds the collect phase in
    seconds; whatever is unanswered by then is reported as ``error``.
    """
    if executor is not None:
        gathered = collect_email(domain, lookup, expectation, http_get, executor, deadline)
        return evaluate_email(gathered, expectation)
    own = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="mail")
    try:
        gathered = collect_email(domain, lookup, expectation, http_get, own, deadline)
    finally:
        own.shutdown(wait=False, cancel_futures=True)
    return evaluate_email(gathered, expectation)
