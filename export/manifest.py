"""Writes the manifest.json that serving/ trusts: provenance, measured metrics and file checksums."""
import hashlib
import json
import platform
from pathlib import Path

import onnxruntime


def sha256_of(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def training_data(*paths: str | Path) -> list[dict]:
    return [{"path": Path(p).as_posix(), "sha256": sha256_of(Path(p))} for p in paths]


def eval_command(module: str, folder: str | Path) -> str:
    """The command that re-measures a model where users have it, weights/<folder name>, wherever
    it was written first (a scratch folder is copied into weights/ once final)."""
    return f"python -m export.{module} weights/{Path(folder).name}"


def write_manifest(folder: str | Path, manifest: dict) -> dict:
    """Write folder/manifest.json with the sha256 of every other file in the folder.

    Call it last, after every file of the model is written: any later change to a file makes
    serving refuse the folder.
    """
    folder = Path(folder)
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    manifest = {
        **manifest,
        "versions": {"python": platform.python_version(), "torch": torch_version,
                     "onnxruntime": onnxruntime.__version__,
                     **manifest.get("versions", {})},
        "files": {p.name: sha256_of(p) for p in sorted(folder.iterdir())
                  if p.is_file() and p.name not in ("manifest.json", "README.md")},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return manifest
