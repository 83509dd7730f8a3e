"""xl create: the libxlutil config grammar and xl's checks (FAKE-XEN.md
6.4, 6.8).  The error texts below were produced by the real libxlutil
4.17 for the same input."""

import signal

import pytest

PY_WARN = ('warning: Config file looks like it contains Python code.\n'
           'warning:  Arbitrary Python is no longer supported.\n'
           'warning:  See https://wiki.xen.org/wiki/PythonInXlConfig\n')
FAILED = 'Failed to parse config: Invalid argument\n'


def create(fake, text, *extra, **kw):
    fake.cfg('web.cfg', text)
    return fake.xl('create', 'web.cfg', *extra, **kw)


def parse_error(fake, text, *extra):
    r = create(fake, text, *extra)
    assert r.rc == 1 and r.out == '', r
    assert r.err.startswith('Parsing config from web.cfg\n')
    assert fake.domids() == []
    return r.err[len('Parsing config from web.cfg\n'):]


def test_xen_tools_style_config(fake):
    r = create(fake, (
        "#\n# Configuration file for the Xen instance web1.example.org\n#\n\n"
        "kernel      = '/boot/vmlinuz-6.1.0-26-amd64'\n"
        "vcpus       = '2'\n"
        "memory      = '1024'\n"
        "disk        = [\n"
        "                  'phy:/dev/vg0/web1-disk,xvda2,w',\n"
        "                  'phy:/dev/vg0/web1-swap,xvda1,w',\n"
        "              ]\n"
        "name        = 'web1.example.org'\n"
        "vif         = [ 'ip=192.0.2.10 ,mac=00:16:3E:00:00:10' ]\n"
        "on_poweroff = 'destroy'\non_reboot   = 'restart'\n"
        "on_crash    = 'restart'\n"))
    assert r.rc == 0, r
    d = fake.dom(1)
    assert (d['name'], d['mem'], d['vcpus'], d['on_crash']) == (
        'web1.example.org', '1024', '2', 'restart')


def test_grammar_features(fake):
    r = create(fake, (
        'disk = [ "phy:/dev/vg/x,xvda,w", # root\n'
        '  "file:/x.img,xvdb,w",\n]\n'
        'name = "old"\n'
        '  name = "x"; vcpus = 2;;\n'
        'extra = "console=hvc0"\nextra += " quiet"\n'
        'nested = [ [1, 2], [ "a" ], ]\n'
        "memory = 0x100 # hex\n"
        "type = 'h'"))                  # no final newline: fine
    assert r.rc == 0, r
    d = fake.dom(1)
    assert (d['name'], d['vcpus'], d['mem'], d['type']) == ('x', '2', '256',
                                                            'hvm')


def test_crlf_rejected(fake):
    err = parse_error(fake, 'name = "x"\r\nmemory = 512\r\n')
    assert err == ("web.cfg:1: config parsing error near `\r': lexical "
                   "error\n"
                   "web.cfg:2: config parsing error near `\r': lexical "
                   "error\n" + FAILED)


def test_cr_in_comment_is_fine(fake):
    assert create(fake, '# comment\r\nname = "x"\n').rc == 0


def test_python_rejected(fake):
    err = parse_error(fake, 'name = "web" + "1"\nmemory = 512\n')
    assert err == ("web.cfg:1: config parsing error near `+': lexical "
                   "error\n" + PY_WARN + FAILED)
    err = parse_error(fake, 'memory = int(512)\nname="x"\n')
    assert err == (
        "web.cfg:1: config parsing error near `int': syntax error, "
        "unexpected IDENT, expecting STRING or NUMBER or '['\n"
        "web.cfg:1: config parsing error near `(512)': lexical error\n" +
        PY_WARN + FAILED)
    # "%" is not one of the Python-looking characters
    err = parse_error(fake, 'name = "VM%d" % vmid\n')
    assert err == "web.cfg:1: config parsing error near `%': lexical " \
        "error\n" + FAILED


def test_upper_case_key_rejected(fake):
    err = parse_error(fake, 'Name = "x"\n')
    assert err == "web.cfg:1: config parsing error near `Name': lexical " \
        "error\n" + FAILED


def test_final_comment_without_newline(fake):
    err = parse_error(fake, 'name = "x"\n# end')
    assert err == "web.cfg:2: config parsing error near `#': lexical " \
        "error\n" + FAILED


def test_syntax_errors(fake):
    err = parse_error(fake, 'name = "a" "b"\n')
    assert err == ("web.cfg:1: config parsing error near `\"b\"': syntax "
                   "error, unexpected STRING, expecting $end\n" + FAILED)
    # an error at a newline is reported one line early, like libxlutil
    err = parse_error(fake, 'x = 1\n\nname = \n')
    assert err == ("web.cfg:2: config parsing error near <newline>: syntax "
                   "error, unexpected NEWLINE, expecting STRING or NUMBER "
                   "or '['\n" + FAILED)
    # error recovery: next statement after the newline, no report for the
    # first tokens after it
    err = parse_error(fake, '= 1\n"x" = 2\nc = 5 6\n')
    assert err == (
        "web.cfg:1: config parsing error near `=': syntax error, unexpected "
        "'=', expecting $end or IDENT or NEWLINE or ';'\n"
        "web.cfg:3: config parsing error near `6': syntax error, unexpected "
        "NUMBER, expecting $end\n" + FAILED)


def test_extra_key_value_lines(fake):
    # appended after the file as extra lines (after one blank line)
    err = parse_error(fake, 'name="x"\n', 'name=bar')
    assert err == ("web.cfg:3: config parsing error near `bar': syntax "
                   "error, unexpected IDENT, expecting STRING or NUMBER or "
                   "'['\n" + FAILED)
    r = create(fake, 'name="x"\n', 'name="y"', 'memory=64')
    assert r.rc == 0
    assert (fake.dom(1)['name'], fake.dom(1)['mem']) == ('y', '64')


def test_nul_in_string_aborts(fake):
    r = create(fake, b'name = "we\0b1"\n')
    assert r.rc == -signal.SIGABRT
    assert r.err == ("Parsing config from web.cfg\n"
                     "xl: libxlu_cfg.c:607: xlu__cfgl_dequote: Assertion "
                     "`len>=2 && src[0]==src[len-1]' failed.\n")
    assert fake.domids() == []


def test_escapes_quirks(fake):
    # \x never works in libxlutil (see libxlu_cfg.c NUMERIC_CHAR)
    err = parse_error(fake, 'name = "x\\x41"\n')
    assert err == ("web.cfg:1: config parsing error near `\"x\\x41\"': "
                   "invalid digit after backslash hexnumerical character "
                   "escape in quoted string\n" + FAILED)
    assert create(fake, "name = 'it\\'s'\n").rc == 0
    assert fake.dom(1)['name'] == "it's"


def test_name_rules(fake):
    r = create(fake, 'memory = 512\n')
    assert (r.rc, r.err) == (1, 'Parsing config from web.cfg\n'
                             'Domain name must be specified.\n')
    r = create(fake, 'name = ["x"]\n')
    assert (r.rc, r.err) == (1, "Parsing config from web.cfg\n"
                             "web.cfg:1: warning: parameter `name' is a list "
                             "but should be a single value\n"
                             "Domain name must be specified.\n")
    # an empty name is not an error in xl
    r = create(fake, 'name = ""\n')
    assert r.rc == 0
    assert fake.xl('list', '1').out.split('\n')[1] == \
        ' ' * 40 + '     1    32     1     r-----       0.0'
    # xl does not check names at all
    r = create(fake, 'name = "a b;c/d"\n')
    assert r.rc == 0 and fake.dom(2)['name'] == 'a b;c/d'
    r = create(fake, 'name = 123\n')
    assert r.rc == 0 and fake.dom(3)['name'] == '123'


@pytest.mark.parametrize('text,dtype', [
    ('type = "pv"', 'pv'), ('type = "pvh"', 'pvh'), ('type = "hvm"', 'hvm'),
    ('type = "p"', 'pv'), ('builder = "hvm"', 'hvm'),
    ('builder = "generic"', 'pv'), ('', 'pv')])
def test_types(fake, text, dtype):
    r = create(fake, 'name = "x"\n%s\n' % text)
    assert r.rc == 0, r
    assert fake.dom(1)['type'] == dtype


def test_bad_types(fake):
    r = create(fake, 'name = "x"\ntype = "kvm"\n')
    assert (r.rc, r.err.split('\n')[1]) == (1, 'Invalid domain type kvm.')
    r = create(fake, 'name = "x"\ntype = "pv"\nbuilder = "hvm"\n')
    assert (r.rc, r.err.split('\n')[1]) == (
        1, 'Contradicting "builder" and "type" options specified.')


def test_numbers_and_actions(fake):
    r = create(fake, 'name = "x"\nmemory = "256M"\n')
    assert r.rc == 0
    assert r.err.split('\n')[1] == "web.cfg:2: warning: parameter `memory' " \
        "is not a valid number"
    assert fake.dom(1)['mem'] == '32'
    r = create(fake, 'name = "y"\non_crash = "explode"\n')
    assert (r.rc, r.err.split('\n')[1]) == (
        1, 'Unknown on_crash action "explode" specified')
    r = create(fake, 'name = "z"\nvcpus = 4\nmaxvcpus = 2\n')
    assert (r.rc, r.err.split('\n')[1]) == (1, 'xl: maxvcpus < vcpus')


def test_plus_equals_concatenates(fake):
    """6.8: += appends to a string (and lists to lists)."""
    r = create(fake, 'name = "web"\nname += "1"\n'
               'disk = ["a"]\ndisk += ["b"]\n')
    assert r.rc == 0, r
    assert fake.dom(1)['name'] == 'web1'


def test_only_space_and_tab_are_whitespace(fake):
    """6.8: any other control character is a lexical error."""
    for ch in ('\v', '\f'):
        fake.cfg('web.cfg', 'name = "x"%s\n' % ch)
        r = fake.xl('create', 'web.cfg')
        assert r.rc == 1, (ch, r)
        lines = r.err.split('\n')
        assert lines[1].startswith('web.cfg:1: config parsing error near')
        assert lines[1].endswith('lexical error')
        assert lines[-2] == FAILED.rstrip('\n')
    assert fake.domids() == []
