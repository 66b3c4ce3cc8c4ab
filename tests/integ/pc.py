#!/usr/bin/env python3
"""A raw protocol client for tests/integ/daemon.sh (man ctxd, PROTOCOL).

pc.py SOCK req      send hello, then each stdin line as is; print each
                    response as sorted compact JSON, one a line.  A stdin
                    line "@LONG:N" sends N bytes of 'x' and a newline.
pc.py SOCK raw      like req without the hello.
pc.py SOCK slow GO  hello, subscribe to everything, print "subscribed",
                    then read nothing until the file GO exists; then read to
                    the end and print "events N", the last error code seen
                    (or "none"), and "eof".
pc.py SOCK probe    print "ok" when a connect succeeds, else its errno name.
pc.py SOCK peer     connect and print the first line received, or "EOF",
                    or the connect error's errno name.
pc.py SOCK notify   (SOCK is a NOTIFY_SOCKET path) print each sd_notify
                    datagram's lines until STOPPING=1.
"""
import errno
import json
import os
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    return s


def responses(f):
    while True:
        line = f.readline()
        if not line:
            return
        m = json.loads(line)
        if "event" in m:
            continue
        yield m


def show(m):
    print(json.dumps(m, sort_keys=True, separators=(",", ":")), flush=True)


def req(path, hello):
    s = connect(path)
    f = s.makefile("rb")
    r = responses(f)
    if hello:
        s.sendall(b'{"id":0,"cmd":"hello","version":"1.0"}\n')
        next(r)
    for line in sys.stdin.buffer:
        line = line.rstrip(b"\n")
        if line.startswith(b"@LONG:"):
            line = b"x" * int(line[6:])
        s.sendall(line + b"\n")
        show(next(r))


def slow(path, go):
    s = connect(path)
    s.sendall(b'{"id":0,"cmd":"hello","version":"1.0"}\n'
              b'{"id":1,"cmd":"subscribe"}\n')
    f = s.makefile("rb")
    got = 0
    while got < 2:
        if "id" in json.loads(f.readline()):
            got += 1
    print("subscribed", flush=True)
    while not os.path.exists(go):
        time.sleep(0.05)
    n, last = 0, "none"
    for line in f:
        n += 1
        if b'"error"' in line and line.endswith(b"\n"):
            try:
                last = json.loads(line)["error"]["code"]
            except ValueError:
                pass
    print("events", n)
    print(last)
    print("eof")


def probe(path):
    try:
        connect(path).close()
        print("ok")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))


def peer(path):
    try:
        s = connect(path)
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))
        return
    line = s.makefile("rb").readline()
    print(line.decode().strip() if line else "EOF")


def notify(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(30)
    print("listening", flush=True)
    while True:
        msg = s.recv(4096).decode()
        for line in msg.splitlines():
            print(line, flush=True)
        if "STOPPING=1" in msg:
            return


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if mode in ("req", "raw"):
        req(path, mode == "req")
    elif mode == "slow":
        slow(path, sys.argv[3])
    elif mode == "probe":
        probe(path)
    elif mode == "peer":
        peer(path)
    elif mode == "notify":
        notify(path)


if __name__ == "__main__":
    main()
