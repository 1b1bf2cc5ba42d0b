"""`/docs`: Swagger UI served from the `swagger-ui-bundle` package (Apache-2.0), so the page
works without internet access and makes no request to any other host.

flask-smorest renders the page (OPENAPI_SWAGGER_UI_URL points at the assets below); the
Swagger UI configuration turns off its validator badge, which would otherwise load an image
from an external validator service.
"""
from __future__ import annotations

from flask import Flask, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from .problems import problem

ASSETS_URL = "/docs/assets/"
SWAGGER_UI_CONFIG = {"validatorUrl": None, "deepLinking": True, "displayRequestDuration": True}
#: Only what the page loads; the package's source maps and alternative bundles stay unserved.
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                    "favicon-16x16.png", "favicon-32x32.png"})


def install(app: Flask) -> None:
    directory = str(swagger_ui_path)

    @app.get(ASSETS_URL + "<name>")
    def swagger_ui_asset(name: str) -> Response:
        if name not in ASSETS:
            return problem(404, "No such documentation asset.")
        return send_from_directory(directory, name, max_age=24 * 3600)
