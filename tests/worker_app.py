"""The portal as gunicorn runs it, plus a header naming the worker process (for tests only)."""
import os

from portal import create_app

app = create_app()


@app.after_request
def name_the_worker(response):
    response.headers["X-Worker"] = str(os.getpid())
    return response
