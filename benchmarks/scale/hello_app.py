"""The baseline: a bare Flask app answering "hello", served by the same gunicorn as the portal."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
