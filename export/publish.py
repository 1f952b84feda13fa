"""Publishes a weights folder as a Hugging Face Hub model repository, with its generated card.

    python -m export.publish weights/gensim-word2vec --repo owner/gensim-word2vec --dry-run
    HF_TOKEN=hf_... python -m export.publish weights/gensim-word2vec --repo owner/gensim-word2vec --tag v1

The card (README.md) is written into the folder first. Only the manifest's files, manifest.json
and README.md are uploaded, and only when they still match their sha256: the repository then holds
exactly what serving/ accepts. The last line printed is the WEIGHTS_FROM_HUB entry pinning it.
"""
import argparse
import json
from pathlib import Path

from export.model_card import model_card
from serving.weights import WeightsError, verify_files


def upload_names(folder: Path) -> list[str]:
    """What the repository gets; refuses a folder whose files no longer match the manifest."""
    files = json.loads((folder / "manifest.json").read_text())["files"]
    try:
        verify_files(folder, files)
    except WeightsError as err:
        raise SystemExit(f"{err}: nothing was published") from None
    return sorted(files) + ["manifest.json", "README.md"]


def publish(folder: str | Path, repo_id: str, revision: str = "main", tag: str | None = None,
            dry_run: bool = False, card_out: str | Path | None = None) -> str | None:
    """Upload the folder (or, with dry_run, only write the card and list the files); returns the
    new commit's sha."""
    if card_out and not dry_run:
        raise SystemExit("--card-out is for --dry-run: the uploaded card is the folder's README.md")
    folder = Path(folder)
    names = upload_names(folder)
    card_path = Path(card_out) if card_out else folder / "README.md"
    model_card(folder, repo_id, tag or revision).save(card_path)
    print(f"card written to {card_path}")
    sizes = {name: (card_path if name == "README.md" else folder / name).stat().st_size for name in names}
    for name, size in sizes.items():
        print(f"{size:>14,}  {name}")
    print(f"{sum(sizes.values()):>14,}  in all -> {repo_id}@{revision}")
    if dry_run:
        return None
    from huggingface_hub import HfApi
    api = HfApi()
    api.create_repo(repo_id, repo_type="model", exist_ok=True)
    commit = api.upload_folder(repo_id=repo_id, folder_path=folder, revision=revision,
                               allow_patterns=names, commit_message=f"Publish {folder.name}")
    if tag:
        api.create_tag(repo_id, tag=tag, revision=commit.oid)
    print(f"published {commit.commit_url}\nWEIGHTS_FROM_HUB={repo_id}@{tag or commit.oid}")
    return commit.oid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="a weights folder, e.g. weights/gensim-word2vec")
    parser.add_argument("--repo", required=True, help="the Hub model repository, owner/name")
    parser.add_argument("--revision", default="main", help="the branch to commit to")
    parser.add_argument("--tag", help="tag the new commit (a revision WEIGHTS_FROM_HUB can pin)")
    parser.add_argument("--dry-run", action="store_true",
                        help="write the card and list what would be uploaded; upload nothing")
    parser.add_argument("--card-out", help="with --dry-run: write the card here, not into the folder")
    args = parser.parse_args()
    publish(args.folder, args.repo, args.revision, args.tag, args.dry_run, args.card_out)


if __name__ == "__main__":
    main()
