"""RFC 9110 semantics a generic HTTP client or cache relies on, against the running server:
HEAD wherever GET is, OPTIONS with Allow, Vary on negotiated answers, validators that follow
derived members."""

from __future__ import annotations

import requests

from openapi_support import required_env


def _url(path: str) -> str:
    return required_env("TTDN_BASE_URL").rstrip("/") + path


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {required_env('TTDN_ADMIN_TOKEN')}"}


def test_head_answers_the_get_headers_without_a_body():
    unit = requests.get(_url("/v1/units?limit=1"), headers=_auth(), timeout=30).json()["items"][0]
    get = requests.get(_url(f"/v1/units/{unit['id']}"), headers=_auth(), timeout=30)
    head = requests.head(_url(f"/v1/units/{unit['id']}"), headers=_auth(), timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == str(len(get.content))
    assert requests.head(_url("/healthz"), timeout=30).status_code == 200


def test_options_lists_the_methods_without_a_token():
    answer = requests.options(_url("/v1/plan-tasks"), timeout=30)
    assert answer.status_code == 204
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "POST", "HEAD", "OPTIONS"}


def test_negotiated_answers_vary_by_accept_and_validators_follow_the_day():
    listed = requests.get(_url("/v1/plan-tasks?limit=1"), headers=_auth(), timeout=30)
    assert "Accept" in listed.headers["Vary"]
    task = listed.json()["items"][0]["id"]
    june = requests.get(_url(f"/v1/plan-tasks/{task}?as_of=2023-06-30"), headers=_auth(), timeout=30)
    later = requests.get(
        _url(f"/v1/plan-tasks/{task}?as_of=2031-01-01"),
        headers={**_auth(), "If-None-Match": june.headers["ETag"]}, timeout=30)
    # The 2023 task is on time in June 2023 and overdue in 2031: the June copy is not current.
    assert june.json()["progress_class"] != later.json()["progress_class"]
    assert later.status_code == 200
