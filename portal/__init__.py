"""The relapse portal: plain-language pages for families, and the workflow that translates them."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def _secret_key(instance_path: str) -> str:
    """A per-installation secret kept in the instance folder, made on first start."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _remove_interrupted_writes(app: Flask) -> None:
    """Remove the temporary files that killed writes left in the folders this portal writes
    (``catalogs.remove_orphans_under``): its local copy of what was published, and the
    translations folder. Cheap (a few folders) and never fails the start: a problem is logged."""
    from portal.translation import catalogs

    for key in ("PUBLISHED_DIR", "TRANSLATIONS_DIR"):
        try:
            catalogs.remove_orphans_under(Path(app.config[key]))
        except Exception:  # a clean-up must not stop the portal from starting
            app.logger.warning("could not remove temporary files of interrupted writes in %s", app.config[key],
                               exc_info=True)


class ConfigurationError(RuntimeError):
    """The portal cannot start as configured; the message says what to set."""


def _shared_secret_required(config) -> None:
    """Several hosts on one database must sign sessions, CSRF tokens and download stamps with one
    key: a key made by each host in its own instance folder would log people out and refuse
    their forms whenever the load balancer sent them to another host."""
    if config["DATABASE_URL"].startswith("sqlite") or config.get("SECRET_KEY"):
        return
    raise ConfigurationError(
        "FLASK_SECRET_KEY is not set. With a database other than the embedded SQLite, every host "
        "must use the same secret key: generate one with `python -c \"import secrets; print(secrets.token_hex(32))\"` "
        "and set it as FLASK_SECRET_KEY (or SECRET_KEY in instance/config.py) on every host.")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then FLASK_* variables, then ``test_config``."""
    # FLASK_INSTANCE_PATH: this host's own folder (config.py, the local copy of what was published);
    # read before the config, which lives in it. Nothing in it is shared between hosts.
    app = Flask(__name__, instance_relative_config=True, instance_path=os.environ.get("FLASK_INSTANCE_PATH") or None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{Path(app.instance_path) / 'portal.sqlite3'}",
        CONTENT_DIR=str(ROOT / "content"),
        TRANSLATIONS_DIR=str(ROOT / "translations"),
        PUBLISHED_DIR=str(Path(app.instance_path) / "published"),
        UPLOAD_DIR=str(Path(app.instance_path) / "uploads"),  # not used for uploads any more: exports may not go there
        BABEL_CFG=str(ROOT / "babel.cfg"),
        PROJECT_ROOT=str(ROOT),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Browsers send Secure cookies to http://127.0.0.1 and localhost too, so `make run` works.
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_NAME="portal_session",
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        MAX_CONTENT_LENGTH=6 * 1024 * 1024,
        # Reverse proxies in front of the portal that add X-Forwarded-For (FLASK_TRUSTED_PROXIES);
        # 0: clients connect directly and the header is ignored. See portal.web.trust_proxies.
        TRUSTED_PROXIES=0,
        # Who publishes the guide (portal.families.publisher): shown on /<lang>/about and in every
        # family page's footer. Empty: the pages say "the publisher of this guide" and show no contact.
        ORGANISATION_NAME="",
        ORGANISATION_ADDRESS="",
        ORGANISATION_PHONE="",
        ORGANISATION_EMAIL="",
        ORGANISATION_WEBSITE="",
        # E-mail notifications (portal.notify.mailer): FLASK_MAIL_SERVER and so on. No server: nothing
        # is queued or sent, and the staff pages say so.
        MAIL_SERVER="",
        MAIL_PORT=25,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME="",
        MAIL_PASSWORD="",
        MAIL_DEFAULT_SENDER="",
        MAIL_TIMEOUT=10,
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config:
        app.config.from_mapping(test_config)
    _shared_secret_required(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    _remove_interrupted_writes(app)

    from portal import cli, db, web
    from portal.families import i18n
    from portal.families.content import load_pages
    from portal.translation.checks import Terms

    db.init_app(app)
    i18n.init_app(app)
    app.extensions["content"] = load_pages(Path(app.config["CONTENT_DIR"]))
    app.extensions["terms"] = Terms.load(Path(app.config["CONTENT_DIR"]))
    web.init_app(app)
    cli.init_app(app)
    return app
