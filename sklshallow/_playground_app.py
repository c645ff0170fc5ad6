"""The playground's web app: Flask serves one static page and a small JSON
API over :class:`sklshallow.playground.Session`; the page only draws.

Flask because it keeps this the smallest: three JSON routes and a static
page, with its test client for the endpoint tests and nothing to compile.
(A dashboard framework would bring a component layer the page does not need;
its live updates are the page asking for the next epochs while it plays.)

Each browser tab makes its own session, named by a random id: tabs never
share a model. Every request is checked, and a bad one gets a 4xx with a
message; sessions are bounded in number, and nothing reads or writes files
on a request's behalf.
"""

import secrets
import threading
from collections import OrderedDict
from importlib import resources

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from .playground import Diverged, Session

MAX_SESSIONS = 32


def create_app(device="cpu"):
    """The Flask app; ``device`` is the estimators' device."""
    app = Flask(__name__, static_folder=None)
    sessions, lock = OrderedDict(), threading.Lock()
    page = resources.files("sklshallow").joinpath("_playground_page.html").read_text()

    def error(message, status=400):
        return jsonify(error=message), status

    def body():
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # JSON nested deeper than Python parses
            return None
        return data if isinstance(data, dict) else None

    def reply(sid, session, state=None):
        return jsonify(id=sid, state=state or session.state(), code=session.code())

    @app.get("/")
    def index():
        return page

    @app.post("/api/session")
    def new_session():
        data = body()
        if data is None:
            return error("Send a JSON object: {\"config\": {...}}.")
        try:
            session = Session(data.get("config", {}), device=device)
        except ValueError as exc:
            return error(str(exc))
        sid = secrets.token_hex(8)
        with lock:
            sessions[sid] = (session, threading.Lock())
            while len(sessions) > MAX_SESSIONS:  # the oldest tab's model goes
                sessions.popitem(last=False)
        return reply(sid, session)

    @app.post("/api/step")
    def step():
        data = body()
        if data is None or not isinstance(data.get("id"), str):
            return error("Send a JSON object: {\"id\": \"...\", \"epochs\": n}.")
        with lock:
            entry = sessions.get(data["id"])
            if entry is not None:
                sessions.move_to_end(data["id"])
        if entry is None:
            return error("No such session: start one with /api/session.", 404)
        session, session_lock = entry
        with session_lock:  # one tab's requests train one at a time
            try:
                state = session.step(data.get("epochs", 1), since=data.get("since", 0))
            except Diverged as exc:  # the session kept its last good network: show it
                return jsonify(error=str(exc), id=data["id"], code=session.code(),
                               state=session.state(data.get("since", 0))), 400
            except ValueError as exc:
                return error(str(exc))
            return reply(data["id"], session, state)

    @app.errorhandler(404)
    def not_found(exc):
        return error("Not found.", 404)

    @app.errorhandler(405)
    def not_allowed(exc):
        return error("Method not allowed.", 405)

    @app.errorhandler(Exception)
    def unexpected(exc):  # never Flask's HTML page: the page reads JSON
        if isinstance(exc, HTTPException):
            return error(exc.description or exc.name, exc.code)
        app.logger.exception("Unexpected error")
        return error(f"Unexpected error: {type(exc).__name__}: {exc}", 500)

    return app
