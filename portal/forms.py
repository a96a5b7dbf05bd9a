"""Forms for staff pages (Flask-WTF: every form carries a CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from portal.locales import TRANSLATED_LOCALES
from portal.models import ROLES
from portal.people.accounts import CREDENTIAL_LIMIT, DISPLAY_NAME_LIMIT, MIN_PASSWORD, USERNAME_LIMIT
from portal.review.rules import REASON_LIMIT


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(f"{role}:{loc.code}", f"{role} for {loc.native_name} ({loc.code})")
            for role in ROLES for loc in TRANSLATED_LOCALES]


class LoginForm(FlaskForm):
    # No username is longer than its column; a longer one is refused before the database,
    # which on PostgreSQL would fail to record the attempt (a 500).
    username = StringField("Username", validators=[
        DataRequired("Enter your username."),
        Length(max=USERNAME_LIMIT, message=f"Usernames have at most {USERNAME_LIMIT} characters.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    new = PasswordField("New password", validators=[DataRequired("Enter a new password."),
                                                    Length(min=MIN_PASSWORD, message=f"Use at least {MIN_PASSWORD} characters.")])
    confirm = PasswordField("New password again", validators=[EqualTo("new", "The two new passwords differ.")])


class CredentialForm(FlaskForm):
    """What a reviewer tells families about themselves. The rules (length, visible characters) are
    the domain's (``accounts.check_credential``); ``maxlength`` only helps while typing."""

    credential = StringField("Your credential line (optional)", render_kw={"maxlength": CREDENTIAL_LIMIT})
    show_to_families = BooleanField("Show my name and credential line to families")


class RolesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonForm(FlaskForm):
    """Create a person (with a password) or edit one (password left out)."""

    # The username rule (characters, length) is the domain's: accounts.check_username says it.
    username = StringField("Username", validators=[DataRequired("Enter a username.")])
    display_name = StringField("Display name", validators=[DataRequired("Enter a display name."),
                                                           Length(max=DISPLAY_NAME_LIMIT)])
    password = PasswordField(f"Password (at least {MIN_PASSWORD} characters)")
    is_admin = BooleanField("Admin: may manage people and publish")
    roles = RolesField("Roles", choices=role_choices(), validate_choice=True)

    def role_pairs(self) -> list[tuple[str, str]]:
        return [tuple(value.split(":", 1)) for value in self.roles.data or []]


class ConfirmForm(FlaskForm):
    """A button that changes state: only its CSRF token is needed."""


class ApproveForm(FlaskForm):
    """Approve the text shown; ``seen`` is its fingerprint, so a changed text is refused."""

    seen = HiddenField(validators=[DataRequired()])
    note = TextAreaField("Note (optional, kept in the trail)", validators=[Length(max=REASON_LIMIT)])


class RejectForm(FlaskForm):
    seen = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Reason (required: the translator reads it)",
                           validators=[DataRequired("Give a reason: the translator reads it to fix the text."),
                                       Length(max=REASON_LIMIT, message=f"Keep the reason under {REASON_LIMIT} characters.")])


class RevokeForm(FlaskForm):
    reason = TextAreaField("Reason for revoking (required)",
                           validators=[DataRequired("Give a reason for revoking: it is kept in the trail "
                                                    "and the translator reads it."),
                                       Length(max=REASON_LIMIT, message=f"Keep the reason under {REASON_LIMIT} characters.")])


class CommentForm(FlaskForm):
    """A comment on a message. What it may say (length, blank, hidden characters) is the domain's
    rule (``portal.review.comments.clean_body``), so the form checks only its CSRF token."""

    body = TextAreaField("Add a comment")
