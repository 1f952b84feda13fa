"""Model folders from Hugging Face Hub model repositories, pinned and verified like weights/.

WEIGHTS_FROM_HUB="owner/name@revision,owner/other@revision" names one model repository per model
(laid out as a weights/<name>/ folder). snapshot_download keeps them in the normal Hugging Face
cache, so HF_HUB_OFFLINE=1 starts from the cache; every folder then goes through load_manifest,
which refuses files that do not match their checksums wherever they came from.
"""
from pathlib import Path

from huggingface_hub import constants, snapshot_download
from huggingface_hub.errors import (HFValidationError, HfHubHTTPError, IncompleteSnapshotError,
                                    LocalEntryNotFoundError, RepositoryNotFoundError,
                                    RevisionNotFoundError)

from serving.weights import WeightsError, load_manifest

FALLBACK = "or unset WEIGHTS_FROM_HUB to serve the folders in weights/"


def parse_spec(spec: str) -> list[tuple[str, str]]:
    """(repo_id, revision) pairs; a revision is required so a restart never serves other files."""
    pairs = []
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        repo_id, _, revision = entry.partition("@")
        if not revision:
            raise WeightsError(f"WEIGHTS_FROM_HUB entry {entry!r} has no revision: write "
                               "owner/name@revision with a commit sha or a tag (e.g. owner/name@v1)")
        pairs.append((repo_id, revision))
    if not pairs:
        raise WeightsError("WEIGHTS_FROM_HUB is set but names no repository "
                           "(expected owner/name@revision, comma-separated)")
    return pairs


def explain(err: Exception, repo_id: str, revision: str, endpoint: str, cache_dir: str) -> str:
    """One line that says what went wrong and what to do, instead of huggingface_hub's traceback."""
    where = f"{repo_id}@{revision}"
    if isinstance(err, HFValidationError):
        return f"{where}: not a valid repository id ({err})"
    if isinstance(err, RevisionNotFoundError):
        return (f"{where}: revision {revision!r} not found on {endpoint}; pin a commit sha or tag "
                "that exists in the repository")
    if isinstance(err, RepositoryNotFoundError):
        return (f"{where}: repository not found on {endpoint} (if it is private, set HF_TOKEN to a "
                f"token that can read it), {FALLBACK}")
    if isinstance(err, IncompleteSnapshotError):
        return (f"{where}: the cached copy in {cache_dir} is incomplete and the Hub cannot be reached; "
                f"start once with network access to complete it, {FALLBACK}")
    if isinstance(err, LocalEntryNotFoundError) and constants.is_offline_mode():
        return (f"{where} is not in the Hugging Face cache ({cache_dir}) and HF_HUB_OFFLINE=1 forbids "
                f"downloading it: start once with network access to fill the cache, {FALLBACK}")
    if isinstance(err, LocalEntryNotFoundError):
        return (f"{where}: cannot reach {endpoint} and no copy is in the Hugging Face cache "
                f"({cache_dir}); check the network (and HF_ENDPOINT), {FALLBACK}")
    first_line = next((line for line in str(err).splitlines() if line.strip()), type(err).__name__)
    return f"{where}: download from {endpoint} failed ({first_line}), {FALLBACK}"


def fetch(repo_id: str, revision: str, endpoint: str | None = None,
          cache_dir: str | Path | None = None) -> Path:
    """The repository's snapshot folder in the cache (downloaded when missing and allowed)."""
    try:
        return Path(snapshot_download(repo_id, revision=revision, endpoint=endpoint,
                                      cache_dir=cache_dir))
    except (HfHubHTTPError, LocalEntryNotFoundError, HFValidationError, OSError) as err:
        raise WeightsError(explain(err, repo_id, revision, endpoint or constants.ENDPOINT,
                                   str(cache_dir or constants.HF_HUB_CACHE))) from None


def load_from_hub(spec: str, endpoint: str | None = None,
                  cache_dir: str | Path | None = None) -> dict[str, dict]:
    """Like load_all, for the repositories WEIGHTS_FROM_HUB names: {name: verified manifest}."""
    manifests = {}
    for repo_id, revision in parse_spec(spec):
        folder = fetch(repo_id, revision, endpoint, cache_dir)
        try:
            manifest = load_manifest(folder)
        except WeightsError as err:
            raise WeightsError(f"{repo_id}@{revision}: {err}") from None
        if manifest["name"] in manifests:
            raise WeightsError(f"{repo_id}@{revision}: a second model named {manifest['name']!r}")
        manifests[manifest["name"]] = manifest | {"hub": f"{repo_id}@{revision}"}
    return manifests
