"""Accounts: -u USER logs in first, with the password from ARGO_PASSWORD,
ARGO_PASSWORD_FILE (0600 or stricter) or the terminal (expect), never
from argv; the command runs only after a successful login."""

import os

import pytest

from conftest import PASSWORD, WRONG, client_argv, expect, lines, run


def specs(ds):
    return ",".join(d.spec for d in ds)


def running(d):
    r = run(d.spec, "list", "running")
    assert r.returncode == 0, r.stderr
    return [ln.split()[0] for ln in lines(r.stdout)]


def test_env_password_on_every_host(fleet):
    r = run("-u", "admin", specs(fleet), "whoami", password=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert sorted(lines(r.stdout)) == sorted("%s: admin" % d.spec
                                             for d in fleet)
    assert PASSWORD not in r.stdout + r.stderr


def test_control_command_after_login(fleet):
    hosts = specs(fleet[:3])
    try:
        r = run("-u", "admin", hosts, "start", "web1", password=PASSWORD)
        assert (r.returncode, r.stderr) == (0, "")
        assert all(running(d) == ["web1"] for d in fleet[:3])
    finally:
        run("-u", "admin", hosts, "destroy", "web1", password=PASSWORD)
    assert all(running(d) == [] for d in fleet[:3])


def test_wrong_password_runs_nothing(fleet):
    r = run("-u", "admin", specs(fleet[:3]), "start", "web1", password=WRONG)
    assert r.returncode == 1
    assert sorted(lines(r.stderr)) == sorted(
        "%s: 400 AUTHENTICATION FAILED" % d.spec for d in fleet[:3])
    assert WRONG not in r.stdout + r.stderr
    assert all(running(d) == [] for d in fleet[:3])


def test_without_login_control_is_refused(fleet):
    r = run(fleet[0].spec, "start", "web1")
    assert r.returncode == 1
    assert lines(r.stderr) == ["%s: 400 NOT AUTHENTICATED" % fleet[0].spec]


def test_readonly_account(fleet):
    r = run("-u", "ro", fleet[0].spec, "start", "web1", password=PASSWORD)
    assert r.returncode == 1
    assert lines(r.stderr) == ["%s: 400 PERMISSION DENIED" % fleet[0].spec]


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_password_file(fleet, tmp_path, mode):
    f = tmp_path / "pw"
    f.write_text(PASSWORD + "\r\nsecond line ignored\n")
    os.chmod(f, mode)
    r = run("-u", "admin", specs(fleet[:2]), "whoami", password_file=f)
    assert r.returncode == 0, r.stderr
    assert sorted(lines(r.stdout)) == sorted("%s: admin" % d.spec
                                             for d in fleet[:2])


def test_password_file_without_newline(fleet, tmp_path):
    f = tmp_path / "pw"
    f.write_text(PASSWORD)
    os.chmod(f, 0o600)
    r = run("-u", "admin", fleet[0].spec, "whoami", password_file=f)
    assert (r.returncode, r.stdout) == (0, "admin\n")


def test_env_beats_file(fleet, tmp_path):
    f = tmp_path / "pw"
    f.write_text(WRONG + "\n")
    os.chmod(f, 0o600)
    r = run("-u", "admin", fleet[0].spec, "whoami", password=PASSWORD,
            password_file=f)
    assert (r.returncode, r.stdout) == (0, "admin\n")


def test_terminal_password(fleet):
    """No ARGO_PASSWORD*: asked once on the terminal, for three hosts,
    without echo."""
    r, rc = expect("password.exp", PASSWORD,
                   *client_argv("-u", "admin", specs(fleet[:3]), "whoami"))
    assert rc == 0, r.stdout
    assert "Password for admin: " in r.stdout
    assert PASSWORD not in r.stdout
    for d in fleet[:3]:
        assert "%s: admin" % d.spec in r.stdout


def test_terminal_wrong_password(fleet):
    r, rc = expect("password.exp", WRONG,
                   *client_argv("-u", "admin", fleet[0].spec, "whoami"))
    assert rc == 1, r.stdout
    assert "400 AUTHENTICATION FAILED" in r.stdout
    assert WRONG not in r.stdout


def test_terminal_restored_after_password(fleet, tmp_path):
    """The terminal gets its echo back: stty -g before and after."""
    before, after = tmp_path / "before", tmp_path / "after"
    sh = ("stty -g > %s; %s; stty -g > %s" % (
        before, " ".join("'%s'" % a for a in client_argv(
            "-u", "admin", fleet[0].spec, "whoami")), after))
    r, rc = expect("password.exp", PASSWORD, "sh", "-c", sh)
    assert rc == 0, r.stdout
    assert before.read_text() == after.read_text()


def test_interactive_session_on_a_terminal(fleet):
    """Exit 1: one of the replies was a 400 (the worst reply decides, as
    for a command)."""
    d = fleet[0]
    r, rc = expect("interactive.exp", d.spec, PASSWORD, *client_argv(d.spec))
    assert rc == 1, r.stdout
    assert "not ok" not in r.stdout
    assert r.stdout.count("\nok ") + r.stdout.startswith("ok ") == 8, r.stdout
