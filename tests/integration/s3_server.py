#!/usr/bin/python3
"""A minimal S3-style PUT endpoint on 127.0.0.1 for churn export's tests.

Answers the first --fail PUTs with HTTP 500. Every later PUT must carry
an AWS Signature Version 4 that botocore's S3SigV4Auth computes the same
from the request with --access and --secret (else 403 with the S3 code
SignatureDoesNotMatch), and an x-amz-content-sha256 equal to the SHA-256
of the body (else 400 with XAmzContentSHA256Mismatch); then the body is
stored as DIR/object and the response is 200. Each request is logged as
one JSON line to DIR/requests.jsonl.

Usage: s3_server.py PORT_FILE DIR --access KEY --secret KEY
                    [--region us-east-1] [--fail N]
"""
import argparse
import hashlib
import http.server
import json
import os
import sys

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ARGS = None
STATE = {"puts": 0}


def parse_authorization(value):
    """Returns the credential scope, signed headers and signature."""
    algorithm, _, rest = value.partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        return None
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    return fields.get("Credential"), fields.get("SignedHeaders"), \
        fields.get("Signature")


def expected_signature(handler, body, signed_headers):
    """Signs the request as received, with the server's own secret."""
    headers = {name: handler.headers[name]
               for name in signed_headers.split(";")}
    url = "http://%s%s" % (handler.headers["Host"], handler.path)
    request = AWSRequest(method="PUT", url=url, headers=headers, data=body)
    request.context["timestamp"] = handler.headers["X-Amz-Date"]
    auth = S3SigV4Auth(Credentials(ARGS.access, ARGS.secret), "s3",
                       ARGS.region)
    canonical = auth.canonical_request(request)
    to_sign = auth.string_to_sign(request, canonical)
    return auth.signature(to_sign, request)


def s3_error(code):
    return ("<?xml version=\"1.0\"?><Error><Code>%s</Code></Error>" %
            code).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body=b"", log=None):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        entry = {"status": status, "path": self.path,
                 "signed_headers": None}
        entry.update(log or {})
        with open(os.path.join(ARGS.dir, "requests.jsonl"), "a") as f:
            f.write(json.dumps(entry) + "\n")

    def check(self, body):
        """Returns the status and S3 error code of a signed PUT."""
        auth = parse_authorization(self.headers.get("Authorization", ""))
        if auth is None or None in auth:
            return 403, "AccessDenied", None
        credential, signed, signature = auth
        if not credential.startswith(ARGS.access + "/"):
            return 403, "InvalidAccessKeyId", signed
        if expected_signature(self, body, signed) != signature:
            return 403, "SignatureDoesNotMatch", signed
        digest = hashlib.sha256(body).hexdigest()
        if self.headers.get("x-amz-content-sha256") != digest:
            return 400, "XAmzContentSHA256Mismatch", signed
        return 200, None, signed

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        STATE["puts"] += 1
        if STATE["puts"] <= ARGS.fail:
            self.reply(500, s3_error("InternalError"))
            return
        status, code, signed = self.check(body)
        if status != 200:
            self.reply(status, s3_error(code), {"signed_headers": signed,
                                                "code": code})
            return
        with open(os.path.join(ARGS.dir, "object"), "wb") as f:
            f.write(body)
        self.reply(200, log={"signed_headers": signed,
                             "content_type": self.headers["Content-Type"]})

    def log_message(self, fmt, *args):
        sys.stderr.write("s3_server: " + fmt % args + "\n")


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("port_file")
    ap.add_argument("dir")
    ap.add_argument("--access", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--fail", type=int, default=0)
    ARGS = ap.parse_args()
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
