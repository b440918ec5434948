"""A local stand-in for a browser's push service (RFC 8030) on loopback: it takes a push for a
subscription it made, checks the VAPID header names the server's key, decrypts the aes128gcm
payload with the browser's private key (RFC 8291) and keeps it; a subscription marked gone
answers 410, as a push service does once the browser unsubscribed."""

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Browser:
    name: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    endpoint: str

    @property
    def subscription(self) -> dict:
        public = self.private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}


@dataclass
class PushService:
    url: str = ""
    browsers: dict[str, Browser] = field(default_factory=dict)
    received: list[dict] = field(default_factory=list)  # {"browser", "payload", "vapid_key", "ttl"}
    gone: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def browser(self, name: str) -> Browser:
        made = Browser(name, ec.generate_private_key(ec.SECP256R1()), os.urandom(16), f"{self.url}/push/{name}")
        self.browsers[name] = made
        return made


def serve(service: PushService) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            name = self.path.rsplit("/", 1)[-1]
            browser = service.browsers.get(name)
            if browser is None or name in service.gone:
                self.send_response(410 if name in service.gone else 404)
                self.end_headers()
                return
            authorization = self.headers.get("Authorization", "")  # "vapid t=<jwt>, k=<public key>"
            vapid_key = authorization.split("k=", 1)[-1].strip() if authorization.startswith("vapid ") else ""
            payload = http_ece.decrypt(
                body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
            )
            with service.lock:
                service.received.append(
                    {
                        "browser": name,
                        "payload": json.loads(payload),
                        "vapid_key": vapid_key,
                        "ttl": self.headers.get("TTL"),
                    }
                )
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    service.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
