#!/usr/bin/env python3
"""A local stand-in for the parts of the Kubernetes API server Jobrunner's runner calls. It runs
each Job's container command as a real local process, so what a script printed, how it ended and
how often it ran are real.

Usage: kubernetes-standin.py CONFIG_JSON
Prints the port (127.0.0.1, a free one) on the first line of stdout; stops when stdin closes
(and kills what it still runs).

The REST shapes follow the Kubernetes API reference (https://kubernetes.io/docs/reference/kubernetes-api/):
  POST/GET/LIST/DELETE  /apis/batch/v1/namespaces/{ns}/jobs[/{name}]   (409 AlreadyExists, ?watch=true)
  GET/LIST              /api/v1/namespaces/{ns}/pods[/{name}]           (?labelSelector=, ?watch=true)
  GET                   /api/v1/namespaces/{ns}/pods/{name}/log[?follow=true&container=]
  POST/GET/DELETE       /api/v1/namespaces/{ns}/configmaps[/{name}], /secrets (setup)
  POST/GET              /apis/apps/v1/namespaces/{ns}/deployments[/{name}]
Errors are `Status` objects (kind, apiVersion, status, message, reason, code). Every request needs
`Authorization: Bearer TOKEN`, TOKEN being the current content of the configured token file (so a
test rotates it by rewriting the file); otherwise 401 Unauthorized.

What the Job controller and kubelet would do, done here: a Job gets one pod `{job}-{5 chars}`
labelled `job-name`, `controller-uid`, `batch.kubernetes.io/job-name` and the template's labels; the
pod waits (ContainerCreating) until its ConfigMap volumes exist and its envFrom/env references
resolve (else CreateContainerConfigError); an image containing "does-not-exist" never pulls
(ErrImagePull); then the container command runs with the configMap volumes' files in a temporary
directory standing for the mount path (the path is replaced in the command), `workingDir` as its
directory when it exists here, env/envFrom resolved (Secrets base64-decoded), stdout and stderr
merged into one log as Kubernetes keeps it. It ends: exit 0 → terminated Completed; non-zero →
Error; SIGKILL from outside (the OOM killer's signal) → OOMKilled, exit 137.
`activeDeadlineSeconds` kills the process and fails the Job with reason DeadlineExceeded, deleting
its pod, as the Job controller does; `backoffLimit: 0`: a failed pod fails the Job
(BackoffLimitExceeded), never a second pod. Deleting a Job (Foreground or Background) stops its
pod (SIGTERM, then SIGKILL after terminationGracePeriodSeconds, 30 by default) and deletes the
ConfigMaps it owns (ownerReferences).

Config JSON: {"namespace": "ns", "token_file": "/path", "tls_cert": "/path", "tls_key": "/path",
"restricted_namespaces": ["ns"] (optional)}.
Test controls (not Kubernetes): GET /_standin/runs lists every process started
({job, pod, pid, command, env, cwd, exit_code, started, finished}); POST /_standin/evict/{ns}/{pod}
evicts a pod (killed, phase Failed, reason Evicted, no container status);
GET /_standin/requests lists every request (method, path, status); GET /_standin/refused lists the
pods refused in a namespace of `restricted_namespaces` (config), which enforce the `restricted` Pod
Security Standard as admission does: such a Job is created but gets no pod.
Volumes: configMap and secret keys become files of a directory per volume (a pod waits for a
missing one), other volume types an empty directory; a mount path (with its subPath) is replaced
by that directory in the command and in the environment's values.
"""
import base64
import datetime
import http.server
import json
import os
import random
import signal
import ssl
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

CONFIG = json.load(open(sys.argv[1]))
# Containers start with default signal dispositions, whatever this process inherited.
for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(number, signal.SIG_DFL)
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT])
LOCK = threading.RLock()
CHANGED = threading.Condition(LOCK)
# (group path, namespace) -> {name: object}
STORE = {}
RUNS = []
REQUESTS = []
REFUSED = []  # pods the restricted Pod Security Standard refused
PROCESSES = {}  # pod name -> Popen
LOGS = {}  # pod name -> log file path
VERSION = [1]
WORK = tempfile.mkdtemp(prefix="k8s-standin-")

KINDS = {
    ("apis/batch/v1", "jobs"): "Job",
    ("api/v1", "pods"): "Pod",
    ("api/v1", "configmaps"): "ConfigMap",
    ("api/v1", "secrets"): "Secret",
    ("apis/apps/v1", "deployments"): "Deployment",
}


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def bump(obj):
    VERSION[0] += 1
    obj["metadata"]["resourceVersion"] = str(VERSION[0])
    CHANGED.notify_all()


def objects(group, resource, namespace):
    return STORE.setdefault((group, resource, namespace), {})


def status_object(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


def matches(obj, selector):
    if not selector:
        return True
    labels = obj.get("metadata", {}).get("labels", {}) or {}
    for term in selector.split(","):
        if "=" not in term:
            if term not in labels:
                return False
            continue
        key, value = term.split("=", 1)
        key = key.rstrip("!")
        if labels.get(key) != value:
            return False
    return True


# MARK: - The Job controller and kubelet


def restricted_violations(spec):
    """What the `restricted` Pod Security Standard (v1.31) refuses in a pod spec, as the
    admission controller of a namespace labelled pod-security.kubernetes.io/enforce=restricted."""
    problems = []
    pod_context = spec.get("securityContext", {}) or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            problems.append(f"{field}=true")
    allowed = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
    for volume in spec.get("volumes", []) or []:
        kinds = [k for k in volume if k != "name"]
        if not kinds or kinds[0] not in allowed:
            problems.append(f"volume {volume.get('name')} uses a restricted volume type {kinds}")
    if pod_context.get("runAsUser") == 0:
        problems.append("pod runAsUser=0")
    if pod_context.get("sysctls"):
        problems.append("sysctls")
    for container in (spec.get("containers", []) or []) + (spec.get("initContainers", []) or []):
        context = container.get("securityContext", {}) or {}
        name = container.get("name")
        if context.get("privileged"):
            problems.append(f"container {name} is privileged")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"container {name} must set allowPrivilegeEscalation=false")
        capabilities = context.get("capabilities", {}) or {}
        if "ALL" not in (capabilities.get("drop", []) or []):
            problems.append(f"container {name} must drop ALL capabilities")
        if set(capabilities.get("add", []) or []) - {"NET_BIND_SERVICE"}:
            problems.append(f"container {name} adds capabilities")
        non_root = context.get("runAsNonRoot", pod_context.get("runAsNonRoot"))
        if non_root is not True:
            problems.append(f"container {name} must set runAsNonRoot=true")
        if context.get("runAsUser") == 0:
            problems.append(f"container {name} runAsUser=0")
        seccomp = (context.get("seccompProfile") or pod_context.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"container {name} must set seccompProfile.type to RuntimeDefault or Localhost")
        for port in container.get("ports", []) or []:
            if port.get("hostPort"):
                problems.append(f"container {name} uses hostPort")
    return problems


def create_pod(job):
    meta = job["metadata"]
    ns = meta["namespace"]
    if ns in CONFIG.get("restricted_namespaces", []):
        problems = restricted_violations(job["spec"]["template"]["spec"])
        if problems:
            # The Job controller's pod is refused at admission: the Job stays without a pod.
            REFUSED.append({"job": meta["name"], "namespace": ns, "violations": problems})
            job["status"]["active"] = 0
            return
    suffix = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(5))
    name = f"{meta['name']}-{suffix}"
    template = job["spec"]["template"]
    labels = dict(template.get("metadata", {}).get("labels", {}) or {})
    labels.update({"job-name": meta["name"], "batch.kubernetes.io/job-name": meta["name"],
                   "controller-uid": meta["uid"], "batch.kubernetes.io/controller-uid": meta["uid"]})
    container = template["spec"]["containers"][0]
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": ns, "labels": labels, "uid": str(uuid.uuid4()),
                        "creationTimestamp": now(),
                        "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"],
                                             "uid": meta["uid"], "controller": True}]},
           "spec": json.loads(json.dumps(template["spec"])),
           "status": {"phase": "Pending", "containerStatuses": [
               {"name": container["name"], "image": container["image"], "ready": False, "restartCount": 0,
                "state": {"waiting": {"reason": "ContainerCreating"}}}]}}
    objects("api/v1", "pods", ns)[name] = pod
    bump(pod)
    threading.Thread(target=kubelet, args=(ns, name), daemon=True).start()


def container_status(pod):
    return pod["status"]["containerStatuses"][0]


def resolve_environment(ns, container):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    for source in container.get("envFrom", []) or []:
        if "configMapRef" in source:
            cm = objects("api/v1", "configmaps", ns).get(source["configMapRef"]["name"])
            if cm is None:
                return None, f"configmap \"{source['configMapRef']['name']}\" not found"
            env.update(cm.get("data", {}) or {})
        if "secretRef" in source:
            secret = objects("api/v1", "secrets", ns).get(source["secretRef"]["name"])
            if secret is None:
                return None, f"secret \"{source['secretRef']['name']}\" not found"
            env.update({k: base64.b64decode(v).decode() for k, v in (secret.get("data", {}) or {}).items()})
    for entry in container.get("env", []) or []:
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        elif "valueFrom" in entry:
            ref = entry["valueFrom"]
            if "secretKeyRef" in ref:
                secret = objects("api/v1", "secrets", ns).get(ref["secretKeyRef"]["name"], {})
                value = (secret.get("data", {}) or {}).get(ref["secretKeyRef"]["key"])
                if value is None:
                    return None, f"secret key {ref['secretKeyRef']['key']} not found"
                env[entry["name"]] = base64.b64decode(value).decode()
            elif "configMapKeyRef" in ref:
                cm = objects("api/v1", "configmaps", ns).get(ref["configMapKeyRef"]["name"], {})
                value = (cm.get("data", {}) or {}).get(ref["configMapKeyRef"]["key"])
                if value is None:
                    return None, f"configmap key {ref['configMapKeyRef']['key']} not found"
                env[entry["name"]] = value
        else:
            env[entry["name"]] = ""
    return env, None


def kubelet(ns, name):
    """Starts the pod's container once it can, then records how it ended."""
    while True:
        with LOCK:
            pod = objects("api/v1", "pods", ns).get(name)
            if pod is None:
                return
            spec = pod["spec"]
            container = spec["containers"][0]
            status = container_status(pod)
            missing = [v["configMap"]["name"] for v in spec.get("volumes", []) or []
                       if "configMap" in v and v["configMap"]["name"] not in objects("api/v1", "configmaps", ns)]
            missing += [v["secret"]["secretName"] for v in spec.get("volumes", []) or []
                        if "secret" in v and v["secret"]["secretName"] not in objects("api/v1", "secrets", ns)]
            env, problem = resolve_environment(ns, container)
            if "does-not-exist" in container["image"]:
                if status["state"].get("waiting", {}).get("reason") != "ImagePullBackOff":
                    status["state"] = {"waiting": {"reason": "ImagePullBackOff",
                                                   "message": f"Back-off pulling image \"{container['image']}\""}}
                    bump(pod)
            elif problem and not missing:
                if status["state"].get("waiting", {}).get("reason") != "CreateContainerConfigError":
                    status["state"] = {"waiting": {"reason": "CreateContainerConfigError", "message": problem}}
                    bump(pod)
            elif not missing:
                break
        time.sleep(0.1)
    # Mount the volumes: a directory per volume (configMap and secret keys as files, anything
    # else empty), standing for its mount path in the command and in the environment's values.
    command = list(container.get("command", []) or []) + list(container.get("args", []) or [])
    with LOCK:
        places = {}
        for volume in spec.get("volumes", []) or []:
            directory = os.path.join(WORK, name, volume["name"])
            os.makedirs(directory, exist_ok=True)
            files = {}
            if "configMap" in volume:
                cm = objects("api/v1", "configmaps", ns)[volume["configMap"]["name"]]
                mode = volume["configMap"].get("defaultMode", 0o644)
                files = {k: base64.b64decode(v) for k, v in (cm.get("binaryData", {}) or {}).items()}
                files.update({k: v.encode() for k, v in (cm.get("data", {}) or {}).items()})
            elif "secret" in volume:
                secret = objects("api/v1", "secrets", ns)[volume["secret"]["secretName"]]
                mode = volume["secret"].get("defaultMode", 0o644)
                files = {k: base64.b64decode(v) for k, v in (secret.get("data", {}) or {}).items()}
            for key, value in files.items():
                path = os.path.join(directory, key)
                with open(path, "wb") as f:
                    f.write(value)
                os.chmod(path, mode)
            places[volume["name"]] = directory
        mounts = [(m["mountPath"], os.path.join(places[m["name"]], m.get("subPath", "")).rstrip("/"))
                  for m in container.get("volumeMounts", []) or [] if m["name"] in places]
        for mount_path, directory in sorted(mounts, key=lambda m: -len(m[0])):
            command = [part.replace(mount_path, directory) for part in command]
            env = {k: v.replace(mount_path, directory) for k, v in env.items()}
    cwd = container.get("workingDir")
    if not cwd or not os.path.isdir(cwd):
        cwd = os.path.join(WORK, name)
        os.makedirs(cwd, exist_ok=True)
    log_path = os.path.join(WORK, name + ".log")
    log = open(log_path, "wb")
    with LOCK:
        pod = objects("api/v1", "pods", ns).get(name)
        if pod is None:
            return
        try:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=env, cwd=cwd, start_new_session=True)
        except OSError as error:
            container_status(pod)["state"] = {"waiting": {"reason": "CreateContainerError", "message": str(error)}}
            bump(pod)
            return
        LOGS[name] = log_path
        PROCESSES[name] = process
        run = {"job": pod["metadata"]["labels"]["job-name"], "pod": name, "pid": process.pid, "command": command,
               "env": env, "cwd": cwd, "exit_code": None, "started": time.time(), "finished": None}
        RUNS.append(run)
        started = now()
        pod["status"]["phase"] = "Running"
        pod["status"]["startTime"] = started
        container_status(pod)["state"] = {"running": {"startedAt": started}}
        container_status(pod)["ready"] = True
        bump(pod)
    code = process.wait()
    log.close()
    with LOCK:
        run["exit_code"] = code
        run["finished"] = time.time()
        pod = objects("api/v1", "pods", ns).get(name)
        if pod is None or pod["status"].get("reason") == "Evicted":
            return
        stopped = pod["metadata"].get("deletionTimestamp") is not None
        if code == 0:
            terminated = {"exitCode": 0, "reason": "Completed"}
        elif code == -signal.SIGKILL and not stopped:
            terminated = {"exitCode": 137, "reason": "OOMKilled"}
        elif code < 0:
            terminated = {"exitCode": 128 - code, "reason": "Error"}
        else:
            terminated = {"exitCode": code, "reason": "Error"}
        terminated.update({"startedAt": container_status(pod)["state"].get("running", {}).get("startedAt", now()),
                           "finishedAt": now(), "containerID": f"standin://{run['pid']}"})
        container_status(pod)["state"] = {"terminated": terminated}
        container_status(pod)["ready"] = False
        pod["status"]["phase"] = "Succeeded" if code == 0 else "Failed"
        bump(pod)
        job = objects("apis/batch/v1", "jobs", ns).get(pod["metadata"]["labels"]["job-name"])
        if job is not None and not job["status"].get("conditions"):
            finish_job(job, code == 0, "BackoffLimitExceeded", "Job has reached the specified backoff limit")


def finish_job(job, succeeded, reason, message):
    status = job["status"]
    status["active"] = 0
    if succeeded:
        status["succeeded"] = 1
        status["completionTime"] = now()
        status["conditions"] = [{"type": "Complete", "status": "True", "lastTransitionTime": now()}]
    else:
        status["failed"] = 1
        status["conditions"] = [{"type": "Failed", "status": "True", "reason": reason, "message": message,
                                 "lastTransitionTime": now()}]
    bump(job)


def stop_pod(ns, name, grace):
    """SIGTERM to the container's process group, SIGKILL after the grace period; the pod is then deleted."""
    with LOCK:
        pod = objects("api/v1", "pods", ns).get(name)
        if pod is not None:
            pod["metadata"]["deletionTimestamp"] = now()
            bump(pod)
        process = PROCESSES.get(name)
    if process is not None and process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
    with LOCK:
        objects("api/v1", "pods", ns).pop(name, None)
        CHANGED.notify_all()


def pods_of(ns, job_name):
    return [p for p in objects("api/v1", "pods", ns).values() if p["metadata"]["labels"].get("job-name") == job_name]


def job_controller():
    """Enforces activeDeadlineSeconds as the Job controller does."""
    while True:
        time.sleep(0.1)
        expired = []
        with LOCK:
            for (group, resource, ns), jobs in list(STORE.items()):
                if resource != "jobs":
                    continue
                for job in jobs.values():
                    deadline = job["spec"].get("activeDeadlineSeconds")
                    if deadline is None or job["status"].get("conditions"):
                        continue
                    if time.time() - job["_started"] > deadline:
                        finish_job(job, False, "DeadlineExceeded", "Job was active longer than specified deadline")
                        expired += [(ns, p["metadata"]["name"], 0) for p in pods_of(ns, job["metadata"]["name"])]
        for ns, name, grace in expired:
            threading.Thread(target=stop_pod, args=(ns, name, grace), daemon=True).start()


def delete_job(ns, name, policy):
    """Background: the Job goes at once, its pods after. Foreground: the Job stays (deletionTimestamp,
    finalizer foregroundDeletion) until its pods are gone. Either way the call answers at once."""
    with LOCK:
        job = objects("apis/batch/v1", "jobs", ns).get(name)
        if job is None:
            return None
        pods = pods_of(ns, name)
        job["metadata"]["deletionTimestamp"] = now()
        if policy == "Foreground":
            job["metadata"]["finalizers"] = ["foregroundDeletion"]
        else:
            objects("apis/batch/v1", "jobs", ns).pop(name, None)
        bump(job)

    def remove():
        threads = []
        for pod in pods:
            grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
            thread = threading.Thread(target=stop_pod, args=(ns, pod["metadata"]["name"], grace), daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
        with LOCK:
            objects("apis/batch/v1", "jobs", ns).pop(name, None)
            # The garbage collector: what the Job owned goes with it.
            cms = objects("api/v1", "configmaps", ns)
            for key in [k for k, cm in cms.items()
                        if any(o.get("uid") == job["metadata"]["uid"] for o in cm["metadata"].get("ownerReferences", []) or [])]:
                cms.pop(key)
            CHANGED.notify_all()

    threading.Thread(target=remove, daemon=True).start()
    return job


# MARK: - HTTP


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        REQUESTS.append({"method": self.command, "path": self.path, "status": code, "message": body.get("message") if isinstance(body, dict) and body.get("kind") == "Status" else None})

    def fail(self, code, reason, message):
        self.send_json(code, status_object(code, reason, message))

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null") if length else None

    def authorized(self):
        try:
            token = open(CONFIG["token_file"]).read().strip()
        except OSError:
            token = None
        header = self.headers.get("Authorization", "")
        if token and header == f"Bearer {token}":
            return True
        self.fail(401, "Unauthorized", "Unauthorized")
        return False

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        parts = [urllib.parse.unquote(p) for p in url.path.strip("/").split("/")]
        if parts[:1] == ["_standin"]:
            return ("standin", parts[1:], query)
        # /api/v1/namespaces/ns/res[/name[/sub]] or /apis/g/v/namespaces/ns/res[/name[/sub]]
        if parts[:1] == ["api"]:
            group, rest = "/".join(parts[:2]), parts[2:]
        elif parts[:1] == ["apis"]:
            group, rest = "/".join(parts[:3]), parts[3:]
        else:
            return None
        if len(rest) < 3 or rest[0] != "namespaces":
            return None
        ns, resource = rest[1], rest[2]
        name = rest[3] if len(rest) > 3 else None
        sub = rest[4] if len(rest) > 4 else None
        if (group, resource) not in KINDS:
            return None
        return (group, resource, ns, name, sub, query)

    def authorized_route(self):
        """The request's route, or None once it was answered (401 without the token, 404 unknown)."""
        if not self.authorized():
            return None
        route = self.route()
        if route is None:
            self.fail(404, "NotFound", f"the server could not find the requested resource {self.path}")
        return route

    def do_GET(self):
        route = self.authorized_route()
        if route is None:
            return
        if route[0] == "standin":
            with LOCK:
                if route[1] == ["runs"]:
                    return self.send_json(200, RUNS)
                if route[1] == ["requests"]:
                    return self.send_json(200, REQUESTS)
                if route[1] == ["refused"]:
                    return self.send_json(200, REFUSED)
            return self.fail(404, "NotFound", "no such control")
        group, resource, ns, name, sub, query = route
        if sub == "log" and resource == "pods":
            return self.log(ns, name, query)
        if name is None and query.get("watch") in ("true", "1"):
            return self.watch(group, resource, ns, query)
        with LOCK:
            if name is None:
                items = [o for o in objects(group, resource, ns).values() if matches(o, query.get("labelSelector"))]
                clean = [{k: v for k, v in o.items() if not k.startswith("_")} for o in items]
                return self.send_json(200, {"kind": KINDS[(group, resource)] + "List", "apiVersion": group.split("/", 1)[-1],
                                            "metadata": {"resourceVersion": str(VERSION[0])}, "items": clean})
            obj = objects(group, resource, ns).get(name)
            if obj is None:
                return self.fail(404, "NotFound", f"{resource} \"{name}\" not found")
            return self.send_json(200, {k: v for k, v in obj.items() if not k.startswith("_")})

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def log(self, ns, name, query):
        with LOCK:
            pod = objects("api/v1", "pods", ns).get(name)
            path = LOGS.get(name)
            if pod is None:
                return self.fail(404, "NotFound", f"pods \"{name}\" not found")
            if path is None:
                return self.fail(400, "BadRequest",
                                 f"container \"script\" in pod \"{name}\" is waiting to start: ContainerCreating")
        follow = query.get("follow") in ("true", "1")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        REQUESTS.append({"method": "GET", "path": self.path, "status": 200})
        try:
            with open(path, "rb") as f:
                while True:
                    data = f.read(65536)
                    if data:
                        self.chunk(data)
                        continue
                    process = PROCESSES.get(name)
                    with LOCK:
                        gone = name not in objects("api/v1", "pods", ns)
                    if not follow or gone or process is None or process.poll() is not None:
                        rest = f.read()
                        if rest:
                            self.chunk(rest)
                        break
                    time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def watch(self, group, resource, ns, query):
        """Watch events as Kubernetes streams them: one JSON object per line."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        REQUESTS.append({"method": "GET", "path": self.path, "status": 200})
        seen = {}
        deadline = time.time() + float(query.get("timeoutSeconds", 300))
        try:
            while time.time() < deadline:
                events = []
                with LOCK:
                    current = {n: o for n, o in objects(group, resource, ns).items() if matches(o, query.get("labelSelector"))}
                    for n, o in current.items():
                        version = o["metadata"]["resourceVersion"]
                        if n not in seen:
                            events.append(("ADDED", o))
                        elif seen[n] != version:
                            events.append(("MODIFIED", o))
                        seen[n] = version
                    for n in [n for n in seen if n not in current]:
                        events.append(("DELETED", {"metadata": {"name": n, "namespace": ns}}))
                        del seen[n]
                    payload = b"".join(json.dumps({"type": t, "object": {k: v for k, v in o.items() if not k.startswith("_")}}).encode() + b"\n"
                                       for t, o in events)
                if payload:
                    self.chunk(payload)
                with LOCK:
                    CHANGED.wait(timeout=0.5)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_POST(self):
        route = self.authorized_route()
        if route is None:
            return
        if route[0] == "standin":
            if len(route[1]) == 3 and route[1][0] == "evict":
                return self.evict(route[1][1], route[1][2])
            return self.fail(404, "NotFound", "no such control")
        group, resource, ns, name, sub, query = route
        obj = self.body()
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict) or not obj["metadata"].get("name"):
            return self.fail(422, "Invalid", f"{KINDS[(group, resource)]}: metadata.name: Required value")
        name = obj["metadata"]["name"]
        with LOCK:
            existing = objects(group, resource, ns)
            if name in existing:
                return self.fail(409, "AlreadyExists", f"{resource} \"{name}\" already exists")
            if resource == "jobs":
                spec = obj.get("spec", {})
                template = spec.get("template", {}).get("spec", {})
                if template.get("restartPolicy") not in ("Never", "OnFailure"):
                    return self.fail(422, "Invalid", "spec.template.spec.restartPolicy: Unsupported value")
                if not template.get("containers"):
                    return self.fail(422, "Invalid", "spec.template.spec.containers: Required value")
            obj["metadata"].update({"namespace": ns, "uid": str(uuid.uuid4()), "creationTimestamp": now()})
            obj.setdefault("status", {})
            if resource == "jobs":
                obj["status"] = {"active": 1, "startTime": now()}
                obj["_started"] = time.time()
            existing[name] = obj
            bump(obj)
            if resource == "jobs":
                create_pod(obj)
            return self.send_json(201, {k: v for k, v in obj.items() if not k.startswith("_")})

    def evict(self, ns, name):
        with LOCK:
            pod = objects("api/v1", "pods", ns).get(name)
            if pod is None:
                return self.fail(404, "NotFound", f"pods \"{name}\" not found")
            pod["status"].update({"phase": "Failed", "reason": "Evicted",
                                  "message": "The node was low on resource: memory. Container script was using 900Mi."})
            pod["status"]["containerStatuses"][0]["state"] = {}
            bump(pod)
            process = PROCESSES.get(name)
            job = objects("apis/batch/v1", "jobs", ns).get(pod["metadata"]["labels"]["job-name"])
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with LOCK:
            if job is not None and not job["status"].get("conditions"):
                finish_job(job, False, "BackoffLimitExceeded", "Job has reached the specified backoff limit")
        return self.send_json(201, {"kind": "Status", "status": "Success"})

    def do_DELETE(self):
        route = self.authorized_route()
        if route is None:
            return
        if route[0] == "standin" or route[3] is None:
            return self.fail(404, "NotFound", f"the server could not find the requested resource {self.path}")
        group, resource, ns, name, sub, query = route
        options = self.body() or {}
        policy = query.get("propagationPolicy") or options.get("propagationPolicy") or "Background"
        if resource == "jobs":
            job = delete_job(ns, name, policy)
            if job is None:
                return self.fail(404, "NotFound", f"jobs.batch \"{name}\" not found")
            return self.send_json(200, {k: v for k, v in job.items() if not k.startswith("_")})
        with LOCK:
            obj = objects(group, resource, ns).pop(name, None)
            CHANGED.notify_all()
        if obj is None:
            return self.fail(404, "NotFound", f"{resource} \"{name}\" not found")
        return self.send_json(200, obj)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
if CONFIG.get("tls_cert"):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CONFIG["tls_cert"], CONFIG["tls_key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
threading.Thread(target=job_controller, daemon=True).start()
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
for process in list(PROCESSES.values()):
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
