"""Fixtures for the simulated toolstack's own tests.

Every test gets a fresh installation made by install.sh (DIR/xl, DIR/xm,
DIR/fake-xen.state) and runs it the way argo-server will: absolute path,
a scrubbed environment, stdin on /dev/null.
"""

import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, 'fake-xen')
GOLDEN = os.path.join(HERE, 'golden')
NOW = 1732460000            # 2024-11-24 14:53:20 UTC


class Result(object):
    def __init__(self, p):
        self.rc = p.returncode
        self.out = p.stdout.decode('utf-8', 'surrogateescape')
        self.err = p.stderr.decode('utf-8', 'surrogateescape')
        self.bout = p.stdout
        self.berr = p.stderr

    def __repr__(self):
        return 'Result(rc=%r, out=%r, err=%r)' % (self.rc, self.out, self.err)


class Fake(object):
    """One installed fake: bin/xl, bin/xm and a state directory."""

    def __init__(self, root):
        self.root = str(root)
        self.bin = os.path.join(self.root, 'bin')
        self.state = os.path.join(self.root, 'state')
        self.etc = os.path.join(self.root, 'etc-xen')
        subprocess.run(['sh', os.path.join(HERE, 'install.sh'), self.bin,
                        self.state], check=True)
        os.mkdir(self.etc)
        self.env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'LANG': 'C',
                    'TZ': 'UTC', 'FAKE_XEN_NOW': str(NOW),
                    'FAKE_XEN_CONFIG_DIR': self.etc,
                    'FAKE_XEN_HOSTNAME': 'dom0.example.org'}

    # ---- running
    def run(self, tool, *args, **kw):
        env = dict(self.env)
        env.update(kw.pop('env', {}))
        for k in [k for k, v in env.items() if v is None]:
            del env[k]
        argv0 = kw.pop('argv0', os.path.join(self.bin, tool))
        exe = kw.pop('exe', argv0)
        p = subprocess.run([argv0] + [str(a) for a in args], executable=exe,
                           stdin=kw.pop('stdin', subprocess.DEVNULL),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, cwd=kw.pop('cwd', self.root),
                           timeout=kw.pop('timeout', 20), **kw)
        return Result(p)

    def xl(self, *args, **kw):
        return self.run('xl', *args, **kw)

    def xm(self, *args, **kw):
        return self.run('xm', *args, **kw)

    def popen(self, tool, *args, **kw):
        env = dict(self.env)
        env.update(kw.pop('env', {}))
        return subprocess.Popen([os.path.join(self.bin, tool)] +
                                [str(a) for a in args],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, cwd=self.root, **kw)

    # ---- files
    def path(self, *parts):
        return os.path.join(self.state, *parts)

    def write(self, rel, data, base=None):
        p = os.path.join(base or self.state, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        mode = 'wb' if isinstance(data, bytes) else 'w'
        with open(p, mode) as f:
            f.write(data)
        return p

    def cfg(self, name, text):
        """A config file in the root (cwd of every run); returns its path."""
        return self.write(name, text, base=self.root)

    def inject(self, name, data):
        self.write(os.path.join('inject', name), data)

    def flag(self, name):
        self.write(name, '')

    def domids(self):
        d = self.path('domains')
        if not os.path.isdir(d):
            return []
        return sorted(int(n) for n in os.listdir(d) if n.isdigit())

    def dom(self, domid):
        res = {}
        with open(self.path('domains', str(domid))) as f:
            for line in f:
                k, _, v = line.rstrip('\n').partition('=')
                res[k] = v
        return res

    def add_dom(self, domid, name, **fields):
        f = {'domid': str(domid), 'name': name, 'type': 'pv', 'mem': '256',
             'vcpus': '1', 'state': 'running', 'pause_count': '0',
             'cpu_time': '0.0', 'start_time': str(NOW - 300),
             'config': '/etc/xen/%s.cfg' % name, 'on_poweroff': 'destroy',
             'on_reboot': 'restart', 'on_crash': 'destroy',
             'pv_drivers': 'yes', 'pending': 'none', 'pending_at': '0',
             'shutdown_reason': '0'}
        f.update((k, str(v)) for k, v in fields.items())
        self.write(os.path.join('domains', str(domid)),
                   ''.join('%s=%s\n' % kv for kv in f.items()))
        nxt = self.path('next_domid')
        cur = 1
        if os.path.exists(nxt):
            cur = int(open(nxt).read())
        with open(nxt, 'w') as fh:
            fh.write('%d\n' % max(cur, domid + 1))

    def calls(self):
        import json
        try:
            with open(self.path('calls.log'), 'rb') as f:
                return [json.loads(line) for line in f]
        except FileNotFoundError:
            return []


@pytest.fixture
def fake(tmp_path):
    return Fake(tmp_path)


def golden(name):
    with open(os.path.join(GOLDEN, name), 'rb') as f:
        return f.read().decode('utf-8')


SIMPLE_CFG = "name = 'web1'\nmemory = 512\nvcpus = 2\n"
