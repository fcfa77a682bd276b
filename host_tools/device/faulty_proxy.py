"""A TCP proxy that drops and corrupts a seeded fraction of the bytes it forwards.

    proxy = FaultyProxy(drop_rate=0.005, corrupt_rate=0.005, seed=1)
    device = Device.open_qemu(elf, url_wrapper=proxy.wrap)   # host <-> proxy <-> QEMU
    ...
    proxy.close()
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import numpy as np


@dataclass
class FaultyProxy:
    drop_rate: float = 0.005
    corrupt_rate: float = 0.005
    seed: int = 0
    connect_timeout_s: float = 10.0
    dropped: int = field(default=0, init=False)
    corrupted: int = field(default=0, init=False)
    forwarded: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()
        self._lock = threading.Lock()

    def wrap(self, upstream_url: str) -> str:
        """Starts proxying to socket://host:port; returns the URL the host should open."""
        upstream = urlparse(upstream_url)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        self._sockets.append(listener)
        thread = threading.Thread(target=self._serve, daemon=True,
                                  args=(listener, upstream.hostname, upstream.port))
        thread.start()
        self._threads.append(thread)
        return f"socket://127.0.0.1:{listener.getsockname()[1]}"

    def _connect_upstream(self, host: str, port: int) -> socket.socket:
        deadline = time.monotonic() + self.connect_timeout_s
        while True:
            try:
                return socket.create_connection((host, port), timeout=1.0)
            except OSError:
                if time.monotonic() > deadline or self._closed.is_set():
                    raise
                time.sleep(0.05)

    def _serve(self, listener: socket.socket, host: str, port: int) -> None:
        try:
            client, _ = listener.accept()
            upstream = self._connect_upstream(host, port)
        except OSError:
            return
        for sock in (client, upstream):
            sock.settimeout(None)
            # as on the direct link: without it Nagle + delayed ACK add ~40 ms per hop
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets.append(sock)
        for direction, (source, sink) in enumerate(((client, upstream), (upstream, client))):
            rng = np.random.default_rng([self.seed, direction])
            thread = threading.Thread(target=self._pump, args=(source, sink, rng), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _mangle(self, data: bytes, rng: np.random.Generator) -> bytes:
        draw = rng.random(len(data))
        drop = draw < self.drop_rate
        corrupt = (draw >= self.drop_rate) & (draw < self.drop_rate + self.corrupt_rate)
        values = np.frombuffer(data, np.uint8).copy()
        values[corrupt] ^= rng.integers(1, 256, int(corrupt.sum()), dtype=np.uint8)
        with self._lock:
            self.dropped += int(drop.sum())
            self.corrupted += int(corrupt.sum())
            self.forwarded += len(data)
        return values[~drop].tobytes()

    def _pump(self, source: socket.socket, sink: socket.socket, rng: np.random.Generator) -> None:
        try:
            while not self._closed.is_set():
                data = source.recv(4096)
                if not data:
                    break
                sink.sendall(self._mangle(data, rng))
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._closed.set()
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> "FaultyProxy":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
