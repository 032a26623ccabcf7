#!/usr/bin/env python3
"""A webhook receiver for the alert tests, listening on 127.0.0.1 only.

Every request is appended to the log file as one JSON line: arrival time,
method, path, headers and body. The answers follow --plan, a comma-separated
list of steps, and are 200 once the plan is used up:

  500      answer 500 once          500x3    answer 500 three times
  429:3    answer 429 with "Retry-After: 3"
  429d:3   answer 429 with Retry-After as an HTTP date 3 s ahead
  sleep:2  wait 2 s, then answer 200

The port (0 picks a free one) is written to --port-file once the server
listens. The test stops the server by its pid.
"""
import argparse
import email.utils
import http.server
import json
import os
import sys
import time


def parse_plan(text):
    steps = []
    for item in filter(None, (text or "").split(",")):
        count = 1
        if "x" in item and item.split("x")[1].isdigit():
            item, count = item.split("x")[0], int(item.split("x")[1])
        steps.extend([item] * count)
    return steps


class Handler(http.server.BaseHTTPRequestHandler):
    plan = []
    log_path = None

    def log_message(self, fmt, *args):
        pass

    def record(self, body):
        entry = {
            "t": time.time(),
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "body_bytes": len(body),
            "utf8": True,
        }
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            entry["utf8"] = False
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def answer(self):
        step = Handler.plan.pop(0) if Handler.plan else "200"
        headers = {}
        if step.startswith("sleep:"):
            time.sleep(float(step[6:]))
            step = "200"
        if step.startswith("429d:"):
            when = time.time() + float(step[5:])
            headers["Retry-After"] = email.utils.formatdate(when, usegmt=True)
            step = "429"
        elif ":" in step:
            step, headers["Retry-After"] = step.split(":", 1)
        status = int(step)
        payload = b"ok" if status < 300 else b"mock failure"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.record(self.rfile.read(length))
        self.answer()

    def do_GET(self):
        self.record(b"")
        self.answer()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--plan", default="")
    args = p.parse_args()
    Handler.plan = parse_plan(args.plan)
    Handler.log_path = args.log
    server = http.server.HTTPServer(("127.0.0.1", args.port), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
