#!/usr/bin/env python3
"""A local stand-in for the parts of the GitHub REST API Jobrunner calls, applied to real git
repositories, so what a client did is checked with git afterwards.

Usage: github-standin.py CONFIG_JSON
Prints the port (127.0.0.1, a free one) on the first line of stdout; stops when stdin closes.

Every answer follows the shapes GitHub documents (https://docs.github.com/en/rest):
  GET   /repos/{o}/{r}/git/ref/heads/{branch}        GET   /repos/{o}/{r}/git/commits/{sha}
  GET   /repos/{o}/{r}/git/trees/{sha}[?recursive=1] GET   /repos/{o}/{r}/git/blobs/{sha}
  GET   /repos/{o}/{r}/contents/{path}?ref=REF       POST  /repos/{o}/{r}/git/blobs
  POST  /repos/{o}/{r}/git/trees (base_tree, sha:null deletes)
  POST  /repos/{o}/{r}/git/commits                   PATCH /repos/{o}/{r}/git/refs/heads/{branch}
  GET   /repos/{o}/{r}/installation (JWT)            POST  /app/installations/{id}/access_tokens (JWT)
  GET   /repos/{o}/{r}/commits/{sha}/pulls           GET   /repos/{o}/{r}/pulls/{n}
  GET   /repos/{o}/{r}/pulls/{n}/reviews (paginated) POST  /repos/{o}/{r}/statuses/{sha}
  GET   /repos/{o}/{r}/pulls/{n}/commits (paginated)   GET   /repos/{o}/{r}/pulls/{n}/files (paginated, from git)
  POST  /repos/{o}/{r}/issues/{n}/comments         PATCH /repos/{o}/{r}/issues/comments/{id}
  GET   /repos/{o}/{r}/tarball/{ref} (302 to the archive, as GitHub redirects to codeload)
  GET   /repos/{o}/{r}/compare/{base}...{head} (status identical / ahead / behind / diverged)

CONFIG_JSON:
  repositories  {"owner/name": "/path/to/bare.git"}
  tokens        bearer tokens accepted on /repos (installation tokens minted here are added)
  app           {"id": "123", "installation_id": 42, "token_lifetime": 3600} — JWTs are checked for
                shape, alg RS256, iss and lifetime; the test verifies the signature itself
  pulls         {"owner/name": {"by_commit": {sha: [n]}, "pulls": {n: PR}, "reviews": {n: [REVIEW]},
                 "commits": {n: [COMMIT]}, "files": {n: [FILE]}}} — a pull request's files, unless
                listed, are git's diff of its base.sha...head.sha (three dots, as GitHub compares)
  race          shell command run once just before the first ref update is served
Test controls (not GitHub): POST /_standin/faults [{method, path, prefix, status, times, headers,
body, apply}] queues answers (prefix: the path is a prefix; apply: do the real work first, then
answer with the fault — a lost acknowledgement); DELETE /_standin/faults drops them (the outage
ends); POST /_standin/pulls {"owner/name": {"pulls": …, "reviews": …}} replaces those entries (a
pull request gets a new head, a review arrives); GET /_standin/comments lists the comments by id;
GET /_standin/requests lists every request received with the status it was answered;
POST /callbacks/* is a callback receiver that answers 204 (or an injected fault).
"""
import base64
import datetime
import http.server
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import threading
import urllib.parse

CONFIG = json.load(open(sys.argv[1]))
REPOSITORIES = CONFIG.get("repositories", {})
TOKENS = set(CONFIG.get("tokens", []))
APP = CONFIG.get("app")
PULLS = CONFIG.get("pulls", {})
RACE = CONFIG.get("race")
FAULTS = []
REQUESTS = []
COMMENTS = {}
LOCK = threading.Lock()
ZERO = "0" * 40
DOCS = "https://docs.github.com/rest"


class Raw:
    """An answer that is not JSON (an archive)."""
    def __init__(self, data, content_type):
        self.data = data
        self.content_type = content_type


class Answer(Exception):
    def __init__(self, status, body, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}


def not_found():
    return Answer(404, {"message": "Not Found", "documentation_url": DOCS})


def git(repo, *args, data=None, env=None, check=True):
    result = subprocess.run(
        ["git", "--git-dir", repo, *args], input=data, capture_output=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", **(env or {})})
    if check and result.returncode != 0:
        raise Answer(422, {"message": result.stderr.decode(errors="replace").strip(), "documentation_url": DOCS})
    return result


def resolve(repo, ref, kind):
    result = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{{kind}}}", check=False)
    if result.returncode != 0:
        raise not_found()
    return result.stdout.decode().strip()


def now_iso(offset=0):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def b64(data):
    encoded = base64.b64encode(data).decode()
    return "\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)) + "\n"


def commit_json(base, repo, sha):
    raw = git(repo, "cat-file", "commit", sha).stdout.decode()
    header, _, message = raw.partition("\n\n")
    fields = {"parents": []}
    for line in header.split("\n"):
        key, _, value = line.partition(" ")
        if key == "parent":
            fields["parents"].append(value)
        elif key in ("tree", "author", "committer"):
            fields[key] = value

    def person(text):
        m = re.match(r"(.*) <(.*)> (\d+) ([+-]\d{4})", text)
        when = datetime.datetime.fromtimestamp(int(m.group(3)), datetime.timezone.utc)
        return {"name": m.group(1), "email": m.group(2), "date": when.strftime("%Y-%m-%dT%H:%M:%SZ")}

    return {
        "sha": sha, "node_id": "C_" + sha[:12], "url": f"{base}/git/commits/{sha}",
        "html_url": f"https://github.example/commit/{sha}",
        "author": person(fields["author"]), "committer": person(fields["committer"]), "message": message,
        "tree": {"sha": fields["tree"], "url": f"{base}/git/trees/{fields['tree']}"},
        "parents": [{"sha": p, "url": f"{base}/git/commits/{p}", "html_url": ""} for p in fields["parents"]],
        "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None},
    }


def tree_entries(base, repo, tree, recursive):
    args = ["ls-tree", "-l", "-z"] + (["-r", "-t"] if recursive else []) + [tree]
    entries = []
    for record in git(repo, *args).stdout.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.decode().partition("\t")
        mode, kind, sha, size = meta.split()
        entry = {"path": path, "mode": mode, "type": kind, "sha": sha,
                 "url": f"{base}/git/{kind}s/{sha}" if kind != "commit" else None}
        if kind == "blob":
            entry["size"] = int(size)
        entries.append(entry)
    return entries


def ls_entry(repo, ref, path):
    out = git(repo, "ls-tree", "-l", "-z", ref, "--", path).stdout.split(b"\0")
    for record in out:
        if not record:
            continue
        meta, _, name = record.decode().partition("\t")
        if name == path:
            mode, kind, sha, size = meta.split()
            return mode, kind, sha, size
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.serve("GET")

    def do_POST(self):
        self.serve("POST")

    def do_PATCH(self):
        self.serve("PATCH")

    def do_DELETE(self):
        self.serve("DELETE")

    def serve(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        path = urllib.parse.unquote(url.path)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self.reply(400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
        with LOCK:
            record = {}
            if not path.startswith("/_standin/"):
                REQUESTS.append(record)
                record.update({"method": method, "path": path, "query": query, "body": body, "at": time.time(),
                                 "authorization": self.headers.get("Authorization"),
                                 "api_version": self.headers.get("X-GitHub-Api-Version"),
                                 "accept": self.headers.get("Accept"),
                                 "headers": {k: v for k, v in self.headers.items() if k.lower().startswith("x-")},
                                 "raw": base64.b64encode(raw).decode()})
            fault = None
            for candidate in FAULTS:
                matches = path.startswith(candidate["path"]) if candidate.get("prefix") else candidate["path"] == path
                if candidate["method"] == method and matches and candidate["times"] > 0:
                    candidate["times"] -= 1
                    fault = candidate
                    break
            try:
                if fault and not fault.get("apply"):
                    raise Answer(fault["status"], fault.get("body", {"message": "injected"}), fault.get("headers"))
                status, answer, headers = self.route(method, path, query, body)
                if fault:
                    raise Answer(fault["status"], fault.get("body", {"message": "injected"}), fault.get("headers"))
            except Answer as error:
                status, answer, headers = error.status, error.body, error.headers
            record["status"] = status
        self.reply(status, answer, headers)

    def reply(self, status, body, headers=None):
        raw = isinstance(body, Raw)
        data = body.data if raw else (b"" if status in (204, 302) else json.dumps(body).encode())  # 204 has no body
        self.send_response(status)
        self.send_header("Content-Type", body.content_type if raw else "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-RateLimit-Limit", "5000")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    # --- authentication -------------------------------------------------------------------

    def bearer(self):
        header = self.headers.get("Authorization", "")
        return header[7:] if header.startswith("Bearer ") else None

    def require_token(self):
        if self.bearer() not in TOKENS:
            raise Answer(401, {"message": "Bad credentials", "documentation_url": DOCS})

    def require_jwt(self):
        token = self.bearer() or ""
        parts = token.split(".")
        try:
            if not APP or len(parts) != 3:
                raise ValueError("not a JWT")
            pad = lambda s: s + "=" * (-len(s) % 4)
            header = json.loads(base64.urlsafe_b64decode(pad(parts[0])))
            claims = json.loads(base64.urlsafe_b64decode(pad(parts[1])))
            base64.urlsafe_b64decode(pad(parts[2]))
            now = datetime.datetime.now(datetime.timezone.utc).timestamp()
            if header.get("alg") != "RS256" or str(claims.get("iss")) != str(APP["id"]):
                raise ValueError("wrong alg or issuer")
            if not (claims["iat"] < claims["exp"] and claims["exp"] > now and claims["exp"] - claims["iat"] <= 600):
                raise ValueError("expired or too long")
        except (ValueError, KeyError, TypeError):
            raise Answer(401, {"message": "A JSON web token could not be decoded", "documentation_url": DOCS})

    # --- routes ---------------------------------------------------------------------------

    def route(self, method, path, query, body):
        if path == "/_standin/faults" and method == "POST":
            for fault in body:
                FAULTS.append({"times": 1, **fault})
            return 204, {}, {}
        if path == "/_standin/faults" and method == "DELETE":
            FAULTS.clear()
            return 204, {}, {}
        if path == "/_standin/pulls" and method == "POST":
            for name, parts in body.items():
                for key, entries in parts.items():
                    PULLS.setdefault(name, {}).setdefault(key, {}).update(entries)
            return 204, {}, {}
        if path == "/_standin/comments" and method == "GET":
            return 200, {str(k): v for k, v in COMMENTS.items()}, {}
        if path == "/_standin/requests":
            return 200, REQUESTS, {}
        if path.startswith("/callbacks/") and method == "POST":
            return 204, {}, {}
        m = re.fullmatch(r"/_standin/codeload/([^/]+/[^/]+)/([0-9a-f]{40})\.tar\.gz", path)
        if m and method == "GET":
            # What codeload.github.com serves: a gzipped tar with one top folder, owner-repo-sha.
            if m.group(1) not in REPOSITORIES:
                raise not_found()
            prefix = m.group(1).replace("/", "-") + "-" + m.group(2)[:7] + "/"
            archive = git(REPOSITORIES[m.group(1)], "archive", "--format=tar.gz", "--prefix=" + prefix, m.group(2)).stdout
            return 200, Raw(archive, "application/x-gzip"), {}
        m = re.fullmatch(r"/app/installations/(\d+)/access_tokens", path)
        if m and method == "POST":
            self.require_jwt()
            if int(m.group(1)) != APP["installation_id"]:
                raise not_found()
            token = "ghs_" + secrets.token_hex(16)
            TOKENS.add(token)
            return 201, {"token": token, "expires_at": now_iso(APP.get("token_lifetime", 3600)),
                         "permissions": {"contents": "write", "statuses": "write", "pull_requests": "write"},
                         "repository_selection": "all"}, {}
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if not m:
            raise not_found()
        name, rest = m.group(1), m.group(2) or ""
        if rest == "/installation" and method == "GET":
            self.require_jwt()
            if name not in REPOSITORIES:
                raise not_found()
            return 200, {"id": APP["installation_id"], "app_id": int(APP["id"]), "target_type": "Organization",
                         "account": {"login": name.split("/")[0]}}, {}
        self.require_token()
        if name not in REPOSITORIES:
            raise not_found()
        repo = REPOSITORIES[name]
        base = f"http://{self.headers.get('Host')}/repos/{name}"
        return self.repository_route(method, rest, query, body, repo, name, base)

    def repository_route(self, method, rest, query, body, repo, name, base):
        m = re.fullmatch(r"/tarball/(.+)", rest)
        if m and method == "GET":
            sha = resolve(repo, m.group(1), "commit")
            root = f"http://{self.headers.get('Host')}"
            return 302, {}, {"Location": f"{root}/_standin/codeload/{name}/{sha}.tar.gz"}
        m = re.fullmatch(r"/compare/([^.]+)\.\.\.(.+)", rest)
        if m and method == "GET":
            head_base, head = resolve(repo, m.group(1), "commit"), resolve(repo, m.group(2), "commit")
            ancestor = lambda a, b: git(repo, "merge-base", "--is-ancestor", a, b, check=False).returncode == 0
            count = lambda spec: int(git(repo, "rev-list", "--count", spec).stdout.decode().strip() or 0)
            status = ("identical" if head_base == head else "ahead" if ancestor(head_base, head)
                      else "behind" if ancestor(head, head_base) else "diverged")
            return 200, {"status": status, "ahead_by": count(f"{head_base}..{head}"), "behind_by": count(f"{head}..{head_base}"),
                         "total_commits": count(f"{head_base}..{head}"), "commits": [], "files": [],
                         "base_commit": commit_json(base, repo, head_base)}, {}
        m = re.fullmatch(r"/git/ref/heads/(.+)", rest)
        if m and method == "GET":
            sha = resolve(repo, "refs/heads/" + m.group(1), "commit")
            return 200, self.ref_json(base, m.group(1), sha), {}
        m = re.fullmatch(r"/git/commits/([0-9a-f]{40})", rest)
        if m and method == "GET":
            resolve(repo, m.group(1), "commit")
            return 200, commit_json(base, repo, m.group(1)), {}
        m = re.fullmatch(r"/git/trees/(.+)", rest)
        if m and method == "GET":
            tree = resolve(repo, m.group(1), "tree")
            return 200, {"sha": tree, "url": f"{base}/git/trees/{tree}", "truncated": False,
                         "tree": tree_entries(base, repo, tree, query.get("recursive") not in (None, "", "0", "false"))}, {}
        m = re.fullmatch(r"/git/blobs/([0-9a-f]{40})", rest)
        if m and method == "GET":
            sha = resolve(repo, m.group(1), "blob")
            data = git(repo, "cat-file", "blob", sha).stdout
            return 200, {"sha": sha, "node_id": "B_" + sha[:12], "size": len(data), "url": f"{base}/git/blobs/{sha}",
                         "content": b64(data), "encoding": "base64"}, {}
        m = re.fullmatch(r"/contents/(.+)", rest)
        if m and method == "GET":
            return self.contents(repo, base, m.group(1), query.get("ref", "HEAD"))
        if rest == "/git/blobs" and method == "POST":
            content = body.get("content")
            if not isinstance(content, str):
                raise Answer(422, {"message": "Invalid request.\n\n\"content\" wasn't supplied.", "documentation_url": DOCS})
            data = base64.b64decode(content) if body.get("encoding") == "base64" else content.encode()
            sha = git(repo, "hash-object", "-w", "--stdin", data=data).stdout.decode().strip()
            return 201, {"url": f"{base}/git/blobs/{sha}", "sha": sha}, {}
        if rest == "/git/trees" and method == "POST":
            return self.create_tree(repo, base, body)
        if rest == "/git/commits" and method == "POST":
            return self.create_commit(repo, base, body)
        m = re.fullmatch(r"/git/refs/heads/(.+)", rest)
        if m and method == "PATCH":
            return self.update_ref(repo, base, m.group(1), body)
        pulls = PULLS.get(name, {})
        m = re.fullmatch(r"/commits/([0-9a-f]{40})/pulls", rest)
        if m and method == "GET":
            numbers = pulls.get("by_commit", {}).get(m.group(1), [])
            return 200, [pulls["pulls"][str(n)] for n in numbers], {}
        m = re.fullmatch(r"/pulls/(\d+)", rest)
        if m and method == "GET":
            pull = pulls.get("pulls", {}).get(m.group(1))
            if pull is None:
                raise not_found()
            return 200, pull, {}
        m = re.fullmatch(r"/pulls/(\d+)/files", rest)
        if m and method == "GET":
            listed = pulls.get("files", {}).get(m.group(1))
            if listed is None:
                pull = pulls.get("pulls", {}).get(m.group(1))
                if pull is None:
                    raise not_found()
                listed = self.pull_files(repo, pull["base"]["sha"], pull["head"]["sha"])
            return self.page(listed, f"{base}{rest}", query)
        m = re.fullmatch(r"/pulls/(\d+)/(reviews|commits)", rest)
        if m and method == "GET":
            return self.page(pulls.get(m.group(2), {}).get(m.group(1), []), f"{base}{rest}", query)
        m = re.fullmatch(r"/statuses/([0-9a-f]{40})", rest)
        if m and method == "POST":
            if body.get("state") not in ("error", "failure", "pending", "success"):
                raise Answer(422, {"message": "Validation Failed", "errors": [{"resource": "Status", "field": "state",
                                                                               "code": "custom"}]})
            return 201, {"id": len(REQUESTS), "state": body["state"], "target_url": body.get("target_url"),
                         "description": body.get("description"), "context": body.get("context", "default"),
                         "created_at": now_iso(), "updated_at": now_iso(), "url": f"{base}/statuses/{m.group(1)}"}, {}
        m = re.fullmatch(r"/issues/(\d+)/comments", rest)
        if m and method == "POST":
            if not body.get("body"):
                raise Answer(422, {"message": "Validation Failed"})
            comment_id = 1000 + len(COMMENTS)
            COMMENTS[comment_id] = {"repository": name, "issue": int(m.group(1)), "body": body["body"],
                                    "created_at": now_iso(), "updated_at": now_iso()}
            return 201, self.comment_json(comment_id), {}
        m = re.fullmatch(r"/issues/comments/(\d+)", rest)
        if m and method == "PATCH":
            comment = COMMENTS.get(int(m.group(1)))
            if comment is None or comment["repository"] != name:
                raise not_found()
            if not body.get("body"):
                raise Answer(422, {"message": "Validation Failed"})
            comment.update(body=body["body"], updated_at=now_iso())
            return 200, self.comment_json(int(m.group(1))), {}
        raise not_found()

    @staticmethod
    def pull_files(repo, base_sha, head_sha):
        """A pull request's files as GitHub lists them: the diff from the merge base to the head."""
        kinds = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "C": "copied", "T": "changed"}
        out = git(repo, "diff", "--name-status", "-M", f"{base_sha}...{head_sha}").stdout.decode()
        files = []
        for line in out.splitlines():
            parts = line.split("\t")
            status = kinds.get(parts[0][0], "modified")
            filename = parts[-1]
            ref = base_sha if status == "removed" else head_sha
            sha = git(repo, "rev-parse", f"{ref}:{filename}").stdout.decode().strip()
            entry = {"sha": sha, "filename": filename, "status": status, "additions": 0, "deletions": 0, "changes": 0}
            if status in ("renamed", "copied"):
                entry["previous_filename"] = parts[1]
            files.append(entry)
        return files

    @staticmethod
    def comment_json(comment_id):
        """An issue comment as GitHub answers it."""
        comment = COMMENTS[comment_id]
        return {"id": comment_id, "body": comment["body"], "created_at": comment["created_at"],
                "updated_at": comment["updated_at"],
                "html_url": f"https://github.example/pull/{comment['issue']}#issuecomment-{comment_id}",
                "user": {"login": "bot"}}

    @staticmethod
    def page(items, url, query):
        """One page of a paginated list, with GitHub's `Link: rel="next"` when more follow."""
        per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = f'<{url}?per_page={per_page}&page={page + 1}>; rel="next"'
        return 200, items[(page - 1) * per_page: page * per_page], headers

    def ref_json(self, base, branch, sha):
        return {"ref": "refs/heads/" + branch, "node_id": "REF_" + sha[:8], "url": f"{base}/git/refs/heads/{branch}",
                "object": {"type": "commit", "sha": sha, "url": f"{base}/git/commits/{sha}"}}

    def contents(self, repo, base, path, ref):
        commit = resolve(repo, ref, "commit")
        entry = ls_entry(repo, commit, path.rstrip("/"))
        if entry is None:
            raise not_found()
        mode, kind, sha, size = entry
        name = path.rstrip("/").split("/")[-1]
        common = {"name": name, "path": path.rstrip("/"), "sha": sha, "url": f"{base}/contents/{path}?ref={ref}",
                  "git_url": f"{base}/git/{kind}s/{sha}", "html_url": None, "download_url": None}
        if kind == "tree":
            listing = []
            for child in tree_entries(base, repo, sha, False):
                kind_name = {"tree": "dir", "commit": "submodule"}.get(child["type"], "file")
                if child["mode"] == "120000":
                    kind_name = "symlink"
                listing.append({"type": kind_name, "name": child["path"], "path": f"{path.rstrip('/')}/{child['path']}",
                                "sha": child["sha"], "size": child.get("size", 0)})
            return 200, listing, {}
        if kind == "commit":
            return 200, {**common, "type": "submodule", "size": 0, "submodule_git_url": ""}, {}
        data = git(repo, "cat-file", "blob", sha).stdout
        if mode == "120000":
            return 200, {**common, "type": "symlink", "size": len(data), "target": data.decode()}, {}
        return 200, {**common, "type": "file", "size": len(data), "encoding": "base64", "content": b64(data)}, {}

    def create_tree(self, repo, base, body):
        entries = body.get("tree")
        if not isinstance(entries, list):
            raise Answer(422, {"message": "Invalid tree info", "documentation_url": DOCS})
        with tempfile.TemporaryDirectory() as scratch:
            env = {"GIT_INDEX_FILE": os.path.join(scratch, "index")}
            if body.get("base_tree"):
                resolve(repo, body["base_tree"], "tree")
                git(repo, "read-tree", body["base_tree"], env=env)
            else:
                git(repo, "read-tree", "--empty", env=env)
            lines = []
            for entry in entries:
                path, mode = entry.get("path"), entry.get("mode")
                if not path or mode not in ("100644", "100755", "040000", "160000", "120000"):
                    raise Answer(422, {"message": f"tree.path or tree.mode is invalid: {entry}", "documentation_url": DOCS})
                if "sha" in entry and entry["sha"] is None:
                    present = git(repo, "ls-files", "--cached", "--", path, env=env).stdout.strip()
                    if not present:
                        raise Answer(422, {"message": "GitRPC::BadObjectState", "documentation_url": DOCS})
                    lines.append(f"0 {ZERO}\t{path}")
                    continue
                sha = entry.get("sha")
                if "content" in entry:
                    sha = git(repo, "hash-object", "-w", "--stdin", data=entry["content"].encode()).stdout.decode().strip()
                if not sha or git(repo, "cat-file", "-e", sha, check=False).returncode != 0:
                    raise Answer(422, {"message": f"tree.sha {sha} is not a valid blob", "documentation_url": DOCS})
                lines.append(f"{mode} {sha}\t{path}")
            git(repo, "update-index", "--index-info", data=("\n".join(lines) + "\n").encode(), env=env)
            tree = git(repo, "write-tree", env=env).stdout.decode().strip()
        return 201, {"sha": tree, "url": f"{base}/git/trees/{tree}", "truncated": False,
                     "tree": tree_entries(base, repo, tree, False)}, {}

    def create_commit(self, repo, base, body):
        tree, message = body.get("tree"), body.get("message")
        if not tree or message is None:
            raise Answer(422, {"message": "Invalid request.\n\n\"message\", \"tree\" weren't supplied."})
        resolve(repo, tree, "tree")
        args = ["commit-tree", tree]
        for parent in body.get("parents", []):
            resolve(repo, parent, "commit")
            args += ["-p", parent]
        author = body.get("author") or {"name": "web-flow", "email": "noreply@github.com"}
        committer = body.get("committer") or author
        env = {"GIT_AUTHOR_NAME": author["name"], "GIT_AUTHOR_EMAIL": author["email"],
               "GIT_COMMITTER_NAME": committer["name"], "GIT_COMMITTER_EMAIL": committer["email"]}
        if author.get("date"):
            env["GIT_AUTHOR_DATE"] = author["date"]
        if committer.get("date"):
            env["GIT_COMMITTER_DATE"] = committer["date"]
        sha = git(repo, *args, "-F", "-", data=message.encode(), env=env).stdout.decode().strip()
        return 201, commit_json(base, repo, sha), {}

    def update_ref(self, repo, base, branch, body):
        global RACE
        sha = body.get("sha") if body else None
        if not sha:
            raise Answer(422, {"message": "Invalid request.\n\n\"sha\" wasn't supplied."})
        resolve(repo, sha, "commit")
        if RACE:
            command, RACE = RACE, None
            subprocess.run(command, shell=True, check=True)
        current = resolve(repo, "refs/heads/" + branch, "commit")
        if not body.get("force") and git(repo, "merge-base", "--is-ancestor", current, sha, check=False).returncode != 0:
            raise Answer(422, {"message": "Update is not a fast forward", "documentation_url": DOCS})
        git(repo, "update-ref", "refs/heads/" + branch, sha, current)
        return 200, self.ref_json(base, branch, sha), {}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
server.shutdown()
