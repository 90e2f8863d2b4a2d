"""Waiting for a file or directory to change without polling: Linux inotify through ctypes, so
the benchmark wakes within microseconds of a write and burns no CPU the measured service needs."""
import ctypes
import os
import select
import time

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
IN_MODIFY = 0x002
IN_CLOSE_WRITE = 0x008
IN_MOVED_TO = 0x080
IN_CREATE = 0x100


class FileWatch:
    def __init__(self, path, mask):
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0 or _libc.inotify_add_watch(self.fd, path.encode(), mask) < 0:
            raise OSError(ctypes.get_errno(), f"inotify on {path}")

    def wait_until(self, condition, timeout):
        """Returns the wall-clock time at which `condition()` was first seen true."""
        deadline = time.monotonic() + timeout
        while True:
            if condition():
                return time.time()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the awaited change did not happen in time")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    while os.read(self.fd, 65536):
                        pass
                except BlockingIOError:
                    pass

    def close(self):
        os.close(self.fd)
