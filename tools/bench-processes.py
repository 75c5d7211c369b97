#!/usr/bin/python3
"""Latency among separate chordnode processes on 127.0.0.1.

Starts N `chordnode serve` processes (default 100) forming one ring, then two
`chordnode chat --json` users, alice and bob, on two more processes. Measures, from this
script's clock:
  - find latency: alice's `/find bob#id` written to her stdin until her `found` line
    (a DHT get: a lookup across processes plus the get from the record's holder);
  - chat latency: alice's text written to her stdin until bob prints the `message`.
Both include the pipes between this script and the processes (tens of microseconds).

Usage:
  tools/bench-processes.py [--nodes 100] [--rounds 500] [--chordnode build/release/tools/chordnode]

Every process it starts, it ends (SIGTERM, then SIGKILL) before it exits.
"""

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class Node:
    def __init__(self, argv):
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        os.set_blocking(self.process.stdout.fileno(), False)
        self.buffer = b""

    def lines(self, timeout):
        """Lines that arrive within `timeout` seconds (at least one, if any arrives)."""
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return []
        chunk = self.process.stdout.read() or b""
        self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\n")
        return [line.decode("utf-8", "replace") for line in complete]

    def wait_for(self, needle, timeout=30.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in self.lines(end - time.monotonic()):
                if needle in line:
                    return line
        raise RuntimeError(f"timed out waiting for {needle!r}")

    def send(self, line):
        self.process.stdin.write((line + "\n").encode())
        self.process.stdin.flush()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--chordnode", default="build/release/tools/chordnode")
    args = parser.parse_args()
    nodes = []
    try:
        first = Node([args.chordnode, "serve", "--listen", "127.0.0.1:0", "--new-ring"])
        nodes.append(first)
        entry = first.wait_for("joined the ring").rsplit(" at ", 1)[1]
        for _ in range(args.nodes - 1):
            node = Node(
                [args.chordnode, "serve", "--listen", "127.0.0.1:0", "--bootstrap", entry]
            )
            nodes.append(node)
            node.wait_for("joined the ring")
        time.sleep(10)  # stabilization settles the ring (1 s periods)
        users = {}
        for name in ("alice", "bob"):
            user = Node(
                [args.chordnode, "chat", "--name", name, "--json", "--bootstrap", entry]
            )
            nodes.append(user)
            users[name] = (user, json.loads(user.wait_for('"registered"'))["handle"])
        alice, _ = users["alice"]
        bob, bob_handle = users["bob"]
        time.sleep(2)
        finds = []
        for _ in range(args.rounds):
            start = time.monotonic()
            alice.send(f"/find {bob_handle}")
            alice.wait_for('"found"')
            finds.append((time.monotonic() - start) * 1e6)
        alice.send(f"/chat {bob_handle}")
        alice.wait_for('"opened"')
        chats = []
        for i in range(args.rounds):
            start = time.monotonic()
            alice.send(f"message {i}")
            bob.wait_for('"message"')
            chats.append((time.monotonic() - start) * 1e6)
        print(f"{args.nodes} serve + 2 chat processes on 127.0.0.1, {args.rounds} rounds each")
        for name, values in (("find (DHT get)", finds), ("chat message", chats)):
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            print(f"{name} latency: p50 {p50:.0f} us, p99 {p99:.0f} us")
    finally:
        for node in reversed(nodes):
            node.stop()


if __name__ == "__main__":
    sys.exit(main())
