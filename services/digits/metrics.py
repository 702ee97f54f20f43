"""What the digits service tells Prometheus about itself: traffic, errors, latency, and what it sees and predicts.

Prometheus scrapes ``GET /metrics`` (a text page) every few seconds and keeps the history; alert rules
(``monitoring/alerts.yml``) and the dashboard (``monitoring/grafana-dashboard.json``) read these series.
Label values are few and fixed (endpoint templates, status codes, digits), never user input: every distinct label
value is a new time series.
"""

from __future__ import annotations

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# One registry per app (not the library's global one), so the app can be created more than once in a process.
REGISTRY = CollectorRegistry()

REQUESTS = Counter("digits_requests_total", "HTTP requests answered, by endpoint and status code",
                   ["endpoint", "status"], registry=REGISTRY)
LATENCY = Histogram("digits_request_seconds", "Time to answer a request, by endpoint", ["endpoint"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
                    registry=REGISTRY)
IMAGES = Counter("digits_images_total", "Images classified", registry=REGISTRY)
PREDICTED = Counter("digits_predictions_total", "Predictions, by predicted digit", ["digit"], registry=REGISTRY)
CONFIDENCE = Histogram("digits_prediction_confidence", "Probability of the predicted digit",
                       buckets=(0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0), registry=REGISTRY)
INK = Histogram("digits_input_ink_fraction", "Share of an input image's pixels above 128 (MNIST test: ~0.13)",
                buckets=(0.02, 0.05, 0.08, 0.1, 0.12, 0.14, 0.16, 0.2, 0.3, 0.5, 1.0), registry=REGISTRY)
BRIGHTNESS = Histogram("digits_input_mean_pixel", "Mean pixel value of an input image (MNIST test: ~33)",
                       buckets=(5, 10, 20, 25, 30, 35, 40, 50, 75, 100, 255), registry=REGISTRY)
MODEL = Gauge("digits_model_info", "The model being served (value 1), by version", ["version"], registry=REGISTRY)

for digit in range(10):  # Start every digit at 0, so a digit never predicted shows as 0, not as missing.
    PREDICTED.labels(digit=str(digit))


def observe_inputs(pixels: np.ndarray) -> None:
    """Input statistics per image: drift in what users send shows here before accuracy can be measured."""
    for image in pixels:
        INK.observe(float((image > 128).mean()))
        BRIGHTNESS.observe(float(image.mean()))


def observe_predictions(digits: list[int], confidences: list[float]) -> None:
    IMAGES.inc(len(digits))
    for digit, confidence in zip(digits, confidences, strict=True):
        PREDICTED.labels(digit=str(digit)).inc()
        CONFIDENCE.observe(confidence)
