"""Classroom mode in a real browser: the teacher opens a lesson link, two students train and
submit to the class board, the board ranks them, the teacher reveals the private half."""

import os

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_helpers import wait_drawn
from conftest import ARTIFACTS, free_port, start_app, stop_app

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

LESSON = "genre-factor"
PASSPHRASE = "a teacher's long passphrase"
SHOTS = os.environ.get("GENRE_SHOTS")  # a folder for extra copies of the screenshots


@pytest.fixture(scope="module")
def class_url(real_data_dir, tmp_path_factory):
    """The app with a board of its own and the teacher's passphrase in its environment."""
    folder = tmp_path_factory.mktemp("classroom")
    env = {
        **os.environ,
        "GENRE_DATA_DIR": str(real_data_dir),
        "GENRE_BOARD_URL": f"sqlite:///{folder / 'board.db'}",
        "GENRE_TEACHER_PASSPHRASE": PASSPHRASE,
    }
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    process = start_app(port, (ARTIFACTS / "streamlit-classroom.log").open("w"), env)
    yield f"http://127.0.0.1:{port}"
    stop_app(process)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"page-{name}.png", full_page=True)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"h24-{name}.png"), full_page=True)


def go(page: Page, title: str, heading: str | None = None) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=heading or title, level=1)).to_be_visible(
        timeout=60_000
    )
    wait_drawn(page)


def train_and_submit(page: Page, nickname: str, extra_model: str | None) -> None:
    go(page, "Train")
    expect(
        page.get_by_role("radiogroup", name="Split").get_by_role("radio", name="grouped")
    ).to_be_checked()
    expect(
        page.get_by_role("radiogroup", name="Split").get_by_role("radio", name="grouped")
    ).to_be_disabled()
    if extra_model is None:
        shot(page, "lesson-train")
    if extra_model:
        page.get_by_test_id("stMultiSelect").filter(has_text="Models").click()
        page.get_by_role("option", name=extra_model).click()
        page.keyboard.press("Escape")
        wait_drawn(page)
    page.get_by_test_id("stButton").get_by_role("button", name="Train").click()
    expect(page.get_by_role("heading", name="Evaluation")).to_be_visible(timeout=300_000)
    go(page, "Class board")
    page.get_by_label("Your nickname on the class board", exact=True).fill(nickname)
    page.get_by_role("button", name="Join the board").click()
    expect(page.get_by_text(f"Signed in as {nickname}")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Submit to the class board").click()
    expect(page.get_by_text("Submission 1:")).to_be_visible(timeout=60_000)
    wait_drawn(page)


def test_teacher_and_two_students(browser: Browser, class_url: str):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1800}) for _ in range(3)]
    try:
        teacher, ada, bob = (c.new_page() for c in contexts)
        for page in (teacher, ada, bob):
            page.set_default_timeout(120_000)
            page.goto(f"{class_url}/?lesson={LESSON}")
            wait_drawn(page)
        sidebar = teacher.get_by_test_id("stSidebar")
        expect(sidebar).to_contain_text("The Genre Factor: does the network beat the SVM?")
        expect(sidebar).to_contain_text("Locked by the teacher")
        expect(sidebar.get_by_role("link", name="Bayesian")).to_have_count(0)  # not open
        shot(teacher, "lesson-sidebar")

        train_and_submit(ada, "Ada", None)
        train_and_submit(bob, "Bob", "k-nearest neighbours")

        go(teacher, "Class board")
        board = teacher.get_by_test_id("stDataFrame").first
        expect(board).to_contain_text("Ada")
        expect(board).to_contain_text("Bob")
        expect(teacher.get_by_test_id("stPlotlyChart")).to_have_count(1)
        assert teacher.get_by_role("heading", name="Private board").count() == 0
        teacher.get_by_text("Teacher", exact=True).click()
        teacher.get_by_label("Teacher's passphrase", exact=True).fill(PASSPHRASE)
        teacher.get_by_role("button", name="Open the teacher view").click()
        teacher.get_by_role("button", name="Reveal the private half").click()
        expect(
            teacher.get_by_role("heading", name="Private board (revealed by the teacher)")
        ).to_be_visible()
        wait_drawn(teacher)
        assert PASSPHRASE not in teacher.url
        shot(teacher, "board")

        ada.reload()
        wait_drawn(ada)
        expect(
            ada.get_by_role("heading", name="Private board (revealed by the teacher)")
        ).to_be_visible()
        expect(ada.get_by_text("Signed in as Ada")).to_be_visible()  # the key in the address
        go(ada, "Guess the genre")
        ada.get_by_test_id("stRadio").get_by_text("rock", exact=True).click()
        ada.get_by_role("button", name="Guess", exact=True).click()
        expect(ada.get_by_test_id("stMetric").filter(has_text="Truth")).to_be_visible()
        wait_drawn(ada)
        shot(ada, "guess")
        for page in (teacher, ada, bob):
            assert page.get_by_test_id("stException").count() == 0
    finally:
        for context in contexts:
            context.close()
