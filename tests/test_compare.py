"""The Table 1 driver: the runs it plans, and the table it writes from test results."""
import json
import subprocess

import pytest

from lib.compare import NETWORK_ORDER, collect, planned_runs, write_table
from tests.conftest import REPO


def test_dry_run_lists_a_train_and_a_test_per_network_and_seed():
    result = subprocess.run([str(REPO / 'run.sh'), 'compare', '--protocol', 'cpu', '--seeds', '0,1', '--dry-run'],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    trains = [l for l in lines if l.startswith('./run.sh train')]
    tests = [l for l in lines if l.startswith('./run.sh test')]
    assert len(trains) == len(tests) == 10
    for net in NETWORK_ORDER:
        assert sum(f'table1/{net}.yaml' in l for l in trains) == 2
    assert all('table1/cpu.yaml' in l for l in trains)
    paper = subprocess.run([str(REPO / 'run.sh'), 'compare', '--protocol', 'paper'],
                           capture_output=True, text=True, cwd=REPO, timeout=120)
    assert paper.returncode == 1 and '--data' in paper.stderr


def _fake_results(path, base):
    per_view = {f'{n}@0.4': base + 0.02 * n for n in range(1, 6)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        'meta': {'dataset': 'embedded dataset at X'}, 'n_models': 4,
        'mean_over_categories': per_view, 'loss': {str(n): 0.2 - 0.01 * n for n in range(1, 6)},
        'per_category': {'03001627': {'5@0.4': base}, '02691156': {'5@0.4': base + 0.1}}}))


def test_table_from_results(tmp_path):
    runs = planned_runs('cpu', [0, 1], NETWORK_ORDER, str(tmp_path / 'runs'))
    for i, (net, seed, _, _, results) in enumerate(runs):
        _fake_results(tmp_path.joinpath(results), 0.3 + 0.05 * NETWORK_ORDER.index(net) + 0.01 * seed)
    table = collect([(n, s, a, b, str(tmp_path.joinpath(r))) for n, s, a, b, r in runs])
    assert table['res_gru_3']['iou5'] == pytest.approx([0.6, 0.61])
    write_table(table, 'cpu', [0, 1], str(tmp_path / 'results'), command='./run.sh compare --seeds 0,1')
    text = (tmp_path / 'results' / 'table1.md').read_text()
    assert '| Res3D-GRU-3 | 0.150 ± 0.000 | 0.605 ± 0.007 | 0.080 | 0.634 |' in text
    assert '`./run.sh compare --seeds 0,1`' in text
    assert json.loads((tmp_path / 'results' / 'table1.json').read_text())['seeds'] == [0, 1]
    assert (tmp_path / 'results' / 'table1_views.png').read_bytes()[:4] == b'\x89PNG'
