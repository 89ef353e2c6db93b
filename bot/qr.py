"""A QR code of an invitation link, shown to a parent at a visit to scan with their phone."""

from __future__ import annotations

from io import BytesIO

import segno


def qr_png(url: str) -> bytes:
    buffer = BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()
