#!/usr/bin/python3
"""todo-owner, as a gauntlet plugin written in Python.

The same analyzer as ../todo-owner (TODO comments that name no owner, in
Go, Python and JavaScript files), served over gauntlet's plugin protocol
with grpcio, to show authors in other languages what a plugin must do:

1. check the magic cookie GAUNTLET_PLUGIN=gauntlet.plugin.v1.Analyzer and
   that PLUGIN_PROTOCOL_VERSIONS offers version 1;
2. serve the gauntlet.plugin.v1.Analyzer service (gen/ holds the stubs
   generated from analyzer.proto) and the gRPC health service, reporting
   "plugin" as SERVING;
3. with mutual TLS: gauntlet passes its client certificate in
   PLUGIN_CLIENT_CERT; answer with a self-signed server certificate for
   "localhost" and accept only that client;
4. print the handshake line `1|1|unix|SOCKET|grpc|CERT` as the very first
   line of standard output, CERT being the server certificate's DER in
   base64 without padding; then serve until killed.

Its standard input is empty and its stderr goes to gauntlet's log.
Needs Debian's python3-grpcio, python3-protobuf and python3-cryptography
(hence /usr/bin/python3 above).
"""

import base64
import datetime
import os
import re
import sys
import tempfile
from concurrent import futures

sys.dont_write_bytecode = True  # keep the example directory clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "gen"))

import grpc  # noqa: E402
from gauntlet.plugin.v1 import analyzer_pb2 as pb  # noqa: E402
from gauntlet.plugin.v1 import analyzer_pb2_grpc as pb_grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402

MAGIC_COOKIE_KEY = "GAUNTLET_PLUGIN"
MAGIC_COOKIE_VALUE = "gauntlet.plugin.v1.Analyzer"
PROTOCOL_VERSION = 1
NAME = "todo-owner"
LANGUAGES = ["go", "python", "javascript"]
MESSAGE = "TODO names no owner: write TODO(name)"


# The analyzer ---------------------------------------------------------------

def comments(content, language):
    """Yield the (start, end) byte ranges of the comments in content."""
    n, i = len(content), 0
    line = b"#" if language == "python" else b"//"
    while i < n:
        c = content[i:i + 1]
        if content.startswith(line, i):
            j = content.find(b"\n", i)
            j = n if j < 0 else j
            yield i, j
            i = j
        elif language != "python" and content.startswith(b"/*", i):
            j = content.find(b"*/", i + 2)
            j = n if j < 0 else j + 2
            yield i, j
            i = j
        elif language == "python" and (content.startswith(b'"""', i) or content.startswith(b"'''", i)):
            j = content.find(content[i:i + 3], i + 3)
            i = n if j < 0 else j + 3
        elif c in (b'"', b"'") or (c == b"`" and language != "python"):
            raw = c == b"`" and language == "go"  # Go raw strings have no escapes
            i += 1
            while i < n:
                ch = content[i:i + 1]
                if ch == b"\\" and not raw:
                    i += 2
                    continue
                i += 1
                if ch == c or (ch == b"\n" and c != b"`"):
                    break  # an unterminated string ends with its line
        else:
            i += 1


TODO = re.compile(rb"(?<![A-Za-z0-9_])TODO(?![A-Za-z0-9_])")
OWNER = re.compile(rb"\(\s*[^)\s\n][^)\n]*\)")


def todo_owner(content, language):
    """Yield (start, end) of each TODO without an owner."""
    for start, end in comments(content, language):
        text = content[start:end]
        for m in TODO.finditer(text):
            if not OWNER.match(text, m.end()):
                yield start + m.start(), start + m.end()


# The service ----------------------------------------------------------------

class Analyzer(pb_grpc.AnalyzerServicer):
    def Describe(self, request, context):
        return pb.DescribeResponse(name=NAME + "-python", version="1.0.0", analyzers=[pb.AnalyzerInfo(
            name=NAME,
            doc="report TODO comments that name no owner (Python example)",
            languages=LANGUAGES,
            severity=pb.SEVERITY_WARNING,
        )])

    def Analyze(self, request, context):
        resp = pb.AnalyzeResponse()
        if request.analyzers and NAME not in request.analyzers:
            return resp
        for f in request.files:
            if f.language not in LANGUAGES:
                continue
            for start, end in todo_owner(f.content, f.language):
                resp.diagnostics.add(analyzer=NAME, path=f.path, start=start, end=end,
                                     severity=pb.SEVERITY_WARNING, code=NAME, message=MESSAGE)
        return resp


class Health(health_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


# The handshake --------------------------------------------------------------

def server_credentials(client_cert_pem):
    """A one-time self-signed certificate for localhost, and credentials that
    accept only the client whose certificate gauntlet sent."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=True,
                                     key_agreement=True, content_commitment=False, data_encipherment=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    creds = grpc.ssl_server_credentials([(key_pem, cert_pem)], root_certificates=client_cert_pem, require_client_auth=True)
    der = cert.public_bytes(serialization.Encoding.DER)
    return creds, base64.b64encode(der).decode().rstrip("=")


def main():
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print("This is a gauntlet plugin: name it in .gauntlet.yaml rather than running it.", file=sys.stderr)
        return 1
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", str(PROTOCOL_VERSION)).split(",")
    if str(PROTOCOL_VERSION) not in versions:
        print(f"gauntlet offers protocol versions {versions}; this plugin speaks {PROTOCOL_VERSION}", file=sys.stderr)
        return 1

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb_grpc.add_AnalyzerServicer_to_server(Analyzer(), server)
    health_pb2_grpc.add_HealthServicer_to_server(Health(), server)

    sock_dir = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or tempfile.mkdtemp(prefix="todo-owner-")
    sock = os.path.join(sock_dir, f"plugin-{os.getpid()}.sock")
    client_cert = os.environ.get("PLUGIN_CLIENT_CERT", "")
    cert = ""
    if client_cert:
        creds, cert = server_credentials(client_cert.encode())
        server.add_secure_port("unix:" + sock, creds)
    else:
        server.add_insecure_port("unix:" + sock)
    server.start()

    print(f"1|{PROTOCOL_VERSION}|unix|{sock}|grpc|{cert}", flush=True)
    server.wait_for_termination()
    return 0


if __name__ == "__main__":
    sys.exit(main())
