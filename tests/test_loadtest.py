"""The load generator against the running app: a few clients, every served endpoint, no failures."""
import pytest

from export import loadtest

pytestmark = pytest.mark.slow


def test_a_small_load_is_served_without_failures(app_url):
    report = loadtest.main(["--url", app_url, "--clients", "3", "--requests", "4"])
    load = report["load"]
    assert load["sent"] == 12 and load["failures"] == 0, load["failure_examples"]
    assert set(report["endpoints"]) <= set(loadtest.MIX) and load["latency_ms"]["p50"] > 0


def test_it_stays_on_this_machine():
    with pytest.raises(SystemExit, match="loopback only"):
        loadtest.main(["--url", "http://example.com:7860/", "--clients", "1", "--requests", "1"])


def test_a_soak_says_whether_memory_stayed_flat():
    """Judged on the second half: the warm-up and the filling of the session cap come first."""
    warm_then_flat = [[t, 500 + min(t, 120) + 0.001 * t] for t in range(0, 601, 10)]
    creeping = [[t, 700 + 0.05 * t] for t in range(0, 601, 10)]
    assert loadtest.memory_verdict(warm_then_flat)["rss_verdict"] == "flat"
    verdict = loadtest.memory_verdict(creeping)
    assert verdict["rss_mb_per_min_second_half"] == 3.0 and verdict["rss_verdict"].startswith("growing")
    assert (verdict["rss_mb_first_tenth"], verdict["rss_mb_last_tenth"]) == (701.2, 728.8)
