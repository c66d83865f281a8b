"""/account/notifications: what each user is told about, and how."""

from flask import Blueprint, render_template, url_for

from casework.notifications.forms import NotificationPreferencesForm
from casework.notifications.services import preferences
from casework.ui.flow import Page, Saved, submit
from casework.web import actor

bp = Blueprint("notification_preferences", __name__, template_folder="../templates")


@bp.route("/account/notifications", methods=["GET", "POST"])
def edit() -> Page:
    user = actor()
    current = preferences.choices_of(user)
    form = NotificationPreferencesForm(data={kind.value: choice for kind, choice in current.items()})
    return submit(
        form,
        lambda: preferences.change_choices(user, form.chosen()),
        check=lambda: preferences.check_choices(form.chosen()),
        saved=lambda changed: Saved(
            "Your notification choices have been saved." if changed else "Nothing was changed.",
            url_for("notification_preferences.edit"),
        ),
        page=lambda: render_template("notification_preferences/edit.html", form=form),
    )
