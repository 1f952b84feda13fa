"""Weights from Hub model repositories: huggingface_hub's real client against a fake Hub on 127.0.0.1."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from huggingface_hub import ModelCard

from export.app_process import free_port, start_app, stop_app
from export.model_card import model_card
from export.publish import publish
from export.word2vec.export import write_word_vectors_folder
from serving.hub import load_from_hub, parse_spec
from serving.weights import WeightsError, load_manifest
from serving.word_vectors import answer, load_word_vectors
from tests.conftest import ROOT, WEIGHTS_DIR
from tests.fake_hub import FakeHub

TINY_WORDS = ["king", "man", "woman", "queen", "paris", "france", "germany", "berlin"] + [
    f"word{i}" for i in range(92)]


def write_tiny_folder(folder, name="tiny-word2vec"):
    """A small but complete word-vectors folder (the layout of weights/<name>/)."""
    vectors = np.random.default_rng(0).normal(size=(len(TINY_WORDS), 16)).astype(np.float32)
    return write_word_vectors_folder(folder, TINY_WORDS, vectors, {
        "name": name, "task": "word-vectors", "architecture": "random vectors (test)",
        "hyperparameters": {"vector_size": 16, "epochs": 1, "window": 5, "negative": 5, "min_count": 5,
                            "max_vocab": len(TINY_WORDS)},
        "training": {"corpus": "t8", "tokens": 0, "seconds": 1.5, "machine": "test",
                     "vocabulary_min_count": len(TINY_WORDS)},
        "training_data": [{"path": "../shared/data/enwiki2019-t8/enwiki2019_t8.txt.gz",
                           "sha256": "db492dd0fae1c0b011386c94d5e613a78a08f1f2e34718dec263e7c4e49ccf4f"}],
        "metrics": {"analogy_accuracy": 0.125, "wordsim353_spearman": 0.25,
                    "analogy_sections": {"capital-common-countries": {"accuracy": 0.5, "questions": 4}},
                    "probes": {"king - man + woman": ["queen"]}},
        "eval_command": "python -m export.word2vec.evaluate weights/tiny-word2vec",
        "description": "Random vectors for tests."})


SHIPPED_TASKS = sorted({json.loads(p.read_text())["task"] for p in WEIGHTS_DIR.glob("*/manifest.json")})


def smallest_shipped(task):
    folders = [p.parent for p in WEIGHTS_DIR.glob("*/manifest.json")
               if json.loads(p.read_text())["task"] == task]
    return min(folders, key=lambda folder: sum(f.stat().st_size for f in folder.iterdir()))


def card_example(folder) -> list[str]:
    """Run the card's Python example on folder (snapshot_download answering it); what it printed."""
    printed = []
    code = str(model_card(folder, "owner/model", "v1")).split("```python\n")[1].split("```")[0]
    code = code.replace("from huggingface_hub import snapshot_download\n", "")
    exec(code, {"snapshot_download": lambda repo_id, revision: str(folder),
                "print": lambda *values: printed.append(repr(values))})
    return printed


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A fake Hub with test/tiny (tags v1, main), and test/altered whose vocab.txt no longer
    matches its manifest."""
    root = tmp_path_factory.mktemp("repos")
    write_tiny_folder(root / "tiny")
    shutil.copytree(root / "tiny", root / "altered")
    with open(root / "altered" / "vocab.txt", "a") as f:
        f.write("extra\n")
    fake = FakeHub()
    fake.add("test/tiny", root / "tiny")
    fake.add("test/altered", root / "altered")
    fake.url = fake.start()
    fake.root = root
    yield fake
    fake.stop()


def test_a_revision_is_required():
    with pytest.raises(WeightsError, match="no revision"):
        parse_spec("owner/name")
    assert parse_spec("a/b@v1, c/d@0123abcd") == [("a/b", "v1"), ("c/d", "0123abcd")]


def test_downloaded_folder_answers_like_the_local_one(hub, tmp_path):
    manifests = load_from_hub("test/tiny@v1", endpoint=hub.url, cache_dir=tmp_path)
    downloaded = manifests["tiny-word2vec"]
    assert downloaded["hub"] == "test/tiny@v1"
    local = load_manifest(hub.root / "tiny")
    assert {k: v for k, v in downloaded.items() if k not in ("folder", "hub")} == \
        {k: v for k, v in local.items() if k != "folder"}
    query = (["king", "woman"], ["man"], 5)
    assert answer(load_word_vectors(downloaded), *query) == answer(load_word_vectors(local), *query)
    assert not any("xet" in r.lower() for r in hub.requests)


@pytest.mark.parametrize("task", SHIPPED_TASKS)
def test_shipped_folder_through_the_hub_answers_like_the_local_one(task, tmp_path):
    """The smallest shipped folder of each task, through the fake Hub: the model card's example
    prints the same from both copies (and, for word vectors, the same analogy answers)."""
    folder = smallest_shipped(task)
    fake = FakeHub()
    fake.add("test/shipped", folder)
    url = fake.start()
    try:
        downloaded = next(iter(load_from_hub("test/shipped@v1", endpoint=url, cache_dir=tmp_path).values()))
    finally:
        fake.stop()
    assert card_example(downloaded["folder"]) == card_example(folder) != []
    if task == "word-vectors":
        query = (["king", "woman"], ["man"], 5)
        assert answer(load_word_vectors(downloaded), *query) == \
            answer(load_word_vectors(load_manifest(folder)), *query)


def test_a_file_that_does_not_match_the_manifest_is_refused(hub, tmp_path):
    with pytest.raises(WeightsError, match=r"test/altered@v1: .*vocab\.txt does not match its sha256"):
        load_from_hub("test/altered@v1", endpoint=hub.url, cache_dir=tmp_path)


@pytest.mark.parametrize("spec, message", [
    ("test/tiny@v9", "revision 'v9' not found"),
    ("test/missing@v1", "repository not found"),
])
def test_hub_errors_say_what_to_do(hub, tmp_path, spec, message):
    with pytest.raises(WeightsError, match=message):
        load_from_hub(spec, endpoint=hub.url, cache_dir=tmp_path)


def test_offline_without_cache_says_what_to_do(hub, tmp_path, monkeypatch):
    from huggingface_hub import constants
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # what HF_HUB_OFFLINE=1 sets at import
    with pytest.raises(WeightsError, match="HF_HUB_OFFLINE=1 forbids downloading it: start once with"):
        load_from_hub("test/tiny@v1", endpoint=hub.url, cache_dir=tmp_path)


def hub_env(cache, endpoint, **extra):
    return {"WEIGHTS_FROM_HUB": "test/tiny@v1", "HF_ENDPOINT": endpoint, "HF_HOME": str(cache),
            "HF_HUB_CACHE": str(cache / "hub"), **extra}


def models_of(url):
    from gradio_client import Client
    return [m["name"] for m in Client(url, verbose=False).predict(api_name="/models")]


@pytest.mark.slow
def test_app_serves_hub_models_then_starts_offline_from_the_cache(hub, tmp_path):
    own = FakeHub()  # stopped half-way, so not the shared one
    own.add("test/tiny", hub.root / "tiny")
    endpoint = own.start()
    proc, url = start_app(hub_env(tmp_path, endpoint))
    try:
        assert models_of(url) == ["tiny-word2vec"]
    finally:
        stop_app(proc)
    own.stop()  # no network from here on
    proc, url = start_app(hub_env(tmp_path, endpoint, HF_HUB_OFFLINE="1"))
    try:
        assert models_of(url) == ["tiny-word2vec"]
    finally:
        stop_app(proc)


@pytest.mark.slow
def test_app_without_cache_or_network_exits_with_a_message(tmp_path):
    env = {**os.environ, **hub_env(tmp_path, f"http://127.0.0.1:{free_port()}"),
           "GRADIO_SERVER_PORT": str(free_port())}
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert "Cannot start: test/tiny@v1: cannot reach" in done.stderr
    assert "unset WEIGHTS_FROM_HUB" in done.stderr
    assert "Traceback" not in done.stderr


def shipped_folders():
    return sorted(p.parent for p in WEIGHTS_DIR.glob("*/manifest.json"))


@pytest.fixture(scope="module", params=["tiny"] + [p.name for p in shipped_folders()])
def card_folder(request, hub):
    return hub.root / "tiny" if request.param == "tiny" else WEIGHTS_DIR / request.param


def test_card_parses_and_reports_exactly_the_manifests_metrics(card_folder):
    manifest = json.loads((card_folder / "manifest.json").read_text())
    card = ModelCard(str(model_card(card_folder, "owner/model", "v1")))
    numbers = {k: v for k, v in manifest["metrics"].items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
    assert numbers
    assert {r.metric_name: r.metric_value for r in card.data.eval_results} == numbers
    data = card.data.to_dict()
    assert data["language"] == "en" and data["license"] and data["tags"] and data["widget"]
    assert data["pipeline_tag"] in ("feature-extraction", "text-generation", "text-classification")
    assert data["library_name"] == ("onnx" if (card_folder / "model.onnx").exists() else "gensim")
    for heading in ("## Training", "## Evaluation", "## How to use", "## Limits", "## Credits and licences"):
        assert heading in card.text
    assert manifest["eval_command"] in card.text and manifest["training"]["machine"] in card.text


def test_card_usage_code_runs(card_folder):
    assert card_example(card_folder)


def test_dry_run_writes_the_card_and_lists_the_files(hub, tmp_path, capsys):
    publish(hub.root / "tiny", "owner/tiny", dry_run=True, card_out=tmp_path / "card.md")
    listed = capsys.readouterr().out
    for name in ("model.onnx", "vocab.txt", "manifest.json", "README.md", "in all"):
        assert name in listed
    assert ModelCard.load(tmp_path / "card.md").data.model_name == "tiny-word2vec"
    assert not (hub.root / "tiny" / "README.md").exists()


def test_an_altered_folder_is_not_published(hub, tmp_path):
    with pytest.raises(SystemExit, match="vocab.txt does not match its sha256 .* nothing was published"):
        publish(hub.root / "altered", "owner/altered", dry_run=True, card_out=tmp_path / "card.md")


@pytest.mark.slow
def test_published_folder_is_served_from_the_hub(tmp_path):
    folder = tmp_path / "tiny-word2vec"
    write_tiny_folder(folder)
    fake = FakeHub(storage=tmp_path / "hub")
    endpoint = fake.start()
    try:
        done = subprocess.run([sys.executable, "-m", "export.publish", str(folder), "--repo",
                               "test/published", "--tag", "v1"], cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "HF_ENDPOINT": endpoint, "HF_TOKEN": "hf_test",
                                   "HF_HOME": str(tmp_path / "home")}, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "WEIGHTS_FROM_HUB=test/published@v1"
        manifests = load_from_hub("test/published@v1", endpoint=endpoint, cache_dir=tmp_path / "cache")
    finally:
        fake.stop()
    card = ModelCard.load(os.path.join(manifests["tiny-word2vec"]["folder"], "README.md"))
    assert card.data.model_name == "tiny-word2vec"
