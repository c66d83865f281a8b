from flask import Blueprint, render_template

from casework.services.home import my_work
from casework.views import actor

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    return render_template("main/home.html", work=my_work(actor()))
