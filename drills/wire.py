"""A network link in user space: two TAP devices and a process that carries Ethernet frames
between them, delaying and dropping as ``tc qdisc ... netem delay D loss L`` would.

The drills' hosts (drills/hosts.py) are Linux network namespaces joined by veth links; a
kernel without the ``sch_netem`` module (this project's build machine has none, and no tc
classifier or action either) cannot delay or drop on a veth. A wire replaces one veth: its
two ends are TAP devices this process opened before they were moved into their namespaces,
and every frame read on one end is written to the other after the configured delay, or
dropped with the configured probability. The link's figures live in a small JSON file this
process reads again whenever it changes::

    {"out": {"delay_ms": 200, "loss": 0.05}, "back": {"delay_ms": 0, "loss": 0}}

``out`` is the direction from end A to end B (a worker towards the database), ``back`` the
other. Frames keep their order within a direction (netem without jitter does too).

    python drills/wire.py CONTROL_JSON TAP_A TAP_B
"""

from __future__ import annotations

import fcntl
import heapq
import json
import os
import random
import select
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
MAX_FRAME = 65_536


@dataclass
class Direction:
    delay: float = 0.0  # seconds
    loss: float = 0.0   # probability a frame is dropped

    @classmethod
    def parse(cls, found: object) -> Direction:
        values = found if isinstance(found, dict) else {}
        return cls(float(values.get("delay_ms", 0)) / 1000, float(values.get("loss", 0)))


def attach(name: str) -> int:
    """Open an existing TAP device ``name`` (``ip tuntap add dev NAME mode tap``)."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


class Wire:
    def __init__(self, control: Path, a: int, b: int, seed: int = 7) -> None:
        self.control = control
        self.a, self.b = a, b
        self.rng = random.Random(seed)
        self.out = Direction()
        self.back = Direction()
        self.mtime = 0.0
        self.queue: list[tuple[float, int, int, bytes]] = []  # (due, seq, fd to, frame)
        self.seq = 0
        self.carried = 0
        self.dropped = 0

    def reload(self) -> None:
        try:
            mtime = self.control.stat().st_mtime
        except OSError:
            return
        if mtime == self.mtime:
            return
        self.mtime = mtime
        try:
            found = json.loads(self.control.read_text() or "{}")
        except (OSError, ValueError):
            return
        self.out = Direction.parse(found.get("out"))
        self.back = Direction.parse(found.get("back"))

    def receive(self, source: int) -> None:
        to, direction = (self.b, self.out) if source == self.a else (self.a, self.back)
        while True:
            try:
                frame = os.read(source, MAX_FRAME)
            except BlockingIOError:
                return
            except OSError:  # the device is down or gone
                return
            if direction.loss and self.rng.random() < direction.loss:
                self.dropped += 1
                continue
            self.seq += 1
            heapq.heappush(self.queue, (time.monotonic() + direction.delay, self.seq, to, frame))

    def flush(self) -> None:
        now = time.monotonic()
        while self.queue and self.queue[0][0] <= now:
            _, _, to, frame = heapq.heappop(self.queue)
            try:
                os.write(to, frame)
                self.carried += 1
            except OSError:  # the far end is down: the frame is lost, as on a cable
                self.dropped += 1

    def run(self) -> None:
        last_reload = 0.0
        while True:
            now = time.monotonic()
            if now - last_reload > 0.2:
                self.reload()
                last_reload = now
            timeout = 0.2 if not self.queue else max(0.0, min(0.2, self.queue[0][0] - now))
            ready, _, _ = select.select([self.a, self.b], [], [], timeout)
            for fd in ready:
                self.receive(fd)
            self.flush()


def main() -> int:
    control, tap_a, tap_b = sys.argv[1:4]
    wire = Wire(Path(control), attach(tap_a), attach(tap_b))
    print("attached", flush=True)  # the harness moves the devices into namespaces after this
    wire.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
