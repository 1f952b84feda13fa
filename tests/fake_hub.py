"""A stand-in for the Hugging Face Hub on 127.0.0.1: the endpoints snapshot_download uses.

huggingface_hub 2.4.0 downloads a snapshot with (see _snapshot_download.py, file_download.py):
GET /api/models/{repo}/revision/{rev} (unless rev is a 40-hex sha) for the commit sha,
GET /api/models/{repo}/tree/{sha}?recursive=True for the file list (Link header pages; one here),
then per file HEAD and GET /{repo}/resolve/{sha}/{file}, which must carry X-Repo-Commit and an
ETag; Content-Length gives the size. No X-Xet-Hash header is sent, so the client never tries xet.
Errors are 404s with the X-Error-Code the client maps to its exceptions.
"""
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = r"(?P<repo>[^/]+/[^/]+)"
ROUTES = [("info", re.compile(rf"^/api/models/{REPO}/revision/(?P<rev>[^/]+)$")),
          ("tree", re.compile(rf"^/api/models/{REPO}/tree/(?P<rev>[^/]+)$")),
          ("file", re.compile(rf"^/{REPO}/resolve/(?P<rev>[^/]+)/(?P<file>.+)$"))]


class FakeHub:
    """Model repositories served from local folders; start() returns the HF_ENDPOINT url."""

    def __init__(self):
        self.repos: dict[str, dict] = {}  # repo_id -> {"refs": {rev: sha}, "folders": {sha: Path}}
        self.requests: list[str] = []
        self.server = None

    def add(self, repo_id: str, folder: Path, tag: str = "v1") -> str:
        """Publish folder as one commit of repo_id, reachable as tag, main and its sha."""
        digest = hashlib.sha1(repo_id.encode())
        for path in sorted(folder.iterdir()):
            digest.update(path.name.encode() + path.read_bytes())
        sha = digest.hexdigest()
        repo = self.repos.setdefault(repo_id, {"refs": {}, "folders": {}})
        repo["folders"][sha] = Path(folder)
        repo["refs"].update({tag: sha, "main": sha})
        return sha

    def start(self) -> str:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self):
                hub.handle(self, body=False)

            def do_GET(self):
                hub.handle(self, body=True)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler, body: bool) -> None:
        path = urlsplit(request.path).path
        self.requests.append(f"{request.command} {path}")
        for kind, pattern in ROUTES:
            if match := pattern.match(path):
                break
        else:
            return send(request, 404, b"", {"X-Error-Code": "RepoNotFound"}, body)
        repo = self.repos.get(match["repo"])
        if repo is None:
            return send(request, 404, b"", {"X-Error-Code": "RepoNotFound"}, body)
        rev = unquote(match["rev"])
        sha = repo["refs"].get(rev, rev if rev in repo["folders"] else None)
        if sha is None:
            return send(request, 404, b"", {"X-Error-Code": "RevisionNotFound"}, body)
        folder = repo["folders"][sha]
        files = sorted(p for p in folder.iterdir() if p.is_file())
        if kind == "info":
            info = {"id": match["repo"], "sha": sha, "siblings": [{"rfilename": p.name} for p in files]}
            return send(request, 200, json.dumps(info).encode(), {"Content-Type": "application/json"}, body)
        if kind == "tree":
            tree = [{"type": "file", "path": p.name, "size": p.stat().st_size,
                     "oid": hashlib.sha1(p.read_bytes()).hexdigest()} for p in files]
            return send(request, 200, json.dumps(tree).encode(), {"Content-Type": "application/json"}, body)
        target = folder / unquote(match["file"])
        if not target.is_file():
            return send(request, 404, b"", {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": sha}, body)
        data = target.read_bytes()
        return send(request, 200, data, {"ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                                         "X-Repo-Commit": sha}, body)


def send(request: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict, body: bool) -> None:
    request.send_response(status)
    for name, value in {**headers, "Content-Length": str(len(data))}.items():
        request.send_header(name, value)
    request.end_headers()
    if body:
        request.wfile.write(data)
