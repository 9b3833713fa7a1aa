"""Test doubles for the Timestream sink tests: readings, fake AWS settings, HTTP answers.

Everything here stays on the machine: fake credentials, and either botocore's
Stubber, HTTP answers injected where botocore sends a request (so its retry loop
runs for real), or a moto server on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from ingest import model

REGION = "eu-west-1"

#: Environment that makes boto3 use fake credentials and never look for real ones.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}
#: Variables that would point boto3 at another endpoint, profile or credential source.
AWS_ENV_TO_CLEAR = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_TIMESTREAM_WRITE",
    "AWS_ENDPOINT_URL_TIMESTREAM_QUERY",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
)


def use_fake_aws(monkeypatch: pytest.MonkeyPatch, credentials: bool = True) -> None:
    """Fake credentials (or none at all), no profile, no endpoint override."""
    for name in AWS_ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_AWS_ENV.items():
        if credentials or not name.startswith(("AWS_ACCESS", "AWS_SECRET", "AWS_SESSION")):
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)


def reading(sensor_id: int = 1001, age: int = 120, **overrides: Any) -> dict[str, Any]:
    """A complete 24-hour reading ``age`` seconds old; ``overrides`` replace columns."""
    row: dict[str, Any] = dict.fromkeys(model.COLUMNS)
    row.update(
        time=int(time.time()) - age,
        window=model.WINDOW_24H,
        sensor_id=sensor_id,
        location_id=sensor_id + 50_000,
        country="GB",
        sensor_type="SDS011",
        indoor=0,
        latitude=51.5072,
        longitude=-0.1276,
        altitude=11.0,
        pm10=18.4,
        pm25=9.75,
        temperature=None,
        aqi_pm25=1,
        aqi_pm10=2,
        aqi=2,
        band="Low",
        value_count=2,
        extra={"co2": 415.5},
    )
    row.update(overrides)
    return row


def readings(count: int, first_sensor: int = 1) -> list[dict[str, Any]]:
    """``count`` valid readings of distinct sensors."""
    return [reading(sensor_id=first_sensor + i) for i in range(count)]


class _Body:
    """The raw body of an injected HTTP answer, as botocore reads it."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def json_answer(status: int, payload: dict[str, Any]) -> AWSResponse:
    """An HTTP answer of a JSON-protocol AWS service."""
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "test"}
    return AWSResponse("http://127.0.0.1/", status, headers, _Body(body))


def throttled() -> AWSResponse:
    return json_answer(
        400, {"__type": "ThrottlingException", "Message": "Rate exceeded for WriteRecords"}
    )


def written(count: int) -> AWSResponse:
    return json_answer(
        200, {"RecordsIngested": {"Total": count, "MemoryStore": count, "MagneticStore": 0}}
    )


class HttpAnswers:
    """Answers WriteRecords requests in place of the network, after botocore signed them.

    Registered on botocore's ``before-send`` event, so botocore's own retry loop
    (standard or adaptive mode) runs around it. ``answer`` gets the attempt
    number (1-based) and the request body and returns the HTTP answer.
    """

    def __init__(self, answer: Callable[[int, dict[str, Any]], AWSResponse]) -> None:
        self._answer = answer
        self._lock = threading.Lock()
        self.bodies: list[dict[str, Any]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    @property
    def attempts(self) -> int:
        return len(self.bodies)

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        body = json.loads(request.body)
        with self._lock:
            self.bodies.append(body)
            attempt = len(self.bodies)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return self._answer(attempt, body)
        finally:
            with self._lock:
                self.in_flight -= 1

    @contextmanager
    def installed(self, client: Any) -> Iterator[HttpAnswers]:
        event = "before-send.timestream-write.WriteRecords"
        client.meta.events.register(event, self)
        try:
            yield self
        finally:
            client.meta.events.unregister(event, self)


class ParamsRecorder:
    """Keeps the parameters of every WriteRecords call a client makes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.calls.append(json.loads(json.dumps(params)))

    def attach(self, client: Any) -> ParamsRecorder:
        client.meta.events.register("before-parameter-build.timestream-write.WriteRecords", self)
        return self
