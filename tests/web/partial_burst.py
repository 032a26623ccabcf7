"""Opens many connections that each send part of a request, then times /healthz.

    partial_burst.py PORT COUNT HOLD_S MODE LIMIT_S

Every connection sends a request line and one header, but not the blank
line that ends the headers. MODE "close" closes them all after HOLD_S
seconds, then checks that no socket of PORT stays in CLOSE-WAIT (the
server has not closed its side) after LIMIT_S seconds. MODE "keep" keeps
them open and checks that the server closes each one within LIMIT_S
seconds. In both modes /healthz must then return 200 within LIMIT_S
seconds. Prints the times measured; exits 1 with a message on the first
failed check.
"""
import socket
import sys
import time
import urllib.request

PARTIAL = b"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
CLOSE_WAIT = "08"  # TCP state number in /proc/net/tcp


def open_partial(port, count):
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(PARTIAL)
        except OSError:
            # The backlog may be full; the connection still counts as tried.
            pass
        socks.append(s)
    return socks


def close_wait_count(port):
    count = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            if local_port == port and fields[3] == CLOSE_WAIT:
                count += 1
    return count


def wait_health(port, limit_s):
    start = time.monotonic()
    url = "http://127.0.0.1:%d/healthz" % port
    while time.monotonic() - start < limit_s:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.1)
    return None


def wait_no_close_wait(port, limit_s):
    start = time.monotonic()
    while close_wait_count(port) > 0:
        if time.monotonic() - start > limit_s:
            return None
        time.sleep(0.1)
    return time.monotonic() - start


def wait_server_closed(socks, limit_s):
    """Returns the seconds until every socket read EOF or an error, or None."""
    start = time.monotonic()
    for s in socks:
        left = limit_s - (time.monotonic() - start)
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            while s.recv(4096):
                pass
        except socket.timeout:
            return None
        except OSError:
            pass
    return time.monotonic() - start


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    hold_s, mode, limit_s = float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
    socks = open_partial(port, count)
    time.sleep(hold_s)
    if mode == "close":
        for s in socks:
            s.close()
        took = wait_no_close_wait(port, limit_s)
        if took is None:
            sys.exit("%d sockets of port %d still in CLOSE-WAIT %.1f s after "
                     "the clients closed" % (close_wait_count(port), port, limit_s))
        print("CLOSE-WAIT gone after %.2f s" % took)
    else:
        took = wait_server_closed(socks, limit_s)
        if took is None:
            sys.exit("the server kept partial connections open longer than "
                     "%.1f s" % (hold_s + limit_s))
        print("partial connections closed by the server %.2f s after the hold"
              % took)
    took = wait_health(port, limit_s)
    if took is None:
        sys.exit("/healthz did not return 200 within %.1f s" % limit_s)
    print("/healthz returned 200 after %.2f s" % took)


if __name__ == "__main__":
    main()
