"""xl/xm console: xenconsole attached to a Linux guest, on a real pty.

The fake prints the guest's getty banner, echoes what it reads (as the
guest's tty would), leaves on the escape byte, when the domain goes away or
on SIGTERM, puts its tty in raw mode and restores it.  Error texts and exit
codes are those of xl_console.c / main.py and xenconsole (README)."""

import errno
import os
import pty
import select
import signal
import subprocess
import termios
import time

import pytest

from conftest import SIMPLE_CFG

BANNER = (b'\r\nDebian GNU/Linux 12 %s %s\r\n\r\n%s login: ')


def banner(name, tty=b'hvc0'):
    return BANNER % (name, tty, name)


def flood_expected(n):
    """The flood as README describes it (written independently of the
    fake): 64-byte lines '%08d ' + a-z A-Z '0' + CR LF."""
    tail = (b' ' + bytes(range(0x61, 0x7b)) + bytes(range(0x41, 0x5b)) +
            b'0\r\n')
    lines = (n + 63) // 64
    return b''.join(b'%08d' % i + tail for i in range(lines))[:n]


class Console(object):
    """A console process with stdin/stdout/stderr on the slave of a fresh
    pty (not its controlling terminal); the test holds the master."""

    def __init__(self, fake, tool, *args, **kw):
        self.fake = fake
        self.master, self.slave = pty.openpty()
        self.orig = termios.tcgetattr(self.slave)
        env = dict(fake.env)
        env.update(kw.pop('env', {}))
        self.proc = subprocess.Popen(
            [os.path.join(fake.bin, tool)] + [str(a) for a in args],
            stdin=self.slave, stdout=self.slave, stderr=self.slave, env=env,
            cwd=fake.root, start_new_session=True)
        self.got = bytearray()

    def read(self, timeout=0.3, maxlen=65536):
        """Whatever arrives within timeout (appended to self.got)."""
        end = time.time() + timeout
        buf = bytearray()
        while True:
            left = end - time.time()
            if left <= 0:
                break
            r, _, _ = select.select([self.master], [], [], left)
            if not r:
                break
            try:
                data = os.read(self.master, maxlen)
            except OSError as e:
                if e.errno == errno.EIO:
                    break
                raise
            if not data:
                break
            buf += data
        self.got += buf
        return bytes(buf)

    def expect(self, want, timeout=5.0):
        """Read until exactly `want' has arrived (no more, no less)."""
        end = time.time() + timeout
        buf = bytearray()
        while len(buf) < len(want) and time.time() < end:
            r, _, _ = select.select([self.master], [], [],
                                    max(0, end - time.time()))
            if r:
                buf += os.read(self.master, len(want) - len(buf))
        self.got += buf
        assert bytes(buf) == want
        return bytes(buf)

    def send(self, data):
        os.write(self.master, data)

    def attrs(self):
        return termios.tcgetattr(self.slave)

    def wait(self, timeout=5.0):
        return self.proc.wait(timeout)

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def consoles():
    made = []
    yield made
    for c in made:
        c.close()


def attach(fake, consoles, tool, *args, **kw):
    c = Console(fake, tool, *args, **kw)
    consoles.append(c)
    return c


def is_raw(a):
    iflag, oflag, cflag, lflag, _, _, cc = a
    return (not lflag & (termios.ECHO | termios.ICANON | termios.ISIG |
                         termios.IEXTEN | termios.ECHONL) and
            not iflag & (termios.ICRNL | termios.IXON | termios.INLCR |
                         termios.IGNCR | termios.BRKINT | termios.ISTRIP) and
            not oflag & termios.OPOST and
            cflag & termios.CSIZE == termios.CS8 and
            cc[termios.VMIN] in (1, b'\x01') and
            cc[termios.VTIME] in (0, b'\x00'))


# ---------------------------------------------------------------- the session

@pytest.mark.parametrize('tool', ['xl', 'xm'])
def test_banner_echo_escape_restores_tty(fake, consoles, tool):
    fake.add_dom(3, 'web1.example.org')
    c = attach(fake, consoles, tool, 'console', 'web1.example.org')
    c.expect(banner(b'web1.example.org'))
    assert is_raw(c.attrs())
    assert not is_raw(c.orig)
    # the guest's tty echo: CR and LF both come back as CR LF
    c.send(b'root\r')
    c.expect(b'root\r\n')
    c.send(b'ls -l\n')
    c.expect(b'ls -l\r\n')
    # no ISIG: Ctrl-C, Ctrl-Z, Ctrl-\ are just bytes for the guest
    c.send(b'\x03')
    c.expect(b'\x03')
    c.send(b'\x1a\x1c')
    c.expect(b'\x1a\x1c')
    # the escape byte only counts when a read() returns it alone
    c.send(b'x\x1d')
    c.expect(b'x\x1d')
    assert c.read(0.3) == b'' and c.alive()
    c.send(b'\x1d')
    assert c.wait() == 0
    assert c.read(0.2) == b''
    assert c.attrs() == c.orig
    assert fake.calls()[-1]['argv'] == [tool, 'console', 'web1.example.org']


def test_xl_console_by_domid_and_prefix(fake, consoles):
    fake.add_dom(7, 'db1')
    c = attach(fake, consoles, 'xl', 'cons', '7')
    c.expect(banner(b'db1'))
    c.send(b'\x1d')
    assert c.wait() == 0


def test_xl_escape_option(fake, consoles):
    fake.add_dom(3, 'web1')
    c = attach(fake, consoles, 'xl', 'console', '-e', 'q', 'web1')
    c.expect(banner(b'web1'))
    c.send(b'\x1d')
    c.expect(b'\x1d')
    assert c.alive()
    c.send(b'q')
    assert c.wait() == 0
    assert c.attrs() == c.orig
    # '^X' is Ctrl-X; options after the domain work (GNU getopt)
    c = attach(fake, consoles, 'xl', 'console', 'web1', '-e', '^a')
    c.expect(banner(b'web1'))
    c.send(b'a')
    c.expect(b'a')
    c.send(b'\x01')
    assert c.wait() == 0


def test_xl_escape_option_errors_and_versions(fake):
    fake.add_dom(3, 'web1')
    for bad in ('ab', '', '^ab', '\u00e9'):
        r = fake.xl('console', '-e', bad, 'web1')
        assert (r.rc, r.out, r.err) == (22, '', 'Invalid escape argument\n')
    r = fake.xl('console', '-h')
    assert r.rc == 0 and r.out == (
        'Usage: xl [-vtT] console [options] <Domain>\n'
        '-t <type>       console type, pv , serial or vuart\n'
        '-n <number>     console number\n'
        '-e <escape>     escape character\n\n'
        "Attach to domain's console.\n\n")
    # Debian 12's xl 4.17 has no -e
    env = {'FAKE_XEN_XL_VERSION': '4.17'}
    r = fake.xl('console', '-e', 'q', 'web1', env=env)
    assert (r.rc, r.out, r.err) == (2, '', "option `e' not supported.\n")
    r = fake.xl('help', 'console', env=env)
    assert r.out == ('Usage: xl [-vtT] console [options] <Domain>\n'
                     '-t <type>       console type, pv , serial or vuart\n'
                     '-n <number>     console number\n\n'
                     "Attach to domain's console.\n\n")


def test_destroy_while_attached(fake, consoles):
    fake.add_dom(3, 'web1')
    c = attach(fake, consoles, 'xl', 'console', 'web1')
    c.expect(banner(b'web1'))
    t0 = time.time()
    assert fake.xl('destroy', 'web1').rc == 0
    assert c.wait(2) == 0                  # xenconsole: "return 0"
    assert time.time() - t0 < 1.0          # polled at least every 200 ms
    assert c.read(0.2) == b''
    assert c.attrs() == c.orig


@pytest.mark.parametrize('tool', ['xl', 'xm'])
def test_graceful_shutdown_while_attached(fake, consoles, tool):
    fake.add_dom(3, 'web1')
    c = attach(fake, consoles, tool, 'console', 'web1')
    c.expect(banner(b'web1'))
    env = {'FAKE_XEN_SHUTDOWN_DELAY': '0.6'}
    assert getattr(fake, tool)('shutdown', 'web1', env=env).rc == 0
    time.sleep(0.3)
    assert c.alive()                       # the guest is still going down
    # nobody else runs the fake: the console itself reaps the request
    assert c.wait(3) == 0
    assert fake.domids() == []
    assert c.attrs() == c.orig


def test_reboot_ends_the_console(fake, consoles):
    fake.add_dom(3, 'web1')
    c = attach(fake, consoles, 'xl', 'console', 'web1')
    c.expect(banner(b'web1'))
    assert fake.xl('reboot', 'web1').rc == 0
    assert c.wait(2) == 0                  # domid 3 is gone, web1 is 4
    assert fake.domids() == [4]


def test_preserved_shutdown_keeps_console(fake, consoles):
    fake.add_dom(3, 'web1', on_poweroff='preserve')
    c = attach(fake, consoles, 'xl', 'console', 'web1')
    c.expect(banner(b'web1'))
    assert fake.xl('shutdown', 'web1').rc == 0
    time.sleep(0.4)
    assert fake.dom(3)['state'] == 'shutdown'
    assert c.alive()                       # the console stays until destroy
    c.send(b'hello\r')                     # a dead guest echoes nothing
    assert c.read(0.4) == b''
    assert fake.xl('destroy', '3').rc == 0
    assert c.wait(2) == 0


def test_paused_guest_is_silent_until_unpaused(fake, consoles):
    fake.add_dom(3, 'web1', pause_count=1)
    c = attach(fake, consoles, 'xl', 'console', 'web1')
    assert c.read(0.5) == b''
    assert is_raw(c.attrs())
    c.send(b'ab')
    assert c.read(0.3) == b''
    assert fake.xl('unpause', 'web1').rc == 0
    c.expect(banner(b'web1') + b'ab')
    c.send(b'\x1d')
    assert c.wait() == 0


def test_sigterm_exits_0_and_restores(fake, consoles):
    fake.add_dom(3, 'web1')
    c = attach(fake, consoles, 'xl', 'console', 'web1')
    c.expect(banner(b'web1'))
    c.proc.send_signal(signal.SIGTERM)
    assert c.wait(2) == 0
    assert c.attrs() == c.orig


def test_sighup_restores_then_dies_of_it(fake, consoles):
    fake.add_dom(3, 'web1')
    c = attach(fake, consoles, 'xl', 'console', 'web1')
    c.expect(banner(b'web1'))
    c.proc.send_signal(signal.SIGHUP)
    assert c.wait(2) == -signal.SIGHUP
    assert c.attrs() == c.orig


def test_hangup_of_controlling_tty(fake):
    """pty.fork(): the pty is the console's controlling terminal; closing
    the master hangs it up and the console goes away."""
    fake.add_dom(3, 'web1')
    env = dict(fake.env)
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.chdir(fake.root)
            os.execve(os.path.join(fake.bin, 'xl'),
                      ['xl', 'console', 'web1'], env)
        finally:
            os._exit(127)
    try:
        got = b''
        end = time.time() + 5
        while not got.endswith(b'web1 login: ') and time.time() < end:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                got += os.read(master, 1024)
        assert got == banner(b'web1')
        os.write(master, b'hi\r')
        end = time.time() + 5
        while not got.endswith(b'hi\r\n') and time.time() < end:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                got += os.read(master, 1024)
        assert got.endswith(b'hi\r\n')
    finally:
        os.close(master)
    end = time.time() + 5
    while time.time() < end:
        wpid, status = os.waitpid(pid, os.WNOHANG)
        if wpid:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail('console survived the hangup')
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGHUP


def test_xl_one_console_per_domain(fake, consoles):
    fake.add_dom(3, 'web1')
    fake.add_dom(4, 'web2')
    c = attach(fake, consoles, 'xl', 'console', 'web1')
    c.expect(banner(b'web1'))
    r = fake.xl('console', 'web1')
    assert (r.rc, r.out, r.err) == (
        11, '', 'xenconsole: Could not lock /var/lock/xenconsole.3: Resource '
        'temporarily unavailable\n')
    d = attach(fake, consoles, 'xl', 'console', 'web2')    # other domain
    d.expect(banner(b'web2'))
    c.send(b'\x1d')
    assert c.wait() == 0
    c = attach(fake, consoles, 'xl', 'console', '3')       # lock released
    c.expect(banner(b'web1'))
    for x in (c, d):
        x.send(b'\x1d')
        assert x.wait() == 0
    assert os.listdir(fake.path('console')) == []


def test_xm_has_no_console_lock(fake, consoles):
    fake.add_dom(3, 'web1')
    a = attach(fake, consoles, 'xm', 'console', 'web1')
    b = attach(fake, consoles, 'xm', 'console', 'web1')
    a.expect(banner(b'web1'))
    b.expect(banner(b'web1'))
    for x in (a, b):
        x.send(b'\x1d')
        assert x.wait() == 0


def test_console_types(fake, consoles):
    fake.add_dom(3, 'hvm1', type='hvm')
    fake.add_dom(4, 'pv1')
    for tool, args, want in (
            ('xl', ['hvm1'], banner(b'hvm1', b'ttyS0')),
            ('xl', ['-t', 'pv', 'hvm1'], banner(b'hvm1', b'hvc0')),
            ('xl', ['-t', 'serial', 'hvm1'], banner(b'hvm1', b'ttyS0')),
            # no serial/0/tty: xenconsole falls back to the pv console
            ('xl', ['-t', 'serial', 'pv1'], banner(b'pv1', b'hvc0')),
            # -n only counts with -t (libxl_primary_console_exec)
            ('xl', ['-n', '1', 'pv1'], banner(b'pv1', b'hvc0')),
            ('xm', ['hvm1'], banner(b'hvm1', b'ttyS0')),
            ('xm', ['-q', 'pv1'], banner(b'pv1', b'hvc0'))):
        c = attach(fake, consoles, tool, 'console', *args)
        c.expect(want)
        c.send(b'\x1d')
        assert c.wait() == 0


def test_no_such_console_waits_then_fails(fake):
    fake.add_dom(4, 'pv1')
    fake.add_dom(5, 'hvm1', type='hvm')
    env = {'FAKE_XEN_CONSOLE_WAIT': '0.4'}
    msg = 'xenconsole: Could not read tty from store: No such file or ' \
          'directory\n'
    for tool, args in (('xl', ['-t', 'pv', '-n', '1', 'pv1']),
                       ('xl', ['-t', 'vuart', 'pv1']),
                       ('xl', ['-t', 'serial', '-n', '2', 'hvm1']),
                       ('xl', ['-t', 'pv', '42']),       # no such domid
                       ('xm', ['-n', '1', 'pv1']),
                       ('xm', ['-n', '3', 'hvm1'])):
        t0 = time.time()
        r = fake.run(tool, 'console', *args, env=env)
        assert (r.rc, r.out, r.err) == (2, '', msg), (tool, args)
        assert time.time() - t0 >= 0.4
    assert os.listdir(fake.path('console')) == []


def test_console_waits_for_a_domain_being_created(fake, consoles):
    c = attach(fake, consoles, 'xl', 'console', '-t', 'pv', '5',
               env={'FAKE_XEN_CONSOLE_WAIT': '3'})
    time.sleep(0.5)
    assert c.alive()
    fake.add_dom(5, 'late')
    c.expect(banner(b'late'))
    c.send(b'\x1d')
    assert c.wait() == 0


def test_not_a_tty(fake):
    """xenconsole 4.5+ reads stdin (and sets raw mode) only when stdin and
    stdout are ttys: with a pipe it just relays the guest's output."""
    fake.add_dom(3, 'web1')
    p = fake.popen('xl', 'console', 'web1')
    try:
        out = b''
        end = time.time() + 5
        while len(out) < len(banner(b'web1')) and time.time() < end:
            r, _, _ = select.select([p.stdout], [], [], 0.2)
            if r:
                out += os.read(p.stdout.fileno(), 1024)
        assert out == banner(b'web1')
        time.sleep(0.3)
        assert p.poll() is None         # /dev/null's EOF is never read
        assert fake.xl('destroy', 'web1').rc == 0
        assert p.wait(2) == 0
        assert p.stderr.read() == b''
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()
    # xenconsole 4.4 always reads stdin: EOF on /dev/null ends it at once
    fake.add_dom(4, 'web2')
    r = fake.xm('console', 'web2', timeout=5)
    assert (r.rc, r.err) == (0, '')


# ---------------------------------------------------------------- the flood

def proc_field(pid, name, fname='status'):
    with open('/proc/%d/%s' % (pid, fname)) as f:
        for line in f:
            k, _, v = line.partition(':')
            if k == name:
                return int(v.split()[0])
    return None


def test_flood_backpressure_and_throughput(fake, consoles):
    size = 10 * 1024 * 1024
    fake.add_dom(3, 'web1')
    fake.inject('console.flood', '10M\n')
    c = attach(fake, consoles, 'xl', 'console', 'web1')
    pid = c.proc.pid
    c.expect(banner(b'web1'))
    got = bytearray()

    def take(n):
        while n > 0:
            r, _, _ = select.select([c.master], [], [], 5)
            assert r, 'flood stalled'
            data = os.read(c.master, min(n, 65536))
            got.extend(data)
            n -= len(data)

    take(4096)
    time.sleep(0.3)             # the fake fills the pty and must wait
    rss0 = proc_field(pid, 'VmRSS')
    try:
        wchar0 = proc_field(pid, 'wchar', 'io')
    except OSError:
        wchar0 = None
    # a slow reader: 256 KiB in ~1 s
    for _ in range(64):
        take(4096)
        time.sleep(0.015)
    time.sleep(0.2)
    rss1 = proc_field(pid, 'VmRSS')
    assert rss1 - rss0 < 2048, (rss0, rss1)     # KiB: nothing piles up
    if wchar0 is not None:
        # everything written is in the pty or read by us: the fake only
        # writes what the pty accepts (pty buffers hold < 128 KiB)
        wchar1 = proc_field(pid, 'wchar', 'io')
        assert wchar1 - wchar0 < 64 * 4096 + 128 * 1024
        assert wchar1 - wchar0 > 32 * 4096
    assert c.alive()
    # the rest as fast as it comes
    t0 = time.time()
    take(size - len(got))
    assert time.time() - t0 < 30
    assert bytes(got) == flood_expected(size)
    assert c.read(0.3) == b''
    # echo still works after the flood, then the escape
    c.send(b'ok\r')
    c.expect(b'ok\r\n')
    c.send(b'\x1d')
    assert c.wait() == 0
    assert c.attrs() == c.orig


def test_flood_forms_and_once(fake, consoles):
    fake.add_dom(3, 'web1')
    fake.inject('console.flood', '1k')
    fake.inject('console.once', '')
    c = attach(fake, consoles, 'xm', 'console', 'web1')
    c.expect(banner(b'web1') + flood_expected(1024))
    c.send(b'\x1d')
    assert c.wait() == 0
    c = attach(fake, consoles, 'xm', 'console', 'web1')    # fired once
    c.expect(banner(b'web1'))
    assert c.read(0.3) == b''
    c.send(b'\x1d')
    assert c.wait() == 0
    fake.inject('console.flood', 'lots')
    r = fake.xl('console', 'web1')
    assert (r.rc, r.err) == (125, 'fake-xen: bad inject/console.flood\n')


def test_flood_waits_for_a_paused_guest(fake, consoles):
    fake.add_dom(3, 'web1', pause_count=1)
    fake.inject('console.flood', '100')
    c = attach(fake, consoles, 'xl', 'console', 'web1')
    assert c.read(0.4) == b''
    fake.xl('unpause', 'web1')
    c.expect(banner(b'web1') + flood_expected(100))
    c.send(b'\x1d')
    assert c.wait() == 0


# ---------------------------------------------------------------- errors

def test_xl_console_errors(fake):
    fake.add_dom(3, 'web1')
    r = fake.xl('console', 'nosuch')
    assert (r.rc, r.out, r.err) == (
        1, '', 'nosuch is an invalid domain identifier (rc=-6)\n')
    # libxl__primary_console_find() -> libxl__domain_type()
    r = fake.xl('console', '42')
    assert (r.rc, r.out) == (1, '')
    assert r.err.split('\n') == [
        'libxl: error: libxl_dom.c:37:libxl__domain_type: Domain 42:unable '
        'to get dominfo: No such process', 'Unable to attach console', '']
    for dom0 in ('0', 'Domain-0'):
        for args in ([dom0], ['-t', 'serial', dom0]):
            r = fake.xl('console', *args)
            assert (r.rc, r.out, r.err) == (22, '', "Can't specify Domain-0\n")
    r = fake.xl('console', '-t', 'hvc', 'web1')
    assert (r.rc, r.out, r.err) == (
        1, '', 'console type supported are: pv, serial, vuart\n')
    r = fake.xl('console')
    assert (r.rc, r.err) == (2, "'xl console' requires at least 1 "
                             "argument.\n\n")
    assert r.out.startswith('Usage: xl [-vtT] console [options] <Domain>\n')
    r = fake.xl('console', '-x', 'web1')
    assert (r.rc, r.err) == (2, "option `x' not supported.\n")
    assert [c['argv'] for c in fake.calls()][-1] == ['xl', 'console', '-x',
                                                     'web1']


def test_xm_console_errors(fake):
    fake.add_dom(3, 'web1')
    fake.add_dom(4, 'off1', managed='yes', state='halted')
    usage = "Usage: xm console [-q|--quiet] <Domain>\n\nAttach to " \
            "<Domain>'s console.\n"
    r = fake.xm('console', 'nosuch')
    assert (r.rc, r.out, r.err) == (3, '', "Error: Domain 'nosuch' does not "
                                    "exist.\n")
    r = fake.xm('console', '-q', 'nosuch')
    assert (r.rc, r.out, r.err) == (1, '', '')
    r = fake.xm('console', 'off1')
    assert (r.rc, r.out, r.err) == (1, usage, "Error: Domain 'off1' is not "
                                    "started\n")
    r = fake.xm('console', 'off1', '--quiet')
    assert (r.rc, r.out, r.err) == (1, '', '')
    for dom0 in ('0', 'Domain-0'):
        r = fake.xm('console', dom0)
        assert (r.rc, r.out, r.err) == (22, '', "Can't specify Domain-0\n")
    r = fake.xm('console')
    assert (r.rc, r.out, r.err) == (
        1, usage, "Error: 'xm console' requires between 1 and 3 "
        "arguments.\n\n")
    r = fake.xm('console', '-q')
    assert (r.rc, r.out, r.err) == (1, usage, 'Error: No domain given\n')
    r = fake.xm('console', 'web1', 'web2')
    assert (r.rc, r.out, r.err) == (1, usage, 'Error: No domain given\n')
    r = fake.xm('console', '-x', 'web1')
    assert (r.rc, r.out, r.err) == (1, usage, 'Error: option -x not '
                                    'recognized\n')
    r = fake.xm('console', '-n', 'x', 'web1')
    assert (r.rc, r.out, r.err) == (1, usage, 'Error: Invalid argument.\n')
    # "--num" takes no argument, then int(v[0]) fails
    r = fake.xm('console', '--num', 'web1')
    assert r.rc == 1
    assert r.out == ("Unexpected error: <type 'exceptions.IndexError'>\n\n"
                     "Please report to xen-devel@lists.xen.org\n")
    assert r.err.startswith('Traceback (most recent call last):\n')
    assert r.err.endswith('    num = int(v[0])\nIndexError: string index '
                          'out of range\n')
    r = fake.xm('console', '-h')
    assert (r.rc, r.out, r.err) == (1, usage, '')


def test_console_on_xm_and_xl_simple_cfg(fake, consoles):
    """A domain made by create, reached through its name."""
    cfg = fake.cfg('web1.cfg', SIMPLE_CFG)
    assert fake.xl('create', '-q', cfg).rc == 0
    c = attach(fake, consoles, 'xl', 'console', 'web1')
    c.expect(banner(b'web1'))
    c.send(b'\x1d')
    assert c.wait() == 0


# ---------------------------------------------------------------- print

@pytest.mark.parametrize('tool', ['xl', 'xm'])
def test_print_injection(fake, consoles, tool):
    """inject/console.print: those bytes, as they are, right after the
    banner (before the flood), then the guest echoes as ever."""
    fake.add_dom(3, 'web1')
    said = b'\r\n300 DONE\r\n\x00\xff raw'
    fake.inject('console.print', said)
    fake.inject('console.flood', '100\n')
    c = attach(fake, consoles, tool, 'console', 'web1')
    c.expect(banner(b'web1') + said + flood_expected(100))
    c.send(b'ok\r')
    c.expect(b'ok\r\n')
    c.send(b'\x1d')
    assert c.wait() == 0
