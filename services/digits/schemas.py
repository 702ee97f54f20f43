"""The service's contract: what a request may contain and what a response promises.

Pydantic checks every request before the model sees it, so a wrong shape, a wrong type or an out-of-range pixel is a
422 with a message naming the offending field, never a 500 from deep inside the model.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

SIDE = 28
MAX_BATCH = 256

# strict: "7" (a string) or true (a boolean) is an error, not silently turned into a number.
Pixel = Annotated[float, Field(ge=0, le=255, strict=True, allow_inf_nan=False)]
Row = Annotated[list[Pixel], Field(min_length=SIDE, max_length=SIDE)]
Image = Annotated[list[Row], Field(min_length=SIDE, max_length=SIDE,
                                   description="28 rows of 28 pixels, 0-255, white digit on black (like MNIST)")]


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    image: Image


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    images: Annotated[list[Image], Field(min_length=1, max_length=MAX_BATCH)]


class Prediction(BaseModel):
    digit: int = Field(ge=0, le=9, description="the most likely digit")
    confidence: float = Field(ge=0, le=1, description="its probability")
    probabilities: list[float] = Field(min_length=10, max_length=10, description="one per digit 0-9")


class PredictResponse(Prediction):
    model_version: str


class BatchResponse(BaseModel):
    predictions: list[Prediction]
    model_version: str


class ModelInfo(BaseModel):
    model_version: str
    input: str
    output: str
    max_batch: int
    test_accuracy: float | None = None


class ErrorItem(BaseModel):
    field: str
    problem: str


class ErrorResponse(BaseModel):
    error: str
    details: list[ErrorItem] = []
    hint: str = ""
