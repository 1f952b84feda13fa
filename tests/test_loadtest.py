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
