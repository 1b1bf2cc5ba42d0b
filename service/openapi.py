"""Print the OpenAPI document (``python -m service.openapi > openapi.yaml``).

The committed `openapi.yaml` is this output; a test fails when the two differ, so the
document other systems read can never drift from the code.
"""
from __future__ import annotations

import sys

from .app import create_app, openapi_document
from .config import Config


def main() -> None:
    app = create_app(Config())
    sys.stdout.write(openapi_document(app.extensions["claimtrack.api"]))


if __name__ == "__main__":
    main()
