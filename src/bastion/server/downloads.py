"""Responses that download a file: one place for the workbook's media type and the attachment name."""

from __future__ import annotations

from fastapi import Response

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(data: bytes, filename: str) -> Response:
    """An .xlsx workbook sent as an attachment named `filename` (a name the server built, never the user's)."""
    return Response(data, media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
