"""Writes the manifest.json that serving/ trusts: provenance, measured metrics and file checksums
(the fields and the checks are serving/weights.py's: the contract has one home)."""
import json
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from serving.weights import REQUIRED_FIELDS, sha256_of


def installed_version(package: str) -> str | None:
    """Read from the package's metadata, so that a machine without it (a GPU training host has
    no onnxruntime) can still write manifests, and nothing is imported to ask."""
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def training_data(*paths: str | Path) -> list[dict]:
    return [{"path": Path(p).as_posix(), "sha256": sha256_of(Path(p))} for p in paths]


def eval_command(module: str, folder: str | Path) -> str:
    """The command that re-measures a model where users have it, weights/<folder name>, wherever
    it was written first (a scratch folder is copied into weights/ once final); module is the
    family's evaluate module under export/, e.g. "lm.evaluate"."""
    return f"python -m export.{module} weights/{Path(folder).name}"


def write_manifest(folder: str | Path, manifest: dict) -> dict:
    """Write folder/manifest.json with the sha256 of every other file in the folder.

    Call it last, after every file of the model is written: any later change to a file makes
    serving refuse the folder.
    """
    folder = Path(folder)
    manifest = {
        **manifest,
        "versions": {"python": platform.python_version(), "torch": installed_version("torch"),
                     "onnxruntime": installed_version("onnxruntime"),
                     **manifest.get("versions", {})},
        "files": {p.name: sha256_of(p) for p in sorted(folder.iterdir())
                  if p.is_file() and p.name not in ("manifest.json", "README.md")},
    }
    missing = [field for field in REQUIRED_FIELDS if field not in manifest]
    if missing:
        raise ValueError(f"{folder}: a manifest needs {', '.join(missing)}")
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return manifest
