"""xl: command line handling, help texts, error texts and exit codes
(FAKE-XEN.md 5.2, 6.9, 8).  Expected texts were checked against the real
xl 4.17 (golden/README)."""

import pytest

from conftest import golden

SIMULATED = ('create', 'list', 'destroy', 'shutdown', 'reboot', 'pause',
             'unpause', 'uptime', 'info', 'domid', 'domname')


def test_no_subcommand_prints_full_help_exit_1(fake):
    r = fake.xl()
    assert (r.rc, r.out, r.err) == (1, golden('xl-help.txt'), '')


def test_help_subcommand(fake):
    r = fake.xl('help')
    assert (r.rc, r.out, r.err) == (0, golden('xl-help.txt'), '')
    r = fake.xl('help', 'nosuch')
    assert (r.rc, r.out, r.err) == (0, 'command "nosuch" not implemented\n', '')


@pytest.mark.parametrize('cmd', SIMULATED)
def test_dash_h_prints_command_help_exit_0(fake, cmd):
    r = fake.xl(cmd, '-h')
    assert (r.rc, r.out, r.err) == (0, golden('xl-help-%s.txt' % cmd), '')
    r = fake.xl('help', cmd)
    assert (r.rc, r.out, r.err) == (0, golden('xl-help-%s.txt' % cmd), '')


def test_help_first_lines_per_spec(fake):
    # 8: the first lines a daemon test may rely on
    assert fake.xl('list', '-h').out.split('\n')[:4] == [
        'Usage: xl [-vtT] list [options] [Domain]', '', '',
        'List information about all/some domains.']
    assert fake.xl('pause', '--help').out.split('\n')[:3] == [
        'Usage: xl [-vtTf] pause <Domain>', '', 'Pause execution of a domain.']
    assert fake.xl('create', '-h').out.startswith(
        'Usage: xl [-vtTfN] create <ConfigFile> [options] [vars]\n\n'
        'Create a domain from config file <filename>.\n')


def test_help_does_not_act(fake):
    fake.add_dom(3, 'web1')
    for cmd in ('pause', 'destroy', 'shutdown', 'reboot'):
        r = fake.xl(cmd, 'web1', '-h')
        assert r.rc == 0
    assert fake.dom(3)['pause_count'] == '0'
    assert fake.dom(3)['pending'] == 'none'


@pytest.mark.parametrize('cmd,n', [('pause', 1), ('unpause', 1),
                                   ('destroy', 1), ('domid', 1),
                                   ('domname', 1)])
def test_too_few_arguments(fake, cmd, n):
    r = fake.xl(cmd)
    assert r.rc == 2
    assert r.err == "'xl %s' requires at least 1 argument.\n\n" % cmd
    assert r.out == golden('xl-help-%s.txt' % cmd)


def test_unknown_option(fake):
    fake.add_dom(3, 'web1')
    r = fake.xl('pause', '-x', 'web1')
    assert (r.rc, r.out, r.err) == (2, '', "option `x' not supported.\n")
    assert fake.dom(3)['pause_count'] == '0'
    # an unknown long option has no option character: xl prints a NUL
    r = fake.xl('pause', '--foo', 'web1')
    assert (r.rc, r.berr) == (2, b"option `\0' not supported.\n")
    # a missing option argument is reported the same way
    r = fake.xl('create', '-f')
    assert (r.rc, r.err) == (2, "option `f' not supported.\n")
    r = fake.xl('shutdown', '--all=3')
    assert (r.rc, r.err) == (2, "option `a' not supported.\n")
    # ambiguous long option prefix
    r = fake.xl('create', '--vnc')
    assert (r.rc, r.berr) == (2, b"option `\0' not supported.\n")


def test_options_after_domain_and_double_dash(fake):
    fake.add_dom(3, 'web1')
    assert fake.xl('pause', 'web1', '-h').rc == 0
    assert fake.dom(3)['pause_count'] == '0'
    r = fake.xl('pause', '--', '-x')
    assert (r.rc, r.err) == (1, '-x is an invalid domain identifier (rc=-6)\n')
    r = fake.xl('pause', '--')
    assert r.rc == 2 and "requires at least 1 argument" in r.err


def test_unique_prefix(fake):
    fake.add_dom(3, 'web1')
    r = fake.xl('pau', 'web1')
    assert (r.rc, r.out, r.err) == (0, '', '')
    assert fake.dom(3)['pause_count'] == '1'
    assert fake.calls()[-1]['argv'] == ['xl', 'pau', 'web1']
    # ambiguous or unknown
    for word in ('p', 're', 'nosuch', 'd', ''):
        r = fake.xl(word)
        assert (r.rc, r.out, r.err) == (1, '', 'command not implemented\n'), \
            word
    # prefix used in messages is the canonical name
    r = fake.xl('unp')
    assert r.err == "'xl unpause' requires at least 1 argument.\n\n"


def test_global_options(fake):
    fake.add_dom(3, 'web1')
    r = fake.xl('-v', '-f', '-t', '-T', 'list')
    assert r.rc == 0 and 'web1' in r.out
    r = fake.xl('-vvv', '--', 'list')
    assert r.rc == 0
    r = fake.xl('-Z', 'list')
    assert r.rc == 1 and r.out == ''
    assert r.err == "%s/xl: invalid option -- 'Z'\nunknown global option\n" % \
        fake.bin
    r = fake.xl('--help')
    assert r.err.endswith("invalid option -- '-'\nunknown global option\n")
    r = fake.xl('-v')
    assert (r.rc, r.out) == (1, golden('xl-help.txt'))


def test_dryrun_global_option(fake):
    fake.add_dom(3, 'web1')
    for cmd in ('list', 'pause', 'shutdown'):
        r = fake.xl('-N', cmd, 'web1')
        assert (r.rc, r.out, r.err) == (
            1, '', 'command does not implement -N (dryrun) option\n')
    assert fake.dom(3)['pause_count'] == '0'
    cfg = fake.cfg('web2.cfg', "name = 'web2'\nmemory = 512\n")
    r = fake.xl('-N', 'create', cfg)
    assert r.rc == 0
    assert r.err == 'Parsing config from %s\n' % cfg
    assert '"name": "web2"' in r.out
    assert fake.domids() == [3]


@pytest.mark.parametrize('verb', ['save', 'restore', 'migrate', 'vcpu-list',
                                  'mem-max'])
def test_not_simulated(fake, verb):
    r = fake.xl(verb, 'web1')
    assert (r.rc, r.out, r.err) == (125, '', 'fake-xen: %s is not simulated\n'
                                    % verb)


def test_domid_domname(fake):
    fake.add_dom(7, 'web1.example.org')
    assert (fake.xl('domid', 'web1.example.org').out) == '7\n'
    assert (fake.xl('domid', 'Domain-0').out) == '0\n'
    r = fake.xl('domid', 'nosuch')
    assert (r.rc, r.out, r.err) == (1, '', "Can't get domid of domain name "
                                    "'nosuch', maybe this domain does not "
                                    "exist.\n")
    r = fake.xl('domid', '7')             # names only
    assert r.rc == 1
    assert fake.xl('domname', '7').out == 'web1.example.org\n'
    assert fake.xl('domname', '0').out == 'Domain-0\n'
    r = fake.xl('domname', '8')
    assert (r.rc, r.err) == (1, "Can't get domain name of domain id '8', "
                             "maybe this domain does not exist.\n")
    r = fake.xl('domname', 'web1')
    assert (r.rc, r.err) == (1, 'Invalid domain id.\n\n')


def test_find_domain_rules(fake):
    """5.1: digits are a domid (unchecked here), else exact name."""
    fake.add_dom(3, 'web1')
    fake.add_dom(4, '42')
    r = fake.xl('pause', 'WEB1')
    assert (r.rc, r.err) == (1, 'WEB1 is an invalid domain identifier '
                             '(rc=-6)\n')
    # "42" is a domid, never the domain named 42
    r = fake.xl('pause', '42')
    assert r.rc == 0
    assert 'Domain 42:Pausing domain: No such process' in r.err
    assert fake.dom(4)['pause_count'] == '0'
    assert fake.xl('pause', '3').rc == 0
    assert fake.dom(3)['pause_count'] == '1'
