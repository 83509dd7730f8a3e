"""Fake-only machinery: personality, state directory, call log, fault
injection, flags, locking and concurrency (FAKE-XEN.md 1-4, 5.8)."""

import concurrent.futures
import os
import signal
import subprocess
import time

import pytest

from conftest import FAKE, HERE

NOCTX = ('xencall: error: Could not obtain handle on privileged command '
         'interface: {0}\n'
         'libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc '
         'handle: {0}\ncannot init xl context\n')


# ---------------------------------------------------------------- program

def test_shebang_and_mode():
    with open(FAKE, 'rb') as f:
        assert f.readline() == b'#!/usr/bin/python3\n'
    assert os.access(FAKE, os.X_OK)


def test_install_sh(fake):
    for tool in ('xl', 'xm'):
        p = os.path.join(fake.bin, tool)
        assert os.path.islink(p)
        assert os.path.realpath(p) == os.path.realpath(FAKE)
    with open(os.path.join(fake.bin, 'fake-xen.state')) as f:
        assert f.read() == os.path.realpath(fake.state) + '\n'
    r = subprocess.run(['sh', os.path.join(HERE, 'install.sh')],
                       capture_output=True)
    assert r.returncode == 2


def test_personality_override_and_unknown(fake):
    r = fake.run('xl', 'list', argv0=FAKE, env={
        'FAKE_XEN_TOOL': 'xm', 'FAKE_XEN_STATE_DIR': fake.state})
    assert r.rc == 0 and r.out.startswith('Name ') and '\t' not in r.out
    r = fake.run('xl', 'list', argv0=FAKE,
                 env={'FAKE_XEN_STATE_DIR': fake.state})
    assert (r.rc, r.out, r.err) == (125, '', 'fake-xen: unknown personality '
                                    'fake-xen\n')


def test_state_dir_resolution(fake, tmp_path):
    other = tmp_path / 'other'
    other.mkdir()
    # the environment wins over fake-xen.state
    r = fake.xl('pause', 'x', env={'FAKE_XEN_STATE_DIR': str(other)})
    assert os.path.exists(other / 'calls.log')
    assert not os.path.exists(fake.path('calls.log'))
    # fake-xen.state next to argv[0] as given, not resolved
    lonely = tmp_path / 'lonely'
    lonely.mkdir()
    os.symlink(FAKE, lonely / 'xl')
    r = fake.run('xl', 'list', argv0=str(lonely / 'xl'))
    assert (r.rc, r.out, r.err) == (125, '', 'fake-xen: no state directory '
                                    '(set FAKE_XEN_STATE_DIR)\n')
    r = fake.run('xl', 'list', argv0=str(lonely / 'xl'),
                 env={'FAKE_XEN_STATE_DIR': str(tmp_path / 'nope')})
    assert (r.rc, r.err) == (125, 'fake-xen: state directory %s does not '
                             'exist\n' % (tmp_path / 'nope'))
    # relative argv[0]: fake-xen.state in that directory
    r = fake.run('xl', 'list', argv0='bin/xl', exe=os.path.join(fake.bin,
                                                                'xl'))
    assert r.rc == 0
    assert fake.calls()[-1]['argv'] == ['xl', 'list']


# ---------------------------------------------------------------- call log

def test_call_log(fake):
    fake.add_dom(3, 'web1')
    r = fake.xl('pause', 'web1')
    assert r.rc == 0
    fake.xl('pause', 'nosuch')               # failures are logged too
    fake.xm('list')
    calls = fake.calls()
    assert [c['argv'] for c in calls] == [['xl', 'pause', 'web1'],
                                          ['xl', 'pause', 'nosuch'],
                                          ['xm', 'list']]
    c = calls[0]
    assert c['tool'] == 'xl' and c['cwd'] == fake.root
    assert c['uid'] == os.getuid()
    assert c['fds']['0'] == '/dev/null'
    assert c['fds']['1'].startswith('pipe:[')
    assert c['fds']['2'].startswith('pipe:[')
    assert set(c['fds']) == {'0', '1', '2'}
    assert c['env']['PATH'] == '/usr/sbin:/usr/bin:/sbin:/bin'
    assert c['sigblk'] == '0000000000000000'
    with open(fake.path('calls.log'), 'rb') as f:
        first = f.readline()
    assert first.startswith(b'{"tool":"xl","argv":["xl","pause","web1"],'
                            b'"cwd":')


def test_call_log_shows_leaked_descriptors(fake, tmp_path):
    import socket
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    fd = srv.fileno()
    try:
        r = fake.xl('list', stdin=fd, pass_fds=(fd,))
    finally:
        srv.close()
    assert r.rc == 0
    fds = fake.calls()[-1]['fds']
    assert fds['0'].startswith('socket:[')
    assert fds[str(fd)].startswith('socket:[')


def test_call_log_non_utf8(fake):
    fake.xl('pause', b'caf\xe9'.decode('utf-8', 'surrogateescape'),
            'nai\u0308ve')
    with open(fake.path('calls.log'), 'rb') as f:
        line = f.read()
    assert b'"argv":["xl","pause","caf\\u00e9","nai\xcc\x88ve"]' in line
    assert fake.calls()[-1]['argv'][2] == 'caf\u00e9'


def test_call_log_misconfigured_is_not_logged(fake, tmp_path):
    fake.run('xl', 'list', argv0=FAKE, env={'FAKE_XEN_STATE_DIR': fake.state})
    assert fake.calls() == []


# ---------------------------------------------------------------- injection

def test_inject_stdout_stderr_then_normal(fake):
    fake.inject('list.stdout', '300 DONE\n400 X\n')
    fake.inject('list.stderr', b'oops\xff\n')
    r = fake.xl('list')
    assert r.rc == 0
    assert r.out.startswith('300 DONE\n400 X\nName ')
    assert r.berr == b'oops\xff\n'
    # only for that verb
    assert fake.xl('info').out.startswith('host ')


def test_inject_rc(fake):
    fake.add_dom(3, 'web1')
    fake.inject('pause.rc', '7\n')
    fake.inject('pause.stderr', 'boom\n')
    r = fake.xl('pause', 'web1')
    assert (r.rc, r.out, r.err) == (7, '', 'boom\n')
    assert fake.dom(3)['pause_count'] == '0'     # state untouched
    assert fake.calls()[-1]['argv'] == ['xl', 'pause', 'web1']
    # canonical verb: a prefix hits the same injection
    assert fake.xl('pau', 'web1').rc == 7
    assert fake.xl('unpause', 'web1').rc == 0


@pytest.mark.parametrize('sig', ['SIGABRT', 'SIGSEGV', 'SIGKILL'])
def test_inject_signal(fake, sig):
    fake.inject('any.rc', sig + '\n')
    fake.inject('any.stdout', 'partial')
    r = fake.xm('list')
    assert r.rc == -getattr(signal, sig)
    assert r.out == 'partial'


def test_inject_once(fake):
    fake.inject('create.rc', '3')
    fake.inject('create.stderr', 'once\n')
    fake.inject('create.once', '')
    fake.cfg('web1.cfg', "name = 'web1'\n")
    r = fake.xl('create', '-q', 'web1.cfg')
    assert (r.rc, r.err) == (3, 'once\n')
    assert not os.path.exists(fake.path('inject', 'create.rc'))
    r = fake.xl('create', '-q', 'web1.cfg')
    assert (r.rc, r.err) == (0, '')


def test_inject_any_and_verb_order(fake):
    fake.inject('any.stdout', 'A\n')
    fake.inject('list.stdout', 'L\n')
    r = fake.xm('list')
    assert r.out.startswith('A\nL\nName')
    # any.* also fires for unknown sub-commands and help
    assert fake.xm('frob').out.startswith('A\n')
    assert fake.xl('help').out.startswith('A\nUsage xl')


def test_inject_sleep_without_lock_and_killable(fake):
    fake.inject('list.sleep', '30')
    p = fake.popen('xl', 'list')
    time.sleep(0.5)
    t0 = time.time()
    r = fake.xl('info', 'host')          # not blocked by the sleeper
    assert r.out == 'dom0.example.org\n' and time.time() - t0 < 2
    p.terminate()
    p.communicate(timeout=5)
    assert p.returncode == -signal.SIGTERM
    assert [c['argv'] for c in fake.calls()][0] == ['xl', 'list']


def test_inject_sleep_short(fake):
    fake.inject('any.sleep', '0.4')
    t0 = time.time()
    r = fake.xl('list')
    assert r.rc == 0 and time.time() - t0 >= 0.4


# ---------------------------------------------------------------- flags

def test_flag_no_hypervisor(fake):
    fake.flag('no-hypervisor')
    fake.add_dom(3, 'web1')
    for args in (('list',), ('pause', 'web1'), ('pause', '-h'),
                 ('nosuch',)):
        r = fake.xl(*args)
        assert (r.rc, r.out, r.err) == (1, '', NOCTX.format(
            'No such file or directory')), args
    assert fake.dom(3)['pause_count'] == '0'
    assert fake.xl().rc == 1 and fake.xl().out.startswith('Usage xl')
    assert fake.xl('help').rc == 0
    assert fake.xm('list').rc == 0          # xl only


def test_flag_not_root(fake):
    fake.flag('not-root')
    r = fake.xl('list')
    assert (r.rc, r.out, r.err) == (1, '', NOCTX.format('Permission denied'))
    r = fake.xm('list')
    assert (r.rc, r.out, r.err) == (1, '', 'Error: Most commands need root '
                                    'access. Please try again as root.\n')


def test_flag_xend_down(fake):
    fake.flag('xend-down')
    r = fake.xm('pause', 'web1')
    assert (r.rc, r.out, r.err) == (1, '', 'Error: Unable to connect to xend: '
                                    'No such file or directory. Is xend '
                                    'running?\n')
    assert fake.xl('list').rc == 0          # xm only
    assert len(fake.calls()) == 2           # logged anyway


# ---------------------------------------------------------------- state

def test_next_domid_never_reused(fake):
    fake.cfg('a.cfg', "name='a'\n")
    fake.cfg('b.cfg', "name='b'\n")
    assert fake.xl('create', '-q', 'a.cfg').rc == 0
    assert fake.xl('destroy', 'a').rc == 0
    assert fake.xl('create', '-q', 'a.cfg').rc == 0
    assert fake.domids() == [2]
    # a domain a test made by hand is never overwritten
    fake.write('domains/9', 'name=hand\nstate=blocked\nmem=64\n')
    assert fake.xl('create', '-q', 'b.cfg').rc == 0
    assert fake.domids() == [2, 9, 10]
    assert '-b----' in fake.xl('list', 'hand').out


def test_writes_are_atomic(fake):
    fake.add_dom(3, 'web1')
    fake.xl('pause', 'web1')
    leftovers = [n for n in os.listdir(fake.path('domains'))
                 if not n.isdigit()]
    assert leftovers == []


def test_names_with_newlines_survive(fake):
    fake.cfg('n.cfg', 'name = "a\\nb\\\\c"\n')
    assert fake.xl('create', '-q', 'n.cfg').rc == 0
    assert fake.xl('domid', 'a\nb\\c').out == '1\n'


def test_parallel_creates(fake):
    n = 20
    for i in range(n):
        fake.cfg('vm%d.cfg' % i, "name = 'vm%d'\nmemory = 64\n" % i)

    def create(i):
        return fake.xl('create', '-q', 'vm%d.cfg' % i)

    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        results = list(ex.map(create, range(n)))
    assert [r.rc for r in results] == [0] * n
    ids = fake.domids()
    assert ids == list(range(1, n + 1))
    assert sorted(fake.dom(i)['name'] for i in ids) == \
        sorted('vm%d' % i for i in range(n))
    assert int(open(fake.path('next_domid')).read()) == n + 1
    assert len(fake.calls()) == n
    out = fake.xl('list').out
    assert out.count('\n') == n + 2
    assert fake.xl('info', 'free_memory').out == '%d\n' % (
        16384 - 1024 - 64 * n)


def test_concurrent_duplicate_create(fake):
    fake.cfg('web1.cfg', "name = 'web1'\n")
    for _ in range(3):
        ps = [fake.popen('xl', 'create', '-q', 'web1.cfg') for _ in range(2)]
        res = [p.communicate(timeout=20) + (p.returncode,) for p in ps]
        rcs = sorted(r[2] for r in res)
        assert rcs == [0, 3]
        loser = [r for r in res if r[2] == 3][0]
        assert b'Domain with name "web1" already exists.' in loser[1]
        names = [fake.dom(i)['name'] for i in fake.domids()]
        assert names == ['web1']
        assert fake.xl('destroy', 'web1').rc == 0


def test_concurrent_pause_counts(fake):
    fake.add_dom(3, 'web1')
    with concurrent.futures.ThreadPoolExecutor(10) as ex:
        rs = list(ex.map(lambda _: fake.xl('pause', 'web1'), range(10)))
    assert all(r.rc == 0 for r in rs)
    assert fake.dom(3)['pause_count'] == '10'


def test_fast_start(fake):
    """The daemon's benchmarks run the fake: keep a list cheap."""
    fake.add_dom(3, 'web1')
    fake.xl('list')
    t0 = time.time()
    for _ in range(5):
        assert fake.xl('list').rc == 0
    assert (time.time() - t0) / 5 < 0.5


# ---------------------------------------------------------------- audit
# (FAKE-XEN.md items that had no test of their own)

def test_never_reads_stdin(fake):
    """1.4: an open pipe on stdin that nobody writes to or closes must not
    block the fake."""
    r, w = os.pipe()
    try:
        res = fake.xl('list', stdin=r, timeout=10)
    finally:
        os.close(r)
        os.close(w)
    assert res.rc == 0 and res.out.startswith('Name ')


def test_state_file_first_line_only(fake):
    """1.2: only the first line of fake-xen.state names the directory."""
    with open(os.path.join(fake.bin, 'fake-xen.state'), 'a') as f:
        f.write('/nonexistent\n')
    r = fake.xl('list')
    assert r.rc == 0
    assert len(fake.calls()) == 1


def test_next_domid_created_as_1(fake):
    """2: next_domid is created as "1" by the first invocation."""
    assert fake.xl('list').rc == 0
    assert open(fake.path('next_domid')).read().strip() == '1'


def test_state_changes_wait_for_the_flock(fake):
    """2, 5.8: the fake takes flock(STATE/lock, LOCK_EX) for its
    read-modify-write; another holder of that lock blocks it."""
    import fcntl
    fake.add_dom(3, 'web1')
    fake.xl('list')                         # lock file exists now
    fd = os.open(fake.path('lock'), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        p = fake.popen('xl', 'pause', 'web1')
        time.sleep(0.5)
        assert p.poll() is None             # waiting for the lock
        assert fake.dom(3)['pause_count'] == '0'
        fcntl.flock(fd, fcntl.LOCK_UN)
        p.communicate(timeout=10)
    finally:
        os.close(fd)
    assert p.returncode == 0
    assert fake.dom(3)['pause_count'] == '1'


def test_inject_fires_for_xm_help_request(fake):
    """4: VERB is the canonical sub-command, also for `xm VERB -h'."""
    fake.inject('pause.rc', '9')
    r = fake.xm('pau', 'web1', '-h')
    assert (r.rc, r.out) == (9, '')
