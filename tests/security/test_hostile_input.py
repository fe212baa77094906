"""About 2,000 hostile requests over every public endpoint of the real server (issue 10, third acceptance point):
no answer ≥ 500, no stack trace or internal name in any body, and a normal conversation keeps being answered
meanwhile. The same mix at 20,000 requests: bench/bench_hostile.py."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from tests.security.hostile_mix import hostile_requests, run_mix

pytestmark = pytest.mark.slow

REQUESTS = 2_000
PROBE_MAX_S = 5.0  # each answer of the normal conversation, while the mix runs on both cores


async def test_hostile_mix_breaks_nothing(running_bot):
    address = urlsplit(running_bot.rasa_url)
    mix = hostile_requests(REQUESTS, address.netloc)
    report = await run_mix(address.hostname, address.port, mix, concurrency=8, probe_interval_s=0.1)
    print(report.summary())

    assert report.requests == REQUESTS
    assert report.violations == [], report.violations[:10]
    assert all(status > 0 for status in report.statuses), report.statuses  # every request got an answer
    assert len(report.families) > 100  # the mix really is mixed
    assert report.probe_failures == [] and len(report.probe_latencies_s) >= 3
    assert max(report.probe_latencies_s) < PROBE_MAX_S, report.summary()
    # And the server is still itself afterwards.
    assert "(mã 1.001193)" in "\n".join(r.get("text", "") for r in running_bot.send("làm khai sinh cần gì"))
    assert requests.get(f"{running_bot.rasa_url}/version", headers={"X-Forwarded-For": "203.0.113.1"},
                        timeout=10).status_code == 404
