"""Loads model folders through their manifests (the weights contract in docs/architecture.md).

A folder is only trusted when every file its manifest lists is present with the recorded sha256,
wherever the folder came from (weights/ or a Hub download).
"""
import hashlib
import json
from pathlib import Path

DEFAULT_WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
# what every manifest.json holds (export/manifest.py refuses to write one without them)
REQUIRED_FIELDS = ("name", "task", "architecture", "hyperparameters", "training_data", "metrics",
                   "eval_command", "files", "versions")


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
    verify_files(folder, files)
    return manifest | {"folder": str(folder)}


def sha256_of(path: str | Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def verify_files(folder: str | Path, files: dict[str, str]) -> None:
    """Every file present with its recorded sha256: the check serving makes before loading and
    export/publish.py makes before uploading."""
    folder = Path(folder)
    for name, expected in files.items():
        path = folder / name
        # by name, not by resolving: a Hub snapshot's files are links into the cache's blobs/
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise WeightsError(f"{folder}: manifest.json lists {name!r}, which is outside the folder")
        if not path.is_file():
            raise WeightsError(f"{folder}: {name} is missing (listed in manifest.json)")
        if sha256_of(path) != expected:
            raise WeightsError(f"{folder}: {name} does not match its sha256 in manifest.json "
                               "(altered or corrupted; restore it or re-export the model)")


def listed_file(manifest: dict, name: str) -> Path:
    """The path of a file a model loads, refused unless the manifest lists it (and so
    load_manifest has checked it): no model reads a file nobody verified."""
    if name not in manifest["files"]:
        raise WeightsError(f"{manifest['folder']}: the model needs {name}, which manifest.json "
                           "does not list (re-export the model)")
    return Path(manifest["folder"]) / name


def read_vocab(folder: str | Path) -> list[str]:
    """vocab.txt: one word per line, the line number is the word's id in model.onnx."""
    return (Path(folder) / "vocab.txt").read_text(encoding="utf-8").splitlines()


def write_vocab(folder: str | Path, words: list[str]) -> None:
    """The file read_vocab reads back as the same list: a word with a line break (or any
    character splitlines breaks on) would shift every id after it, so it is refused."""
    broken = [w for w in words if w.splitlines() != [w]]
    if broken:
        raise ValueError(f"vocabulary words that are empty or hold a line break: {broken[:5]}")
    (Path(folder) / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")


def load_all(weights_dir: str | Path = DEFAULT_WEIGHTS_DIR) -> dict[str, dict]:
    """Every model folder under weights_dir, by manifest name; refuses the lot if one is bad."""
    weights_dir = Path(weights_dir)
    folders = sorted(p for p in weights_dir.iterdir() if p.is_dir()) if weights_dir.is_dir() else []
    if not folders:
        raise WeightsError(f"{weights_dir}: no model folders found")
    manifests = [load_manifest(f) for f in folders]
    return {m["name"]: m for m in manifests}
