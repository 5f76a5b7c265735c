"""Signing in and out: named accounts, lockout, validity dates, idle and absolute timeouts.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax, Secure when the request came over
TLS). The times are read from the injected clock, so a test can move it: 15 minutes without a
request or 8 hours after signing in, the next request finds the session over.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from emp_edge.domain.access import PUBLIC, SIGNED_IN
from emp_edge.store.accounts import (
    HASHER,
    Account,
    Refusal,
    find_account,
    load_account,
    set_language,
    verify_password,
)
from emp_edge.store.audit import Entry, record
from emp_edge.store.logins import clear_failures, locked_until, record_failure
from emp_edge.web.access import audit, needs, services, source, wants_page
from emp_edge.web.i18n import LANGUAGES, gettext

IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_TIMEOUT = timedelta(hours=8)
#: a hash of nothing anyone knows, verified when the user name is unknown, so both take as long
_DECOY = HASHER.hash("emp-edge decoy password")

blueprint = Blueprint("session", __name__)


class SignedIn(UserMixin):  # type: ignore[misc]
    """The person behind a session, as flask-login wants them."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def get_id(self) -> str:
        return str(self.account.id)


class SessionCookies(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request itself came over TLS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField(validators=[InputRequired(), Length(max=64)])
    password = PasswordField(validators=[InputRequired(), Length(max=256)])


def _now() -> datetime:
    return services().clock.now()


def _load(user_id: str) -> SignedIn | None:
    """Each request reloads the account: a disabled or expired account is out at once."""
    try:
        account = load_account(services().store.conn, int(user_id))
    except ValueError:
        return None
    if account is None or account.refusal(services().clock.today()) is not None:
        return None
    return SignedIn(account)


def check_session_age() -> ResponseReturnValue | None:
    """Before each request: end a session idle for 15 minutes or older than 8 hours."""
    if not current_user.is_authenticated:
        return None
    now = _now().timestamp()
    signed_in_at = float(session.get("signed_in_at", 0))
    seen_at = float(session.get("seen_at", 0))
    app = services()
    idle = current_app.config["IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["ABSOLUTE_TIMEOUT"].total_seconds()
    why = ""
    if now - signed_in_at > absolute:
        why = "absolute"
    elif now - seen_at > idle:
        why = "idle"
    if not why:
        if not request.endpoint or not request.endpoint.endswith("_events"):
            session["seen_at"] = now  # a live-status stream does not count as activity
        return None
    with app.store.transaction(require_event=False) as tx:
        audit(tx, "session.expired", detail=why)
    logout_user()
    session.clear()
    if wants_page():
        return redirect(url_for("session.login", expired=why))
    abort(401)


def _safe_next(target: str | None) -> str:
    """Only a path on this site, never another host."""
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("dashboard.index")
    return target


def _refusal_text(account: Account, refusal: Refusal) -> str:
    if refusal is Refusal.DISABLED:
        return gettext("This account is disabled. Ask the administrator.")
    if refusal is Refusal.NOT_YET_VALID:
        return gettext("This account is valid from %(day)s.", day=account.details.valid_from)
    return gettext("This account was valid until %(day)s.", day=account.details.valid_to)


@blueprint.route("/login", methods=["GET", "POST"])
@needs(PUBLIC)
def login() -> ResponseReturnValue:
    form = LoginForm()
    notice = ""
    expired = request.args.get("expired")
    if expired == "idle":
        notice = gettext("Your session ended after 15 minutes without activity. Sign in again.")
    elif expired == "absolute":
        notice = gettext("Your session ended after 8 hours. Sign in again.")
    elif request.args.get("out"):
        notice = gettext("You have signed out.")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("dashboard.index"))
        return render_template("login.html", form=form, notice=notice)
    if not form.validate():
        return render_template("login.html", form=form), 400
    error, status = _sign_in(form.username.data.strip(), form.password.data)
    if error:
        return render_template("login.html", form=form, error=error), status
    return redirect(_safe_next(request.args.get("next")))


def _sign_in(username: str, password: str) -> tuple[str, int]:
    """Check the credentials and sign in; returns an error to show, or "" on success."""
    app = services()
    store = app.store
    now = app.clock.now()
    typed = username[:64]
    until = locked_until(store.conn, username, now)
    if until is not None:
        with store.transaction(require_event=False) as tx:
            record(tx, Entry(typed, "login.locked", source=source()))
        return _locked_text(until), 429
    found = find_account(store.conn, username)
    good = verify_password(found[1] if found else _DECOY, password) and found is not None
    if not good or found is None:
        with store.transaction(require_event=False) as tx:
            record(tx, Entry(typed, "login.failed", source=source()))
            until = record_failure(tx, username, source())
        if until is not None:
            return _locked_text(until), 429
        return gettext("Wrong user name or password."), 401
    account = found[0]
    refusal = account.refusal(app.clock.today())
    if refusal is not None:
        with store.transaction(require_event=False) as tx:
            record(tx, Entry(account.username, "login.refused", "", str(refusal), source(),
                             account.id))  # fmt: skip
        return _refusal_text(account, refusal), 403
    with store.transaction(require_event=False) as tx:
        clear_failures(tx, username)
        record(tx, Entry(account.username, "login", source=source(), user_id=account.id))
    session.clear()
    login_user(SignedIn(account))
    session.permanent = True
    session["signed_in_at"] = session["seen_at"] = now.timestamp()
    return "", 200


def _locked_text(until: datetime) -> str:
    local = until.astimezone(services().settings.tz)
    return gettext(
        "Too many failed logins: this account is locked until %(time)s. Try again then.",
        time=local.strftime("%H:%M"),
    )


@blueprint.post("/logout")
@needs(SIGNED_IN)
def logout() -> ResponseReturnValue:
    with services().store.transaction(require_event=False) as tx:
        audit(tx, "logout")
    logout_user()
    session.clear()
    return redirect(url_for("session.login", out=1))


@blueprint.post("/language")
@needs(PUBLIC)
def choose_language() -> ResponseReturnValue:
    wanted = request.form.get("language", "")
    if wanted not in LANGUAGES:
        abort(400)
    if current_user.is_authenticated:
        with services().store.transaction() as tx:
            set_language(tx, current_user.account.id, wanted)
            audit(tx, "user.language_set", f"user:{current_user.account.id}", wanted)
    else:
        session["lang"] = wanted
    return redirect(_safe_next(request.form.get("back")))


def setup(app: Flask) -> None:
    app.session_interface = SessionCookies()
    manager = LoginManager(app)
    manager.user_loader(_load)
    manager.session_protection = None  # the timeouts above do this job, with the clock we test

    def unauthorized() -> Response:
        abort(401)

    manager.unauthorized_handler(unauthorized)
    app.before_request(check_session_age)
