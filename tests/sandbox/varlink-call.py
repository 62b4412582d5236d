#!/usr/bin/python3
"""One varlink call on a unix socket, its reply printed as received.

    varlink-call.py SOCKET METHOD PARAMETERS-JSON
"""
import json
import socket
import sys

path, method, parameters = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
connection = socket.socket(socket.AF_UNIX)
connection.connect(path)
connection.sendall(json.dumps({"method": method, "parameters": parameters}).encode() + b"\0")
reply = b""
while not reply.endswith(b"\0"):
    chunk = connection.recv(4096)
    if not chunk:
        break
    reply += chunk
print(reply.rstrip(b"\0").decode())
