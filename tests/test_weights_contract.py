"""The weights contract: every shipped folder verifies, and an altered file is refused."""
import os
import shutil
import subprocess
import sys

import pytest

from serving.weights import REQUIRED_FIELDS, WeightsError, load_all, load_manifest
from tests.conftest import ROOT, WEIGHTS_DIR


def test_every_shipped_folder_verifies_and_has_the_contract_fields():
    manifests = load_all(WEIGHTS_DIR)
    assert manifests
    for name, manifest in manifests.items():
        assert set(REQUIRED_FIELDS) <= manifest.keys(), (name, set(REQUIRED_FIELDS) - manifest.keys())
        assert all(d["sha256"] for d in manifest["training_data"])


def test_each_manifest_names_its_own_folder_in_name_and_eval_command():
    """A folder trained elsewhere and copied in must not keep the name or the paths of where it
    was written."""
    for folder in sorted(p for p in WEIGHTS_DIR.iterdir() if (p / "manifest.json").is_file()):
        manifest = load_manifest(folder)
        assert manifest["name"] == folder.name
        assert manifest["eval_command"].endswith(f" weights/{folder.name}")


def test_onnx_files_are_self_contained():
    for path in WEIGHTS_DIR.glob("*/*"):
        assert not path.name.endswith(".data"), f"external ONNX data file {path}"


@pytest.fixture
def altered_weights(tmp_path):
    """A copy of weights/ with one byte of the first model file flipped."""
    copy = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, copy)
    folder = sorted(p for p in copy.iterdir() if p.is_dir())[0]
    victim = sorted(p for p in folder.iterdir() if p.name != "manifest.json")[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    return copy, folder, victim


def test_altered_file_is_refused_naming_folder_and_file(altered_weights):
    copy, folder, victim = altered_weights
    with pytest.raises(WeightsError, match=victim.name) as err:
        load_manifest(folder)
    assert str(folder) in str(err.value)


def test_missing_file_is_refused(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(sorted(p for p in WEIGHTS_DIR.iterdir() if p.is_dir())[0], folder)
    victim = next(p for p in folder.iterdir() if p.name != "manifest.json")
    victim.unlink()
    with pytest.raises(WeightsError, match=f"{victim.name} is missing"):
        load_manifest(folder)


def test_app_refuses_to_start_on_altered_weights(altered_weights):
    copy, folder, victim = altered_weights
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True,
                            env={"WEIGHTS_DIR": str(copy), "PATH": os.environ["PATH"],
                                 "GRADIO_ANALYTICS_ENABLED": "False"}, timeout=120)
    assert result.returncode != 0
    assert f"{folder}: {victim.name} does not match" in result.stderr
    assert "Traceback" not in result.stderr
