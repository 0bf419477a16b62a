"""Request and response bodies of the HTTP API (pydantic models: they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ArticleInput",
    "TranslateRequest",
    "Variant",
    "TranslateResponse",
    "JobRequest",
    "JobAccepted",
    "JobArticleResult",
    "JobStatus",
    "ErrorInfo",
    "ErrorResponse",
    "ModelInfo",
    "ModelsResponse",
    "HealthResponse",
]


class ArticleInput(BaseModel):
    """One article: a document JSON object (``article``) or text in a format (``content``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    article: dict[str, Any] | None = Field(
        None,
        description=("The article as kztranslate document JSON "
                     "(or, with `format`, as that format's JSON object, e.g. ninjs)."),
    )
    content: str | None = Field(None, description="The article as text in `format` (text, html, ninjs, …).")
    format: str | None = Field(
        None,
        description="Format of the input, also used for each variant's `content`; detected when absent "
        "(`json` for `article`). See GET /v1/models for the list.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> ArticleInput:
        if (self.article is None) == (self.content is None):
            raise ValueError("give exactly one of 'article' (a document JSON object) or 'content' (text)")
        return self


class _Targets(BaseModel):
    to: list[str] | str = Field(
        ..., description="Target languages: a list or a comma-separated string of kk, ru, en, kk-Latn.",
        examples=[["ru", "en"]],
    )
    source: str | None = Field(
        None, alias="from", description="Source language; taken from the article (or detected) when absent."
    )


class TranslateRequest(ArticleInput, _Targets):
    """Body of ``POST /v1/translate``."""


class Variant(BaseModel):
    """One translated edition of the article."""

    content: str = Field(..., description="The variant rendered in the request's format.")
    document: dict[str, Any] = Field(
        ..., description="The variant as document JSON, with `provenance` and `qa` findings."
    )


class TranslateResponse(BaseModel):
    """Body of a ``POST /v1/translate`` answer."""

    source_language: str
    format: str = Field(..., description="The format the input was read in and the variants are rendered in.")
    variants: dict[str, Variant] = Field(..., description="Target language → variant.")


class JobRequest(_Targets):
    """Body of ``POST /v1/jobs``: one or many articles, all into the same languages."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    articles: list[ArticleInput] = Field(..., min_length=1)


class JobAccepted(BaseModel):
    """A job was stored; poll ``GET /v1/jobs/{id}``."""

    id: str
    status: Literal["queued", "running", "done"]


class ErrorInfo(BaseModel):
    code: str = Field(..., description="Stable machine-readable code, e.g. `unknown_language`, `rate_limited`.")
    message: str = Field(..., description="What went wrong and how to fix it (lists valid choices).")
    details: list[dict[str, Any]] | None = Field(None, description="Per-field problems, for validation errors.")


class ErrorResponse(BaseModel):
    """The body of every 4xx/5xx answer."""

    error: ErrorInfo


class JobArticleResult(BaseModel):
    index: int = Field(..., description="Position of the article in the job request.")
    status: Literal["ok", "error"]
    variants: dict[str, Variant] | None = None
    error: ErrorInfo | None = None


class JobStatus(BaseModel):
    id: str
    status: Literal["queued", "running", "done"]
    total: int = Field(..., description="Articles in the job.")
    done: int = Field(..., description="Articles finished (successfully or not).")
    failed: int = Field(..., description="Articles that failed; see their `error`.")
    created: float
    updated: float
    finished: float | None = None
    results: list[JobArticleResult] = Field(default_factory=list)


class ModelInfo(BaseModel):
    backend: str
    model: str | None = None
    model_revision: str | None = None
    decoding: dict[str, Any] = Field(default_factory=dict)
    pairs: list[tuple[str, str]] = Field(..., description="Source → target language pairs the model translates.")


class ModelsResponse(BaseModel):
    models: list[ModelInfo]
    languages: list[str] = Field(..., description="Every language tag the service accepts in `to` and `from`.")
    formats: list[str] = Field(..., description="Every input/output format name.")


class HealthResponse(BaseModel):
    status: str
    detail: str | None = None
