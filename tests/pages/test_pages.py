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
    assert "32,833 rows, 6 genres, 14 numeric features" in at.caption[0].value
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


def _apply_roles(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.label == "Apply roles").click().run()


def _role_widgets(at: AppTest) -> dict:
    return {
        "label": at.selectbox(key="data.label").value,
        "features": at.multiselect(key="data.features").value,
        "text": at.multiselect(key="data.text").value,
        "id": at.selectbox(key="data.id_column").value,
        "artist": at.selectbox(key="data.artist_column").value,
    }


def _roles_of(name: str) -> dict:
    """The role widgets' values a known dataset's detected roles call for."""
    from genre_core.data.dataset import load_dataset

    roles = load_dataset(name).roles
    return {
        "label": roles.label,
        "features": list(roles.features),
        "text": list(roles.text),
        "id": roles.id_column or "(none)",
        "artist": roles.artist_column or "(none)",
    }


@pytest.mark.realdata
def test_switching_dataset_shows_its_own_roles_and_genres(real_data_dir):
    """Issue 17: the widgets kept spotify-30k's choices, and Apply roles then narrowed the data."""
    at = _app().run()
    at.selectbox(key="data.choice").set_value("music-genre-11").run()
    assert not at.exception
    roles = _role_widgets(at)
    assert roles == _roles_of("music-genre-11")
    assert roles["text"] == ["Track Name"]
    assert {"popularity", "time_signature", "tempo"} <= set(roles["features"])
    genres = at.multiselect(key="data.genre_choice")
    assert genres.value == list(genres.options) and len(genres.options) == 11

    at.selectbox(key="data.choice").set_value("spotify-youtube").run()
    assert _role_widgets(at) == _roles_of("spotify-youtube")
    assert len(_role_widgets(at)["features"]) == 18
    _apply_roles(at)  # without touching anything
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "13,260" and metrics["Genres"] == "27"
    assert metrics["Numeric features"] == "18"


def test_a_second_upload_shows_its_own_roles_and_genres():
    import hashlib

    first = make_tracks(90).to_csv(index=False).encode()
    second_table = make_tracks(120, genres=("jazz", "pop", "rock", "blues"), seed=1)
    second_table = second_table.rename(columns={"track_name": "title", "energy": "power"})
    second_table["loudness"] = -second_table["tempo"] / 20
    second = second_table.to_csv(index=False).encode()
    at = _app(**_upload_state(first)).run()
    at.multiselect(key="data.genre_choice").set_value(["pop", "rap"]).run()
    at.session_state["data.upload"] = {
        "name": "second.csv", "bytes": second, "sha": hashlib.sha256(second).hexdigest()
    }  # fmt: skip
    at.session_state["data.roles"] = None  # what remember_upload does on a new file
    at.session_state["data.genres"] = None
    at.run()
    assert not at.exception
    roles = _role_widgets(at)
    assert roles["features"] == ["danceability", "power", "tempo", "loudness"]
    assert roles["text"] == ["title"]
    assert sorted(at.multiselect(key="data.genre_choice").value) == ["blues", "jazz", "pop", "rock"]
    _apply_roles(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "120" and metrics["Genres"] == "4"
    assert metrics["Numeric features"] == "4"


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


def test_explore_statistics_have_one_row_per_feature_with_its_unit():
    """Issue 17: the table (one column per feature) was cut off at 1400 px and had no units."""
    raw = make_tracks(90).to_csv(index=False).encode()
    at = _app(**_upload_state(raw)).run()
    at.switch_page("../pages/explore.py").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "unit" in d.value.columns)
    assert list(table.index) == ["danceability", "energy", "tempo"]
    assert table.loc["tempo", "unit"] == "BPM" and table.loc["energy", "unit"] == "0–1"
    assert list(table.columns) == [
        "unit",
        "count",
        "mean",
        "std",
        "min",
        "25%",
        "50%",
        "75%",
        "max",
    ]
    assert at.selectbox(key="explore.feature").format_func("tempo") == "tempo (BPM)"
