"""xl domain life cycle: create, destroy, shutdown/reboot (requests,
reaping, on_* actions, -w), pause/unpause (FAKE-XEN.md 5.4, 5.5, 6.4-6.7)."""

import time

from conftest import NOW, SIMPLE_CFG


def test_create(fake):
    cfg = fake.cfg('web1.cfg', SIMPLE_CFG)
    r = fake.xl('create', cfg)
    assert (r.rc, r.out, r.err) == (0, '', 'Parsing config from %s\n' % cfg)
    assert fake.domids() == [1]
    d = fake.dom(1)
    assert d['name'] == 'web1' and d['mem'] == '512' and d['vcpus'] == '2'
    assert d['type'] == 'pv' and d['state'] == 'running'
    assert d['pause_count'] == '0' and d['start_time'] == str(NOW)
    assert d['config'] == cfg
    assert (d['on_poweroff'], d['on_reboot'], d['on_crash']) == (
        'destroy', 'restart', 'destroy')
    assert fake.xl('list', 'web1').out.split('\n')[1] == \
        'web1                                         1   512     2     r-----       0.0'
    # quiet, relative path kept as given, paused
    fake.cfg('db1.cfg', "name='db1'\n")
    r = fake.xl('create', '-q', '-p', 'db1.cfg')
    assert (r.rc, r.out, r.err) == (0, '', '')
    d = fake.dom(2)
    assert d['config'] == 'db1.cfg' and d['pause_count'] == '1'
    assert d['mem'] == '32' and d['vcpus'] == '1'        # xl defaults
    assert '--p---' in fake.xl('list', 'db1').out


def test_create_defconfig_and_extra_vars(fake):
    cfg = fake.cfg('any.cfg', "name = 'x'\nmemory = 64\n")
    r = fake.xl('create', '-f', cfg, 'name="mail.example.org"', 'vcpus=3')
    assert r.rc == 0, r
    d = fake.dom(1)
    assert (d['name'], d['vcpus'], d['mem']) == ('mail.example.org', '3', '64')
    r = fake.xl('create', cfg, 'other.cfg')
    assert r.rc == 2 and r.out.startswith('Usage: xl [-vtTfN] create')
    r = fake.xl('create')
    assert (r.rc, r.err) == (6, 'Config file not specified and none in save '
                             'file\n')


def test_create_unreadable(fake):
    r = fake.xl('create', '/nonexistent/web1.cfg')
    assert (r.rc, r.out, r.err) == (3, '', 'Failed to read config file: '
                                    '/nonexistent/web1.cfg: No such file or '
                                    'directory\n')
    r = fake.xl('create', fake.root)
    assert (r.rc, r.err) == (3, 'Failed to read config file: %s: Is a '
                             'directory\n' % fake.root)


def test_create_duplicate_consumes_domid(fake):
    cfg = fake.cfg('web1.cfg', SIMPLE_CFG)
    assert fake.xl('create', cfg).rc == 0
    r = fake.xl('create', cfg)
    assert r.rc == 3 and r.out == ''
    assert r.err.split('\n') == [
        'Parsing config from %s' % cfg,
        'libxl: error: libxl_domain.c:81:libxl__domain_rename: Domain 2:'
        'Domain with name "web1" already exists.',
        'libxl: error: libxl_create.c:1309:initiate_domain_create: Domain 2:'
        'cannot make domain: -6', '']
    fake.cfg('db1.cfg', "name='db1'\n")
    assert fake.xl('create', 'db1.cfg').rc == 0
    assert fake.domids() == [1, 3]


def test_create_memory_check(fake):
    # 5.5: free = total - dom0 - guests = 4096 - 1024 - 2048 = 1024
    env = {'FAKE_XEN_TOTAL_MEMORY': '4096'}
    fake.add_dom(3, 'big', mem=2048)
    fake.cfg('a.cfg', "name='a'\nmemory=1025\n")
    r = fake.xl('create', '-q', 'a.cfg', env=env)
    assert (r.rc, r.out, r.err) == (3, '', 'failed to free memory for the '
                                    'domain\n')
    fake.cfg('b.cfg', "name='b'\nmemory=1024\n")
    assert fake.xl('create', '-q', 'b.cfg', env=env).rc == 0
    assert fake.xl('info', 'free_memory', env=env).out == '0\n'


def test_destroy(fake):
    fake.add_dom(3, 'web1')
    r = fake.xl('destroy', 'web1')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert fake.domids() == []
    r = fake.xl('destroy', 'web1')
    assert (r.rc, r.err) == (1, 'web1 is an invalid domain identifier '
                             '(rc=-6)\n')
    r = fake.xl('destroy', '3')
    assert r.rc == 1 and r.out == ''
    assert r.err.split('\n') == [
        'libxl: error: libxl_domain.c:356:libxl_domain_info: Domain 3:'
        'Getting domain info: No such process',
        'libxl: error: libxl_domain.c:1181:libxl__destroy_domid: Domain 3:'
        'Non-existant domain',
        'libxl: error: libxl_domain.c:1135:domain_destroy_callback: Domain 3:'
        'Unable to destroy guest',
        'libxl: error: libxl_domain.c:1062:domain_destroy_cb: Domain 3:'
        'Destruction of domain failed',
        'destroy failed (rc=-21)', '']


def test_destroy_domain0(fake):
    for arg in ('0', 'Domain-0'):
        r = fake.xl('destroy', arg)
        assert (r.rc, r.out, r.err) == (
            1, '', 'Not destroying domain 0; use -f to force.\nThis can only '
            'be done when using a disaggregated hardware domain and '
            'toolstack.\n\n')
    assert fake.calls()[-1]['argv'] == ['xl', 'destroy', 'Domain-0']


def test_pause_unpause_counts(fake):
    fake.add_dom(3, 'web1')
    assert fake.xl('pause', 'web1').rc == 0
    assert fake.xl('pause', 'web1').rc == 0
    assert fake.dom(3)['pause_count'] == '2'
    assert fake.xl('unpause', 'web1').rc == 0
    assert '--p---' in fake.xl('list', 'web1').out
    assert fake.xl('unpause', 'web1').rc == 0
    assert 'r-----' in fake.xl('list', 'web1').out
    r = fake.xl('unpause', 'web1')
    assert (r.rc, r.out, r.err) == (
        0, '', 'libxl: error: libxl_domain.c:686:domain_unpause_done: '
        'Domain 3:Unpausing domain: Invalid argument\n')
    assert fake.dom(3)['pause_count'] == '0'


def test_pause_limits_and_errors(fake):
    fake.add_dom(3, 'web1', pause_count=255)
    r = fake.xl('pause', 'web1')
    assert (r.rc, r.err) == (0, 'libxl: error: libxl_domain.c:585:'
                             'libxl_domain_pause: Domain 3:Pausing domain: '
                             'Value too large for defined data type\n')
    assert fake.dom(3)['pause_count'] == '255'
    r = fake.xl('pause', 'Domain-0')
    assert (r.rc, r.err) == (0, 'libxl: error: libxl_domain.c:585:'
                             'libxl_domain_pause: Pausing domain: Invalid '
                             'argument\n')
    r = fake.xl('pause', '9')
    assert (r.rc, r.err) == (0, 'libxl: error: libxl_domain.c:585:'
                             'libxl_domain_pause: Domain 9:Pausing domain: '
                             'No such process\n')
    r = fake.xl('pause', 'nosuch')
    assert (r.rc, r.err) == (1, 'nosuch is an invalid domain identifier '
                             '(rc=-6)\n')


def test_shutdown_immediate_destroy(fake):
    fake.add_dom(3, 'web1')
    r = fake.xl('shutdown', 'web1')
    assert (r.rc, r.out, r.err) == (0, '', 'Shutting down domain 3\n')
    # delay 0: visible to the very next invocation
    assert fake.xl('list').out.count('\n') == 2
    assert fake.domids() == []


def test_reboot_gives_new_domid(fake):
    fake.add_dom(3, 'web1', cpu_time='55.5', start_time=NOW - 1000)
    fake.add_dom(7, 'db1')
    r = fake.xl('reboot', 'web1')
    assert (r.rc, r.out, r.err) == (0, '', 'Rebooting domain 3\n')
    assert fake.xl('domid', 'web1', env={'FAKE_XEN_NOW': str(NOW + 5)}).out \
        == '8\n'
    d = fake.dom(8)
    assert (d['state'], d['cpu_time'], d['pause_count'], d['pending']) == (
        'running', '0.0', '0', 'none')
    assert d['start_time'] == str(NOW + 5)
    assert fake.domids() == [7, 8]


def test_on_actions(fake):
    fake.add_dom(3, 'a', on_poweroff='preserve')
    fake.add_dom(4, 'b', on_poweroff='restart')
    fake.add_dom(5, 'c', on_reboot='destroy')
    fake.add_dom(6, 'd', on_reboot='preserve')
    fake.add_dom(7, 'e', on_poweroff='rename-restart')
    for n in ('a', 'b', 'e'):
        assert fake.xl('shutdown', n).rc == 0
    for n in ('c', 'd'):
        assert fake.xl('reboot', n).rc == 0
    out = fake.xl('list').out
    assert 'a                                            3   256     1     ---s--' in out
    assert 'd                                            6   256     1     ---sr-' in out
    assert fake.domids() == [3, 6, 8, 9]
    assert fake.dom(8)['name'] == 'b' and fake.dom(9)['name'] == 'e'


def test_shutdown_delay_and_reaping_timeline(fake):
    fake.add_dom(3, 'web1')
    fake.add_dom(4, 'db1')
    env = {'FAKE_XEN_SHUTDOWN_DELAY': '0.6', 'FAKE_XEN_REBOOT_DELAY': '0.6'}
    t0 = time.time()
    assert fake.xl('shutdown', 'web1', env=env).rc == 0
    assert fake.xl('reboot', 'db1', env=env).rc == 0
    d = fake.dom(3)
    assert d['pending'] == 'poweroff'
    assert t0 + 0.5 < float(d['pending_at']) < time.time() + 0.7
    # before the delay: still there
    out = fake.xl('list').out
    if time.time() < t0 + 0.55:
        assert 'web1' in out and 'db1' in out
    # a repeated request does not postpone the first one
    assert fake.xl('shutdown', 'web1', env={'FAKE_XEN_SHUTDOWN_DELAY': '30'}
                   ).rc == 0
    time.sleep(max(0, t0 + 0.8 - time.time()))
    out = fake.xl('list').out
    assert 'web1' not in out
    assert 'db1                                          5' in out


def test_paused_domain_waits_until_unpaused(fake):
    fake.add_dom(3, 'web1', pause_count=1)
    assert fake.xl('shutdown', 'web1').rc == 0
    assert 'web1' in fake.xl('list').out
    assert fake.dom(3)['pending'] == 'poweroff'
    assert fake.xl('unpause', 'web1').rc == 0
    assert 'web1' not in fake.xl('list').out


def test_shutdown_wait(fake):
    fake.add_dom(3, 'web1')
    env = {'FAKE_XEN_SHUTDOWN_DELAY': '0.5'}
    t0 = time.time()
    r = fake.xl('shutdown', '-w', 'web1', env=env)
    assert time.time() - t0 >= 0.45
    assert (r.rc, r.out) == (0, '')
    assert r.err == ('Shutting down domain 3\nWaiting for 1 domains\n'
                     'Domain 3 has been shut down, reason code 0\n')
    assert fake.domids() == []


def test_reboot_wait_and_wait_wait(fake):
    fake.add_dom(3, 'web1')
    r = fake.xl('reboot', '-w', 'web1')
    assert r.err == ('Rebooting domain 3\nWaiting for 1 domains\n'
                     'Domain 3 has been shut down, reason code 1\n')
    fake.add_dom(9, 'db1', on_poweroff='preserve')
    r = fake.xl('shutdown', '--wait', 'db1')
    assert r.err.endswith('Domain 9 has been shut down, reason code 0\n')
    # -ww waits for the domain to disappear: destroy it meanwhile
    fake.add_dom(12, 'mail', on_poweroff='preserve')
    p = fake.popen('xl', 'shutdown', '-ww', 'mail')
    time.sleep(0.4)
    assert p.poll() is None
    assert fake.xl('destroy', 'mail').rc == 0
    out, err = p.communicate(timeout=5)
    assert p.returncode == 0
    assert err.decode() == ('Shutting down domain 12\nWaiting for 1 domains\n'
                            'Domain 12 has been destroyed\n')


def test_wait_does_not_hold_the_lock(fake):
    fake.add_dom(3, 'web1')
    p = fake.popen('xl', 'shutdown', '-w', 'web1',
                   env={'FAKE_XEN_SHUTDOWN_DELAY': '1.5'})
    time.sleep(0.3)
    t0 = time.time()
    r = fake.xl('list')
    assert r.rc == 0 and time.time() - t0 < 1.0
    p.communicate(timeout=5)
    assert p.returncode == 0


def test_shutdown_all(fake):
    fake.add_dom(3, 'web1')
    fake.add_dom(5, 'db1')
    r = fake.xl('shutdown', '-a', '-w')
    assert r.rc == 0
    assert r.err == ('Shutting down domain 3\nShutting down domain 5\n'
                     'Waiting for 2 domains\n'
                     'Domain 3 has been shut down, reason code 0\n'
                     'Domain 5 has been shut down, reason code 0\n')
    assert fake.domids() == []
    r = fake.xl('shutdown')
    assert (r.rc, r.out, r.err) == (1, '', 'You must specify -a or a domain '
                                    'id.\n\n')


def test_shutdown_hvm_without_pv_drivers(fake):
    fake.add_dom(3, 'win1', type='hvm', pv_drivers='no')
    r = fake.xl('shutdown', 'win1')
    assert (r.rc, r.out) == (1, '')
    assert r.err == ('Shutting down domain 3\n'
                     'PV control interface not available: external graceful '
                     'shutdown not possible.\n'
                     'Use "-F" to fallback to ACPI power event.\n'
                     'shutdown failed (rc=-10)\n')
    r = fake.xl('reboot', 'win1')
    assert r.rc == 1 and r.err.split('\n')[1:] == [
        'PV control interface not available: external graceful reboot not '
        'possible.', 'Use "-F" to fallback to ACPI reset event.',
        'reboot failed (rc=-10)', '']
    assert fake.domids() == [3]
    r = fake.xl('shutdown', '-F', 'win1')
    assert r.rc == 0
    assert r.err == ('Shutting down domain 3\nPV control interface not '
                     'available: sending ACPI power button event.\n')
    assert 'win1' not in fake.xl('list').out        # reaped by this run
    assert fake.domids() == []


def test_shutdown_domain0_and_missing(fake):
    r = fake.xl('shutdown', 'Domain-0')
    assert (r.rc, r.out, r.err) == (0, '', 'Shutting down domain 0\n')
    r = fake.xl('reboot', '0')
    assert (r.rc, r.err) == (0, 'Rebooting domain 0\n')
    assert 'Domain-0' in fake.xl('list').out
    r = fake.xl('shutdown', 'nosuch')
    assert (r.rc, r.err) == (1, 'nosuch is an invalid domain identifier '
                             '(rc=-6)\n')
    r = fake.xl('shutdown', '9')
    assert r.rc == 1 and r.err.startswith('Shutting down domain 9\n')
    assert r.err.endswith('shutdown failed (rc=-3)\n')


def test_monitor(fake):
    cfg = fake.cfg('web1.cfg', SIMPLE_CFG)
    r = fake.xl('create', cfg, env={'FAKE_XEN_MONITOR': '1'})
    assert r.rc == 0
    log = fake.path('log', 'xl-web1.log')
    deadline = time.time() + 5
    while time.time() < deadline and not open(log).read():
        time.sleep(0.05)
    assert 'Waiting for domain web1 (domid 1) to die' in open(log).read()
    assert fake.xl('destroy', 'web1').rc == 0
    while time.time() < deadline and 'destroyed' not in open(log).read():
        time.sleep(0.05)
    assert 'Domain 1 has been destroyed.' in open(log).read()


def test_create_options_accepted_and_not_simulated(fake):
    """6.4.9: -e and -d (and -i) are no-ops; -c -F -V -A are not
    simulated (125) and create nothing."""
    cfg = fake.cfg('web1.cfg', SIMPLE_CFG)
    r = fake.xl('create', '-e', '-d', '-i', '-q', cfg)
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert fake.domids() == [1]
    fake.cfg('db1.cfg', "name = 'db1'\n")
    for opt in ('-c', '-F', '-V', '-A'):
        r = fake.xl('create', opt, 'db1.cfg')
        assert (r.rc, r.out, r.err) == (
            125, '', 'fake-xen: option %s is not simulated\n' % opt)
    assert fake.domids() == [1]


def test_destroy_force_guest_and_dom0(fake):
    fake.add_dom(3, 'web1')
    r = fake.xl('destroy', '-f', 'web1')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert fake.domids() == []
    # 5.7: Domain-0 never goes away; the call is logged
    r = fake.xl('destroy', '-f', '0')
    assert r.rc == 1 and r.out == ''
    assert 'Domain-0' in fake.xl('list').out
    assert ['xl', 'destroy', '-f', '0'] in [c['argv'] for c in fake.calls()]


def test_unpause_missing_domid_exit_0(fake):
    """6.7: xl ignores the result: an error line, exit 0."""
    r = fake.xl('unpause', '42')
    assert (r.rc, r.out) == (0, '')
    assert r.err.startswith('libxl: error: ')
    assert r.err.endswith('No such process\n') and r.err.count('\n') == 1
    r = fake.xl('unpause', '0')
    assert (r.rc, r.err) == (0, 'libxl: error: libxl_domain.c:686:'
                             'domain_unpause_done: Unpausing domain: '
                             'Invalid argument\n')


def test_monitor_holds_inherited_descriptors(fake):
    """5.9 (MAY): the monitor keeps the stdin it inherited and every other
    inherited descriptor until its domain goes away, but not stdout or
    stderr (the create itself returns at once)."""
    import os
    import select
    cfg = fake.cfg('web1.cfg', SIMPLE_CFG)
    r0, w0 = os.pipe()          # stdin of xl create
    r3, w3 = os.pipe()          # a leaked descriptor
    try:
        r = fake.xl('create', '-q', cfg, stdin=w0, pass_fds=(w3,),
                    env={'FAKE_XEN_MONITOR': '1'})
        os.close(w0)
        os.close(w3)
        w0 = w3 = None
        assert (r.rc, r.out, r.err) == (0, '', '')
        # still held open by the monitor: no EOF
        assert select.select([r0, r3], [], [], 0.3)[0] == []
        assert fake.xl('destroy', 'web1').rc == 0
        for fd in (r0, r3):
            assert select.select([fd], [], [], 5)[0] == [fd]
            assert os.read(fd, 1) == b''
    finally:
        for fd in (r0, r3, w0, w3):
            if fd is not None:
                os.close(fd)


def test_shutdown_and_reboot_delays_are_separate(fake):
    """1.3: FAKE_XEN_SHUTDOWN_DELAY applies to shutdown only,
    FAKE_XEN_REBOOT_DELAY to reboot only (both personalities)."""
    for tool in ('xl', 'xm'):
        fake.add_dom(3, 'web1')
        fake.add_dom(4, 'db1')
        env = {'FAKE_XEN_SHUTDOWN_DELAY': '30', 'FAKE_XEN_REBOOT_DELAY': '0'}
        assert fake.run(tool, 'reboot', 'web1', env=env).rc == 0
        assert fake.run(tool, 'shutdown', 'db1', env=env).rc == 0
        fake.xl('list')
        assert fake.dom(4)['pending'] == 'poweroff'     # still waiting
        assert 3 not in fake.domids()                   # rebooted
        env = {'FAKE_XEN_SHUTDOWN_DELAY': '0', 'FAKE_XEN_REBOOT_DELAY': '30'}
        new = [i for i in fake.domids() if i != 4][0]
        assert fake.run(tool, 'reboot', str(new), env=env).rc == 0
        fake.xl('destroy', 'db1')
        fake.add_dom(20 + new, 'db1')
        assert fake.run(tool, 'shutdown', 'db1', env=env).rc == 0
        fake.xl('list')
        assert fake.dom(new)['pending'] == 'reboot'
        assert 20 + new not in fake.domids()
        for i in fake.domids():
            fake.xl('destroy', str(i))
