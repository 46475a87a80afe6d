"""A job outlives its browser tab: the page keeps the job's id in its URL, so a reload (a new
session with the same URL) finds the running job, its curve so far and its result; a session
without the id never sees it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import (
    app_with_upload,
    live_epochs,
    make_tracks,
    network_result,
    poll_page,
    start_network,
)

FRAME = make_tracks(600, seed=5)


def networks_page(query: dict | None = None) -> AppTest:
    return app_with_upload(FRAME, "networks", query=query)


def test_a_reload_finds_the_running_job_and_another_session_does_not():
    at = networks_page()
    job = start_network(at, 300)
    assert at.query_params["nets"] == [job.id] or at.query_params["nets"] == job.id
    poll_page(at, lambda: (live_epochs(at) or 0) >= 2)

    reloaded = networks_page({"nets": job.id})  # the same URL in a new session
    assert reloaded.session_state["nets.job"].job is job.job
    poll_page(reloaded, lambda: (live_epochs(reloaded) or 0) >= 3)  # the curve so far, growing

    stranger = networks_page()  # another student's tab: no id, no job
    assert stranger.session_state["nets.job"] is None
    assert not stranger.get("progress") and not live_epochs(stranger)

    reloaded.button(key="nets.stop").click().run()
    poll_page(reloaded, lambda: not job.running, timeout=60)
    reloaded.run()
    assert job.status == "stopped"
    assert network_result(reloaded).stop_reason == "stopped"
    at.run()  # the first tab sees the same end
    assert network_result(at).stop_reason == "stopped"
