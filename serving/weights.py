"""Loads model folders through their manifests (see the weights contract in DESIGN.md).

A folder is only trusted when every file its manifest lists is present with the recorded sha256,
wherever the folder came from (weights/ or a Hub download).
"""
import hashlib
import json
from pathlib import Path

DEFAULT_WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"


class WeightsError(RuntimeError):
    """A model folder that must not be served: missing, unreadable or altered."""


def load_manifest(folder: str | Path) -> dict:
    """The folder's manifest, after checking every listed file against its sha256."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise WeightsError(f"{folder}: manifest.json is missing")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as err:
        raise WeightsError(f"{manifest_path}: not readable JSON ({err})") from err
    files = manifest.get("files")
    if not files:
        raise WeightsError(f"{manifest_path}: lists no files")
    for name, expected in files.items():
        path = folder / name
        if not path.is_file():
            raise WeightsError(f"{folder}: {name} is missing (listed in manifest.json)")
        with open(path, "rb") as f:
            actual = hashlib.file_digest(f, "sha256").hexdigest()
        if actual != expected:
            raise WeightsError(f"{folder}: {name} does not match its sha256 in manifest.json "
                               "(altered or corrupted; restore it or re-export the model)")
    return manifest | {"folder": str(folder)}


def read_vocab(folder: str | Path) -> list[str]:
    """vocab.txt: one word per line, the line number is the word's id in model.onnx."""
    return (Path(folder) / "vocab.txt").read_text(encoding="utf-8").splitlines()


def load_all(weights_dir: str | Path = DEFAULT_WEIGHTS_DIR) -> dict[str, dict]:
    """Every model folder under weights_dir, by manifest name; refuses the lot if one is bad."""
    weights_dir = Path(weights_dir)
    folders = sorted(p for p in weights_dir.iterdir() if p.is_dir()) if weights_dir.is_dir() else []
    if not folders:
        raise WeightsError(f"{weights_dir}: no model folders found")
    manifests = [load_manifest(f) for f in folders]
    return {m["name"]: m for m in manifests}
