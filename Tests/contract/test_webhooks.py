"""A receiver written from the README alone: a delivery from the running server verifies with
the README's code, and the body is the event openapi.yaml describes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from jsonschema import Draft202012Validator

from openapi_support import load_spec, openapi_path, required_env


def _url(path: str) -> str:
    return required_env("TTDN_BASE_URL").rstrip("/") + path


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {required_env('TTDN_ADMIN_TOKEN')}"}


def verified(secret: str, headers, body: bytes) -> bool:
    """The README's check, as written there."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


def test_a_delivery_verifies_with_the_readme_code_and_matches_the_spec():
    received: list[tuple[dict[str, str], bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = f"http://127.0.0.1:{server.server_port}/hook"
        created = requests.post(
            _url("/v1/webhook-subscriptions"), headers=_auth(),
            json={"url": target, "event_types": ["unit.created"]}, timeout=10)
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        code = "WH-" + uuid.uuid4().hex[:10]
        unit = requests.post(
            _url("/v1/units"), headers=_auth(),
            json={"code": code, "name": "Trường THPT Webhook", "kind": "high_school"}, timeout=10)
        assert unit.status_code == 201, unit.text

        deadline = time.time() + 30
        mine = []
        while time.time() < deadline and not mine:
            mine = [(h, b) for h, b in received if json.loads(b).get("data", {}).get("code") == code]
            time.sleep(0.2)
        assert mine, "no delivery arrived within 30 s"
        headers, body = mine[0]
        assert verified(secret, headers, body)
        assert not verified(secret, headers, body + b" ")
        event = json.loads(body)
        assert event["type"] == "unit.created" and event["id"] == headers["webhook-id"]
        spec, _ = load_spec(openapi_path())
        schema = dict(spec["components"]["schemas"]["WebhookEvent"])
        schema["components"] = spec["components"]
        errors = list(Draft202012Validator(schema).iter_errors(event))
        assert not errors, [e.message for e in errors]
    finally:
        server.shutdown()
        requests.delete(_url(f"/v1/webhook-subscriptions/{created.json()['subscription']['id']}"), headers=_auth(), timeout=10)
