"""Signing in from the dialog against the simulator: a pasted token, the device flow, sign-out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from releasemgr import config
from releasemgr.github.auth import host_of
from releasemgr.sim import Simulator
from releasemgr.ui.controller import Controller
from releasemgr.ui.signin import SignInDialog, api_url_from
from tests.memkeyring import MemoryKeyring


@pytest.fixture
def controller() -> Iterator[Controller]:
    ctl = Controller()
    yield ctl
    assert ctl.shutdown(10_000)


def _dialog(qtbot: QtBot, controller: Controller, sim: Simulator) -> SignInDialog:
    dialog = SignInDialog(controller)
    qtbot.addWidget(dialog)
    dialog.enterprise.setChecked(True)
    dialog.server.setText(sim.api_url)
    dialog.repository.setText(sim.repository)
    return dialog


def test_api_url_from_what_people_type() -> None:
    assert api_url_from("") == "https://api.github.com"
    assert api_url_from("github.com") == "https://api.github.com"
    assert api_url_from("https://ghe.example.com/") == "https://ghe.example.com/api/v3"
    assert api_url_from("ghe.example.com") == "https://ghe.example.com/api/v3"
    assert api_url_from("https://ghe.example.com/api/v3") == "https://ghe.example.com/api/v3"
    assert api_url_from("http://127.0.0.1:8123") == "http://127.0.0.1:8123"


def test_pasted_token_signs_in_remembers_and_signs_out(
    qtbot: QtBot, controller: Controller, sim: Simulator, keychain: MemoryKeyring
) -> None:
    dialog = _dialog(qtbot, controller, sim)
    login = sim.login_for_role("release-manager")
    dialog.token.setText(sim.token(login))
    with qtbot.waitSignal(controller.session_changed, timeout=20_000) as blocker:
        dialog.token_button.click()
    session = blocker.args[0]
    assert session.login == login and session.repository == sim.repository
    assert dialog.result() == QDialog.DialogCode.Accepted
    host = host_of(sim.api_url)
    assert keychain.items[("releasemgr", host)] == sim.token(login)
    saved = config.load()
    assert (saved.api_url, saved.repository) == (sim.api_url, sim.repository)

    # The next start signs in quietly from the keychain.
    again = Controller()
    try:
        with qtbot.waitSignal(again.session_changed, timeout=20_000) as restored:
            again.restore_session()
        assert restored.args[0].login == login
    finally:
        assert again.shutdown(10_000)

    with qtbot.waitSignal(controller.session_changed) as out:
        controller.sign_out(forget=True)
    assert out.args[0] is None
    qtbot.waitUntil(lambda: ("releasemgr", host) not in keychain.items)


def test_a_bad_token_says_what_to_do_and_never_shows_the_token(
    qtbot: QtBot, controller: Controller, sim: Simulator, keychain: MemoryKeyring
) -> None:
    dialog = _dialog(qtbot, controller, sim)
    bad = "ghp_" + "x" * 36
    dialog.token.setText(bad)
    with qtbot.waitSignal(controller.sign_in_failed, timeout=20_000) as blocker:
        dialog.submit_token()
    message = blocker.args[0]
    assert "Sign in again" in message
    assert bad not in message and bad not in dialog.error.text()
    assert dialog.error.text() == message
    assert controller.session is None
    assert keychain.items == {}


def test_missing_fields_are_named_before_anything_is_sent(
    qtbot: QtBot, controller: Controller, sim: Simulator
) -> None:
    dialog = _dialog(qtbot, controller, sim)
    dialog.repository.setText("just-a-name")
    dialog.token.setText("ghp_whatever")
    dialog.submit_token()
    assert dialog.error.text() == "Enter the repository as owner/name."
    dialog.repository.setText(sim.repository)
    dialog.token.clear()
    dialog.submit_token()
    assert dialog.error.text() == "Paste a token first."
    assert not controller.tasks.busy


def test_device_flow_shows_the_code_opens_the_browser_and_signs_in(
    qtbot: QtBot, controller: Controller, sim: Simulator
) -> None:
    sim.device.interval = 0  # the simulator's GitHub asks for no pause between polls
    controller.env["GITHUB_SERVER_URL"] = sim.web_url
    dialog = _dialog(qtbot, controller, sim)
    opened: list[QUrl] = []
    dialog.open_url = opened.append
    dialog.remember.setChecked(False)
    with qtbot.waitSignal(controller.device_code_ready, timeout=20_000) as blocker:
        dialog.device_button.click()
    code = blocker.args[0]
    assert dialog.code_label.text() == code.user_code
    assert opened == [QUrl(code.verification_uri)]
    assert not dialog.waiting.isHidden(), "waiting is shown"
    assert not dialog.device_button.isEnabled()
    approver = sim.login_for_role("approver")
    with qtbot.waitSignal(controller.session_changed, timeout=20_000) as signed:
        assert sim.authorize_device(code.user_code, approver)
    assert signed.args[0].login == approver


def test_cancelling_the_device_flow_stops_polling(
    qtbot: QtBot, controller: Controller, sim: Simulator
) -> None:
    controller.env["GITHUB_SERVER_URL"] = sim.web_url
    dialog = _dialog(qtbot, controller, sim)
    dialog.open_url = lambda _url: None
    with qtbot.waitSignal(controller.device_code_ready, timeout=20_000):
        dialog.start_device_flow()
    dialog.reject()
    assert controller.tasks.wait(10_000)
    assert controller.session is None


def test_without_a_keychain_sign_in_works_and_says_it_was_not_remembered(
    qtbot: QtBot, controller: Controller, sim: Simulator
) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # the autouse keychain fixture restores the previous
    notices: list[str] = []
    controller.notice.connect(notices.append)
    login = sim.login_for_role("qa")
    with qtbot.waitSignal(controller.session_changed, timeout=20_000) as blocker:
        controller.sign_in(sim.api_url, sim.repository, sim.token(login), remember=True)
    assert blocker.args[0].login == login
    assert blocker.args[0].origin == ""
    assert notices and notices[0].startswith("Signed in, but not remembered: No usable keyring")
    # Nothing was kept, so signing out has nothing to forget (and no keychain error appears).
    errors: list[str] = []
    controller.error.connect(errors.append)
    controller.sign_out(forget=True)
    assert not controller.tasks.busy
    assert errors == []


def test_a_rejected_keychain_token_at_start_asks_to_sign_in_again(
    qtbot: QtBot, sim: Simulator, keychain: MemoryKeyring
) -> None:
    from releasemgr.ui.mainwindow import MainWindow

    config.save(config.Config(api_url=sim.api_url, repository=sim.repository))
    keychain.items[("releasemgr", host_of(sim.api_url))] = "ghp_" + "r" * 36  # revoked since
    controller = Controller()
    window = MainWindow(controller)
    qtbot.addWidget(window)
    with qtbot.waitSignal(controller.sign_in_failed, timeout=20_000) as blocker:
        controller.restore_session()
    assert "Sign in again" in blocker.args[0]
    assert window.statusBar().currentMessage() == blocker.args[0]
    assert controller.session is None
    window.close()
