"""Holds connections that each send their request one byte a second.

    drip.py PORT COUNT LIMIT_S

Opens COUNT connections to PORT on 127.0.0.1 and on each sends the bytes
of a request whose headers never end, one byte per connection every
second, so that none of them is ever idle. Prints "open N" once the
connections are open, then one line "closed SECONDS" for each connection
the server closes, with the seconds since it opened. Stops after LIMIT_S
seconds, or once the server has closed every connection, and prints
"left N" with the count still open.
"""
import socket
import sys
import time

REQUEST = b"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "
PAD = b"a"


def main():
    port, count, limit_s = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    start = time.monotonic()
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        socks.append(s)
    print("open %d" % len(socks), flush=True)

    sent = 0
    while socks and time.monotonic() - start < limit_s:
        byte = REQUEST[sent:sent + 1] if sent < len(REQUEST) else PAD
        sent += 1
        for s in list(socks):
            try:
                s.sendall(byte)
                s.setblocking(False)
                try:
                    closed = s.recv(4096) == b""
                except BlockingIOError:
                    closed = False
                s.setblocking(True)
            except OSError:
                closed = True
            if closed:
                print("closed %.1f" % (time.monotonic() - start), flush=True)
                s.close()
                socks.remove(s)
        time.sleep(1)
    print("left %d" % len(socks), flush=True)
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
