"""The scale-out tier on one machine (`python -m pytest -q -m scale_out`): a Ray cluster on
127.0.0.1 with the deployments of serve_config.yaml, two Gradio front ends calling them, nginx in
front. Every endpoint answers as in-process; without session affinity two front ends lose
events, with it the load test has no failure; a killed replica is replaced while the front ends
keep serving; a front end without its cluster says so at start-up."""
import shutil
import subprocess
import sys
import threading

import httpx
import pytest

from export import loadtest
from export.app_process import free_port, start_app
from export.scale_out import (ENV, deploy, ray_env, start_front_ends, start_nginx, start_ray,
                              stop_front_ends, stop_nginx, stop_ray)
from tests.conftest import ROOT

pytest.importorskip("ray")
pytestmark = [pytest.mark.scale_out, pytest.mark.slow]
if not shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin"):
    pytest.skip("nginx missing: apt-get install nginx-light (.ci/run does)", allow_module_level=True)

# one call per endpoint, each with every argument, so the two modes cannot differ by a default
CALLS = [
    ("/models", []),
    ("/analogy", ["king, woman", "man", 10, "word2vec", "3CosAdd"]),
    ("/analogy", ["paris, germany", "france", 5, "gensim-word2vec", "3CosMul"]),
    ("/neighbors", ["river, bank", 10, "word2vec"]),
    ("/generate", ["the company said it expects", "lm-lstm", 30, "sample", 0.8, 40, 0.95, 7]),
    ("/generate", ["stock prices fell", "lm-gru", 20, "greedy", 1.0, 0, 1.0, 0]),
    ("/next_word", ["the company said", "lm-rnn", 10]),
    ("/perplexity", ["The company said its profit rose.", "lm-lstm"]),
    ("/perplexity", ["Le chat est sur la table et il dort", "lm-gru"]),   # its warning too
    ("/gates", ["the market fell sharply", "lm-gru"]),
    ("/classify", ["A gorgeous, witty, seductive movie.", "sentiment-cnn"]),
    ("/classify", ["It was not bad at all, just long.", "sentiment-bilstm"]),
]


@pytest.fixture(scope="module")
def cluster():
    proc, address = start_ray()
    try:
        deploy(address)
        yield address
    finally:
        stop_ray(proc)


@pytest.fixture(scope="module")
def front_ends(cluster):
    front_ends = start_front_ends(cluster, 2)
    yield [url for _, url in front_ends]
    stop_front_ends(front_ends)


def close(a, b, tolerance=1e-6):
    """Equal, with floats within tolerance relative."""
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= tolerance * max(1.0, abs(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    return a == b


def test_every_endpoint_answers_as_in_process(client, front_ends):
    from gradio_client import Client
    remote = Client(front_ends[0], verbose=False)
    for api, args in CALLS:
        local, answered = client.predict(*args, api_name=api), remote.predict(*args, api_name=api)
        assert close(answered, local), (api, args, answered, local)


def test_an_input_error_reads_the_same_in_both_modes(client, front_ends):
    from gradio_client import Client
    from gradio_client.exceptions import AppError
    messages = []
    for c in (client, Client(front_ends[1], verbose=False)):
        with pytest.raises(AppError) as err:
            c.predict("", "lm-lstm", api_name="/perplexity")
        messages.append(str(err.value))
    assert messages[0] == messages[1] and "Enter some text" in messages[0]


def raw_call(http: httpx.Client, url: str) -> tuple[str, object]:
    return loadtest.call(http, url, "/perplexity", ["The market fell.", "lm-rnn"], timeout=30)


def test_without_affinity_two_front_ends_lose_events(front_ends):
    """Round robin: the call's POST reaches one front end and its event stream the other, which
    has never heard of the event."""
    proc, url, prefix = start_nginx(front_ends, affinity=False)
    try:
        with httpx.Client() as http:
            outcomes = [raw_call(http, url) for _ in range(6)]
    finally:
        stop_nginx(proc, prefix)
    failed = [o for o in outcomes if o[0] != "ok"]
    assert failed, outcomes
    assert any("404" in str(o[1]) or "not found" in str(o[1]).lower() for o in failed), failed


def test_with_affinity_the_load_test_through_nginx_has_no_failure(front_ends):
    proc, url, prefix = start_nginx(front_ends, affinity=True)
    try:
        with httpx.Client() as http:
            assert all(raw_call(http, url)[0] == "ok" for _ in range(6))
        result = loadtest.run_clients(url, loadtest.served_mix(url), clients=8, requests=6,
                                      until=float("inf"), timeout=120)
    finally:
        stop_nginx(proc, prefix)
    assert result["failures"] == 0, result
    assert result["sent"] == 8 * 6


def kill_a_replica(address: str, task: str) -> str:
    """Kill one replica actor of the family's deployment from a driver of its own."""
    script = f"""
import ray
ray.init(address={address!r}, logging_level="ERROR", log_to_driver=False)
names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
         if a["name"].startswith("SERVE_REPLICA::{task}#")]
ray.kill(ray.get_actor(names[0], namespace="serve"), no_restart=True)
print(names[0])
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=ray_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_killed_replica_is_replaced_and_the_front_ends_keep_serving(cluster, front_ends):
    proc, url, prefix = start_nginx(front_ends, affinity=True)
    results = {}
    try:
        load = threading.Thread(target=lambda: results.update(loadtest.run_clients(
            url, loadtest.served_mix(url), clients=6, requests=15, until=float("inf"), timeout=120)))
        load.start()
        killed = kill_a_replica(cluster, "language-model")
        load.join(timeout=600)
        with httpx.Client() as http:  # after the replacement: every request answered
            after = [raw_call(http, url) for _ in range(5)]
    finally:
        stop_nginx(proc, prefix)
    assert killed
    assert all(o[0] == "ok" for o in after), after
    # in-flight requests were resent to a live replica or ended with the restart message
    assert results["failures"] <= results["sent"] // 4, results
    for _, _, message in results["failure_examples"]:
        assert "try again" in message, results["failure_examples"]


def test_a_front_end_without_its_cluster_says_so_in_one_line():
    address = f"127.0.0.1:{free_port()}"
    with pytest.raises(RuntimeError) as err:
        start_app({**ENV, "MODELS_ON_RAY": address}, timeout=60)
    lines = [line for line in str(err.value).splitlines()[1:] if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("Cannot start: ") and address in lines[0]
