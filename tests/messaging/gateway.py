"""A local stand-in for SMS.ru: a real HTTP server on loopback that speaks its API (sms/send,
sms/status, my/balance, JSON answers and status codes), keeps what it was sent, and can be told to
refuse, to be busy for a while, or to be slow."""

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Gateway:
    url: str = ""
    api_id: str = "test-api-id"
    sent: list[dict] = field(default_factory=list)  # what it accepted, in order
    requests: int = 0
    refuse_with: int = 0  # a status code to answer sms/send with (202: bad number, 220: busy)
    busy_times: int = 0  # answer 220 this many times, then accept
    slow: float = 0.0  # seconds before answering
    delivered: set[str] = field(default_factory=set)
    balance: str = "4762.58"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, form: dict) -> dict:
        if form.get("api_id") != self.api_id:
            return {"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"}
        if path == "/my/balance":
            return {"status": "OK", "status_code": 100, "balance": float(self.balance)}
        if path == "/sms/status":
            sms_id = form.get("sms_id", "")
            code = 103 if sms_id in self.delivered else 102 if any(s["sms_id"] == sms_id for s in self.sent) else -1
            return {"status": "OK", "status_code": 100, "sms": {sms_id: {"status": "OK", "status_code": code}}}
        if path != "/sms/send":
            return {"status": "ERROR", "status_code": 404}
        number = form.get("to", "")
        with self.lock:
            if self.busy_times:
                self.busy_times -= 1
                code = 220
            else:
                code = self.refuse_with
            if code:
                texts = {202: "Неправильно указан номер телефона получателя", 220: "Сервис временно недоступен"}
                refused = {"status": "ERROR", "status_code": code, "status_text": texts.get(code, "")}
                return {"status": "OK", "status_code": 100, "sms": {number: refused}}
            sms_id = f"{len(self.sent) + 1:06d}-{len(self.sent) + 10000000}"
            self.sent.append({"sms_id": sms_id, "to": number, "msg": form.get("msg"), "from": form.get("from")})
        return {
            "status": "OK",
            "status_code": 100,
            "sms": {number: {"status": "OK", "status_code": 100, "sms_id": sms_id}},
            "balance": float(self.balance),
        }


def serve(gateway: Gateway) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
            with gateway.lock:
                gateway.requests += 1
            if gateway.slow:
                time.sleep(gateway.slow)
            body = json.dumps(gateway.answer(self.path, form), ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client stopped waiting
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    gateway.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
