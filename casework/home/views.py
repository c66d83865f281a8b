from flask import Blueprint, render_template

from casework.home.services import my_work
from casework.web import actor

bp = Blueprint("main", __name__, template_folder="templates")


@bp.get("/")
def home() -> str:
    return render_template("main/home.html", work=my_work(actor()))
