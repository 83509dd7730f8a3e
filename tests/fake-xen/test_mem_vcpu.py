"""mem-set and vcpu-set (xl: xl_mem.c, xl_vcpu.c, libxl_mem.c,
libxl_domain.c; xm: main.py and xend's XendDomainInfo), and what list and
info show afterwards (FAKE-XEN.md 5.5)."""

import json

import pytest

from conftest import SIMPLE_CFG

XM_MEMSET_USAGE = ('Usage: xm mem-set <Domain> <Mem>\n\n'
                   'Set the current memory usage for a domain.\n')
XM_VCPUSET_USAGE = ('Usage: xm vcpu-set <Domain> <vCPUs>\n\n'
                    'Set the number of active VCPUs for allowed for the '
                    'domain.\n')


def row(fake, tool, name):
    """(mem, vcpus) of NAME in `TOOL list'."""
    out = fake.run(tool, 'list').out
    for ln in out.split('\n')[1:]:
        f = ln.split()
        if f and f[0] == name:
            if len(f) == 4:             # xm: managed, not running (no ID)
                return int(f[1]), int(f[2])
            return int(f[2]), int(f[3])
    raise AssertionError('%s not listed:\n%s' % (name, out))


def info(fake, tool, field, **kw):
    for ln in fake.run(tool, 'info', **kw).out.split('\n'):
        if ln.startswith(field + ' '):
            return int(ln.split(': ')[1])


def make(fake, text="name = 'web1'\nmemory = 512\nmaxmem = 2048\n"
                    "vcpus = 2\nmaxvcpus = 4\n"):
    cfg = fake.cfg('web1.cfg', text)
    assert fake.xl('create', '-q', cfg).rc == 0
    return fake.domids()[-1]


# ---------------------------------------------------------------- xl mem-set

@pytest.mark.parametrize('arg, mib', [
    ('768', 768), ('768m', 768), ('768M', 768), ('1g', 1024), ('2G', 2048),
    ('786432k', 768), ('786432K', 768), ('805306368b', 768),
    ('805306369B', 768), (' +700', 700), ('1048577k', 1024),
    ('', 0)])                            # strtoll("") = 0 KiB
def test_xl_mem_set_units(fake, arg, mib):
    make(fake)
    r = fake.xl('mem-set', 'web1', arg)
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert row(fake, 'xl', 'web1')[0] == mib
    assert fake.dom(1)['maxmem'] == '2048'


@pytest.mark.parametrize('arg', ['1.5g', 'x', '12x', '256 ', '0x100', '1mb',
                                 '-1k', '-', '  ', '256\u00e9'])
def test_xl_mem_set_invalid(fake, arg):
    make(fake)
    # '--': GNU getopt would take a leading '-' for options
    r = fake.xl('mem-set', 'web1', '--', arg)
    assert (r.rc, r.out, r.err) == (1, '', 'invalid memory size: %s\n' % arg)
    assert row(fake, 'xl', 'web1')[0] == 512


def test_xl_mem_set_above_static_max(fake):
    make(fake)
    for arg in ('2049', '3g', '-5'):       # -5 MiB is a huge uint64_t
        r = fake.xl('mem-set', '--', 'web1', arg)
        assert (r.rc, r.out) == (1, '')
        assert r.err == (
            'libxl: error: libxl_mem.c:278:libxl_set_memory_target: Domain 1:'
            'memory_dynamic_max must be less than or equal to '
            'memory_static_max\n\n'
            'cannot set domid 1 dynamic max memory to : %s\n' % arg)
    assert row(fake, 'xl', 'web1')[0] == 512
    # maxmem defaults to memory: no growing without it
    fake.cfg('db1.cfg', "name = 'db1'\nmemory = 256\n")
    assert fake.xl('create', '-q', 'db1.cfg').rc == 0
    assert fake.xl('mem-set', 'db1', '257').rc == 1
    assert fake.xl('mem-set', 'db1', '128').rc == 0
    assert fake.xl('mem-set', 'db1', '256').rc == 0       # back to the max
    assert row(fake, 'xl', 'db1')[0] == 256
    # a domain file without maxmem (made by a test): its mem is the max
    fake.add_dom(9, 'hand', mem=300)
    assert fake.xl('mem-set', 'hand', '200').rc == 0
    assert fake.xl('mem-set', 'hand', '300').rc == 0
    assert fake.xl('mem-set', 'hand', '301').rc == 1


def test_xl_mem_set_list_long_and_free_memory(fake):
    make(fake)
    env = {'FAKE_XEN_TOTAL_MEMORY': '4096'}
    assert info(fake, 'xl', 'free_memory', env=env) == 4096 - 1024 - 512
    assert fake.xl('mem-set', 'web1', '256', env=env).rc == 0
    assert info(fake, 'xl', 'free_memory', env=env) == 4096 - 1024 - 256
    assert fake.xl('info', 'free_memory', env=env).out == '2816\n'
    assert info(fake, 'xm', 'free_memory', env=env) == 2816
    doms = json.loads(fake.xl('list', '-l').out)
    assert doms[1]['config']['b_info'] == {'max_vcpus': 4,
                                          'max_memkb': 2048 * 1024}


def test_xl_mem_set_growth_limited_by_free_memory(fake):
    """Target above what Xen has free: xl succeeds (it only sets the
    target), the balloon driver gets what there is."""
    make(fake)
    env = {'FAKE_XEN_TOTAL_MEMORY': '2048'}      # free: 2048-1024-512
    r = fake.xl('mem-set', 'web1', '2048', env=env)
    assert (r.rc, r.err) == (0, '')
    assert row(fake, 'xl', 'web1')[0] == 1024
    assert info(fake, 'xl', 'free_memory', env=env) == 0


def test_xl_mem_set_unknown_domain(fake):
    r = fake.xl('mem-set', 'nosuch', '256')
    assert (r.rc, r.out, r.err) == (
        1, '', 'nosuch is an invalid domain identifier (rc=-6)\n')
    r = fake.xl('mem-set', '42', '256')
    assert (r.rc, r.out) == (1, '')
    assert r.err.split('\n') == [
        'libxl: error: libxl_domain.c:356:libxl_domain_info: Domain 42:'
        'Getting domain info: No such process',
        'libxl: error: libxl_dom.c:1266:libxl__userdata_path: unable to find '
        'domain info for domain 42: No such process',
        'cannot set domid 42 dynamic max memory to : 256', '']
    # the size is parsed first
    r = fake.xl('mem-set', '42', 'lots')
    assert (r.rc, r.err) == (1, 'invalid memory size: lots\n')
    # but the name first of all
    r = fake.xl('mem-set', 'nosuch', 'lots')
    assert r.err == 'nosuch is an invalid domain identifier (rc=-6)\n'


def test_xl_mem_set_domain0(fake):
    r = fake.xl('mem-set', '0', '100')
    assert (r.rc, r.out) == (1, '')
    assert r.err == (
        'libxl: error: libxl_mem.c:287:libxl_set_memory_target: New target '
        '102400 for dom0 is below the minimum threshold\n'
        'cannot set domid 0 dynamic max memory to : 100\n')
    r = fake.xl('mem-set', 'Domain-0', '2g')   # dom0_mem=1024M,max:1024M
    assert r.err == (
        'libxl: error: libxl_mem.c:278:libxl_set_memory_target: '
        'memory_dynamic_max must be less than or equal to '
        'memory_static_max\n\n'
        'cannot set domid 0 dynamic max memory to : 2g\n')
    assert fake.xl('mem-set', '0', '128').rc == 0     # LIBXL_MIN_DOM0_MEM
    r = fake.xl('mem-set', 'Domain-0', '512')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert row(fake, 'xl', 'Domain-0') == (512, 2)
    assert info(fake, 'xl', 'free_memory') == 16384 - 512
    assert fake.xl('mem-set', '0', '1024').rc == 0    # back up to the max
    assert row(fake, 'xm', 'Domain-0')[0] == 1024


def test_xl_mem_set_arguments(fake):
    make(fake)
    r = fake.xl('mem-set', 'web1', '-5')       # getopt: option -5
    assert (r.rc, r.out, r.err) == (2, '', "option `5' not supported.\n")
    r = fake.xl('mem-set', 'web1')
    assert (r.rc, r.err) == (2, "'xl mem-set' requires at least 2 "
                             "arguments.\n\n")
    assert r.out.startswith("Usage: xl [-vtTf] mem-set <Domain> <MemMB['b'")
    r = fake.xl('mem-set', '-h')
    assert r.rc == 0 and r.out.startswith('Usage: xl [-vtTf] mem-set')
    r = fake.xl('mem-set', '-z', 'web1', '1')
    assert (r.rc, r.err) == (2, "option `z' not supported.\n")
    assert fake.xl('mem-s', 'web1', '300').rc == 0        # unique prefix
    assert fake.calls()[-1]['argv'] == ['xl', 'mem-s', 'web1', '300']
    assert row(fake, 'xl', 'web1')[0] == 300


# ---------------------------------------------------------------- xl vcpu-set

def test_xl_vcpu_set(fake):
    make(fake)
    for n, want in (('4', 4), ('1', 1), ('3abc', 3), (' +2', 2)):
        r = fake.xl('vcpu-set', 'web1', n)
        assert (r.rc, r.out, r.err) == (0, '', ''), n
        assert row(fake, 'xl', 'web1')[1] == want
        assert row(fake, 'xm', 'web1')[1] == want
    doms = json.loads(fake.xl('list', '-l').out)
    assert doms[1]['config']['b_info']['max_vcpus'] == 4
    assert fake.dom(1)['maxvcpus'] == '4'
    # Domain-0 (its maximum: the vCPUs it has)
    assert fake.xl('vcpu-set', '0', '1').rc == 0
    assert row(fake, 'xl', 'Domain-0') == (1024, 1)
    assert fake.xl('vcpu-set', 'Domain-0', '2').rc == 0
    assert row(fake, 'xl', 'Domain-0') == (1024, 2)


def test_xl_vcpu_set_limits(fake):
    make(fake)
    # more than the host has (4 pCPUs) and more than online: refused
    r = fake.xl('vcpu-set', 'web1', '5')
    assert (r.rc, r.out, r.err) == (
        1, '', 'You are overcommmitting! You have 4 physical CPUs and want 5 '
        'vCPUs! Aborting, use --ignore-host to continue\n')
    # -i: libxl checks maxvcpus
    for args in (['-i', 'web1', '5'], ['web1', '--ignore-host', '5']):
        r = fake.xl('vcpu-set', *args)
        assert (r.rc, r.out) == (1, '')
        assert r.err == (
            'libxl: error: libxl_domain.c:1873:libxl_set_vcpuonline: Domain '
            '1:Requested 5 VCPUs, however maxcpus is 4!: Function not '
            'implemented\n'
            'libxl_set_vcpuonline failed domid=1 max_vcpus=5, rc: -3\n')
    r = fake.xl('vcpu-set', 'web1', '0')
    assert (r.rc, r.out) == (1, '')
    assert fake.xl('vcpu-set', 'web1', '--', '-0x').err == r.err  # strtoul
    assert r.err == (
        'libxl: error: libxl_domain.c:1867:libxl_set_vcpuonline: Domain 1:'
        'Requested 0 VCPUs!: Function not implemented\n'
        'libxl_set_vcpuonline failed domid=1 max_vcpus=0, rc: -3\n')
    # maxvcpus defaults to vcpus
    fake.cfg('db1.cfg', "name = 'db1'\nvcpus = 2\n")
    assert fake.xl('create', '-q', 'db1.cfg').rc == 0
    r = fake.xl('vcpu-set', 'db1', '3')
    assert r.rc == 1 and 'however maxcpus is 2!' in r.err
    assert row(fake, 'xl', 'db1')[1] == 2
    assert row(fake, 'xl', 'web1')[1] == 2


@pytest.mark.parametrize('n', ['x', '', '-1', '+', ' -', '2147483648',
                               '99999999999999999999999'])
def test_xl_vcpu_set_not_a_number(fake, n):
    make(fake)
    r = fake.xl('vcpu-set', 'web1', '--', n)
    assert (r.rc, r.out, r.err) == (1, '', 'Error: Invalid argument.\n')


def test_xl_vcpu_set_unknown_domain(fake):
    r = fake.xl('vcpu-set', 'nosuch', '2')
    assert (r.rc, r.err) == (1, 'nosuch is an invalid domain identifier '
                             '(rc=-6)\n')
    info_line = ('libxl: error: libxl_domain.c:356:libxl_domain_info: Domain '
                 '42:Getting domain info: No such process\n')
    r = fake.xl('vcpu-set', '42', '2')
    assert (r.rc, r.out, r.err) == (1, '', info_line)
    r = fake.xl('vcpu-set', '-i', '42', '2')
    assert (r.rc, r.out, r.err) == (
        1, '', info_line + 'libxl: error: libxl_domain.c:1860:'
        'libxl_set_vcpuonline: Domain 42:Getting domain info list: No such '
        'process\nDomain 42 does not exist.\n')
    r = fake.xl('vcpu-set', '42', 'x')          # the number comes first
    assert r.err == 'Error: Invalid argument.\n'
    r = fake.xl('vcpu-set', 'web1')
    assert (r.rc, r.err) == (2, "'xl vcpu-set' requires at least 2 "
                             "arguments.\n\n")
    assert r.out.startswith('Usage: xl [-vtTf] vcpu-set [option] <Domain> '
                            '<vCPUs>\n')


# ---------------------------------------------------------------- xm mem-set

def xm_make(fake, text="name = 'web1'\nmemory = 512\nmaxmem = 1024\n"
                       "vcpus = 1\nmaxvcpus = 2\n"):
    fake.cfg('web1.cfg', text)
    r = fake.xm('create', '-q', 'web1.cfg')
    assert r.rc == 0, r


@pytest.mark.parametrize('arg, mib', [
    ('768', 768), (' 600 ', 600), ('+600', 600), ('1g', 1024), ('1G', 1024),
    ('800m', 800), ('800M', 800), ('819200k', 800), ('819201K', 800)])
def test_xm_mem_set(fake, arg, mib):
    xm_make(fake)
    r = fake.xm('mem-set', 'web1', arg)
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert row(fake, 'xm', 'web1')[0] == mib
    assert row(fake, 'xl', 'web1')[0] == mib


def test_xm_mem_set_errors(fake):
    xm_make(fake)

    def xen_error(arg, msg, out=''):
        r = fake.xm('mem-set', 'web1', arg)
        assert (r.rc, r.out, r.err) == (1, out + XM_MEMSET_USAGE,
                                        'Error: %s\n' % msg), arg

    xen_error('1025', 'memory_dynamic_max must be less than or equal to '
              'memory_static_max')
    xen_error('2g', 'memory_dynamic_max must be less than or equal to '
              'memory_static_max')
    xen_error('-5', 'memory_static_min must be less than or equal to '
              'memory_dynamic_min')
    xen_error('0', 'memory_dynamic_max must be greater than zero')
    xen_error('512k', 'memory_dynamic_max must be greater than zero')
    # a letter that is no unit: a message on stdout, then bytes
    xen_error('5b', 'memory_dynamic_max must be greater than zero',
              'ignoring unknown unit\n')
    for arg in ('1.5', '0x10', 'abc', '1 2m'):
        r = fake.xm('mem-set', 'web1', arg)
        out = 'ignoring unknown unit\n' if arg == 'abc' else ''
        assert (r.rc, r.out, r.err) == (1, out + XM_MEMSET_USAGE,
                                        'Error: Invalid argument.\n'), arg
    assert row(fake, 'xm', 'web1')[0] == 512
    r = fake.xm('mem-set', 'nosuch', '256')
    assert (r.rc, r.out, r.err) == (3, '', "Error: Domain 'nosuch' does not "
                                    "exist.\n")
    r = fake.xm('mem-set', 'nosuch', '1.5')         # int_unit() first
    assert (r.rc, r.err) == (1, 'Error: Invalid argument.\n')
    r = fake.xm('mem-set', 'web1')
    assert (r.rc, r.out, r.err) == (1, XM_MEMSET_USAGE, "Error: 'xm mem-set' "
                                    "requires 2 arguments.\n\n")
    # int_unit('') indexes str[-1]: an exception xm does not catch
    r = fake.xm('mem-set', 'web1', '')
    assert r.rc == 1
    assert r.out == ("Unexpected error: <type 'exceptions.IndexError'>\n\n"
                     "Please report to xen-devel@lists.xen.org\n")
    assert r.err.startswith('Traceback (most recent call last):\n')
    assert r.err.endswith("    base = unit(str[-1])\nIndexError: string "
                          "index out of range\n")


def test_xm_mem_set_needs_free_memory(fake):
    xm_make(fake)
    env = {'FAKE_XEN_TOTAL_MEMORY': '1792'}     # free: 1792-1024-512 = 256
    r = fake.xm('mem-set', 'web1', '1024', env=env)
    assert (r.rc, r.out) == (1, XM_MEMSET_USAGE)
    assert r.err == ('Error: Not enough free memory and '
                     'enable-dom0-ballooning is False, so I cannot release '
                     'any more.  I need 524288 KiB but only have 262144.\n')
    assert fake.xm('mem-set', 'web1', '768', env=env).rc == 0
    assert info(fake, 'xm', 'free_memory', env=env) == 0
    assert info(fake, 'xl', 'free_memory', env=env) == 0
    assert fake.xm('mem-set', 'web1', '128', env=env).rc == 0
    assert info(fake, 'xm', 'free_memory', env=env) == 640


def test_xm_mem_set_domain0_and_managed(fake):
    assert fake.xm('mem-set', 'Domain-0', '512').rc == 0
    assert row(fake, 'xm', 'Domain-0')[0] == 512
    assert info(fake, 'xm', 'free_memory') == 16384 - 512
    r = fake.xm('mem-set', '0', '-1')
    assert (r.rc, r.err) == (1, 'Error: memory_dynamic_max too small\n')
    r = fake.xm('mem-set', '0', '1025')
    assert r.err == ('Error: memory_dynamic_max must be less than or equal '
                     'to memory_static_max\n')
    # an xend-managed domain that is not running: only its config changes
    fake.add_dom(5, 'off1', managed='yes', state='halted', mem=512,
                 maxmem=1024)
    env = {'FAKE_XEN_TOTAL_MEMORY': '1024'}     # no free memory at all
    assert fake.xm('mem-set', 'off1', '1024', env=env).rc == 0
    assert row(fake, 'xm', 'off1')[0] == 1024
    r = fake.xl('mem-set', 'off1', '256')        # xl does not see it
    assert r.err == 'off1 is an invalid domain identifier (rc=-6)\n'


# ---------------------------------------------------------------- xm vcpu-set

def test_xm_vcpu_set(fake):
    xm_make(fake)
    assert row(fake, 'xm', 'web1')[1] == 1
    r = fake.xm('vcpu-set', 'web1', '2')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert row(fake, 'xm', 'web1')[1] == 2
    assert fake.xm('vcpu-set', '1', ' 1 ').rc == 0    # by id; int() strips
    assert row(fake, 'xl', 'web1')[1] == 1

    def xen_error(args, msg, code=1, out=XM_VCPUSET_USAGE):
        r = fake.xm('vcpu-set', *args)
        assert (r.rc, r.out, r.err) == (code, out, msg), args

    xen_error(['web1', '3'], 'Error: Cannot set vcpus greater than max vcpus '
              'on running domain\n')
    xen_error(['web1', '0'], 'Error: Zero or less VCPUs is invalid\n')
    xen_error(['web1', '-2'], 'Error: Zero or less VCPUs is invalid\n')
    for bad in ('x', '1.0', '2x', '', '0x2', '1_0'):
        xen_error(['web1', bad], 'Error: Invalid argument.\n')
    xen_error(['nosuch', 'x'], 'Error: Invalid argument.\n')
    xen_error(['nosuch', '1'], "Error: Domain 'nosuch' does not exist.\n",
              3, '')
    xen_error(['web1'], "Error: 'xm vcpu-set' requires 2 arguments.\n\n")
    assert row(fake, 'xm', 'web1')[1] == 1
    # Domain-0 too
    assert fake.xm('vcpu-set', 'Domain-0', '1').rc == 0
    assert row(fake, 'xm', 'Domain-0')[1] == 1
    # a halted managed domain: VCPUs_max follows
    fake.add_dom(5, 'off1', managed='yes', state='halted')
    assert fake.xm('vcpu-set', 'off1', '8').rc == 0
    assert row(fake, 'xm', 'off1')[1] == 8
    assert fake.dom(5)['maxvcpus'] == '8'


def test_xm_create_maxmem_maxvcpus_defaults(fake):
    fake.cfg('a.cfg', "name = 'a'\nmemory = 256\nvcpus = 2\n")
    assert fake.xm('create', '-q', 'a.cfg').rc == 0
    d = fake.dom(1)
    assert (d['mem'], d['maxmem'], d['vcpus'], d['maxvcpus']) == (
        '256', '256', '2', '2')
    cfg = fake.cfg('b.cfg', SIMPLE_CFG.replace('web1', 'b'))
    assert fake.xl('create', '-q', cfg).rc == 0
    d = fake.dom(2)
    assert (d['mem'], d['maxmem'], d['vcpus'], d['maxvcpus']) == (
        '512', '512', '2', '2')


# ---------------------------------------------------------------- info

def test_xm_info_numa(fake):
    r = fake.xm('info', '-n')
    assert (r.rc, r.err) == (0, '')
    lines = r.out.split('\n')
    i = lines.index('free_cpus              : 0')
    assert lines[i + 1:i + 8] == [
        'cpu_topology           : ',
        'cpu:    core    socket     node',
        '  0:       0        0        0',
        '  1:       1        0        0',
        '  2:       2        0        0',
        '  3:       3        0        0',
        'numa_info              : none']
    assert lines[i + 8] == 'xen_major              : 4'
    assert fake.xm('info', '--numa').out == r.out
    r = fake.xm('info', '-c')
    assert (r.rc, r.err) == (125, 'fake-xen: option -c is not simulated\n')
