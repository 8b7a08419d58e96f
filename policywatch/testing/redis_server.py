"""A throwaway ``redis-server`` on loopback for tests, the bench and the demo of distributed mode.

Redis cannot pick a free port itself, so a port is taken from the OS (bind to
port 0, close) and Redis is started on it, retrying with a new port when another
process took it in between. No persistence: the data dies with the process.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def redis_binary() -> str | None:
    """Path of redis-server, or None (tests skip: Debian's package is ``redis-server``)."""
    return shutil.which("redis-server")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """``with RedisServer() as server: server.url``; started on 127.0.0.1 with a free port."""

    def __init__(self, host: str = "127.0.0.1", attempts: int = 5) -> None:
        self.host, self.attempts = host, attempts
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="pw-redis-")

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = redis_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install -y redis-server)")
        for _ in range(self.attempts):
            self.port = free_port(self.host)
            log = Path(self._dir.name) / f"redis-{self.port}.log"
            self.proc = subprocess.Popen(
                [binary, "--bind", self.host, "--port", str(self.port), "--save", "", "--appendonly", "no",
                 "--dir", self._dir.name, "--logfile", str(log), "--protected-mode", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_ready():
                return self
            self.proc.kill()
            self.proc.wait()
        raise RuntimeError(f"redis-server did not start on {self.host} after {self.attempts} attempts")

    def _wait_ready(self, timeout: float = 10.0) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:  # exited: most likely the port was taken meanwhile
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._dir.cleanup()

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
