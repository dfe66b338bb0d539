"""ASGI entry point for uvicorn workers: ``uvicorn yellowcart.asgi:app``."""

from yellowcart.app import create_app

app = create_app()
