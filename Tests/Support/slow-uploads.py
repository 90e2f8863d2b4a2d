#!/usr/bin/env python3
"""Slow webhook uploads (slowloris): many connections that send a signed-looking request head
and then one body byte a second, never finishing.

Usage: slow-uploads.py PORT COUNT STATUS_FILE [FIRST_BYTES]
Opens COUNT connections to 127.0.0.1:PORT, sends each request head and FIRST_BYTES body bytes
(default 0), prints COUNT on the first line of stdout once all did, then keeps trickling one byte
a second; STATUS_FILE holds how many the server has answered or closed so far, then the status
codes of the answers, space-separated. Stops when stdin closes.
"""
import socket
import sys
import threading
import time

PORT, COUNT, STATUS = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
FIRST = int(sys.argv[4]) if len(sys.argv) > 4 else 0
HEAD = (
    "POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "X-GitHub-Event: push\r\nX-GitHub-Delivery: slow-{n}\r\n"
    "X-Hub-Signature-256: sha256=" + "0" * 64 + "\r\nContent-Length: 10000000\r\n\r\n"
)
sockets = []
for n in range(COUNT):
    s = socket.create_connection(("127.0.0.1", PORT))
    s.sendall(HEAD.format(n=n).encode() + b"x" * FIRST)
    s.setblocking(False)
    sockets.append(s)
print(COUNT, flush=True)

ended = set()
statuses = []


def trickle():
    while True:
        for index, s in enumerate(sockets):
            if index in ended:
                continue
            try:
                s.send(b"x")
                answer = s.recv(4096)
                ended.add(index)
                if answer.startswith(b"HTTP/1.1 "):
                    statuses.append(answer[9:12].decode())
            except BlockingIOError:
                pass
            except OSError:
                ended.add(index)
        with open(STATUS, "w") as f:
            f.write(" ".join([str(len(ended))] + statuses))
        time.sleep(1)


threading.Thread(target=trickle, daemon=True).start()
sys.stdin.read()
