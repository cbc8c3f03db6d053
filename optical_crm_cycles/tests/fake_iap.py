"""A loopback fake of Odoo's IAP SMS endpoint (JSON-RPC ``/api/sms/3/send``).

Point the ``sms.endpoint`` system parameter at ``server.url``; every number it
receives is recorded in ``server.received``; ``server.states`` maps a number to
the state to answer (``success`` by default, or ``server_error``,
``wrong_number_format``, ``insufficient_credit``...).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server API
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        server = self.server
        result = []
        if self.path.endswith("/api/sms/3/send"):
            for message in payload["params"]["messages"]:
                for number in message["numbers"]:
                    state = server.states.get(number["number"], "success")
                    with server.lock:
                        server.calls.append(number["number"])
                        if state == "success":
                            server.received.append(
                                (number["number"], message["content"], number["uuid"])
                            )
                    result.append(
                        {
                            "uuid": number["uuid"],
                            "state": state,
                            "credit": 1 if state == "success" else 0,
                        }
                    )
        body = json.dumps(
            {"jsonrpc": "2.0", "id": payload.get("id"), "result": result}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class FakeIapSms(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.received = []
        self.calls = []
        self.states = {}
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()
