"""xm personality (Xen 4.4 / xend): FAKE-XEN.md 5.1-5.3, 7, 8."""

import os
import time

import pytest

from conftest import NOW, golden

HEADER = 'Name                                        ID   Mem VCPUs      State   Time(s)\n'
DOM0 = 'Domain-0                                     0  1024     2     r-----    100.0\n'

XEN_TOOLS_CFG = """#
# Configuration file for the Xen instance db1, created
# by xen-tools 4.9.2 on Mon Nov 25 06:00:00 2024.
#

#
#  Kernel + memory size
#
kernel      = '/boot/vmlinuz-6.1.0-26-amd64'
extra       = 'elevator=noop'
ramdisk     = '/boot/initrd.img-6.1.0-26-amd64'

vcpus       = '2'
memory      = '2048'

name        = 'db1'
vif         = [ 'ip=192.0.2.21 ,mac=00:16:3E:00:00:21' ]

on_poweroff = 'destroy'
on_reboot   = 'restart'
on_crash    = 'restart'
"""


def test_list(fake):
    fake.add_dom(3, 'web1.example.org', mem=1024, vcpus=2)
    fake.add_dom(4, 'db1', state='crashed')
    fake.add_dom(5, 'mail', state='shutdown', shutdown_reason=1)
    fake.add_dom(6, 'p', pause_count=1)
    r = fake.xm('list')
    assert (r.rc, r.err) == (0, '')
    assert r.out == HEADER + DOM0 + (
        'web1.example.org                             3  1024     2     r-----      0.0\n'
        'db1                                          4   256     1     ----c-      0.0\n'
        'mail                                         5   256     1     ---s--      0.0\n'
        'p                                            6   256     1     --p---      0.0\n')
    r = fake.xm('list', 'mail', '3')
    assert r.out == HEADER + r.out.split('\n', 1)[1]
    assert r.out.split('\n')[1].startswith('mail ')
    assert r.out.split('\n')[2].startswith('web1.example.org ')
    r = fake.xm('list', 'web1.example.org', 'nosuch')
    assert (r.rc, r.out, r.err) == (3, '', "Error: Domain 'nosuch' does not "
                                    "exist.\n")


def test_list_managed_inactive_domain(fake):
    fake.add_dom(9, 'managed-off', mem=512, managed='yes', state='halted')
    r = fake.xm('list')
    assert r.out.split('\n')[2] == \
        'managed-off                                      512     1                 0.0'
    assert 'managed-off' not in fake.xl('list').out


def test_list_long(fake):
    fake.add_dom(3, 'web1.example.org', mem=1024, vcpus=2)
    r = fake.xm('list', '-l', 'web1.example.org')
    assert r.out == ('(domain\n    (domid 3)\n    (name web1.example.org)\n'
                     '    (memory 1024)\n    (vcpus 2)\n    (state r-----)\n'
                     ')\n')


def test_lookup_name_then_id(fake):
    fake.add_dom(3, '7')
    fake.add_dom(7, 'web1')
    # a name wins over an id (unlike xl)
    assert fake.xm('pause', '7').rc == 0
    assert fake.dom(3)['pause_count'] == '1'
    assert fake.dom(7)['pause_count'] == '0'
    assert fake.xm('domid', 'web1').out == '7\n'
    assert fake.xm('domname', '3').out == '7\n'
    r = fake.xm('pause', 'WEB1')
    assert (r.rc, r.out, r.err) == (3, '', "Error: Domain 'WEB1' does not "
                                    "exist.\n")


def test_pause_is_a_flag(fake):
    fake.add_dom(3, 'web1')
    assert fake.xm('pause', 'web1').rc == 0
    r = fake.xm('pause', 'web1')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert fake.dom(3)['pause_count'] == '1'
    assert fake.xm('unpause', 'web1').rc == 0
    r = fake.xm('unpause', 'web1')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert fake.dom(3)['pause_count'] == '0'


@pytest.mark.parametrize('verb', ['destroy', 'pause', 'unpause'])
def test_domain0_refused(fake, verb):
    r = fake.xm(verb, 'Domain-0')
    assert r.rc == 1
    assert r.err == 'Error: Cannot %s privileged domain Domain-0\n' % verb
    assert r.out.split('\n')[0] == 'Usage: xm %s <Domain>' % verb


def test_destroy(fake):
    fake.add_dom(3, 'web1')
    r = fake.xm('destroy', 'web1')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert fake.domids() == []


def test_arg_counts(fake):
    r = fake.xm('pause')
    assert (r.rc, r.err) == (1, "Error: 'xm pause' requires 1 argument.\n\n")
    assert r.out == 'Usage: xm pause <Domain>\n\nPause execution of a domain.\n'
    r = fake.xm('pause', 'a', 'b')
    assert r.rc == 1 and r.err.startswith("Error: 'xm pause' requires 1")
    r = fake.xm('shutdown')
    assert (r.rc, r.err) == (1, "Error: 'xm shutdown' requires between 1 and "
                             "4 arguments.\n\n")
    assert r.out == 'Usage: xm shutdown <Domain> [-waRH]\n\nShutdown a domain.\n'
    # '--' is not counted and then taken as the domain
    r = fake.xm('pause', '--', 'web1')
    assert (r.rc, r.err) == (3, "Error: Domain '--' does not exist.\n")


def test_help(fake):
    fake.add_dom(3, 'web1')
    r = fake.xm('pause', 'web1', '-h')
    assert (r.rc, r.err) == (1, '')
    assert r.out == 'Usage: xm pause <Domain>\n\nPause execution of a domain.\n'
    assert fake.dom(3)['pause_count'] == '0'
    r = fake.xm('list', '--help')
    assert r.out.startswith('Usage: xm list [options] [Domain, ...]\n\n'
                            'List information about all/some domains.\n')
    for verb, first in (
            ('create', 'Usage: xm create <ConfigFile> [options] [vars]'),
            ('destroy', 'Usage: xm destroy <Domain>'),
            ('unpause', 'Usage: xm unpause <Domain>'),
            ('reboot', 'Usage: xm reboot <Domain> [-wa]'),
            ('uptime', 'Usage: xm uptime [-s] [Domain, ...]')):
        assert fake.xm(verb, '-h').out.split('\n')[0] == first
    r = fake.xm('-h')
    assert r.rc == 0 and r.out.startswith('Usage: xm <subcommand> [args]\n')
    r = fake.xm()
    assert (r.rc, r.out, r.err) == (1, golden('xm-short-help.txt'), '')


def test_unknown_and_prefix(fake):
    r = fake.xm('frobnicate')
    assert (r.rc, r.err) == (1, 'Error: Subcommand frobnicate not found!\n')
    assert r.out == golden('xm-short-help.txt')
    fake.add_dom(3, 'web1')
    assert fake.xm('unp', 'web1').rc == 0         # unique prefix
    assert fake.xm('p', 'web1').rc == 1           # single letters never
    r = fake.xm('save', 'web1', '/tmp/x')
    assert (r.rc, r.err) == (125, 'fake-xen: save is not simulated\n')


def test_info(fake):
    r = fake.xm('info')
    lines = r.out.split('\n')
    assert r.rc == 0
    assert lines[0] == 'host                   : dom0.example.org'
    assert 'cpu_mhz                : 2394' in lines
    assert 'virt_caps              : hvm hvm_directio' in lines
    assert 'xen_minor              : 4' in lines
    assert 'xen_scheduler          : credit' in lines
    assert lines[-2] == 'xend_config_format     : 4'


def test_uptime(fake):
    fake.write('boot_time', '%d\n' % (NOW - 86400 - 3 * 3600 - 902))
    fake.add_dom(3, 'web1', start_time=NOW - 309)
    r = fake.xm('uptime')
    assert r.out == ('%-33s %4s %s \n' % ('Name', 'ID', 'Uptime') +
                     'Domain-0                             0 1 day,  3:15:02\n'
                     'web1                                 3  0:05:09\n')
    assert fake.xm('uptime', '-s', 'web1').out == \
        ' 14:53:20 up  0:05, web1 (3)\n'
    assert fake.xm('uptime', 'nosuch').rc == 3


def test_create_search_path_and_output(fake):
    fake.write('db1.cfg', XEN_TOOLS_CFG, base=fake.etc)
    r = fake.xm('create', 'db1.cfg')
    assert (r.rc, r.err) == (0, '')
    assert r.out == ('Using config file "%s/db1.cfg".\n'
                     'Started domain db1 (id=1)\n' % fake.etc)
    d = fake.dom(1)
    assert (d['mem'], d['vcpus'], d['on_crash'], d['config']) == (
        '2048', '2', 'restart', '%s/db1.cfg' % fake.etc)
    # the current directory first, shown with ./
    fake.cfg('web1.cfg', "name = 'web1'\n")
    r = fake.xm('create', '-q', 'web1.cfg')
    assert (r.rc, r.out) == (0, 'Started domain web1 (id=2)\n')
    assert fake.dom(2)['config'] == './web1.cfg'
    assert fake.dom(2)['mem'] == '128'              # xm default
    r = fake.xm('create', 'nosuch.cfg')
    assert (r.rc, r.err) == (1, 'Error: Unable to open config file: '
                             'nosuch.cfg\n')
    assert r.out == ('Usage: xm create <ConfigFile> [options] [vars]\n\n'
                     'Create a domain based on <ConfigFile>.\n')


def test_create_python_config(fake):
    fake.cfg('vm.cfg', 'import os\r\nvmid = int(vmid)\r\n'
             'name = "vm%d" % vmid\r\nmemory = 64 * 4\r\n'
             'on_crash = "preserve"\r\n')
    r = fake.xm('create', 'vm.cfg', 'vmid=3', '-p')
    assert r.rc == 0, r
    assert r.out.endswith('Started domain vm3 (id=1)\n')
    d = fake.dom(1)
    assert (d['mem'], d['pause_count'], d['on_crash']) == ('256', '1',
                                                           'preserve')
    # command-line variables override the file
    fake.cfg('w.cfg', 'name = "w"\nmemory = 64\n')
    assert fake.xm('create', 'w.cfg', 'memory=96').rc == 0
    assert fake.dom(2)['mem'] == '96'


def test_create_errors(fake):
    fake.cfg('syn.cfg', 'name = "x"\nmemory = = 3\n')
    r = fake.xm('create', 'syn.cfg')
    assert r.rc == 1
    assert r.err == ('Error: Errors were found at line 2 while processing '
                     './syn.cfg:\n\tmemory = = 3\n')
    fake.cfg('ind.cfg', 'name = "x"\n  memory = 3\n')
    assert 'at line 2' in fake.xm('create', 'ind.cfg').err
    fake.cfg('ne.cfg', 'name = "VM%d" % vmid\n')
    r = fake.xm('create', 'ne.cfg')
    assert (r.rc, r.err) == (1, "Error: name 'vmid' is not defined\n")
    fake.cfg('bad.cfg', 'name = "a b"\n')
    r = fake.xm('create', 'bad.cfg')
    assert (r.rc, r.err) == (1, 'Error: Invalid VM Name\n')
    assert fake.domids() == []


def test_create_default_name_duplicate_and_memory(fake):
    fake.cfg('noname.cfg', 'memory = 512\n')
    r = fake.xm('create', 'noname.cfg')
    assert r.out.endswith('Started domain noname.cfg (id=1)\n')
    r = fake.xm('create', 'noname.cfg')
    assert (r.rc, r.err) == (1, "Error: Domain 'noname.cfg' already exists "
                             "with ID '1'\n")
    fake.cfg('big.cfg', 'name = "big"\nmemory = 20000\n')
    r = fake.xm('create', '-q', 'big.cfg')
    assert (r.rc, r.out) == (1, '')
    assert r.err == ('Error: Not enough free memory and enable-dom0-ballooning '
                     'is False, so I cannot release any more.  I need '
                     '20480000 KiB but only have 15204352.\n')


def test_shutdown_reboot(fake):
    fake.add_dom(3, 'web1')
    r = fake.xm('shutdown', 'web1')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert fake.xm('list', 'web1').rc == 3
    fake.add_dom(4, 'db1')
    r = fake.xm('shutdown', '-R', 'db1')            # -R = reboot
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert fake.xm('domid', 'db1').out == '5\n'
    r = fake.xm('reboot', '-w', 'db1')
    assert (r.rc, r.out) == (0, 'Domain db1 rebooted\nAll domains rebooted\n')
    assert fake.xm('domid', 'db1').out == '6\n'
    r = fake.xm('shutdown', 'db1', '-w')             # options after domain
    assert (r.rc, r.out) == (0, 'Domain db1 terminated\nAll domains '
                             'terminated\n')
    r = fake.xm('shutdown', 'nosuch')
    assert (r.rc, r.err) == (3, "Error: Domain 'nosuch' does not exist.\n")


def test_shutdown_delay_wait(fake):
    fake.add_dom(3, 'web1')
    t0 = time.time()
    r = fake.xm('shutdown', '-w', 'web1', env={'FAKE_XEN_SHUTDOWN_DELAY':
                                              '0.5'})
    assert time.time() - t0 >= 0.45
    assert r.out == 'Domain web1 terminated\nAll domains terminated\n'


def test_shutdown_hvm_without_pv_drivers_is_ignored(fake):
    fake.add_dom(3, 'win1', type='hvm', pv_drivers='no')
    r = fake.xm('shutdown', 'win1')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert 'win1' in fake.xm('list').out
    assert fake.dom(3)['pending'] == 'none'


def test_config_dir_default(fake):
    env = {'FAKE_XEN_CONFIG_DIR': None}
    r = fake.xm('create', 'surely-not-there.cfg', env=env)
    assert r.rc == 1
    assert not os.path.exists('/etc/xen/surely-not-there.cfg')


@pytest.mark.parametrize('fields,letters', [
    ({'state': 'running'}, 'r-----'),
    ({'state': 'blocked'}, '-b----'),
    ({'state': 'runnable'}, '------'),
    ({'state': 'blocked', 'pause_count': 1}, '--p---'),
    ({'state': 'paused', 'pause_count': 0}, '--p---'),
    ({'state': 'shutdown', 'shutdown_reason': 0}, '---s--'),
    ({'state': 'shutdown', 'shutdown_reason': 3}, '---s--'),
    ({'state': 'crashed'}, '----c-'),
    ({'state': 'dying'}, '-----d'),
])
def test_state_letters(fake, fields, letters):
    """5.3, xm column."""
    fake.add_dom(5, 'g', **fields)
    r = fake.xm('list', 'g')
    assert r.out == HEADER + \
        'g                                            5   256     1     %s      0.0\n' % letters


def test_info_fields_in_order(fake):
    """7.2: the field list, in order."""
    r = fake.xm('info')
    keys = [ln.split(':')[0].rstrip() for ln in r.out.split('\n') if ln]
    assert keys == [
        'host', 'release', 'version', 'machine', 'nr_cpus', 'nr_nodes',
        'cores_per_socket', 'threads_per_core', 'cpu_mhz', 'hw_caps',
        'virt_caps', 'total_memory', 'free_memory', 'free_cpus', 'xen_major',
        'xen_minor', 'xen_extra', 'xen_caps', 'xen_scheduler', 'xen_pagesize',
        'platform_params', 'xen_changeset', 'xen_commandline', 'cc_compiler',
        'cc_compile_by', 'cc_compile_domain', 'cc_compile_date',
        'xend_config_format']
    assert all(ln[23:25] == ': ' for ln in r.out.split('\n') if ln)
    assert 'xen_extra              : .4' in r.out.split('\n')


def test_uptime_days_plural(fake):
    fake.write('boot_time', '%d\n' % (NOW - 3 * 86400 - 7))
    r = fake.xm('uptime', '0')
    assert r.out.split('\n')[1] == \
        'Domain-0                             0 3 days,  0:00:07'


def test_create_literal_forms_and_defaults(fake):
    """7.4.2-3: literals of every kind, `;', comments; vcpus defaults to 1;
    an empty name means the file's basename."""
    fake.cfg('lit.cfg', "name = ''; memory = 96  # c\nratio = 1.5\n"
             "disk = [['phy:a', 'xvda'], 'x']\n")
    r = fake.xm('create', 'lit.cfg')
    assert (r.rc, r.err) == (0, '')
    assert r.out.endswith('Started domain lit.cfg (id=1)\n')
    d = fake.dom(1)
    assert (d['name'], d['mem'], d['vcpus']) == ('lit.cfg', '96', '1')


def test_create_nul_byte_is_an_error(fake):
    """9: a NUL in a string: exit 1 (xl dies by SIGABRT instead)."""
    fake.cfg('nul.cfg', b'name = "we\0b1"\n')
    r = fake.xm('create', 'nul.cfg')
    assert r.rc == 1 and r.err.startswith('Error: ')
    assert fake.domids() == []


def test_shutdown_all_and_halt(fake):
    """7.5: -a every guest (never Domain-0); -H accepted."""
    fake.add_dom(3, 'web1')
    fake.add_dom(4, 'db1')
    r = fake.xm('shutdown', '-a')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert fake.dom(3)['pending'] == fake.dom(4)['pending'] == 'poweroff'
    assert fake.xm('list').out == HEADER + DOM0     # reaped by this run
    fake.add_dom(5, 'mail')
    r = fake.xm('shutdown', '-H', 'mail')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert fake.xm('list').out == HEADER + DOM0
