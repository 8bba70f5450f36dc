#!/usr/bin/env python3
"""Hold N loopback TCP connections (2N sockets) for the sockets benchmark.

Usage: sockets_load.py CONNECTIONS
Spreads the connections over pairs of processes (a server that accepts and
a client that connects, at most 15,000 each: a process here may hold 20,000
descriptors), then starts one more process listening on port 5150. Prints
"ready PIDS..." when everything is open and holds until stdin closes.
Loopback only.
"""
import os, resource, socket, sys

PER_PROCESS = 15000


def raise_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, PER_PROCESS + 1000)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def hold(ready_w):
    os.write(ready_w, b"x")
    os.close(ready_w)
    sys.stdin.read()  # until the parent closes our stdin
    os._exit(0)


def pair(count):
    """A server process and a client process sharing `count` connections."""
    r, w = os.pipe()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4096)
    port = srv.getsockname()[1]
    server = os.fork()
    if server == 0:
        raise_limit()
        os.close(r)
        conns = []
        while len(conns) < count:
            conns.append(srv.accept()[0])
        hold(w)
    client = os.fork()
    if client == 0:
        raise_limit()
        os.close(r)
        srv.close()
        conns = []
        for _ in range(count):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.connect(("127.0.0.1", port))
            conns.append(c)
        hold(w)
    srv.close()
    os.close(w)
    return r, [server, client]


def main():
    total = int(sys.argv[1])
    pids, pipes = [], []
    while total > 0:
        n = min(total, PER_PROCESS)
        r, p = pair(n)
        pipes.append(r)
        pids += p
        total -= n
    # The one port a user asks about, held by the newest process.
    r, w = os.pipe()
    lone = os.fork()
    if lone == 0:
        os.close(r)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 5150))
        s.listen(16)
        hold(w)
    os.close(w)
    pipes.append(r)
    pids.append(lone)
    for r in pipes:
        for _ in range(2 if r != pipes[-1] else 1):
            if os.read(r, 1) != b"x":
                sys.exit("a load process failed")
    print("ready", *pids, flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
