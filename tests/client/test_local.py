"""The local socket from the client (DESIGN.md 8): `argo -l`, `unix:PATH`
mixed with TCP hosts, a console over the socket, `argo -R` relaying stdin
and stdout, and the host operands that are bad use (exit 64).  Our own uid
is mapped to admin, so no root is needed."""


import pytest

from conftest import Daemon, lines, run


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    root = tmp_path_factory.mktemp("local")
    d = Daemon(root / "d", "127.0.0.1", socket=str(root / "run/argo.sock"))
    d.sock = str(root / "run/argo.sock")
    d.spawn().wait_ready()
    yield d
    d.stop()


def env_of(d):
    return {"ARGO_SOCKET": d.sock}


def test_dash_l(local):
    r = run("-l", "whoami", env=env_of(local))
    assert (r.returncode, r.stdout, r.stderr) == (0, "admin\n", "")


def test_dash_l_interactive(local):
    r = run("-l", input="whoami\nlist available\n", env=env_of(local))
    assert r.returncode == 0, r.stderr
    assert lines(r.stdout)[0] == "admin"
    assert "web1" in lines(r.stdout)


def test_unix_and_tcp_in_one_fleet(local):
    u = "unix:%s" % local.sock
    r = run("-o", "%s,%s" % (u, local.spec), "whoami")
    assert (r.returncode, r.stderr) == (0, "")
    assert lines(r.stdout) == ["%s: admin" % u, "%s: anonymous" % local.spec]


def test_missing_socket_is_that_hosts_error(local, tmp_path):
    u = "unix:%s" % (tmp_path / "none.sock")
    r = run("%s,%s" % (u, local.spec), "version")
    assert r.returncode == 2
    assert lines(r.stderr) == ["%s: connect: No such file or directory" % u]
    assert lines(r.stdout) == ["%s: argo-server 0.1.0" % local.spec]


def test_console_over_the_socket(local):
    local.start_guest("web1")
    try:
        r = run("-l", "console", "web1", input="\x1d", env=env_of(local))
        assert r.returncode == 0, r.stderr
        r = run("-l", input="console web1\n\x1d\nwhoami\n",
                env=env_of(local))
        assert r.returncode == 0, r.stderr
        assert r.stdout.endswith("\nadmin\n"), r.stdout
    finally:
        local.xl_run("destroy", "web1")


def test_relay(local):
    r = run("-R", input="whoami\nquit\n", env=env_of(local))
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == "200 OK\nadmin\n300 DONE\n200 OK\n300 BYE\n"


def test_relay_without_a_socket(tmp_path):
    r = run("-R", input="whoami\n",
            env={"ARGO_SOCKET": str(tmp_path / "none.sock")})
    assert r.returncode == 2
    assert "none.sock: No such file or directory" in r.stderr


@pytest.mark.parametrize("args", [
    ["-R", "x"], ["-R", "-o"], ["-o", "-R"], ["-l", "-H", "-", "whoami"],
    ["unix:", "whoami"], ["ssh://", "whoami"], ["ssh://@h", "whoami"],
    ["ssh://-oProxyCommand=x", "whoami"], ["ssh://h:0", "whoami"],
    ["ssh://h/x", "whoami"], ["ssh://a@b@h", "whoami"],
    ["ssh://h,unix:", "whoami"],
])
def test_bad_use(args):
    r = run(*args, input="")
    assert r.returncode == 64, r.stderr
    assert r.stderr.startswith("argo: ")
