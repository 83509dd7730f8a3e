"""xl list / info / uptime output, byte for byte (FAKE-XEN.md 5.3, 6.1-6.3)."""

import json

import pytest

from conftest import NOW

HEADER = 'Name                                        ID   Mem VCPUs\tState\tTime(s)\n'
DOM0 = 'Domain-0                                     0  1024     2     r-----     100.0\n'


def test_list_empty(fake):
    r = fake.xl('list')
    assert (r.rc, r.out, r.err) == (0, HEADER + DOM0, '')


def test_list_rows_in_domid_order(fake):
    fake.add_dom(12, 'db1', mem=2048, vcpus=4, cpu_time='1234.5')
    fake.add_dom(3, 'web1.example.org', mem=1024, vcpus=2)
    r = fake.xl('list')
    assert r.out == HEADER + DOM0 + (
        'web1.example.org                             3  1024     2     r-----       0.0\n'
        'db1                                         12  2048     4     r-----    1234.5\n')
    assert r.rc == 0 and r.err == ''


@pytest.mark.parametrize('fields,letters', [
    ({'state': 'running'}, 'r-----'),
    ({'state': 'blocked'}, '-b----'),
    ({'state': 'runnable'}, '------'),
    ({'state': 'running', 'pause_count': 1}, '--p---'),
    ({'state': 'blocked', 'pause_count': 3}, '--p---'),
    ({'state': 'paused', 'pause_count': 0}, '--p---'),
    ({'state': 'shutdown', 'shutdown_reason': 0}, '---s--'),
    ({'state': 'shutdown', 'shutdown_reason': 1}, '---sr-'),
    ({'state': 'shutdown', 'shutdown_reason': 2}, '---ss-'),
    ({'state': 'shutdown', 'shutdown_reason': 3}, '---sc-'),
    ({'state': 'shutdown', 'shutdown_reason': 4}, '---sw-'),
    ({'state': 'shutdown', 'shutdown_reason': 5}, '---sS-'),
    ({'state': 'crashed'}, '---sc-'),
    ({'state': 'dying'}, '-----d'),
])
def test_state_letters(fake, fields, letters):
    fake.add_dom(5, 'g', **fields)
    r = fake.xl('list', 'g')
    assert r.out == HEADER + \
        'g                                            5   256     1     %s       0.0\n' % letters


def test_long_name_not_truncated_and_empty_name(fake):
    long = 'a' * 45 + '.example.org'
    fake.add_dom(3, long)
    fake.add_dom(4, '')
    r = fake.xl('list')
    lines = r.out.split('\n')
    assert lines[2] == long + '     3   256     1     r-----       0.0'
    assert lines[3] == ' ' * 40 + '     4   256     1     r-----       0.0'


def test_list_one_domain(fake):
    fake.add_dom(3, 'web1')
    assert fake.xl('list', '0').out == HEADER + DOM0
    assert fake.xl('list', 'Domain-0').out == HEADER + DOM0
    assert fake.xl('list', '3').out == fake.xl('list', 'web1').out
    r = fake.xl('list', 'nosuch')
    assert (r.rc, r.out, r.err) == (1, '', 'nosuch is an invalid domain '
                                    'identifier (rc=-6)\n')
    r = fake.xl('list', '042')
    assert (r.rc, r.out) == (1, '')
    assert r.err.split('\n') == [
        'libxl: error: libxl_domain.c:356:libxl_domain_info: Domain 42:'
        'Getting domain info: No such process',
        "Error: Domain '042' does not exist.", '']


def test_list_two_domains_prints_help(fake):
    fake.add_dom(3, 'web1')
    r = fake.xl('list', 'web1', 'Domain-0')
    assert r.rc == 1 and r.err == ''
    assert r.out.startswith('Usage: xl [-vtT] list [options] [Domain]\n')


def test_list_long_json(fake):
    fake.add_dom(3, 'web1', mem=1024, vcpus=2, type='hvm')
    r = fake.xl('list', '-l')
    assert r.rc == 0
    assert r.out.startswith('[\n    {\n        "domid": 0,\n')
    assert json.loads(r.out) == [
        {'domid': 0, 'config': {'c_info': {'type': 'pv', 'name': 'Domain-0'},
                                'b_info': {'max_vcpus': 2,
                                           'max_memkb': 1048576}}},
        {'domid': 3, 'config': {'c_info': {'type': 'hvm', 'name': 'web1'},
                                'b_info': {'max_vcpus': 2,
                                           'max_memkb': 1048576}}}]
    assert json.loads(fake.xl('list', '--long', 'web1').out)[0]['domid'] == 3


def test_list_verbose(fake):
    fake.add_dom(3, 'web1', uuid='0d8ad0e2-8a4c-4d5e-9a01-1c2b3d4e5f60',
                 state='shutdown', shutdown_reason=1)
    r = fake.xl('list', '-v')
    lines = r.out.split('\n')
    assert lines[0] == HEADER[:-1] + \
        '   UUID                            Reason-Code\tSecurity Label'
    assert lines[2] == 'web1                                         3   256' \
        '     1     ---sr-       0.0 0d8ad0e2-8a4c-4d5e-9a01-1c2b3d4e5f60' \
        '        1                -'


def test_dom0_overrides(fake):
    fake.write('dom0', 'mem=4096\nvcpus=8\ncpu_time=5.25\n')
    r = fake.xl('list', '0')
    assert r.out == HEADER + \
        'Domain-0                                     0  4096     8     r-----       5.2\n'


def test_info(fake):
    fake.add_dom(3, 'web1', mem=1024)
    r = fake.xl('info', env={'FAKE_XEN_TOTAL_MEMORY': '8192'})
    assert r.rc == 0 and r.err == ''
    lines = r.out.split('\n')
    assert lines[0] == 'host                   : dom0.example.org'
    assert 'total_memory           : 8192' in lines
    assert 'free_memory            : 6144' in lines
    assert 'xen_version            : 4.17.5' in lines
    assert lines[-2] == 'xend_config_format     : 4'
    keys = [ln.split(':')[0].rstrip() for ln in lines if ln]
    assert keys[:4] == ['host', 'release', 'version', 'machine']
    assert keys.index('free_memory') < keys.index('xen_major') < \
        keys.index('build_id')
    assert all(len(ln.split(':')[0]) == 23 for ln in lines if ln)


def test_info_field(fake):
    fake.add_dom(3, 'web1', mem=2048)
    r = fake.xl('info', 'free_memory')
    assert (r.rc, r.out, r.err) == (0, '13312\n', '')     # 16384-1024-2048
    assert fake.xl('info', 'host').out == 'dom0.example.org\n'
    # like maybe_printf(): every line starting with the word
    assert fake.xl('info', 'xen_m').out == '4\n17\n'
    assert fake.xl('info', 'nosuch').out == ''


def test_uptime(fake):
    fake.write('boot_time', '%d\n' % (NOW - 2 * 86400 - 3 * 3600 - 61))
    fake.add_dom(3, 'web1', start_time=NOW - 309)
    fake.add_dom(5, 'db1', start_time=NOW - 86400 - 5)
    r = fake.xl('uptime')
    assert (r.rc, r.err) == (0, '')
    row = '%-33s %4d %s'
    assert r.out.split('\n') == [
        '%-33s %4s %s' % ('Name', 'ID', 'Uptime'),
        row % ('Domain-0', 0, '2 days,  3:01:01'),
        row % ('web1', 3, ' 0:05:09'),
        row % ('db1', 5, '1 day,  0:00:05'), '']
    assert r.out.split('\n')[2] == 'web1                                 3  0:05:09'
    r = fake.xl('uptime', 'db1', '3')
    assert r.out.split('\n')[1:] == [row % ('db1', 5, '1 day,  0:00:05'),
                                     row % ('web1', 3, ' 0:05:09'), '']
    r = fake.xl('uptime', '-s', 'web1')
    assert r.out == ' 14:53:20 up  0:05, web1 (3)\n'
    r = fake.xl('uptime', 'web1', 'nosuch')
    assert (r.rc, r.out, r.err) == (1, '', 'nosuch is an invalid domain '
                                    'identifier (rc=-6)\n')


def test_boot_time_created_an_hour_ago(fake):
    r = fake.xl('uptime', '0')
    assert r.out.split('\n')[1] == '%-33s %4d %s' % ('Domain-0', 0, ' 1:00:00')
    assert int(open(fake.path('boot_time')).read()) == NOW - 3600


def test_info_all_lines_per_spec(fake):
    """6.2: every line, in order, byte for byte (release/version are
    uname's)."""
    import os
    u = os.uname()
    r = fake.xl('info')
    assert (r.rc, r.err) == (0, '')
    expect = [
        ('host', 'dom0.example.org'), ('release', u.release),
        ('version', u.version), ('machine', 'x86_64'), ('nr_cpus', '4'),
        ('max_cpu_id', '3'), ('nr_nodes', '1'), ('cores_per_socket', '4'),
        ('threads_per_core', '1'), ('cpu_mhz', '2394.454'),
        ('hw_caps', '178bf3ff:f6d8320b:2e500800:244037ff:0000000f:209c01a9:'
                    '00400004:00000500'),
        ('virt_caps', 'pv hvm hvm_directio pv_directio hap shadow'),
        ('total_memory', '16384'), ('free_memory', '15360'),
        ('sharing_freed_memory', '0'), ('sharing_used_memory', '0'),
        ('outstanding_claims', '0'), ('free_cpus', '0'), ('xen_major', '4'),
        ('xen_minor', '17'), ('xen_extra', '.5'), ('xen_version', '4.17.5'),
        ('xen_caps', 'xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p '
                     'hvm-3.0-x86_64'),
        ('xen_scheduler', 'credit2'), ('xen_pagesize', '4096'),
        ('platform_params', 'virt_start=0xffff800000000000'),
        ('xen_changeset', 'Fri Oct 24 00:00:00 2025 git:0123456789'),
        ('xen_commandline', 'placeholder dom0_mem=1024M,max:1024M'),
        ('cc_compiler', 'x86_64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0'),
        ('cc_compile_by', 'pkg-xen-devel'),
        ('cc_compile_domain', 'lists.alioth.debian.org'),
        ('cc_compile_date', 'Fri Oct 24 00:00:00 UTC 2025'),
        ('build_id', '0123456789abcdef0123456789abcdef01234567'),
        ('xend_config_format', '4')]
    assert r.out == ''.join('%-23s: %s\n' % kv for kv in expect)


def test_managed_inactive_domain_invisible_to_xl(fake):
    """A halted xend-managed domain (xm new) does not exist for xl."""
    fake.add_dom(9, 'managed-off', managed='yes', state='halted')
    r = fake.xl('list', 'managed-off')
    assert (r.rc, r.err) == (1, 'managed-off is an invalid domain identifier '
                             '(rc=-6)\n')
    r = fake.xl('list', '9')
    assert r.rc == 1 and r.err.endswith("Error: Domain '9' does not "
                                        "exist.\n")
    assert fake.xl('uptime', '9').out.count('\n') == 1
