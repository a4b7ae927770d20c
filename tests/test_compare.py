"""The Table 1 driver: the runs it plans, and the table it writes from test results."""
import json
import subprocess

import pytest

from lib.analysis.compare import NETWORK_ORDER, collect, planned_runs, write_table
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
    assert '| GRU >= LSTM | 3D-GRU-3 - 3D-LSTM-3 | +0.050 | 0.000 | holds in every seed |' in text
    assert json.loads((tmp_path / 'results' / 'table1.json').read_text())['seeds'] == [0, 1]
    assert (tmp_path / 'results' / 'table1_views.png').read_bytes()[:4] == b'\x89PNG'


def _row(seeds, iou5, by_views):
    return {'seeds': seeds, 'iou5': iou5, 'by_views': by_views}


def test_orderings_are_checked_per_seed_and_reversals_reported():
    from lib.analysis.compare import check_orderings
    rising, flat_then_falling = [0.2, 0.3, 0.35, 0.36, 0.37], [0.3, 0.32, 0.33, 0.34, 0.31]
    table = {'lstm_1': _row([0, 1], [0.30, 0.25], [rising, rising]),
             'gru_1': _row([0, 1], [0.28, 0.27], [rising, rising]),       # below LSTM-1 in seed 0 only
             'lstm_3': _row([0, 1], [0.20, 0.21], [rising, rising]),      # below LSTM-1 in both
             'gru_3': _row([0, 1], [0.31, 0.29], [rising, flat_then_falling]),
             'res_gru_3': _row([0, 1], [0.40, 0.41], [rising, rising])}
    checks = {(claim, comparison): (mean, verdict) for claim, comparison, mean, _, verdict in check_orderings(table)}
    assert checks[('Res3D-GRU-3 best', 'Res3D-GRU-3 - 3D-LSTM-1')][1] == 'holds in every seed'
    mean, verdict = checks[('GRU >= LSTM', '3D-GRU-1 - 3D-LSTM-1')]
    assert verdict == 'mixed: holds in 1 of 2 seeds' and mean == pytest.approx(0.0)
    mean, verdict = checks[('3x3x3 >= 1x1x1', '3D-LSTM-3 - 3D-LSTM-1')]
    assert verdict == 'reversed in every seed' and mean == pytest.approx(-0.07)
    _, verdict = checks[('IoU rises with views', '3D-GRU-3: 5 views - 1 view')]
    assert verdict.startswith('holds in every seed') and 'falls from 4 to 5 views by 0.010' in verdict
    _, verdict = checks[('IoU rises with views', 'Res3D-GRU-3: 5 views - 1 view')]
    assert verdict.endswith('rises at every view')
