"""The digits service: the MNIST model of the course behind an HTTP API, with a page to draw on.

Run it (from this folder):   uvicorn app:app --host 127.0.0.1 --port 8000
or from the repository root:  make serve

Endpoints: GET /health (the process is alive), GET /ready (the model is loaded), GET /model (what it expects),
POST /predict (one image), POST /predict/batch (up to MAX_BATCH images), GET /metrics (for Prometheus),
GET / (the drawing page), GET /docs (the OpenAPI page FastAPI writes from the schemas).

Configuration, by environment variable (the same in a container):
  DIGITS_MODEL           path of the ONNX model; unset: the course's model from ``aipath.models.digits_onnx()``
  DIGITS_MODEL_VERSION   the version reported in every response; unset: derived from the file's SHA-256
  DIGITS_THREADS         ONNX Runtime threads per request (default 1: best when several requests run at once)
  DIGITS_MAX_BODY_BYTES  requests larger than this are refused with 413 (default 4 MB)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import metrics
import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from schemas import (
    MAX_BATCH,
    BatchRequest,
    BatchResponse,
    ErrorResponse,
    ModelInfo,
    Prediction,
    PredictRequest,
    PredictResponse,
)

HERE = Path(__file__).resolve().parent
log = logging.getLogger("digits")


@dataclass
class LoadedModel:
    session: ort.InferenceSession
    version: str
    info: dict[str, Any]

    def predict(self, pixels: np.ndarray) -> list[Prediction]:
        """pixels: float32 (n, 28, 28) in 0-255 -> one Prediction per image."""
        metrics.observe_inputs(pixels)
        logits = self.session.run(["logits"], {"pixels": pixels})[0]
        logits = logits - logits.max(axis=1, keepdims=True)  # Stable softmax: exp never overflows.
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        rounded = [[round(float(v), 6) for v in p] for p in probs]
        predictions = [Prediction(digit=int(np.argmax(p)), confidence=max(p), probabilities=p) for p in rounded]
        metrics.observe_predictions([p.digit for p in predictions], [p.confidence for p in predictions])
        return predictions


def load_model() -> LoadedModel:
    """Find the ONNX file (``DIGITS_MODEL`` or the course's cached model) and open an inference session."""
    configured = os.environ.get("DIGITS_MODEL")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FileNotFoundError(f"DIGITS_MODEL={configured} is not a file. Point it at the model's .onnx file.")
        sidecar = path.with_suffix(".json")
        info = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
    else:
        from aipath.models import digits_onnx  # The course's model, built and cached on first use.

        path, info = digits_onnx(quiet=True)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    version = os.environ.get("DIGITS_MODEL_VERSION") or f"digits-{info.get('version', 'custom')}-{sha[:8]}"
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(os.environ.get("DIGITS_THREADS", "1"))
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = ([i.name for i in session.get_inputs()], [o.name for o in session.get_outputs()])
    if names != (["pixels"], ["logits"]):
        raise ValueError(f"{path} has inputs/outputs {names}; this service needs (['pixels'], ['logits']).")
    return LoadedModel(session, version, info)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Load once at start-up, not per request. A failure keeps the process up (so /health answers and the
    # reason is visible) but /ready says 503 and no traffic should be sent.
    app.state.model, app.state.load_error = None, None
    try:
        app.state.model = load_model()
        metrics.MODEL.labels(version=app.state.model.version).set(1)
        log.info("model %s loaded", app.state.model.version)
    except Exception as error:  # noqa: BLE001 - reported through /ready.
        app.state.load_error = f"{type(error).__name__}: {error}"
        log.error("model failed to load: %s", app.state.load_error)
    yield


app = FastAPI(title="Digits", version="1.0", lifespan=lifespan,
              description="Recognises a handwritten digit (28x28 pixels, 0-255, white on black).")
MAX_BODY = int(os.environ.get("DIGITS_MAX_BODY_BYTES", str(4 * 1024 * 1024)))


def _error(status: int, error: str, hint: str = "", details: list[dict[str, str]] | None = None) -> JSONResponse:
    body = ErrorResponse(error=error, hint=hint, details=details or [])
    return JSONResponse(body.model_dump(), status_code=status)


@app.middleware("http")
async def limit_body_size(request: Request, call_next: Any) -> Any:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        return _error(413, f"request body is {int(length):,} bytes; the limit is {MAX_BODY:,}",
                      f"send at most {MAX_BATCH} images per request to /predict/batch")
    return await call_next(request)


@app.middleware("http")
async def count_and_time(request: Request, call_next: Any) -> Any:
    # Registered after limit_body_size, so it runs first and also counts the 413s that one sends.
    start = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    endpoint = getattr(route, "path", "other")  # The template, never the raw URL: bounded label values.
    metrics.REQUESTS.labels(endpoint=endpoint, status=str(response.status_code)).inc()
    metrics.LATENCY.labels(endpoint=endpoint).observe(time.perf_counter() - start)
    return response


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    # FastAPI's default echoes the whole input (784 numbers per image); say what is wrong and where instead.
    errors = exc.errors()
    details = [{"field": ".".join(str(part) for part in e["loc"]), "problem": e["msg"]} for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return _error(422, f"invalid request: {len(errors)} problem(s){more}",
                  f"send JSON like {{\"image\": [[0, ...28 numbers], ...28 rows]}} with pixels 0-255, or "
                  f"{{\"images\": [image, ...]}} with 1 to {MAX_BATCH} images to /predict/batch; see /docs",
                  details)


class ModelNotReady(Exception):
    """An endpoint needs the model, but it did not load: answered 503 with the reason."""


@app.exception_handler(ModelNotReady)
async def not_ready(request: Request, exc: ModelNotReady) -> JSONResponse:
    return _error(503, "the model is not loaded", str(exc))


def _model(request: Request) -> LoadedModel:
    """The loaded model, for an endpoint that needs it (raises ModelNotReady when it failed to load)."""
    model = request.app.state.model
    if model is None:
        raise ModelNotReady(request.app.state.load_error)
    return model


@app.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process answers. (Kubernetes restarts the container when this fails.)"""
    return {"status": "ok"}


@app.get("/ready", responses={503: {"model": ErrorResponse}})
def ready(request: Request) -> Any:
    """Readiness: the model is loaded and requests can be served. (Kubernetes sends traffic only then.)"""
    model = _model(request)
    return {"status": "ready", "model_version": model.version}


@app.get("/model", response_model=ModelInfo, responses={503: {"model": ErrorResponse}})
def model_info(request: Request) -> Any:
    model = _model(request)
    return ModelInfo(model_version=model.version, input="image: 28x28 pixels, 0-255, white digit on black",
                     output="digit, confidence and 10 probabilities", max_batch=MAX_BATCH,
                     test_accuracy=model.info.get("test_accuracy"))


@app.post("/predict", response_model=PredictResponse,
          responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
def predict(body: PredictRequest, request: Request) -> Any:
    model = _model(request)
    prediction = model.predict(np.asarray([body.image], dtype=np.float32))[0]
    return PredictResponse(**prediction.model_dump(), model_version=model.version)


@app.post("/predict/batch", response_model=BatchResponse,
          responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
def predict_batch(body: BatchRequest, request: Request) -> Any:
    model = _model(request)
    return BatchResponse(predictions=model.predict(np.asarray(body.images, dtype=np.float32)),
                         model_version=model.version)


@app.get("/metrics", include_in_schema=False)
def prometheus_metrics() -> Response:
    """The service's counters and histograms in Prometheus's text format (scraped, not read by people)."""
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


@app.get("/", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(HERE / "static" / "index.html")
