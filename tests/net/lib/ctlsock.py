"""The daemon's control socket from the net tests' Python (one JSON object a
line each way), and the check they share: another client's ping answered
while the daemon works on something big.

    import ctlsock                   # PYTHONPATH=tests/net/lib
    s = ctlsock.connect(path, 30)
    reply = ctlsock.ask(s, {"op": "ping"})
    pings, worst_s = ctlsock.ping_while(path, work, 60)
"""
import json
import socket
import threading
import time


def connect(path, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(timeout)
    return s


def read_line(s, must=True):
    """Bytes up to and with the newline; b"" (or RuntimeError if must) on close."""
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            if must:
                raise RuntimeError("closed")
            break
        buf += chunk
    return buf


def ask(s, obj):
    s.sendall((json.dumps(obj) + "\n").encode())
    return json.loads(read_line(s))


def ping_while(path, work, join_s, timeout=30):
    """Run work() in a thread; until it returns, ping the daemon on a new
    connection every 5 ms (at most 100,000 times), each answer checked.
    Returns (pings, the slowest answer in seconds)."""
    th = threading.Thread(target=work)
    th.start()
    worst, n = 0.0, 0
    while th.is_alive() and n < 100000:
        s = connect(path, timeout)
        t = time.monotonic()
        r = ask(s, {"op": "ping"})
        worst = max(worst, time.monotonic() - t)
        assert r.get("ok") is True, r
        s.close()
        n += 1
        time.sleep(0.005)
    th.join(join_s)
    return n, worst
