#!/usr/bin/env python3
"""Slow webhook uploads (slowloris): many connections that send a signed-looking request head
and then one body byte a second, never finishing.

Usage: slow-uploads.py PORT COUNT STATUS_FILE
Opens COUNT connections to 127.0.0.1:PORT, prints COUNT on the first line of stdout once all
sent their head, then keeps trickling; STATUS_FILE holds how many the server has answered or
closed so far. Stops when stdin closes.
"""
import socket
import sys
import threading
import time

PORT, COUNT, STATUS = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
HEAD = (
    "POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "X-GitHub-Event: push\r\nX-GitHub-Delivery: slow-{n}\r\n"
    "X-Hub-Signature-256: sha256=" + "0" * 64 + "\r\nContent-Length: 10000000\r\n\r\n"
)
sockets = []
for n in range(COUNT):
    s = socket.create_connection(("127.0.0.1", PORT))
    s.sendall(HEAD.format(n=n).encode())
    s.setblocking(False)
    sockets.append(s)
print(COUNT, flush=True)

ended = set()


def trickle():
    while True:
        for index, s in enumerate(sockets):
            if index in ended:
                continue
            try:
                s.send(b"x")
                if s.recv(4096) is not None:
                    ended.add(index)
            except BlockingIOError:
                pass
            except OSError:
                ended.add(index)
        with open(STATUS, "w") as f:
            f.write(str(len(ended)))
        time.sleep(1)


threading.Thread(target=trickle, daemon=True).start()
sys.stdin.read()
