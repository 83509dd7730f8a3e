"""The sample configs of `make demo' (tests/demo/xen) must start under
both personalities (they were also checked with the real libxlutil)."""

import glob
import os

import pytest

from conftest import HERE

DEMO = os.path.join(os.path.dirname(HERE), 'demo', 'xen')
CONFIGS = sorted(glob.glob(os.path.join(DEMO, '*.cfg')))


def test_there_are_demo_configs():
    assert 5 <= len(CONFIGS) <= 9


@pytest.mark.parametrize('tool', ['xl', 'xm'])
def test_demo_configs_start(fake, tool):
    for path in CONFIGS:
        r = fake.run(tool, 'create', path)
        assert r.rc == 0, (path, r)
    names = sorted(fake.dom(i)['name'] for i in fake.domids())
    assert names == sorted(['web1', 'db1', 'mail.example.org', 'dns1',
                            'backup', 'win10', 'ci-runner'])
    r = fake.run(tool, 'list')
    assert r.rc == 0 and r.out.count('\n') == len(CONFIGS) + 2
