"""The digits service (services/digits): its contract, its predictions, its page in a real browser, and its
deployment files kept in step with the app.

The model is the course's ONNX export (aipath.models.digits_onnx), built once per machine and cached.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import shlex
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml

from aipath import data, servers
from aipath.models import digits_onnx

ROOT = Path(__file__).resolve().parents[1]
SERVICE = ROOT / "services" / "digits"
BLANK = [[0] * 28 for _ in range(28)]


@pytest.fixture(scope="module")
def model_file() -> Path:
    path, metrics = digits_onnx(quiet=True)
    assert metrics["test_accuracy"] >= 0.99 and metrics["max_abs_diff"] < 1e-4, metrics
    return path


@contextmanager
def app_client(model: Path) -> Iterator[Any]:
    """A fresh import of the app, in-process (FastAPI's TestClient), serving the model at ``model``."""
    from fastapi.testclient import TestClient

    os.environ["DIGITS_MODEL"] = str(model)
    sys.path.insert(0, str(SERVICE))
    try:
        for name in ("app", "schemas", "metrics"):
            sys.modules.pop(name, None)
        app = importlib.import_module("app")
        with TestClient(app.app) as test_client:
            yield test_client
    finally:
        sys.path.remove(str(SERVICE))
        os.environ.pop("DIGITS_MODEL", None)
        for name in ("app", "schemas", "metrics"):
            sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def client(model_file: Path) -> Iterator[Any]:
    """The app in-process: fast checks of the contract."""
    with app_client(model_file) as test_client:
        yield test_client


def uvicorn(port: int) -> list[str]:
    """The start command of the Dockerfile and `make serve`, on loopback and a free port."""
    return [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)]


@pytest.fixture(scope="module")
def server(model_file: Path) -> Iterator[servers.Server]:
    """The service as it runs for real: uvicorn in its own process, on a free port, spoken to over HTTP."""
    port = servers.free_port()
    with servers.start(uvicorn(port), f"http://127.0.0.1:{port}/ready", cwd=SERVICE,
                       env={"DIGITS_MODEL": str(model_file)}, name="digits") as running:
        yield running
    assert not running.running


def image(value: Any) -> dict[str, Any]:
    return {"image": value}


MALFORMED: dict[str, tuple[Any, str, str]] = {
    # name: (JSON body, the field named in the reply, words of the message)
    "too few rows": (image(BLANK[:27]), "body.image", "at least 28"),
    "row too long": (image([[0] * 29] + BLANK[1:]), "body.image.0", "at most 28"),
    "flat list": (image([0] * 784), "body.image", "at most 28"),
    "pixel as string": (image([["7"] + [0] * 27] + BLANK[1:]), "body.image.0.0", "valid number"),
    "pixel as boolean": (image([[True] + [0] * 27] + BLANK[1:]), "body.image.0.0", "valid number"),
    "pixel null": (image([[None] + [0] * 27] + BLANK[1:]), "body.image.0.0", "valid number"),
    "pixel negative": (image([[-1] + [0] * 27] + BLANK[1:]), "body.image.0.0", "greater than or equal to 0"),
    "pixel above 255": (image([[256] + [0] * 27] + BLANK[1:]), "body.image.0.0", "less than or equal to 255"),
    "missing image": ({}, "body.image", "required"),
    "unknown field": ({"image": BLANK, "colour": "red"}, "body.colour", "not permitted"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_single_requests_get_422_naming_the_field(client: Any, name: str) -> None:
    body, field, words = MALFORMED[name]
    reply = client.post("/predict", json=body)
    assert reply.status_code == 422, reply.text
    answer = reply.json()
    assert answer["error"].startswith("invalid request"), answer
    assert any(d["field"] == field and words in d["problem"] for d in answer["details"]), answer
    assert "pixels 0-255" in answer["hint"]
    assert len(reply.content) < 2000, "errors must not echo the whole image back"


def test_non_finite_pixels_rejected(client: Any) -> None:
    # Python's json writes NaN and Infinity, which many clients send although JSON does not allow them.
    for bad in (math.nan, math.inf):
        payload = json.dumps(image([[bad] + [0] * 27] + BLANK[1:]))
        reply = client.post("/predict", content=payload, headers={"content-type": "application/json"})
        assert reply.status_code == 422 and reply.json()["details"][0]["field"] == "body.image.0.0", reply.text


@pytest.mark.parametrize("body, words", [
    ({"images": []}, "at least 1"),
    ({"images": [BLANK] * 257}, "at most 256"),
    ({"images": BLANK}, "valid list"),
])
def test_malformed_batches_get_422(client: Any, body: Any, words: str) -> None:
    reply = client.post("/predict/batch", json=body)
    assert reply.status_code == 422, reply.text
    assert any(words in d["problem"] for d in reply.json()["details"]), reply.text


def test_not_json_wrong_method_and_huge_body(client: Any) -> None:
    reply = client.post("/predict", content=b"not json", headers={"content-type": "application/json"})
    assert reply.status_code == 422 and "JSON" in reply.json()["details"][0]["problem"]
    assert client.get("/predict").status_code == 405
    huge = b"[" + b"0," * 3_000_000 + b"0]"
    reply = client.post("/predict/batch", content=huge, headers={"content-type": "application/json"})
    assert reply.status_code == 413 and "limit" in reply.json()["error"], reply.text


def test_predictions_and_model_version(client: Any) -> None:
    x_test, y_test = data.load_mnist()[2:]
    version = client.get("/ready").json()["model_version"]
    assert re.fullmatch(r"digits-1\.1-[0-9a-f]{8}", version), version
    reply = client.post("/predict/batch", json={"images": x_test[:256].tolist()})
    assert reply.status_code == 200
    answer = reply.json()
    assert answer["model_version"] == version and len(answer["predictions"]) == 256
    digits = np.array([p["digit"] for p in answer["predictions"]])
    assert (digits == y_test[:256]).mean() >= 0.98
    for p in answer["predictions"]:
        assert abs(sum(p["probabilities"]) - 1) < 1e-4 and p["confidence"] == max(p["probabilities"])
    one = client.post("/predict", json=image(x_test[0].tolist())).json()
    assert one["digit"] == answer["predictions"][0]["digit"] and one["model_version"] == version
    info = client.get("/model").json()
    assert info["max_batch"] == 256 and info["test_accuracy"] >= 0.99


def test_ready_is_503_when_the_model_cannot_load(tmp_path: Path) -> None:
    with app_client(tmp_path / "missing.onnx") as test_client:
        assert test_client.get("/health").status_code == 200
        reply = test_client.get("/ready")
        assert reply.status_code == 503 and "missing.onnx" in reply.json()["hint"]
        assert test_client.post("/predict", json=image(BLANK)).status_code == 503


def test_uvicorn_over_http(server: servers.Server) -> None:
    url = server.url
    with httpx.Client(base_url=url, timeout=10) as http:
        assert http.get("/health").json() == {"status": "ok"}
        x_test, y_test = data.load_mnist()[2:]
        answer = http.post("/predict/batch", json={"images": x_test[:64].tolist()}).json()
        assert sum(p["digit"] == y for p, y in zip(answer["predictions"], y_test[:64], strict=True)) >= 62
        assert http.post("/predict", json=image("nope")).status_code == 422
        page = http.get("/")
        assert page.status_code == 200 and "<canvas" in page.text
        assert http.get("/openapi.json").json()["info"]["title"] == "Digits"


def test_server_stops_and_frees_its_port(model_file: Path) -> None:
    port = servers.free_port()
    running = servers.start(uvicorn(port), f"http://127.0.0.1:{port}/health", cwd=SERVICE,
                            env={"DIGITS_MODEL": str(model_file)})
    pid = running.pid
    running.stop()
    assert not running.running and not Path(f"/proc/{pid}").exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"),
                    reason="needs Chromium: sudo apt-get install chromium (make test installs it when root)")
def test_drawing_page_in_headless_chromium(server: servers.Server) -> None:
    """A person's path through the page: draw a stroke, press Predict, read the answer."""
    assert CHROMIUM, "Chromium is missing: `make system-tools` installs Debian's chromium package"
    from playwright.sync_api import sync_playwright

    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            page = browser.new_page()
            page.goto(server.url + "/")
            assert page.text_content("#digit") == "?"
            page.click("#predict")  # Nothing drawn yet: the page says so instead of sending a blank image.
            assert "Draw a digit first" in page.text_content("#error")
            box = page.locator("#pad").bounding_box()
            assert box is not None
            strokes = {"1": [(0.5, 0.15), (0.52, 0.85)],  # one downward stroke
                       "7": [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]}  # a bar, then a diagonal
            for expected, points in strokes.items():
                page.click("#clear")
                path = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
                page.mouse.move(*path[0])
                page.mouse.down()
                for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
                    for t in np.linspace(0, 1, 12)[1:]:
                        page.mouse.move(x0 + t * (x1 - x0), y0 + t * (y1 - y0))
                page.mouse.up()
                page.click("#predict")
                page.wait_for_function("document.getElementById('digit').textContent !== '?'", timeout=15000)
                assert page.text_content("#digit") == expected, page.text_content("#probs")
                assert page.locator("#probs .bar").count() == 10
                assert "model digits-1.1-" in page.text_content("#version")
                assert page.text_content("#error") == ""
        finally:
            browser.close()


def _dockerfile_cmd() -> list[str]:
    text = (SERVICE / "Dockerfile").read_text(encoding="utf-8")
    return json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))  # type: ignore[union-attr]


def test_deployment_files_match_the_app(client: Any) -> None:
    """The Dockerfile, the Kubernetes manifests, `make serve` and the app agree on command, port and probes."""
    cmd = _dockerfile_cmd()
    assert cmd[:2] == ["uvicorn", "app:app"]
    port = int(cmd[cmd.index("--port") + 1])
    dockerfile = (SERVICE / "Dockerfile").read_text(encoding="utf-8")
    assert f"EXPOSE {port}" in dockerfile and f"127.0.0.1:{port}/health" in dockerfile
    for copied in re.findall(r"^COPY (.+) \S+$", dockerfile, re.M):
        for name in copied.split():
            assert name == "model/" or (SERVICE / name).exists(), f"Dockerfile copies {name}, which is missing"

    deployment = yaml.safe_load((SERVICE / "k8s" / "deployment.yaml").read_text(encoding="utf-8"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == cmd, "the pod must start the app exactly as the image does"
    assert container["ports"][0]["containerPort"] == port
    routes = {route.path for route in client.app.routes}
    for probe, expected in (("livenessProbe", "/health"), ("readinessProbe", "/ready")):
        assert container[probe]["httpGet"]["path"] == expected and expected in routes
    assert client.get(container["readinessProbe"]["httpGet"]["path"]).status_code == 200
    service = yaml.safe_load((SERVICE / "k8s" / "service.yaml").read_text(encoding="utf-8"))
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == container["ports"][0]["name"]

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    serve = re.search(r"^serve:.*\n\t(.+)$", makefile, re.M).group(1)  # type: ignore[union-attr]
    assert "cd services/digits" in serve and "uvicorn app:app" in serve
    assert shlex.split(serve.split("&&", 1)[1])[1:3] == ["app:app", "--host"]


def test_container_requirements_pinned_like_the_lock() -> None:
    lock = dict(line.split("==", 1) for line in (ROOT / "requirements-lock.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    lock = {name.lower().replace("_", "-"): version for name, version in lock.items()}
    pins = [line for line in (SERVICE / "requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    assert {"fastapi", "uvicorn", "onnxruntime", "numpy", "pydantic", "prometheus-client"} <= {p.split("==")[0] for p in pins}
    for pin in pins:
        name, version = pin.split("==")
        key = name.lower().replace("_", "-")
        assert lock[key] == version, f"{pin} differs from the lock ({lock[key]})"


def _samples(text: str) -> dict[str, float]:
    """Prometheus text format -> {'name{labels}': value}."""
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def test_metrics_count_traffic_errors_predictions_and_inputs(model_file: Path) -> None:
    x_test = data.load_mnist()[2]
    with app_client(model_file) as client:  # A fresh app: its counters start at zero.
        for i in range(3):
            assert client.post("/predict", json=image(x_test[i].tolist())).status_code == 200
        assert client.post("/predict/batch", json={"images": x_test[3:13].tolist()}).status_code == 200
        assert client.post("/predict", json=image("nope")).status_code == 422
        reply = client.get("/metrics")
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
        m = _samples(reply.text)
    assert m['digits_requests_total{endpoint="/predict",status="200"}'] == 3
    assert m['digits_requests_total{endpoint="/predict",status="422"}'] == 1
    assert m['digits_requests_total{endpoint="/predict/batch",status="200"}'] == 1
    assert m['digits_request_seconds_count{endpoint="/predict"}'] == 4
    assert m["digits_images_total"] == 13 and m["digits_prediction_confidence_count"] == 13
    assert sum(m[f'digits_predictions_total{{digit="{d}"}}'] for d in range(10)) == 13
    assert m["digits_input_ink_fraction_count"] == 13
    mean_pixel = m["digits_input_mean_pixel_sum"] / m["digits_input_mean_pixel_count"]
    assert abs(mean_pixel - x_test[:13].mean()) < 1e-3
    assert any(k.startswith("digits_model_info{version=\"digits-1.1-") and v == 1 for k, v in m.items())
