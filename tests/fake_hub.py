"""A stand-in for the Hugging Face Hub on 127.0.0.1: the endpoints snapshot_download uses.

huggingface_hub 2.4.0 downloads a snapshot with (see _snapshot_download.py, file_download.py):
GET /api/models/{repo}/revision/{rev} (unless rev is a 40-hex sha) for the commit sha,
GET /api/models/{repo}/tree/{sha}?recursive=True for the file list (Link header pages; one here),
then per file HEAD and GET /{repo}/resolve/{sha}/{file}, which must carry X-Repo-Commit and an
ETag; Content-Length gives the size. No X-Xet-Hash header is sent, so the client never tries xet.
Errors are 404s with the X-Error-Code the client maps to its exceptions.

HfApi.upload_folder (export/publish.py) works too, with every file sent inline: POST
/api/repos/create, /api/validate-yaml, /api/models/{repo}/preupload/{rev} (answered "regular"),
/api/models/{repo}/commit/{rev} (ndjson: a header line, then one base64 "file" line per file)
and /api/models/{repo}/tag/{rev}. Committed files land in folders under `storage`.
"""
import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = r"(?P<repo>[^/]+/[^/]+)"
POST_ROUTES = [("create", re.compile(r"^/api/repos/create$")),
               ("validate", re.compile(r"^/api/validate-yaml$")),
               ("preupload", re.compile(rf"^/api/models/{REPO}/preupload/(?P<rev>[^/]+)$")),
               ("commit", re.compile(rf"^/api/models/{REPO}/commit/(?P<rev>[^/]+)$")),
               ("tag", re.compile(rf"^/api/models/{REPO}/tag/(?P<rev>[^/]+)$"))]
ROUTES = [("info", re.compile(rf"^/api/models/{REPO}/revision/(?P<rev>[^/]+)$")),
          ("tree", re.compile(rf"^/api/models/{REPO}/tree/(?P<rev>[^/]+)$")),
          ("file", re.compile(rf"^/{REPO}/resolve/(?P<rev>[^/]+)/(?P<file>.+)$"))]


class FakeHub:
    """Model repositories served from local folders; start() returns the HF_ENDPOINT url."""

    def __init__(self, storage: Path | None = None):
        self.storage = storage  # where uploaded commits are written
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

            def do_POST(self):
                hub.handle_post(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        return self.url

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
        sha = resolve(repo, rev)
        if sha is None:
            return send(request, 404, b"", {"X-Error-Code": "RevisionNotFound"}, body)
        folder = repo["folders"][sha]
        files = sorted(p for p in folder.iterdir() if p.is_file())
        if kind == "info":
            info = {"id": match["repo"], "sha": sha, "siblings": [{"rfilename": p.name} for p in files]}
            return reply(request, info)
        if kind == "tree":
            tree = [{"type": "file", "path": p.name, "size": p.stat().st_size,
                     "oid": hashlib.sha1(p.read_bytes()).hexdigest()} for p in files]
            return reply(request, tree)
        target = folder / unquote(match["file"])
        if not target.is_file():
            return send(request, 404, b"", {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": sha}, body)
        data = target.read_bytes()
        return send(request, 200, data, {"ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                                         "X-Repo-Commit": sha}, body)

    def handle_post(self, request: BaseHTTPRequestHandler) -> None:
        path = urlsplit(request.path).path
        self.requests.append(f"POST {path}")
        data = request.rfile.read(int(request.headers["Content-Length"]))
        kind, match = next(((k, m) for k, p in POST_ROUTES if (m := p.match(path))), (None, None))
        if kind == "create":
            spec = json.loads(data)
            repo_id = f"{spec['organization']}/{spec['name']}"
            self.repos.setdefault(repo_id, {"refs": {}, "folders": {}})
            return reply(request, {"url": f"{self.url}/{repo_id}"})
        if kind == "validate":
            return reply(request, {})
        repo = self.repos.get(match["repo"]) if match else None
        if repo is None:
            return send(request, 404, b"", {"X-Error-Code": "RepoNotFound"}, True)
        rev = unquote(match["rev"])
        if kind == "preupload":
            files = json.loads(data)["files"]
            return reply(request, {"files": [{"path": f["path"], "uploadMode": "regular",
                                              "shouldIgnore": False} for f in files]})
        if kind == "tag":
            repo["refs"][json.loads(data)["tag"]] = resolve(repo, rev)
            return reply(request, {})
        parent = repo["folders"].get(repo["refs"].get(rev))
        folder = self.storage / f"{match['repo'].replace('/', '--')}-{len(repo['folders'])}"
        folder.mkdir(parents=True)
        for old in parent.iterdir() if parent else []:
            (folder / old.name).write_bytes(old.read_bytes())
        for line in data.splitlines():
            item = json.loads(line)
            if item["key"] == "file":
                (folder / item["value"]["path"]).write_bytes(base64.b64decode(item["value"]["content"]))
        sha = self.add(match["repo"], folder, tag=rev)
        return reply(request, {"commitUrl": f"{self.url}/{match['repo']}/commit/{sha}", "commitOid": sha,
                               "pullRequestUrl": None})


def resolve(repo: dict, rev: str) -> str | None:
    """The commit sha a branch, tag or sha names."""
    return repo["refs"].get(rev, rev if rev in repo["folders"] else None)


def reply(request: BaseHTTPRequestHandler, answer: dict) -> None:
    send(request, 200, json.dumps(answer).encode(), {"Content-Type": "application/json"}, True)


def send(request: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict, body: bool) -> None:
    request.send_response(status)
    for name, value in {**headers, "Content-Length": str(len(data))}.items():
        request.send_header(name, value)
    request.end_headers()
    if body:
        request.wfile.write(data)
