"""HTTP(S) server for the probe tests, on 127.0.0.1 only.

    probe_server.py PORT_FILE [CERT KEY]

Binds a free port, writes it to PORT_FILE and serves until killed:

    /ok         200 with {"status": "ok", "data": {"items": [{"ok": true}]}}
    /slow       answers after 60 s (a hanging endpoint)
    /reset      closes the connection with a TCP reset
    /error      500
    /wrongbody  200 with a maintenance page
    /json-bad   200 with {"status": "degraded", ...}
"""
import json
import os
import socket
import ssl
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK_BODY = json.dumps({"status": "ok", "data": {"items": [{"ok": True}]}})
BAD_BODY = json.dumps({"status": "degraded", "data": {"items": [{"ok": False}]}})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send_text(self, status, body, kind="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/ok":
            self.send_text(200, OK_BODY)
        elif self.path == "/slow":
            time.sleep(60)
            self.send_text(200, OK_BODY)
        elif self.path == "/reset":
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()
            self.close_connection = True
        elif self.path == "/error":
            self.send_text(500, '{"error": "boom"}')
        elif self.path == "/wrongbody":
            self.send_text(200, "<html>down for maintenance</html>", "text/html")
        elif self.path == "/json-bad":
            self.send_text(200, BAD_BODY)
        else:
            self.send_text(404, "{}")

    def log_message(self, fmt, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if len(sys.argv) == 4:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
