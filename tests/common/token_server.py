"""The token service of the test registry (the distribution token auth flow).

Grants what a scope asks for to the one user it knows, and nothing to anyone
else. Tokens are JWTs signed RS256 with the key whose certificate the
registry trusts (its rootcertbundle), the certificate carried in x5c.
Prints the port it listens on, then serves until killed.

usage: token_server.py KEY.pem CERT.pem USER PASSWORD ISSUER
"""

import base64
import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

KEY, CERT, USER, PASSWORD, ISSUER = sys.argv[1:6]
DER = subprocess.run(["openssl", "x509", "-in", CERT, "-outform", "DER"], capture_output=True, check=True).stdout
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(payload: bytes) -> bytes:
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=payload, capture_output=True, check=True).stdout


def token(subject: str, service: str, access: list) -> str:
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(DER).decode()]}
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": subject, "aud": service, "exp": now + 600, "nbf": now - 10, "iat": now,
              "jti": os.urandom(8).hex(), "access": access}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
    return f"{signing_input.decode()}.{b64url(sign(signing_input))}"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        auth = self.headers.get("Authorization")
        if auth is not None and auth != BASIC:
            self.send_response(401)
            self.end_headers()
            return
        access = []
        for scope in query.get("scope", []):
            kind, rest = scope.split(":", 1)
            name, actions = rest.rsplit(":", 1)
            if auth == BASIC:
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        body = json.dumps({"token": token(USER if auth else "", query.get("service", [""])[0], access)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_port, flush=True)
server.serve_forever()
