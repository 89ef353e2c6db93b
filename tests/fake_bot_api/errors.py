"""The error answer of the Bot API, raised anywhere inside a method handler."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An ``{"ok": false, ...}`` answer; the HTTP status equals ``code``."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


BLOCKED = ApiError(403, "Forbidden: bot was blocked by the user")
