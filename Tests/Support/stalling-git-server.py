#!/usr/bin/env python3
"""A git remote that never finishes answering, to test that fetches and pushes give up.

Usage: stalling-git-server.py MODE
  silent   accepts connections, reads the request, never answers
  trickle  answers `200 OK` and then one byte every 200 ms, forever
Prints the port (127.0.0.1, a free one) on the first line of stdout; stops when stdin closes.
"""
import socket
import sys
import threading
import time

MODE = sys.argv[1]


def serve(connection):
    try:
        connection.recv(65536)
        if MODE == "trickle":
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack-advertisement\r\n")
            while True:
                connection.sendall(b"X")
                time.sleep(0.2)
        else:
            while connection.recv(65536):
                pass
    except OSError:
        pass
    finally:
        connection.close()


def accept(listener):
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection,), daemon=True).start()


# Above 40000: tests start `jobrunner serve` on random ports from 20000 to 40000, and one of
# them landing on this never-answering port would hang instead of failing.
import random
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
while True:
    try:
        listener.bind(("127.0.0.1", random.randint(40001, 60000)))
        break
    except OSError:
        continue
listener.listen(64)
print(listener.getsockname()[1], flush=True)
threading.Thread(target=accept, args=(listener,), daemon=True).start()
sys.stdin.read()
