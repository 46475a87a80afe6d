"""Each page under streamlit's AppTest: real content, no exception."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, make_tracks

APP = str(ROOT / "dashboard" / "app.py")


def _app(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    return at


def _upload_state(raw: bytes, name: str = "mine.csv") -> dict:
    import hashlib

    return {
        "data.source": "upload",
        "data.upload": {"name": name, "bytes": raw, "sha": hashlib.sha256(raw).hexdigest()},
    }


def shown(markdown: str) -> str:
    """Markdown source as a reader sees it (user text is backslash-escaped by plain())."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.mark.realdata
def test_data_page_on_spotify_30k(real_data_dir):
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "Data"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "32,833" and metrics["Genres"] == "6"
    assert metrics["Songs repeated"] == "3,166" and metrics["Under several genres"] == "1,687"
    assert at.selectbox(key="data.label").value == "playlist_genre"


@pytest.mark.realdata
def test_explore_page_on_spotify_30k(real_data_dir):
    at = _app().run()
    at.switch_page("../pages/explore.py").run()
    assert not at.exception
    assert [h.value for h in at.subheader] == [
        "Class balance",
        "Distributions by genre",
        "Descriptive statistics",
        "Correlations",
        "PCA projection",
    ]
    assert "32,833 rows, 6 genres, 13 numeric features" in at.caption[0].value
    assert "1,687 songs are filed under more than one genre" in at.info[0].value
    at.radio(key="explore.kind").set_value("violin").run()
    at.radio(key="explore.corr_method").set_value("spearman").run()
    assert not at.exception


def test_upload_and_change_roles():
    raw = make_tracks(90).to_csv(index=False).encode()
    at = _app(**_upload_state(raw)).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Rows"] == "90"
    at.multiselect(key="data.features").set_value(["tempo"])
    at.button[0].click().run()  # "Apply roles", the form's submit button
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Numeric features"] == "1"
    at.switch_page("../pages/explore.py").run()
    assert not at.exception and "90 rows, 3 genres, 1 numeric feature." in at.caption[0].value


def test_bad_roles_give_a_message_and_keep_the_old_ones():
    raw = make_tracks(90).to_csv(index=False).encode()
    at = _app(**_upload_state(raw)).run()
    at.multiselect(key="data.features").set_value(["track_name"])
    at.button[0].click().run()
    assert not at.exception
    assert "looks like a text column" in at.error[0].value
    assert {m.label: m.value for m in at.metric}["Numeric features"] == "3"


def test_explore_without_a_dataset_explains(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path))
    at = _app(**{"data.source": "spotify-youtube-raw"}).run()
    at.switch_page("../pages/explore.py").run()
    assert not at.exception
    assert "has no public download" in at.error[0].value


def test_keeping_some_genres_carries_to_explore():
    raw = make_tracks(90).to_csv(index=False).encode()
    at = _app(**_upload_state(raw)).run()
    at.multiselect(key="data.genre_choice").set_value(["pop", "rap"]).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Genres"] == "2"
    at.switch_page("../pages/explore.py").run()
    assert "60 rows, 2 genres" in at.caption[0].value
    at.switch_page("../pages/data.py").run()
    at.multiselect(key="data.genre_choice").set_value(["pop"]).run()
    assert "keep at least two genres" in at.error[0].value
    assert {m.label: m.value for m in at.metric}["Genres"] == "2"  # the last good choice stays


def test_download_offline_gives_a_message(tmp_path, monkeypatch):
    from dataclasses import replace

    from genre_core.data import registry

    monkeypatch.setenv("GENRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path))
    spec = registry.DATASETS["spotify-114k"]
    offline = replace(spec, file=replace(spec.file, url="http://127.0.0.1:9/dataset.csv"))
    monkeypatch.setitem(registry.DATASETS, "spotify-114k", offline)
    at = _app(**{"data.source": "spotify-114k"}).run()
    assert not at.exception
    assert "dataset.csv is not on this machine yet" in at.info[0].value
    at.button(key="data.download").click().run()
    assert not at.exception
    assert "could not download http://127.0.0.1:9/dataset.csv" in shown(at.error[0].value)
    assert list(tmp_path.rglob("*.part")) == []


def test_settings_survive_a_visit_to_another_page():
    raw = make_tracks(90).to_csv(index=False).encode()
    at = _app(**_upload_state(raw)).run()
    at.switch_page("../pages/train.py").run()
    at.number_input(key="train.seed").set_value(7).run()
    at.switch_page("../pages/data.py").run()
    at.switch_page("../pages/train.py").run()
    assert not at.exception
    assert at.number_input(key="train.seed").value == 7
